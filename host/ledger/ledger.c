/* ledger.c - the ledger in LMDB: opening and its checks, the writer lock,
 * appends (one transaction each, or group commit through a writer thread),
 * lookups and proofs. See mh_ledger.h and docs/ledger.md. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "ledger_internal.h"
#include "mh_pki.h"

#define VERSION 1u
#define STATUS_LEN 66

struct mh_req {
    const mh_ledger_entry *e;
    uint64_t idx;
    int rc;
    bool done;
    pthread_cond_t cv; /* signalled once, when done: no thundering herd */
    char err[256];
    struct mh_req *next;
};

int mh_ledger_mdb_err(int rc, const char *what)
{
    switch (rc) {
    case MDB_SUCCESS:
        return MH_OK;
    case MDB_NOTFOUND:
        return MH_ERR_NOT_FOUND;
    case MDB_MAP_FULL:
        mh_err_set(MH_ERR_LEDGER_FULL,
                   "%s: the ledger's map is full; nothing was written. Reopen it with a larger "
                   "map size (--map-size) or let it grow (--grow)",
                   what);
        return MH_ERR_LEDGER_FULL;
    case ENOSPC:
    case EDQUOT:
        mh_err_set(MH_ERR_DISK_FULL,
                   "%s: the disk is full; nothing was written and the ledger is intact. Free "
                   "space on the disk, then retry",
                   what);
        return MH_ERR_DISK_FULL;
    case EACCES:
    case EPERM:
    case EROFS:
        mh_err_set(MH_ERR_PERMISSION, "%s: permission denied (%s)", what, strerror(rc));
        return MH_ERR_PERMISSION;
    case ENOENT:
        return MH_ERR_NOT_FOUND;
    case ENOMEM:
        return MH_ERR_NOMEM;
    case MDB_CORRUPTED:
    case MDB_PAGE_NOTFOUND:
    case MDB_INVALID:
    case MDB_VERSION_MISMATCH:
        mh_err_set(MH_ERR_LEDGER_CORRUPT,
                   "%s: the ledger's database is damaged (%s); restore it from a backup or a "
                   "mirror",
                   what, mdb_strerror(rc));
        return MH_ERR_LEDGER_CORRUPT;
    default:
        mh_err_set(MH_ERR_IO, "%s: %s", what, mdb_strerror(rc));
        return MH_ERR_IO;
    }
}

int mh_ledger_rtxn(mh_ledger *l, MDB_txn **t)
{
    int rc = mdb_txn_begin(l->env, NULL, MDB_RDONLY, t);
    if (rc == MDB_MAP_RESIZED) {
        /* the writer grew the map: adopt its size */
        mdb_env_set_mapsize(l->env, 0);
        rc = mdb_txn_begin(l->env, NULL, MDB_RDONLY, t);
    }
    if (rc) {
        *t = NULL;
        return mh_ledger_mdb_err(rc, "reading the ledger");
    }
    return MH_OK;
}

static void tile_key(uint8_t k[9], unsigned tl, uint64_t n)
{
    k[0] = (uint8_t)tl;
    mh_be64_put(k + 1, n);
}

/* Where (level, index) lives: tile level, tile index, hash offset. */
static void tile_pos(unsigned level, uint64_t index, unsigned *tl, uint64_t *n, size_t *off)
{
    unsigned j = level % 8;
    *tl = level / 8;
    *n = index >> (8 - j);
    *off = (size_t)(512u - (512u >> j)) + (size_t)(index - (*n << (8 - j)));
}

int mh_ledger_tile_get(mh_ledger *l, MDB_txn *t, unsigned tl, uint64_t n, const uint8_t **p)
{
    uint8_t k[9];
    MDB_val key = {sizeof k, k}, val;
    int rc;
    tile_key(k, tl, n);
    rc = mdb_get(t, l->db_tiles, &key, &val);
    if (rc == MDB_NOTFOUND || (rc == 0 && val.mv_size != MH_TILE_BYTES)) {
        mh_err_set(MH_ERR_LEDGER_CORRUPT,
                   "the ledger has no valid tile %llu at tile level %u; it is damaged",
                   (unsigned long long)n, tl);
        return MH_ERR_LEDGER_CORRUPT;
    }
    if (rc)
        return mh_ledger_mdb_err(rc, "reading a tile");
    *p = val.mv_data;
    return MH_OK;
}

int mh_ledger_hash_get(mh_ledger *l, MDB_txn *t, unsigned level, uint64_t index,
                       uint8_t out[MH_LEDGER_HASH_LEN])
{
    unsigned tl;
    uint64_t n;
    size_t off;
    const uint8_t *p = NULL;
    int rc;
    if (level >= 64)
        return MH_ERR_INVALID_ARG;
    tile_pos(level, index, &tl, &n, &off);
    if ((rc = mh_ledger_tile_get(l, t, tl, n, &p)))
        return rc;
    memcpy(out, p + off * MH_LEDGER_HASH_LEN, MH_LEDGER_HASH_LEN);
    return MH_OK;
}

int mh_ledger_meta_size(mh_ledger *l, MDB_txn *t, uint64_t *size, uint8_t root[MH_LEDGER_HASH_LEN])
{
    MDB_val k = {4, (void *)"size"}, v;
    int rc = mdb_get(t, l->db_meta, &k, &v);
    if (rc == MDB_NOTFOUND) {
        *size = 0;
        if (root)
            mh_merkle_empty_root(root);
        return MH_OK;
    }
    if (rc)
        return mh_ledger_mdb_err(rc, "reading the ledger's size");
    if (v.mv_size != 8)
        goto bad;
    *size = mh_be64_get(v.mv_data);
    if (root) {
        MDB_val rk = {4, (void *)"root"}, rv;
        rc = mdb_get(t, l->db_meta, &rk, &rv);
        if (rc || rv.mv_size != MH_LEDGER_HASH_LEN)
            goto bad;
        memcpy(root, rv.mv_data, MH_LEDGER_HASH_LEN);
    }
    return MH_OK;
bad:
    mh_err_set(MH_ERR_LEDGER_CORRUPT,
               "the ledger's stored size or root is missing or malformed; it is damaged");
    return MH_ERR_LEDGER_CORRUPT;
}

/* ---- the right edge of the tree ----------------------------------------- */

static void frontier_root(const uint8_t fr[64][MH_LEDGER_HASH_LEN], uint64_t size,
                          uint8_t root[MH_LEDGER_HASH_LEN])
{
    bool have = false;
    if (size == 0) {
        mh_merkle_empty_root(root);
        return;
    }
    for (unsigned lv = 0; lv < 64; lv++) {
        if (!((size >> lv) & 1))
            continue;
        if (!have) {
            memcpy(root, fr[lv], MH_LEDGER_HASH_LEN);
            have = true;
        } else {
            mh_merkle_node_hash(fr[lv], root, root);
        }
    }
}

static int frontier_load(mh_ledger *l, MDB_txn *t, uint64_t size,
                         uint8_t fr[64][MH_LEDGER_HASH_LEN])
{
    int rc;
    for (unsigned lv = 0; lv < 64; lv++) {
        if (!((size >> lv) & 1))
            continue;
        if ((rc = mh_ledger_hash_get(l, t, lv, (size >> lv) - 1, fr[lv])))
            return rc;
    }
    return MH_OK;
}

