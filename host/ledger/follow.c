/* follow.c - a verifier following many logs (docs/ledger.md, "Following
 * many logs"): a configuration of registries (receipt registry id, origin,
 * log key, mirror, witnesses, quorum, freshness), and per registry a state
 * in one directory: the incremental auditor's state, the time of the last
 * good update, and the revocations seen. A receipt's log index is checked
 * against the right registry's trusted checkpoint with an inclusion proof
 * built from the mirror's tiles. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "ledger_internal.h"
#include "mh_pki.h"

#define REG_MAX 64
#define WIT_MAX 16
#define TILE_W 256u
#define BUNDLE_MAX (TILE_W * (2u + 65535u))
#define TL_CACHE 8

struct reg {
    char id[MH_FOLLOW_ID_MAX + 1];
    char origin[MH_LEDGER_ORIGIN_MAX + 1];
    mh_note_vkey key;
    char mirror[2048];
    mh_note_vkey wit[WIT_MAX];
    size_t nwit, quorum;
    uint64_t max_age;
    char base[4200]; /* state files: base.audit, base.meta, base.revoked */
};

struct mh_follow {
    struct reg *r;
    size_t n;
    unsigned flags; /* MH_FOLLOW_LOCAL, MH_FOLLOW_COPY */
    char dir[4000];
};

static int cfg_err(const char *path, const char *what)
{
    mh_err_set(MH_ERR_PARSE, "the follower configuration %s: %s", path, what);
    return MH_ERR_PARSE;
}

static int vkey_from(json_t *v, mh_note_vkey *k)
{
    const char *s = json_string_value(v);
    return s && mh_note_vkey_parse(s, strlen(s), k) == 0 ? MH_OK : MH_ERR_PARSE;
}

int mh_follow_open(const char *config, const char *state_dir, mh_follow **out)
{
    return mh_follow_open_ex(config, state_dir, 0, out);
}

int mh_follow_open_ex(const char *config, const char *state_dir, unsigned flags, mh_follow **out)
{
    json_error_t je;
    json_t *root = NULL, *regs;
    mh_follow *f = NULL;
    int ret = MH_ERR_NOMEM;
    *out = NULL;
    if (!config || !state_dir || strlen(state_dir) > 3900) {
        mh_err_set(MH_ERR_INVALID_ARG,
                   "the follower needs a configuration file and a state directory");
        return MH_ERR_INVALID_ARG;
    }
    root = json_load_file(config, JSON_REJECT_DUPLICATES, &je);
    if (!root) {
        mh_err_set(MH_ERR_PARSE, "reading the follower configuration %s: %s (line %d)", config,
                   je.text, je.line);
        return MH_ERR_PARSE;
    }
    regs = json_object_get(root, "registries");
    if (!json_is_array(regs) || json_array_size(regs) == 0 || json_array_size(regs) > REG_MAX) {
        ret = cfg_err(config, "\"registries\" must be an array of 1 to 64 registries");
        goto out;
    }
    if (!(f = calloc(1, sizeof *f)) || !(f->r = calloc(json_array_size(regs), sizeof *f->r)))
        goto out;
    snprintf(f->dir, sizeof f->dir, "%s", state_dir);
    f->flags = flags;
    if (!(flags & MH_FOLLOW_LOCAL) && mkdir(state_dir, 0700) != 0 && errno != EEXIST) {
        mh_err_set(MH_ERR_IO, "creating the follower's state directory %s: %s", state_dir,
                   strerror(errno));
        ret = MH_ERR_IO;
        goto out;
    }
    for (size_t i = 0; i < json_array_size(regs); i++) {
        json_t *o = json_array_get(regs, i), *w;
        struct reg *r = &f->r[i];
        const char *id = json_string_value(json_object_get(o, "id"));
        const char *mirror = json_string_value(json_object_get(o, "mirror"));
        json_int_t q = json_integer_value(json_object_get(o, "quorum"));
        json_int_t age = json_integer_value(json_object_get(o, "max_age"));
        uint8_t h[MH_HASH_LEN];
        char hex[33];
        if (!json_is_object(o) || !id || !*id || strlen(id) > MH_FOLLOW_ID_MAX || !mirror ||
            strlen(mirror) >= sizeof r->mirror) {
            ret = cfg_err(config, "each registry needs \"id\" (the receipts' registry id, 1-64 "
                                  "bytes), \"vkey\" and \"mirror\"");
            goto out;
        }
        snprintf(r->id, sizeof r->id, "%s", id);
        snprintf(r->mirror, sizeof r->mirror, "%s", mirror);
        if (vkey_from(json_object_get(o, "vkey"), &r->key) ||
            (r->key.type != MH_NOTE_ED25519 && r->key.type != MH_NOTE_ECDSA)) {
            ret = cfg_err(config, "a registry's \"vkey\" must be the log's verifier key");
            goto out;
        }
        /* the origin is the log key's name unless given */
        snprintf(r->origin, sizeof r->origin, "%s",
                 json_string_value(json_object_get(o, "origin"))
                     ? json_string_value(json_object_get(o, "origin"))
                     : r->key.name);
        w = json_object_get(o, "witnesses");
        if (w && (!json_is_array(w) || json_array_size(w) > WIT_MAX)) {
            ret = cfg_err(config, "\"witnesses\" is an array of up to 16 witness vkeys");
            goto out;
        }
        for (size_t k = 0; w && k < json_array_size(w); k++)
            if (vkey_from(json_array_get(w, k), &r->wit[r->nwit++]) ||
                r->wit[r->nwit - 1].type != MH_NOTE_COSIG) {
                ret = cfg_err(config, "a witness vkey must be a cosignature/v1 key (type 0x04)");
                goto out;
            }
        if (q < 0 || (size_t)q > r->nwit) {
            ret = cfg_err(config, "\"quorum\" is 0 to the number of witnesses");
            goto out;
        }
        r->quorum = json_object_get(o, "quorum") ? (size_t)q : r->nwit;
        r->max_age = age > 0 ? (uint64_t)age : 86400;
        for (size_t k = 0; k < i; k++)
            if (strcmp(f->r[k].id, r->id) == 0 || strcmp(f->r[k].origin, r->origin) == 0) {
                ret = cfg_err(config, "two registries with the same id or origin");
                goto out;
            }
        mh_merkle_leaf_hash((const uint8_t *)r->origin, strlen(r->origin), h);
        for (int k = 0; k < 16; k++)
            snprintf(hex + 2 * k, 3, "%02x", h[k]);
        snprintf(r->base, sizeof r->base, "%s/%s", state_dir, hex);
        f->n++;
    }
    *out = f;
    f = NULL;
    ret = MH_OK;
out:
    json_decref(root);
    mh_follow_close(f);
    return ret;
}

