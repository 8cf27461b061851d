// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Stable identity without a tree: the serial, slot and path parsers, the
 * Device Serial Number walk over config-space images (found, absent,
 * looping, cut off), and rules that tell twin cards apart on devices whose
 * identity is already known.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "internal.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

TEST(serial_parse)
{
        static const char *const bad[] = {
                "",
                "52-54-00-ff-ff-12-34",       /* seven bytes */
                "52-54-00-ff-ff-12-34-56-78", /* nine */
                "52:54:00:ff:ff:12:34:56",    /* a MAC's separator */
                "525400ffff123456",
                "52-54-00-ff-ff-12-34-5g",
                "52-54-00-ff-ff-12-34-56-",
                "5-254-00-ff-ff-12-34-56",
                "0x52-54-00-ff-ff-12-3456",
        };
        const char *reason = NULL;
        char buf[VC_SERIAL_STR_MAX];
        uint64_t v = 0;

        CHECK_INT(vc_serial_parse("52-54-00-ff-ff-12-34-56", &v, &reason), 0);
        CHECK(v == 0x525400ffff123456ull, "the first byte is the most significant, as lspci prints it");
        CHECK_INT(vc_serial_parse("52-54-00-FF-FF-12-34-56", &v, &reason), 0);
        CHECK(v == 0x525400ffff123456ull, "any case");
        vc_serial_format(v, buf);
        CHECK_STR(buf, "52-54-00-ff-ff-12-34-56");
        for (size_t i = 0; i < N(bad); i++) {
                v = 7;
                reason = NULL;
                CHECK(vc_serial_parse(bad[i], &v, &reason) == -EINVAL && v == 7 && reason,
                      "'%s' is refused, the result untouched", bad[i]);
        }
}

static const char *path_round_trip(const char *s)
{
        static char buf[VC_PATH_STR_MAX];
        struct vc_pci_path p;
        const char *reason;

        if (vc_path_parse(s, &p, &reason) < 0)
                return "(refused)";
        if (vc_path_format(&p, buf, sizeof(buf)) < 0)
                return "(format failed)";
        return buf;
}

TEST(path_parse)
{
        static const char *const bad[] = {
                "",
                "00",
                "00:1c.4/",
                "/00.0",
                "00:1c.4//00.0",
                "00:1c/00.0", /* only the last hop may leave out .F */
                "00:20.0",
                "00:1c.8",
                "100:1c.0",
                "00:1c.4/00.0.0",
                "00:1c.4/0:0.0",
                "x:00:1c.0",
                "00:1c.4/00.0 ",
                "000000000:00:1c.0",
                "00:1c.4/001.0",
        };
        struct vc_pci_path p;
        const char *reason;
        char deep[256];

        CHECK_STR(path_round_trip("00:1c.4/00.0"), "00:1c.4/00.0");
        CHECK_STR(path_round_trip("0000:00:1c.4/00.0"), "0000:00:1c.4/00.0");
        CHECK_STR(path_round_trip("00:1c.4/0.1"), "00:1c.4/00.1");
        CHECK_STR(path_round_trip("00:1c.4/00"), "00:1c.4/00");
        CHECK_STR(path_round_trip("00:1f.2"), "00:1f.2");
        CHECK_STR(path_round_trip("10000:00:01.0/00.0/01.0/00.3"), "10000:00:01.0/00.0/01.0/00.3");
        CHECK_INT(vc_path_parse("00:1c.4/00", &p, &reason), 0);
        CHECK(p.n == 2 && p.domain == -1 && p.bus == 0 && p.slot[0] == 0x1c && p.func[0] == 4 && p.slot[1] == 0 &&
                      p.func[1] == -1,
              "00:1c.4/00: any domain, every function of device 00 behind 00:1c.4");
        for (size_t i = 0; i < N(bad); i++) {
                p.n = 99;
                CHECK(vc_path_parse(bad[i], &p, &reason) == -EINVAL && p.n == 99, "'%s' is refused", bad[i]);
        }
        /* 16 hops are the most. */
        strcpy(deep, "00:01.0");
        for (int i = 1; i < 16; i++)
                strcat(deep, "/00.0");
        CHECK_INT(vc_path_parse(deep, &p, &reason), 0);
        strcat(deep, "/00.0");
        CHECK_INT(vc_path_parse(deep, &p, &reason), -EINVAL);
}

TEST(slot_name_parse)
{
        char name[VC_SLOT_NAME_MAX];
        const char *reason;
        char longname[100];

        CHECK_INT(vc_slot_name_parse("1", name, &reason), 0);
        CHECK_STR(name, "1");
        CHECK_INT(vc_slot_name_parse("6-1", name, &reason), 0);
        CHECK_INT(vc_slot_name_parse("", name, &reason), -EINVAL);
        CHECK_INT(vc_slot_name_parse("..", name, &reason), -EINVAL);
        CHECK_INT(vc_slot_name_parse("a/b", name, &reason), -EINVAL);
        CHECK_INT(vc_slot_name_parse("a\x01", name, &reason), -EINVAL);
        memset(longname, 'a', sizeof(longname) - 1);
        longname[sizeof(longname) - 1] = 0;
        CHECK_INT(vc_slot_name_parse(longname, name, &reason), -EINVAL);
}