/* A proof asks for about 2 log2(n) hashes, up to 8 levels from each tile:
 * the tiles it read stay at hand for the transaction. */
struct getctx {
    mh_ledger *l;
    MDB_txn *t;
    uint64_t cur; /* the committed size this transaction sees (0: unknown) */
    const uint8_t *tile[MH_TILE_LEVELS];
    uint64_t n[MH_TILE_LEVELS];
};

/* The top of the tree in memory: full tiles of tile level 1 and up (tree
 * levels 8 and up) never change, so the first proof that reads one keeps a
 * copy. A proof then looks up only its level-0 tile in LMDB. Bounded: the
 * first MH_TOP_SLOTS tiles of each level (64 MiB at level 1, which covers
 * trees of 2^28 entries; a level-1 tile covers 65,536 entries). */
static int top_tile(struct getctx *g, unsigned tl, uint64_t n, const uint8_t **p)
{
    mh_ledger *l = g->l;
    uint8_t **slot, *copy, *expect = NULL;
    const uint8_t *src = NULL;
    int rc;
    if (tl == 0 || n >= MH_TOP_SLOTS || !l->top ||
        g->cur < ((n + 1) << (8 * (tl + 1)))) /* not full: it still changes */
        return mh_ledger_tile_get(l, g->t, tl, n, p);
    slot = &l->top[(size_t)(tl - 1) * MH_TOP_SLOTS + n];
    if ((*p = __atomic_load_n(slot, __ATOMIC_ACQUIRE)) != NULL)
        return MH_OK;
    if ((rc = mh_ledger_tile_get(l, g->t, tl, n, &src)))
        return rc;
    *p = src;
    if (!(copy = malloc(MH_TILE_BYTES)))
        return MH_OK; /* no copy this time: read from the map */
    memcpy(copy, src, MH_TILE_BYTES);
    if (__atomic_compare_exchange_n(slot, &expect, copy, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
        *p = copy;
    else
        free(copy); /* another thread kept it first */
    return MH_OK;
}

static int getter(void *ctx, unsigned level, uint64_t index, uint8_t out[MH_HASH_LEN])
{
    struct getctx *g = ctx;
    unsigned tl;
    uint64_t n;
    size_t off;
    int rc;
    if (level >= 64)
        return MH_ERR_INVALID_ARG;
    tile_pos(level, index, &tl, &n, &off);
    if (!g->tile[tl] || g->n[tl] != n) {
        if ((rc = top_tile(g, tl, n, &g->tile[tl]))) {
            g->tile[tl] = NULL;
            return rc;
        }
        g->n[tl] = n;
    }
    memcpy(out, g->tile[tl] + off * MH_LEDGER_HASH_LEN, MH_HASH_LEN);
    return MH_OK;
}

/* A proof walks the path of one leaf: its siblings' hashes sit in one tile
 * per tile level, a few cache lines in each. At 10^7 entries and more, the
 * level-0 tiles no longer stay in the CPU caches, and reading the lines one
 * after the other as the generator asks for them is a chain of memory
 * misses. Looking the tiles up first and prefetching every sibling line
 * lets the misses overlap. */
static void path_prefetch(struct getctx *g, uint64_t leaf, uint64_t size)
{
    for (unsigned tl = 0; tl < MH_TILE_LEVELS && (size >> (8 * tl)) > 0; tl++) {
        uint64_t n = leaf >> (8 * (tl + 1));
        if (top_tile(g, tl, n, &g->tile[tl]) != MH_OK) {
            g->tile[tl] = NULL;
            return;
        }
        g->n[tl] = n;
        for (unsigned j = 0; j < 8; j++) {
            uint64_t sib = (leaf >> (8 * tl + j)) ^ 1u;
            size_t off = (size_t)(512u - (512u >> j)) + (size_t)(sib - (n << (8 - j)));
            if (off < MH_TILE_HASHES)
                __builtin_prefetch(g->tile[tl] + off * MH_LEDGER_HASH_LEN);
        }
    }
}

/* The right-edge ranges of a proof from the edge cache, filled for a size
 * on its first use (the complete subtrees of size's decomposition, combined
 * from the lowest up: popcount(size) - 1 node hashes, once). */
static int edge_range(void *ctx, uint64_t lo, uint64_t hi, uint8_t out[MH_HASH_LEN])
{
    struct getctx *g = ctx;
    mh_ledger *l = g->l;
    struct mh_edgecache *c;
    uint64_t m = hi - lo;
    unsigned t;
    int rc;

    if (hi <= lo)
        return MH_ERR_INTERNAL;
    t = 64u - (unsigned)__builtin_clzll(m); /* the low bits [0, t) of hi */
    if (t < 64 ? lo != (hi & ~(((uint64_t)1 << t) - 1)) : lo != 0)
        return MH_ERR_NOT_FOUND;
    pthread_mutex_lock(&l->ecmu);
    for (unsigned i = 0; i < 2; i++) {
        if (l->ec[i].size == hi) {
            memcpy(out, l->ec[i].part[t], MH_HASH_LEN);
            pthread_mutex_unlock(&l->ecmu);
            return MH_OK;
        }
    }
    pthread_mutex_unlock(&l->ecmu);
    {
        uint8_t part[65][MH_LEDGER_HASH_LEN], acc[MH_LEDGER_HASH_LEN], h[MH_LEDGER_HASH_LEN];
        bool have = false;
        memset(part, 0, sizeof part);
        for (unsigned b = 0; b < 64; b++) {
            if ((hi >> b) & 1) {
                if ((rc = getter(g, b, (hi >> b) - 1, h)))
                    return rc;
                if (have)
                    mh_merkle_node_hash(h, acc, acc);
                else
                    memcpy(acc, h, sizeof acc);
                have = true;
            }
            if (have)
                memcpy(part[b + 1], acc, sizeof acc);
        }
        pthread_mutex_lock(&l->ecmu);
        c = &l->ec[l->ec_next];
        l->ec_next ^= 1;
        memcpy(c->part, part, sizeof part);
        c->size = hi;
        memcpy(out, part[t], MH_HASH_LEN);
        pthread_mutex_unlock(&l->ecmu);
    }
    return MH_OK;
}

/* The checks at open: the root from the stored right edge equals the
 * stored root; each right-edge node is the hash of its two children; the
 * entries end at size - 1; the last entries hash to their stored leaves. */
static int check_ledger(mh_ledger *l)
{
    MDB_txn *t = NULL;
    MDB_cursor *c = NULL;
    MDB_val k, v;
    uint64_t size;
    uint8_t root[MH_LEDGER_HASH_LEN], calc[MH_LEDGER_HASH_LEN], h[MH_LEDGER_HASH_LEN];
    uint8_t a[MH_LEDGER_HASH_LEN], b[MH_LEDGER_HASH_LEN];
    uint8_t fr[64][MH_LEDGER_HASH_LEN];
    int rc, ret = MH_ERR_LEDGER_CORRUPT;

    if ((ret = mh_ledger_rtxn(l, &t)))
        goto out;
    ret = MH_ERR_LEDGER_CORRUPT;
    if ((rc = mh_ledger_meta_size(l, t, &size, root))) {
        ret = rc;
        goto out;
    }
    if (!l->ro) {
        /* the writer keeps the right edge in memory */
        if ((rc = frontier_load(l, t, size, l->frontier))) {
            ret = rc;
            goto out;
        }
        memcpy(fr, l->frontier, sizeof fr);
    } else if ((rc = frontier_load(l, t, size, fr))) {
        ret = rc;
        goto out;
    }
    frontier_root((const uint8_t(*)[MH_LEDGER_HASH_LEN])fr, size, calc);
    if (mh_ct_memcmp(calc, root, MH_LEDGER_HASH_LEN) != 0) {
        mh_err_set(ret, "the ledger's stored root does not match its stored subtree hashes; it is "
                        "damaged: restore it from a backup or a mirror");
        goto out;
    }
    for (unsigned lv = 1; lv < 64; lv++) {
        uint64_t i;
        if (!((size >> lv) & 1))
            continue;
        i = (size >> lv) - 1;
        if ((rc = mh_ledger_hash_get(l, t, lv - 1, 2 * i, a)) ||
            (rc = mh_ledger_hash_get(l, t, lv - 1, 2 * i + 1, b))) {
            ret = rc;
            goto out;
        }
        mh_merkle_node_hash(a, b, h);
        if (mh_ct_memcmp(h, fr[lv], MH_LEDGER_HASH_LEN) != 0) {
            mh_err_set(ret,
                       "the ledger's subtree hash at level %u does not match its children; it "
                       "is damaged: restore it from a backup or a mirror",
                       lv);
            goto out;
        }
    }
    if ((rc = mdb_cursor_open(t, l->db_entries, &c))) {
        ret = mh_ledger_mdb_err(rc, "checking the ledger");
        goto out;
    }
    rc = mdb_cursor_get(c, &k, &v, MDB_LAST);
    if (size == 0 ? rc != MDB_NOTFOUND
                  : (rc != 0 || k.mv_size != 8 || mh_be64_get(k.mv_data) != size - 1)) {
        mh_err_set(ret,
                   "the ledger holds a different number of entries than its stored size %llu; "
                   "it is damaged: restore it from a backup or a mirror",
                   (unsigned long long)size);
        goto out;
    }
    for (uint64_t n = 0; n < l->check_depth && n < size; n++) {
        uint64_t i = size - 1 - n;
        if (n > 0 && (rc = mdb_cursor_get(c, &k, &v, MDB_PREV)) != 0)
            goto short_read;
        if (k.mv_size != 8 || mh_be64_get(k.mv_data) != i)
            goto short_read;
        mh_merkle_leaf_hash(v.mv_data, v.mv_size, h);
        if ((rc = mh_ledger_hash_get(l, t, 0, i, a))) {
            ret = rc;
            goto out;
        }
        if (mh_ct_memcmp(h, a, MH_LEDGER_HASH_LEN) != 0) {
            mh_err_set(ret,
                       "ledger entry %llu does not match its stored leaf hash; the ledger is "
                       "damaged: restore it from a backup or a mirror",
                       (unsigned long long)i);
            goto out;
        }
    }
    if (!l->ro)
        l->size = size;
    ret = MH_OK;
    goto out;
short_read:
    mh_err_set(ret, "the ledger's entries are not numbered consecutively; it is damaged");
out:
    if (c)
        mdb_cursor_close(c);
    if (t)
        mdb_txn_abort(t);
    return ret;
}

/* ---- opening and closing ------------------------------------------------ */

static void *writer_main(void *arg);

static int take_lock(mh_ledger *l)
{
    char path[4200], buf[32];
    int fd;
    snprintf(path, sizeof path, "%s/writer.lock", l->dir);
    fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
        int e = errno;
        mh_err_set(e == EACCES || e == EROFS ? MH_ERR_PERMISSION : MH_ERR_IO,
                   "opening the ledger's lock file %s: %s", path, strerror(e));
        return e == EACCES || e == EROFS ? MH_ERR_PERMISSION : MH_ERR_IO;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
        long pid = 0;
        if (n > 0) {
            buf[n] = 0;
            pid = strtol(buf, NULL, 10);
        }
        close(fd);
        if (pid > 0)
            mh_err_set(MH_ERR_LEDGER_LOCKED,
                       "the ledger in %s is open for writing by another process (pid %ld); only "
                       "one writer at a time: stop it first, or open the ledger read-only",
                       l->dir, pid);
        else
            mh_err_set(MH_ERR_LEDGER_LOCKED,
                       "the ledger in %s is open for writing by another process; only one "
                       "writer at a time: stop it first, or open the ledger read-only",
                       l->dir);
        return MH_ERR_LEDGER_LOCKED;
    }
    int n = snprintf(buf, sizeof buf, "%ld\n", (long)getpid());
    if (ftruncate(fd, 0) == 0 && n > 0)
        (void)!pwrite(fd, buf, (size_t)n, 0);
    l->lock_fd = fd;
    return MH_OK;
}

int mh_ledger_open(const char *dir, const mh_ledger_opts *opts, mh_ledger **out)
{
    static const mh_ledger_opts defaults;
    mh_ledger *l = NULL;
    MDB_txn *t = NULL;
    char path[4200];
    struct stat st;
    int rc, ret = MH_ERR_INVALID_ARG;
    unsigned flags = MDB_NOTLS | MDB_NORDAHEAD;

    *out = NULL;
    if (!opts)
        opts = &defaults;
    if (!dir || !*dir || strlen(dir) >= sizeof l->dir - 64) {
        mh_err_set(ret, "the ledger directory name is empty or too long");
        goto out;
    }
    l = calloc(1, sizeof *l);
    if (!l) {
        ret = MH_ERR_NOMEM;
        goto out;
    }
    l->lock_fd = -1;
    snprintf(l->dir, sizeof l->dir, "%s", dir);
    l->ro = opts->read_only;
    l->map_size = opts->map_size ? opts->map_size : (size_t)1 << 30;
    l->grow_step = opts->grow_step;
    l->batch_max = opts->batch_max ? opts->batch_max : 4096;
    l->batch_delay_us = opts->batch_delay_us == MH_LEDGER_NO_DELAY ? 0
                        : opts->batch_delay_us                     ? opts->batch_delay_us
                                                                   : 1000;
    if (l->batch_delay_us > 1000000)
        l->batch_delay_us = 1000000;
    l->check_depth = opts->check_depth ? opts->check_depth : 256;
    pthread_mutex_init(&l->wmu, NULL);
    pthread_mutex_init(&l->ecmu, NULL);
    /* without it, proofs read every tile from the map */
    l->top = calloc((size_t)(MH_TILE_LEVELS - 1) * MH_TOP_SLOTS, sizeof *l->top);
    pthread_mutex_init(&l->qmu, NULL);
    {
        /* the writer thread's timed waits use the monotonic clock */
        pthread_condattr_t ca;
        pthread_condattr_init(&ca);
        pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
        pthread_cond_init(&l->qcv, &ca);
        pthread_condattr_destroy(&ca);
    }
    if (!opts->read_only && !(l->edge = calloc(MH_TILE_LEVELS, sizeof *l->edge))) {
        ret = MH_ERR_NOMEM;
        goto out;
    }

    snprintf(path, sizeof path, "%s/data.mdb", dir);
    if (stat(path, &st) != 0) {
        if (errno == EACCES) {
            mh_err_set(MH_ERR_PERMISSION,
                       "you may not read the ledger in %s (permission denied); verifying needs "
                       "membership of the group the appliance's state belongs to",
                       dir);
            ret = MH_ERR_PERMISSION;
            goto out;
        }
        if (!opts->create || l->ro) {
            mh_err_set(MH_ERR_NOT_FOUND,
                       "there is no ledger in %s; create one with 'mohur log init --ledger %s'",
                       dir, dir);
            ret = MH_ERR_NOT_FOUND;
            goto out;
        }
        if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
            int e = errno;
            mh_err_set(e == ENOSPC   ? MH_ERR_DISK_FULL
                       : e == EACCES ? MH_ERR_PERMISSION
                                     : MH_ERR_IO,
                       "creating the ledger directory %s: %s", dir, strerror(e));
            ret = e == ENOSPC ? MH_ERR_DISK_FULL : e == EACCES ? MH_ERR_PERMISSION : MH_ERR_IO;
            goto out;
        }
    }
    if (!l->ro && (ret = take_lock(l)))
        goto out;

    ret = MH_ERR_IO;
    if ((rc = mdb_env_create(&l->env))) {
        ret = mh_ledger_mdb_err(rc, "opening the ledger");
        goto out;
    }
    mdb_env_set_maxdbs(l->env, 8);
    mdb_env_set_maxreaders(l->env, 254);
    if (l->ro)
        flags |= MDB_RDONLY;
    rc = mdb_env_set_mapsize(l->env, l->map_size);
    if (!rc)
        rc = mdb_env_open(l->env, dir, flags, 0600);
    if (rc) {
        if (rc == ENOENT || rc == EACCES || rc == ENOSPC)
            ret = mh_ledger_mdb_err(rc, "opening the ledger");
        else
            ret = mh_ledger_mdb_err(rc, "opening the ledger");
        if (rc == EACCES)
            mh_err_set(ret,
                       "you may not %s the ledger in %s (permission denied); verifying needs "
                       "membership of the group the appliance's state belongs to",
                       l->ro ? "read" : "write", dir);
        else if (ret == MH_ERR_IO || ret == MH_ERR_NOT_FOUND)
            mh_err_set(ret, "opening the ledger in %s: %s", dir, mdb_strerror(rc));
        mdb_env_close(l->env);
        l->env = NULL;
        goto out;
    }
    {
        /* a map the file already outgrew (grown by an earlier writer) */
        MDB_envinfo info;
        if (mdb_env_info(l->env, &info) == 0)
            l->map_size = info.me_mapsize;
    }
    if ((rc = mdb_txn_begin(l->env, NULL, l->ro ? MDB_RDONLY : 0, &t))) {
        ret = mh_ledger_mdb_err(rc, "opening the ledger");
        goto out;
    }
    {
        unsigned cf = l->ro ? 0 : MDB_CREATE;
        if ((rc = mdb_dbi_open(t, "entries", cf, &l->db_entries)) ||
            (rc = mdb_dbi_open(t, "tiles", cf, &l->db_tiles)) ||
            (rc = mdb_dbi_open(t, "by_id", cf, &l->db_id)) ||
            (rc = mdb_dbi_open(t, "by_digest", cf, &l->db_digest)) ||
            (rc = mdb_dbi_open(t, "meta", cf, &l->db_meta)) ||
            (rc = mdb_dbi_open(t, "checkpoints", cf, &l->db_ckpt)) ||
            (rc = mdb_dbi_open(t, "cosignatures", cf, &l->db_cosig))) {
            if (rc == MDB_NOTFOUND) {
                mh_err_set(MH_ERR_LEDGER_CORRUPT,
                           "%s does not hold a mohur ledger (its tables are missing)", dir);
                ret = MH_ERR_LEDGER_CORRUPT;
            } else {
                ret = mh_ledger_mdb_err(rc, "opening the ledger's tables");
            }
            goto out;
        }
        MDB_val k = {7, (void *)"version"}, v;
        rc = mdb_get(t, l->db_meta, &k, &v);
        if (rc == MDB_NOTFOUND && !l->ro) {
            uint8_t ver[4] = {0, 0, 0, VERSION};
            MDB_val nv = {4, ver};
            rc = mdb_put(t, l->db_meta, &k, &nv, 0);
            if (rc) {
                ret = mh_ledger_mdb_err(rc, "creating the ledger");
                goto out;
            }
        } else if (rc || v.mv_size != 4 || ((uint8_t *)v.mv_data)[3] != VERSION) {
            mh_err_set(MH_ERR_LEDGER_CORRUPT,
                       "%s holds a ledger of an unknown format version; this mohur reads "
                       "version %u",
                       dir, VERSION);
            ret = MH_ERR_LEDGER_CORRUPT;
            goto out;
        }
    }
    rc = mdb_txn_commit(t);
    t = NULL;
    if (rc) {
        ret = mh_ledger_mdb_err(rc, "opening the ledger");
        goto out;
    }
    if ((ret = check_ledger(l)))
        goto out;
    if (opts->group_commit && !l->ro) {
        if (pthread_create(&l->thr, NULL, writer_main, l) != 0) {
            ret = MH_ERR_NOMEM;
            goto out;
        }
        l->gc = true;
    }
    *out = l;
    l = NULL; /* transferred */
    ret = MH_OK;
out:
    if (t)
        mdb_txn_abort(t);
    mh_ledger_close(l);
    return ret;
}