void mh_follow_close(mh_follow *f)
{
    if (!f)
        return;
    free(f->r);
    free(f);
}

size_t mh_follow_count(const mh_follow *f)
{
    return f ? f->n : 0;
}

const char *mh_follow_id(const mh_follow *f, size_t i)
{
    return f && i < f->n ? f->r[i].id : NULL;
}

static struct reg *find(const mh_follow *f, const char *id, size_t len)
{
    for (size_t i = 0; i < f->n; i++) {
        if ((strlen(f->r[i].id) == len && memcmp(f->r[i].id, id, len) == 0) ||
            (strlen(f->r[i].origin) == len && memcmp(f->r[i].origin, id, len) == 0))
            return &f->r[i];
    }
    return NULL;
}

bool mh_follow_has(const mh_follow *f, const char *id, size_t len)
{
    return f && id && find(f, id, len) != NULL;
}

int mh_follow_log_key(const mh_follow *f, const char *id, mh_note_vkey *key)
{
    const struct reg *r = f && id ? find((mh_follow *)f, id, strlen(id)) : NULL;
    if (!r)
        return mh_err_set(MH_ERR_NOT_FOUND, "no registry '%.64s' is followed", id ? id : "");
    *key = r->key;
    return MH_OK;
}

/* base.meta: "checked <unix time>\n" after the last good update. */
static uint64_t read_checked(const struct reg *r)
{
    char path[4300], buf[64];
    unsigned long long t = 0;
    FILE *fp;
    snprintf(path, sizeof path, "%s.meta", r->base);
    if (!(fp = fopen(path, "r")))
        return 0;
    if (!fgets(buf, sizeof buf, fp) || sscanf(buf, "checked %llu", &t) != 1)
        t = 0;
    fclose(fp);
    return t;
}

/* Every state file is replaced by rename (mh_file_write_atomic): mohurd's
 * front reads them while its follower writes, and must see the old file or
 * the new one, never half of one. */
static int write_small(const char *path, const char *text, size_t len)
{
    return mh_file_write_atomic(path, text, len, 0600);
}

/* base.revoked with lines added: the old text and the new, as one new file. */
static int append_small(const char *path, const char *text, size_t len)
{
    uint8_t *old = NULL;
    size_t olen = 0;
    char *all;
    int rc = mh_file_read(path, (size_t)1 << 30, MH_FILE_REGULAR | MH_FILE_NOFOLLOW, &old, &olen);
    if (rc == MH_ERR_NOT_FOUND) {
        mh_err_clear();
        olen = 0;
    } else if (rc) {
        return rc;
    }
    if (!(all = malloc(olen + len + 1))) {
        free(old);
        return MH_ERR_NOMEM;
    }
    if (olen)
        memcpy(all, old, olen);
    memcpy(all + olen, text, len);
    rc = write_small(path, all, olen + len);
    free(all);
    free(old);
    return rc;
}

/* base.error: why the last update failed ("<code> <unix time>\n<sentence>"),
 * absent when it succeeded. */
static void read_error(const struct reg *r, mh_follow_status *s)
{
    char path[4300], line[64];
    int code = 0;
    unsigned long long t = 0;
    FILE *fp;
    snprintf(path, sizeof path, "%s.error", r->base);
    if (!(fp = fopen(path, "re")))
        return;
    if (fgets(line, sizeof line, fp) && sscanf(line, "%d %llu", &code, &t) == 2 && code < 0 &&
        fgets(s->last_error, sizeof s->last_error, fp)) {
        s->last_error[strcspn(s->last_error, "\n")] = 0;
        s->failed_at = t;
        s->fork = code == MH_ERR_LEDGER_FORK;
    } else {
        s->last_error[0] = 0;
    }
    fclose(fp);
}

