/* audit.c - the incremental, streaming auditor of a C2SP tlog-tiles mirror
 * (see mh_audit_mirror in mh_ledger.h and docs/ledger.md).
 *
 * It keeps the right edge of the tree (one hash per set bit of the size)
 * and, per tile level, the tile being filled (256 hashes). Leaves are
 * appended one at a time from the entry bundles; every complete node at a
 * tile level's base (tree levels 0, 8, 16, ...) falls out of the appends
 * without extra hashing and goes into its tile, which is compared with
 * the mirror's when it is full or, at the end, partial. An audit from a
 * trusted state starts from its edge: the tiles the new tree shares with
 * the trusted one are fetched once and their old part is checked against
 * the trusted edge; the entries already trusted in the first bundle are
 * checked against that. The root of the final edge must be the
 * checkpoint's: as the edge started as the trusted tree's, that proves the
 * new tree extends it (the consistency an RFC 9162 proof would show). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ledger_internal.h"
#include "mh_pki.h"

#define TILE_W 256u
#define TL_MAX 8
#define BUNDLE_MAX (TILE_W * (2u + 65535u))
#define STATE_MAGIC "mohur-audit-state@v1"

struct aud {
    mh_mirror m;
    uint64_t cnt; /* leaves appended so far */
    uint64_t size;
    uint8_t fr[64][MH_HASH_LEN];
    uint8_t (*tb)[TILE_W][MH_HASH_LEN]; /* [TL_MAX]: the tile being filled per level */
    uint8_t *buf;                       /* one fetched file */
    /* a tile fetched at the start (its old part checked), kept for the
     * comparison when it is complete */
    uint8_t (*served)[TILE_W][MH_HASH_LEN];
    uint64_t served_n[TL_MAX];
    unsigned served_w[TL_MAX];
    bool has_served[TL_MAX];
    /* the old format's trusted size and root, checked in passing */
    uint64_t check_size;
    const uint8_t *check_root;
    uint64_t tiles_checked, entries_checked;
    mh_audit_entry_fn each;
    void *each_ctx;
};

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void edge_root(const uint8_t fr[64][MH_HASH_LEN], uint64_t size, uint8_t root[MH_HASH_LEN])
{
    bool have = false;
    if (size == 0) {
        mh_merkle_empty_root(root);
        return;
    }
    for (unsigned b = 0; b < 64; b++) {
        if (!((size >> b) & 1))
            continue;
        if (have) {
            mh_merkle_node_hash(fr[b], root, root);
        } else {
            memcpy(root, fr[b], MH_HASH_LEN);
            have = true;
        }
    }
}

/* The hash of n (a power of two, <= 256) consecutive hashes. */
static void merkle_of(uint8_t (*h)[MH_HASH_LEN], unsigned n, uint8_t out[MH_HASH_LEN])
{
    uint8_t tmp[TILE_W][MH_HASH_LEN];
    memcpy(tmp, h, (size_t)n * MH_HASH_LEN);
    for (unsigned w = n; w > 1; w /= 2)
        for (unsigned i = 0; i < w / 2; i++)
            mh_merkle_node_hash(tmp[2 * i], tmp[2 * i + 1], tmp[i]);
    memcpy(out, tmp[0], MH_HASH_LEN);
}

static int fork_at(const char *what, const char *rel)
{
    mh_err_set(MH_ERR_LEDGER_FORK, "%s%s: the mirror was rewritten or the log forked", what,
               rel ? rel : "");
    return MH_ERR_LEDGER_FORK;
}

/* Fetches tile (level, n) of width w (w < 256: partial). */
static int fetch_tile(struct aud *a, unsigned level, uint64_t n, unsigned w, char *rel,
                      size_t relcap)
{
    size_t len;
    int rc;
    if ((rc = mh_ledger_tile_path((int)level, n, w, rel, relcap)))
        return rc;
    rc = mh_mirror_get(&a->m, rel, a->buf, TILE_W * MH_HASH_LEN, &len);
    if (rc == MH_ERR_NOT_FOUND)
        return fork_at("the mirror lacks the tile ", rel);
    if (rc)
        return rc;
    if (len != (size_t)w * MH_HASH_LEN)
        return fork_at("the mirror's tile has the wrong length: ", rel);
    return MH_OK;
}

