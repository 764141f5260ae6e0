/* test_merkle.c - proofs generated over an in-memory tree verify, and any
 * change to the leaf, index, size, roots or proof bytes makes them fail. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mh_pki.h"

#define MAXN 100000u

/* Every complete subtree hash of a tree of MAXN leaves, level by level. A
 * complete subtree never changes as the tree grows, so one store answers for
 * every smaller size; the getter refuses anything not complete at `size`. */
struct store {
    uint8_t (*lvl[18])[MH_HASH_LEN];
    uint64_t count[18];
    uint64_t size; /* the tree the generator is asked about */
    unsigned calls;
    int bad_asks;
};

static struct store st;

static int get(void *ctx, unsigned level, uint64_t index, uint8_t out[MH_HASH_LEN])
{
    struct store *s = ctx;
    s->calls++;
    if (level >= 18 || index >= s->count[level] || ((index + 1) << level) > s->size) {
        s->bad_asks++;
        return MH_ERR_NOT_FOUND;
    }
    memcpy(out, s->lvl[level][index], MH_HASH_LEN);
    return 0;
}

static void leaf_data(uint64_t i, uint8_t buf[8])
{
    for (int b = 0; b < 8; b++)
        buf[b] = (uint8_t)(i >> (8 * b));
}

static int setup(void **state)
{
    (void)state;
    uint64_t n = MAXN;
    for (unsigned l = 0; l < 18; l++) {
        st.count[l] = n;
        st.lvl[l] = n ? malloc(n * MH_HASH_LEN) : NULL;
        for (uint64_t i = 0; i < n; i++) {
            if (l == 0) {
                uint8_t d[8];
                leaf_data(i, d);
                mh_merkle_leaf_hash(d, sizeof d, st.lvl[0][i]);
            } else {
                mh_merkle_node_hash(st.lvl[l - 1][2 * i], st.lvl[l - 1][2 * i + 1], st.lvl[l][i]);
            }
        }
        n /= 2;
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    for (unsigned l = 0; l < 18; l++)
        free(st.lvl[l]);
    return 0;
}

/* MTH of RFC 9162 2.1.1, recursively, straight from the leaves: an
 * independent check on mh_merkle_root's decomposition. */
static void mth(uint64_t lo, uint64_t hi, uint8_t out[MH_HASH_LEN])
{
    if (hi - lo == 1) {
        memcpy(out, st.lvl[0][lo], MH_HASH_LEN);
        return;
    }
    uint64_t k = 1;
    while (k * 2 < hi - lo)
        k *= 2;
    uint8_t l[MH_HASH_LEN], r[MH_HASH_LEN];
    mth(lo, lo + k, l);
    mth(lo + k, hi, r);
    mh_merkle_node_hash(l, r, out);
}

static uint64_t rnd(void)
{
    static uint64_t x = 0x9e3779b97f4a7c15u;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return x;
}

static unsigned log2ceil(uint64_t n)
{
    unsigned l = 0;
    while (((uint64_t)1 << l) < n)
        l++;
    return l;
}

static void root_of(uint64_t size, uint8_t out[MH_HASH_LEN])
{
    st.size = size;
    st.calls = 0;
    assert_int_equal(mh_merkle_root(get, &st, size, out), 0);
    assert_true(st.calls <= log2ceil(size) + 1);
}

static void roots_match_recursive_definition(void **state)
{
    (void)state;
    uint8_t a[MH_HASH_LEN], b[MH_HASH_LEN];
    mh_merkle_empty_root(b);
    root_of(0, a);
    assert_memory_equal(a, b, MH_HASH_LEN);
    for (uint64_t n = 1; n <= 1100; n++) {
        root_of(n, a);
        mth(0, n, b);
        assert_memory_equal(a, b, MH_HASH_LEN);
    }
    for (int i = 0; i < 20; i++) {
        uint64_t n = 1 + rnd() % MAXN;
        root_of(n, a);
        mth(0, n, b);
        assert_memory_equal(a, b, MH_HASH_LEN);
    }
    assert_int_equal(st.bad_asks, 0);
}

static size_t incl(uint64_t index, uint64_t size, uint8_t proof[][MH_HASH_LEN])
{
    size_t n = 99;
    st.size = size;
    st.calls = 0;
    assert_int_equal(
        mh_merkle_inclusion_proof(get, &st, index, size, proof, MH_MERKLE_MAX_PROOF, &n), 0);
    assert_true(n <= log2ceil(size));
    assert_true(st.calls <= 2 * log2ceil(size) + 1);
    return n;
}

static void inclusion_properties(void **state)
{
    (void)state;
    uint8_t proof[MH_MERKLE_MAX_PROOF][MH_HASH_LEN], root[MH_HASH_LEN], root2[MH_HASH_LEN];
    unsigned checked = 0;
    for (int t = 0; t < 250; t++) {
        uint64_t size = t < 40 ? (uint64_t)t + 1 : 1 + rnd() % MAXN;
        root_of(size, root);
        for (int j = 0; j < 8; j++) {
            uint64_t idx = j == 0 ? size - 1 : rnd() % size;
            size_t n = incl(idx, size, proof);
            const uint8_t *leaf = st.lvl[0][idx];
            assert_int_equal(mh_merkle_verify_inclusion(
                                 leaf, idx, size, (const uint8_t(*)[MH_HASH_LEN])proof, n, root),
                             0);
            const uint8_t(*cp)[MH_HASH_LEN] = (const uint8_t(*)[MH_HASH_LEN])proof;
            /* a modified leaf */
            uint8_t other[MH_HASH_LEN];
            memcpy(other, leaf, MH_HASH_LEN);
            other[rnd() % MH_HASH_LEN] ^= (uint8_t)(1u << (rnd() % 8));
            assert_int_equal(mh_merkle_verify_inclusion(other, idx, size, cp, n, root),
                             MH_ERR_PROOF_INVALID);
            /* a wrong index */
            if (size > 1) {
                uint64_t w = (idx + 1 + rnd() % (size - 1)) % size;
                assert_int_equal(mh_merkle_verify_inclusion(leaf, w, size, cp, n, root),
                                 MH_ERR_PROOF_INVALID);
            }
            assert_int_equal(mh_merkle_verify_inclusion(leaf, size, size, cp, n, root),
                             MH_ERR_PROOF_INVALID);
            /* a wrong size, checked against that size's own root */
            uint64_t ws = size + 1 + rnd() % 5;
            if (ws <= MAXN) {
                root_of(ws, root2);
                assert_int_equal(mh_merkle_verify_inclusion(leaf, idx, ws, cp, n, root2),
                                 MH_ERR_PROOF_INVALID);
            }
            if (size > 1 && idx < size - 1) {
                root_of(size - 1, root2);
                assert_int_equal(mh_merkle_verify_inclusion(leaf, idx, size - 1, cp, n, root2),
                                 MH_ERR_PROOF_INVALID);
            }
            /* one byte flipped, one element missing or extra */
            if (n > 0) {
                size_t e = rnd() % n, b = rnd() % MH_HASH_LEN;
                proof[e][b] ^= 0x01;
                assert_int_equal(mh_merkle_verify_inclusion(leaf, idx, size, cp, n, root),
                                 MH_ERR_PROOF_INVALID);
                proof[e][b] ^= 0x01;
                assert_int_equal(mh_merkle_verify_inclusion(leaf, idx, size, cp, n - 1, root),
                                 MH_ERR_PROOF_INVALID);
            }
            memcpy(proof[n], root, MH_HASH_LEN);
            assert_int_equal(mh_merkle_verify_inclusion(leaf, idx, size, cp, n + 1, root),
                             MH_ERR_PROOF_INVALID);
            /* and the root itself flipped */
            root[0] ^= 0x80;
            assert_int_equal(mh_merkle_verify_inclusion(leaf, idx, size, cp, n, root),
                             MH_ERR_PROOF_INVALID);
            root[0] ^= 0x80;
            checked++;
        }
    }
    assert_int_equal(st.bad_asks, 0);
    printf("inclusion: %u proofs verified, every mutation rejected\n", checked);
}

static size_t cons(uint64_t s1, uint64_t s2, uint8_t proof[][MH_HASH_LEN])
{
    size_t n = 99;
    st.size = s2;
    st.calls = 0;
    assert_int_equal(mh_merkle_consistency_proof(get, &st, s1, s2, proof, MH_MERKLE_MAX_PROOF, &n),
                     0);
    assert_true(n <= log2ceil(s2) + 1);
    assert_true(st.calls <= 2 * log2ceil(s2) + 2);
    return n;
}

static void consistency_properties(void **state)
{
    (void)state;
    uint8_t proof[MH_MERKLE_MAX_PROOF + 1][MH_HASH_LEN], r1[MH_HASH_LEN], r2[MH_HASH_LEN],
        w[MH_HASH_LEN];
    const uint8_t(*cp)[MH_HASH_LEN] = (const uint8_t(*)[MH_HASH_LEN])proof;
    unsigned checked = 0;
    /* every pair up to 64 leaves, then random pairs up to MAXN */
    for (uint64_t s2 = 1; s2 <= 64; s2++) {
        for (uint64_t s1 = 1; s1 <= s2; s1++) {
            root_of(s1, r1);
            root_of(s2, r2);
            size_t n = cons(s1, s2, proof);
            assert_int_equal(mh_merkle_verify_consistency(s1, s2, cp, n, r1, r2), 0);
            assert_int_equal(s1 == s2, n == 0);
            checked++;
        }
    }
    for (int t = 0; t < 800; t++) {
        uint64_t s2 = 2 + rnd() % (MAXN - 1), s1 = 1 + rnd() % (s2 - 1);
        if (t % 10 == 0)
            s1 = (uint64_t)1 << (rnd() % log2ceil(s2)); /* powers of two: the prepend rule */
        root_of(s1, r1);
        root_of(s2, r2);
        size_t n = cons(s1, s2, proof);
        assert_int_equal(mh_merkle_verify_consistency(s1, s2, cp, n, r1, r2), 0);
        checked++;
        /* each byte-flip, truncation, extension, swapped roots */
        size_t e = rnd() % n, b = rnd() % MH_HASH_LEN;
        proof[e][b] ^= 0x40;
        assert_int_equal(mh_merkle_verify_consistency(s1, s2, cp, n, r1, r2), MH_ERR_PROOF_INVALID);
        proof[e][b] ^= 0x40;
        assert_int_equal(mh_merkle_verify_consistency(s1, s2, cp, n - 1, r1, r2),
                         MH_ERR_PROOF_INVALID);
        memcpy(proof[n], r1, MH_HASH_LEN);
        assert_int_equal(mh_merkle_verify_consistency(s1, s2, cp, n + 1, r1, r2),
                         MH_ERR_PROOF_INVALID);
        assert_int_equal(mh_merkle_verify_consistency(s1, s2, cp, n, r2, r1), MH_ERR_PROOF_INVALID);
        assert_int_equal(mh_merkle_verify_consistency(s2, s1, cp, n, r2, r1), MH_ERR_PROOF_INVALID);
        /* wrong sizes, each with its own root */
        if (s1 + 1 < s2) {
            root_of(s1 + 1, w);
            assert_int_equal(mh_merkle_verify_consistency(s1 + 1, s2, cp, n, w, r2),
                             MH_ERR_PROOF_INVALID);
        }
        if (s1 > 1) {
            root_of(s1 - 1, w);
            assert_int_equal(mh_merkle_verify_consistency(s1 - 1, s2, cp, n, w, r2),
                             MH_ERR_PROOF_INVALID);
        }
        if (s2 < MAXN) {
            root_of(s2 + 1, w);
            assert_int_equal(mh_merkle_verify_consistency(s1, s2 + 1, cp, n, r1, w),
                             MH_ERR_PROOF_INVALID);
        }
        /* a fork: the same sizes, one leaf of the first tree different */
        memcpy(w, r1, MH_HASH_LEN);
        w[31] ^= 1;
        assert_int_equal(mh_merkle_verify_consistency(s1, s2, cp, n, w, r2), MH_ERR_PROOF_INVALID);
    }
    assert_int_equal(st.bad_asks, 0);
    printf("consistency: %u proofs verified, every mutation rejected\n", checked);
}

static int fail_get(void *ctx, unsigned level, uint64_t index, uint8_t out[MH_HASH_LEN])
{
    (void)ctx;
    (void)level;
    (void)index;
    (void)out;
    return MH_ERR_LEDGER_CORRUPT;
}

static void generator_errors(void **state)
{
    (void)state;
    uint8_t proof[MH_MERKLE_MAX_PROOF][MH_HASH_LEN], root[MH_HASH_LEN];
    size_t n = 7;
    st.size = 10;
    assert_int_equal(mh_merkle_inclusion_proof(get, &st, 10, 10, proof, MH_MERKLE_MAX_PROOF, &n),
                     MH_ERR_INVALID_ARG);
    assert_int_equal(n, 0);
    assert_int_equal(mh_merkle_inclusion_proof(get, &st, 0, 0, proof, MH_MERKLE_MAX_PROOF, &n),
                     MH_ERR_INVALID_ARG);
    assert_int_equal(mh_merkle_inclusion_proof(get, &st, 0, 10, proof, 3, &n),
                     MH_ERR_BUFFER_TOO_SMALL);
    assert_int_equal(mh_merkle_consistency_proof(get, &st, 0, 10, proof, MH_MERKLE_MAX_PROOF, &n),
                     MH_ERR_INVALID_ARG);
    assert_int_equal(mh_merkle_consistency_proof(get, &st, 11, 10, proof, MH_MERKLE_MAX_PROOF, &n),
                     MH_ERR_INVALID_ARG);
    assert_int_equal(mh_merkle_consistency_proof(get, &st, 3, 10, proof, 1, &n),
                     MH_ERR_BUFFER_TOO_SMALL);
    /* a getter's error passes through unchanged */
    assert_int_equal(mh_merkle_root(fail_get, NULL, 5, root), MH_ERR_LEDGER_CORRUPT);
    assert_int_equal(
        mh_merkle_inclusion_proof(fail_get, NULL, 1, 5, proof, MH_MERKLE_MAX_PROOF, &n),
        MH_ERR_LEDGER_CORRUPT);
    assert_int_equal(
        mh_merkle_consistency_proof(fail_get, NULL, 3, 5, proof, MH_MERKLE_MAX_PROOF, &n),
        MH_ERR_LEDGER_CORRUPT);
    assert_int_equal(mh_merkle_root(fail_get, NULL, UINT64_MAX, root), MH_ERR_LEDGER_CORRUPT);
}

/* A getter over a virtual tree of up to 2^64 - 1 identical leaves: every
 * complete subtree of a level has the same hash, so it is consistent at any
 * size. Identical leaves hide ordering mistakes (the in-memory tests above
 * catch those); this checks the index and size arithmetic at the top of the
 * range. */
static uint8_t same[64][MH_HASH_LEN];

static int fake_get(void *ctx, unsigned level, uint64_t index, uint8_t out[MH_HASH_LEN])
{
    uint64_t size = *(uint64_t *)ctx;
    if (level >= 64 || index >= (size >> level)) /* (index + 1) << level > size */
        return MH_ERR_NOT_FOUND;
    memcpy(out, same[level], MH_HASH_LEN);
    return 0;
}

static void huge_trees(void **state)
{
    (void)state;
    uint8_t proof[MH_MERKLE_MAX_PROOF][MH_HASH_LEN], root[MH_HASH_LEN], r1[MH_HASH_LEN],
        leaf[MH_HASH_LEN];
    const uint8_t(*cp)[MH_HASH_LEN] = (const uint8_t(*)[MH_HASH_LEN])proof;
    mh_merkle_leaf_hash((const uint8_t *)"x", 1, same[0]);
    for (unsigned l = 1; l < 64; l++)
        mh_merkle_node_hash(same[l - 1], same[l - 1], same[l]);
    const uint64_t sizes[] = {UINT64_MAX,
                              ((uint64_t)1 << 63) + 5,
                              (uint64_t)1 << 63,
                              ((uint64_t)1 << 63) - 1,
                              ((uint64_t)1 << 62) + 1,
                              ((uint64_t)1 << 40) + 12345};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        uint64_t size = sizes[i];
        size_t n;
        assert_int_equal(mh_merkle_root(fake_get, &size, size, root), 0);
        uint64_t idx[] = {0, size - 1, size / 3};
        for (size_t j = 0; j < 3; j++) {
            assert_int_equal(mh_merkle_inclusion_proof(fake_get, &size, idx[j], size, proof,
                                                       MH_MERKLE_MAX_PROOF, &n),
                             0);
            assert_int_equal(fake_get(&size, 0, idx[j], leaf), 0);
            assert_int_equal(mh_merkle_verify_inclusion(leaf, idx[j], size, cp, n, root), 0);
        }
        if (size > MH_MERKLE_MAX_SIZE) {
            assert_int_equal(mh_merkle_consistency_proof(fake_get, &size, 5, size, proof,
                                                         MH_MERKLE_MAX_PROOF, &n),
                             MH_ERR_INVALID_ARG);
            continue;
        }
        uint64_t s1 = size / 2 + 1;
        assert_int_equal(mh_merkle_root(fake_get, &size, s1, r1), 0);
        assert_int_equal(
            mh_merkle_consistency_proof(fake_get, &size, s1, size, proof, MH_MERKLE_MAX_PROOF, &n),
            0);
        assert_int_equal(mh_merkle_verify_consistency(s1, size, cp, n, r1, root), 0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(roots_match_recursive_definition),
        cmocka_unit_test(inclusion_properties),
        cmocka_unit_test(consistency_properties),
        cmocka_unit_test(generator_errors),
        cmocka_unit_test(huge_trees),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