static void record_error(const struct reg *r, int code)
{
    char path[4300], text[600];
    int k = snprintf(text, sizeof text, "%d %lld\n%.500s\n", code, (long long)time(NULL),
                     mh_err_message(code));
    snprintf(path, sizeof path, "%s.error", r->base);
    /* the update's own error stays the one reported */
    char keep[512];
    snprintf(keep, sizeof keep, "%s", mh_err_message(code));
    if (k > 0 && write_small(path, text, (size_t)k) != 0)
        mh_err_set(code, "%s", keep);
}

/* ---- the local copy: what the front proves entries with, offline ---------- */

/* Moves every file under from to the same name under to (install) or
 * deletes it, then removes from's directories. Each file is put in place
 * by one rename: a reader sees the old file or the new one. */
static int tree_move(const char *from, const char *to, bool install)
{
    DIR *d = opendir(from);
    struct dirent *e;
    int ret = MH_OK;
    if (!d)
        return errno == ENOENT ? MH_OK : MH_ERR_IO;
    if (install && mkdir(to, 0755) != 0 && errno != EEXIST)
        ret = MH_ERR_IO;
    while (ret == MH_OK && (e = readdir(d))) {
        char a[4400], b[4400];
        struct stat sb;
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(a, sizeof a, "%s/%s", from, e->d_name);
        snprintf(b, sizeof b, "%s/%s", to ? to : "", e->d_name);
        if (lstat(a, &sb) != 0)
            ret = MH_ERR_IO;
        else if (S_ISDIR(sb.st_mode))
            ret = tree_move(a, b, install);
        else if (install ? rename(a, b) != 0 : unlink(a) != 0)
            ret = MH_ERR_IO;
    }
    closedir(d);
    if (ret == MH_OK && rmdir(from) != 0)
        ret = MH_ERR_IO;
    if (ret)
        mh_err_set(MH_ERR_IO, "the follower's local copy (%s) cannot be %s: %s", from,
                   install ? "installed" : "cleared", strerror(errno));
    return ret;
}

/* Partial tiles (C2SP tlog-tiles: NAME.p/WIDTH) a copy no longer needs once
 * a newer checkpoint is trusted: those whose full tile NAME is there, and
 * those narrower than the widest of the same tile. Only files older than
 * FOLLOW_PRUNE_AGE seconds go: a reader that took the previous checkpoint
 * a moment ago still finds its tiles. Best effort (a file that cannot be
 * removed stays until the next update). */
#define FOLLOW_PRUNE_AGE 60

static void prune_partials(const char *dir, const char *full, time_t before)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    struct stat sb;
    unsigned long long widest = 0, w;
    char p[4400], tail;
    bool whole = full && lstat(full, &sb) == 0 && S_ISREG(sb.st_mode);
    if (!d)
        return;
    while (!whole && (e = readdir(d)))
        if (sscanf(e->d_name, "%llu%c", &w, &tail) == 1 && w > widest)
            widest = w;
    rewinddir(d);
    while ((e = readdir(d))) {
        if (sscanf(e->d_name, "%llu%c", &w, &tail) != 1 || (!whole && w >= widest))
            continue;
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        if (lstat(p, &sb) == 0 && S_ISREG(sb.st_mode) && sb.st_mtime < before)
            (void)unlink(p);
    }
    closedir(d);
    if (whole)
        (void)rmdir(dir); /* once empty */
}

static void prune_copy(const char *dir, time_t before)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    if (!d)
        return;
    while ((e = readdir(d))) {
        char p[4400], full[4400];
        struct stat sb;
        size_t n = strlen(e->d_name);
        if (e->d_name[0] == '.')
            continue;
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        if (lstat(p, &sb) != 0 || !S_ISDIR(sb.st_mode))
            continue;
        if (n > 2 && strcmp(e->d_name + n - 2, ".p") == 0) {
            snprintf(full, sizeof full, "%s/%.*s", dir, (int)(n - 2), e->d_name);
            prune_partials(p, full, before);
        } else {
            prune_copy(p, before);
        }
    }
    closedir(d);
}

/* Revocations seen while auditing, kept only once the audit succeeds. */
struct revs {
    char *text;
    size_t len, cap;
};

static int on_entry(void *ctx, uint64_t index, const uint8_t *entry, size_t len)
{
    struct revs *rv = ctx;
    mh_ledger_entry e;
    char line[96];
    int k;
    if (mh_ledger_entry_decode(entry, len, &e) != 0) {
        mh_err_set(MH_ERR_LEDGER_FORK, "entry %llu of the mirror is not a ledger entry",
                   (unsigned long long)index);
        return MH_ERR_LEDGER_FORK;
    }
    if (e.type != MH_LEDGER_REVOKE && e.type != MH_LEDGER_VOID)
        return MH_OK;
    /* a void entry (the document was never delivered) is kept as reason 99 */
    k = snprintf(line, sizeof line, "%llu %llu %u %llu\n", (unsigned long long)e.revoked_index,
                 (unsigned long long)index, e.type == MH_LEDGER_VOID ? 99u : e.reason,
                 (unsigned long long)e.time);
    if (rv->len + (size_t)k + 1 > rv->cap) {
        size_t nc = rv->cap ? rv->cap * 2 : 4096;
        char *nt = realloc(rv->text, nc);
        if (!nt)
            return MH_ERR_NOMEM;
        rv->text = nt;
        rv->cap = nc;
    }
    memcpy(rv->text + rv->len, line, (size_t)k);
    rv->len += (size_t)k;
    return MH_OK;
}

