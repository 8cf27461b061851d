// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * "owner USER[:GROUP]" and "mode MODE": who may open the VFIO nodes of a
 * rule's devices (the group node DEV/vfio/N and, on an iommufd kernel, each
 * device's DEV/vfio/devices/vfioN). DEV/vfio/vfio, the container node, is
 * never touched.
 *
 * Names: an initramfs has no user database. The build hooks run "vfio-claim
 * owners" against the build root and pack its output as the owners file
 * (PKGLIBDIR/owners: "user NAME UID" and "group NAME GID" lines, for the
 * names the rules use); the configuration copies stay as they are (their
 * digest is compared with the real files). A name is looked up in the
 * owners file first, when the context has one, then in ETC/passwd and
 * ETC/group; a number is a number.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "macro.h"
#include "internal.h"

/* What useradd takes (shadow's is_valid_user_name, without '$' at the end):
 * letters, digits, '_', '-', '.', not starting with '-'; or a number. */
static bool owner_name_ok(const char *s, size_t n)
{
        if (n == 0 || n >= VC_OWNER_NAME_MAX || s[0] == '-')
                return false;
        for (size_t i = 0; i < n; i++) {
                char c = s[i];

                if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
                      c == '-' || c == '.'))
                        return false;
        }
        return true;
}

/* A decimal id below 2^32 - 1 ((uid_t)-1 means "unchanged" to chown). */
static bool parse_id(const char *s, uint32_t *ret)
{
        uint64_t v = 0;
        size_t n = strlen(s);

        if (n == 0 || n > 10 || strspn(s, "0123456789") != n)
                return false;
        for (size_t i = 0; i < n; i++)
                v = v * 10 + (uint64_t)(s[i] - '0');
        if (v >= UINT32_MAX)
                return false;
        *ret = (uint32_t)v;
        return true;
}

int vc_owner_parse(const char *s, char user[VC_OWNER_NAME_MAX], char group[VC_OWNER_NAME_MAX], const char **reason)
{
        const char *colon = strchr(s, ':');
        size_t ul = colon ? (size_t)(colon - s) : strlen(s);
        const char *g = colon ? colon + 1 : "";
        size_t gl = strlen(g);

        if (ul == 0 && gl == 0) {
                *reason = "expected USER, USER:GROUP or :GROUP";
                return -EINVAL;
        }
        if (colon && gl == 0) {
                *reason = "':' without a group (write USER, USER:GROUP or :GROUP)";
                return -EINVAL;
        }
        if ((ul > 0 && !owner_name_ok(s, ul)) || (gl > 0 && (!owner_name_ok(g, gl) || strchr(g, ':')))) {
                *reason = "not a user or group name or number (letters, digits, '_', '-', '.'; at most 32)";
                return -EINVAL;
        }
        memcpy(user, s, ul);
        user[ul] = 0;
        memcpy(group, g, gl + 1);
        return 0;
}

int vc_mode_parse(const char *s, unsigned *ret, const char **reason)
{
        size_t n = strlen(s);
        unsigned v = 0;

        if (n == 0 || n > 4 || strspn(s, "01234567") != n) {
                *reason = "expected an octal mode such as 0660";
                return -EINVAL;
        }
        for (size_t i = 0; i < n; i++)
                v = v * 8 + (unsigned)(s[i] - '0');
        if (v > 0777) {
                *reason = "only permission bits (at most 0777): no setuid, setgid or sticky bit on a device node";
                return -EINVAL;
        }
        *ret = v;
        return 0;
}

bool vc_rule_has_perms(const struct vc_rule *r)
{
        return r->has_owner || r->has_mode;
}

unsigned vc_rule_mode(const struct vc_rule *r)
{
        if (r->has_mode)
                return r->mode;
        /* Only ":GROUP": the group is who the rule names; else the user alone. */
        return r->has_owner && !r->owner_user[0] ? 0660 : 0600;
}

