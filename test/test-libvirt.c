// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vfio-claim check against libvirt's domain definitions (issue #21, item 3):
 * fixtures in ROOT/etc/libvirt/qemu/ of a scratch root (check --root), the
 * fake machine of tenv_machine(). A PCI hostdev with managed='yes' on a
 * device a rule claims is a warning (libvirt rebinds it to its host driver
 * when the VM stops); one that is not managed='yes' on a device no rule
 * claims is a warning with the rule to add (the domain will not start); a
 * file that cannot be read or parsed is named, and the others still read.
 * Warnings only: check exits 0. check never writes: every run also
 * compares the whole tree before and after.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"

TEST_NEEDS_BINARY()

struct run {
        struct tenv *e;
        struct result r;
        char *qemu; /* ROOT/etc/libvirt/qemu */
};

static void start(struct run *x, const char *config)
{
        *x = (struct run){.e = tenv_new()};
        tenv_machine(x->e);
        tenv_config(x->e, config);
        x->qemu = xasprintf("%s/etc/libvirt/qemu", x->e->dir);
}

static char *domain_file(struct run *x, const char *file, const char *xml)
{
        char *rel = xasprintf("etc/libvirt/qemu/%s", file), *p = tenv_file(x->e, rel, xml);

        free(rel);
        return p;
}

/* check --root DIR (and a second argument); nothing written. */
static void check_run(struct run *x, const char *extra)
{
        struct fakesys_snapshot before = {0}, after = {0};

        result_clear(&x->r);
        tsnap(x->e, &before);
        if (extra)
                tenv_run(x->e, &x->r, extra, "check", "--root", x->e->dir, NULL);
        else
                tenv_run(x->e, &x->r, "check", "--root", x->e->dir, NULL);
        tsnap(x->e, &after);
        CHECK_CHANGES(x->e, &before, &after, "check writes nothing", NULL);
        fakesys_snapshot_clear(&before);
        fakesys_snapshot_clear(&after);
}

static void finish(struct run *x)
{
        result_clear(&x->r);
        free(x->qemu);
        tenv_free(x->e);
}

/* A domain as libvirt writes it (virsh define of virt-manager's XML), with the
 * hostdevs given; every hostdev has a guest <address> too. */
static char *domain_xml(const char *name, const char *hostdevs)
{
        return xasprintf("<!--\n"
                         "WARNING: THIS IS AN AUTO-GENERATED FILE. CHANGES TO IT ARE LIKELY TO BE\n"
                         "OVERWRITTEN AND LOST. Changes to this xml configuration should be made using:\n"
                         "  virsh edit %s\n"
                         "or other application using the libvirt API.\n"
                         "-->\n"
                         "\n"
                         "<domain type='kvm'>\n"
                         "  <name>%s</name>\n"
                         "  <uuid>5d0ef7a4-93b1-4c4e-9d5e-1b2f0c6e8a11</uuid>\n"
                         "  <memory unit='KiB'>4194304</memory>\n"
                         "  <os>\n"
                         "    <type arch='x86_64' machine='pc-q35-7.2'>hvm</type>\n"
                         "  </os>\n"
                         "  <devices>\n"
                         "    <emulator>/usr/bin/qemu-system-x86_64</emulator>\n"
                         "    <disk type='file' device='disk'>\n"
                         "      <driver name='qemu' type='qcow2'/>\n"
                         "      <source file='/var/lib/libvirt/images/%s.qcow2'/>\n"
                         "      <target dev='vda' bus='virtio'/>\n"
                         "      <address type='pci' domain='0x0000' bus='0x04' slot='0x00' function='0x0'/>\n"
                         "    </disk>\n"
                         "%s"
                         "  </devices>\n"
                         "</domain>\n",
                         name, name, name, hostdevs);
}

/* One PCI hostdev: managed ("yes", "no", NULL: no attribute), the host address
 * attributes as written, the guest's address in the guest's bus gbus. */
