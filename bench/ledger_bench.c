/* ledger_bench.c - the ledger's speed beside raw LMDB on the same disk, in
 * the same run:
 *   raw LMDB: puts in one transaction, and durable commits (one put each)
 *   with their latency;
 *   durable appends per second with group commit (N submitting threads,
 *   each waiting for its own commit), batched by count only and by count
 *   and time, with each append's latency (p50, p99);
 *   the batch API;
 *   at each size (10^5, 10^6; --big adds 10^7; --sizes LIST): inclusion and
 *   consistency proofs per second through the ledger, beside raw LMDB
 *   reading the same tile records a proof reads (one read transaction and
 *   three random mdb_get of the tiles of a random leaf), bytes per entry,
 *   and the append rate while growing to that size.
 *
 *   ledger_bench [--dir DIR] [--keep] [--big] [--sizes N,N,...]
 *                [--threads N] [--delay-us D] [--proofs-only]
 *
 * Each size has its own ledger (DIR/grow-SIZE). --keep leaves them for a
 * later run, which reuses them: a 10^7 ledger is built once. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <lmdb.h>

#include "mh_ledger.h"
#include "mh_pki.h"

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double pct(double *v, size_t n, double p)
{
    size_t i = (size_t)(p * (double)(n - 1));
    return n ? v[i] : 0;
}

static void make_entry(mh_ledger_entry *e, uint64_t n, const char *prefix)
{
    memset(e, 0, sizeof *e);
    e->type = MH_LEDGER_ISSUE;
    snprintf(e->doc_id, sizeof e->doc_id, "%s%012llu", prefix, (unsigned long long)n);
    snprintf(e->kind, sizeof e->kind, "diploma");
    snprintf(e->issuer, sizeof e->issuer, "Baku State University");
    mh_merkle_leaf_hash((const uint8_t *)e->doc_id, strlen(e->doc_id), e->digest);
    e->doc_len = 250000 + n % 100000;
    memset(e->signer_fp, 0x3c, sizeof e->signer_fp);
    e->time = 1767225600u + n;
}

static void raw_lmdb(const char *dir)
{
    MDB_env *env;
    MDB_txn *t;
    MDB_dbi dbi;
    uint8_t val[200], key[8];
    MDB_val k = {8, key}, v = {sizeof val, val};
    const int n = 200000, m = 300;
    double t0, *lat = calloc((size_t)m, sizeof *lat);
    memset(val, 7, sizeof val);
    mkdir(dir, 0700);
    mdb_env_create(&env);
    mdb_env_set_mapsize(env, (size_t)1 << 30);
    if (!lat || mdb_env_open(env, dir, 0, 0600)) {
        fprintf(stderr, "raw LMDB: cannot open %s\n", dir);
        exit(1);
    }
    mdb_txn_begin(env, NULL, 0, &t);
    mdb_dbi_open(t, NULL, 0, &dbi);
    t0 = now();
    for (int i = 0; i < n; i++) {
        for (int b = 0; b < 8; b++)
            key[b] = (uint8_t)((uint64_t)i >> (56 - 8 * b));
        mdb_put(t, dbi, &k, &v, MDB_APPEND);
    }
    mdb_txn_commit(t);
    printf("raw LMDB: %.0f puts/s in one transaction (200-byte values, %d puts, one commit)\n",
           n / (now() - t0), n);
    t0 = now();
    for (int i = 0; i < m; i++) {
        uint64_t x = (uint64_t)n + (uint64_t)i;
        double t1 = now();
        for (int b = 0; b < 8; b++)
            key[b] = (uint8_t)(x >> (56 - 8 * b));
        mdb_txn_begin(env, NULL, 0, &t);
        mdb_put(t, dbi, &k, &v, MDB_APPEND);
        mdb_txn_commit(t);
        lat[i] = now() - t1;
    }
    double dt = now() - t0;
    qsort(lat, (size_t)m, sizeof *lat, cmp_double);
    printf("raw LMDB: %.0f durable commits/s (one put and one sync each), commit latency p50 "
           "%.2f ms, p99 %.2f ms\n",
           m / dt, pct(lat, (size_t)m, 0.5) * 1e3, pct(lat, (size_t)m, 0.99) * 1e3);
    mdb_env_close(env);
    free(lat);
}

struct sub {
    mh_ledger *l;
    int id;
    int n;
    double *lat;
};

static void *submitter(void *arg)
{
    struct sub *s = arg;
    char prefix[32];
    mh_ledger_entry e;
    snprintf(prefix, sizeof prefix, "g%d-", s->id);
    for (int i = 0; i < s->n; i++) {
        uint64_t idx;
        int rc;
        make_entry(&e, (uint64_t)i, prefix);
        double t0 = now();
        if ((rc = mh_ledger_submit(s->l, &e, &idx))) {
            fprintf(stderr, "submit: %s\n", mh_err_message(rc));
            exit(1);
        }
        s->lat[i] = now() - t0;
    }
    return NULL;
}

static void group_commit(const char *dir, int threads, unsigned delay_us, int total, int round)
{
    mh_ledger_opts o = {.create = true,
                        .group_commit = true,
                        .map_size = (size_t)4 << 30,
                        .batch_delay_us = delay_us};
    mh_ledger *l;
    pthread_t *th = calloc((size_t)threads, sizeof *th);
    struct sub *s = calloc((size_t)threads, sizeof *s);
    int each = total / threads;
    double *lat = calloc((size_t)threads * (size_t)each, sizeof *lat);
    double t0;
    char d[700];
    snprintf(d, sizeof d, "%s-%u-%d", dir, delay_us, round);
    int rc = mh_ledger_open(d, &o, &l);
    if (rc || !th || !s || !lat) {
        fprintf(stderr, "open: %s\n", mh_err_message(rc));
        exit(1);
    }
    t0 = now();
    for (int i = 0; i < threads; i++) {
        s[i] = (struct sub){l, i, each, lat + (size_t)i * (size_t)each};
        pthread_create(&th[i], NULL, submitter, &s[i]);
    }
    for (int i = 0; i < threads; i++)
        pthread_join(th[i], NULL);
    double dt = now() - t0;
    size_t n = (size_t)threads * (size_t)each;
    qsort(lat, n, sizeof *lat, cmp_double);
    printf("ledger (round %d): %.0f durable appends/s with group commit, %d submitters, batching "
           "%s (%zu appends); append latency p50 %.2f ms, p99 %.2f ms\n",
           round, (double)n / dt, threads,
           delay_us == MH_LEDGER_NO_DELAY ? "by count only" : "by count and time", n,
           pct(lat, n, 0.5) * 1e3, pct(lat, n, 0.99) * 1e3);
    {
        mh_ledger_gc_stats gs;
        mh_ledger_gc_stats_get(l, &gs);
        if (gs.batches)
            printf("        %llu batches of %.1f entries on average; a commit took %.2f ms on "
                   "average; waiting for batches to fill %.2f ms a batch%s\n",
                   (unsigned long long)gs.batches, (double)gs.entries / (double)gs.batches,
                   gs.commit_seconds / (double)gs.batches * 1e3,
                   gs.wait_seconds / (double)gs.batches * 1e3,
                   delay_us == MH_LEDGER_NO_DELAY ? "" : " (limit: the delay below)");
    }
    if (delay_us != MH_LEDGER_NO_DELAY)
        printf("        (time limit %u us after a batch's first entry)\n", delay_us);
    mh_ledger_close(l);
    free(th);
    free(s);
    free(lat);
}

static uint64_t dir_bytes(const char *dir)
{
    char p[600];
    struct stat st;
    snprintf(p, sizeof p, "%s/data.mdb", dir);
    return stat(p, &st) == 0 ? (uint64_t)st.st_blocks * 512 : 0;
}

static unsigned rnd_state = 99;

static uint64_t rnd(uint64_t bound)
{
    uint64_t x;
    rnd_state = rnd_state * 1103515245u + 12345u;
    x = (uint64_t)rnd_state << 20;
    rnd_state = rnd_state * 1103515245u + 12345u;
    x ^= rnd_state;
    return x % bound;
}

/* The peer of a proof: raw LMDB reading the tile records a proof of a
 * random leaf reads (tile levels 0, 1 and 2), eight hashes from each, in
 * one read transaction. */