/* NAME:x:ID:... in a passwd or group text: the third field of the line whose first is name. */
static int lookup_colon_file(const char *path, const char *name, uint32_t *ret)
{
        _cleanup_free_ char *text = NULL;
        size_t size = 0, nl = strlen(name);
        int r = vc_read_file(path, VC_CONFIG_MAX, &text, &size);

        if (r < 0)
                return r;
        for (char *line = text, *next; line && *line; line = next) {
                char *end = strchr(line, '\n'), *f2, *f3;

                next = end ? end + 1 : NULL;
                if (end)
                        *end = 0;
                if (strncmp(line, name, nl) != 0 || line[nl] != ':')
                        continue;
                f2 = strchr(line + nl + 1, ':');
                if (!f2)
                        continue;
                f3 = strchr(f2 + 1, ':');
                if (f3)
                        *f3 = 0;
                if (parse_id(f2 + 1, ret))
                        return 0;
                return -EINVAL;
        }
        return -ENOENT;
}

/* "user NAME ID" / "group NAME ID" lines of the owners file. */
static int lookup_owners_file(const char *path, bool group, const char *name, uint32_t *ret)
{
        _cleanup_free_ char *text = NULL;
        const char *kind = group ? "group" : "user";
        size_t size = 0;
        int r = vc_read_file(path, VC_CONFIG_MAX, &text, &size);

        if (r < 0)
                return r;
        for (char *line = text, *next; line && *line; line = next) {
                char *end = strchr(line, '\n'), *save = NULL, *k, *n, *id;

                next = end ? end + 1 : NULL;
                if (end)
                        *end = 0;
                k = strtok_r(line, " \t", &save);
                n = k ? strtok_r(NULL, " \t", &save) : NULL;
                id = n ? strtok_r(NULL, " \t", &save) : NULL;
                if (id && strcmp(k, kind) == 0 && strcmp(n, name) == 0)
                        return parse_id(id, ret) ? 0 : -EINVAL;
        }
        return -ENOENT;
}

int vc_owner_lookup(struct vc_ctx *ctx, bool group, const char *name, uint32_t *ret)
{
        char path[4096];
        uint32_t id;
        int r;

        if (parse_id(name, &id)) {
                *ret = id;
                return 0;
        }
        if (ctx->owners_file) {
                r = lookup_owners_file(ctx->owners_file, group, name, &id);
                if (r >= 0) {
                        *ret = id;
                        return 0;
                }
                if (r != -ENOENT)
                        return r;
        }
        r = vc_root_path(ctx, VC_ROOT_ETC, group ? "group" : "passwd", path, sizeof(path));
        if (r < 0)
                return r;
        r = lookup_colon_file(path, name, &id);
        if (r < 0)
                return r;
        *ret = id;
        return 0;
}

int vc_rule_perms(struct vc_ctx *ctx, const struct vc_rule *r, struct vc_perms *ret)
{
        struct vc_perms p = {.uid = VC_ID_UNCHANGED, .gid = VC_ID_UNCHANGED, .mode = vc_rule_mode(r)};
        int k;

        if (r->has_owner && r->owner_user[0]) {
                k = vc_owner_lookup(ctx, false, r->owner_user, &p.uid);
                if (k < 0)
                        return k == -ENOENT ? -ESRCH : k;
        }
        if (r->has_owner && r->owner_group[0]) {
                k = vc_owner_lookup(ctx, true, r->owner_group, &p.gid);
                if (k < 0)
                        return k == -ENOENT ? -ENXIO : k;
        }
        /* A rule with only a mode leaves the node root's, as the kernel made it. */
        if (p.uid == VC_ID_UNCHANGED)
                p.uid = 0;
        if (p.gid == VC_ID_UNCHANGED)
                p.gid = 0;
        *ret = p;
        return 0;
}

bool vc_perms_equal(const struct vc_perms *a, const struct vc_perms *b)
{
        return a->uid == b->uid && a->gid == b->gid && a->mode == b->mode;
}

int vc_node_stat(const char *path, struct vc_perms *ret)
{
        struct stat st;

        if (lstat(path, &st) < 0)
                return -errno;
        if (S_ISLNK(st.st_mode))
                return -ELOOP;
        *ret = (struct vc_perms){.uid = st.st_uid, .gid = st.st_gid, .mode = st.st_mode & 07777};
        return 0;
}