static char *hostdev(const char *managed, const char *host, const char *gbus)
{
        char *m = managed ? xasprintf(" managed='%s'", managed) : xasprintf("%s", "");
        char *s = xasprintf("    <hostdev mode='subsystem' type='pci'%s>\n"
                            "      <source>\n"
                            "        <address %s/>\n"
                            "      </source>\n"
                            "      <address type='pci' domain='0x0000' bus='%s' slot='0x00' function='0x0'/>\n"
                            "    </hostdev>\n",
                            m, host, gbus);

        free(m);
        return s;
}

static void write_domain(struct run *x, const char *file, const char *name, char *hostdevs)
{
        char *xml = domain_xml(name, hostdevs);

        free(domain_file(x, file, xml));
        free(xml);
        free(hostdevs);
}

#define H_0300 "domain='0x0000' bus='0x00' slot='0x03' function='0x0'"
#define H_0200 "domain='0x0000' bus='0x02' slot='0x00' function='0x0'"
/* The guest address that is the host's 02:00.0: a reader taking the guest's
 * <address> for the host's finds the wrong device. */
#define G_02 "0x02"

TEST(managed_yes)
{
        struct run x;
        char *m;

        start(&x, "address 00:03.0\n");
        write_domain(&x, "win10.xml", "win10", hostdev("yes", H_0300, G_02));
        check_run(&x, NULL);
        CHECK_RUN(&x.r, x.r.code == 0, "a managed hostdev on a claimed device is a warning: exit 0");
        m = xasprintf("warning: libvirt domain 'win10' (%s/win10.xml:23): hostdev 0000:00:03.0 [8086:2922] is "
                      "managed='yes', and %s:1 claims it: libvirt gives it back to its host driver when that VM "
                      "stops, until the next boot; set managed='no' on that <hostdev> (virsh edit win10)",
                      x.qemu, x.e->config);
        CHECK_RUN(&x.r, contains(x.r.err, m), "names the domain, the file and line, the device and the rule");
        free(m);
        CHECK_RUN(&x.r, count(x.r.err, "libvirt domain") == 1, "one warning, for the host address only");
        CHECK_RUN(&x.r, contains(x.r.out, "0 error(s), 1 warning(s)"), "counted as a warning");

        /* Not claimed, managed: libvirt detaches it itself; nothing to say. */
        tenv_config(x.e, "address 00:1f.2 id 1234:5678\n");
        check_run(&x, NULL);
        CHECK_RUN(&x.r, !contains(x.r.err, "libvirt domain"), "a managed hostdev no rule claims: no warning");

        /* --json: the warning is among the messages. */
        tenv_config(x.e, "address 00:03.0\n");
        check_run(&x, "--json");
        {
                const char *err = NULL;
                struct json *j = json_parse(x.r.out, &err);
                const struct json *w = j ? json_path(j, "warnings") : NULL;

                CHECK_RUN(&x.r, x.r.code == 0 && w && w->type == JSON_NUMBER && w->num == 1, "--json: one warning (%s)",
                          err ? err : "parsed");
                CHECK_RUN(&x.r, contains(x.r.out, "libvirt domain 'win10'"), "--json: the message is in the document");
                json_free(j);
        }
        finish(&x);
}

