/* test_ledger.c - the ledger on real LMDB files in a temporary directory:
 * entries and indexes, RFC 9162 roots and proofs against a naive reference
 * (property tests over random sizes), group commit from many threads, the
 * writer lock, a full map (and growth), a damaged file, checkpoints,
 * cosignatures, tile export and the mirror auditor, a full disk (tmpfs). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <lmdb.h>
#include <pthread.h>

#include "mh_ledger.h"
#include "mh_pki.h"

static char tmpl[] = "/tmp/mohur-ledger-test.XXXXXX";
static char *root_dir;
static int dir_seq;

static void new_dir(char *out, size_t cap)
{
    snprintf(out, cap, "%s/l%d", root_dir, dir_seq++);
}

static void make_entry(mh_ledger_entry *e, uint64_t n, const char *prefix)
{
    memset(e, 0, sizeof *e);
    e->type = MH_LEDGER_ISSUE;
    snprintf(e->doc_id, sizeof e->doc_id, "%s%llu", prefix, (unsigned long long)n);
    snprintf(e->kind, sizeof e->kind, "diploma");
    snprintf(e->issuer, sizeof e->issuer, "Baku State University");
    mh_merkle_leaf_hash((const uint8_t *)e->doc_id, strlen(e->doc_id), e->digest);
    e->doc_len = 1000 + n;
    memset(e->signer_fp, 0xab, sizeof e->signer_fp);
    e->time = 1767225600u + n;
}

static mh_ledger *open_new(char *dir, size_t cap, const mh_ledger_opts *extra)
{
    mh_ledger_opts o;
    mh_ledger *l = NULL;
    if (extra)
        o = *extra;
    else
        memset(&o, 0, sizeof o);
    o.create = true;
    new_dir(dir, cap);
    int rc = mh_ledger_open(dir, &o, &l);
    if (rc)
        fail_msg("open %s: %s", dir, mh_err_message(rc));
    return l;
}

static void append_n(mh_ledger *l, uint64_t start, uint64_t n, const char *prefix)
{
    mh_ledger_entry *es = calloc(n, sizeof *es);
    uint64_t *ix = calloc(n, sizeof *ix);
    assert_non_null(es);
    for (uint64_t i = 0; i < n; i++)
        make_entry(&es[i], start + i, prefix);
    int rc = mh_ledger_append(l, es, n, ix);
    if (rc)
        fail_msg("append: %s", mh_err_message(rc));
    for (uint64_t i = 0; i < n; i++)
        assert_int_equal(ix[i], start + i);
    free(es);
    free(ix);
}

/* The reference: RFC 9162 2.1.1 MTH by its recursive definition. */
static void mth(uint8_t (*leaves)[32], uint64_t n, uint8_t out[32])
{
    uint64_t k = 1;
    uint8_t a[32], b[32];
    if (n == 0) {
        mh_merkle_empty_root(out);
        return;
    }
    if (n == 1) {
        memcpy(out, leaves[0], 32);
        return;
    }
    while (k * 2 < n)
        k *= 2;
    mth(leaves, k, a);
    mth(leaves + k, n - k, b);
    mh_merkle_node_hash(a, b, out);
}

static uint8_t (*all_leaves(mh_ledger *l, uint64_t n))[32]
{
    uint8_t(*lv)[32] = calloc(n ? n : 1, 32);
    uint8_t buf[MH_LEDGER_ENTRY_MAX];
    size_t len;
    for (uint64_t i = 0; i < n; i++) {
        assert_int_equal(mh_ledger_get_raw(l, i, buf, sizeof buf, &len), 0);
        mh_merkle_leaf_hash(buf, len, lv[i]);
    }
    return lv;
}