static void fill_status(const struct reg *r, const mh_audit_state *st, mh_follow_status *s)
{
    memset(s, 0, sizeof *s);
    snprintf(s->id, sizeof s->id, "%s", r->id);
    snprintf(s->origin, sizeof s->origin, "%s", r->origin);
    s->size = st->size;
    memcpy(s->root, st->root, MH_HASH_LEN);
    s->checked_at = read_checked(r);
    s->quorum = r->quorum;
    if (st->note_len && mh_cosig_quorum(st->note, st->note_len, r->wit, r->nwit, 0, &s->witnesses,
                                        &s->cosigned_at) != 0)
        s->witnesses = 0; /* quorum 0 never fails; a malformed note counts none */
    s->max_age = r->max_age;
    s->stale = s->checked_at == 0 || (uint64_t)time(NULL) > s->checked_at + r->max_age;
    read_error(r, s);
}

int mh_follow_status_get(mh_follow *f, const char *id, mh_follow_status *s)
{
    struct reg *r = f && id ? find(f, id, strlen(id)) : NULL;
    mh_audit_state *st;
    char path[4300];
    int ret;
    if (!r) {
        mh_err_set(MH_ERR_NOT_FOUND, "no registry '%s' in the follower's configuration",
                   id ? id : "");
        return MH_ERR_NOT_FOUND;
    }
    if (!(st = calloc(1, sizeof *st)))
        return MH_ERR_NOMEM;
    snprintf(path, sizeof path, "%s.audit", r->base);
    if ((ret = mh_audit_state_load(path, st)) == MH_OK)
        fill_status(r, st, s);
    free(st);
    return ret;
}

/* The audit of an update that keeps a local copy: every file it reads
 * goes into a fresh stage (installed by the caller once all checks pass).
 * A trusted tree without its copy (the state of an older follower) is read
 * whole once more into the stage, and the incremental audit must reach the
 * very same tree. */
static int audit_into_stage(const struct reg *r, const char *stage, const char *copy,
                            mh_audit_state *st, mh_audit_result *res, struct revs *rvp)
{
    int ret;
    struct stat sb;
    char ck[4400];
    /* what an update that failed half-way staged, then a fresh stage */
    if ((ret = tree_move(stage, NULL, false)))
        return ret;
    if (mkdir(stage, 0755) != 0) {
        mh_err_set(MH_ERR_IO, "%s cannot be made: %s", stage, strerror(errno));
        return MH_ERR_IO;
    }
    snprintf(ck, sizeof ck, "%s/checkpoint", copy);
    if (st->size > 0 && stat(ck, &sb) != 0) {
        /* a trusted tree without its copy (the state of an older
         * follower): the whole log once more into the stage, then the
         * incremental audit must reach the very same tree */
        mh_audit_state *st0 = calloc(1, sizeof *st0);
        if (!st0)
            return MH_ERR_NOMEM;
        snprintf(st0->origin, sizeof st0->origin, "%s", st->origin);
        ret = mh_audit_mirror_stage(r->mirror, stage, st0, &r->key, 1, NULL, NULL, res);
        if (ret == MH_OK) {
            ret = mh_audit_mirror_stage(r->mirror, stage, st, &r->key, 1, on_entry, rvp, res);
            if (ret == MH_OK &&
                (st0->size != st->size || mh_ct_memcmp(st0->root, st->root, MH_HASH_LEN))) {
                mh_err_set(MH_ERR_IO,
                           "the mirror of '%s' changed while its copy was made; the next "
                           "update tries again",
                           r->id);
                ret = MH_ERR_IO;
            }
        }
        free(st0);
    } else {
        ret = mh_audit_mirror_stage(r->mirror, stage, st, &r->key, 1, on_entry, rvp, res);
    }
    return ret;
}

