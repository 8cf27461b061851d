// SPDX-License-Identifier: GPL-2.0-or-later
/* What check and list show of a device's stable identity. */
#include <stdio.h>

#include "ident.h"
#include "output.h"

struct ident_text {
        char serial[VC_SERIAL_STR_MAX];
        char path[VC_PATH_STR_MAX];
        const char *slot;
};

static void ident_text(const struct vc_dev *d, struct ident_text *t)
{
        t->serial[0] = 0;
        t->path[0] = 0;
        if (d->has_serial)
                vc_serial_format(d->serial, t->serial);
        if (d->has_path && vc_path_format(&d->path, t->path, sizeof(t->path)) < 0)
                t->path[0] = 0;
        t->slot = d->slot_name;
}

void ident_print_human(const struct vc_dev *d, const char *indent)
{
        struct ident_text t;

        ident_text(d, &t);
        if (t.serial[0])
                printf("%sserial %s\n", indent, t.serial);
        if (t.slot[0])
                printf("%sslot %s\n", indent, t.slot);
        if (t.path[0])
                printf("%spath %s\n", indent, t.path);
}

void ident_json(const struct vc_dev *d)
{
        struct ident_text t;

        ident_text(d, &t);
        json_member_string("serial", t.serial);
        json_member_string("slot", t.slot);
        json_member_string("path", t.path);
}