static void test_entries_and_indexes(void **state)
{
    char dir[256];
    mh_ledger *l = open_new(dir, sizeof dir, NULL);
    mh_ledger_entry e, got;
    mh_ledger_status st;
    uint64_t idx, ix[4];
    size_t cnt;
    uint8_t buf[MH_LEDGER_ENTRY_MAX];
    size_t len;
    (void)state;

    append_n(l, 0, 10, "doc-");
    make_entry(&e, 3, "doc-");
    assert_int_equal(mh_ledger_append(l, &e, 1, &idx), MH_ERR_ALREADY_EXISTS);
    assert_int_equal(mh_ledger_get(l, 3, &got), 0);
    assert_memory_equal(&got, &e, sizeof e);
    /* canonical bytes decode to the same entry and re-encode identically */
    assert_int_equal(mh_ledger_get_raw(l, 3, buf, sizeof buf, &len), 0);
    assert_int_equal(mh_ledger_entry_decode(buf, len, &got), 0);
    buf[len - 1] ^= 1; /* a changed time still decodes, but a changed key does not */
    buf[1] ^= 0x01;
    assert_int_not_equal(mh_ledger_entry_decode(buf, len, &got), 0);

    /* revoke */
    memset(&e, 0, sizeof e);
    e.type = MH_LEDGER_REVOKE;
    snprintf(e.doc_id, sizeof e.doc_id, "doc-4");
    snprintf(e.issuer, sizeof e.issuer, "Registry");
    e.reason = 1;
    e.time = 1800000000;
    assert_int_equal(mh_ledger_append(l, &e, 1, &idx), 0);
    assert_int_equal(idx, 10);
    assert_int_equal(mh_ledger_get(l, 10, &got), 0);
    assert_int_equal(got.revoked_index, 4);
    assert_int_equal(mh_ledger_append(l, &e, 1, &idx), MH_ERR_ALREADY_EXISTS);
    snprintf(e.doc_id, sizeof e.doc_id, "no-such-doc");
    assert_int_equal(mh_ledger_append(l, &e, 1, &idx), MH_ERR_NOT_FOUND);
    e.reason = 7; /* unused code in RFC 5280 */
    snprintf(e.doc_id, sizeof e.doc_id, "doc-5");
    assert_int_equal(mh_ledger_append(l, &e, 1, &idx), MH_ERR_INVALID_ARG);

    assert_int_equal(mh_ledger_lookup_id(l, "doc-4", &st), 0);
    assert_true(st.revoked);
    assert_int_equal(st.issue_index, 4);
    assert_int_equal(st.revoke_index, 10);
    assert_int_equal(st.reason, 1);
    assert_int_equal(mh_ledger_lookup_id(l, "doc-5", &st), 0);
    assert_false(st.revoked);
    assert_int_equal(mh_ledger_lookup_id(l, "doc-99", &st), MH_ERR_NOT_FOUND);

    make_entry(&e, 7, "doc-");
    assert_int_equal(mh_ledger_lookup_digest(l, e.digest, ix, 4, &cnt), 0);
    assert_int_equal(cnt, 1);
    assert_int_equal(ix[0], 7);

    /* a batch is all or nothing */
    mh_ledger_entry two[2];
    make_entry(&two[0], 100, "doc-");
    make_entry(&two[1], 1, "doc-"); /* duplicate */
    uint64_t size;
    uint8_t r1[32], r2[32];
    assert_int_equal(mh_ledger_size(l, &size, r1), 0);
    assert_int_equal(mh_ledger_append(l, two, 2, ix), MH_ERR_ALREADY_EXISTS);
    assert_int_equal(mh_ledger_size(l, &size, r2), 0);
    assert_int_equal(size, 11);
    assert_memory_equal(r1, r2, 32);
    assert_int_equal(mh_ledger_lookup_id(l, "doc-100", &st), MH_ERR_NOT_FOUND);

    /* a reader in parallel with the writer; a second writer is refused */
    mh_ledger *r = NULL, *w2 = NULL;
    mh_ledger_opts ro = {.read_only = true};
    assert_int_equal(mh_ledger_open(dir, &ro, &r), 0);
    assert_int_equal(mh_ledger_size(r, &size, r2), 0);
    assert_int_equal(size, 11);
    assert_int_equal(mh_ledger_append(r, &two[0], 1, ix), MH_ERR_PERMISSION);
    assert_int_equal(mh_ledger_open(dir, NULL, &w2), MH_ERR_LEDGER_LOCKED);
    assert_non_null(strstr(mh_err_message(MH_ERR_LEDGER_LOCKED), "another process"));
    mh_ledger_close(r);
    mh_ledger_close(l);
    /* after close the lock is free again */
    assert_int_equal(mh_ledger_open(dir, NULL, &w2), 0);
    mh_ledger_close(w2);
    assert_int_equal(mh_ledger_open("/tmp/mohur-no-such-ledger", &ro, &r), MH_ERR_NOT_FOUND);
}