int mh_follow_update(mh_follow *f, const char *id, mh_follow_status *s, char *evidence,
                     size_t evcap, size_t *evlen)
{
    struct reg *r = id ? find(f, id, strlen(id)) : NULL;
    mh_audit_state *st = NULL;
    mh_audit_result *res = NULL;
    struct revs rv = {0};
    char path[4300], stage[4300], copy[4300];
    bool keep = f && (f->flags & MH_FOLLOW_COPY);
    int rc, ret = MH_ERR_NOMEM;

    if (evlen)
        *evlen = 0;
    if (!r) {
        mh_err_set(MH_ERR_NOT_FOUND, "no registry '%s' in the follower's configuration",
                   id ? id : "");
        return MH_ERR_NOT_FOUND;
    }
    if (f->flags & MH_FOLLOW_LOCAL) {
        mh_err_set(MH_ERR_INVALID_ARG,
                   "this follower reads its local copy only: it does not update (mohurd's "
                   "follower process does)");
        return MH_ERR_INVALID_ARG;
    }
    snprintf(stage, sizeof stage, "%s.stage", r->base);
    snprintf(copy, sizeof copy, "%s.tiles", r->base);
    if (!(st = calloc(1, sizeof *st)) || !(res = calloc(1, sizeof *res)))
        goto out;
    snprintf(path, sizeof path, "%s.audit", r->base);
    if ((ret = mh_audit_state_load(path, st)))
        goto out;
    if (keep) {
        ret = audit_into_stage(r, stage, copy, st, res, &rv);
    } else {
        ret = mh_audit_mirror_each(r->mirror, st, &r->key, 1, on_entry, &rv, res);
    }
    if (ret == MH_OK && strcmp(res->origin, r->origin) != 0) {
        mh_err_set(MH_ERR_VERIFY_FAILED, "the mirror of '%s' serves the log '%s', not '%s'", r->id,
                   res->origin, r->origin);
        ret = MH_ERR_VERIFY_FAILED;
    }
    if (ret) {
        if (ret == MH_ERR_LEDGER_FORK && res->fork && evidence) {
            char reason[1024], epath[4400];
            size_t el = 0;
            snprintf(reason, sizeof reason, "%s", mh_err_message(ret));
            if (mh_audit_evidence(st, res, reason, evidence, evcap, &el) == 0) {
                /* kept once per fork: a follower meets the same one at
                 * every update until it is explained */
                mh_follow_status prev;
                char cut[501];
                memset(&prev, 0, sizeof prev);
                read_error(r, &prev);
                snprintf(cut, sizeof cut, "%s", reason);
                cut[strcspn(cut, "\n")] = 0;
                *evlen = el;
                snprintf(epath, sizeof epath, "%s.fork-%lld.txt", r->base, (long long)time(NULL));
                if (!(prev.fork && strcmp(prev.last_error, cut) == 0) &&
                    write_small(epath, evidence, el) != 0)
                    mh_err_clear();
            }
            mh_err_set(ret, "%s", reason);
        }
        goto out;
    }
    /* the witnesses: the quorum must have cosigned the checkpoint served */
    if (r->quorum > 0) {
        size_t count = 0;
        if ((rc = mh_cosig_quorum(res->note, res->note_len, r->wit, r->nwit, r->quorum, &count,
                                  NULL))) {
            mh_err_set(MH_ERR_VERIFY_FAILED,
                       "the checkpoint of '%s' (%llu entries) carries cosignatures of %zu of "
                       "its %zu witnesses; %zu are required: not trusted",
                       r->id, (unsigned long long)res->size, count, r->nwit, r->quorum);
            ret = MH_ERR_VERIFY_FAILED;
            goto out;
        }
    }
    /* the copy first: a reader that sees the new size finds its tiles */
    if (keep && (ret = tree_move(stage, copy, true)))
        goto out;
    /* the revocations before the checkpoint that covers them: a reader
     * counts only those below the trusted size, so whenever it reads, it
     * sees every revocation its trusted tree holds */
    if (rv.len) {
        char rpath[4300];
        snprintf(rpath, sizeof rpath, "%s.revoked", r->base);
        if ((ret = append_small(rpath, rv.text, rv.len)))
            goto out;
    }
    if ((ret = mh_audit_state_save(path, st)))
        goto out;
    {
        char meta[64];
        int k = snprintf(meta, sizeof meta, "checked %lld\n", (long long)time(NULL));
        snprintf(path, sizeof path, "%s.meta", r->base);
        if ((ret = write_small(path, meta, (size_t)k)))
            goto out;
        snprintf(path, sizeof path, "%s.error", r->base);
        if (unlink(path) != 0 && errno != ENOENT) {
            mh_err_set(MH_ERR_IO, "%s cannot be removed: %s", path, strerror(errno));
            ret = MH_ERR_IO;
            goto out;
        }
    }
    if (keep) {
        char tiles[4400];
        snprintf(tiles, sizeof tiles, "%s/tile", copy);
        prune_copy(tiles, time(NULL) - FOLLOW_PRUNE_AGE);
    }
    if (s) {
        fill_status(r, st, s);
        s->new_entries = res->entries_checked;
        s->bytes_fetched = res->bytes_fetched;
        s->files_fetched = res->files_fetched;
        s->seconds = res->seconds;
    }
    ret = MH_OK;
out:
    if (ret) {
        /* the stage goes, and the reason stays for the readers of the state
         * (mohurd's front shows it with the verdict) */
        char why[600];
        snprintf(why, sizeof why, "%s", mh_err_message(ret));
        if (keep && tree_move(stage, NULL, false) != 0)
            mh_err_clear();
        mh_err_set(ret, "%s", why);
        record_error(r, ret);
    }
    free(rv.text);
    free(st);
    free(res);
    return ret;
}

/* ---- checking a receipt's entry ------------------------------------------ */

struct tilesrc {
    mh_mirror *m;
    uint64_t size;
    uint8_t part[65][MH_HASH_LEN]; /* right-edge ranges, from the trusted edge */
    uint64_t mirror_size;          /* the mirror's own checkpoint, once read (0: not yet) */
    uint8_t *buf;
    uint8_t tile[TL_CACHE][TILE_W][MH_HASH_LEN];
    uint64_t tn[TL_CACHE];
    unsigned tw[TL_CACHE];
    bool have[TL_CACHE];
};

/* A complete subtree's hash from the mirror's tiles (levels between tile
 * levels are hashed from the tile below). The result is checked by the
 * proof against the trusted root, so the mirror is not trusted here. */
