// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * An image older than its configuration, on fake trees: the digest the build
 * hook records (check --digest, here over a scratch --sysconfdir), apply's
 * boot log line with the image's copy of it (--image-digest in place of the
 * initramfs's PKGLIBDIR/config.digest), and status's comparison with
 * today's files: the message, the rebuild command, "config_stale" and the
 * exit code. The runs use --sysconfdir, not --config: the digest is of
 * vfio-claim.conf and vfio-claim.d/ *.conf, which --config leaves out.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"

TEST_NEEDS_BINARY()

/* The rebuild commands status names, one of them by the generator installed here, or all three. */
static bool names_rebuild(const char *out)
{
        return contains(out, "Rebuild the initramfs: update-initramfs -u\n") ||
               contains(out, "Rebuild the initramfs: dracut -f\n") ||
               contains(out, "Rebuild the initramfs: mkinitcpio -P\n") ||
               contains(out, "(update-initramfs -u, dracut -f or mkinitcpio -P)");
}

struct stale_env {
        struct tenv *e;
        char *etc;    /* the scratch --sysconfdir */
        char *digest; /* the image's config.digest */
        char **env;   /* the runs' environment (t_environ()); NULL: ours */
};

/* vfio-claim with the roots of e and --sysconfdir, without --config, then the NULL-terminated arguments. */
static void run(struct stale_env *s, struct result *r, ...)
{
        const char *argv[64];
        size_t n = 0;
        const char *a;
        va_list ap;

        argv[n++] = t_binary;
        argv[n++] = "--sysfs";
        argv[n++] = fakesys_root(s->e->fs);
        argv[n++] = "--sysconfdir";
        argv[n++] = s->etc;
        argv[n++] = "--cmdline";
        argv[n++] = s->e->cmdline;
        argv[n++] = "--proc";
        argv[n++] = s->e->proc;
        argv[n++] = "--run";
        argv[n++] = s->e->run;
        argv[n++] = "--dev";
        argv[n++] = s->e->dev;
        argv[n++] = "--boot-log";
        argv[n++] = s->e->boot_log;
        va_start(ap, r);
        while ((a = va_arg(ap, const char *)) && n < 63)
                argv[n++] = a;
        va_end(ap);
        argv[n] = NULL;
        t_spawn(r, argv, &(struct t_spawn){.dir = s->e->dir, .env = s->env});
}

static void stale_env_init(struct stale_env *s)
{
        s->env = NULL;
        s->e = tenv_new();
        tenv_machine(s->e);
        s->etc = xasprintf("%s/etc", s->e->dir);
        s->digest = xasprintf("%s/image/usr/lib/vfio-claim/config.digest", s->e->dir);
        free(tenv_file(s->e, "etc/vfio-claim.conf", "address 00:03.0\n"));
        free(tenv_file(s->e, "etc/vfio-claim.d/10-audio.conf", "# the GPU's twin\naddress 01:00.1 driver pci-stub\n"));
        /* What the initramfs would have claimed. */
        SETUP(fakesys_set_driver(s->e->fs, "0000:00:03.0", "vfio-pci"));
        SETUP(fakesys_set_driver(s->e->fs, "0000:01:00.1", "pci-stub"));
}

static void stale_env_free(struct stale_env *s)
{
        free(s->env);
        free(s->etc);
        free(s->digest);
        tenv_free(s->e);
}

static void remove_conf(struct stale_env *s, const char *rel)
{
        char *path = xasprintf("%s/%s", s->etc, rel);

        SETUP(unlink(path) < 0 ? -errno : 0);
        free(path);
}

/* The image build: the hook's check --digest into the image, then the boot's apply. Returns the digest. */
static char *build_and_boot(struct stale_env *s)
{
        struct result r = {0};
        char *digest;

        run(s, &r, "check", "--digest", NULL);
        CHECK_RUN(&r, r.code == 0 && strncmp(r.out, "sha256:", 7) == 0 && strlen(r.out) == 7 + 64 + 1,
                  "check --digest prints sha256:HEX");
        digest = strndup(r.out, 7 + 64);
        free(tenv_file(s->e, "image/usr/lib/vfio-claim/config.digest", r.out));
        run(s, &r, "apply", "--dry-run", "--image-digest", s->digest, NULL);
        CHECK_RUN(&r, r.code == 0, "apply");
        result_clear(&r);
        return digest;
}

