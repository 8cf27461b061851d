// SPDX-License-Identifier: GPL-2.0-or-later
/* The rule language, config files and the kernel command line. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <unistd.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "internal.h"

static char last_msg[1024];
static unsigned n_errors;

__attribute__((format(printf, 3, 0))) static void capture(void *data, int prio, const char *fmt, va_list ap)
{
        if (prio > LOG_ERR)
                return;
        n_errors++;
        vsnprintf(last_msg, sizeof(last_msg), fmt, ap);
}

static struct vc_ctx *ctx;

static void reset(struct vc_config *cfg)
{
        vc_config_clear(cfg);
        n_errors = 0;
        last_msg[0] = 0;
}

/* Every malformed rule must be refused, with a reason. */
TEST(bad_rules)
{
        static const char *const bad[] = {
                "address", /* no value */
                "address 01:00.0 address 02:00.0",
                "id 10de", /* one field */
                "id 10de:1b80 id 10de:1b81",
                "subsystem 1458",
                "subsystem 1458:3702:1",
                "group",           /* no selector */
                "driver vfio-pci", /* no selector */
                "address 01:00.0 group group",
                "address 01:00.0 driver",
                "address 01:00.0 driver vfio/pci",
                "address 01:00.0 driver ../../x",
                "address 01:00.0 driver vfio-pci driver pci-stub",
                "address 01:00.0 frobnicate",
                "adress 01:00.0",
                "ADDRESS 01:00.0", /* keywords are lower case */
                "address 01:20.0",
                "address 01:00.8",
                "address 1:2:3:4",
                "id 10de:1b80:0300:00:00",
                "id zzzz:1b80",
                "address *", /* selects everything */
                "id :",
                "id *:*:*",
                "address ::*.*",
                "address 0000:*:*.*", /* a domain alone: every device of most machines */
                "address 1::",
                "id ::xxxx", /* a class of wildcards constrains nothing */
                "id *:*:XXXX:",
                "01:00.0", /* no keyword */
                "address 01:00.0 id",
                "address 01:00.0 driver aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        };
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                struct vc_rule r;
                char *error = NULL;
                int k = vc_rule_parse(bad[i], &r, &error);

                CHECK(k == -EINVAL && error && *error);
                if (k >= 0) {
                        t_diag("accepted: \"%s\"", bad[i]);
                        vc_rule_clear(&r);
                }
                free(error);
        }
}

TEST(good_rules)
{
        struct vc_rule r;
        char *error = NULL;

        CHECK_INT(vc_rule_parse("address 0000:01:00.0", &r, &error), 0);
        CHECK(r.has_slot && !r.has_id && !r.group);
        CHECK_STR(r.driver, "vfio-pci");
        vc_rule_clear(&r);

        CHECK_INT(vc_rule_parse("id 10de:1b80 subsystem 1458:3702", &r, &error), 0);
        CHECK(r.has_id && r.has_subsys && !r.has_slot);
        CHECK_INT(r.subsys.vendor, 0x1458);
        vc_rule_clear(&r);

        CHECK_INT(vc_rule_parse("address 03:00.0\tgroup", &r, &error), 0);
        CHECK(r.group);
        vc_rule_clear(&r);

        /* Module spellings of the two stub drivers become their driver names. */
        CHECK_INT(vc_rule_parse("address 03:00.0 driver vfio_pci", &r, &error), 0);
        CHECK_STR(r.driver, "vfio-pci");
        vc_rule_clear(&r);
        CHECK_INT(vc_rule_parse("address 03:00.0 driver pci_stub", &r, &error), 0);
        CHECK_STR(r.driver, "pci-stub");
        vc_rule_clear(&r);
        CHECK_INT(vc_rule_parse("address 03:00.0 driver snd_hda_intel", &r, &error), 0);
        CHECK_STR(r.driver, "snd_hda_intel");
        vc_rule_clear(&r);

        CHECK_INT(vc_rule_parse("id 1b36:000d driver pci-stub", &r, &error), 0);
        CHECK_STR(r.driver, "pci-stub");
        vc_rule_clear(&r);

        /* Options before selectors are fine too. */
        CHECK_INT(vc_rule_parse("group driver pci-stub address 01:00", &r, &error), 0);
        CHECK(r.group && r.has_slot);
        vc_rule_clear(&r);

        CHECK_INT(vc_rule_parse("id ::0106", &r, &error), 0);
        CHECK_INT(r.id.class, 0x0106);
        vc_rule_clear(&r);
}