/* Property tests: random sizes, every proof checks, modified ones do not. */
static void test_proofs_random(void **state)
{
    char dir[256];
    mh_ledger *l = open_new(dir, sizeof dir, NULL);
    uint8_t proof[MH_MERKLE_MAX_PROOF][32], root[32], ref[32], root1[32];
    uint64_t size = 0, checked = 0;
    size_t n;
    unsigned seed = 4242;
    (void)state;

    for (int round = 0; round < 12; round++) {
        seed = seed * 1103515245u + 12345u;
        uint64_t add = 1 + (seed >> 8) % (round < 6 ? 40 : 700);
        append_n(l, size, add, "p-");
        size += add;
        uint8_t(*lv)[32] = all_leaves(l, size);
        uint64_t cur;
        assert_int_equal(mh_ledger_size(l, &cur, root), 0);
        assert_int_equal(cur, size);
        mth(lv, size, ref);
        assert_memory_equal(root, ref, 32);
        for (int k = 0; k < 60; k++) {
            seed = seed * 1103515245u + 12345u;
            uint64_t s = 1 + (seed >> 4) % size;
            seed = seed * 1103515245u + 12345u;
            uint64_t i = (seed >> 4) % s;
            mth(lv, s, ref);
            assert_int_equal(mh_ledger_root_at(l, s, root), 0);
            assert_memory_equal(root, ref, 32);
            assert_int_equal(mh_ledger_prove_inclusion(l, i, s, proof, MH_MERKLE_MAX_PROOF, &n), 0);
            assert_int_equal(
                mh_merkle_verify_inclusion(lv[i], i, s, (const uint8_t(*)[32])proof, n, ref), 0);
            /* a modified entry, index or size does not verify */
            uint8_t bad[32];
            memcpy(bad, lv[i], 32);
            bad[k % 32] ^= 0x40;
            assert_int_not_equal(
                mh_merkle_verify_inclusion(bad, i, s, (const uint8_t(*)[32])proof, n, ref), 0);
            if (s > 1) {
                assert_int_not_equal(mh_merkle_verify_inclusion(lv[i], (i + 1) % s, s,
                                                                (const uint8_t(*)[32])proof, n,
                                                                ref),
                                     0);
            }
            if (s + 1 <= size) {
                uint8_t ref2[32];
                mth(lv, s + 1, ref2);
                assert_int_not_equal(mh_merkle_verify_inclusion(
                                         lv[i], i, s + 1, (const uint8_t(*)[32])proof, n, ref2),
                                     0);
            }
            /* consistency from a random earlier size */
            seed = seed * 1103515245u + 12345u;
            uint64_t s1 = 1 + (seed >> 4) % s;
            mth(lv, s1, root1);
            assert_int_equal(mh_ledger_prove_consistency(l, s1, s, proof, MH_MERKLE_MAX_PROOF, &n),
                             0);
            assert_int_equal(
                mh_merkle_verify_consistency(s1, s, (const uint8_t(*)[32])proof, n, root1, ref), 0);
            if (n > 0) {
                proof[n / 2][0] ^= 1;
                assert_int_not_equal(
                    mh_merkle_verify_consistency(s1, s, (const uint8_t(*)[32])proof, n, root1, ref),
                    0);
                proof[n / 2][0] ^= 1;
            }
            if (s1 > 1 && s1 < s) {
                assert_int_not_equal(mh_merkle_verify_consistency(
                                         s1 - 1, s, (const uint8_t(*)[32])proof, n, root1, ref),
                                     0);
            }
            checked++;
        }
        free(lv);
    }
    /* out of range */
    assert_int_equal(mh_ledger_prove_inclusion(l, size, size, proof, MH_MERKLE_MAX_PROOF, &n),
                     MH_ERR_INVALID_ARG);
    assert_int_equal(mh_ledger_prove_inclusion(l, 0, size + 1, proof, MH_MERKLE_MAX_PROOF, &n),
                     MH_ERR_INVALID_ARG);
    assert_int_equal(mh_ledger_prove_consistency(l, 0, size, proof, MH_MERKLE_MAX_PROOF, &n),
                     MH_ERR_INVALID_ARG);
    printf("proofs: %llu random (index, size) pairs in trees up to %llu entries, all verified; "
           "modified ones refused\n",
           (unsigned long long)checked, (unsigned long long)size);
    mh_ledger_close(l);
}

/* Trees past one full level-1 tile (65,536 entries): proofs then use the
 * tiles kept in memory and the right-edge cache; they must verify against
 * the reference root at every size asked, from the writer's handle and a
 * reader's, and still after the tree grew (nothing cached goes stale). */