/* The tile (level, n) is complete for the tree (w hashes): compare. */
static int tile_done(struct aud *a, unsigned level, uint64_t n, unsigned w)
{
    char rel[128];
    int rc;
    const uint8_t *have;
    if (a->has_served[level] && a->served_n[level] == n && a->served_w[level] == w) {
        have = (const uint8_t *)a->served[level];
        mh_ledger_tile_path((int)level, n, w, rel, sizeof rel);
    } else {
        if ((rc = fetch_tile(a, level, n, w, rel, sizeof rel)))
            return rc;
        have = a->buf;
    }
    if (mh_ct_memcmp(have, a->tb[level], (size_t)w * MH_HASH_LEN) != 0) {
        mh_err_set(MH_ERR_LEDGER_FORK,
                   "the mirror's tile %s does not match the hashes of its entries: the mirror "
                   "was rewritten",
                   rel);
        return MH_ERR_LEDGER_FORK;
    }
    a->tiles_checked++;
    return MH_OK;
}

/* Appends one leaf hash: the edge, and each tile base level reached. */
static int push_leaf(struct aud *a, const uint8_t h[MH_HASH_LEN])
{
    uint8_t c[MH_HASH_LEN];
    uint64_t i = a->cnt;
    unsigned lv = 0;
    int rc;
    memcpy(a->tb[0][i % TILE_W], h, MH_HASH_LEN);
    if (i % TILE_W == TILE_W - 1 && (rc = tile_done(a, 0, i / TILE_W, TILE_W)))
        return rc;
    memcpy(c, h, MH_HASH_LEN);
    while ((i >> lv) & 1) {
        mh_merkle_node_hash(a->fr[lv], c, c);
        lv++;
        if (lv % 8 == 0 && lv / 8 < TL_MAX) {
            unsigned L = lv / 8;
            uint64_t idx = ((i + 1) >> lv) - 1;
            memcpy(a->tb[L][idx % TILE_W], c, MH_HASH_LEN);
            if (idx % TILE_W == TILE_W - 1 && (rc = tile_done(a, L, idx / TILE_W, TILE_W)))
                return rc;
        }
    }
    memcpy(a->fr[lv], c, MH_HASH_LEN);
    a->cnt = i + 1;
    if (a->check_root && a->cnt == a->check_size) {
        uint8_t r[MH_HASH_LEN];
        edge_root(a->fr, a->cnt, r);
        if (mh_ct_memcmp(r, a->check_root, MH_HASH_LEN) != 0) {
            mh_err_set(MH_ERR_LEDGER_FORK,
                       "the mirror's tree at %llu entries is not the tree trusted before: the "
                       "log forked or was rewritten",
                       (unsigned long long)a->cnt);
            return MH_ERR_LEDGER_FORK;
        }
    }
    return MH_OK;
}

/* Starting from a trusted edge at size a->cnt: for each tile level, the
 * tile the new tree shares with the trusted one is fetched once (at its
 * width in the new tree), and its old part must combine into the trusted
 * edge's subtrees of that level. */
static int load_shared_tiles(struct aud *a)
{
    char rel[128];
    int rc;
    for (unsigned L = 0; L < TL_MAX && (a->cnt >> (8 * L)) > 0; L++) {
        uint64_t cl = a->cnt >> (8 * L), n = cl / TILE_W;
        unsigned ow = (unsigned)(cl % TILE_W), pos = 0;
        uint64_t nl = a->size >> (8 * L);
        unsigned w = (unsigned)(nl - n * TILE_W < TILE_W ? nl - n * TILE_W : TILE_W);
        if (ow == 0)
            continue;
        if ((rc = fetch_tile(a, L, n, w, rel, sizeof rel)))
            return rc;
        memcpy(a->served[L], a->buf, (size_t)w * MH_HASH_LEN);
        a->served_n[L] = n;
        a->served_w[L] = w;
        a->has_served[L] = true;
        memcpy(a->tb[L], a->buf, (size_t)ow * MH_HASH_LEN);
        /* the set bits of ow, highest first, are the trusted edge's
         * subtrees at levels 8L + b */
        for (int b = 7; b >= 0; b--) {
            uint8_t h[MH_HASH_LEN];
            if (!((ow >> b) & 1))
                continue;
            merkle_of(&a->tb[L][pos], 1u << b, h);
            if (mh_ct_memcmp(h, a->fr[8 * L + (unsigned)b], MH_HASH_LEN) != 0) {
                mh_err_set(MH_ERR_LEDGER_FORK,
                           "the mirror's tile %s does not hold the tree trusted before (%llu "
                           "entries): the log forked or the mirror was rewritten",
                           rel, (unsigned long long)a->cnt);
                return MH_ERR_LEDGER_FORK;
            }
            pos += 1u << b;
        }
    }
    return MH_OK;
}