TEST(lines)
{
        struct vc_config cfg = {0};

        CHECK_INT(vc_config_add_line(ctx, &cfg, "t:1", "   # just a comment"), 0);
        CHECK_INT(vc_config_add_line(ctx, &cfg, "t:2", ""), 0);
        CHECK_INT(vc_config_add_line(ctx, &cfg, "t:3", " \t "), 0);
        CHECK_INT(cfg.n_rules, 0);
        CHECK_INT(vc_config_add_line(ctx, &cfg, "t:4", "address 01:00.0 # the GPU"), 0);
        CHECK_INT(vc_config_add_line(ctx, &cfg, "t:5", "address 02:00.0\r"), 0);
        CHECK_INT(cfg.n_rules, 2);
        CHECK_STR(cfg.rules[0].text, "address 01:00.0");
        CHECK_STR(cfg.rules[1].origin, "t:5");
        CHECK_INT(n_errors, 0);
        CHECK_INT(vc_config_add_line(ctx, &cfg, "t:6", "address 02:00.0\rid 1:2"), 0);
        CHECK_INT(cfg.n_rules, 2);
        CHECK_INT(n_errors, 1);
        CHECK(strstr(last_msg, "t:6") != NULL);
        CHECK_INT(vc_config_add_line(ctx, &cfg, "t:7", "address\v01:00.0"), 0);
        CHECK_INT(n_errors, 2);
        CHECK_INT(vc_config_add_line(ctx, &cfg, "t:8", "id \xff\xfe:1"), 0);
        CHECK_INT(n_errors, 3);
        CHECK(strstr(last_msg, "\\xff") != NULL); /* shown escaped, never raw */
        CHECK_INT(cfg.n_errors, 3);
        reset(&cfg);
}

