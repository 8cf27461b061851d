// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What other methods of handing devices to vfio-pci leave on a machine,
 * turned into vfio-claim rules for `vfio-claim import`: vfio-pci.ids= on the
 * kernel command line, "options vfio-pci ids=" and softdep lines of
 * modprobe.d, driverctl's saved overrides, Unraid's vfio-pci.cfg, and the
 * driver_override values set now. Each finding goes to the caller with its
 * origin, the text it came from and either a rule or the reason none can
 * say the same. The parsers take text: fuzz-import feeds them directly.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "macro.h"

#define IMPORT_WORD_MAX 1024

static bool hex_field(const char *s, size_t len, unsigned max_digits, uint32_t *ret)
{
        return len > 0 && len <= max_digits && vc_parse_hex_u32(s, len, 0xffffffffu, ret);
}

/* One vfio-pci ids= item, "vendor:device[:subvendor:subdevice[:class:class_mask]]"
 * as the module reads it (missing fields: any). */
static void import_id(const char *item, size_t len, const struct vc_import_source *src, vc_import_fn fn, void *userdata)
{
        uint32_t v[6] = {0, 0, 0xffffffffu, 0xffffffffu, 0, 0};
        char rule[128], word[IMPORT_WORD_MAX];
        size_t n = 0;

        snprintf(word, sizeof(word), "%.*s", (int)(len < IMPORT_WORD_MAX - 1 ? len : IMPORT_WORD_MAX - 1), item);
        for (const char *p = item; p <= item + len && n < 7; n++) {
                const char *colon = memchr(p, ':', (size_t)(item + len - p));
                size_t fl = colon ? (size_t)(colon - p) : (size_t)(item + len - p);

                if (n >= 6 || !hex_field(p, fl, 8, &v[n])) {
                        fn(userdata, src, word, NULL, "not a vendor:device[:subvendor:subdevice[:class:mask]] ID");
                        return;
                }
                p += fl + 1;
        }
        if (n < 2 || v[0] > 0xffff || v[1] > 0xffff) {
                fn(userdata, src, word, NULL, "not a vendor:device ID");
                return;
        }
        if (n > 4 && v[5] != 0) {
                fn(userdata, src, word, NULL,
                   "a class with a mask: write it as an id rule's class field (id VVVV:DDDD:CCSS) by hand");
                return;
        }
        if (n > 2 && (v[2] > 0xffff || v[3] > 0xffff) && (v[2] != 0xffffffffu || v[3] != 0xffffffffu)) {
                fn(userdata, src, word, NULL, "a subsystem ID with one field left open");
                return;
        }
        if (n > 2 && v[2] <= 0xffff)
                snprintf(rule, sizeof(rule), "id %04x:%04x subsystem %04x:%04x", v[0], v[1], v[2], v[3]);
        else
                snprintf(rule, sizeof(rule), "id %04x:%04x", v[0], v[1]);
        fn(userdata, src, word, rule, NULL);
}

static void import_ids(const char *value, size_t len, const struct vc_import_source *src, vc_import_fn fn,
                       void *userdata)
{
        for (const char *p = value; p < value + len;) {
                const char *comma = memchr(p, ',', (size_t)(value + len - p));
                size_t il = comma ? (size_t)(comma - p) : (size_t)(value + len - p);

                if (il > 0)
                        import_id(p, il, src, fn, userdata);
                p += il + 1;
        }
}

void vc_import_cmdline(const char *cmdline, const char *origin, vc_import_fn fn, void *userdata)
{
        struct vc_import_source src = {.origin = origin, .kind = VC_IMPORT_CMDLINE};

        for (const char *p = cmdline; p && *p;) {
                size_t wl;

                p += strspn(p, " \t\n");
                wl = strcspn(p, " \t\n");
                if (wl > 13 && (strncmp(p, "vfio-pci.ids=", 13) == 0 || strncmp(p, "vfio_pci.ids=", 13) == 0))
                        import_ids(p + 13, wl - 13, &src, fn, userdata);
                p += wl;
        }
}