/* Reads the entry bundles from the one holding entry a->cnt to the end. */
static int stream_bundles(struct aud *a)
{
    char rel[128];
    uint64_t first_new = a->cnt;
    int rc;
    for (uint64_t n = a->cnt / TILE_W; n * TILE_W < a->size; n++) {
        uint64_t first = n * TILE_W;
        unsigned w = (unsigned)(a->size - first < TILE_W ? a->size - first : TILE_W);
        size_t len, pos = 0;
        if ((rc = mh_ledger_tile_path(-1, n, w, rel, sizeof rel)))
            return rc;
        rc = mh_mirror_get(&a->m, rel, a->buf, BUNDLE_MAX, &len);
        if (rc == MH_ERR_NOT_FOUND)
            return fork_at("the mirror lacks the entry bundle ", rel);
        if (rc)
            return rc;
        for (unsigned j = 0; j < w; j++) {
            uint8_t h[MH_HASH_LEN];
            size_t el;
            if (len - pos < 2)
                goto short_bundle;
            el = (size_t)a->buf[pos] << 8 | a->buf[pos + 1];
            pos += 2;
            if (len - pos < el)
                goto short_bundle;
            mh_merkle_leaf_hash(a->buf + pos, el, h);
            pos += el;
            if (first + j < first_new) {
                /* trusted before: its leaf is in the checked old part */
                if (mh_ct_memcmp(h, a->tb[0][j], MH_HASH_LEN) != 0) {
                    mh_err_set(MH_ERR_LEDGER_FORK,
                               "entry %llu in the mirror's bundle %s is not the one trusted "
                               "before: the mirror was rewritten",
                               (unsigned long long)(first + j), rel);
                    return MH_ERR_LEDGER_FORK;
                }
                continue;
            }
            if ((rc = push_leaf(a, h)))
                return rc;
            if (a->each && (rc = a->each(a->each_ctx, first + j, a->buf + pos - el, el)))
                return rc;
            a->entries_checked++;
        }
        if (pos != len)
            goto short_bundle;
    }
    return MH_OK;
short_bundle:
    mh_err_set(MH_ERR_LEDGER_FORK,
               "the mirror's entry bundle %s does not hold the entries its name says: the mirror "
               "was rewritten",
               rel);
    return MH_ERR_LEDGER_FORK;
}

static int read_checkpoint(struct aud *a, const mh_audit_state *st, const mh_note_vkey *keys,
                           size_t nkeys, mh_audit_result *res)
{
    size_t len, body = 0;
    int rc = mh_mirror_get(&a->m, "checkpoint", a->buf, MH_LEDGER_NOTE_MAX, &len);
    if (rc == MH_ERR_LEDGER_FORK) {
        mh_err_set(MH_ERR_LEDGER_FORK, "the mirror's checkpoint is larger than %d bytes",
                   MH_LEDGER_NOTE_MAX);
        return MH_ERR_LEDGER_FORK;
    }
    if (rc)
        return rc;
    memcpy(res->note, a->buf, len);
    res->note[len] = 0;
    res->note_len = len;
    if (mh_note_parse(res->note, len, &body) != 0 ||
        mh_ledger_checkpoint_parse(res->note, body, res->origin, sizeof res->origin, &res->size,
                                   res->root) != 0) {
        mh_err_set(MH_ERR_LEDGER_FORK,
                   "the mirror's checkpoint is not a signed checkpoint (C2SP tlog-checkpoint)");
        return MH_ERR_LEDGER_FORK;
    }
    if (nkeys > 0) {
        rc = mh_note_verify(res->note, len, keys, nkeys, NULL, NULL);
        if (rc) {
            mh_err_set(MH_ERR_VERIFY_FAILED,
                       "the mirror's checkpoint is not signed by the log's key %s", keys[0].name);
            return MH_ERR_VERIFY_FAILED;
        }
    }
    if (st->origin[0] && strcmp(st->origin, res->origin) != 0) {
        mh_err_set(MH_ERR_VERIFY_FAILED,
                   "the mirror's checkpoint is for the log '%s', not '%s' audited before",
                   res->origin, st->origin);
        return MH_ERR_VERIFY_FAILED;
    }
    return MH_OK;
}

int mh_audit_mirror(const char *where, mh_audit_state *st, const mh_note_vkey *keys, size_t nkeys,
                    mh_audit_result *res)
{
    return mh_audit_mirror_each(where, st, keys, nkeys, NULL, NULL, res);
}