/* "name NAME": CDI's device-name rules, at most 63 characters, one rule each. */
TEST(names)
{
        static const char *const good[] = {"gpu", "a", "7", "gpu-0", "gpu_0", "rtx.3090", "A-b_c.D9", "0gpu"};
        static const char *const bad[] = {
                "-gpu", "gpu-", ".gpu", "gpu.", "_gpu", "gpu_", "gp/u", "gp:u", "gp+u", "gpü", "gp'u", "gp*u",
        };
        struct vc_config cfg = {0};
        char name63[64], name64[65], line[128];
        struct vc_rule r;
        char *error = NULL;

        for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
                snprintf(line, sizeof(line), "address 01:00.0 name %s", good[i]);
                CHECK(vc_rule_parse(line, &r, &error) == 0, "valid name '%s'", good[i]);
                if (!CHECK(r.has_name && strcmp(r.name, good[i]) == 0, "name '%s' kept", good[i]))
                        continue;
                vc_rule_clear(&r);
        }
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                snprintf(line, sizeof(line), "address 01:00.0 name %s", bad[i]);
                error = NULL;
                if (!CHECK(vc_rule_parse(line, &r, &error) == -EINVAL, "invalid name '%s' refused", bad[i])) {
                        vc_rule_clear(&r);
                        continue;
                }
                CHECK(error && strstr(error, "name '") != NULL, "the reason names the keyword: %s",
                      error ? error : "(none)");
                free(error);
        }
        memset(name63, 'n', 63);
        name63[63] = 0;
        memset(name64, 'n', 64);
        name64[64] = 0;
        snprintf(line, sizeof(line), "id 10de:1b80 name %s", name63);
        CHECK(vc_rule_parse(line, &r, &error) == 0 && strlen(r.name) == 63, "63 characters: fine");
        vc_rule_clear(&r);
        snprintf(line, sizeof(line), "id 10de:1b80 name %s", name64);
        error = NULL;
        CHECK_INT(vc_rule_parse(line, &r, &error), -EINVAL);
        CHECK(error && strstr(error, "63") != NULL, "64 characters: refused, the limit said: %s", error ? error : "");
        free(error);
        error = NULL;
        CHECK_INT(vc_rule_parse("address 01:00.0 name a name b", &r, &error), -EINVAL);
        CHECK(error && strstr(error, "twice") != NULL, "name given twice: refused");
        free(error);
        error = NULL;
        CHECK_INT(vc_rule_parse("address 01:00.0 name", &r, &error), -EINVAL);
        free(error);
        error = NULL;
        CHECK_INT(vc_rule_parse("name gpu", &r, &error), -EINVAL);
        CHECK(error && strstr(error, "no selector") != NULL, "a name alone selects nothing: refused");
        free(error);

        /* Unique across the configuration: the later rule is refused, both named. */
        CHECK_INT(vc_config_add_line(ctx, &cfg, "/etc/vfio-claim.conf:3", "address 01:00.0 name gpu"), 0);
        CHECK_INT(vc_config_add_line(ctx, &cfg, "/etc/vfio-claim.conf:4", "address 02:00.0 name gpu2"), 0);
        CHECK_INT(n_errors, 0);
        CHECK_INT(vc_config_add_line(ctx, &cfg, "/etc/vfio-claim.d/b.conf:1", "id 10de:1b80 name gpu"), 0);
        CHECK_INT(cfg.n_rules, 2);
        CHECK_INT(cfg.n_errors, 1);
        CHECK(strstr(last_msg, "/etc/vfio-claim.d/b.conf:1") == last_msg &&
                      strstr(last_msg, "/etc/vfio-claim.conf:3") && strstr(last_msg, "'gpu'"),
              "the duplicate's message names both origins and the name: %s", last_msg);
        /* Names are case-sensitive, as CDI's are. */
        CHECK_INT(vc_config_add_line(ctx, &cfg, "t:9", "address 03:00.0 name GPU"), 0);
        CHECK_INT(cfg.n_rules, 3);
        CHECK_INT(cfg.n_errors, 1);
        reset(&cfg);
}

static char tmpdir[] = "/tmp/vfio-claim-test-XXXXXX";

static void write_file(const char *name, const char *content, size_t len)
{
        char path[512];
        int fd;

        snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        CHECK(fd >= 0);
        CHECK_INT(write(fd, content, len), (long long)len);
        close(fd);
}