/* status and status --json: stale or not, with its exit code and message. */
static void expect_status(struct stale_env *s, bool stale, const char *what)
{
        struct result r = {0};
        const struct json *v;
        const char *err = NULL;
        struct json *j;

        run(s, &r, "status", NULL);
        if (stale) {
                CHECK_RUN(&r, r.code == 1, "%s: status exits 1", what);
                CHECK_RUN(&r,
                          contains(r.out, "The configuration changed after this boot's initramfs was built") &&
                                  names_rebuild(r.out),
                          "%s: status says the configuration changed after the initramfs was built, and how to "
                          "rebuild it",
                          what);
        } else {
                CHECK_RUN(&r, r.code == 0, "%s: status exits 0", what);
                CHECK_RUN(&r, !contains(r.out, "changed after") && contains(r.out, "Configuration as packed"),
                          "%s: status says the configuration is as packed", what);
        }
        run(s, &r, "status", "--json", NULL);
        j = json_parse(r.out, &err);
        CHECK_RUN(&r, j && r.code == (stale ? 1 : 0), "%s: status --json: one document, exit %d", what, stale ? 1 : 0);
        v = j ? json_path(j, "config_stale") : NULL;
        CHECK_RUN(&r, v && v->type == JSON_BOOL && v->b == stale, "%s: \"config_stale\": %s", what,
                  stale ? "true" : "false");
        CHECK(contains(json_path_str(j, "config_digest_image"), "sha256:") &&
                      contains(json_path_str(j, "config_digest_now"), "sha256:"),
              "%s: both digests in the document", what);
        json_free(j);
        result_clear(&r);
}

TEST(matching_and_changed)
{
        struct stale_env s;
        struct result r = {0};
        char *digest, *want;

        stale_env_init(&s);
        digest = build_and_boot(&s);
        SETUP(asprintf(&want, "vfio-claim: config digest %s (of the files packed at image build, %s)\n", digest,
                       s.digest));
        run(&s, &r, "status", NULL);
        CHECK_RUN(&r, contains(r.out, want), "apply logged the image's digest in the boot log");
        free(want);
        expect_status(&s, false, "the files as packed");

        /* An edit of the main file, a comment only. */
        free(tenv_file(s.e, "etc/vfio-claim.conf", "address 00:03.0\n# edited\n"));
        expect_status(&s, true, "main file edited");
        free(tenv_file(s.e, "etc/vfio-claim.conf", "address 00:03.0\n"));
        expect_status(&s, false, "edit undone");

        /* A drop-in added, then removed again. */
        free(tenv_file(s.e, "etc/vfio-claim.d/20-new.conf", ""));
        expect_status(&s, true, "drop-in added");
        remove_conf(&s, "vfio-claim.d/20-new.conf");
        expect_status(&s, false, "added drop-in removed");

        /* A drop-in the image packed, removed. */
        remove_conf(&s, "vfio-claim.d/10-audio.conf");
        expect_status(&s, true, "packed drop-in removed");
        run(&s, &r, "status", "--json", NULL);
        CHECK_RUN(&r, contains(r.out, "\"config_digest_image\":\"") && contains(r.out, digest),
                  "the document has the image's digest");

        /* A file the program does not read is not the configuration. */
        free(tenv_file(s.e, "etc/vfio-claim.d/10-audio.conf", "# the GPU's twin\naddress 01:00.1 driver pci-stub\n"));
        free(tenv_file(s.e, "etc/vfio-claim.d/10-audio.conf.dpkg-old", "anything\n"));
        expect_status(&s, false, "a .dpkg-old beside the drop-ins");

        /* The kernel command line's rules are not in the image: not part of it. */
        tenv_cmdline(s.e, "ro vfio_claim.rule=\"address 00:04.0 driver pci-stub\"\n");
        SETUP(fakesys_set_driver(s.e->fs, "0000:00:04.0", "pci-stub"));
        expect_status(&s, false, "a vfio_claim.rule= on the command line");
        free(digest);
        result_clear(&r);
        stale_env_free(&s);
}

/* Stale and a device off its target: exit 1 either way, both said. */
TEST(stale_and_bad)
{
        struct stale_env s;
        struct result r = {0};

        stale_env_init(&s);
        free(build_and_boot(&s));
        SETUP(fakesys_set_driver(s.e->fs, "0000:00:03.0", "ahci"));
        free(tenv_file(s.e, "etc/vfio-claim.d/20-new.conf", "# new\n"));
        run(&s, &r, "status", NULL);
        CHECK_RUN(&r, r.code == 1 && contains(r.out, " BAD ") && contains(r.out, "changed after this boot's initramfs"),
                  "a device off target and the image stale: exit 1, both said");
        result_clear(&r);
        stale_env_free(&s);
}

