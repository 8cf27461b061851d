// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * "owner USER[:GROUP]" and "mode MODE" against fake trees: the nodes under
 * the --dev root that apply, apply --device and claim change (and those they
 * never touch), the defaults, names from --etc and from an initramfs' owners
 * file, and every error. The devices start on vfio-pci (a bind in a fake
 * tree never moves a driver link): apply finds them "already bound", which
 * is where it sets their nodes too. The nodes are plain files here; chown
 * to another user needs root, so the tests skip without it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"

TEST_NEEDS_BINARY()

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

#define PASSWD "root:x:0:0:root:/root:/bin/sh\nalice:x:1000:1000::/home/alice:/bin/sh\nbob:x:1001:1001::/:/bin/sh\n"
#define GROUP  "root:x:0:\nalice:x:1000:\nkvm:x:993:alice\n"

/* The machine, 00:03.0 (group 4) and 00:1f.2 (group 3) on vfio-pci with their
 * group nodes, 02:00.0 (group 7) on ahci; /dev/vfio/vfio; the user database. */
static struct tenv *setup(const char *config, bool cdev)
{
        struct tenv *e = tenv_new();

        tenv_machine(e);
        SETUP(fakesys_set_vfio_kernel(e->fs, true, cdev));
        SETUP(fakesys_set_driver(e->fs, "0000:00:03.0", "vfio-pci"));
        SETUP(fakesys_set_driver(e->fs, "0000:00:1f.2", "vfio-pci"));
        free(tenv_file(e, "dev/vfio/vfio", ""));
        free(tenv_file(e, "dev/vfio/3", ""));
        free(tenv_file(e, "dev/vfio/4", ""));
        free(tenv_file(e, "dev/vfio/7", ""));
        if (cdev) {
                free(tenv_file(e, "dev/vfio/devices/vfio0", ""));
                free(tenv_file(e, "dev/vfio/devices/vfio1", ""));
        }
        for (const char *const *n = (const char *const[]){"vfio/vfio", "vfio/3", "vfio/4", "vfio/7",
                                                          "vfio/devices/vfio0", "vfio/devices/vfio1", NULL};
             *n; n++) {
                char *p = xasprintf("%s/%s", e->dev, *n);

                (void)chown(p, 0, 0);
                (void)chmod(p, strcmp(*n, "vfio/vfio") == 0 ? 0666 : 0600);
                free(p);
        }
        free(tenv_file(e, "etc/passwd", PASSWD));
        free(tenv_file(e, "etc/group", GROUP));
        tenv_config(e, config);
        return e;
}

/* "UID:GID MODE" of DEV/rel, "absent" when there is none. */
static const char *node(struct tenv *e, const char *rel)
{
        static char buf[8][64];
        static unsigned k;
        char *p = xasprintf("%s/%s", e->dev, rel);
        struct stat st;
        char *b = buf[k++ % 8];

        if (stat(p, &st) < 0)
                snprintf(b, 64, "absent");
        else
                snprintf(b, 64, "%u:%u %04o", (unsigned)st.st_uid, (unsigned)st.st_gid, (unsigned)(st.st_mode & 07777));
        free(p);
        return b;
}

#define NEED_ROOT()                                                                                                    \
        do {                                                                                                           \
                if (geteuid() != 0) {                                                                                  \
                        CHECK(true, "skipped: chown to another user needs root");                                      \
                        return;                                                                                        \
                }                                                                                                      \
        } while (0)

static void apply_case(const char *config, const char *want4, const char *want3, const char *what)
{
        struct tenv *e = setup(config, false);
        struct result r = {0};

        tenv_run(e, &r, "apply", NULL);
        CHECK_STR(node(e, "vfio/4"), want4);
        CHECK_STR(node(e, "vfio/3"), want3);
        CHECK_STR(node(e, "vfio/7"), "0:0 0600");
        CHECK_RUN(&r, strcmp(node(e, "vfio/vfio"), "0:0 0666") == 0, "%s: /dev/vfio/vfio untouched", what);
        result_clear(&r);
        tenv_free(e);
}