TEST(files)
{
        struct vc_config cfg = {0};
        char main_file[512], dir[512], cmd[600];
        static const char with_nul[] = "address 01:00.0\nid 10\0de:1\naddress 02:00.0\n";

        CHECK(mkdtemp(tmpdir) != NULL);
        snprintf(main_file, sizeof(main_file), "%s/vfio-claim.conf", tmpdir);
        snprintf(dir, sizeof(dir), "%s/vfio-claim.d", tmpdir);
        CHECK_INT(mkdir(dir, 0755), 0);

        /* Nothing at all. */
        CHECK_INT(vc_config_load(ctx, &cfg, main_file, dir), -ENOENT);
        reset(&cfg);

        /* A bad line between good ones: only it is lost, and it is named. */
        write_file("vfio-claim.conf", "address 01:00.0\nbogus 1\n\naddress 02:00.0", 40);
        CHECK_INT(vc_config_load(ctx, &cfg, main_file, dir), 0);
        CHECK_INT(cfg.n_rules, 2);
        CHECK_INT(cfg.n_errors, 1);
        CHECK(strstr(last_msg, "vfio-claim.conf:2") != NULL);
        CHECK_STR(cfg.rules[1].origin + strlen(tmpdir), "/vfio-claim.conf:4");
        reset(&cfg);

        /* Drop-ins in byte order, after the main file; non-.conf ignored. */
        write_file("vfio-claim.d/b.conf", "address 0b:00.0\n", 16);
        write_file("vfio-claim.d/a.conf", "address 0a:00.0\n", 16);
        write_file("vfio-claim.d/Z.conf", "address 0c:00.0\n", 16);
        write_file("vfio-claim.d/c.conf.dpkg-old", "address 0d:00.0\n", 16);
        CHECK_INT(vc_config_load(ctx, &cfg, main_file, dir), 0);
        CHECK_INT(cfg.n_rules, 5);
        CHECK_INT(cfg.n_read, 4);
        CHECK_INT(cfg.rules[2].slot.bus, 0x0c); /* "Z" sorts before "a" */
        CHECK_INT(cfg.rules[3].slot.bus, 0x0a);
        CHECK_INT(cfg.rules[4].slot.bus, 0x0b);
        reset(&cfg);

        /* NUL byte: that line only. */
        write_file("vfio-claim.conf", with_nul, sizeof(with_nul) - 1);
        CHECK_INT(vc_config_load_file(ctx, &cfg, main_file), 0);
        CHECK_INT(cfg.n_rules, 2);
        CHECK_INT(cfg.n_errors, 1);
        CHECK(strstr(last_msg, ":2: NUL") != NULL);
        reset(&cfg);

        /* A UTF-8 byte order mark (Windows editors) before the first rule. */
        write_file("vfio-claim.conf",
                   "\xef\xbb\xbf"
                   "address 01:00.0\r\n",
                   20);
        CHECK_INT(vc_config_load_file(ctx, &cfg, main_file), 0);
        CHECK_INT(cfg.n_rules, 1);
        CHECK_INT(cfg.n_errors, 0);
        reset(&cfg);

        /* A directory and a FIFO in place of a config file: refused, never read. */
        CHECK_INT(vc_config_load_file(ctx, &cfg, dir), -EISDIR);
        {
                char fifo[512];

                snprintf(fifo, sizeof(fifo), "%s/fifo.conf", tmpdir);
                CHECK_INT(mkfifo(fifo, 0600), 0);
                CHECK_INT(vc_config_load_file(ctx, &cfg, fifo), -EBADFD);
                unlink(fifo);
        }
        reset(&cfg);

        /* Over the size cap. */
        {
                size_t n = VC_CONFIG_MAX + 10;
                char *big = malloc(n);

                memset(big, '#', n);
                write_file("vfio-claim.conf", big, n);
                free(big);
                CHECK_INT(vc_config_load_file(ctx, &cfg, main_file), -EFBIG);
        }
        reset(&cfg);

        /* A line over the line cap. */
        {
                size_t n = VC_LINE_MAX + 100;
                char *big = malloc(n + 20);

                memset(big, ' ', n);
                memcpy(big + n, "\naddress 01:00.0\n", 17);
                write_file("vfio-claim.conf", big, n + 17);
                free(big);
                CHECK_INT(vc_config_load_file(ctx, &cfg, main_file), 0);
                CHECK_INT(cfg.n_rules, 1);
                CHECK_INT(cfg.n_errors, 1);
        }
        reset(&cfg);

        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
        if (system(cmd) != 0)
                t_diag("could not remove %s", tmpdir);
}