/* An image built by an older vfio-claim: no digest file, or a boot log without the line. */
TEST(no_digest)
{
        struct stale_env s;
        struct result r = {0};
        const char *err = NULL;
        const struct json *v;
        struct json *j;

        stale_env_init(&s);
        run(&s, &r, "apply", "--dry-run", "--image-digest", s.digest, NULL);
        CHECK_RUN(&r, r.code == 0, "apply without a digest file");
        run(&s, &r, "status", NULL);
        CHECK_RUN(&r, contains(r.out, "vfio-claim: no config digest in this image"),
                  "the boot log says the image has none");
        CHECK_RUN(&r,
                  r.code == 0 && contains(r.out, "has no config digest (built by an older vfio-claim)") &&
                          contains(r.out, "not stale"),
                  "status: no digest, not stale, exit 0");
        run(&s, &r, "status", "--json", NULL);
        j = json_parse(r.out, &err);
        v = j ? json_path(j, "config_stale") : NULL;
        CHECK_RUN(&r, r.code == 0 && v && v->type == JSON_BOOL && !v->b, "--json: config_stale false");
        v = j ? json_path(j, "config_digest_image") : NULL;
        CHECK_RUN(&r, v && v->type == JSON_NULL, "--json: config_digest_image null");
        CHECK_RUN(&r, contains(json_path_str(j, "config_not_compared"), "no config digest"), "--json: says why");
        json_free(j);

        /* A boot log of an apply that never wrote the line. */
        free(tenv_file(s.e, "run/boot.log", "[    1.000000] <6>vfio-claim: vfio-claim 0.0.9 apply (sysfs /sys)\n"));
        free(tenv_file(s.e, "etc/vfio-claim.d/20-new.conf", "# new\n"));
        run(&s, &r, "status", NULL);
        CHECK_RUN(&r, r.code == 0 && contains(r.out, "has no config digest") && !contains(r.out, "changed after"),
                  "an older version's boot log: no digest, not stale");

        /* A digest file that is not one. */
        free(tenv_file(s.e, "image/usr/lib/vfio-claim/config.digest", "sha256:xyz\n"));
        run(&s, &r, "apply", "--dry-run", "--image-digest", s.digest, NULL);
        CHECK_RUN(&r, contains(r.err, "not a config digest"), "apply: a malformed digest file is said");
        run(&s, &r, "status", NULL);
        CHECK_RUN(&r, r.code == 0 && contains(r.out, "has no config digest"), "... and counts as none");
        result_clear(&r);
        stale_env_free(&s);
}

/* --config FILE is a file of its own: status does not compare, check --digest refuses it. */
TEST(config_option)
{
        struct stale_env s;
        struct result r = {0};

        stale_env_init(&s);
        free(build_and_boot(&s));
        free(tenv_file(s.e, "etc/vfio-claim.d/20-new.conf", "# new\n"));
        tenv_config(s.e, "address 00:03.0\n");
        run(&s, &r, "--config", s.e->config, "status", NULL);
        CHECK_RUN(&r, r.code == 0 && contains(r.out, "not compared") && contains(r.out, "--config"),
                  "status --config: not compared, exit 0");
        run(&s, &r, "--config", s.e->config, "check", "--digest", NULL);
        CHECK_RUN(&r, r.code == T_EXIT_USAGE && contains(r.err, "--digest is of the files under --sysconfdir"),
                  "check --digest --config: a usage error");
        result_clear(&r);
        stale_env_free(&s);
}

/* An executable that does nothing, at rel under e's directory. */
static void fake_tool(struct tenv *e, const char *rel)
{
        char *file = tenv_file(e, rel, "#!/bin/sh\nexit 0\n");

        SETUP(chmod(file, 0755) < 0 ? -errno : 0);
        free(file);
}

/* The rebuild command is the one add and remove run here: from PATH, with proxmox-boot-tool after the generator. */
TEST(rebuild_command_from_path)
{
        struct stale_env s;
        struct result r = {0};
        char *path;
        struct json *j;
        const char *err = NULL;

        stale_env_init(&s);
        free(build_and_boot(&s));
        free(tenv_file(s.e, "etc/vfio-claim.d/20-new.conf", "# new\n"));
        fake_tool(s.e, "bin/dracut");
        fake_tool(s.e, "bin/proxmox-boot-tool");
        path = xasprintf("PATH=%s/bin", s.e->dir);
        s.env = t_environ((const char *[]){path, NULL});
        run(&s, &r, "status", NULL);
        CHECK_RUN(&r, r.code == 1 && contains(r.out, "Rebuild the initramfs: dracut -f && proxmox-boot-tool refresh\n"),
                  "dracut and proxmox-boot-tool on PATH: status names both, in that order");
        run(&s, &r, "status", "--json", NULL);
        j = json_parse(r.out, &err);
        CHECK_RUN(&r, contains(json_path_str(j, "config_rebuild"), "dracut -f && proxmox-boot-tool refresh"),
                  "--json: config_rebuild is that command");
        json_free(j);
        result_clear(&r);
        free(path);
        stale_env_free(&s);
}