TEST(owner_defaults)
{
        NEED_ROOT();
        apply_case("address 00:03.0 owner 1000:1000 mode 0660\n", "1000:1000 0660", "0:0 0600", "numbers and mode");
        apply_case("address 00:03.0 owner 1000\n", "1000:0 0600", "0:0 0600", "a user alone: 0600");
        apply_case("address 00:03.0 owner :kvm\n", "0:993 0660", "0:0 0600", "only :GROUP: 0660");
        apply_case("address 00:03.0 owner alice:kvm\n", "1000:993 0600", "0:0 0600", "names from --etc");
        apply_case("address 00:03.0 mode 0666\n", "0:0 0666", "0:0 0600", "mode alone");
        apply_case("address 00:03.0\n", "0:0 0600", "0:0 0600", "no owner: untouched");
        apply_case("address 00:03.0 owner bob\naddress 00:1f.2 owner alice mode 0640\n", "1001:0 0600", "1000:0 0640",
                   "two rules, two groups");
}

TEST(owner_errors)
{
        static const struct {
                const char *line, *msg;
        } bad[] = {
                {"address 00:03.0 owner\n", "'owner' needs a value"},
                {"address 00:03.0 owner alice:\n", "':' without a group"},
                {"address 00:03.0 owner :\n", "expected USER, USER:GROUP or :GROUP"},
                {"address 00:03.0 owner a:b:c\n", "not a user or group name"},
                {"address 00:03.0 owner -x\n", "not a user or group name"},
                {"address 00:03.0 mode 0668\n", "expected an octal mode"},
                {"address 00:03.0 mode 4755\n", "at most 0777"},
                {"address 00:03.0 mode 77777\n", "expected an octal mode"},
                {"address 00:03.0 mode rw\n", "expected an octal mode"},
                {"address 00:03.0 owner alice owner bob\n", "'owner' given twice"},
                {"address 00:03.0 mode 0600 mode 0660\n", "'mode' given twice"},
        };

        NEED_ROOT();
        for (size_t i = 0; i < N_OF(bad); i++) {
                struct tenv *e = setup(bad[i].line, false);
                struct result r = {0};
                char *conf = xasprintf("%s:1", e->config);

                tenv_run(e, &r, "check", NULL);
                CHECK_RUN(&r, r.code != 0 && contains(r.err, conf) && contains(r.err, bad[i].msg),
                          "check: '%.*s' is an error naming FILE:LINE and '%s'", (int)strlen(bad[i].line) - 1,
                          bad[i].line, bad[i].msg);
                tenv_run(e, &r, "apply", NULL);
                CHECK_RUN(&r, contains(r.err, conf) && strcmp(node(e, "vfio/4"), "0:0 0600") == 0,
                          "apply: the bad rule is skipped and its node untouched");
                free(conf);
                result_clear(&r);
                tenv_free(e);
        }
}

TEST(owner_unknown)
{
        static const char *const cases[][2] = {
                {"address 00:03.0 owner mallory\n", "no such user"},
                {"address 00:03.0 owner alice:nogroup\n", "no such group"},
        };

        NEED_ROOT();
        for (size_t i = 0; i < N_OF(cases); i++) {
                struct tenv *e = setup(cases[i][0], false);
                struct result r = {0};

                tenv_run(e, &r, "check", NULL);
                CHECK_RUN(&r, r.code != 0 && contains(r.err, cases[i][1]) && contains(r.err, ":1"),
                          "check fails on an unknown name: %s", cases[i][1]);
                tenv_run(e, &r, "apply", NULL);
                CHECK_RUN(&r, contains(r.err, cases[i][1]) && strcmp(node(e, "vfio/4"), "0:0 0600") == 0,
                          "apply says %s and leaves the node", cases[i][1]);
                result_clear(&r);
                tenv_free(e);
        }
}