static int tile_hash(void *ctx, unsigned level, uint64_t index, uint8_t out[MH_HASH_LEN])
{
    struct tilesrc *t = ctx;
    unsigned L = level / 8, sub = level % 8;
    uint64_t first = index << sub, n = first / TILE_W, nl;
    unsigned w, p0 = (unsigned)(first % TILE_W);
    char rel[128];
    size_t len;
    int rc;
    if (L >= TL_CACHE)
        return MH_ERR_TOO_LARGE;
    nl = t->size >> (8 * L);
    w = (unsigned)(nl - n * TILE_W < TILE_W ? nl - n * TILE_W : TILE_W);
    if (p0 + (1u << sub) > w)
        return MH_ERR_INTERNAL;
    if (!t->have[L] || t->tn[L] != n || t->tw[L] < p0 + (1u << sub)) {
        /* the tile at its width in the trusted tree, or, if the mirror has
         * grown since, the full one: what a tile holds never changes */
        if ((rc = mh_ledger_tile_path((int)L, n, w, rel, sizeof rel)))
            return rc;
        rc = mh_mirror_get(t->m, rel, (uint8_t *)t->tile[L], TILE_W * MH_HASH_LEN, &len);
        if (rc == MH_ERR_NOT_FOUND && w < TILE_W) {
            w = TILE_W;
            if ((rc = mh_ledger_tile_path((int)L, n, w, rel, sizeof rel)))
                return rc;
            rc = mh_mirror_get(t->m, rel, (uint8_t *)t->tile[L], TILE_W * MH_HASH_LEN, &len);
        }
        if (rc == MH_ERR_NOT_FOUND && t->mirror_size == 0) {
            /* the width in the mirror's own (larger) tree */
            size_t cl, body;
            char origin[MH_LEDGER_ORIGIN_MAX + 1];
            uint8_t root[MH_HASH_LEN];
            if (mh_mirror_get(t->m, "checkpoint", t->buf, MH_LEDGER_NOTE_MAX, &cl) == 0 &&
                mh_note_parse((const char *)t->buf, cl, &body) == 0 &&
                mh_ledger_checkpoint_parse((const char *)t->buf, body, origin, sizeof origin,
                                           &t->mirror_size, root) == 0) {
                uint64_t ml = t->mirror_size >> (8 * L);
                unsigned mw = ml > n * TILE_W
                                  ? (unsigned)(ml - n * TILE_W < TILE_W ? ml - n * TILE_W : TILE_W)
                                  : 0;
                if (mw > p0 + ((1u << sub) - 1) && mw < TILE_W) {
                    w = mw;
                    if ((rc = mh_ledger_tile_path((int)L, n, w, rel, sizeof rel)))
                        return rc;
                    rc =
                        mh_mirror_get(t->m, rel, (uint8_t *)t->tile[L], TILE_W * MH_HASH_LEN, &len);
                }
            }
        }
        if (rc == MH_OK && len != (size_t)w * MH_HASH_LEN)
            rc = MH_ERR_LEDGER_FORK;
        if (rc) {
            t->have[L] = false;
            mh_err_set(rc == MH_ERR_NOT_FOUND ? MH_ERR_LEDGER_FORK : rc,
                       "the mirror's tile %s is missing or malformed", rel);
            return rc == MH_ERR_NOT_FOUND ? MH_ERR_LEDGER_FORK : rc;
        }
        t->have[L] = true;
        t->tn[L] = n;
        t->tw[L] = w;
    }
    {
        uint8_t tmp[TILE_W][MH_HASH_LEN];
        unsigned cnt = 1u << sub;
        memcpy(tmp, t->tile[L][p0], (size_t)cnt * MH_HASH_LEN);
        for (unsigned wd = cnt; wd > 1; wd /= 2)
            for (unsigned i = 0; i < wd / 2; i++)
                mh_merkle_node_hash(tmp[2 * i], tmp[2 * i + 1], tmp[i]);
        memcpy(out, tmp[0], MH_HASH_LEN);
    }
    return MH_OK;
}

/* The right-edge ranges of the trusted tree come from its edge, kept by
 * the auditor: no partial tile of the trusted size is needed. */
static int edge_range(void *ctx, uint64_t lo, uint64_t hi, uint8_t out[MH_HASH_LEN])
{
    struct tilesrc *t = ctx;
    unsigned b = 64u - (unsigned)__builtin_clzll(hi - lo);
    if (hi != t->size || (b < 64 ? lo != (hi & ~(((uint64_t)1 << b) - 1)) : lo != 0))
        return MH_ERR_NOT_FOUND;
    memcpy(out, t->part[b], MH_HASH_LEN);
    return MH_OK;
}

/* The trusted state vouches for nothing by itself: its checkpoint must be
 * the log's (signed by the log's key, cosigned by the quorum) and name the
 * very origin, size and root the state holds, and the state's right edge
 * must hash to that root. A state file written by anyone else (a process
 * beside mohurd's front that was taken over) cannot make an entry appear
 * that the log never signed. */