int mh_audit_mirror_each(const char *where, mh_audit_state *st, const mh_note_vkey *keys,
                         size_t nkeys, mh_audit_entry_fn each, void *ctx, mh_audit_result *res)
{
    return mh_audit_mirror_stage(where, NULL, st, keys, nkeys, each, ctx, res);
}

int mh_audit_mirror_stage(const char *where, const char *stage, mh_audit_state *st,
                          const mh_note_vkey *keys, size_t nkeys, mh_audit_entry_fn each, void *ctx,
                          mh_audit_result *res)
{
    struct aud *a = NULL;
    double t0 = now();
    uint8_t r[MH_HASH_LEN];
    int ret;

    memset(res, 0, sizeof *res);
    res->old_size = st->size;
    ret = MH_ERR_NOMEM;
    if (!(a = calloc(1, sizeof *a)) || !(a->tb = calloc(TL_MAX, sizeof *a->tb)) ||
        !(a->served = calloc(TL_MAX, sizeof *a->served)) || !(a->buf = malloc(BUNDLE_MAX)))
        goto out;
    a->each = each;
    a->each_ctx = ctx;
    if ((ret = mh_mirror_open(&a->m, where)))
        goto out;
    a->m.stage = stage;
    if ((ret = read_checkpoint(a, st, keys, nkeys, res)))
        goto out;
    a->size = res->size;
    if (res->size < st->size) {
        res->fork = true;
        mh_err_set(MH_ERR_LEDGER_FORK,
                   "the mirror's checkpoint has %llu entries, fewer than the %llu trusted "
                   "before: the log was rolled back or forked",
                   (unsigned long long)res->size, (unsigned long long)st->size);
        ret = MH_ERR_LEDGER_FORK;
        goto out;
    }
    if (st->size > 0 && st->has_edge) {
        a->cnt = st->size;
        memcpy(a->fr, st->edge, sizeof a->fr);
        if ((ret = load_shared_tiles(a))) {
            res->fork = ret == MH_ERR_LEDGER_FORK;
            goto out;
        }
    } else if (st->size > 0) {
        a->check_size = st->size;
        a->check_root = st->root;
    }
    if ((ret = stream_bundles(a))) {
        /* the old format's root check failing is a fork too */
        res->fork = ret == MH_ERR_LEDGER_FORK && a->check_root && a->cnt == a->check_size;
        goto out;
    }
    /* the partial tiles at the end */
    for (unsigned L = 0; L < TL_MAX && (a->size >> (8 * L)) > 0; L++) {
        uint64_t nl = a->size >> (8 * L);
        if (nl % TILE_W && (ret = tile_done(a, L, nl / TILE_W, (unsigned)(nl % TILE_W))))
            goto out;
    }
    edge_root(a->fr, a->size, r);
    if (mh_ct_memcmp(r, res->root, MH_HASH_LEN) != 0) {
        if (st->size > 0 && st->has_edge)
            mh_err_set(MH_ERR_LEDGER_FORK,
                       "the mirror's checkpoint (%llu entries) does not extend the tree trusted "
                       "before (%llu entries): its root is not the one the entries give from "
                       "the trusted edge on; the log forked or the mirror was rewritten",
                       (unsigned long long)a->size, (unsigned long long)st->size);
        else
            mh_err_set(MH_ERR_LEDGER_FORK,
                       "the root recomputed from the mirror's entries is not the root in its "
                       "checkpoint: the mirror was rewritten");
        res->fork = st->size > 0 && st->has_edge;
        ret = MH_ERR_LEDGER_FORK;
        goto out;
    }
    if (a->check_root && a->size == st->size && mh_ct_memcmp(r, st->root, MH_HASH_LEN) != 0) {
        res->fork = true;
        mh_err_set(MH_ERR_LEDGER_FORK,
                   "the mirror's tree at %llu entries is not the tree trusted before: the log "
                   "forked or was rewritten",
                   (unsigned long long)a->size);
        ret = MH_ERR_LEDGER_FORK;
        goto out;
    }
    /* trusted from now on */
    st->size = a->size;
    memcpy(st->root, r, MH_HASH_LEN);
    memcpy(st->edge, a->fr, sizeof st->edge);
    for (unsigned b = 0; b < 64; b++)
        if (!((st->size >> b) & 1))
            memset(st->edge[b], 0, MH_HASH_LEN);
    st->has_edge = true;
    snprintf(st->origin, sizeof st->origin, "%s", res->origin);
    memcpy(st->note, res->note, res->note_len + 1);
    st->note_len = res->note_len;
    ret = MH_OK;
out:
    if (a) {
        res->entries_checked = a->entries_checked;
        res->tiles_checked = a->tiles_checked;
        res->files_fetched = a->m.files;
        res->bytes_fetched = a->m.bytes;
        mh_mirror_close(&a->m);
        free(a->tb);
        free(a->served);
        free(a->buf);
        free(a);
    }
    res->seconds = now() - t0;
    return ret;
}

