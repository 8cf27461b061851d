// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * SHA-256 against FIPS 180-4's examples, and vc_config_digest(): its input
 * as documented (name, NUL, length, NUL, bytes per file, the main file
 * first, the drop-ins in byte order) and what changes it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "internal.h"

static void sha256_hex(const void *data, size_t size, char hex[VC_SHA256_SIZE * 2 + 1])
{
        struct vc_sha256 c;
        uint8_t d[VC_SHA256_SIZE];

        vc_sha256_init(&c);
        vc_sha256_update(&c, data, size);
        vc_sha256_final(&c, d);
        vc_sha256_hex(d, hex);
}

/* FIPS 180-4 examples (NIST's "SHA256.pdf", CSRC example values) and the empty string. */
TEST(fips_vectors)
{
        char hex[VC_SHA256_SIZE * 2 + 1];
        static const char two_blocks[] = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";

        sha256_hex("abc", 3, hex);
        CHECK_STR(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        sha256_hex("", 0, hex);
        CHECK_STR(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
        sha256_hex(two_blocks, strlen(two_blocks), hex);
        CHECK_STR(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

/* A million 'a', fed in uneven pieces: the buffering across blocks. */
TEST(million_a_in_pieces)
{
        struct vc_sha256 c;
        uint8_t d[VC_SHA256_SIZE];
        char hex[VC_SHA256_SIZE * 2 + 1], a[1024];
        size_t left = 1000000, step = 1;

        memset(a, 'a', sizeof(a));
        vc_sha256_init(&c);
        while (left > 0) {
                size_t n = step < left ? step : left;

                vc_sha256_update(&c, a, n);
                left -= n;
                step = step % 997 + 7;
        }
        vc_sha256_final(&c, d);
        vc_sha256_hex(d, hex);
        CHECK_STR(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

/* 55, 56 and 64 bytes: the padding's edge cases (one or two final blocks). */
TEST(padding_edges)
{
        char hex[VC_SHA256_SIZE * 2 + 1], a[64];

        memset(a, 'a', sizeof(a));
        sha256_hex(a, 55, hex);
        CHECK_STR(hex, "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318");
        sha256_hex(a, 56, hex);
        CHECK_STR(hex, "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a");
        sha256_hex(a, 64, hex);
        CHECK_STR(hex, "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb");
}

static char tmpdir[] = "/tmp/test-digest.XXXXXX";

static void put(const char *rel, const char *text)
{
        char path[600];
        FILE *f;

        snprintf(path, sizeof(path), "%s/%s", tmpdir, rel);
        f = fopen(path, "w");
        SETUP(f ? 0 : -errno);
        fputs(text, f);
        fclose(f);
}

static void drop(const char *rel)
{
        char path[600];

        snprintf(path, sizeof(path), "%s/%s", tmpdir, rel);
        SETUP(unlink(path) < 0 ? -errno : 0);
}

static void digest(char ret[VC_CONFIG_DIGEST_MAX])
{
        int k = vc_config_digest(tmpdir, "vfio-claim.conf", "vfio-claim.d", ret);

        CHECK_INT(k, 0);
        if (k < 0)
                ret[0] = 0;
}

TEST(config_digest)
{
        char d0[VC_CONFIG_DIGEST_MAX], d[VC_CONFIG_DIGEST_MAX], prev[VC_CONFIG_DIGEST_MAX], dir[600];
        char want[VC_CONFIG_DIGEST_MAX] = "sha256:", hex[VC_SHA256_SIZE * 2 + 1], *cmd;
        static const char input[] = "vfio-claim.conf\0"
                                    "16\0"
                                    "address 01:00.0\n"
                                    "vfio-claim.d/a.conf\0"
                                    "3\0"
                                    "x\ny"
                                    "vfio-claim.d/b.conf\0"
                                    "0\0";
        static const char absent[] = "vfio-claim.conf\0absent\0";

        SETUP(mkdtemp(tmpdir) ? 0 : -errno);

        /* Nothing at all: the main file "absent", no drop-in directory. */
        digest(d0);
        sha256_hex(absent, sizeof(absent) - 1, hex);
        CHECK_STR(d0 + 7, hex);
        CHECK(vc_config_digest_valid(d0, strlen(d0)), "sha256: and 64 hex digits: %s", d0);

        /* The documented input, byte for byte: main file, then drop-ins in byte order. */
        snprintf(dir, sizeof(dir), "%s/vfio-claim.d", tmpdir);
        SETUP(mkdir(dir, 0755) < 0 ? -errno : 0);
        digest(d);
        CHECK_STR(d, d0); /* an empty drop-in directory is none */
        put("vfio-claim.conf", "address 01:00.0\n");
        put("vfio-claim.d/b.conf", "");
        put("vfio-claim.d/a.conf", "x\ny");
        put("vfio-claim.d/c.conf.dpkg-old", "ignored");
        put("vfio-claim.d/.hidden.conf", "ignored");
        digest(d);
        sha256_hex(input, sizeof(input) - 1, hex);
        strcat(want, hex);
        CHECK_STR(d, want);

        /* Each change changes it. */
        snprintf(prev, sizeof(prev), "%s", d);
        put("vfio-claim.d/a.conf", "x\nz");
        digest(d);
        CHECK(strcmp(d, prev) != 0, "an edit of a drop-in changes the digest");
        snprintf(prev, sizeof(prev), "%s", d);
        put("vfio-claim.d/d.conf", "");
        digest(d);
        CHECK(strcmp(d, prev) != 0, "an added empty drop-in changes the digest");
        snprintf(prev, sizeof(prev), "%s", d);
        drop("vfio-claim.d/d.conf");
        put("vfio-claim.d/e.conf", "");
        digest(d);
        CHECK(strcmp(d, prev) != 0, "a renamed drop-in changes the digest");
        snprintf(prev, sizeof(prev), "%s", d);
        drop("vfio-claim.d/e.conf");
        drop("vfio-claim.d/b.conf");
        digest(d);
        CHECK(strcmp(d, prev) != 0, "a removed drop-in changes the digest");
        snprintf(prev, sizeof(prev), "%s", d);
        put("vfio-claim.conf", "");
        digest(d);
        CHECK(strcmp(d, prev) != 0, "an emptied main file changes the digest");
        snprintf(prev, sizeof(prev), "%s", d);
        drop("vfio-claim.conf");
        digest(d);
        CHECK(strcmp(d, prev) != 0, "an empty main file and none differ");
        snprintf(prev, sizeof(prev), "%s", d);
        put("vfio-claim.d/c.conf.dpkg-old", "changed");
        digest(d);
        CHECK_STR(d, prev); /* not read by the program: not part of it */

        /* The bytes move between files: the lengths keep them apart. */
        put("vfio-claim.d/a.conf", "ab");
        put("vfio-claim.d/b.conf", "c");
        digest(prev);
        put("vfio-claim.d/a.conf", "a");
        put("vfio-claim.d/b.conf", "bc");
        digest(d);
        CHECK(strcmp(d, prev) != 0, "the same bytes split otherwise between two files differ");

        /* A drop-in that cannot be read: its error, no digest. */
        snprintf(dir, sizeof(dir), "%s/vfio-claim.d/f.conf", tmpdir);
        SETUP(mkdir(dir, 0755) < 0 ? -errno : 0);
        CHECK_INT(vc_config_digest(tmpdir, "vfio-claim.conf", "vfio-claim.d", d), -EISDIR);
        SETUP(rmdir(dir) < 0 ? -errno : 0);

        CHECK(!vc_config_digest_valid("sha256:0123", 11));
        CHECK(!vc_config_digest_valid(want, strlen(want) - 1));
        want[10] = 'G';
        CHECK(!vc_config_digest_valid(want, strlen(want)));
        cmd = xasprintf("rm -rf '%s'", tmpdir);
        (void)!system(cmd);
        free(cmd);
}
