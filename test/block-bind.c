// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * An LD_PRELOAD shim for the deadline test: opening a file named "bind"
 * never returns, as a write to a driver's bind can sit in its probe on a
 * real machine. Every other open goes to libc. The process stays there
 * until it is killed (the test kills its process group); with
 * $BLOCK_BIND_SECONDS set, the open goes on after that many seconds, as a
 * slow probe's would. $BLOCK_BIND_NAME blocks another name instead
 * ("unbind": vfio-pci's unbind waiting for QEMU to close the device).
 */
/* open and open64 are both defined here: not the one under another name. */
#undef _FILE_OFFSET_BITS
#include <dlfcn.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Exported: the binary under test calls these instead of libc's. */
#define SHIM __attribute__((visibility("default")))

int open(const char *path, int flags, ...) SHIM;
int open64(const char *path, int flags, ...) SHIM;
int openat(int dirfd, const char *path, int flags, ...) SHIM;
int openat64(int dirfd, const char *path, int flags, ...) SHIM;
int __open_2(const char *path, int flags) SHIM;
int __open64_2(const char *path, int flags) SHIM;

/* $BLOCK_BIND_SECONDS: return after that long instead (a slow probe). */
static void block_on_bind(const char *path)
{
        const char *base = strrchr(path, '/'), *seconds = getenv("BLOCK_BIND_SECONDS");
        const char *name = getenv("BLOCK_BIND_NAME");

        if (strcmp(base ? base + 1 : path, name && *name ? name : "bind") != 0)
                return;
        if (seconds && *seconds) {
                sleep((unsigned)atoi(seconds));
                return;
        }
        for (;;)
                pause();
}

typedef int (*open_fn)(const char *, int, ...);
typedef int (*openat_fn)(int, const char *, int, ...);

static mode_t mode_of(int flags, va_list ap)
{
        return (flags & (O_CREAT | O_TMPFILE)) ? (mode_t)va_arg(ap, int) : 0;
}

#define OPEN(name)                                                                                                     \
        int name(const char *path, int flags, ...)                                                                     \
        {                                                                                                              \
                static open_fn real;                                                                                   \
                va_list ap;                                                                                            \
                mode_t mode;                                                                                           \
                                                                                                                       \
                va_start(ap, flags);                                                                                   \
                mode = mode_of(flags, ap);                                                                             \
                va_end(ap);                                                                                            \
                block_on_bind(path);                                                                                   \
                if (!real)                                                                                             \
                        real = (open_fn)dlsym(RTLD_NEXT, #name);                                                       \
                return real(path, flags, mode);                                                                        \
        }

#define OPENAT(name)                                                                                                   \
        int name(int dirfd, const char *path, int flags, ...)                                                          \
        {                                                                                                              \
                static openat_fn real;                                                                                 \
                va_list ap;                                                                                            \
                mode_t mode;                                                                                           \
                                                                                                                       \
                va_start(ap, flags);                                                                                   \
                mode = mode_of(flags, ap);                                                                             \
                va_end(ap);                                                                                            \
                block_on_bind(path);                                                                                   \
                if (!real)                                                                                             \
                        real = (openat_fn)dlsym(RTLD_NEXT, #name);                                                     \
                return real(dirfd, path, flags, mode);                                                                 \
        }

OPEN(open)
OPEN(open64)
OPENAT(openat)
OPENAT(openat64)

/* _FORTIFY_SOURCE's checked entry points. */
int __open_2(const char *path, int flags)
{
        return open(path, flags);
}

int __open64_2(const char *path, int flags)
{
        return open64(path, flags);
}