TEST(managed_no_and_absent)
{
        struct run x;
        char *m;

        start(&x, "address 00:03.0\n");
        /* Claimed and unmanaged: what boot-time claiming needs; nothing to say. */
        write_domain(&x, "a.xml", "nas", hostdev("no", H_0300, G_02));
        check_run(&x, NULL);
        CHECK_RUN(&x.r, x.r.code == 0 && !contains(x.r.err, "libvirt domain"),
                  "managed='no' on a claimed device: no warning");
        write_domain(&x, "a.xml", "nas", hostdev(NULL, H_0300, G_02));
        check_run(&x, NULL);
        CHECK_RUN(&x.r, x.r.code == 0 && !contains(x.r.err, "libvirt domain"),
                  "no managed attribute on a claimed device: no warning (libvirt's default is 'no')");

        /* Not claimed: the domain will not start. */
        write_domain(&x, "a.xml", "nas", hostdev("no", H_0200, "0x00"));
        check_run(&x, NULL);
        m = xasprintf("warning: libvirt domain 'nas' (%s/a.xml:23): hostdev 0000:02:00.0 [8086:2922] is "
                      "managed='no', and no rule claims it: the domain will not start (the device is on ahci); "
                      "add the rule: address 0000:02:00.0 id 8086:2922",
                      x.qemu);
        CHECK_RUN(&x.r, x.r.code == 0 && contains(x.r.err, m),
                  "managed='no', not claimed: warns, with the rule to add");
        free(m);
        write_domain(&x, "a.xml", "nas", hostdev(NULL, H_0200, "0x00"));
        check_run(&x, NULL);
        m = xasprintf("warning: libvirt domain 'nas' (%s/a.xml:23): hostdev 0000:02:00.0 [8086:2922] has no managed "
                      "attribute (libvirt's default is managed='no'), and no rule claims it: the domain will not "
                      "start (the device is on ahci); add the rule: address 0000:02:00.0 id 8086:2922",
                      x.qemu);
        CHECK_RUN(&x.r, x.r.code == 0 && contains(x.r.err, m), "no managed attribute, not claimed: the same warning");
        free(m);

        /* The rule it names is one check takes, and then the warning is gone. */
        tenv_config(x.e, "address 00:03.0\naddress 0000:02:00.0 id 8086:2922\n");
        check_run(&x, NULL);
        CHECK_RUN(&x.r, x.r.code == 0 && !contains(x.r.err, "libvirt domain") && contains(x.r.out, "0 warning(s)"),
                  "with the rule it names added: clean");

        /* A device that is not there at all. */
        write_domain(&x, "a.xml", "nas", hostdev("no", "domain='0' bus='9' slot='0' function='0'", "0x00"));
        check_run(&x, NULL);
        m = xasprintf("warning: libvirt domain 'nas' (%s/a.xml:23): hostdev 0000:09:00.0 is managed='no', and there "
                      "is no such PCI device: the domain will not start",
                      x.qemu);
        CHECK_RUN(&x.r, contains(x.r.err, m), "a hostdev of a device that is not there");
        free(m);
        finish(&x);
}

TEST(several_hostdevs)
{
        struct run x;
        char *all, *m, *h[5];

        start(&x, "address 00:03.0\naddress 01:00.0 group\n");
        /* In one domain: the GPU and its audio (claimed through 'group'), managed
         * (two warnings); 02:00.0 in decimal and double quotes, unmanaged, not
         * claimed (a warning); 00:1f.2 managed, not claimed (nothing); 00:03.0
         * unmanaged, claimed (nothing); a commented-out hostdev (nothing); a USB
         * hostdev whose source <address bus= device=> a PCI reader would take
         * for 0000:03:00.0, a device that is not there (nothing). */
        h[0] = hostdev("yes", "domain='0x0000' bus='0x01' slot='0x00' function='0x0'", "0x05");
        h[1] = hostdev("yes", "domain='0x0000' bus='0x01' slot='0x00' function='0x1'", "0x06");
        h[2] = hostdev("yes", "domain='0x0000' bus='0x00' slot='0x1f' function='0x2'", "0x07");
        h[3] = hostdev("no", H_0300, "0x08");
        h[4] = NULL;
        all = xasprintf(
                "%s%s%s%s%s%s%s", h[0], h[1],
                "    <hostdev mode=\"subsystem\" type=\"pci\" managed=\"no\">\n"
                "      <driver name=\"vfio\"/>\n"
                "      <source>\n"
                "        <address domain=\"0\" bus=\"2\" slot=\"0\" function=\"0\"/>\n"
                "      </source>\n"
                "      <rom bar=\"off\"/>\n"
                "    </hostdev>\n",
                h[2], h[3],
                "    <!-- <hostdev mode='subsystem' type='pci' managed='no'><source>\n"
                "      <address domain='0x0000' bus='0x00' slot='0x04' function='0x0'/></source></hostdev> -->\n",
                "    <hostdev mode='subsystem' type='usb' managed='no'>\n"
                "      <source>\n"
                "        <vendor id='0x1234'/>\n"
                "        <product id='0xbeef'/>\n"
                "        <address bus='3' device='2'/>\n"
                "      </source>\n"
                "    </hostdev>\n");
        for (size_t i = 0; h[i]; i++)
                free(h[i]);
        write_domain(&x, "gaming.xml", "gaming", all);
        check_run(&x, NULL);
        CHECK_RUN(&x.r, x.r.code == 0, "warnings only: exit 0");
        CHECK_RUN(&x.r, count(x.r.err, "libvirt domain 'gaming'") == 3, "three warnings, one per hostdev concerned");
        CHECK_RUN(&x.r,
                  count_lines_with(x.r.err, "hostdev 0000:01:00.0 [10de:1b80] is managed='yes'", ":2 claims it",
                                   NULL) == 1 &&
                          count_lines_with(x.r.err, "hostdev 0000:01:00.1 [10de:10f0] is managed='yes'", ":2 claims it",
                                           NULL) == 1,
                  "the GPU and its audio function, each with the rule that claims it");
        m = xasprintf("(%s/gaming.xml:35): hostdev 0000:02:00.0 [8086:2922] is managed='no', and no rule claims it",
                      x.qemu);
        CHECK_RUN(&x.r, contains(x.r.err, m), "decimal values in double quotes: read, with the line of its <hostdev>");
        free(m);
        CHECK_RUN(&x.r, !contains(x.r.err, "0000:00:1f.2") && !contains(x.r.err, "0000:00:04.0"),
                  "nothing for a managed unclaimed device or a commented-out hostdev");
        CHECK_RUN(&x.r, !contains(x.r.err, "0000:03:00.0"), "the USB hostdev is not read as a PCI one");
        CHECK_RUN(&x.r, contains(x.r.out, "0 error(s), 3 warning(s)"), "counted as three warnings");
        finish(&x);
}