static double raw_tile_reads(const char *dir, uint64_t size, int ops)
{
    MDB_env *env;
    MDB_txn *t;
    MDB_dbi dbi;
    uint8_t k[9], sink[32] = {0};
    MDB_val key = {9, k}, v;
    double t0, dt;
    mdb_env_create(&env);
    mdb_env_set_maxdbs(env, 8);
    if (mdb_env_open(env, dir, MDB_RDONLY | MDB_NOTLS | MDB_NORDAHEAD, 0600)) {
        fprintf(stderr, "raw LMDB: cannot open %s\n", dir);
        exit(1);
    }
    mdb_txn_begin(env, NULL, MDB_RDONLY, &t);
    if (mdb_dbi_open(t, "tiles", 0, &dbi) || mdb_txn_commit(t)) {
        fprintf(stderr, "raw LMDB: no tiles table in %s\n", dir);
        exit(1);
    }
    t0 = now();
    for (int i = 0; i < ops; i++) {
        uint64_t leaf = rnd(size);
        mdb_txn_begin(env, NULL, MDB_RDONLY, &t);
        for (unsigned tl = 0; tl < 3 && (size >> (8 * tl)) >= 256; tl++) {
            uint64_t n = leaf >> (8 * (tl + 1));
            if (tl > 0 && (size >> (8 * tl)) < 256 * n + 256)
                n = (size >> (8 * tl)) / 256; /* the right-edge tile */
            k[0] = (uint8_t)tl;
            for (int b = 0; b < 8; b++)
                k[1 + b] = (uint8_t)(n >> (56 - 8 * b));
            if (mdb_get(t, dbi, &key, &v) != 0 || v.mv_size < 16320) {
                fprintf(stderr, "raw LMDB: tile %u/%llu missing\n", tl, (unsigned long long)n);
                exit(1);
            }
            {
                const uint8_t *p = v.mv_data;
                unsigned idx = (unsigned)(leaf >> (8 * tl)) & 255u;
                for (unsigned j = 0; j < 8; j++) {
                    size_t off = (size_t)(512u - (512u >> j)) + ((idx >> j) ^ 1u);
                    sink[j] ^= p[off * 32];
                }
            }
        }
        mdb_txn_abort(t);
    }
    dt = now() - t0;
    mdb_env_close(env);
    if (sink[0] == 0x5a && sink[1] == 0xa5)
        printf(" ");
    return ops / dt;
}