/* ---- the capability walk over a config-space image ---- */

struct image {
        uint8_t b[4096];
        size_t size;
        unsigned reads;
};

static int image_read(void *userdata, unsigned off, uint32_t *ret)
{
        struct image *im = userdata;

        im->reads++;
        if (off + 4 > im->size)
                return -ENODATA;
        *ret = (uint32_t)im->b[off] | (uint32_t)im->b[off + 1] << 8 | (uint32_t)im->b[off + 2] << 16 |
               (uint32_t)im->b[off + 3] << 24;
        return 0;
}

static void put32(struct image *im, unsigned off, uint32_t v)
{
        for (int i = 0; i < 4; i++)
                im->b[off + (unsigned)i] = (uint8_t)(v >> (8 * i));
}

/* An extended capability header: ID, version 1, next. */
static uint32_t cap(uint16_t id, unsigned next)
{
        return (uint32_t)next << 20 | 1u << 16 | id;
}

TEST(dsn_walk)
{
        struct image im = {.size = 4096};
        uint64_t v = 1;

        /* What QEMU's e1000e with mac=52:54:00:12:34:56 shows (KERNEL-NOTES, Identity). */
        put32(&im, 0x100, cap(0x0001, 0x140));
        put32(&im, 0x140, cap(0x0003, 0));
        memcpy(im.b + 0x144, (uint8_t[]){0x56, 0x34, 0x12, 0xff, 0xff, 0x00, 0x54, 0x52}, 8);
        CHECK_INT(vc_config_find_dsn(image_read, &im, &v), 0);
        CHECK(v == 0x525400ffff123456ull, "the e1000e's serial, lower dword first in config space");

        /* The serial as the first capability. */
        memset(im.b, 0, sizeof(im.b));
        put32(&im, 0x100, cap(0x0003, 0));
        put32(&im, 0x104, 0x9abcdef0);
        put32(&im, 0x108, 0x12345678);
        CHECK_INT(vc_config_find_dsn(image_read, &im, &v), 0);
        CHECK(v == 0x123456789abcdef0ull, "at 0x100");

        /* No capability, no extended config at all. */
        memset(im.b, 0, sizeof(im.b));
        v = 1;
        CHECK_INT(vc_config_find_dsn(image_read, &im, &v), -ENODATA);
        put32(&im, 0x100, 0xffffffff);
        CHECK_INT(vc_config_find_dsn(image_read, &im, &v), -ENODATA);
        put32(&im, 0x100, cap(0x0001, 0));
        CHECK_INT(vc_config_find_dsn(image_read, &im, &v), -ENODATA);
        CHECK(v == 1, "no serial: the result untouched");

        /* A chain pointing back at itself, or at an earlier capability. */
        put32(&im, 0x100, cap(0x0001, 0x100));
        im.reads = 0;
        CHECK_INT(vc_config_find_dsn(image_read, &im, &v), -ENODATA);
        CHECK(im.reads <= 480, "a loop ends (%u reads)", im.reads);
        put32(&im, 0x100, cap(0x0001, 0x200));
        put32(&im, 0x200, cap(0x000b, 0x100));
        im.reads = 0;
        CHECK_INT(vc_config_find_dsn(image_read, &im, &v), -ENODATA);
        CHECK(im.reads <= 480, "a two-step loop ends (%u reads)", im.reads);
        /* A next pointer into the standard header ends the walk. */
        put32(&im, 0x100, cap(0x0001, 0x40));
        CHECK_INT(vc_config_find_dsn(image_read, &im, &v), -ENODATA);

        /* Cut off: 64 bytes (what non-root reads), 256, and a serial at the very end. */
        memset(im.b, 0, sizeof(im.b));
        put32(&im, 0x100, cap(0x0001, 0x140));
        put32(&im, 0x140, cap(0x0003, 0));
        im.size = 64;
        CHECK_INT(vc_config_find_dsn(image_read, &im, &v), -ENODATA);
        im.size = 0x146;
        CHECK_INT(vc_config_find_dsn(image_read, &im, &v), -ENODATA);
        im.size = 4096;
        put32(&im, 0x100, cap(0x0001, 0xffc));
        put32(&im, 0xffc, cap(0x0003, 0));
        CHECK_INT(vc_config_find_dsn(image_read, &im, &v), -ENODATA);
        CHECK(v == 1, "a serial that would lie past 4096 bytes is none");
}