TEST(cmdline)
{
        struct vc_config cfg = {0};

        CHECK_INT(vc_cmdline_parse(ctx, &cfg, "BOOT_IMAGE=/vmlinuz root=/dev/sda1 quiet\n", "c"), 0);
        CHECK(!cfg.off && !cfg.dry_run);
        CHECK_INT(cfg.n_rules, 0);
        reset(&cfg);

        CHECK_INT(vc_cmdline_parse(ctx, &cfg, "quiet vfio_claim=off", "c"), 0);
        CHECK(cfg.off);
        reset(&cfg);
        CHECK_INT(vc_cmdline_parse(ctx, &cfg, "vfio-claim=0", "c"), 0);
        CHECK(cfg.off);
        reset(&cfg);
        CHECK_INT(vc_cmdline_parse(ctx, &cfg, "vfio_claim=off vfio_claim=on", "c"), 0);
        CHECK(!cfg.off); /* the last one wins, as for any kernel parameter */
        reset(&cfg);
        CHECK_INT(vc_cmdline_parse(ctx, &cfg, "vfio_claim=maybe", "c"), 0);
        CHECK(!cfg.off);
        CHECK_INT(cfg.n_errors, 1);
        reset(&cfg);
        CHECK_INT(vc_cmdline_parse(ctx, &cfg, "vfio_claimx=off vfio_claim_foo=1", "c"), 0);
        CHECK(!cfg.off);
        CHECK_INT(cfg.n_errors, 0);
        reset(&cfg);

        CHECK_INT(vc_cmdline_parse(ctx, &cfg, "vfio_claim.dry_run", "c"), 0);
        CHECK(cfg.dry_run);
        reset(&cfg);
        CHECK_INT(vc_cmdline_parse(ctx, &cfg, "vfio_claim.dry_run=1", "c"), 0);
        CHECK(cfg.dry_run);
        reset(&cfg);
        CHECK_INT(vc_cmdline_parse(ctx, &cfg, "vfio-claim.dry-run=0", "c"), 0);
        CHECK(!cfg.dry_run);
        reset(&cfg);

        CHECK_INT(vc_cmdline_parse(ctx, &cfg,
                                   "root=/dev/sda1 vfio_claim.rule=\"address 01:00.0 id 10de:1b80\" quiet "
                                   "vfio_claim.rule=\"id 8086:1c02;address 02:00 group\" ro",
                                   "/proc/cmdline"),
                  0);
        CHECK_INT(cfg.n_rules, 3);
        CHECK_INT(cfg.n_errors, 0);
        if (cfg.n_rules == 3) {
                CHECK_STR(cfg.rules[0].text, "address 01:00.0 id 10de:1b80");
                CHECK_STR(cfg.rules[1].text, "id 8086:1c02");
                CHECK_STR(cfg.rules[2].text, "address 02:00 group");
                CHECK_STR(cfg.rules[2].origin, "/proc/cmdline: vfio_claim.rule #3");
        }
        reset(&cfg);

        /* The kernel also takes the quotes around the whole word. */
        CHECK_INT(vc_cmdline_parse(ctx, &cfg, "\"vfio_claim.rule=address 03:00.0\"", "c"), 0);
        CHECK_INT(cfg.n_rules, 1);
        reset(&cfg);
        CHECK_INT(vc_cmdline_parse(ctx, &cfg, "vfio_claim.rule=address", "c"), 0);
        CHECK_INT(cfg.n_rules, 0);
        CHECK_INT(cfg.n_errors, 1);
        CHECK(strstr(last_msg, "c: vfio_claim.rule #1") != NULL);
        reset(&cfg);
        CHECK_INT(vc_cmdline_parse(ctx, &cfg, "vfio_claim.rule= vfio_claim.rule", "c"), 0);
        CHECK_INT(cfg.n_errors, 2);
        reset(&cfg);
        CHECK_INT(vc_cmdline_parse(ctx, &cfg, "vfio_claim.rule=\"address 01:00.0;;bogus;\"", "c"), 0);
        CHECK_INT(cfg.n_rules, 1);
        CHECK_INT(cfg.n_errors, 1);
        reset(&cfg);
        CHECK_INT(vc_cmdline_parse(ctx, &cfg, "vfio_claim.frob=1", "c"), 0);
        CHECK_INT(cfg.n_errors, 1);
        reset(&cfg);

        /* After "--" the words are init's. */
        CHECK_INT(vc_cmdline_parse(ctx, &cfg, "quiet -- vfio_claim=off", "c"), 0);
        CHECK(!cfg.off);
        reset(&cfg);

        /* An unterminated quote runs to the end, as in the kernel. */
        CHECK_INT(vc_cmdline_parse(ctx, &cfg, "vfio_claim.rule=\"address 01:00.0 vfio_claim=off", "c"), 0);
        CHECK(!cfg.off);
        CHECK_INT(cfg.n_errors, 1);
        reset(&cfg);
        /* ... to the end of the line: /proc/cmdline's trailing newline is not part of it. */
        CHECK_INT(vc_cmdline_parse(ctx, &cfg, "quiet vfio_claim.rule=\"address 01:00.0\n", "c"), 0);
        CHECK_INT(cfg.n_rules, 1);
        CHECK_INT(cfg.n_errors, 0);
        if (cfg.n_rules == 1)
                CHECK_STR(cfg.rules[0].text, "address 01:00.0");
        reset(&cfg);

        /* 64 KiB of words: parsed, no crash, nothing selected. */
        {
                size_t n = 64 * 1024;
                char *big = malloc(n + 1);

                for (size_t i = 0; i < n; i++)
                        big[i] = i % 7 == 6 ? ' ' : 'a';
                big[n] = 0;
                CHECK_INT(vc_cmdline_parse(ctx, &cfg, big, "c"), 0);
                CHECK_INT(cfg.n_rules, 0);
                free(big);
        }
        reset(&cfg);
}