static void test_proofs_large(void **state)
{
    char dir[256];
    mh_ledger *l = open_new(dir, sizeof dir, NULL), *r = NULL;
    mh_ledger_opts ro = {.read_only = true};
    uint8_t proof[MH_MERKLE_MAX_PROOF][32], ref[32], ref1[32];
    uint64_t size = 0, sizes[3] = {140000, 140001, 200003};
    unsigned seed = 77;
    size_t n;
    (void)state;

    for (int round = 0; round < 3; round++) {
        append_n(l, size, sizes[round] - size, "big-");
        size = sizes[round];
        if (!r)
            assert_int_equal(mh_ledger_open(dir, &ro, &r), 0);
        uint8_t(*lv)[32] = all_leaves(l, size);
        uint64_t at[4] = {size, size - 1, 65536 + 1000 * (uint64_t)round, 131072};
        for (int a = 0; a < 4; a++) {
            uint64_t s = at[a];
            mth(lv, s, ref);
            for (int k = 0; k < 40; k++) {
                mh_ledger *h = k % 2 ? r : l;
                seed = seed * 1103515245u + 12345u;
                uint64_t i = (seed >> 3) % s;
                if (k == 0)
                    i = s - 1;
                assert_int_equal(mh_ledger_prove_inclusion(h, i, s, proof, MH_MERKLE_MAX_PROOF, &n),
                                 0);
                assert_int_equal(
                    mh_merkle_verify_inclusion(lv[i], i, s, (const uint8_t(*)[32])proof, n, ref),
                    0);
                proof[n - 1][3] ^= 1;
                assert_int_not_equal(
                    mh_merkle_verify_inclusion(lv[i], i, s, (const uint8_t(*)[32])proof, n, ref),
                    0);
            }
            for (int k = 0; k < 6; k++) {
                mh_ledger *h = k % 2 ? r : l;
                seed = seed * 1103515245u + 12345u;
                uint64_t s1 = 1 + (seed >> 3) % s;
                if (k == 0)
                    s1 = 65536;
                mth(lv, s1, ref1);
                assert_int_equal(
                    mh_ledger_prove_consistency(h, s1, s, proof, MH_MERKLE_MAX_PROOF, &n), 0);
                assert_int_equal(
                    mh_merkle_verify_consistency(s1, s, (const uint8_t(*)[32])proof, n, ref1, ref),
                    0);
            }
        }
        free(lv);
    }
    mh_ledger_close(r);
    mh_ledger_close(l);
}

struct thr {
    mh_ledger *l;
    int id;
    int n;
    uint64_t *got;
};

static void *submitter(void *arg)
{
    struct thr *t = arg;
    mh_ledger_entry e;
    char prefix[32];
    snprintf(prefix, sizeof prefix, "t%d-", t->id);
    for (int i = 0; i < t->n; i++) {
        make_entry(&e, (uint64_t)i, prefix);
        if (mh_ledger_submit(t->l, &e, &t->got[i]) != 0)
            t->got[i] = UINT64_MAX;
    }
    return NULL;
}

static void test_group_commit(void **state)
{
    enum { THREADS = 8, EACH = 300 };
    char dir[256];
    mh_ledger_opts o = {.group_commit = true};
    mh_ledger *l = open_new(dir, sizeof dir, &o);
    pthread_t th[THREADS];
    struct thr t[THREADS];
    uint8_t *seen = calloc(THREADS * EACH, 1);
    mh_ledger_entry e;
    uint64_t idx, size;
    uint8_t root[32], ref[32];
    (void)state;

    for (int i = 0; i < THREADS; i++) {
        t[i] = (struct thr){l, i, EACH, calloc(EACH, sizeof(uint64_t))};
        pthread_create(&th[i], NULL, submitter, &t[i]);
    }
    for (int i = 0; i < THREADS; i++)
        pthread_join(th[i], NULL);
    for (int i = 0; i < THREADS; i++) {
        for (int k = 0; k < EACH; k++) {
            assert_true(t[i].got[k] < THREADS * EACH);
            assert_false(seen[t[i].got[k]]);
            seen[t[i].got[k]] = 1;
            mh_ledger_entry got;
            make_entry(&e, (uint64_t)k, "");
            assert_int_equal(mh_ledger_get(l, t[i].got[k], &got), 0);
            char want[32];
            snprintf(want, sizeof want, "t%d-%d", i, k);
            assert_string_equal(got.doc_id, want);
        }
        free(t[i].got);
    }
    /* one bad entry in a group does not fail the others */
    make_entry(&e, 0, "t0-");
    assert_int_equal(mh_ledger_submit(l, &e, &idx), MH_ERR_ALREADY_EXISTS);
    assert_non_null(strstr(mh_err_message(MH_ERR_ALREADY_EXISTS), "already in the ledger"));
    make_entry(&e, 0, "late-");
    assert_int_equal(mh_ledger_submit(l, &e, &idx), 0);
    assert_int_equal(idx, THREADS * EACH);
    assert_int_equal(mh_ledger_size(l, &size, root), 0);
    assert_int_equal(size, THREADS * EACH + 1);
    uint8_t(*lv)[32] = all_leaves(l, size);
    mth(lv, size, ref);
    assert_memory_equal(root, ref, 32);
    free(lv);
    free(seen);
    mh_ledger_close(l);
}