/* ---- the state file ------------------------------------------------------ */

/* One line of the state file, bounded. */
static bool next_line(const char **p, const char *end, char *line, size_t cap)
{
    const char *nl = memchr(*p, '\n', (size_t)(end - *p));
    size_t n;
    if (!nl)
        return false;
    n = (size_t)(nl - *p);
    if (n >= cap)
        return false;
    memcpy(line, *p, n);
    line[n] = 0;
    *p = nl + 1;
    return true;
}

static bool b64_hash(const char *s, uint8_t out[MH_HASH_LEN])
{
    size_t n;
    return mh_base64_decode(s, strlen(s), out, MH_HASH_LEN, &n) == 0 && n == MH_HASH_LEN;
}

static bool parse_u64(const char *s, uint64_t *v)
{
    char *end;
    unsigned long long x;
    if (!*s || *s == '-' || *s == '+' || (s[0] == '0' && s[1]))
        return false;
    errno = 0;
    x = strtoull(s, &end, 10);
    if (errno || *end)
        return false;
    *v = x;
    return true;
}

int mh_audit_state_load(const char *path, mh_audit_state *st)
{
    char *text = NULL, line[16384];
    const char *p, *end;
    struct stat sb;
    ssize_t got;
    int fd, ret = MH_ERR_PARSE;
    uint64_t edges = 0;

    memset(st, 0, sizeof *st);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT)
            return MH_OK; /* nothing trusted yet */
        mh_err_set(MH_ERR_IO, "reading the audit state %s: %s", path, strerror(errno));
        return MH_ERR_IO;
    }
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) || sb.st_size > 65536 ||
        !(text = malloc((size_t)sb.st_size + 1))) {
        close(fd);
        mh_err_set(MH_ERR_PARSE, "the audit state %s is not a file of at most 64 KiB", path);
        return MH_ERR_PARSE;
    }
    got = read(fd, text, (size_t)sb.st_size);
    close(fd);
    if (got != sb.st_size)
        goto bad;
    text[got] = 0;
    p = text;
    end = text + got;
    if (!next_line(&p, end, line, sizeof line))
        goto bad;
    if (strncmp(line, "trusted ", 8) == 0) {
        /* the old format: "trusted SIZE ROOT" */
        char *sp = strchr(line + 8, ' ');
        if (!sp)
            goto bad;
        *sp = 0;
        if (!parse_u64(line + 8, &st->size) || !b64_hash(sp + 1, st->root))
            goto bad;
        ret = MH_OK;
        goto out;
    }
    if (strcmp(line, STATE_MAGIC) != 0)
        goto bad;
    while (p < end) {
        if (!next_line(&p, end, line, sizeof line))
            goto bad;
        if (strncmp(line, "origin ", 7) == 0) {
            if (strlen(line + 7) > MH_LEDGER_ORIGIN_MAX)
                goto bad;
            snprintf(st->origin, sizeof st->origin, "%s", line + 7);
        } else if (strncmp(line, "size ", 5) == 0) {
            if (!parse_u64(line + 5, &st->size))
                goto bad;
        } else if (strncmp(line, "root ", 5) == 0) {
            if (!b64_hash(line + 5, st->root))
                goto bad;
        } else if (strncmp(line, "edge ", 5) == 0) {
            char *sp = strchr(line + 5, ' ');
            uint64_t b;
            if (!sp)
                goto bad;
            *sp = 0;
            if (!parse_u64(line + 5, &b) || b >= 64 || !b64_hash(sp + 1, st->edge[b]))
                goto bad;
            edges |= (uint64_t)1 << b;
        } else if (strncmp(line, "checkpoint ", 11) == 0) {
            size_t n;
            if (mh_base64_decode(line + 11, strlen(line + 11), (uint8_t *)st->note,
                                 sizeof st->note - 1, &n) != 0)
                goto bad;
            st->note[n] = 0;
            st->note_len = n;
        } else {
            goto bad;
        }
    }
    /* an edge for exactly the set bits of size, and its root the root */
    if (edges != st->size)
        goto bad;
    {
        uint8_t r[MH_HASH_LEN];
        edge_root((const uint8_t(*)[MH_HASH_LEN])st->edge, st->size, r);
        if (st->size && mh_ct_memcmp(r, st->root, MH_HASH_LEN) != 0)
            goto bad;
    }
    st->has_edge = true;
    ret = MH_OK;
    goto out;