void mh_ledger_close(mh_ledger *l)
{
    if (!l)
        return;
    if (l->gc) {
        pthread_mutex_lock(&l->qmu);
        l->stop = true;
        pthread_cond_broadcast(&l->qcv);
        pthread_mutex_unlock(&l->qmu);
        pthread_join(l->thr, NULL);
    }
    if (l->env)
        mdb_env_close(l->env);
    if (l->lock_fd >= 0)
        close(l->lock_fd); /* releases the flock */
    pthread_mutex_destroy(&l->wmu);
    pthread_mutex_destroy(&l->ecmu);
    if (l->top) {
        for (size_t i = 0; i < (size_t)(MH_TILE_LEVELS - 1) * MH_TOP_SLOTS; i++)
            free(l->top[i]);
        free(l->top);
    }
    pthread_mutex_destroy(&l->qmu);
    pthread_cond_destroy(&l->qcv);
    free(l->edge);
    free(l);
}

/* ---- appending ---------------------------------------------------------- */

static void status_encode(const mh_ledger_status *s, uint8_t b[STATUS_LEN])
{
    mh_be64_put(b, s->issue_index);
    mh_be64_put(b + 8, s->issue_time);
    memcpy(b + 16, s->digest, 32);
    /* 0 in circulation, 1 revoked, 2 voided (revoke_* then say when) */
    b[48] = s->revoked ? 1 : s->voided ? 2 : 0;
    mh_be64_put(b + 49, s->voided ? s->void_index : s->revoke_index);
    mh_be64_put(b + 57, s->revoke_time);
    b[65] = (uint8_t)s->reason;
}

