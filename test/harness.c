// SPDX-License-Identifier: GPL-2.0-or-later
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

const char *t_binary;
const char *t_mkfakesys;

static struct {
        unsigned n; /* checks so far */
        unsigned failed;
        unsigned case_failed;
        const char *case_name;
} T;

/* ---- TAP ---- */

__attribute__((format(printf, 1, 0))) static void vdiag(const char *fmt, va_list ap)
{
        char *s, *save = NULL;

        if (vasprintf(&s, fmt, ap) < 0)
                return;
        for (char *l = strtok_r(s, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
                printf("# %s\n", l);
        free(s);
}

void t_diag(const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        vdiag(fmt, ap);
        va_end(ap);
}

void t_diag_text(const char *label, const char *text)
{
        const char *p = text ? text : "";

        printf("#   %s:%s\n", label, *p ? "" : " (empty)");
        while (*p) {
                size_t n = strcspn(p, "\n");

                printf("#     | %.*s\n", (int)n, p);
                p += n;
                if (*p)
                        p++;
        }
}

__attribute__((format(printf, 4, 0))) static bool vcheck(bool ok, const char *file, int line, const char *fmt,
                                                         va_list ap)
{
        char *msg;

        T.n++;
        if (vasprintf(&msg, fmt, ap) < 0)
                msg = NULL;
        printf("%s %u - %s: ", ok ? "ok" : "not ok", T.n, T.case_name ? T.case_name : "");
        /* One line per check, whatever file contents the message quotes. */
        for (const char *p = msg ? msg : fmt; *p; p++) {
                if (*p == '\n')
                        fputs("\\n", stdout);
                else if (*p == '#')
                        fputs("\\#", stdout);
                else if ((unsigned char)*p < 0x20)
                        printf("\\x%02x", (unsigned char)*p);
                else
                        putchar(*p);
        }
        printf("\n");
        free(msg);
        if (!ok) {
                T.failed++;
                T.case_failed++;
                printf("#   at %s:%d\n", file, line);
        }
        fflush(stdout);
        return ok;
}

bool t_check(bool ok, const char *file, int line, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        ok = vcheck(ok, file, line, fmt, ap);
        va_end(ap);
        return ok;
}

bool t_check_int(long long a, long long b, const char *file, int line, const char *what)
{
        if (t_check(a == b, file, line, "%s", what))
                return true;
        printf("#   got %lld, want %lld\n", a, b);
        return false;
}

bool t_check_str(const char *a, const char *b, const char *file, int line, const char *what)
{
        if (t_check(a && b && strcmp(a, b) == 0, file, line, "%s", what))
                return true;
        t_diag_text("got", a ? a : "(null)");
        t_diag_text("want", b ? b : "(null)");
        return false;
}

void t_skip(const char *why)
{
        T.n++;
        printf("ok %u - %s # SKIP %s\n", T.n, T.case_name ? T.case_name : "", why);
}

_Noreturn void t_fatal(const char *file, int line, const char *what, int err)
{
        printf("Bail out! %s:%d: fixture: %s: %s\n", file, line, what, strerror(err < 0 ? -err : err));
        fflush(stdout);
        exit(99);
}

/* ---- registration and main ---- */

#define MAX_CASES 256
static const struct t_case *cases[MAX_CASES];
static size_t n_cases;
bool t_needs_binary;

void t_register(const struct t_case *c)
{
        if (n_cases == MAX_CASES) {
                printf("Bail out! more than %d test cases in one file\n", MAX_CASES);
                exit(99);
        }
        cases[n_cases++] = c;
}

static int cmp_case(const void *a, const void *b)
{
        const struct t_case *x = *(const struct t_case *const *)a, *y = *(const struct t_case *const *)b;

        return (x->line > y->line) - (x->line < y->line);
}

/* "twins_by_address" is "twins-by-address" on the TAP lines and in $T_ONLY. */
static char *display_name(const char *id)
{
        char *s = strdup(id);

        if (!s)
                t_fatal(__FILE__, __LINE__, "strdup", -ENOMEM);
        for (char *p = s; *p; p++)
                if (*p == '_')
                        *p = '-';
        return s;
}

static bool selected(const char *name)
{
        const char *only = getenv("T_ONLY");
        size_t n = strlen(name);

        if (!only || !*only)
                return true;
        for (const char *p = only; *p;) {
                size_t k = strcspn(p, ",");

                if (k == n && strncmp(p, name, n) == 0)
                        return true;
                p += k;
                if (*p)
                        p++;
        }
        return false;
}

static bool executable_file(const char *path)
{
        struct stat st;

        return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

static int run_cases(void)
{
        unsigned failed_cases = 0, ran = 0;

        /* Constructors run in no promised order: the file's order is the line order. */
        qsort(cases, n_cases, sizeof(cases[0]), cmp_case);
        for (size_t i = 0; i < n_cases; i++) {
                char *name = display_name(cases[i]->name);

                if (!selected(name)) {
                        free(name);
                        continue;
                }
                T.case_name = name;
                T.case_failed = 0;
                printf("# -- %s\n", name);
                cases[i]->fn();
                ran++;
                if (T.case_failed)
                        failed_cases++;
                T.case_name = NULL;
                free(name);
        }
        printf("1..%u\n", T.n);
        printf("# %u case(s), %u check(s), %u failed check(s) in %u case(s)\n", ran, T.n, T.failed, failed_cases);
        return T.failed ? 1 : 0;
}

static const char *arg_or_env(int argc, char *argv[], int i, const char *env)
{
        const char *s = argc > i ? argv[i] : getenv(env);

        return s && *s ? s : NULL;
}

/* argv[1] (or $VFIO_CLAIM): the vfio-claim binary; argv[2] (or $MKFAKESYS): mkfakesys, optional. */
int main(int argc, char *argv[])
{
        setvbuf(stdout, NULL, _IOLBF, 0);
        t_binary = arg_or_env(argc, argv, 1, "VFIO_CLAIM");
        t_mkfakesys = arg_or_env(argc, argv, 2, "MKFAKESYS");
        if (t_binary && !executable_file(t_binary)) {
                printf("1..0 # SKIP %s: not an executable\n", t_binary);
                return 77;
        }
        if (!t_binary && t_needs_binary) {
                printf("1..0 # SKIP no vfio-claim binary: pass its path as the first argument or in $VFIO_CLAIM\n");
                return 77;
        }
        if (t_mkfakesys && !executable_file(t_mkfakesys))
                t_mkfakesys = NULL;
        return run_cases();
}

/* ---- scratch environment ---- */

static char *xstrdup(const char *s)
{
        char *p = strdup(s);

        if (!p)
                t_fatal(__FILE__, __LINE__, "strdup", -ENOMEM);
        return p;
}

char *xvasprintf(const char *fmt, va_list ap)
{
        char *s;

        if (vasprintf(&s, fmt, ap) < 0)
                t_fatal(__FILE__, __LINE__, "asprintf", -ENOMEM);
        return s;
}

char *xasprintf(const char *fmt, ...)
{
        va_list ap;
        char *s;

        va_start(ap, fmt);
        s = xvasprintf(fmt, ap);
        va_end(ap);
        return s;
}

static void write_file(const char *path, const char *text)
{
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        size_t len = strlen(text);

        if (fd < 0)
                t_fatal(__FILE__, __LINE__, path, -errno);
        if (write(fd, text, len) != (ssize_t)len)
                t_fatal(__FILE__, __LINE__, path, -EIO);
        close(fd);
}

static void mkdirs(const char *path)
{
        char *p = xstrdup(path);

        for (char *s = strchr(p + 1, '/');; s = strchr(s + 1, '/')) {
                if (s)
                        *s = 0;
                if (mkdir(p, 0755) < 0 && errno != EEXIST)
                        t_fatal(__FILE__, __LINE__, p, -errno);
                if (!s)
                        break;
                *s = '/';
        }
        free(p);
}

static int rm_tree(const char *path)
{
        /* The scratch directory is ours and small: a plain recursive removal. */
        struct stat st;

        if (lstat(path, &st) < 0)
                return 0;
        if (S_ISDIR(st.st_mode)) {
                DIR *d = opendir(path);
                struct dirent *de;

                if (d) {
                        while ((de = readdir(d))) {
                                char *sub;

                                if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                                        continue;
                                sub = xasprintf("%s/%s", path, de->d_name);
                                rm_tree(sub);
                                free(sub);
                        }
                        closedir(d);
                }
                return rmdir(path);
        }
        return unlink(path);
}

struct tenv *tenv_new(void)
{
        struct tenv *e = calloc(1, sizeof(*e));
        const char *tmp = getenv("TMPDIR");
        char *p;

        if (!e)
                t_fatal(__FILE__, __LINE__, "calloc", -ENOMEM);
        SETUP(fakesys_new(&e->fs));
        e->dir = xasprintf("%s/vfio-claim-test.XXXXXX", tmp && *tmp ? tmp : "/tmp");
        if (!mkdtemp(e->dir))
                t_fatal(__FILE__, __LINE__, "mkdtemp", -errno);
        e->config = xasprintf("%s/vfio-claim.conf", e->dir);
        e->cmdline = xasprintf("%s/cmdline", e->dir);
        e->proc = xasprintf("%s/proc", e->dir);
        e->dev = xasprintf("%s/dev", e->dir);
        e->etc = xasprintf("%s/etc", e->dir);
        e->owners = xasprintf("%s/owners", e->dir);
        e->boot_log = xasprintf("%s/run/boot.log", e->dir);
        e->run = xasprintf("%s/run", e->dir);
        write_file(e->cmdline, "BOOT_IMAGE=/boot/vmlinuz-6.1.0-18-amd64 root=/dev/mapper/vg-root ro quiet\n");
        p = xasprintf("%s/self", e->proc);
        mkdirs(p);
        free(p);
        p = xasprintf("%s/self/mountinfo", e->proc);
        /* A root with no device, so that the binary never looks at the device of the real "/" (see busy.c). */
        write_file(p, "21 1 0:20 / / rw,relatime shared:1 - tmpfs tmpfs rw\n"
                      "22 21 0:21 / /proc rw,nosuid,nodev,noexec,relatime shared:12 - proc proc rw\n"
                      "23 1 0:22 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw\n");
        free(p);
        p = xasprintf("%s/swaps", e->proc);
        write_file(p, "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n");
        free(p);
        mkdirs(e->dev);
        return e;
}

void tenv_machine(struct tenv *e)
{
        static const char spec[] =
                "driver vfio-pci\n"
                "driver pci-stub\n"
                "dev 0000:00:00.0 8086:29c0 1af4:1100 060000 group=0\n"
                "dev 0000:00:01.0 1b36:000c 1af4:1100 060400 driver=pcieport group=1\n"
                "dev 0000:01:00.0 10de:1b80 1458:3702 030000 driver=nouveau group=1 boot_vga=0 "
                "parent=0000:00:01.0\n"
                "dev 0000:01:00.1 10de:10f0 1458:3702 040300 driver=snd_hda_intel group=1 "
                "parent=0000:00:01.0\n"
                "dev 0000:00:02.0 1234:1111 1af4:1100 030000 driver=bochs-drm group=2 boot_vga=1\n"
                "dev 0000:00:03.0 8086:2922 1af4:1100 010601 driver=ahci group=4\n"
                "dev 0000:00:04.0 1b36:000d 1af4:1100 0c0330 driver=xhci_hcd group=5\n"
                "dev 0000:00:1c.0 8086:2940 1af4:1100 060400 driver=pcieport group=6\n"
                "dev 0000:02:00.0 8086:2922 1af4:1100 010601 driver=ahci group=7 parent=0000:00:1c.0\n"
                "dev 0000:00:1f.0 8086:2918 1af4:1100 060100 driver=lpc_ich group=3\n"
                "dev 0000:00:1f.2 8086:2922 1af4:1100 010601 driver=ahci group=3\n"
                "dev 0000:00:1f.3 8086:2930 1af4:1100 0c0500 driver=i801_smbus group=3\n";
        unsigned line = 0;
        int r = fakesys_apply_spec(e->fs, spec, &line);

        if (r < 0) {
                printf("# machine spec line %u\n", line);
                t_fatal(__FILE__, __LINE__, "fakesys_apply_spec", r);
        }
}

void tenv_free(struct tenv *e)
{
        const char *keep = getenv("FAKESYS_KEEP");

        if (!e)
                return;
        fakesys_free(e->fs);
        if (keep && *keep && strcmp(keep, "0") != 0)
                printf("# keeping %s\n", e->dir);
        else
                rm_tree(e->dir);
        free(e->dir);
        free(e->config);
        free(e->cmdline);
        free(e->proc);
        free(e->dev);
        free(e->etc);
        free(e->owners);
        free(e->boot_log);
        free(e->run);
        free(e);
}

void tenv_config(struct tenv *e, const char *text)
{
        write_file(e->config, text);
}

void tenv_cmdline(struct tenv *e, const char *text)
{
        write_file(e->cmdline, text);
}

char *tenv_file(struct tenv *e, const char *rel, const char *text)
{
        char *p = xasprintf("%s/%s", e->dir, rel), *slash = strrchr(p, '/');

        *slash = 0;
        mkdirs(p);
        *slash = '/';
        write_file(p, text);
        return p;
}

void tenv_dev(struct tenv *e, const struct fake_dev *d)
{
        int r = fakesys_add_device(e->fs, d);

        if (r < 0)
                t_fatal(__FILE__, __LINE__, d->addr, r);
}

/* ---- running the binary ---- */

void result_clear(struct result *r)
{
        free(r->out);
        free(r->err);
        free(r->argv);
        *r = (struct result){0};
}

char *t_slurp(const char *path)
{
        FILE *f = fopen(path, "re");
        char *buf = NULL;
        size_t size = 0;

        if (!f)
                return xstrdup("");
        for (;;) {
                char chunk[4096];
                size_t k = fread(chunk, 1, sizeof(chunk), f);
                char *nb;

                if (k == 0)
                        break;
                nb = realloc(buf, size + k + 1);
                if (!nb)
                        t_fatal(__FILE__, __LINE__, "realloc", -ENOMEM);
                buf = nb;
                memcpy(buf + size, chunk, k);
                size += k;
        }
        fclose(f);
        if (!buf)
                return xstrdup("");
        buf[size] = 0;
        return buf;
}

extern char **environ;

static bool same_name(const char *a, const char *b)
{
        size_t n = strcspn(a, "=");

        return strncmp(a, b, n + 1) == 0;
}

char **t_environ(const char *const *vars)
{
        size_t n = 0, k = 0, j = 0;
        char **env;

        while (environ[n])
                n++;
        while (vars && vars[k])
                k++;
        env = calloc(n + k + 2, sizeof(char *));
        if (!env)
                t_fatal(__FILE__, __LINE__, "calloc", -ENOMEM);
        for (size_t i = 0; i < n; i++) {
                bool replaced = same_name("LC_ALL=", environ[i]);

                for (size_t v = 0; v < k && !replaced; v++)
                        replaced = same_name(vars[v], environ[i]);
                if (!replaced)
                        env[j++] = environ[i];
        }
        env[j++] = (char *)"LC_ALL=C";
        for (size_t v = 0; v < k; v++)
                env[j++] = (char *)vars[v];
        env[j] = NULL;
        return env;
}

/* This process's environment with LC_ALL=C: messages in a fixed language. */
char **child_environ(void)
{
        static char **env;

        if (!env)
                env = t_environ(NULL);
        return env;
}

static int temp_file(const char *dir, const char *what, const char *content, char **ret_path)
{
        char *path = xasprintf("%s/.%s.XXXXXX", dir, what);
        int fd = mkostemp(path, O_CLOEXEC);
        size_t len = content ? strlen(content) : 0;

        if (fd < 0)
                t_fatal(__FILE__, __LINE__, path, -errno);
        if (len && write(fd, content, len) != (ssize_t)len)
                t_fatal(__FILE__, __LINE__, path, -EIO);
        if (lseek(fd, 0, SEEK_SET) < 0)
                t_fatal(__FILE__, __LINE__, path, -errno);
        *ret_path = path;
        return fd;
}

/* Runs argv with input on stdin (NULL: /dev/null), stdout and stderr into files in dir. */
void result_start(struct result *r, const char *const *argv)
{
        size_t len = 0;

        result_clear(r);
        for (size_t i = 0; argv[i]; i++)
                len += strlen(argv[i]) + 3;
        r->argv = calloc(1, len + 1);
        if (!r->argv)
                t_fatal(__FILE__, __LINE__, "calloc", -ENOMEM);
        for (size_t i = 0; argv[i]; i++) {
                if (i)
                        strcat(r->argv, " ");
                if (argv[i][0] && !strpbrk(argv[i], " \t;\"'"))
                        strcat(r->argv, argv[i]);
                else {
                        strcat(r->argv, "'");
                        strcat(r->argv, argv[i]);
                        strcat(r->argv, "'");
                }
        }
}

double t_now(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void t_spawn(struct result *r, const char *const *argv, const struct t_spawn *how)
{
        char *out_path, *err_path, *in_path = NULL;
        int out = temp_file(how->dir, "stdout", NULL, &out_path), err = temp_file(how->dir, "stderr", NULL, &err_path);
        int in = how->input ? temp_file(how->dir, "stdin", how->input, &in_path)
                            : open("/dev/null", O_RDONLY | O_CLOEXEC);
        posix_spawn_file_actions_t fa;
        posix_spawnattr_t attr;
        double t0;
        pid_t pid;
        int status = 0, k;

        if (in < 0)
                t_fatal(__FILE__, __LINE__, "/dev/null", -errno);
        result_start(r, argv);
        fflush(stdout);
        fflush(stderr);
        /* posix_spawn, not fork: forking a sanitized process copies its huge shadow mappings. */
        k = posix_spawn_file_actions_init(&fa);
        if (k == 0)
                k = posix_spawn_file_actions_adddup2(&fa, in, 0);
        if (k == 0)
                k = posix_spawn_file_actions_adddup2(&fa, out, 1);
        if (k == 0)
                k = posix_spawn_file_actions_adddup2(&fa, err, 2);
        if (k == 0)
                k = posix_spawnattr_init(&attr);
        if (k == 0)
                k = posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
        if (k == 0)
                k = posix_spawnattr_setpgroup(&attr, 0);
        t0 = t_now();
        if (k == 0)
                k = posix_spawn(&pid, argv[0], &fa, &attr, (char *const *)argv, how->env ? how->env : child_environ());
        posix_spawn_file_actions_destroy(&fa);
        posix_spawnattr_destroy(&attr);
        if (k != 0)
                t_fatal(__FILE__, __LINE__, argv[0], -k);
        r->code = INT_MIN;
        while (how->timeout > 0 || how->tick) {
                pid_t w = waitpid(pid, &status, WNOHANG);

                if (w < 0 && errno != EINTR)
                        t_fatal(__FILE__, __LINE__, "waitpid", -errno);
                if (w == pid)
                        break;
                if (how->timeout > 0 && t_now() - t0 > how->timeout) {
                        (void)kill(-pid, SIGKILL);
                        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                                ;
                        r->code = -1;
                        break;
                }
                if (how->tick)
                        how->tick(how->userdata);
                else
                        (void)poll(NULL, 0, 2);
        }
        if (r->code == INT_MIN && !(how->timeout > 0 || how->tick))
                while (waitpid(pid, &status, 0) < 0)
                        if (errno != EINTR)
                                t_fatal(__FILE__, __LINE__, "waitpid", -errno);
        if (r->code == INT_MIN)
                r->code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        /* A background child left in the group (apply's past its deadline) goes too. */
        r->pgid = pid;
        if (!how->leave_group)
                (void)kill(-pid, SIGKILL);
        r->out = t_slurp(out_path);
        r->err = t_slurp(err_path);
        close(in);
        close(out);
        close(err);
        unlink(out_path);
        unlink(err_path);
        if (in_path)
                unlink(in_path);
        free(out_path);
        free(err_path);
        free(in_path);
}

size_t tenv_argv(const struct tenv *e, const char **argv)
{
        size_t n = 0;

        argv[n++] = t_binary;
        argv[n++] = "--sysfs";
        argv[n++] = fakesys_root(e->fs);
        argv[n++] = "--config";
        argv[n++] = e->config;
        argv[n++] = "--cmdline";
        argv[n++] = e->cmdline;
        argv[n++] = "--proc";
        argv[n++] = e->proc;
        argv[n++] = "--run";
        argv[n++] = e->run;
        argv[n++] = "--dev";
        argv[n++] = e->dev;
        argv[n++] = "--etc";
        argv[n++] = e->etc;
        argv[n++] = "--owners";
        argv[n++] = e->owners;
        argv[n++] = "--boot-log";
        argv[n++] = e->boot_log;
        return n;
}

void tenv_run(struct tenv *e, struct result *r, ...)
{
        const char *argv[64];
        size_t n = tenv_argv(e, argv);
        va_list ap;
        const char *a;

        va_start(ap, r);
        while ((a = va_arg(ap, const char *)) && n < 63)
                argv[n++] = a;
        va_end(ap);
        argv[n] = NULL;
        e->runs++;
        t_spawn(r, argv, &(struct t_spawn){.dir = e->dir});
}

void t_run_prog(struct result *r, const char *prog, const char *const *args, const char *input)
{
        const char *argv[64];
        size_t n = 0;
        const char *tmp = getenv("TMPDIR");

        argv[n++] = prog;
        for (size_t i = 0; args[i] && n < 63; i++)
                argv[n++] = args[i];
        argv[n] = NULL;
        t_spawn(r, argv, &(struct t_spawn){.dir = tmp && *tmp ? tmp : "/tmp", .input = input});
}

bool t_check_run(const struct result *r, bool ok, const char *file, int line, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        ok = vcheck(ok, file, line, fmt, ap);
        va_end(ap);
        if (!ok) {
                printf("#   command: %s\n", r->argv ? r->argv : "?");
                printf("#   exit code: %d\n", r->code);
                t_diag_text("stdout", r->out);
                t_diag_text("stderr", r->err);
        }
        return ok;
}

bool contains(const char *haystack, const char *needle)
{
        return haystack && needle && strstr(haystack, needle);
}

size_t count(const char *haystack, const char *needle)
{
        size_t n = 0, k = strlen(needle);

        if (!haystack || k == 0)
                return 0;
        for (const char *p = strstr(haystack, needle); p; p = strstr(p + k, needle))
                n++;
        return n;
}

size_t count_lines_with(const char *text, ...)
{
        size_t n = 0;

        if (!text)
                return 0;
        for (const char *p = text; *p;) {
                size_t len = strcspn(p, "\n");
                char *line = strndup(p, len);
                bool all = true;
                va_list ap;
                const char *needle;

                if (!line)
                        t_fatal(__FILE__, __LINE__, "strndup", -ENOMEM);
                va_start(ap, text);
                while (all && (needle = va_arg(ap, const char *)))
                        all = strstr(line, needle) != NULL;
                va_end(ap);
                if (all)
                        n++;
                free(line);
                p += len;
                if (*p)
                        p++;
        }
        return n;
}

/* ---- the tree ---- */

#define RING 16
static char *ring[RING];
static unsigned ring_pos;

static const char *keep(char *s)
{
        ring_pos = (ring_pos + 1) % RING;
        free(ring[ring_pos]);
        ring[ring_pos] = s;
        return s;
}

const char *tread(struct tenv *e, const char *relpath)
{
        char *s = fakesys_read(e->fs, relpath);

        return keep(s ? s : xstrdup(""));
}

const char *tattr(struct tenv *e, const char *addr, const char *attr)
{
        char *rel = xasprintf("bus/pci/devices/%s/%s", addr, attr);
        const char *s = tread(e, rel);

        free(rel);
        return s;
}

void tsnap(struct tenv *e, struct fakesys_snapshot *s)
{
        SETUP(fakesys_snapshot(e->fs, s));
}

static int cmp_str(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

bool t_check_changes(struct tenv *e, const struct fakesys_snapshot *before, const struct fakesys_snapshot *after,
                     const char *const *paths, const char *file, int line, const char *what)
{
        char **diff = NULL, **want = NULL;
        size_t nw = 0, nd;
        bool ok = true;
        int k;

        k = fakesys_diff(before, after, &diff);
        if (k < 0)
                t_fatal(file, line, "fakesys_diff", k);
        nd = (size_t)k;
        for (size_t i = 0; paths[i]; i++)
                nw++;
        want = calloc(nw + 1, sizeof(char *));
        if (!want)
                t_fatal(file, line, "calloc", -ENOMEM);
        for (size_t i = 0; i < nw; i++) {
                char *c = fakesys_canon(e->fs, paths[i]);

                if (!c)
                        t_fatal(file, line, paths[i], -ENOENT);
                want[i] = xasprintf("M %s", c);
                free(c);
        }
        qsort(want, nw, sizeof(char *), cmp_str);
        /* Both lists are sorted by path: walk them together. */
        for (size_t i = 0, j = 0; i < nd || j < nw;) {
                int c = i >= nd ? 1 : j >= nw ? -1 : strcmp(diff[i] + 2, want[j] + 2);

                if (c == 0 && strcmp(diff[i], want[j]) == 0) {
                        i++;
                        j++;
                        continue;
                }
                if (ok) {
                        t_check(false, file, line, "%s", what);
                        ok = false;
                }
                if (c == 0) {
                        printf("#   unexpected change: %s (expected %s)\n", diff[i], want[j]);
                        i++;
                        j++;
                } else if (c < 0) {
                        printf("#   unexpected change: %s\n", diff[i]);
                        i++;
                } else {
                        printf("#   expected change missing: %s\n", want[j]);
                        j++;
                }
        }
        if (ok)
                t_check(true, file, line, "%s", what);
        fakesys_strv_free(diff);
        for (size_t i = 0; i < nw; i++)
                free(want[i]);
        free(want);
        return ok;
}

/* ---- JSON ---- */

struct jp {
        const char *s;
        const char *err;
        unsigned depth;
};

static void ws(struct jp *p)
{
        p->s += strspn(p->s, " \t\r\n");
}

static bool jvalue(struct jp *p, struct json *out);

static bool fail(struct jp *p, const char *why)
{
        if (!p->err)
                p->err = why;
        return false;
}

static void put_utf8(char **o, unsigned cp)
{
        char *q = *o;

        if (cp < 0x80)
                *q++ = (char)cp;
        else if (cp < 0x800) {
                *q++ = (char)(0xc0 | cp >> 6);
                *q++ = (char)(0x80 | (cp & 0x3f));
        } else if (cp < 0x10000) {
                *q++ = (char)(0xe0 | cp >> 12);
                *q++ = (char)(0x80 | ((cp >> 6) & 0x3f));
                *q++ = (char)(0x80 | (cp & 0x3f));
        } else {
                *q++ = (char)(0xf0 | cp >> 18);
                *q++ = (char)(0x80 | ((cp >> 12) & 0x3f));
                *q++ = (char)(0x80 | ((cp >> 6) & 0x3f));
                *q++ = (char)(0x80 | (cp & 0x3f));
        }
        *o = q;
}

static bool hex4(const char *s, unsigned *ret)
{
        unsigned v = 0;

        for (int i = 0; i < 4; i++) {
                char c = s[i];

                v <<= 4;
                if (c >= '0' && c <= '9')
                        v |= (unsigned)(c - '0');
                else if (c >= 'a' && c <= 'f')
                        v |= (unsigned)(c - 'a' + 10);
                else if (c >= 'A' && c <= 'F')
                        v |= (unsigned)(c - 'A' + 10);
                else
                        return false;
        }
        *ret = v;
        return true;
}

/* Validates UTF-8 as RFC 3629 has it: shortest forms, no surrogates, at most U+10FFFF. */
static size_t utf8_len(const unsigned char *s)
{
        unsigned cp;
        size_t n;

        if (s[0] < 0x80)
                return 1;
        if (s[0] >= 0xc2 && s[0] <= 0xdf) {
                n = 2;
                cp = s[0] & 0x1f;
        } else if (s[0] >= 0xe0 && s[0] <= 0xef) {
                n = 3;
                cp = s[0] & 0x0f;
        } else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
                n = 4;
                cp = s[0] & 0x07;
        } else
                return 0;
        for (size_t i = 1; i < n; i++) {
                if ((s[i] & 0xc0) != 0x80)
                        return 0;
                cp = cp << 6 | (s[i] & 0x3f);
        }
        if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
                return 0;
        return n;
}

static bool jstring(struct jp *p, char **ret)
{
        const char *s = p->s + 1;
        char *buf = malloc(strlen(s) * 2 + 1), *o = buf;

        if (!buf)
                return fail(p, "out of memory");
        for (;;) {
                unsigned char c = (unsigned char)*s;

                if (c == '"')
                        break;
                if (c == 0) {
                        free(buf);
                        return fail(p, "unterminated string");
                }
                if (c < 0x20) {
                        free(buf);
                        return fail(p, "control character in string");
                }
                if (c == '\\') {
                        unsigned cp, lo;

                        s++;
                        switch (*s) {
                        case '"':
                        case '\\':
                        case '/':
                                *o++ = *s++;
                                break;
                        case 'b':
                                *o++ = '\b';
                                s++;
                                break;
                        case 'f':
                                *o++ = '\f';
                                s++;
                                break;
                        case 'n':
                                *o++ = '\n';
                                s++;
                                break;
                        case 'r':
                                *o++ = '\r';
                                s++;
                                break;
                        case 't':
                                *o++ = '\t';
                                s++;
                                break;
                        case 'u':
                                if (!hex4(s + 1, &cp)) {
                                        free(buf);
                                        return fail(p, "bad \\u escape");
                                }
                                s += 5;
                                if (cp >= 0xd800 && cp <= 0xdbff) {
                                        if (s[0] != '\\' || s[1] != 'u' || !hex4(s + 2, &lo) || lo < 0xdc00 ||
                                            lo > 0xdfff) {
                                                free(buf);
                                                return fail(p, "lone surrogate");
                                        }
                                        s += 6;
                                        cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                                } else if (cp >= 0xdc00 && cp <= 0xdfff) {
                                        free(buf);
                                        return fail(p, "lone surrogate");
                                }
                                if (cp == 0) {
                                        free(buf);
                                        return fail(p, "\\u0000 in string");
                                }
                                put_utf8(&o, cp);
                                break;
                        default:
                                free(buf);
                                return fail(p, "bad escape");
                        }
                        continue;
                }
                {
                        size_t n = utf8_len((const unsigned char *)s);

                        if (n == 0) {
                                free(buf);
                                return fail(p, "invalid UTF-8 in string");
                        }
                        memcpy(o, s, n);
                        o += n;
                        s += n;
                }
        }
        *o = 0;
        p->s = s + 1;
        *ret = buf;
        return true;
}

static bool jnumber(struct jp *p, double *ret)
{
        const char *s = p->s;
        char *end;

        /* -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
        if (*s == '-')
                s++;
        if (*s == '0')
                s++;
        else if (*s >= '1' && *s <= '9')
                s += strspn(s, "0123456789");
        else
                return fail(p, "bad number");
        if (*s == '.') {
                s++;
                if (!strspn(s, "0123456789"))
                        return fail(p, "bad fraction");
                s += strspn(s, "0123456789");
        }
        if (*s == 'e' || *s == 'E') {
                s++;
                if (*s == '+' || *s == '-')
                        s++;
                if (!strspn(s, "0123456789"))
                        return fail(p, "bad exponent");
                s += strspn(s, "0123456789");
        }
        *ret = strtod(p->s, &end);
        if (end != s)
                return fail(p, "bad number");
        p->s = s;
        return true;
}

static bool push_item(struct json *j, struct json *item, char *key)
{
        struct json *items = realloc(j->items, (j->n + 1) * sizeof(*items));

        if (!items)
                return false;
        j->items = items;
        if (j->type == JSON_OBJECT) {
                char **keys = realloc(j->keys, (j->n + 1) * sizeof(*keys));

                if (!keys)
                        return false;
                j->keys = keys;
                j->keys[j->n] = key;
        }
        j->items[j->n++] = *item;
        return true;
}

static void json_clear(struct json *j);

static bool jcontainer(struct jp *p, struct json *out, bool object)
{
        char close = object ? '}' : ']';

        if (++p->depth > 64)
                return fail(p, "nested too deep");
        out->type = object ? JSON_OBJECT : JSON_ARRAY;
        p->s++;
        ws(p);
        if (*p->s == close) {
                p->s++;
                p->depth--;
                return true;
        }
        for (;;) {
                struct json item = {0};
                char *key = NULL;

                ws(p);
                if (object) {
                        if (*p->s != '"' || !jstring(p, &key))
                                return fail(p, "expected a member name");
                        for (size_t i = 0; i < out->n; i++)
                                if (strcmp(out->keys[i], key) == 0) {
                                        free(key);
                                        return fail(p, "duplicate member name");
                                }
                        ws(p);
                        if (*p->s != ':') {
                                free(key);
                                return fail(p, "expected ':'");
                        }
                        p->s++;
                        ws(p);
                }
                if (!jvalue(p, &item)) {
                        free(key);
                        json_clear(&item);
                        return false;
                }
                if (!push_item(out, &item, key)) {
                        free(key);
                        json_clear(&item);
                        return fail(p, "out of memory");
                }
                ws(p);
                if (*p->s == ',') {
                        p->s++;
                        continue;
                }
                if (*p->s == close) {
                        p->s++;
                        p->depth--;
                        return true;
                }
                return fail(p, object ? "expected ',' or '}'" : "expected ',' or ']'");
        }
}

static bool jvalue(struct jp *p, struct json *out)
{
        ws(p);
        switch (*p->s) {
        case '{':
                return jcontainer(p, out, true);
        case '[':
                return jcontainer(p, out, false);
        case '"':
                out->type = JSON_STRING;
                return jstring(p, &out->str);
        case 't':
                if (strncmp(p->s, "true", 4) != 0)
                        return fail(p, "bad literal");
                p->s += 4;
                out->type = JSON_BOOL;
                out->b = true;
                return true;
        case 'f':
                if (strncmp(p->s, "false", 5) != 0)
                        return fail(p, "bad literal");
                p->s += 5;
                out->type = JSON_BOOL;
                return true;
        case 'n':
                if (strncmp(p->s, "null", 4) != 0)
                        return fail(p, "bad literal");
                p->s += 4;
                out->type = JSON_NULL;
                return true;
        default:
                out->type = JSON_NUMBER;
                return jnumber(p, &out->num);
        }
}

static void json_clear(struct json *j)
{
        for (size_t i = 0; i < j->n; i++) {
                json_clear(&j->items[i]);
                if (j->keys)
                        free(j->keys[i]);
        }
        free(j->items);
        free(j->keys);
        free(j->str);
        *j = (struct json){0};
}

struct json *json_parse(const char *text, const char **err)
{
        struct jp p = {.s = text};
        struct json *j = calloc(1, sizeof(*j));

        if (!j) {
                *err = "out of memory";
                return NULL;
        }
        if (!text || !jvalue(&p, j)) {
                *err = p.err ? p.err : "no input";
                json_clear(j);
                free(j);
                return NULL;
        }
        ws(&p);
        if (*p.s) {
                *err = "text after the document";
                json_clear(j);
                free(j);
                return NULL;
        }
        return j;
}

void json_free(struct json *j)
{
        if (!j)
                return;
        json_clear(j);
        free(j);
}

const struct json *json_path(const struct json *j, const char *path)
{
        char *copy = strdup(path), *save = NULL;

        if (!copy)
                return NULL;
        for (char *c = strtok_r(copy, ".", &save); c && j; c = strtok_r(NULL, ".", &save)) {
                const struct json *next = NULL;

                if (j->type == JSON_OBJECT) {
                        for (size_t i = 0; i < j->n && !next; i++)
                                if (strcmp(j->keys[i], c) == 0)
                                        next = &j->items[i];
                } else if (j->type == JSON_ARRAY && strspn(c, "0123456789") == strlen(c)) {
                        size_t i = strtoul(c, NULL, 10);

                        if (i < j->n)
                                next = &j->items[i];
                }
                j = next;
        }
        free(copy);
        return j;
}

const char *json_path_str(const struct json *j, const char *path)
{
        const struct json *v = j ? json_path(j, path) : NULL;

        return v && v->type == JSON_STRING ? v->str : NULL;
}

int t_python_json(const char *text)
{
        const char *tmp = getenv("TMPDIR");
        char *in = xasprintf("%s/json.XXXXXX", tmp && *tmp ? tmp : "/tmp");
        int fd = mkstemp(in), status, i, o, k;
        posix_spawn_file_actions_t fa;
        size_t len = strlen(text);
        pid_t pid;

        if (fd < 0)
                t_fatal(__FILE__, __LINE__, "mkstemp", -errno);
        if (write(fd, text, len) != (ssize_t)len)
                t_fatal(__FILE__, __LINE__, in, -EIO);
        close(fd);
        i = open(in, O_RDONLY | O_CLOEXEC);
        o = open("/dev/null", O_WRONLY | O_CLOEXEC);
        if (i < 0 || o < 0)
                t_fatal(__FILE__, __LINE__, "open", -errno);
        k = posix_spawn_file_actions_init(&fa);
        if (k == 0)
                k = posix_spawn_file_actions_adddup2(&fa, i, 0);
        if (k == 0)
                k = posix_spawn_file_actions_adddup2(&fa, o, 1);
        if (k == 0)
                k = posix_spawn_file_actions_adddup2(&fa, o, 2);
        if (k == 0)
                k = posix_spawnp(&pid, "python3", &fa, NULL, (char *const[]){"python3", "-m", "json.tool", NULL},
                                 environ);
        posix_spawn_file_actions_destroy(&fa);
        close(i);
        close(o);
        if (k != 0) {
                unlink(in);
                free(in);
                return -1;
        }
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR)
                        t_fatal(__FILE__, __LINE__, "waitpid", -errno);
        unlink(in);
        free(in);
        if (!WIFEXITED(status) || WEXITSTATUS(status) == 127 || WEXITSTATUS(status) == 126)
                return -1;
        return WEXITSTATUS(status) == 0 ? 1 : 0;
}

bool t_have_kernel_shim(void)
{
        const char *shim = getenv("FAKE_KERNEL_SHIM");

        if (shim && *shim)
                return true;
        t_skip("no $FAKE_KERNEL_SHIM (meson sets it to the built fake-kernel shim)");
        return false;
}

void tenv_run_kernel(struct tenv *e, struct result *r, const char *const *args, const char *const *vars)
{
        const char *shim = getenv("FAKE_KERNEL_SHIM"), *asan = getenv("ASAN_OPTIONS");
        char *preload = xasprintf("LD_PRELOAD=%s", shim ? shim : "");
        /* ASan must accept a library loaded before its runtime. */
        char *asan_options =
                xasprintf("ASAN_OPTIONS=%s%sverify_asan_link_order=0", asan ? asan : "", asan && *asan ? ":" : "");
        const char *all[16] = {preload, asan_options};
        size_t k = 2;
        const char *argv[64];
        size_t n = tenv_argv(e, argv);
        char **env;

        for (size_t i = 0; vars && vars[i] && k < 15; i++)
                all[k++] = vars[i];
        all[k] = NULL;
        env = t_environ(all);
        for (size_t i = 0; args[i] && n < 63; i++)
                argv[n++] = args[i];
        argv[n] = NULL;
        result_clear(r);
        t_spawn(r, argv, &(struct t_spawn){.dir = e->dir, .env = env, .timeout = 60});
        free(preload);
        free(asan_options);
        free(env);
}