static int state_vouched(const struct reg *r, const mh_audit_state *st)
{
    size_t body = 0, count = 0;
    char origin[MH_LEDGER_ORIGIN_MAX + 1];
    uint64_t size = 0;
    uint8_t root[MH_HASH_LEN], acc[MH_HASH_LEN];
    bool ok = st->note_len > 0 && mh_note_parse(st->note, st->note_len, &body) == 0 &&
              mh_ledger_checkpoint_parse(st->note, body, origin, sizeof origin, &size, root) == 0 &&
              mh_note_verify(st->note, st->note_len, &r->key, 1, NULL, NULL) == 0 &&
              (r->quorum == 0 || mh_cosig_quorum(st->note, st->note_len, r->wit, r->nwit, r->quorum,
                                                 &count, NULL) == 0) &&
              size == st->size && mh_ct_memcmp(root, st->root, MH_HASH_LEN) == 0 &&
              strcmp(origin, r->origin) == 0 && st->has_edge;
    if (ok) {
        bool have = false;
        for (unsigned b = 0; b < 64; b++)
            if ((st->size >> b) & 1) {
                if (have)
                    mh_merkle_node_hash(st->edge[b], acc, acc);
                else
                    memcpy(acc, st->edge[b], MH_HASH_LEN);
                have = true;
            }
        ok = have && mh_ct_memcmp(acc, st->root, MH_HASH_LEN) == 0;
    }
    if (!ok) {
        mh_err_clear();
        mh_err_set(MH_ERR_LEDGER_FORK,
                   "the follower's trusted state of '%s' is not what the log signed (its "
                   "checkpoint, size, root or right edge disagree): it was altered or is from an "
                   "older follower; nothing is believed from it until it is updated from the "
                   "mirror again",
                   r->id);
        return MH_ERR_LEDGER_FORK;
    }
    return MH_OK;
}

/* Revoked or voided? The revocations the audits saw (base.revoked), those
 * inside the trusted tree only. */
static void revocations_of(const struct reg *r, uint64_t index, uint64_t size, mh_follow_entry *out)
{
    FILE *fp;
    char line[128], path[4300];
    snprintf(path, sizeof path, "%s.revoked", r->base);
    if (!(fp = fopen(path, "r")))
        return;
    while (fgets(line, sizeof line, fp)) {
        unsigned long long ri, rx, tm;
        unsigned reason;
        if (sscanf(line, "%llu %llu %u %llu", &ri, &rx, &reason, &tm) == 4 && ri == index &&
            rx < size) {
            if (reason == 99) { /* a void entry */
                out->voided = true;
                out->revoke_index = rx;
                continue;
            }
            out->revoked = true;
            out->revoke_index = rx;
            out->reason = reason;
            out->revoke_time = tm;
        }
    }
    fclose(fp);
}

int mh_follow_check_entry(mh_follow *f, const char *registry, size_t registry_len, uint64_t index,
                          mh_follow_entry *out)
{
    struct reg *r;
    mh_audit_state *st = NULL;
    struct tilesrc *t = NULL;
    mh_mirror m;
    uint8_t proof[MH_MERKLE_MAX_PROOF][MH_HASH_LEN], leaf[MH_HASH_LEN];
    char path[4300], rel[128];
    size_t np, len, pos = 0, el = 0;
    const uint8_t *ent = NULL;
    int ret = MH_ERR_NOMEM;
    bool opened = false;

    memset(out, 0, sizeof *out);
    if (!f || !registry || !(r = find(f, registry, registry_len))) {
        mh_err_set(MH_ERR_NOT_FOUND,
                   "the receipt names the registry '%.*s', which this verifier does not follow",
                   (int)(registry ? registry_len > 64 ? 64 : registry_len : 0),
                   registry ? registry : "");
        return MH_ERR_NOT_FOUND;
    }
    if (!(st = calloc(1, sizeof *st)) || !(t = calloc(1, sizeof *t)) ||
        !(t->buf = malloc(BUNDLE_MAX)))
        goto out;
    snprintf(path, sizeof path, "%s.audit", r->base);
    if ((ret = mh_audit_state_load(path, st)))
        goto out;
    fill_status(r, st, &out->status);
    if (st->size == 0) {
        mh_err_set(MH_ERR_NOT_FOUND,
                   "the follower has no trusted checkpoint of '%s' yet; run 'mohur log follow "
                   "update' first",
                   r->id);
        ret = MH_ERR_NOT_FOUND;
        goto out;
    }
    if ((ret = state_vouched(r, st)))
        goto out;
    if (index >= st->size) {
        mh_err_set(MH_ERR_NOT_FOUND,
                   "entry %llu is not in the checkpoint of '%s' this verifier trusts (%llu "
                   "entries, checked %llu); update the follower",
                   (unsigned long long)index, r->id, (unsigned long long)st->size,
                   (unsigned long long)out->status.checked_at);
        ret = MH_ERR_NOT_FOUND;
        goto out;
    }
    /* offline (mohurd's front): the follower's local copy of the mirror */
    if (f->flags & MH_FOLLOW_LOCAL)
        snprintf(path, sizeof path, "%s.tiles", r->base);
    if ((ret = mh_mirror_open(&m, (f->flags & MH_FOLLOW_LOCAL) ? path : r->mirror)))
        goto out;
    opened = true;
    {
        /* the entry from its bundle (at its width in the trusted tree) */
        uint64_t n = index / TILE_W;
        unsigned w = (unsigned)(st->size - n * TILE_W < TILE_W ? st->size - n * TILE_W : TILE_W);
        if ((ret = mh_ledger_tile_path(-1, n, w, rel, sizeof rel)))
            goto out;
        if ((ret = mh_mirror_get(&m, rel, t->buf, BUNDLE_MAX, &len))) {
            if (ret == MH_ERR_NOT_FOUND)
                ret = MH_ERR_LEDGER_FORK;
            goto out;
        }
        for (unsigned j = 0; j <= (unsigned)(index % TILE_W); j++) {
            if (len - pos < 2 || len - pos - 2 < (el = (size_t)t->buf[pos] << 8 | t->buf[pos + 1]))
                goto bad_bundle;
            ent = t->buf + pos + 2;
            pos += 2 + el;
        }
        if (el > MH_LEDGER_ENTRY_MAX)
            goto bad_bundle;
        memcpy(out->raw, ent, el);
        out->raw_len = el;
        mh_merkle_leaf_hash(ent, el, leaf);
    }
    t->m = &m;
    t->size = st->size;
    {
        uint8_t acc[MH_HASH_LEN];
        bool have = false;
        for (unsigned b = 0; b < 64; b++) {
            if ((st->size >> b) & 1) {
                if (have)
                    mh_merkle_node_hash(st->edge[b], acc, acc);
                else
                    memcpy(acc, st->edge[b], MH_HASH_LEN);
                have = true;
            }
            memcpy(t->part[b + 1], acc, MH_HASH_LEN);
        }
    }
    if ((ret = mh_merkle_inclusion_proof_ex(tile_hash, edge_range, t, index, st->size, proof,
                                            MH_MERKLE_MAX_PROOF, &np)))
        goto out;
    if (mh_merkle_verify_inclusion(leaf, index, st->size, (const uint8_t(*)[MH_HASH_LEN])proof, np,
                                   st->root) != 0) {
        mh_err_set(MH_ERR_LEDGER_FORK,
                   "entry %llu served by the mirror of '%s' is not in the tree this verifier "
                   "trusts: the mirror was rewritten",
                   (unsigned long long)index, r->id);
        ret = MH_ERR_LEDGER_FORK;
        goto out;
    }
    if (mh_ledger_entry_decode(out->raw, out->raw_len, &out->entry) != 0) {
        mh_err_set(MH_ERR_LEDGER_FORK, "entry %llu of '%s' is not a ledger entry",
                   (unsigned long long)index, r->id);
        ret = MH_ERR_LEDGER_FORK;
        goto out;
    }
    out->included = true;
    revocations_of(r, index, st->size, out);
    ret = MH_OK;
    goto out;
bad_bundle:
    mh_err_set(MH_ERR_LEDGER_FORK, "the mirror's entry bundle %s is malformed", rel);
    ret = MH_ERR_LEDGER_FORK;
out:
    if (opened)
        mh_mirror_close(&m);
    if (t)
        free(t->buf);
    free(t);
    free(st);
    return ret;
}