static int status_decode(const MDB_val *v, mh_ledger_status *s)
{
    const uint8_t *b = v->mv_data;
    if (v->mv_size != STATUS_LEN || b[48] > 2) {
        mh_err_set(MH_ERR_LEDGER_CORRUPT,
                   "a document status record in the ledger is malformed; it is damaged");
        return MH_ERR_LEDGER_CORRUPT;
    }
    memset(s, 0, sizeof *s);
    s->issue_index = mh_be64_get(b);
    s->issue_time = mh_be64_get(b + 8);
    memcpy(s->digest, b + 16, 32);
    s->revoked = b[48] == 1;
    s->voided = b[48] == 2;
    if (s->voided)
        s->void_index = mh_be64_get(b + 49);
    else
        s->revoke_index = mh_be64_get(b + 49);
    s->revoke_time = mh_be64_get(b + 57);
    s->reason = b[65];
    return MH_OK;
}

static int edge_flush(mh_ledger *l, MDB_txn *t)
{
    for (unsigned tl = 0; tl < MH_TILE_LEVELS; tl++) {
        struct mh_tilebuf *b = &l->edge[tl];
        uint8_t k[9];
        MDB_val key = {sizeof k, k}, val = {MH_TILE_BYTES, b->h};
        int rc;
        if (!b->valid || !b->dirty)
            continue;
        tile_key(k, tl, b->n);
        if ((rc = mdb_put(t, l->db_tiles, &key, &val, 0)))
            return mh_ledger_mdb_err(rc, "storing a tile");
        b->dirty = false;
    }
    return MH_OK;
}