/* Batching by time never holds back a lone submitter (the batch it
 * waits for is as large as the last one, one entry), and a batch of
 * several closes as soon as the submitters of the last one are back, long
 * before a (huge) time limit. */
static void test_group_commit_delay(void **state)
{
    enum { THREADS = 4, EACH = 25 };
    char dir[256];
    mh_ledger_opts o = {.group_commit = true, .batch_delay_us = 400000};
    mh_ledger *l = open_new(dir, sizeof dir, &o);
    mh_ledger_entry e;
    pthread_t th[THREADS];
    struct thr t[THREADS];
    struct timespec a, b;
    uint64_t idx;
    (void)state;

    clock_gettime(CLOCK_MONOTONIC, &a);
    for (int i = 0; i < 10; i++) {
        make_entry(&e, (uint64_t)i, "lone-");
        assert_int_equal(mh_ledger_submit(l, &e, &idx), 0);
        assert_int_equal(idx, (uint64_t)i);
    }
    clock_gettime(CLOCK_MONOTONIC, &b);
    double dt = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
    printf("group commit: 10 appends of a lone submitter in %.3f s (time limit 0.4 s each)\n", dt);
    assert_true(dt < 2.0); /* ten 0.4 s waits would take 4 s */
    for (int i = 0; i < THREADS; i++) {
        t[i] = (struct thr){l, i, EACH, calloc(EACH, sizeof(uint64_t))};
        pthread_create(&th[i], NULL, submitter, &t[i]);
    }
    for (int i = 0; i < THREADS; i++)
        pthread_join(th[i], NULL);
    for (int i = 0; i < THREADS; i++) {
        for (int k = 0; k < EACH; k++)
            assert_true(t[i].got[k] >= 10 && t[i].got[k] < 10 + THREADS * EACH);
        free(t[i].got);
    }
    mh_ledger_close(l);
}

static int reopen_check(const char *dir, uint64_t want_size)
{
    mh_ledger *l = NULL;
    uint64_t size;
    uint8_t root[32], ref[32];
    int rc = mh_ledger_open(dir, NULL, &l);
    if (rc)
        return rc;
    assert_int_equal(mh_ledger_size(l, &size, root), 0);
    assert_int_equal(size, want_size);
    uint8_t(*lv)[32] = all_leaves(l, size);
    mth(lv, size, ref);
    assert_memory_equal(root, ref, 32);
    free(lv);
    mh_ledger_close(l);
    return 0;
}

static void test_map_full_and_grow(void **state)
{
    char dir[256];
    mh_ledger_opts o = {.map_size = 256 * 1024};
    mh_ledger *l = open_new(dir, sizeof dir, &o);
    uint64_t size = 0, n = 0;
    int rc = 0;
    (void)state;
    while (n < 100000) {
        mh_ledger_entry es[50];
        for (int i = 0; i < 50; i++)
            make_entry(&es[i], n + (uint64_t)i, "m-");
        rc = mh_ledger_append(l, es, 50, NULL);
        if (rc)
            break;
        n += 50;
    }
    assert_int_equal(rc, MH_ERR_LEDGER_FULL);
    assert_non_null(strstr(mh_err_message(rc), "map is full"));
    assert_int_equal(mh_ledger_size(l, &size, NULL), 0);
    assert_int_equal(size, n);
    mh_ledger_close(l);
    /* intact after the refusal */
    assert_int_equal(reopen_check(dir, n), 0);
    /* and with growth allowed, appends go on */
    o.grow_step = 256 * 1024;
    assert_int_equal(mh_ledger_open(dir, &o, &l), 0);
    for (uint64_t k = 0; k < 20; k++) {
        mh_ledger_entry es[50];
        for (int i = 0; i < 50; i++)
            make_entry(&es[i], n + (uint64_t)i, "m-");
        rc = mh_ledger_append(l, es, 50, NULL);
        if (rc)
            fail_msg("append with growth: %s", mh_err_message(rc));
        n += 50;
    }
    mh_ledger_close(l);
    /* a reader with the old, smaller map size adopts the grown file */
    mh_ledger *r = NULL;
    mh_ledger_opts ro = {.read_only = true, .map_size = 256 * 1024};
    assert_int_equal(mh_ledger_open(dir, &ro, &r), 0);
    assert_int_equal(mh_ledger_size(r, &size, NULL), 0);
    assert_int_equal(size, n);
    mh_ledger_close(r);
    assert_int_equal(reopen_check(dir, n), 0);
}