TEST(owner_group_conflict)
{
        /* 00:1f.0, 00:1f.2 and 00:1f.3 share group 3. */
        static const char conf[] = "address 00:1f.2 owner alice mode 0660\naddress 00:1f.3 owner bob\n";
        struct tenv *e;
        struct result r = {0};

        NEED_ROOT();
        e = setup(conf, false);
        SETUP(fakesys_set_driver(e->fs, "0000:00:1f.3", "vfio-pci"));
        tenv_run(e, &r, "check", NULL);
        CHECK_RUN(&r, r.code != 0 && contains(r.err, "IOMMU group 3") && contains(r.err, "different owner"),
                  "check: rules with different owners in one group are an error");
        tenv_run(e, &r, "apply", NULL);
        CHECK_STR(node(e, "vfio/3"), "1000:0 0660");
        CHECK_RUN(&r, contains(r.err, "warning") && contains(r.err, "IOMMU group 3 has one node"),
                  "apply: the first rule wins, the other gets a warning");
        result_clear(&r);
        tenv_free(e);

        /* The first rule wins in udev's helper too, whichever member's address comes first. */
        e = setup("address 00:1f.3 owner bob\naddress 00:1f.2 owner alice mode 0660\n", false);
        SETUP(fakesys_set_driver(e->fs, "0000:00:1f.3", "vfio-pci"));
        SETUP(fakesys_set_driver(e->fs, "0000:00:1f.2", "vfio-pci"));
        tenv_run(e, &r, "apply", NULL);
        CHECK_STR(node(e, "vfio/3"), "1001:0 0600");
        tenv_run(e, &r, "owners", "--udev", "/devices/virtual/vfio/3", NULL);
        CHECK_RUN(&r, contains(r.out, "VFIO_CLAIM_OWNER=1001\n") && contains(r.out, "VFIO_CLAIM_MODE=0600\n"),
                  "udev's helper gives the group node the first rule's owner, as apply did");
        result_clear(&r);
        tenv_free(e);

        /* The first rule wins even when its device is held off (00:1f.3 stays
         * on its driver: a fake bind moves nothing); its group is read all the
         * same (test-property found the later rule winning without a warning). */
        e = setup("address 00:1f.3 owner bob\naddress 00:1f.2 owner alice mode 0660\n", false);
        tenv_run(e, &r, "apply", NULL);
        CHECK_STR(node(e, "vfio/3"), "1001:0 0600");
        CHECK_RUN(&r, contains(r.err, "IOMMU group 3 has one node"),
                  "apply: the held-off device's rule wins, a warning");
        result_clear(&r);
        tenv_free(e);

        /* The same owner and mode twice is no conflict. */
        e = setup("address 00:1f.2 owner alice\naddress 00:1f.3 owner 1000 mode 600\n", false);
        SETUP(fakesys_set_driver(e->fs, "0000:00:1f.3", "vfio-pci"));
        tenv_run(e, &r, "check", NULL);
        CHECK_RUN(&r, !contains(r.err, "different owner"), "check: the same owner by name and number agrees");
        tenv_run(e, &r, "apply", NULL);
        CHECK_RUN(&r, !contains(r.err, "has one node"), "apply: no warning");
        result_clear(&r);
        tenv_free(e);
}

TEST(owner_cdev)
{
        struct tenv *e;
        struct result r = {0};

        NEED_ROOT();
        e = setup("address 00:03.0 owner 1000:1000 mode 0660\n", true);
        tenv_run(e, &r, "apply", NULL);
        CHECK_STR(node(e, "vfio/4"), "1000:1000 0660");
        /* The fixture numbers cdevs in bind order: 00:03.0 was bound first. */
        CHECK_STR(node(e, "vfio/devices/vfio0"), "1000:1000 0660");
        CHECK_STR(node(e, "vfio/devices/vfio1"), "0:0 0600");
        CHECK_STR(node(e, "vfio/vfio"), "0:0 0666");
        result_clear(&r);
        tenv_free(e);
}

TEST(owner_device_and_claim)
{
        struct tenv *e;
        struct result r = {0};

        NEED_ROOT();
        e = setup("address 00:03.0 owner alice mode 0660\n", false);
        tenv_run(e, &r, "apply", "--device", "0000:00:03.0", NULL);
        CHECK_STR(node(e, "vfio/4"), "1000:0 0660");
        tenv_run(e, &r, "apply", "--device", "0000:00:1f.2", NULL);
        CHECK_STR(node(e, "vfio/3"), "0:0 0600");
        result_clear(&r);
        tenv_free(e);

        e = setup("address 00:03.0 owner alice mode 0660\n", false);
        tenv_run(e, &r, "claim", "00:03.0", NULL);
        CHECK_STR(node(e, "vfio/4"), "1000:0 0660");
        CHECK_STR(node(e, "vfio/3"), "0:0 0600");
        result_clear(&r);
        tenv_free(e);
}