static void edge_forget(mh_ledger *l)
{
    for (unsigned tl = 0; tl < MH_TILE_LEVELS; tl++)
        l->edge[tl].valid = false;
}

/* Stores a subtree hash in the right-edge tile of its tile level, moving
 * to the next tile (and writing the finished one) when needed. */
static int edge_set(mh_ledger *l, MDB_txn *t, unsigned level, uint64_t index,
                    const uint8_t h[MH_LEDGER_HASH_LEN])
{
    unsigned tl;
    uint64_t n;
    size_t off;
    struct mh_tilebuf *b;
    int rc;
    if (level >= 64)
        return MH_ERR_INTERNAL;
    tile_pos(level, index, &tl, &n, &off);
    b = &l->edge[tl];
    if (!b->valid || b->n != n) {
        uint8_t k[9];
        MDB_val key = {sizeof k, k}, val;
        if (b->valid && b->dirty) {
            MDB_val out = {MH_TILE_BYTES, b->h};
            tile_key(k, tl, b->n);
            if ((rc = mdb_put(t, l->db_tiles, &key, &out, 0)))
                return mh_ledger_mdb_err(rc, "storing a tile");
        }
        tile_key(k, tl, n);
        rc = mdb_get(t, l->db_tiles, &key, &val);
        if (rc == 0 && val.mv_size == MH_TILE_BYTES)
            memcpy(b->h, val.mv_data, MH_TILE_BYTES);
        else if (rc == MDB_NOTFOUND)
            memset(b->h, 0, MH_TILE_BYTES);
        else
            return rc ? mh_ledger_mdb_err(rc, "reading a tile") : MH_ERR_LEDGER_CORRUPT;
        b->valid = true;
        b->dirty = false;
        b->n = n;
    }
    memcpy(b->h + off * MH_LEDGER_HASH_LEN, h, MH_LEDGER_HASH_LEN);
    b->dirty = true;
    return MH_OK;
}

/* Appends one entry inside the write transaction. A refusal that depends on
 * the entry alone (invalid, duplicate, unknown document) returns before any
 * write and leaves *fatal false, so the batch may go on without it. */
static int apply_one(mh_ledger *l, MDB_txn *t, const mh_ledger_entry *in, uint64_t *idx,
                     bool *fatal)
{
    mh_ledger_entry e;
    mh_ledger_status st;
    uint8_t buf[MH_LEDGER_ENTRY_MAX], sb[STATUS_LEN], k[9], dk[40];
    uint8_t carry[MH_LEDGER_HASH_LEN];
    size_t len, idlen;
    MDB_val key, val;
    uint64_t n = l->size;
    unsigned lv;
    int rc;

    *fatal = false;
    memcpy(&e, in, sizeof e);
    idlen = strnlen(e.doc_id, sizeof e.doc_id);
    if (idlen == 0 || idlen > MH_LEDGER_ID_MAX) {
        mh_err_set(MH_ERR_INVALID_ARG, "the entry's document id is empty or longer than %d bytes",
                   MH_LEDGER_ID_MAX);
        return MH_ERR_INVALID_ARG;
    }
    key.mv_size = idlen;
    key.mv_data = e.doc_id;
    rc = mdb_get(t, l->db_id, &key, &val);
    if (rc && rc != MDB_NOTFOUND) {
        *fatal = true;
        return mh_ledger_mdb_err(rc, "looking up the document id");
    }
    if (e.type == MH_LEDGER_ISSUE) {
        if (rc == 0) {
            /* an id whose issue was voided (never delivered) is free again */
            if ((rc = status_decode(&val, &st))) {
                *fatal = true;
                return rc;
            }
            if (!st.voided) {
                mh_err_set(MH_ERR_ALREADY_EXISTS,
                           "document '%.128s' is already in the ledger; an entry is never "
                           "changed: revoke it and issue the document under a new id",
                           e.doc_id);
                return MH_ERR_ALREADY_EXISTS;
            }
        }
        memset(&st, 0, sizeof st);
        st.issue_index = n;
        st.issue_time = e.time;
        memcpy(st.digest, e.digest, 32);
        e.revoked_index = 0;
        e.reason = 0;
    } else {
        const char *what = e.type == MH_LEDGER_VOID ? "voided" : "revoked";
        if (rc == MDB_NOTFOUND) {
            mh_err_set(MH_ERR_NOT_FOUND,
                       "document '%.128s' is not in the ledger, so it cannot be %s", e.doc_id,
                       what);
            return MH_ERR_NOT_FOUND;
        }
        if ((rc = status_decode(&val, &st))) {
            *fatal = true;
            return rc;
        }
        if (st.voided) {
            mh_err_set(MH_ERR_NOT_FOUND,
                       "document '%.128s' was voided (entry %llu): it was never issued, so it "
                       "cannot be %s",
                       e.doc_id, (unsigned long long)st.void_index, what);
            return MH_ERR_NOT_FOUND;
        }
        if (st.revoked) {
            mh_err_set(MH_ERR_ALREADY_EXISTS, "document '%.128s' was already revoked (entry %llu)",
                       e.doc_id, (unsigned long long)st.revoke_index);
            return MH_ERR_ALREADY_EXISTS;
        }
        e.revoked_index = st.issue_index;
        memset(e.digest, 0, sizeof e.digest);
        e.doc_len = 0;
        e.has_claims = false;
        if (e.type == MH_LEDGER_VOID) {
            st.voided = true;
            st.void_index = n;
            e.reason = 0;
        } else {
            st.revoked = true;
            st.revoke_index = n;
            st.reason = e.reason;
        }
        st.revoke_time = e.time;
    }
    if ((rc = mh_ledger_entry_encode(&e, buf, sizeof buf, &len)))
        return rc;

    /* from here on, a failure aborts the transaction */
    *fatal = true;
    mh_be64_put(k, n);
    key.mv_size = 8;
    key.mv_data = k;
    val.mv_size = len;
    val.mv_data = buf;
    if ((rc = mdb_put(t, l->db_entries, &key, &val, MDB_APPEND)))
        return mh_ledger_mdb_err(rc, "appending the entry");
    status_encode(&st, sb);
    key.mv_size = idlen;
    key.mv_data = e.doc_id;
    val.mv_size = sizeof sb;
    val.mv_data = sb;
    if ((rc = mdb_put(t, l->db_id, &key, &val, 0)))
        return mh_ledger_mdb_err(rc, "indexing the document id");
    if (e.type == MH_LEDGER_ISSUE) {
        memcpy(dk, e.digest, 32);
        mh_be64_put(dk + 32, n);
        key.mv_size = sizeof dk;
        key.mv_data = dk;
        val.mv_size = 0;
        val.mv_data = NULL;
        if ((rc = mdb_put(t, l->db_digest, &key, &val, 0)))
            return mh_ledger_mdb_err(rc, "indexing the document digest");
    }

    /* the leaf and every subtree it completes */
    mh_merkle_leaf_hash(buf, len, carry);
    for (lv = 0;; lv++) {
        if ((rc = edge_set(l, t, lv, n >> lv, carry)))
            return rc;
        if (!((n >> lv) & 1))
            break;
        mh_merkle_node_hash(l->frontier[lv], carry, carry);
    }
    memcpy(l->frontier[lv], carry, MH_LEDGER_HASH_LEN);
    l->size = n + 1;
    *idx = n;
    *fatal = false;
    return MH_OK;
}