int mh_follow_check_receipt(mh_follow *f, const mh_receipt_claims *c, mh_follow_entry *out)
{
    int ret;
    if (!f || !c || !out || !c->registry.ptr)
        return MH_ERR_INVALID_ARG;
    if ((ret = mh_follow_check_entry(f, c->registry.ptr, c->registry.len, c->log_index, out)))
        return ret;
    if (out->entry.type != MH_LEDGER_ISSUE) {
        mh_err_set(MH_ERR_VERIFY_FAILED,
                   "entry %llu of '%s' is not an issue entry: the receipt names the wrong entry",
                   (unsigned long long)c->log_index, out->status.id);
        return MH_ERR_VERIFY_FAILED;
    }
    if (out->voided) {
        mh_err_set(MH_ERR_VERIFY_FAILED,
                   "entry %llu of '%s' was voided by entry %llu: its document was never "
                   "delivered",
                   (unsigned long long)c->log_index, out->status.id,
                   (unsigned long long)out->revoke_index);
        return MH_ERR_VERIFY_FAILED;
    }
    if (out->entry.has_claims) {
        /* the entry records the digest of everything the receipt says */
        uint8_t cd[MH_HASH_LEN];
        if (mh_receipt_claims_digest(c, cd) != 0 ||
            mh_ct_memcmp(cd, out->entry.claims, MH_HASH_LEN) != 0) {
            mh_err_set(MH_ERR_VERIFY_FAILED,
                       "entry %llu of '%s' records other receipt claims than this receipt's",
                       (unsigned long long)c->log_index, out->status.id);
            return MH_ERR_VERIFY_FAILED;
        }
    }
    if (!c->digest || (c->digest_len != 32 && c->digest_len != 16) ||
        mh_ct_memcmp(c->digest, out->entry.digest, c->digest_len) != 0 ||
        c->doc_len != out->entry.doc_len) {
        mh_err_set(MH_ERR_VERIFY_FAILED,
                   "entry %llu of '%s' records another document (digest or length) than the "
                   "receipt says",
                   (unsigned long long)c->log_index, out->status.id);
        return MH_ERR_VERIFY_FAILED;
    }
    if (c->kind.ptr && (c->kind.len != strlen(out->entry.kind) ||
                        memcmp(c->kind.ptr, out->entry.kind, c->kind.len) != 0)) {
        mh_err_set(MH_ERR_VERIFY_FAILED, "entry %llu of '%s' is a '%s', the receipt says '%.*s'",
                   (unsigned long long)c->log_index, out->status.id, out->entry.kind,
                   (int)(c->kind.len > 64 ? 64 : c->kind.len), c->kind.ptr);
        return MH_ERR_VERIFY_FAILED;
    }
    return MH_OK;
}