/* The deadline's cap is one hour, that hour included: in a config line and
 * in vfio_claim.deadline= alike. */
TEST(deadline_limit)
{
        static const struct {
                const char *value;
                int64_t ms; /* -1: refused */
        } cases[] = {
                {"3600s", 3600000}, {"3600", 3600000}, {"3600000ms", 3600000},
                {"3601s", -1},      {"3601", -1},      {"3600001ms", -1},
        };
        struct vc_config cfg = {0};

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                char *line = xasprintf("deadline %s", cases[i].value),
                     *cmd = xasprintf("quiet vfio_claim.deadline=%s", cases[i].value);
                bool ok = cases[i].ms >= 0;

                CHECK_INT(vc_config_add_line(ctx, &cfg, "t:1", line), 0);
                CHECK(cfg.deadline_set == ok && (!ok || cfg.deadline_ms == cases[i].ms) && n_errors == (ok ? 0u : 1u),
                      "config line \"%s\": %s (set %d, %lld ms, %u errors)", line, ok ? "accepted" : "refused",
                      cfg.deadline_set, (long long)cfg.deadline_ms, n_errors);
                CHECK(ok || (strstr(last_msg, "t:1") && strstr(last_msg, "at most 1 h")),
                      "the refusal names the line and the cap: %s", last_msg);
                reset(&cfg);
                CHECK_INT(vc_cmdline_parse(ctx, &cfg, cmd, "c"), 0);
                CHECK(cfg.deadline_set == ok && (!ok || cfg.deadline_ms == cases[i].ms) && n_errors == (ok ? 0u : 1u),
                      "\"%s\": %s (set %d, %lld ms, %u errors)", cmd, ok ? "accepted" : "refused", cfg.deadline_set,
                      (long long)cfg.deadline_ms, n_errors);
                reset(&cfg);
                free(line);
                free(cmd);
        }
}

/* Every case uses one context whose log lands in last_msg. */
__attribute__((constructor)) static void setup(void)
{
        SETUP(vc_ctx_new("/nonexistent", &ctx));
        vc_ctx_set_log_fn(ctx, capture, NULL);
}

__attribute__((destructor)) static void teardown(void)
{
        vc_ctx_free(ctx);
}