static int put_meta(mh_ledger *l, MDB_txn *t)
{
    uint8_t sz[8], root[MH_LEDGER_HASH_LEN];
    MDB_val k = {4, (void *)"size"}, v = {8, sz};
    int rc;
    mh_be64_put(sz, l->size);
    frontier_root((const uint8_t(*)[MH_LEDGER_HASH_LEN])l->frontier, l->size, root);
    if ((rc = mdb_put(t, l->db_meta, &k, &v, 0)))
        return mh_ledger_mdb_err(rc, "storing the tree size");
    k.mv_data = (void *)"root";
    v.mv_size = sizeof root;
    v.mv_data = root;
    if ((rc = mdb_put(t, l->db_meta, &k, &v, 0)))
        return mh_ledger_mdb_err(rc, "storing the tree root");
    return MH_OK;
}

static int grow(mh_ledger *l)
{
    size_t ns = l->map_size + l->grow_step;
    int rc;
    if (ns < l->map_size)
        return MH_ERR_LEDGER_FULL;
    if ((rc = mdb_env_set_mapsize(l->env, ns)))
        return mh_ledger_mdb_err(rc, "growing the ledger's map");
    l->map_size = ns;
    return MH_OK;
}

/* LMDB turns a short write (what a full disk gives) into EIO; a disk with
 * less than 1 MiB free is taken as the cause. */
static bool disk_nearly_full(const mh_ledger *l)
{
    struct statvfs sv;
    if (statvfs(l->dir, &sv) != 0)
        return false;
    return (uint64_t)sv.f_bavail * sv.f_frsize < ((uint64_t)1 << 20);
}

/* One write transaction over a batch. all_or_nothing: the first refused
 * entry fails the batch; else each entry gets its own result in rcs[] and
 * errs[]. Retries after growing the map. Called with wmu held. */
static int write_batch(mh_ledger *l, const mh_ledger_entry *const *es, size_t n, uint64_t *idx,
                       int *rcs, char (*errs)[256], bool all_or_nothing)
{
    uint8_t saved[64][MH_LEDGER_HASH_LEN];
    uint64_t saved_size;
    MDB_txn *t;
    int rc, ret;
    bool fatal;

    for (int attempt = 0;; attempt++) {
        saved_size = l->size;
        memcpy(saved, l->frontier, sizeof saved);
        rc = mdb_txn_begin(l->env, NULL, 0, &t);
        if (rc)
            return mh_ledger_mdb_err(rc, "starting a ledger transaction");
        ret = MH_OK;
        for (size_t i = 0; i < n; i++) {
            mh_err_clear();
            rc = apply_one(l, t, es[i], &idx[i], &fatal);
            if (rcs) {
                rcs[i] = rc;
                if (rc && errs)
                    snprintf(errs[i], sizeof errs[i], "%s", mh_err_message(rc));
            }
            if (rc && (fatal || all_or_nothing)) {
                ret = rc;
                break;
            }
        }
        if (!ret)
            ret = edge_flush(l, t);
        if (!ret)
            ret = put_meta(l, t);
        if (!ret) {
            rc = mdb_txn_commit(t);
            t = NULL;
            if (rc == EIO && disk_nearly_full(l))
                rc = ENOSPC; /* LMDB reports a short write as EIO */
            if (rc)
                ret = mh_ledger_mdb_err(rc, "committing to the ledger");
        }
        if (t)
            mdb_txn_abort(t);
        if (!ret)
            return MH_OK;
        /* nothing of this transaction was kept */
        edge_forget(l);
        l->size = saved_size;
        memcpy(l->frontier, saved, sizeof saved);
        if (ret == MH_ERR_LEDGER_FULL && l->grow_step && attempt < 64) {
            if (grow(l) == MH_OK)
                continue;
        }
        return ret;
    }
}

int mh_ledger_append(mh_ledger *l, const mh_ledger_entry *e, size_t n, uint64_t *idx)
{
    const mh_ledger_entry **es = NULL;
    uint64_t *ix = NULL;
    int ret = MH_ERR_INVALID_ARG;

    if (!l || (!e && n)) {
        goto out;
    }
    if (l->ro) {
        mh_err_set(MH_ERR_PERMISSION, "the ledger was opened read-only");
        ret = MH_ERR_PERMISSION;
        goto out;
    }
    if (n == 0)
        return MH_OK;
    ret = MH_ERR_NOMEM;
    es = malloc(n * sizeof *es);
    ix = malloc(n * sizeof *ix);
    if (!es || !ix)
        goto out;
    for (size_t i = 0; i < n; i++)
        es[i] = &e[i];
    pthread_mutex_lock(&l->wmu);
    ret = write_batch(l, es, n, ix, NULL, NULL, true);
    pthread_mutex_unlock(&l->wmu);
    if (!ret && idx)
        memcpy(idx, ix, n * sizeof *ix);
out:
    free(es);
    free(ix);
    return ret;
}

static void deadline_after(struct timespec *ts, unsigned us)
{
    clock_gettime(CLOCK_MONOTONIC, ts);
    ts->tv_nsec += (long)(us % 1000000u) * 1000L;
    ts->tv_sec += (time_t)(us / 1000000u) + ts->tv_nsec / 1000000000L;
    ts->tv_nsec %= 1000000000L;
}

/* The writer thread: waits for a batch to fill (by count, or by time since
 * its first entry), commits it in one transaction, wakes each submitter of
 * the batch on its own condition variable. While it commits, the next
 * batch queues up. */
