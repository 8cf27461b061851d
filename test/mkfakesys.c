// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * mkfakesys: build a fake sysfs tree from a text spec, for reproducing a bug
 * report by hand and for the VM and property tests:
 *
 *   printf '%s\n' 'driver vfio-pci' \
 *          'dev 0000:00:1f.2 8086:2922 1af4:1100 010601 driver=ahci group=3' |
 *       mkfakesys /tmp/sys
 *   vfio-claim --sysfs /tmp/sys --config my.conf check
 *
 * mkfakesys --dump DIR prints every entry of a tree (path, mode, content or
 * link target), in path order, so that two trees can be compared with diff.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fakesys.h"

static void help(void)
{
        printf("Usage: mkfakesys [-f SPEC] DIR     build a fake sysfs tree in DIR (new or empty) from SPEC (default "
               "stdin)\n"
               "       mkfakesys --dump DIR        print every entry of the tree in DIR\n\n"
               "Spec lines ('#' starts a comment):\n"
               "  driver NAME\n"
               "  dev ADDR VVVV:DDDD [SVVV:SDDD] CCCCCC [driver=NAME] [group=N] [boot_vga=0|1]\n"
               "      [parent=BRIDGE-ADDR] [override=NAME] [serial=XX-XX-XX-XX-XX-XX-XX-XX]\n"
               "      [slot=NAME] [config=BYTES] [sriov=TOTAL[,OFFSET,STRIDE]] [reset=METHODS]\n"
               "  block ADDR|- NAME|DISK/PART MAJ:MIN [slave=NAME]...\n"
               "  noiommu                         (no kernel/iommu_groups at all)\n"
               "  write RELPATH TEXT...           (TEXT and a newline into RELPATH)\n"
               "Example:\n"
               "  dev 0000:00:1f.2 8086:2922 1af4:1100 010601 driver=ahci group=3\n"
               "  dev 0000:00:01.0 8086:29c1 060400 driver=pcieport group=1\n"
               "  dev 0000:01:00.0 10de:1b80 030000 driver=nouveau group=1 parent=0000:00:01.0 boot_vga=0\n"
               "  block 0000:00:1f.2 sda 8:0\n"
               "  block - sda/sda1 8:1\n");
}

static char *read_all(FILE *f)
{
        size_t size = 0, alloc = 4096;
        char *buf = malloc(alloc);

        if (!buf)
                return NULL;
        for (;;) {
                size_t k = fread(buf + size, 1, alloc - size - 1, f);

                size += k;
                if (size + 1 >= alloc) {
                        char *p = realloc(buf, alloc * 2);

                        if (!p) {
                                free(buf);
                                return NULL;
                        }
                        buf = p;
                        alloc *= 2;
                }
                if (k == 0)
                        break;
        }
        if (ferror(f)) {
                free(buf);
                return NULL;
        }
        buf[size] = 0;
        return buf;
}

static void dump_text(const char *s, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                unsigned char c = (unsigned char)s[i];

                if (c == '\n')
                        fputs("\\n", stdout);
                else if (c == '\\')
                        fputs("\\\\", stdout);
                else if (c < 0x20 || c >= 0x7f)
                        printf("\\x%02x", c);
                else
                        putchar(c);
        }
}

static int dump(const char *dir)
{
        struct fakesys *fs;
        struct fakesys_snapshot s;
        struct stat st;
        int r;

        if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
                fprintf(stderr, "mkfakesys: %s: not a directory\n", dir);
                return 1;
        }
        r = fakesys_new_at(dir, &fs);
        if (r >= 0) {
                r = fakesys_snapshot(fs, &s);
                fakesys_free(fs);
        }
        if (r < 0) {
                fprintf(stderr, "mkfakesys: %s: %s\n", dir, strerror(-r));
                return 1;
        }
        for (size_t i = 0; i < s.n; i++) {
                const struct fakesys_entry *e = &s.entries[i];

                printf("%s %04o ", e->path, (unsigned)(e->mode & 07777));
                if (S_ISDIR(e->mode))
                        printf("dir\n");
                else if (S_ISLNK(e->mode))
                        printf("-> %s\n", e->data);
                else if (S_ISFIFO(e->mode))
                        printf("fifo\n");
                else {
                        printf("\"");
                        dump_text(e->data, e->size);
                        printf("\"\n");
                }
        }
        fakesys_snapshot_clear(&s);
        return 0;
}

int main(int argc, char *argv[])
{
        static const struct option options[] = {
                {"file", required_argument, NULL, 'f'},
                {"dump", no_argument, NULL, 'd'},
                {"help", no_argument, NULL, 'h'},
                {},
        };
        const char *spec_file = NULL;
        bool do_dump = false;
        struct fakesys *fs;
        char *spec;
        unsigned line = 0;
        FILE *f = stdin;
        int c, r;

        while ((c = getopt_long(argc, argv, "f:dh", options, NULL)) >= 0) {
                switch (c) {
                case 'f':
                        spec_file = optarg;
                        break;
                case 'd':
                        do_dump = true;
                        break;
                case 'h':
                        help();
                        return 0;
                default:
                        return 2;
                }
        }
        if (optind + 1 != argc) {
                fprintf(stderr, "mkfakesys: expected one directory; try --help\n");
                return 2;
        }
        if (do_dump)
                return dump(argv[optind]);
        if (spec_file) {
                f = fopen(spec_file, "re");
                if (!f) {
                        fprintf(stderr, "mkfakesys: %s: %m\n", spec_file);
                        return 1;
                }
        }
        spec = read_all(f);
        if (f != stdin)
                fclose(f);
        if (!spec) {
                fprintf(stderr, "mkfakesys: cannot read the spec\n");
                return 1;
        }
        r = fakesys_new_at(argv[optind], &fs);
        if (r < 0) {
                fprintf(stderr, "mkfakesys: %s: %s\n", argv[optind], strerror(-r));
                free(spec);
                return 1;
        }
        r = fakesys_apply_spec(fs, spec, &line);
        fakesys_free(fs);
        free(spec);
        if (r < 0) {
                fprintf(stderr, "mkfakesys: %s:%u: %s\n", spec_file ? spec_file : "<stdin>", line,
                        r == -EINVAL ? "invalid statement" : strerror(-r));
                return 1;
        }
        return 0;
}