static double proofs(mh_ledger *l, uint64_t size, int ops, bool consistency)
{
    uint8_t proof[64][32];
    size_t n;
    double t0 = now();
    for (int i = 0; i < ops; i++) {
        int rc;
        if (consistency)
            rc = mh_ledger_prove_consistency(l, 1 + rnd(size), size, proof, 64, &n);
        else
            rc = mh_ledger_prove_inclusion(l, rnd(size), size, proof, 64, &n);
        if (rc) {
            fprintf(stderr, "proof: %s\n", mh_err_message(rc));
            exit(1);
        }
    }
    return ops / (now() - t0);
}

static double median3(double a, double b, double c)
{
    double v[3] = {a, b, c};
    qsort(v, 3, sizeof *v, cmp_double);
    return v[1];
}

/* Grows the ledger in dir to `target` entries with the batch API, then
 * measures proofs beside raw LMDB (three alternating rounds, medians). */
static void grow_and_prove(const char *dir, uint64_t target)
{
    const size_t batch = 10000;
    mh_ledger_opts o = {.create = true, .map_size = (size_t)256 << 30};
    mh_ledger_opts ro = {.read_only = true, .map_size = (size_t)256 << 30};
    mh_ledger *l;
    mh_ledger_entry *es = calloc(batch, sizeof *es);
    uint64_t size = 0;
    double rate = 0;
    int rc;

    if ((rc = mh_ledger_open(dir, &o, &l)) || (rc = mh_ledger_size(l, &size, NULL))) {
        fprintf(stderr, "open: %s\n", mh_err_message(rc));
        exit(1);
    }
    if (size < target) {
        /* the rate over the last 10^5 appends: the append rate at this size */
        uint64_t mark = target > 100000 ? target - 100000 : 0, from = size;
        double t0 = now();
        while (size < target) {
            size_t k = (size_t)(target - size < batch ? target - size : batch);
            if (size < mark && size + k > mark)
                k = (size_t)(mark - size);
            for (size_t i = 0; i < k; i++)
                make_entry(&es[i], size + i, "b-");
            if ((rc = mh_ledger_append(l, es, k, NULL))) {
                fprintf(stderr, "append: %s\n", mh_err_message(rc));
                exit(1);
            }
            size += k;
            if (size == mark) {
                t0 = now();
                from = size;
            }
        }
        rate = (double)(size - from) / (now() - t0);
    }
    mh_ledger_close(l);
    free(es);

    /* proofs on a reader, as the front end makes them */
    if ((rc = mh_ledger_open(dir, &ro, &l))) {
        fprintf(stderr, "open: %s\n", mh_err_message(rc));
        exit(1);
    }
    const int ops = 200000;
    double raw[3], inc[3], con[3];
    (void)proofs(l, size, ops / 4, false); /* warm the caches of both */
    (void)raw_tile_reads(dir, size, ops / 4);
    for (int r = 0; r < 3; r++) {
        raw[r] = raw_tile_reads(dir, size, ops);
        inc[r] = proofs(l, size, ops, false);
        con[r] = proofs(l, size, ops / 2, true);
    }
    mh_ledger_close(l);
    double rm = median3(raw[0], raw[1], raw[2]), im = median3(inc[0], inc[1], inc[2]),
           cm = median3(con[0], con[1], con[2]);
    printf("at %9llu entries: inclusion %.2f us (%.0f/s), consistency %.2f us (%.0f/s); raw "
           "LMDB reading a proof's 3 tiles %.2f us (%.0f/s); %.0f bytes/entry",
           (unsigned long long)size, 1e6 / im, im, 1e6 / cm, cm, 1e6 / rm, rm,
           (double)dir_bytes(dir) / (double)size);
    if (rate > 0)
        printf("; appended at %.0f/s (batch API)", rate);
    printf("\n");
    fflush(stdout);
}

