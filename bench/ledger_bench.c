/* ledger_bench.c - the ledger's speed beside raw LMDB on the same disk, in
 * the same run:
 *   raw LMDB: puts in one transaction, and durable commits (one put each);
 *   durable appends per second with group commit (many submitting threads,
 *   one writer thread, one transaction and sync per batch), and with the
 *   batch API;
 *   inclusion proofs per second, and proof time and bytes per entry as the
 *   log grows (10^5, 10^6 and, with --big, 10^7 entries).
 *   ledger_bench [--dir DIR] [--big] [--threads N] */
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
    double t0;
    memset(val, 7, sizeof val);
    mkdir(dir, 0700);
    mdb_env_create(&env);
    mdb_env_set_mapsize(env, (size_t)1 << 30);
    if (mdb_env_open(env, dir, 0, 0600)) {
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
        for (int b = 0; b < 8; b++)
            key[b] = (uint8_t)(x >> (56 - 8 * b));
        mdb_txn_begin(env, NULL, 0, &t);
        mdb_put(t, dbi, &k, &v, MDB_APPEND);
        mdb_txn_commit(t);
    }
    printf("raw LMDB: %.0f durable commits/s (one put and one sync each)\n", m / (now() - t0));
    mdb_env_close(env);
}

struct sub {
    mh_ledger *l;
    int id;
    int n;
};

static void *submitter(void *arg)
{
    struct sub *s = arg;
    char prefix[32];
    mh_ledger_entry e;
    snprintf(prefix, sizeof prefix, "g%d-", s->id);
    for (int i = 0; i < s->n; i++) {
        uint64_t idx;
        make_entry(&e, (uint64_t)i, prefix);
        if (mh_ledger_submit(s->l, &e, &idx)) {
            fprintf(stderr, "submit: %s\n", mh_err_message(MH_ERR_IO));
            exit(1);
        }
    }
    return NULL;
}

static void group_commit(const char *dir, int threads)
{
    mh_ledger_opts o = {.create = true, .group_commit = true, .map_size = (size_t)4 << 30};
    mh_ledger *l;
    pthread_t *th = calloc((size_t)threads, sizeof *th);
    struct sub *s = calloc((size_t)threads, sizeof *s);
    int each = 60000 / threads;
    double t0;
    int rc = mh_ledger_open(dir, &o, &l);
    if (rc) {
        fprintf(stderr, "open: %s\n", mh_err_message(rc));
        exit(1);
    }
    t0 = now();
    for (int i = 0; i < threads; i++) {
        s[i] = (struct sub){l, i, each};
        pthread_create(&th[i], NULL, submitter, &s[i]);
    }
    for (int i = 0; i < threads; i++)
        pthread_join(th[i], NULL);
    double dt = now() - t0;
    printf("ledger: %.0f durable appends/s with group commit (%d threads submitting one entry "
           "at a time, %d appends; target 20000)\n",
           threads * each / dt, threads, threads * each);
    mh_ledger_close(l);
    free(th);
    free(s);
}

static uint64_t dir_bytes(const char *dir)
{
    char p[600];
    struct stat st;
    snprintf(p, sizeof p, "%s/data.mdb", dir);
    return stat(p, &st) == 0 ? (uint64_t)st.st_blocks * 512 : 0;
}

/* Grows the log to `target` with the batch API, then measures proofs. */
static void grow_and_prove(mh_ledger *l, const char *dir, uint64_t *size, uint64_t target)
{
    const size_t batch = 10000;
    mh_ledger_entry *es = calloc(batch, sizeof *es);
    uint8_t proof[64][32];
    size_t n;
    double t0 = now();
    uint64_t start = *size;
    unsigned seed = 99;
    while (*size < target) {
        size_t k = (size_t)(target - *size < batch ? target - *size : batch);
        for (size_t i = 0; i < k; i++)
            make_entry(&es[i], *size + i, "b-");
        int rc = mh_ledger_append(l, es, k, NULL);
        if (rc) {
            fprintf(stderr, "append: %s\n", mh_err_message(rc));
            exit(1);
        }
        *size += k;
    }
    double dt = now() - t0;
    if (start == 0)
        printf("ledger: %.0f durable appends/s with the batch API (batches of %zu, one "
               "transaction and sync each)\n",
               (double)(target - start) / dt, batch);
    free(es);

    const int proofs = 200000;
    t0 = now();
    for (int i = 0; i < proofs; i++) {
        seed = seed * 1103515245u + 12345u;
        uint64_t idx = ((uint64_t)seed << 16 ^ (uint64_t)i) % *size;
        if (mh_ledger_prove_inclusion(l, idx, *size, proof, 64, &n)) {
            fprintf(stderr, "prove failed\n");
            exit(1);
        }
    }
    dt = now() - t0;
    t0 = now();
    for (int i = 0; i < proofs / 4; i++) {
        seed = seed * 1103515245u + 12345u;
        uint64_t s1 = 1 + ((uint64_t)seed * 7919u) % *size;
        if (mh_ledger_prove_consistency(l, s1, *size, proof, 64, &n)) {
            fprintf(stderr, "consistency failed\n");
            exit(1);
        }
    }
    double dc = now() - t0;
    printf("ledger at %9llu entries: inclusion proof %.2f us (%.0f/s, one thread; target "
           "100000/s), consistency proof %.2f us, %.0f bytes on disk per entry\n",
           (unsigned long long)*size, dt / proofs * 1e6, proofs / dt, dc / (proofs / 4) * 1e6,
           (double)dir_bytes(dir) / (double)*size);
}

int main(int argc, char **argv)
{
    char base[512] = "", d1[600], d2[600], d3[600], cmd[700];
    bool big = false;
    int threads = 64;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--dir") == 0 && i + 1 < argc)
            snprintf(base, sizeof base, "%s", argv[++i]);
        else if (strcmp(argv[i], "--big") == 0)
            big = true;
        else if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc)
            threads = (int)strtol(argv[++i], NULL, 10);
        else {
            fprintf(stderr, "usage: ledger_bench [--dir DIR] [--big] [--threads N]\n");
            return 2;
        }
    }
    if (threads < 1 || threads > 1024)
        threads = 64;
    if (!base[0]) {
        char tmpl[] = "/var/tmp/ledger-bench.XXXXXX";
        if (!mkdtemp(tmpl))
            return 1;
        snprintf(base, sizeof base, "%s", tmpl);
    }
    snprintf(d1, sizeof d1, "%s/raw", base);
    snprintf(d2, sizeof d2, "%s/group", base);
    snprintf(d3, sizeof d3, "%s/grow", base);
    printf("ledger_bench in %s\n", base);
    raw_lmdb(d1);
    group_commit(d2, threads);

    mh_ledger_opts o = {.create = true, .map_size = (size_t)64 << 30};
    mh_ledger *l;
    uint64_t size = 0;
    if (mh_ledger_open(d3, &o, &l))
        return 1;
    grow_and_prove(l, d3, &size, 100000);
    grow_and_prove(l, d3, &size, 1000000);
    if (big)
        grow_and_prove(l, d3, &size, 10000000);
    mh_ledger_close(l);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", base);
    return system(cmd) == 0 ? 0 : 1;
}