bad:
    mh_err_set(MH_ERR_PARSE,
               "%s is not an audit state file (or it was damaged); move it aside to audit the log "
               "from the start",
               path);
    ret = MH_ERR_PARSE;
out:
    free(text);
    return ret;
}

int mh_audit_state_save(const char *path, const mh_audit_state *st)
{
    char tmp[4200], b64[64], *nb = NULL;
    size_t n;
    FILE *f = NULL;
    int fd, ret = MH_ERR_IO;

    snprintf(tmp, sizeof tmp, "%s.tmp%ld", path, (long)getpid());
    if (!(nb = malloc(MH_LEDGER_NOTE_MAX * 2)))
        return MH_ERR_NOMEM;
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0 || !(f = fdopen(fd, "w"))) {
        if (fd >= 0)
            close(fd);
        goto fail;
    }
    fprintf(f, "%s\norigin %s\nsize %llu\n", STATE_MAGIC, st->origin, (unsigned long long)st->size);
    if (mh_base64_encode(st->root, MH_HASH_LEN, b64, sizeof b64, &n) == 0)
        fprintf(f, "root %s\n", b64);
    for (unsigned b = 0; b < 64; b++)
        if (((st->size >> b) & 1) &&
            mh_base64_encode(st->edge[b], MH_HASH_LEN, b64, sizeof b64, &n) == 0)
            fprintf(f, "edge %u %s\n", b, b64);
    if (st->note_len && mh_base64_encode((const uint8_t *)st->note, st->note_len, nb,
                                         MH_LEDGER_NOTE_MAX * 2, &n) == 0)
        fprintf(f, "checkpoint %s\n", nb);
    if (fflush(f) != 0 || fsync(fileno(f)) != 0) {
        fclose(f);
        goto fail;
    }
    if (fclose(f) != 0 || rename(tmp, path) != 0)
        goto fail;
    free(nb);
    return MH_OK;
fail:
    mh_err_set(ret, "writing the audit state %s: %s", path, strerror(errno));
    unlink(tmp);
    free(nb);
    return ret;
}

int mh_audit_evidence(const mh_audit_state *st, const mh_audit_result *res, const char *reason,
                      char *out, size_t cap, size_t *len)
{
    int k = snprintf(out, cap,
                     "mohur-fork-evidence@v1\n"
                     "reason: %s\n"
                     "\n"
                     "checkpoint trusted before (%llu entries):\n%.*s\n"
                     "checkpoint the mirror serves now (%llu entries):\n%.*s",
                     reason, (unsigned long long)st->size, (int)st->note_len, st->note,
                     (unsigned long long)res->size, (int)res->note_len, res->note);
    if (k < 0 || (size_t)k >= cap)
        return MH_ERR_BUFFER_TOO_SMALL;
    *len = (size_t)k;
    return MH_OK;
}

/* ---- the older interface ------------------------------------------------- */

int mh_ledger_audit_dir(const char *dir, mh_ledger_audit *a, char *note, size_t cap,
                        size_t *note_len)
{
    mh_audit_state *st = calloc(1, sizeof *st);
    mh_audit_result *res = calloc(1, sizeof *res);
    int ret = MH_ERR_NOMEM;
    if (!st || !res)
        goto out;
    st->size = a->trusted_size;
    memcpy(st->root, a->trusted_root, MH_HASH_LEN);
    ret = mh_audit_mirror(dir, st, NULL, 0, res);
    a->tiles_checked = res->tiles_checked;
    a->entries_checked = res->entries_checked;
    if (res->note_len) {
        snprintf(a->origin, sizeof a->origin, "%s", res->origin);
        a->size = res->size;
        memcpy(a->root, res->root, MH_HASH_LEN);
        if (res->note_len < cap) {
            memcpy(note, res->note, res->note_len + 1);
            *note_len = res->note_len;
        } else if (!ret) {
            ret = MH_ERR_BUFFER_TOO_SMALL;
        }
    }
out:
    free(st);
    free(res);
    return ret;
}
