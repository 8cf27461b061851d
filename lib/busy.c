// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Which PCI devices carry a mounted filesystem or active swap: each block
 * device's sysfs path runs through its PCI ancestors, and device-mapper or md
 * devices lead to theirs through slaves/. Claiming such a device takes the
 * disk away from under the system.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "macro.h"
#include "internal.h"

#define SLAVE_DEPTH_MAX 8

struct busy_walk {
        struct vc_ctx *ctx;
        const struct vc_devlist *devs;
        vc_busy_fn fn;
        void *userdata;
        bool *reported; /* per device, so that one mount is named once per device */
};

/* Reports every PCI device whose address is a component of the block device's path. */
static void walk_block_dir(struct busy_walk *w, const char *dir, const char *what, unsigned depth)
{
        char real[PATH_MAX], path[PATH_MAX];
        _cleanup_closedir_ DIR *d = NULL;
        struct dirent *de;

        if (depth > SLAVE_DEPTH_MAX || !realpath(dir, real))
                return;
        for (char *save = NULL, *c = strtok_r(real, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
                struct vc_dev *dev;

                if (!vc_addr_parse(c, NULL, NULL, NULL, NULL))
                        continue;
                dev = vc_devlist_find(w->devs, c);
                if (dev && !w->reported[dev - w->devs->devs]) {
                        w->reported[dev - w->devs->devs] = true;
                        w->fn(w->userdata, dev, what);
                }
        }
        if (vc_path(path, sizeof(path), "%s/slaves", dir) < 0)
                return;
        d = opendir(path);
        if (!d)
                return;
        while ((de = readdir(d))) {
                char sub[PATH_MAX];

                if (de->d_name[0] == '.')
                        continue;
                if (vc_path(sub, sizeof(sub), "%s/slaves/%s", dir, de->d_name) >= 0)
                        walk_block_dir(w, sub, what, depth + 1);
        }
}

static void walk_devnum(struct busy_walk *w, dev_t devnum, const char *what)
{
        char dir[PATH_MAX];

        memset(w->reported, 0, w->devs->n * sizeof(bool));
        if (vc_path(dir, sizeof(dir), "%s/dev/block/%u:%u", w->ctx->sysfs, major(devnum), minor(devnum)) >= 0)
                walk_block_dir(w, dir, what, 0);
}

/* Undoes the octal escapes (\040 for a space) of mountinfo and swaps fields. */
static void unescape(char *s)
{
        char *o = s;

        for (; *s; s++) {
                if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' && s[3] >= '0' &&
                    s[3] <= '7') {
                        *o++ = (char)((s[1] - '0') << 6 | (s[2] - '0') << 3 | (s[3] - '0'));
                        s += 3;
                } else
                        *o++ = *s;
        }
        *o = 0;
}

static void scan_mountinfo(struct busy_walk *w, char *text)
{
        char *save = NULL;

        for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                unsigned maj, min;
                char mnt[PATH_MAX], src[PATH_MAX], what[PATH_MAX + 16];
                const char *sep;
                struct stat st;

                /* "36 35 98:0 /mnt1 /mnt/parent rw,noatime master:1 - ext3 /dev/root rw" */
                if (sscanf(line, "%*u %*u %u:%u %*s %4095s", &maj, &min, mnt) != 3)
                        continue;
                sep = strstr(line, " - ");
                if (!sep || sscanf(sep + 3, "%*s %4095s", src) != 1)
                        src[0] = 0;
                unescape(mnt);
                unescape(src);
                if (vc_path(what, sizeof(what), "the filesystem mounted on %s", mnt) < 0)
                        continue;
                /* btrfs and friends show an anonymous device number: the source names the disk. */
                if (maj == 0 && src[0] == '/' && stat(src, &st) == 0 && S_ISBLK(st.st_mode))
                        walk_devnum(w, st.st_rdev, what);
                else if (maj != 0)
                        walk_devnum(w, makedev(maj, min), what);
        }
}

static void scan_swaps(struct busy_walk *w, char *text)
{
        char *save = NULL;
        bool header = true;

        for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                char name[PATH_MAX], what[PATH_MAX + 16];
                struct stat st;

                if (header) {
                        header = false;
                        continue;
                }
                if (sscanf(line, "%4095s", name) != 1)
                        continue;
                unescape(name);
                if (vc_path(what, sizeof(what), "active swap on %s", name) < 0 || stat(name, &st) < 0)
                        continue;
                walk_devnum(w, S_ISBLK(st.st_mode) ? st.st_rdev : st.st_dev, what);
        }
}

int vc_find_busy(struct vc_ctx *ctx, const char *proc, const struct vc_devlist *devs, vc_busy_fn fn,
                 void *userdata)
{
        _cleanup_free_ bool *reported = calloc(devs->n + 1, sizeof(bool));
        struct busy_walk w = { ctx, devs, fn, userdata, reported };
        char path[PATH_MAX];
        int r;

        if (!reported)
                return -ENOMEM;
        r = vc_path(path, sizeof(path), "%s/self/mountinfo", proc);
        if (r >= 0) {
                _cleanup_free_ char *text = NULL;

                r = vc_read_file(path, 4 * 1024 * 1024, &text, NULL);
                if (r < 0)
                        return r;
                scan_mountinfo(&w, text);
        }
        r = vc_path(path, sizeof(path), "%s/swaps", proc);
        if (r >= 0) {
                _cleanup_free_ char *text = NULL;

                /* No /proc/swaps (CONFIG_SWAP=n) is no swap. */
                if (vc_read_file(path, 1024 * 1024, &text, NULL) >= 0)
                        scan_swaps(&w, text);
        }
        return 0;
}
