// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Files that readers pick up at any moment (node_exporter's textfile
 * collector, a container runtime's CDI cache): written whole to a temporary
 * file in the same directory, then renamed over the old one, so a reader
 * sees the old content or the new, never half of it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd.h"
#include "macro.h"

int write_file_atomic(const char *path, const char *data, size_t size, mode_t mode)
{
        const char *slash = strrchr(path, '/');
        _cleanup_free_ char *tmp = NULL;
        _cleanup_close_ int fd = -1;
        int r;

        /* ".NAME.XXXXXX": hidden, and without the suffix (.prom, .json) its readers look for. */
        if (slash)
                r = asprintf(&tmp, "%.*s/.%s.XXXXXX", (int)(slash - path), path, slash + 1);
        else
                r = asprintf(&tmp, ".%s.XXXXXX", path);
        if (r < 0) {
                tmp = NULL;
                return -ENOMEM;
        }
        fd = mkostemp(tmp, O_CLOEXEC);
        if (fd < 0)
                return negative_errno();
        if (fchmod(fd, mode) < 0)
                goto fail;
        for (size_t done = 0; done < size;) {
                ssize_t k = write(fd, data + done, size - done);

                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0)
                        goto fail;
                done += (size_t)k;
        }
        if (fsync(fd) < 0)
                goto fail;
        if (rename(tmp, path) < 0)
                goto fail;
        return 0;
fail:
        r = negative_errno();
        (void)unlink(tmp);
        return r;
}
