// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * After add and remove: the initramfs rebuilt with the generator the system
 * uses, since the boot reads the rules from the image. The generator is
 * looked up on PATH (never a fixed /usr/sbin path): update-initramfs when
 * /etc/initramfs-tools is there, else dracut, else mkinitcpio, else
 * update-initramfs wherever it is; proxmox-boot-tool refresh after it when
 * PATH has it (Proxmox VE copies the image to its ESPs).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <syslog.h>
#include <unistd.h>

#include "cmd.h"
#include "macro.h"
#include "output.h"

/* The executable file name in a directory of PATH, into file (PATH_MAX); false: none. Only
 * absolute directories count: run as root, an empty or relative entry (the
 * current directory) would run whatever lies there. What is found here is
 * what runs (execv, not execvp's own search). */
static bool find_on_path(const char *name, char *file, size_t size)
{
        const char *path = getenv("PATH");

        if (!path || !*path)
                path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
        for (const char *p = path; *p;) {
                const char *end = strchr(p, ':');
                size_t len = end ? (size_t)(end - p) : strlen(p);
                struct stat st;

                if (len > 0 && p[0] == '/' && snprintf(file, size, "%.*s/%s", (int)len, p, name) < (int)size &&
                    stat(file, &st) == 0 && S_ISREG(st.st_mode) && access(file, X_OK) == 0)
                        return true;
                if (!end)
                        break;
                p = end + 1;
        }
        return false;
}

static bool on_path(const char *name)
{
        char file[PATH_MAX];

        return find_on_path(name, file, sizeof(file));
}

static bool is_dir(const char *root, const char *rel)
{
        char path[4096];
        struct stat st;

        if (snprintf(path, sizeof(path), "%s%s", root ? root : "", rel) >= (int)sizeof(path))
                return false;
        return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static bool exists(const char *root, const char *rel)
{
        char path[4096];
        struct stat st;

        if (snprintf(path, sizeof(path), "%s%s", root ? root : "", rel) >= (int)sizeof(path))
                return false;
        return stat(path, &st) == 0;
}

static const char *const UPDATE_INITRAMFS[] = {"update-initramfs", "-u", NULL};
static const char *const DRACUT[] = {"dracut", "-f", NULL};
static const char *const MKINITCPIO[] = {"mkinitcpio", "-P", NULL};
static const char *const PROXMOX[] = {"proxmox-boot-tool", "refresh", NULL};

/* The running system's generator, from PATH; NULL: none found. */
static const char *const *generator_live(void)
{
        bool uir = on_path("update-initramfs");

        if (uir && is_dir(NULL, "/etc/initramfs-tools"))
                return UPDATE_INITRAMFS;
        if (on_path("dracut"))
                return DRACUT;
        if (on_path("mkinitcpio"))
                return MKINITCPIO;
        return uir ? UPDATE_INITRAMFS : NULL;
}

/* A tree under --root: its configuration directories say which one it uses. */
static const char *const *generator_in_root(const char *root)
{
        if (is_dir(root, "/etc/initramfs-tools"))
                return UPDATE_INITRAMFS;
        if (exists(root, "/etc/dracut.conf") || is_dir(root, "/etc/dracut.conf.d"))
                return DRACUT;
        if (exists(root, "/etc/mkinitcpio.conf"))
                return MKINITCPIO;
        return NULL;
}

static void join(const char *const *argv, char *buf, size_t size)
{
        buf[0] = 0;
        for (size_t i = 0; argv[i]; i++) {
                size_t len = strlen(buf);

                snprintf(buf + len, size - len, "%s%s", i ? " " : "", argv[i]);
        }
}

/* Runs argv (argv[0] found by find_on_path()), its output on ours: its exit code, 127 when it could not start, 128+N
 * for a signal. */
static int run_command(const char *const *argv)
{
        char file[PATH_MAX];
        pid_t pid;
        int status;

        if (!find_on_path(argv[0], file, sizeof(file)))
                return 127;
        fflush(stdout);
        fflush(stderr);
        pid = fork();
        if (pid < 0)
                return -errno;
        if (pid == 0) {
                execv(file, (char *const *)argv);
                _exit(127);
        }
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR)
                        return -errno;
        if (WIFEXITED(status))
                return WEXITSTATUS(status);
        return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

/* Runs argv and says how it went: "ran CMD", or its failure and -EIO. */
static int run_reported(const char *const *argv)
{
        char cmd[256];
        int k;

        join(argv, cmd, sizeof(cmd));
        k = run_command(argv);
        if (k != 0) {
                log_msg(LOG_ERR, "%s failed (%s %d); the configuration stays as written: fix that, then run it again",
                        cmd, k < 0 ? "error" : "exit", k < 0 ? -k : k);
                return -EIO;
        }
        printf("ran %s\n", cmd);
        return 0;
}

/* What the admin would type: the generator, then proxmox-boot-tool where it copies images to the ESPs. */
static void command_text(const char *const *gen, bool proxmox, char *buf, size_t size)
{
        join(gen, buf, size);
        if (proxmox) {
                size_t len = strlen(buf);

                snprintf(buf + len, size - len, " && proxmox-boot-tool refresh");
        }
}

const char *initramfs_rebuild_command(char *buf, size_t size)
{
        const char *const *gen = generator_live();

        if (!gen)
                return NULL;
        command_text(gen, on_path("proxmox-boot-tool"), buf, size);
        return buf;
}

int initramfs_rebuild(const char *root, bool no_rebuild)
{
        bool in_root = root && strcmp(root, "/") != 0;
        /* For tests only: a --root tree, but run what the running system would (from PATH). */
        bool forced = in_root && getenv("VFIO_CLAIM_TEST_REBUILD_IN_ROOT");
        const char *const *gen = in_root && !forced ? generator_in_root(root) : generator_live();
        bool proxmox = in_root && !forced ? exists(root, "/usr/sbin/proxmox-boot-tool") : on_path("proxmox-boot-tool");
        char cmd[256];
        int k;

        if (!gen && in_root && !forced) {
                printf("initramfs not rebuilt (--root: not the running system); to rebuild it, run its generator in %s: update-initramfs -u, dracut -f or mkinitcpio -P\n",
                       root);
                return 0;
        }
        if (!gen) {
                log_msg(LOG_WARNING,
                        "no initramfs generator found on PATH (update-initramfs, dracut, mkinitcpio): rebuild the image yourself, it carries the rules");
                return 0;
        }
        command_text(gen, proxmox, cmd, sizeof(cmd));
        if ((in_root && !forced) || no_rebuild) {
                if (in_root && !forced)
                        printf("initramfs not rebuilt (--root: not the running system); to rebuild it: chroot %s sh -c '%s'\n",
                               root, cmd);
                else
                        printf("initramfs not rebuilt (--no-rebuild); to rebuild it: %s\n", cmd);
                return 0;
        }
        join(gen, cmd, sizeof(cmd));
        log_msg(LOG_NOTICE, "rebuilding the initramfs: %s", cmd);
        k = run_reported(gen);
        if (k < 0 || !proxmox)
                return k;
        return run_reported(PROXMOX);
}