/* Damage one stored entry behind the ledger's back: opening refuses it. */
static void test_damage_detected(void **state)
{
    char dir[256];
    mh_ledger *l = open_new(dir, sizeof dir, NULL);
    MDB_env *env;
    MDB_txn *t;
    MDB_dbi dbi;
    uint8_t k[8] = {0, 0, 0, 0, 0, 0, 0, 30};
    MDB_val key = {8, k}, val;
    uint8_t copy[MH_LEDGER_ENTRY_MAX];
    (void)state;
    append_n(l, 0, 40, "d-");
    mh_ledger_close(l);

    assert_int_equal(mdb_env_create(&env), 0);
    mdb_env_set_maxdbs(env, 8);
    assert_int_equal(mdb_env_open(env, dir, 0, 0600), 0);
    assert_int_equal(mdb_txn_begin(env, NULL, 0, &t), 0);
    assert_int_equal(mdb_dbi_open(t, "entries", 0, &dbi), 0);
    assert_int_equal(mdb_get(t, dbi, &key, &val), 0);
    memcpy(copy, val.mv_data, val.mv_size);
    copy[val.mv_size - 1] ^= 1; /* the time, one bit */
    val.mv_data = copy;
    assert_int_equal(mdb_put(t, dbi, &key, &val, 0), 0);
    assert_int_equal(mdb_txn_commit(t), 0);
    mdb_env_close(env);

    int rc = mh_ledger_open(dir, NULL, &l);
    assert_int_equal(rc, MH_ERR_LEDGER_CORRUPT);
    assert_non_null(strstr(mh_err_message(rc), "entry 30"));
    mh_ledger_opts ro = {.read_only = true};
    assert_int_equal(mh_ledger_open(dir, &ro, &l), MH_ERR_LEDGER_CORRUPT);
}

/* A signer for tests: a fake signature line (the ledger stores notes; the
 * signature itself is checked by pki/ and by the Go test). */
static int fake_sign(void *ctx, const char *body, size_t bl, char *note, size_t cap, size_t *nl)
{
    (void)ctx;
    int n = snprintf(note, cap,
                     "%.*s\n\xe2\x80\x94 test.example "
                     "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBA"
                     "QEBAQEBAQEBAQE=\n",
                     (int)bl, body);
    if (n < 0 || (size_t)n >= cap)
        return MH_ERR_BUFFER_TOO_SMALL;
    *nl = (size_t)n;
    return 0;
}

static int accept_cosig(void *ctx, const char *note, size_t nl, const char *line, size_t ll)
{
    (void)note;
    (void)nl;
    (void)line;
    (void)ll;
    return *(int *)ctx;
}

