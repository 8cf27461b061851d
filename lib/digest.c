// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * SHA-256 (FIPS 180-4) and the digest of the configuration files, the one
 * algorithm behind "an image older than its configuration": the initramfs
 * build hooks record it through "vfio-claim check --digest", apply logs the
 * recorded one at boot, status compares it with today's.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "internal.h"

static const uint32_t K[64] = {
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
        0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
        0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
        0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
        0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
        0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
        0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static uint32_t ror(uint32_t x, unsigned n)
{
        return x >> n | x << (32 - n);
}

void vc_sha256_init(struct vc_sha256 *c)
{
        static const uint32_t h0[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                       0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};

        *c = (struct vc_sha256){0};
        memcpy(c->h, h0, sizeof(h0));
}

/* One 64-byte block (FIPS 180-4, 6.2.2). */
static void block(struct vc_sha256 *c, const uint8_t *p)
{
        uint32_t w[64], a, b, cc, d, e, f, g, h;

        for (unsigned t = 0; t < 16; t++)
                w[t] = (uint32_t)p[4 * t] << 24 | (uint32_t)p[4 * t + 1] << 16 | (uint32_t)p[4 * t + 2] << 8 |
                       p[4 * t + 3];
        for (unsigned t = 16; t < 64; t++) {
                uint32_t s0 = ror(w[t - 15], 7) ^ ror(w[t - 15], 18) ^ w[t - 15] >> 3;
                uint32_t s1 = ror(w[t - 2], 17) ^ ror(w[t - 2], 19) ^ w[t - 2] >> 10;

                w[t] = w[t - 16] + s0 + w[t - 7] + s1;
        }
        a = c->h[0], b = c->h[1], cc = c->h[2], d = c->h[3], e = c->h[4], f = c->h[5], g = c->h[6], h = c->h[7];
        for (unsigned t = 0; t < 64; t++) {
                uint32_t t1 = h + (ror(e, 6) ^ ror(e, 11) ^ ror(e, 25)) + ((e & f) ^ (~e & g)) + K[t] + w[t];
                uint32_t t2 = (ror(a, 2) ^ ror(a, 13) ^ ror(a, 22)) + ((a & b) ^ (a & cc) ^ (b & cc));

                h = g, g = f, f = e, e = d + t1, d = cc, cc = b, b = a, a = t1 + t2;
        }
        c->h[0] += a, c->h[1] += b, c->h[2] += cc, c->h[3] += d;
        c->h[4] += e, c->h[5] += f, c->h[6] += g, c->h[7] += h;
}

void vc_sha256_update(struct vc_sha256 *c, const void *data, size_t size)
{
        const uint8_t *p = data;

        c->bytes += size;
        while (size > 0) {
                size_t n = sizeof(c->buf) - c->fill;

                if (n > size)
                        n = size;
                memcpy(c->buf + c->fill, p, n);
                c->fill += n;
                p += n;
                size -= n;
                if (c->fill == sizeof(c->buf)) {
                        block(c, c->buf);
                        c->fill = 0;
                }
        }
}

void vc_sha256_final(struct vc_sha256 *c, uint8_t ret[VC_SHA256_SIZE])
{
        uint64_t bits = c->bytes * 8;
        uint8_t len[8];

        /* 0x80, zeros up to 56 mod 64, the length in bits, big-endian. */
        c->buf[c->fill++] = 0x80;
        if (c->fill > 56) {
                memset(c->buf + c->fill, 0, sizeof(c->buf) - c->fill);
                block(c, c->buf);
                c->fill = 0;
        }
        memset(c->buf + c->fill, 0, 56 - c->fill);
        for (unsigned i = 0; i < 8; i++)
                len[i] = (uint8_t)(bits >> (56 - 8 * i));
        memcpy(c->buf + 56, len, 8);
        block(c, c->buf);
        for (unsigned i = 0; i < 8; i++) {
                ret[4 * i] = (uint8_t)(c->h[i] >> 24);
                ret[4 * i + 1] = (uint8_t)(c->h[i] >> 16);
                ret[4 * i + 2] = (uint8_t)(c->h[i] >> 8);
                ret[4 * i + 3] = (uint8_t)c->h[i];
        }
}

void vc_sha256_hex(const uint8_t d[VC_SHA256_SIZE], char ret[VC_SHA256_SIZE * 2 + 1])
{
        static const char hex[] = "0123456789abcdef";

        for (unsigned i = 0; i < VC_SHA256_SIZE; i++) {
                ret[2 * i] = hex[d[i] >> 4];
                ret[2 * i + 1] = hex[d[i] & 15];
        }
        ret[VC_SHA256_SIZE * 2] = 0;
}

/* NAME NUL LENGTH NUL BYTES, or NAME NUL "absent" NUL for a main file that is not there. */
static int digest_file(struct vc_sha256 *c, const char *path, const char *name, bool missing_ok)
{
        _cleanup_free_ char *text = NULL;
        char len[32];
        size_t size;
        int r;

        r = vc_read_file(path, VC_CONFIG_MAX, &text, &size);
        if (r == -ENOENT && missing_ok) {
                vc_sha256_update(c, name, strlen(name) + 1);
                vc_sha256_update(c, "absent", sizeof("absent"));
                return 0;
        }
        if (r < 0)
                return r;
        snprintf(len, sizeof(len), "%zu", size);
        vc_sha256_update(c, name, strlen(name) + 1);
        vc_sha256_update(c, len, strlen(len) + 1);
        vc_sha256_update(c, text, size);
        return 0;
}

int vc_config_digest(const char *dir, const char *main_name, const char *dropin_name, char ret[VC_CONFIG_DIGEST_MAX])
{
        struct dirent **names = NULL;
        struct vc_sha256 c;
        uint8_t d[VC_SHA256_SIZE];
        char path[4096], hex[VC_SHA256_SIZE * 2 + 1];
        int n = 0, r;

        vc_sha256_init(&c);
        r = vc_path(path, sizeof(path), "%s/%s", dir, main_name);
        if (r >= 0)
                r = digest_file(&c, path, main_name, true);
        if (r >= 0)
                r = vc_path(path, sizeof(path), "%s/%s", dir, dropin_name);
        if (r < 0)
                return r;
        /* The drop-ins as vc_config_load() reads them: *.conf in byte order;
         * no directory is no drop-in. */
        n = scandir(path, &names, vc_config_filter_conf, vc_config_cmp_names);
        if (n < 0 && errno != ENOENT)
                return negative_errno();
        for (int i = 0; i < n; i++) {
                char file[4096], name[4096];

                if (r >= 0)
                        r = vc_path(file, sizeof(file), "%s/%s", path, names[i]->d_name);
                if (r >= 0)
                        r = vc_path(name, sizeof(name), "%s/%s", dropin_name, names[i]->d_name);
                if (r >= 0)
                        r = digest_file(&c, file, name, false);
                free(names[i]);
        }
        free(names);
        if (r < 0)
                return r;
        vc_sha256_final(&c, d);
        vc_sha256_hex(d, hex);
        snprintf(ret, VC_CONFIG_DIGEST_MAX, "sha256:%s", hex);
        return 0;
}

bool vc_config_digest_valid(const char *s, size_t len)
{
        if (len != VC_CONFIG_DIGEST_MAX - 1 || strncmp(s, "sha256:", 7) != 0)
                return false;
        for (size_t i = 7; i < len; i++)
                if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
                        return false;
        return true;
}