/* ---- twins told apart, on devices whose identity is known ---- */

#define TWIN(a, b, serial_, slot_, root_)                                                                              \
        {                                                                                                              \
                .addr = a, .bus = b, .vendor = 0x8086, .device = 0x10d3, .class = 0x020000, .group = -1,               \
                .ident_read = VC_IDENT_ALL, .has_serial = true, .serial = serial_, .slot_name = slot_,                 \
                .has_path = true, .path = {.domain = 0, .bus = 0, .n = 2, .slot = {root_, 0}, .func = {0, 0}},         \
        }

static const char *resolve(struct vc_dev *devs, size_t n, const char *text)
{
        static char out[256];
        struct vc_ctx *ctx = NULL;
        struct vc_config cfg = {0};
        struct vc_devlist l = {.devs = devs, .n = n};

        SETUP(vc_ctx_new("/nonexistent", &ctx));
        CHECK_INT(vc_config_add_line(ctx, &cfg, "t", text), 0);
        CHECK_INT(vc_resolve(ctx, &cfg, &l), 0);
        out[0] = 0;
        for (size_t i = 0; i < n; i++)
                if (devs[i].rule) {
                        if (out[0])
                                strcat(out, " ");
                        strcat(out, devs[i].addr + 5);
                }
        vc_config_clear(&cfg);
        vc_ctx_free(ctx);
        return out;
}

TEST(twins)
{
        struct vc_dev before[] = {
                TWIN("0000:01:00.0", 1, 0x525400ffff123456ull, "1", 0x1c),
                TWIN("0000:02:00.0", 2, 0x525400ffff123457ull, "2", 0x1d),
        };
        /* An extra card before them: both bus numbers move up by one. */
        struct vc_dev after[] = {
                TWIN("0000:02:00.0", 2, 0x525400ffff123456ull, "1", 0x1c),
                TWIN("0000:03:00.0", 3, 0x525400ffff123457ull, "2", 0x1d),
        };

        CHECK_STR(resolve(before, 2, "serial 52-54-00-ff-ff-12-34-57"), "02:00.0");
        CHECK_STR(resolve(after, 2, "serial 52-54-00-ff-ff-12-34-57"), "03:00.0");
        CHECK_STR(resolve(before, 2, "slot 1"), "01:00.0");
        CHECK_STR(resolve(after, 2, "slot 1"), "02:00.0");
        CHECK_STR(resolve(before, 2, "path 00:1d.0/00.0"), "02:00.0");
        CHECK_STR(resolve(after, 2, "path 00:1d.0/00.0"), "03:00.0");
        CHECK_STR(resolve(after, 2, "path 0000:00:1d.0/00"), "03:00.0");
        CHECK_STR(resolve(after, 2, "path 0001:00:1d.0/00"), "");
        CHECK_STR(resolve(after, 2, "path 00:1d.0"), "");
        /* With the other selectors: all must match. */
        CHECK_STR(resolve(after, 2, "id 8086:10d3 serial 52-54-00-ff-ff-12-34-56"), "02:00.0");
        CHECK_STR(resolve(after, 2, "id 8086:10d4 serial 52-54-00-ff-ff-12-34-56"), "");
        CHECK_STR(resolve(after, 2, "slot 2 serial 52-54-00-ff-ff-12-34-56"), "");
        CHECK_STR(resolve(after, 2, "id 8086:10d3"), "02:00.0 03:00.0");
        /* A device without the capability never matches a serial. */
        after[0].has_serial = false;
        CHECK_STR(resolve(after, 2, "serial 52-54-00-ff-ff-12-34-56"), "");
}

TEST(rule_syntax)
{
        struct vc_rule r;
        char *err = NULL;

        CHECK_INT(vc_rule_parse("serial 52-54-00-ff-ff-12-34-56 slot 3 path 00:1c.0/00.0 group", &r, &err), 0);
        CHECK(r.has_serial && r.has_physslot && r.has_path && r.group, "all three together");
        vc_rule_clear(&r);
        CHECK_INT(vc_rule_parse("serial 52-54-00-ff-ff-12-34-56 serial 52-54-00-ff-ff-12-34-57", &r, &err), -EINVAL);
        CHECK(err && strstr(err, "given twice"), "%s", err ? err : "(no message)");
        free(err);
        err = NULL;
        CHECK_INT(vc_rule_parse("serial 52:54:00:12:34:56", &r, &err), -EINVAL);
        CHECK(err && strstr(err, "serial '52:54:00:12:34:56'"), "%s", err ? err : "(no message)");
        free(err);
        err = NULL;
        CHECK_INT(vc_rule_parse("path", &r, &err), -EINVAL);
        free(err);
        err = NULL;
        CHECK_INT(vc_rule_parse("slot 1/2", &r, &err), -EINVAL);
        free(err);
}