/* Every way a file can be broken; each is named, and the good file after them still read. */
TEST(bad_files)
{
        static const struct {
                const char *file, *xml, *reason;
        } bad[] = {
                {"a-truncated.xml",
                 "<domain type='kvm'>\n  <name>cut</name>\n  <devices>\n    <hostdev mode='subsystem' type='pci'>\n"
                 "      <source>\n        <addr",
                 "a-truncated.xml:6: cannot parse this libvirt domain: <addr> not closed"},
                {"b-unclosed.xml", "<domain type='kvm'>\n  <name>open</name>\n  <devices>\n</domain>\n",
                 "b-unclosed.xml:4: cannot parse this libvirt domain: </domain> where </devices> (line 3) was due"},
                {"c-garbage.xml",
                 "\x7f"
                 "ELF\x02\x01\x01 not xml at all\n",
                 "c-garbage.xml:1: cannot parse this libvirt domain: text before the root element"},
                {"d-not-domain.xml", "<network><name>default</name></network>\n",
                 "d-not-domain.xml:1: cannot parse this libvirt domain: the root element is <network>, not <domain>"},
                {"e-bad-address.xml",
                 "<domain>\n<devices>\n<hostdev mode='subsystem' type='pci'><source>"
                 "<address bus='0x100' slot='0' function='0'/></source></hostdev></devices></domain>\n",
                 "e-bad-address.xml:3: cannot parse this libvirt domain: <hostdev>'s source address: bus='0x100' is "
                 "not a number up to 0xff"},
                {"f-no-source.xml",
                 "<domain>\n<devices>\n<hostdev mode='subsystem' type='pci' managed='yes'>\n"
                 "<address type='pci' bus='0x03'/>\n</hostdev></devices></domain>\n",
                 "f-no-source.xml:5: cannot parse this libvirt domain: a PCI <hostdev> (line 3) without <source><address "
                 ".../></source>"},
                {"g-entity.xml", "<domain><name>a &nbsp; b</name></domain>",
                 "g-entity.xml:1: cannot parse this libvirt domain: a bad entity or character reference in <name>"},
        };
        struct run x;
        char *big, *m;
        size_t bigsize = 5 * 1024 * 1024;

        start(&x, "address 00:03.0\n");
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
                free(domain_file(&x, bad[i].file, bad[i].xml));
        /* A huge file: past the reader's cap (4 MiB), valid XML all the same. */
        big = malloc(bigsize + 1);
        SETUP(big ? 0 : -ENOMEM);
        memset(big, ' ', bigsize);
        memcpy(big, "<domain>", 8);
        memcpy(big + bigsize - 10, "</domain>\n", 10);
        big[bigsize] = 0;
        free(domain_file(&x, "h-huge.xml", big));
        free(big);
        /* Unreadable: a directory by the name, and a FIFO (which must not hang check). */
        m = xasprintf("%s/i-dir.xml", x.qemu);
        SETUP(mkdir(m, 0755) < 0 ? -errno : 0);
        free(m);
        m = xasprintf("%s/j-fifo.xml", x.qemu);
        SETUP(mkfifo(m, 0644) < 0 ? -errno : 0);
        free(m);
        /* The good one, last in the directory's order. */
        write_domain(&x, "z-good.xml", "good", hostdev("yes", H_0300, G_02));
        check_run(&x, NULL);
        CHECK_RUN(&x.r, x.r.code == 0, "broken domain files are warnings: exit 0");
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                m = xasprintf("warning: %s/%s; its hostdevs not checked", x.qemu, bad[i].reason);
                CHECK_RUN(&x.r, contains(x.r.err, m), "%s: named, with the line and why", bad[i].file);
                free(m);
        }
        m = xasprintf("warning: %s/h-huge.xml: cannot read: too large; its hostdevs not checked", x.qemu);
        CHECK_RUN(&x.r, contains(x.r.err, m), "a huge file: named, too large");
        free(m);
        m = xasprintf("warning: %s/i-dir.xml: cannot read: Is a directory; its hostdevs not checked", x.qemu);
        CHECK_RUN(&x.r, contains(x.r.err, m), "a directory by a domain file's name: named");
        free(m);
        m = xasprintf("warning: %s/j-fifo.xml: cannot read: not a regular file; its hostdevs not checked", x.qemu);
        CHECK_RUN(&x.r, contains(x.r.err, m), "a FIFO: named, and check does not hang on it");
        free(m);
        CHECK_RUN(&x.r, contains(x.r.err, "libvirt domain 'good'") && contains(x.r.err, "z-good.xml:23"),
                  "the good file after the broken ones is still checked");
        CHECK_RUN(&x.r, !contains(x.r.err, "'cut'") && !contains(x.r.err, "'open'"),
                  "nothing of a broken file is taken for a domain");
        if (geteuid() != 0) {
                char *p = xasprintf("%s/z-good.xml", x.qemu);

                SETUP(chmod(p, 0) < 0 ? -errno : 0);
                check_run(&x, NULL);
                m = xasprintf("warning: %s: cannot read: Permission denied; its hostdevs not checked", p);
                CHECK_RUN(&x.r, x.r.code == 0 && contains(x.r.err, m), "an unreadable file: named");
                free(m);
                free(p);
        } else
                t_skip("root reads files without permission: no unreadable-file case");
        finish(&x);
}

