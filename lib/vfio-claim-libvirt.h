/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libvirt's domain definitions, as far as check needs them (lib/libvirt.c):
 * the domain's <name> and its PCI host devices, <hostdev mode='subsystem'
 * type='pci'>, with the host address of each (<source><address .../>, not
 * the guest's <address> beside <source>) and its managed attribute. A small,
 * strict XML reader, not a general one: what libvirt writes to
 * /etc/libvirt/qemu/NAME.xml (elements, attributes in ' or ", comments,
 * processing instructions, CDATA, the five entities and character
 * references); a DOCTYPE, a tag left open, a stray '<' or '&' is an error.
 * Its users are cmd/check-libvirt.c and the libvirt test and fuzzer.
 */
#pragma once

#include <stddef.h>

#include "vfio-claim.h"

/* The largest domain file read: libvirt's are a few KiB. */
#define VC_LIBVIRT_MAX_SIZE (4 * 1024 * 1024)
/* Deeper element nesting than this is an error (libvirt's is below 10). */
#define VC_LIBVIRT_MAX_DEPTH 256
/* A <name> longer than this is an error. */
#define VC_LIBVIRT_NAME_MAX 1024

enum vc_managed {
        VC_MANAGED_ABSENT, /* no managed attribute: libvirt takes it as 'no' */
        VC_MANAGED_NO,     /* managed='no', or any value but 'yes' (libvirt's reading) */
        VC_MANAGED_YES,
};

struct vc_libvirt_hostdev {
        char addr[VC_ADDR_MAX]; /* the host's address, "DDDD:BB:SS.F" as sysfs names it */
        enum vc_managed managed;
        unsigned line; /* of its <hostdev> tag */
};

struct vc_libvirt_domain {
        char *name; /* <name>'s text; NULL when the file has none */
        struct vc_libvirt_hostdev *hostdevs;
        size_t n_hostdevs;
};

/* Why a file did not parse: the line and a short reason. */
struct vc_libvirt_error {
        unsigned line;
        char reason[160];
};

/*
 * Parses one domain definition of len bytes (no NUL needed). 0 and *ret
 * filled; -EBADMSG with *err (ret untouched) when it is not well-formed XML
 * with a <domain> root, or a PCI hostdev has no host address or a bad one;
 * -ENOMEM.
 */
int vc_libvirt_parse(const char *text, size_t len, struct vc_libvirt_domain *ret, struct vc_libvirt_error *err);
void vc_libvirt_domain_clear(struct vc_libvirt_domain *d);

/*
 * Every DIR/NAME.xml (not dot files), in byte order: fn gets each file's
 * path and either its domain (err 0) or why it could not be read (err < 0,
 * vc_read_strerror()) or parsed (err -EBADMSG, perr set). Returns the number
 * of files, or the negative errno of DIR itself (-ENOENT: no libvirt here).
 */
typedef void (*vc_libvirt_fn)(void *userdata, const char *path, const struct vc_libvirt_domain *dom, int err,
                              const struct vc_libvirt_error *perr);
int vc_libvirt_scan(const char *dir, vc_libvirt_fn fn, void *userdata);