static void test_checkpoints_tiles_audit(void **state)
{
    char dir[256], out[300], path[400], note[MH_LEDGER_NOTE_MAX + 1];
    mh_ledger *l = open_new(dir, sizeof dir, NULL);
    mh_ledger_export_stats st;
    mh_ledger_audit a;
    uint64_t seq;
    size_t nl;
    int verdict;
    (void)state;
    snprintf(out, sizeof out, "%s-mirror", dir);

    assert_int_equal(mh_ledger_export_tiles(l, out, &st), MH_ERR_NOT_FOUND);
    append_n(l, 0, 70000, "c-");
    assert_int_equal(mh_ledger_checkpoint_sign(l, "registry.example.az/log", fake_sign, NULL, &seq),
                     0);
    assert_int_equal(seq, 0);
    assert_int_equal(mh_ledger_checkpoint_get(l, UINT64_MAX, note, sizeof note, &nl, &seq), 0);
    assert_non_null(strstr(note, "registry.example.az/log\n70000\n"));

    /* a checkpoint with another root or a larger size is refused */
    char forged[512];
    snprintf(forged, sizeof forged,
             "registry.example.az/log\n70000\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n\n"
             "\xe2\x80\x94 x "
             "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBA"
             "QEBAQE=\n");
    assert_int_equal(mh_ledger_checkpoint_store(l, forged, strlen(forged), &seq),
                     MH_ERR_LEDGER_FORK);
    snprintf(forged, sizeof forged,
             "registry.example.az/log\n70001\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n\n"
             "\xe2\x80\x94 x "
             "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBA"
             "QEBAQE=\n");
    assert_int_equal(mh_ledger_checkpoint_store(l, forged, strlen(forged), &seq),
                     MH_ERR_LEDGER_FORK);
    snprintf(forged, sizeof forged,
             "registry.example.az/log\n007\nAAAA\n\n— x "
             "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBA"
             "QEBAQE=\n");
    assert_int_equal(mh_ledger_checkpoint_store(l, forged, strlen(forged), &seq), MH_ERR_PARSE);

    /* cosignatures: verified by the callback, stored once per witness key */
    static const char cosig[] = "\xe2\x80\x94 witness.example AAAAAgAAAAAAAAAA\n";
    verdict = MH_ERR_VERIFY_FAILED;
    assert_int_equal(mh_ledger_cosign_add(l, 0, cosig, strlen(cosig), accept_cosig, &verdict),
                     MH_ERR_VERIFY_FAILED);
    verdict = 0;
    assert_int_equal(mh_ledger_cosign_add(l, 0, cosig, strlen(cosig), accept_cosig, &verdict), 0);
    assert_int_equal(mh_ledger_cosign_add(l, 0, cosig, strlen(cosig), accept_cosig, &verdict),
                     MH_ERR_ALREADY_EXISTS);
    assert_int_equal(mh_ledger_cosign_add(l, 0, "junk\n", 5, accept_cosig, &verdict), MH_ERR_PARSE);
    assert_int_equal(mh_ledger_checkpoint_get(l, 0, note, sizeof note, &nl, &seq), 0);
    assert_non_null(strstr(note, "witness.example"));

    /* export and audit */
    assert_int_equal(mh_ledger_export_tiles(l, out, &st), 0);
    assert_int_equal(st.size, 70000);
    assert_int_equal(st.bundles, 274); /* ceil(70000 / 256) */
    assert_int_equal(st.tiles, 274 + 2 + 1);
    memset(&a, 0, sizeof a);
    assert_int_equal(mh_ledger_audit_dir(out, &a, note, sizeof note, &nl), 0);
    assert_int_equal(a.size, 70000);
    assert_int_equal(a.entries_checked, 70000);
    uint8_t trusted[32];
    memcpy(trusted, a.root, 32);

    /* incremental: a second export after more entries writes only what is new */
    append_n(l, 70000, 300, "c-");
    assert_int_equal(mh_ledger_checkpoint_sign(l, "registry.example.az/log", fake_sign, NULL, &seq),
                     0);
    assert_int_equal(mh_ledger_export_tiles(l, out, &st), 0);
    assert_int_equal(st.skipped, 273 + 273 + 1);
    memset(&a, 0, sizeof a);
    a.trusted_size = 70000;
    memcpy(a.trusted_root, trusted, 32);
    assert_int_equal(mh_ledger_audit_dir(out, &a, note, sizeof note, &nl), 0);
    assert_int_equal(a.size, 70300);

    /* a trusted root the mirror does not extend is a fork */
    trusted[0] ^= 1;
    memcpy(a.trusted_root, trusted, 32);
    assert_int_equal(mh_ledger_audit_dir(out, &a, note, sizeof note, &nl), MH_ERR_LEDGER_FORK);
    trusted[0] ^= 1;
    a.trusted_size = 80000; /* rollback */
    assert_int_equal(mh_ledger_audit_dir(out, &a, note, sizeof note, &nl), MH_ERR_LEDGER_FORK);

    /* rewrite one byte of a full tile, then of an entry bundle */
    FILE *f;
    snprintf(path, sizeof path, "%s/tile/0/100", out);
    f = fopen(path, "r+b");
    assert_non_null(f);
    fseek(f, 100, SEEK_SET);
    int c = fgetc(f);
    fseek(f, 100, SEEK_SET);
    fputc(c ^ 0x10, f);
    fclose(f);
    memset(&a, 0, sizeof a);
    assert_int_equal(mh_ledger_audit_dir(out, &a, note, sizeof note, &nl), MH_ERR_LEDGER_FORK);
    assert_non_null(strstr(mh_err_message(MH_ERR_LEDGER_FORK), "tile/0/100"));
    f = fopen(path, "r+b");
    fseek(f, 100, SEEK_SET);
    fputc(c, f);
    fclose(f);
    assert_int_equal(mh_ledger_audit_dir(out, &a, note, sizeof note, &nl), 0);
    snprintf(path, sizeof path, "%s/tile/entries/005", out);
    f = fopen(path, "r+b");
    assert_non_null(f);
    fseek(f, 40, SEEK_SET);
    c = fgetc(f);
    fseek(f, 40, SEEK_SET);
    fputc(c ^ 0x01, f);
    fclose(f);
    assert_int_equal(mh_ledger_audit_dir(out, &a, note, sizeof note, &nl), MH_ERR_LEDGER_FORK);
    mh_ledger_close(l);
}