static void *writer_main(void *arg)
{
    mh_ledger *l = arg;
    size_t cap = l->batch_max;
    struct mh_req **batch = calloc(cap, sizeof *batch);
    const mh_ledger_entry **es = calloc(cap, sizeof *es);
    uint64_t *ix = calloc(cap, sizeof *ix);
    int *rcs = calloc(cap, sizeof *rcs);
    char(*errs)[256] = calloc(cap, sizeof *errs);

    pthread_mutex_lock(&l->qmu);
    for (;;) {
        size_t n = 0;
        int ret;
        while (!l->head && !l->stop)
            pthread_cond_wait(&l->qcv, &l->qmu);
        if (!l->head)
            break;
        if (l->batch_delay_us && !l->stop) {
            /* wait for the submitters of the last batch to come back */
            size_t want = l->last_batch < cap ? l->last_batch : cap;
            struct timespec dl, t0, t1;
            /* never longer than a commit takes: committing now would cost
             * no more than that */
            unsigned limit = l->batch_delay_us;
            if (l->commit_avg > 0 && l->commit_avg * 1e6 < (double)limit)
                limit = l->commit_avg * 1e6 < 50.0 ? 50u : (unsigned)(l->commit_avg * 1e6);
            clock_gettime(CLOCK_MONOTONIC, &t0);
            deadline_after(&dl, limit);
            while (l->queued < want && !l->stop)
                if (pthread_cond_timedwait(&l->qcv, &l->qmu, &dl) != 0)
                    break;
            clock_gettime(CLOCK_MONOTONIC, &t1);
            l->gcs.wait_seconds +=
                (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
        }
        while (l->head && n < cap) {
            batch[n] = l->head;
            es[n] = l->head->e;
            l->head = l->head->next;
            n++;
        }
        if (!l->head)
            l->tail = NULL;
        l->queued -= n;
        l->last_batch = n;
        pthread_mutex_unlock(&l->qmu);

        struct timespec c0, c1;
        clock_gettime(CLOCK_MONOTONIC, &c0);
        if (!batch || !es || !ix || !rcs || !errs) {
            ret = MH_ERR_NOMEM;
        } else {
            pthread_mutex_lock(&l->wmu);
            ret = write_batch(l, es, n, ix, rcs, errs, false);
            pthread_mutex_unlock(&l->wmu);
            if (ret)
                snprintf(errs[0], sizeof errs[0], "%s", mh_err_message(ret));
        }
        clock_gettime(CLOCK_MONOTONIC, &c1);

        pthread_mutex_lock(&l->qmu);
        l->gcs.batches++;
        l->gcs.entries += n;
        {
            double ct = (double)(c1.tv_sec - c0.tv_sec) + (double)(c1.tv_nsec - c0.tv_nsec) / 1e9;
            l->gcs.commit_seconds += ct;
            l->commit_avg = l->commit_avg > 0 ? 0.875 * l->commit_avg + 0.125 * ct : ct;
        }
        for (size_t i = 0; i < n; i++) {
            struct mh_req *r = batch[i];
            if (ret) {
                r->rc = ret;
                snprintf(r->err, sizeof r->err, "%s", errs ? errs[0] : mh_strerror(ret));
            } else {
                r->rc = rcs[i];
                r->idx = ix[i];
                if (rcs[i])
                    snprintf(r->err, sizeof r->err, "%s", errs[i]);
            }
            r->done = true;
            pthread_cond_signal(&r->cv);
        }
    }
    pthread_mutex_unlock(&l->qmu);
    free(batch);
    free(es);
    free(ix);
    free(rcs);
    free(errs);
    return NULL;
}

int mh_ledger_submit(mh_ledger *l, const mh_ledger_entry *e, uint64_t *idx)
{
    struct mh_req r;
    if (!l || !e)
        return MH_ERR_INVALID_ARG;
    if (!l->gc) {
        mh_err_set(MH_ERR_INVALID_ARG,
                   "group commit is off for this ledger (open it with group_commit)");
        return MH_ERR_INVALID_ARG;
    }
    memset(&r, 0, sizeof r);
    r.e = e;
    pthread_cond_init(&r.cv, NULL);
    pthread_mutex_lock(&l->qmu);
    if (l->stop) {
        pthread_mutex_unlock(&l->qmu);
        pthread_cond_destroy(&r.cv);
        mh_err_set(MH_ERR_CANCELLED, "the ledger is closing");
        return MH_ERR_CANCELLED;
    }
    if (l->tail)
        l->tail->next = &r;
    else
        l->head = &r;
    l->tail = &r;
    l->queued++;
    /* the writer needs waking for the first entry, and when it waits for
     * a batch to fill, once the batch is as large as it waits for */
    if (l->queued == 1 || l->queued >= l->last_batch || l->queued >= l->batch_max)
        pthread_cond_signal(&l->qcv);
    while (!r.done)
        pthread_cond_wait(&r.cv, &l->qmu);
    pthread_mutex_unlock(&l->qmu);
    pthread_cond_destroy(&r.cv);
    if (r.rc) {
        mh_err_set(r.rc, "%s", r.err);
        return r.rc;
    }
    if (idx)
        *idx = r.idx;
    return MH_OK;
}

void mh_ledger_gc_stats_get(mh_ledger *l, mh_ledger_gc_stats *st)
{
    pthread_mutex_lock(&l->qmu);
    *st = l->gcs;
    pthread_mutex_unlock(&l->qmu);
}

/* ---- reading ------------------------------------------------------------ */

int mh_ledger_size(mh_ledger *l, uint64_t *size, uint8_t root[MH_LEDGER_HASH_LEN])
{
    MDB_txn *t;
    int ret = mh_ledger_rtxn(l, &t);
    if (ret)
        return ret;
    ret = mh_ledger_meta_size(l, t, size, root);
    mdb_txn_abort(t);
    return ret;
}

static int too_big(uint64_t size, uint64_t cur)
{
    mh_err_set(MH_ERR_INVALID_ARG, "the ledger has %llu entries, fewer than the %llu asked for",
               (unsigned long long)cur, (unsigned long long)size);
    return MH_ERR_INVALID_ARG;
}

int mh_ledger_root_at(mh_ledger *l, uint64_t size, uint8_t root[MH_LEDGER_HASH_LEN])
{
    MDB_txn *t;
    uint64_t cur = 0;
    int ret = mh_ledger_rtxn(l, &t);
    if (ret)
        return ret;
    if ((ret = mh_ledger_meta_size(l, t, &cur, NULL)))
        goto out;
    if (size > cur) {
        ret = too_big(size, cur);
        goto out;
    }
    struct getctx g = {.l = l, .t = t, .cur = cur};
    ret = mh_merkle_root(getter, &g, size, root);
out:
    mdb_txn_abort(t);
    return ret;
}

int mh_ledger_subtree_hash(mh_ledger *l, unsigned level, uint64_t index,
                           uint8_t out[MH_LEDGER_HASH_LEN])
{
    MDB_txn *t;
    uint64_t cur = 0;
    int ret = mh_ledger_rtxn(l, &t);
    if (ret)
        return ret;
    if ((ret = mh_ledger_meta_size(l, t, &cur, NULL)))
        goto out;
    if (level >= 64 || index >= (cur >> level)) {
        mh_err_set(MH_ERR_NOT_FOUND,
                   "there is no complete subtree %llu at level %u in a tree of %llu entries",
                   (unsigned long long)index, level, (unsigned long long)cur);
        ret = MH_ERR_NOT_FOUND;
        goto out;
    }
    ret = mh_ledger_hash_get(l, t, level, index, out);
out:
    mdb_txn_abort(t);
    return ret;
}

int mh_ledger_get_raw(mh_ledger *l, uint64_t index, uint8_t *buf, size_t cap, size_t *len)
{
    MDB_txn *t;
    uint8_t k[8];
    MDB_val key = {8, k}, v;
    int rc, ret = mh_ledger_rtxn(l, &t);
    if (ret)
        return ret;
    mh_be64_put(k, index);
    rc = mdb_get(t, l->db_entries, &key, &v);
    if (rc == MDB_NOTFOUND) {
        mh_err_set(MH_ERR_NOT_FOUND, "the ledger has no entry %llu", (unsigned long long)index);
        ret = MH_ERR_NOT_FOUND;
    } else if (rc) {
        ret = mh_ledger_mdb_err(rc, "reading an entry");
    } else if (v.mv_size > cap) {
        ret = MH_ERR_BUFFER_TOO_SMALL;
    } else {
        memcpy(buf, v.mv_data, v.mv_size);
        *len = v.mv_size;
        ret = MH_OK;
    }
    mdb_txn_abort(t);
    return ret;
}

int mh_ledger_get(mh_ledger *l, uint64_t index, mh_ledger_entry *e)
{
    uint8_t buf[MH_LEDGER_ENTRY_MAX];
    size_t len;
    int ret = mh_ledger_get_raw(l, index, buf, sizeof buf, &len);
    if (ret == MH_ERR_BUFFER_TOO_SMALL) {
        mh_err_set(MH_ERR_LEDGER_CORRUPT, "ledger entry %llu is too large; the ledger is damaged",
                   (unsigned long long)index);
        return MH_ERR_LEDGER_CORRUPT;
    }
    if (ret)
        return ret;
    if (mh_ledger_entry_decode(buf, len, e)) {
        mh_err_set(MH_ERR_LEDGER_CORRUPT, "ledger entry %llu is malformed; the ledger is damaged",
                   (unsigned long long)index);
        return MH_ERR_LEDGER_CORRUPT;
    }
    return MH_OK;
}

int mh_ledger_lookup_id(mh_ledger *l, const char *doc_id, mh_ledger_status *st)
{
    MDB_txn *t;
    size_t n = doc_id ? strnlen(doc_id, MH_LEDGER_ID_MAX + 1) : 0;
    MDB_val key = {n, (void *)doc_id}, v;
    int rc, ret;
    if (n == 0 || n > MH_LEDGER_ID_MAX) {
        mh_err_set(MH_ERR_INVALID_ARG, "a document id is 1 to %d bytes long", MH_LEDGER_ID_MAX);
        return MH_ERR_INVALID_ARG;
    }
    if ((ret = mh_ledger_rtxn(l, &t)))
        return ret;
    rc = mdb_get(t, l->db_id, &key, &v);
    if (rc == MDB_NOTFOUND) {
        mh_err_set(MH_ERR_NOT_FOUND, "document '%.128s' is not in the ledger", doc_id);
        ret = MH_ERR_NOT_FOUND;
    } else if (rc) {
        ret = mh_ledger_mdb_err(rc, "looking up a document id");
    } else {
        ret = status_decode(&v, st);
    }
    mdb_txn_abort(t);
    return ret;
}

int mh_ledger_lookup_digest(mh_ledger *l, const uint8_t digest[MH_LEDGER_HASH_LEN], uint64_t *idx,
                            size_t cap, size_t *count)
{
    MDB_txn *t;
    MDB_cursor *c = NULL;
    uint8_t k[40];
    MDB_val key = {sizeof k, k}, v;
    size_t n = 0;
    int rc, ret;

    if ((ret = mh_ledger_rtxn(l, &t)))
        return ret;
    memcpy(k, digest, 32);
    memset(k + 32, 0, 8);
    if ((rc = mdb_cursor_open(t, l->db_digest, &c))) {
        ret = mh_ledger_mdb_err(rc, "looking up a digest");
        goto out;
    }
    rc = mdb_cursor_get(c, &key, &v, MDB_SET_RANGE);
    while (rc == 0 && key.mv_size == 40 && memcmp(key.mv_data, digest, 32) == 0) {
        if (n < cap)
            idx[n] = mh_be64_get((const uint8_t *)key.mv_data + 32);
        n++;
        rc = mdb_cursor_get(c, &key, &v, MDB_NEXT);
    }
    if (rc && rc != MDB_NOTFOUND) {
        ret = mh_ledger_mdb_err(rc, "looking up a digest");
        goto out;
    }
    *count = n;
    ret = n ? MH_OK : MH_ERR_NOT_FOUND;
    if (!n)
        mh_err_set(MH_ERR_NOT_FOUND, "no document with this digest is in the ledger");
out:
    if (c)
        mdb_cursor_close(c);
    mdb_txn_abort(t);
    return ret;
}

int mh_ledger_prove_inclusion(mh_ledger *l, uint64_t index, uint64_t size,
                              uint8_t proof[][MH_LEDGER_HASH_LEN], size_t cap, size_t *n)
{
    MDB_txn *t;
    uint64_t cur = 0;
    int ret = mh_ledger_rtxn(l, &t);
    if (ret)
        return ret;
    if ((ret = mh_ledger_meta_size(l, t, &cur, NULL)))
        goto out;
    if (size == 0)
        size = cur;
    if (size > cur) {
        ret = too_big(size, cur);
        goto out;
    }
    if (index >= size) {
        mh_err_set(MH_ERR_INVALID_ARG, "entry %llu is not in the tree of %llu entries",
                   (unsigned long long)index, (unsigned long long)size);
        ret = MH_ERR_INVALID_ARG;
        goto out;
    }
    struct getctx g = {.l = l, .t = t, .cur = cur};
    path_prefetch(&g, index, size);
    ret = mh_merkle_inclusion_proof_ex(getter, edge_range, &g, index, size, proof, cap, n);
out:
    mdb_txn_abort(t);
    return ret;
}

int mh_ledger_prove_consistency(mh_ledger *l, uint64_t size1, uint64_t size2,
                                uint8_t proof[][MH_LEDGER_HASH_LEN], size_t cap, size_t *n)
{
    MDB_txn *t;
    uint64_t cur = 0;
    int ret = mh_ledger_rtxn(l, &t);
    if (ret)
        return ret;
    if ((ret = mh_ledger_meta_size(l, t, &cur, NULL)))
        goto out;
    if (size2 == 0)
        size2 = cur;
    if (size2 > cur) {
        ret = too_big(size2, cur);
        goto out;
    }
    if (size1 == 0 || size1 > size2) {
        mh_err_set(MH_ERR_INVALID_ARG,
                   "a consistency proof needs 0 < old size <= new size (got %llu and %llu)",
                   (unsigned long long)size1, (unsigned long long)size2);
        ret = MH_ERR_INVALID_ARG;
        goto out;
    }
    struct getctx g = {.l = l, .t = t, .cur = cur};
    path_prefetch(&g, size1 - 1, size2);
    ret = mh_merkle_consistency_proof_ex(getter, edge_range, &g, size1, size2, proof, cap, n);
out:
    mdb_txn_abort(t);
    return ret;
}