/* "options vfio-pci ids=10de:1b80,10de:10f0 disable_vga=1" and "softdep nouveau pre: vfio-pci". */
void vc_import_modprobe(const char *text, const char *file, vc_import_fn fn, void *userdata)
{
        unsigned lineno = 0;

        for (const char *line = text; line && *line;) {
                const char *nl = strchr(line, '\n'), *start = line;
                size_t len = nl ? (size_t)(nl - line) : strlen(line);
                char buf[IMPORT_WORD_MAX], origin[4096 + 16], *save = NULL, *w;

                lineno++;
                snprintf(buf, sizeof(buf), "%.*s", (int)(len < sizeof(buf) - 1 ? len : sizeof(buf) - 1), line);
                snprintf(origin, sizeof(origin), "%s:%u", file, lineno);
                line = nl ? nl + 1 : NULL;
                w = strtok_r(buf, " \t", &save);
                if (!w || w[0] == '#')
                        continue;
                if (strcmp(w, "options") == 0) {
                        struct vc_import_source src = {.origin = origin, .kind = VC_IMPORT_MODPROBE};

                        w = strtok_r(NULL, " \t", &save);
                        if (!w || (strcmp(w, "vfio-pci") != 0 && strcmp(w, "vfio_pci") != 0))
                                continue;
                        while ((w = strtok_r(NULL, " \t", &save)))
                                if (strncmp(w, "ids=", 4) == 0)
                                        import_ids(w + 4, strlen(w + 4), &src, fn, userdata);
                } else if (strcmp(w, "softdep") == 0) {
                        struct vc_import_source src = {.origin = origin, .kind = VC_IMPORT_MODPROBE};
                        char whole[IMPORT_WORD_MAX];

                        snprintf(whole, sizeof(whole), "%.*s", (int)(len < sizeof(whole) - 1 ? len : sizeof(whole) - 1),
                                 start);
                        if (!strstr(whole, "vfio-pci") && !strstr(whole, "vfio_pci"))
                                continue;
                        fn(userdata, &src, whole, NULL,
                           "no rule needed: vfio-claim holds the devices off before any driver loads; remove it afterwards");
                }
        }
}

/* Unraid: "BIND=0000:03:00.0|10de:1b80 0000:03:00.1|10de:10f0" (older: addresses alone). */
void vc_import_unraid(const char *text, const char *file, const struct vc_devlist *devs, vc_import_fn fn,
                      void *userdata)
{
        struct vc_import_source src = {.origin = file, .kind = VC_IMPORT_UNRAID};
        const char *bind = strstr(text, "BIND=");
        size_t len;

        if (!bind)
                return;
        bind += 5;
        if (*bind == '"')
                bind++;
        len = strcspn(bind, "\"\n");
        for (const char *p = bind; p < bind + len;) {
                size_t wl = strcspn(p, " \"\n");
                char word[IMPORT_WORD_MAX], addr[VC_ADDR_MAX];
                const char *bar;
                uint32_t vid = 0, did = 0;

                if (wl > len)
                        wl = len;
                if (wl == 0) {
                        p++;
                        continue;
                }
                snprintf(word, sizeof(word), "%.*s", (int)(wl < sizeof(word) - 1 ? wl : sizeof(word) - 1), p);
                p += wl;
                bar = strchr(word, '|');
                snprintf(addr, sizeof(addr), "%.*s", (int)(bar ? (size_t)(bar - word) : strlen(word)), word);
                if (bar && (strlen(bar + 1) != 9 || bar[5] != ':' || !hex_field(bar + 1, 4, 4, &vid) ||
                            !hex_field(bar + 6, 4, 4, &did))) {
                        fn(userdata, &src, word, NULL, "not ADDRESS|VVVV:DDDD");
                        continue;
                }
                vc_import_address(devs, &src, word, addr, bar ? (int)vid : -1, bar ? (int)did : -1, NULL, fn, userdata);
        }
}