TEST(no_libvirt)
{
        struct run x;

        start(&x, "address 00:03.0\n");
        check_run(&x, NULL);
        CHECK_RUN(&x.r, x.r.code == 0 && contains(x.r.out, "0 error(s), 0 warning(s)") && !contains(x.r.err, "libvirt"),
                  "no /etc/libvirt/qemu: nothing said");
        /* Only *.xml: libvirt's autostart/ and networks/ and editor leftovers are not domains. */
        free(domain_file(&x, "autostart/win10.xml", "not read"));
        free(domain_file(&x, "win10.xml~", "<garbage"));
        free(domain_file(&x, ".win10.xml", "<garbage"));
        check_run(&x, NULL);
        CHECK_RUN(&x.r, x.r.code == 0 && !contains(x.r.err, "libvirt") && !contains(x.r.err, "cannot"),
                  "subdirectories, backups and dot files are not read");
        /* Without --root, on a captured tree (a fake sysfs): this machine's /etc/libvirt is not the tree's. */
        write_domain(&x, "win10.xml", "win10", hostdev("yes", H_0300, G_02));
        result_clear(&x.r);
        tenv_run(x.e, &x.r, "check", NULL);
        CHECK_RUN(&x.r, x.r.code == 0 && !contains(x.r.err, "libvirt"), "no --root on a captured tree: not read");
        finish(&x);
}