TEST(owner_initramfs_names)
{
        /* No passwd in an initramfs: the owners file the build hook packed. */
        struct tenv *e;
        struct result r = {0};

        NEED_ROOT();
        e = setup("address 00:03.0 owner carol:vm\n", false);
        free(tenv_file(e, "owners", "user carol 2000\ngroup vm 2001\n"));
        tenv_run(e, &r, "apply", NULL);
        CHECK_STR(node(e, "vfio/4"), "2000:2001 0600");
        result_clear(&r);
        tenv_free(e);

        /* The build side: vfio-claim owners writes that file from --etc. */
        e = setup("address 00:03.0 owner alice:kvm\naddress 00:1f.2 owner 5:bob\n", false);
        free(tenv_file(e, "etc/group", GROUP "bob:x:1001:\n"));
        tenv_run(e, &r, "owners", NULL);
        CHECK_RUN(&r,
                  r.code == 0 && contains(r.out, "user alice 1000\n") && contains(r.out, "group kvm 993\n") &&
                          contains(r.out, "group bob 1001\n") && !contains(r.out, " 5\n"),
                  "owners lists the names, not the numbers");
        result_clear(&r);
        tenv_free(e);
}

TEST(owner_udev_helper)
{
        struct tenv *e;
        struct result r = {0};

        NEED_ROOT();
        e = setup("address 00:03.0 owner alice:kvm mode 0660\n", true);
        tenv_run(e, &r, "owners", "--udev", "/devices/virtual/vfio/4", NULL);
        CHECK_RUN(&r,
                  r.code == 0 && contains(r.out, "VFIO_CLAIM_OWNER=1000\n") &&
                          contains(r.out, "VFIO_CLAIM_GROUP=993\n") && contains(r.out, "VFIO_CLAIM_MODE=0660\n"),
                  "the group node's owner, group and mode for udev");
        tenv_run(e, &r, "owners", "--udev", "/devices/pci0000:00/0000:00:03.0/vfio-dev/vfio0", NULL);
        CHECK_RUN(&r, r.code == 0 && contains(r.out, "VFIO_CLAIM_OWNER=1000\n"), "the cdev's");
        tenv_run(e, &r, "owners", "--udev", "/devices/virtual/vfio/3", NULL);
        CHECK_RUN(&r, r.code == 0 && strcmp(r.out, "") == 0, "nothing for a group no owner rule selects");
        tenv_run(e, &r, "owners", "--udev", "/devices/virtual/vfio/vfio", NULL);
        CHECK_RUN(&r, r.code == 0 && strcmp(r.out, "") == 0, "nothing for /dev/vfio/vfio");
        result_clear(&r);
        tenv_free(e);
}

TEST(owner_status_memlock)
{
        struct tenv *e;
        struct result r = {0};

        NEED_ROOT();
        e = setup("address 00:03.0 owner alice mode 0660\naddress 00:1f.2 owner alice mode 0660\n", false);
        tenv_run(e, &r, "status", NULL);
        CHECK_RUN(&r, contains(r.out, "0:0 0600, rule asks 1000:0 0660"), "status: the node differs from the rule");
        tenv_run(e, &r, "apply", NULL);
        tenv_run(e, &r, "status", NULL);
        CHECK_RUN(&r, contains(r.out, "1000:0 0660 as the rule asks"), "status: after apply it matches");
        {
                const char *m = strstr(r.out, "RLIMIT_MEMLOCK");

                CHECK_RUN(&r,
                          m && !strstr(m + 1, "RLIMIT_MEMLOCK") && contains(r.out, "LimitMEMLOCK=") &&
                                  contains(r.out, "limits.conf"),
                          "status: the memlock advice once");
        }
        tenv_run(e, &r, "status", "--json", NULL);
        CHECK_RUN(&r,
                  contains(r.out, "\"vfio_group_node_owner\":1000") &&
                          contains(r.out, "\"vfio_group_node_mode\":\"0660\"") &&
                          contains(r.out, "\"vfio_group_node_as_rule\":true"),
                  "status --json: owner, mode, and whether they are the rule's");
        tenv_run(e, &r, "check", NULL);
        {
                const char *m = strstr(r.out, "RLIMIT_MEMLOCK");

                CHECK_RUN(&r, r.code == 0 && m && !strstr(m + 1, "RLIMIT_MEMLOCK") && contains(r.out, "1000:0 0660"),
                          "check: predicts the node and says memlock once");
        }
        result_clear(&r);
        tenv_free(e);
}