int main(int argc, char **argv)
{
    char base[512] = "", d1[600], d2[600], d3[600], cmd[700];
    bool big = false, keep = false, proofs_only = false;
    int threads = 64;
    unsigned delay = 1000;
    uint64_t sizes[16] = {100000, 1000000};
    size_t nsizes = 2;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--dir") == 0 && i + 1 < argc)
            snprintf(base, sizeof base, "%s", argv[++i]);
        else if (strcmp(argv[i], "--big") == 0)
            big = true;
        else if (strcmp(argv[i], "--keep") == 0)
            keep = true;
        else if (strcmp(argv[i], "--proofs-only") == 0)
            proofs_only = true;
        else if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc)
            threads = (int)strtol(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--delay-us") == 0 && i + 1 < argc)
            delay = (unsigned)strtoul(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--sizes") == 0 && i + 1 < argc) {
            char *p = argv[++i], *end;
            nsizes = 0;
            while (*p && nsizes < 16) {
                double d = strtod(p, &end);
                if (end == p || d < 1 || d > 1e10) {
                    fprintf(stderr, "--sizes: numbers like 1e5,1e6\n");
                    return 2;
                }
                sizes[nsizes++] = (uint64_t)d;
                p = *end == ',' ? end + 1 : end;
            }
        } else {
            fprintf(stderr, "usage: ledger_bench [--dir DIR] [--keep] [--big] [--sizes N,N,...] "
                            "[--threads N] [--delay-us D] [--proofs-only]\n");
            return 2;
        }
    }
    if (big && nsizes < 16)
        sizes[nsizes++] = 10000000;
    if (threads < 1 || threads > 1024)
        threads = 64;
    if (!base[0]) {
        char tmpl[] = "/var/tmp/ledger-bench.XXXXXX";
        if (!mkdtemp(tmpl))
            return 1;
        snprintf(base, sizeof base, "%s", tmpl);
    }
    mkdir(base, 0700);
    snprintf(d1, sizeof d1, "%s/raw", base);
    snprintf(d2, sizeof d2, "%s/group", base);
    snprintf(d3, sizeof d3, "%s/grow", base);
    printf("ledger_bench in %s\n", base);
    if (!proofs_only) {
        raw_lmdb(d1);
        /* alternating, four rounds each: the disk's own noise (other
         * jobs' syncs) falls on both */
        for (int r = 0; r < 4; r++) {
            /* each goes first in half the rounds: the second of a pair
             * runs while the kernel writes back the first one's pages */
            unsigned first = r % 2 ? delay : MH_LEDGER_NO_DELAY;
            unsigned second = r % 2 ? MH_LEDGER_NO_DELAY : delay;
            group_commit(d2, threads, first, 15000, r);
            group_commit(d2, threads, second, 15000, r);
        }
        snprintf(cmd, sizeof cmd, "rm -rf '%s' '%s'-*", d1, d2);
        if (system(cmd) != 0)
            return 1;
    }
    /* one ledger per size, so a small size is measured in a small ledger */
    for (size_t i = 0; i < nsizes; i++) {
        char d[700];
        snprintf(d, sizeof d, "%s-%llu", d3, (unsigned long long)sizes[i]);
        grow_and_prove(d, sizes[i]);
    }
    if (keep) {
        printf("kept the ledgers %s-* for the next run\n", d3);
        return 0;
    }
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", base);
    return system(cmd) == 0 ? 0 : 1;
}
