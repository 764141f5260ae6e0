/* ledger_internal.h - what the files of host/ledger share. */
#ifndef MH_LEDGER_INTERNAL_H
#define MH_LEDGER_INTERNAL_H

#include <lmdb.h>
#include <pthread.h>

#include "mh_ledger.h"

struct mh_req;

/* A stored tile holds, for 256 consecutive nodes of tree level 8t, those
 * nodes and every complete node above them inside the tile: levels 8t+j,
 * j = 0..7, 256 >> j nodes each, at hash offset 512 - (512 >> j); 510
 * hashes. A proof then reads one tile per 8 levels. */
#define MH_TILE_HASHES 510
#define MH_TILE_BYTES (MH_TILE_HASHES * MH_LEDGER_HASH_LEN)
#define MH_TILE_LEVELS 8  /* tile levels 0..7 cover trees of up to 2^64 */
#define MH_TOP_SLOTS 4096 /* full tiles kept in memory per tile level */

struct mh_tilebuf {
    bool valid;
    bool dirty;
    uint64_t n;
    uint8_t h[MH_TILE_BYTES];
};

/* The right edge of the tree of one size: part[t] is the hash of the
 * leaves [size with its t low bits cleared, size) when that is not a
 * complete subtree. Every proof at that size needs one or two of them;
 * computing one costs up to log2(size) node hashes, so they are kept. */
struct mh_edgecache {
    uint64_t size; /* 0: empty slot */
    uint8_t part[65][MH_LEDGER_HASH_LEN];
};

struct mh_ledger {
    MDB_env *env;
    MDB_dbi db_entries; /* index (8 bytes BE) -> canonical entry */
    MDB_dbi db_tiles;   /* tile level (1) || tile index (8 BE) -> MH_TILE_BYTES */
    MDB_dbi db_id;      /* document id -> status record */
    MDB_dbi db_digest;  /* digest (32) || index (8 BE) -> empty */
    MDB_dbi db_meta;    /* "size", "root", "version", "ckseq" */
    MDB_dbi db_ckpt;    /* sequence (8 BE) -> signed checkpoint note */
    MDB_dbi db_cosig;   /* sequence (8 BE) || name || 0 || key id (4) -> line */
    bool ro;
    int lock_fd;
    size_t map_size;
    size_t grow_step;
    unsigned batch_max;
    unsigned batch_delay_us; /* 0: no waiting for more */
    size_t last_batch;       /* entries in the last group commit */
    size_t queued;           /* entries waiting for the writer thread */
    mh_ledger_gc_stats gcs;  /* under qmu */
    double commit_avg;       /* moving average of a commit's time, seconds */
    unsigned check_depth;
    char dir[4096];

    /* writer state, under wmu */
    pthread_mutex_t wmu;
    uint64_t size;
    uint8_t frontier[64][MH_LEDGER_HASH_LEN];
    struct mh_tilebuf *edge; /* the right-edge tile of each tile level */

    /* full tiles of tile levels 1.. kept in memory (level tl, index n at
     * (tl - 1) * MH_TOP_SLOTS + n), set once with an atomic exchange */
    uint8_t **top;

    /* right-edge hashes of the sizes proved last, under ecmu */
    pthread_mutex_t ecmu;
    struct mh_edgecache ec[2];
    unsigned ec_next;

    /* group commit */
    bool gc;
    bool stop;
    pthread_t thr;
    pthread_mutex_t qmu;
    pthread_cond_t qcv; /* the writer thread waits here for entries */
    struct mh_req *head;
    struct mh_req *tail;
};

/* Maps an LMDB or errno code to MH_ERR_*, leaving a sentence about `what`. */
int mh_ledger_mdb_err(int rc, const char *what);
/* Begins a read transaction (handles a map grown by the writer). */
int mh_ledger_rtxn(mh_ledger *l, MDB_txn **t);
/* Reads a stored subtree hash inside a transaction. */
int mh_ledger_hash_get(mh_ledger *l, MDB_txn *t, unsigned level, uint64_t index,
                       uint8_t out[MH_LEDGER_HASH_LEN]);
/* The stored tile (tile level tl, index n): MH_TILE_BYTES valid for the
 * transaction's life. */
int mh_ledger_tile_get(mh_ledger *l, MDB_txn *t, unsigned tl, uint64_t n, const uint8_t **p);
int mh_ledger_meta_size(mh_ledger *l, MDB_txn *t, uint64_t *size, uint8_t root[MH_LEDGER_HASH_LEN]);

/* A tile mirror read file by file (mirror.c): a directory or an http(s)
 * URL; counts what it fetched. */
typedef struct mh_mirror {
    char base[2100]; /* ends in '/' */
    bool http;
    void *curl;
    uint64_t files, bytes;
    /* when set (by the caller, after open): every file read is also
     * written under this directory, at its name in the mirror (a follower's
     * local copy is staged so, then installed once the audit passed) */
    const char *stage;
} mh_mirror;

int mh_mirror_open(mh_mirror *m, const char *where);
void mh_mirror_close(mh_mirror *m);
/* Reads base/rel into buf (at most cap bytes: larger is MH_ERR_LEDGER_FORK);
 * a missing file is MH_ERR_NOT_FOUND, a network failure MH_ERR_IO. */
int mh_mirror_get(mh_mirror *m, const char *rel, uint8_t *buf, size_t cap, size_t *len);

/* mh_audit_mirror_each with every file it reads also written under stage
 * (NULL: none), as mh_mirror's stage. */
int mh_audit_mirror_stage(const char *where, const char *stage, mh_audit_state *st,
                          const mh_note_vkey *keys, size_t nkeys, mh_audit_entry_fn each, void *ctx,
                          mh_audit_result *res);

#endif