void vc_import_address(const struct vc_devlist *devs, const struct vc_import_source *src, const char *word,
                       const char *addr, int vendor, int device, const char *driver, vc_import_fn fn, void *userdata)
{
        char rule[256], full[VC_ADDR_MAX], reason[160];
        const struct vc_dev *d;

        if (!vc_addr_parse(addr, NULL, NULL, NULL, NULL)) {
                snprintf(full, sizeof(full), "0000:%.20s", addr);
                addr = full;
        }
        if (!vc_addr_parse(addr, NULL, NULL, NULL, NULL)) {
                fn(userdata, src, word, NULL, "not a PCI address");
                return;
        }
        d = vc_devlist_find(devs, addr);
        if (!d || d->unread) {
                fn(userdata, src, word, NULL, "no device at that address now: no id guard to give it");
                return;
        }
        if (vendor >= 0 && (d->vendor != vendor || d->device != device)) {
                snprintf(reason, sizeof(reason), "the device there now is [%04x:%04x], not [%04x:%04x]", d->vendor,
                         d->device, (unsigned)vendor, (unsigned)device);
                fn(userdata, src, word, NULL, reason);
                return;
        }
        snprintf(rule, sizeof(rule), "address %s id %04x:%04x%s%s", d->addr + (strncmp(d->addr, "0000:", 5) ? 0 : 5),
                 d->vendor, d->device, driver && strcmp(driver, VC_DEFAULT_DRIVER) != 0 ? " driver " : "",
                 driver && strcmp(driver, VC_DEFAULT_DRIVER) != 0 ? driver : "");
        fn(userdata, src, word, rule, NULL);
}

/* driverctl: /etc/driverctl.d/pci-ADDR holds the driver's name. */
int vc_import_driverctl(const char *dir, const struct vc_devlist *devs, vc_import_fn fn, void *userdata)
{
        _cleanup_closedir_ DIR *d = opendir(dir);
        struct dirent *de;

        if (!d)
                return negative_errno();
        while ((de = readdir(d))) {
                _cleanup_free_ char *text = NULL;
                char path[4096], driver[VC_DRIVER_MAX];
                struct vc_import_source src = {.origin = path, .kind = VC_IMPORT_DRIVERCTL};

                if (strncmp(de->d_name, "pci-", 4) != 0 || vc_path(path, sizeof(path), "%s/%s", dir, de->d_name) < 0 ||
                    vc_read_file(path, VC_ATTR_MAX, &text, NULL) < 0)
                        continue;
                text[strcspn(text, "\n")] = 0;
                if (!vc_is_driver_name(text)) {
                        fn(userdata, &src, text, NULL, "not a driver name");
                        continue;
                }
                snprintf(driver, sizeof(driver), "%s", text);
                vc_import_address(devs, &src, driver, de->d_name + 4, -1, -1, driver, fn, userdata);
        }
        return 0;
}

int vc_import_overrides(struct vc_ctx *ctx, const struct vc_devlist *devs, vc_import_fn fn, void *userdata)
{
        for (size_t i = 0; i < devs->n; i++) {
                const struct vc_dev *d = &devs->devs[i];
                char ov[VC_ATTR_MAX], origin[VC_ADDR_MAX + 32];
                struct vc_import_source src = {.origin = origin, .kind = VC_IMPORT_OVERRIDE};

                if (d->unread || vc_dev_read_override(ctx, d, ov, sizeof(ov)) < 0 || !ov[0] ||
                    strcmp(ov, "(null)") == 0)
                        continue;
                snprintf(origin, sizeof(origin), "driver_override of %s", d->addr);
                if (strcmp(ov, "none") == 0) {
                        fn(userdata, &src, ov, NULL,
                           "'none' keeps every driver away; vfio-claim gives devices to a driver");
                        continue;
                }
                vc_import_address(devs, &src, ov, d->addr, -1, -1, ov, fn, userdata);
        }
        return 0;
}