int vc_node_set_perms(const char *path, const struct vc_perms *p)
{
        _cleanup_close_ int fd = -1;
        struct stat st;

        /* O_PATH|O_NOFOLLOW: never through a link planted in /dev/vfio;
         * the changes go through the descriptor (/proc's magic link would
         * need procfs, which fchmodat(AT_EMPTY_PATH) would not). */
        fd = open(path, O_PATH | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (S_ISLNK(st.st_mode) || S_ISDIR(st.st_mode))
                return -ELOOP;
        if (fchownat(fd, "", p->uid, p->gid, AT_EMPTY_PATH) < 0)
                return -errno;
        /* A devtmpfs node is never a link: chmod by name after the checks above. */
        if (chmod(path, p->mode) < 0)
                return -errno;
        return 0;
}

void vc_apply_nodes(struct vc_ctx *ctx, struct vc_devlist *devs, const bool *sel)
{
        for (size_t i = 0; i < devs->n; i++) {
                struct vc_dev *d = &devs->devs[i];
                const struct vc_rule *winner = d->rule;
                struct vc_vfio_nodes nodes;
                struct vc_perms p;
                char path[4096];
                int k;

                if (!sel[i] || !d->rule || !vc_rule_has_perms(d->rule) ||
                    (d->outcome != VC_OUT_CLAIMED && d->outcome != VC_OUT_ALREADY))
                        continue;
                if (vc_dev_vfio_nodes(ctx, d, &nodes) < 0)
                        continue;
                /* One node for the whole group: the first rule (in the
                 * configuration's order) among its selected devices decides. */
                for (size_t j = 0; nodes.group >= 0 && j < devs->n; j++) {
                        struct vc_dev *o = &devs->devs[j];

                        /* Its group read here if not yet: a device held off
                         * (its bind failed) never had its nodes looked up,
                         * and its rule still comes first. */
                        if (o == d || !o->rule || !vc_rule_has_perms(o->rule) || vc_dev_read_group(ctx, o) < 0 ||
                            o->group != nodes.group)
                                continue;
                        if (o->rule < winner)
                                winner = o->rule;
                }
                if (winner != d->rule) {
                        struct vc_perms a, b;

                        if (vc_rule_perms(ctx, winner, &a) < 0 || vc_rule_perms(ctx, d->rule, &b) < 0 ||
                            !vc_perms_equal(&a, &b))
                                vc_log(ctx, LOG_WARNING,
                                       "%s: " VC_DEV_FMT
                                       ": IOMMU group %d has one node; %s's owner and mode apply to it, not this rule's",
                                       d->rule->origin, VC_DEV_ARGS(d), nodes.group, winner->origin);
                }
                k = vc_rule_perms(ctx, winner, &p);
                if (k < 0) {
                        vc_log(ctx, LOG_ERR,
                               "%s: owner '%s%s%s': no such %s; the nodes of " VC_DEV_FMT " stay as they are",
                               winner->origin, winner->owner_user, winner->owner_group[0] ? ":" : "",
                               winner->owner_group,
                               k == -ESRCH   ? "user"
                               : k == -ENXIO ? "group"
                                             : "user or group",
                               VC_DEV_ARGS(d));
                        continue;
                }
                for (int cdev = 0; cdev < 2; cdev++) {
                        if (vc_vfio_node_path(ctx, &nodes, cdev, path, sizeof(path)) < 0)
                                continue;
                        if (ctx->dry_run) {
                                vc_log(ctx, LOG_INFO, "%s: dry run: would set %s to %u:%u %04o", d->addr, path, p.uid,
                                       p.gid, p.mode);
                                continue;
                        }
                        k = vc_node_set_perms(path, &p);
                        if (k < 0) {
                                errno = -k;
                                vc_log(ctx, LOG_ERR, VC_DEV_FMT ": cannot set %s to %u:%u %04o: %m", VC_DEV_ARGS(d),
                                       path, p.uid, p.gid, p.mode);
                        } else
                                vc_log(ctx, LOG_INFO, VC_DEV_FMT ": %s set to %u:%u %04o (%s)", VC_DEV_ARGS(d), path,
                                       p.uid, p.gid, p.mode, winner->origin);
                }
        }
}

int vc_group_members_of(struct vc_ctx *ctx, int group, char ***ret, size_t *ret_n)
{
        return vc_group_members(ctx, group, ret, ret_n);
}