static void test_tile_paths(void **state)
{
    char b[128];
    (void)state;
    assert_int_equal(mh_ledger_tile_path(0, 0, 0, b, sizeof b), 0);
    assert_string_equal(b, "tile/0/000");
    assert_int_equal(mh_ledger_tile_path(1, 1234067, 256, b, sizeof b), 0);
    assert_string_equal(b, "tile/1/x001/x234/067");
    assert_int_equal(mh_ledger_tile_path(-1, 5, 17, b, sizeof b), 0);
    assert_string_equal(b, "tile/entries/005.p/17");
    assert_int_equal(mh_ledger_tile_path(2, 1000, 3, b, sizeof b), 0);
    assert_string_equal(b, "tile/2/x001/000.p/3");
}

/* A full disk: a small tmpfs. Needs root and mount(2); skipped otherwise. */
static void test_disk_full(void **state)
{
    char mnt[300], dir[320];
    mh_ledger *l = NULL;
    mh_ledger_opts o = {.create = true, .map_size = (size_t)64 << 20};
    uint64_t n = 0, size;
    int rc = 0;
    (void)state;
    snprintf(mnt, sizeof mnt, "%s/tmpfs", root_dir);
    mkdir(mnt, 0700);
    if (mount("tmpfs", mnt, "tmpfs", 0, "size=1m") != 0) {
        printf("NOTE: disk-full test skipped: cannot mount a tmpfs here (%m)\n");
        skip();
    }
    snprintf(dir, sizeof dir, "%s/ledger", mnt);
    rc = mh_ledger_open(dir, &o, &l);
    if (rc) {
        umount(mnt);
        fail_msg("open on tmpfs: %s", mh_err_message(rc));
    }
    while (n < 200000) {
        mh_ledger_entry es[100];
        for (int i = 0; i < 100; i++)
            make_entry(&es[i], n + (uint64_t)i, "f-");
        rc = mh_ledger_append(l, es, 100, NULL);
        if (rc)
            break;
        n += 100;
    }
    printf("disk full after %llu entries: %s\n", (unsigned long long)n, mh_err_message(rc));
    assert_int_equal(rc, MH_ERR_DISK_FULL);
    assert_int_equal(mh_ledger_size(l, &size, NULL), 0);
    assert_int_equal(size, n);
    mh_ledger_close(l);
    rc = reopen_check(dir, n);
    umount2(mnt, MNT_DETACH);
    assert_int_equal(rc, 0);
}

static int setup(void **state)
{
    (void)state;
    root_dir = mkdtemp(tmpl);
    return root_dir ? 0 : -1;
}

static int teardown(void **state)
{
    char cmd[300];
    (void)state;
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root_dir);
    return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tile_paths),
        cmocka_unit_test(test_entries_and_indexes),
        cmocka_unit_test(test_proofs_random),
        cmocka_unit_test(test_proofs_large),
        cmocka_unit_test(test_group_commit),
        cmocka_unit_test(test_group_commit_delay),
        cmocka_unit_test(test_map_full_and_grow),
        cmocka_unit_test(test_damage_detected),
        cmocka_unit_test(test_checkpoints_tiles_audit),
        cmocka_unit_test(test_disk_full),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
