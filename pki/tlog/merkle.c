/* merkle.c - RFC 9162 Merkle proofs: generation from stored complete-subtree
 * hashes, and verification. No allocation, no recursion: the firmware uses
 * the verifiers, the ledger the generators.
 *
 * Every range the RFC's recursive definitions visit is [lo, hi) with lo a
 * multiple of a power of two that is >= hi - lo: either a complete subtree,
 * or the right edge of one (hi == the tree size). The hash of such a range is
 * the complete subtrees of the binary decomposition of hi - lo, combined
 * right to left; each is aligned, so the getter can answer it. */
#include "pki_der.h"
#include "pki_sig.h"
#include "pki_ed25519.h"
#include "pki_merkle.h"
#include "pki_cbor.h"
#include "pki_note.h"
#include "pki_receipt.h"

/* The largest power of two strictly below n (n >= 2). */
static uint64_t split_point(uint64_t n)
{
    return (uint64_t)1 << (63 - __builtin_clzll(n - 1));
}

/* Where the hashes come from: complete subtrees from get, and (optional)
 * whole right-edge ranges from range, which a caller may keep cached. */
struct src {
    mh_merkle_hash_fn get;
    mh_merkle_range_fn range;
    void *ctx;
};

static int range_hash(const struct src *s, uint64_t lo, uint64_t hi, uint8_t out[MH_HASH_LEN])
{
    uint8_t acc[MH_HASH_LEN], t[MH_HASH_LEN];
    uint64_t m = hi - lo, pos = hi;
    mh_merkle_hash_fn get = s->get;
    void *ctx = s->ctx;
    int have = 0, ret = MH_ERR_INTERNAL;
    if (hi <= lo)
        return MH_ERR_INTERNAL;
    if (s->range && (m & (m - 1)) != 0) {
        ret = s->range(ctx, lo, hi, out);
        if (ret != MH_ERR_NOT_FOUND)
            return ret;
        ret = MH_ERR_INTERNAL;
    }
    for (unsigned b = 0; b < 64; b++) {
        uint64_t sz = (uint64_t)1 << b;
        if (!(m & sz))
            continue;
        pos -= sz;
        if (pos & (sz - 1))
            goto out; /* not aligned: a caller bug, never a getter call */
        ret = get(ctx, b, pos >> b, have ? t : acc);
        if (ret != 0)
            goto out;
        if (have)
            mh_merkle_node_hash(t, acc, acc);
        have = 1;
    }
    for (size_t i = 0; i < MH_HASH_LEN; i++)
        out[i] = acc[i];
    ret = 0;
out:
    return ret;
}

int mh_merkle_root(mh_merkle_hash_fn get, void *ctx, uint64_t size, uint8_t root[MH_HASH_LEN])
{
    if (!get || !root)
        return MH_ERR_INVALID_ARG;
    if (size == 0) {
        mh_merkle_empty_root(root);
        return 0;
    }
    struct src s = {get, NULL, ctx};
    return range_hash(&s, 0, size, root);
}

/* PATH(m, D[lo:hi]) of RFC 9162 2.1.3.1, top-down: the sibling found at
 * depth d is element (depth - 1 - d) of the proof, so a first pass counts
 * and a second fills from the end. */
static int inclusion_walk(const struct src *s, uint64_t index, uint64_t size,
                          uint8_t (*proof)[MH_HASH_LEN], size_t depth, size_t *count)
{
    uint64_t lo = 0, hi = size;
    size_t d = 0;
    while (hi - lo > 1) {
        uint64_t k = split_point(hi - lo);
        uint64_t slo, shi;
        if (index - lo < k) {
            slo = lo + k;
            shi = hi;
            hi = lo + k;
        } else {
            slo = lo;
            shi = lo + k;
            lo = lo + k;
        }
        if (proof) {
            int ret = range_hash(s, slo, shi, proof[depth - 1 - d]);
            if (ret != 0)
                return ret;
        }
        d++;
    }
    *count = d;
    return 0;
}

int mh_merkle_inclusion_proof(mh_merkle_hash_fn get, void *ctx, uint64_t index, uint64_t size,
                              uint8_t proof[][MH_HASH_LEN], size_t cap, size_t *n)
{
    return mh_merkle_inclusion_proof_ex(get, NULL, ctx, index, size, proof, cap, n);
}

int mh_merkle_inclusion_proof_ex(mh_merkle_hash_fn get, mh_merkle_range_fn range, void *ctx,
                                 uint64_t index, uint64_t size, uint8_t proof[][MH_HASH_LEN],
                                 size_t cap, size_t *n)
{
    struct src s = {get, range, ctx};
    size_t depth = 0, again = 0;
    int ret = MH_ERR_INVALID_ARG;
    if (!get || !n || (!proof && cap))
        goto out;
    *n = 0;
    if (index >= size) {
        mh_err_set(ret, "no inclusion proof for leaf %llu: the tree has only %llu leaves",
                   (unsigned long long)index, (unsigned long long)size);
        goto out;
    }
    ret = inclusion_walk(&s, index, size, NULL, 0, &depth);
    if (ret != 0)
        goto out;
    if (depth > cap) {
        ret = MH_ERR_BUFFER_TOO_SMALL;
        goto out;
    }
    ret = inclusion_walk(&s, index, size, proof, depth, &again);
    if (ret != 0)
        goto out;
    *n = depth;
out:
    return ret;
}

/* SUBPROOF(m, D[lo:hi], b) of RFC 9162 2.1.4.1, top-down like the above. */
static int consistency_walk(const struct src *s, uint64_t size1, uint64_t size2,
                            uint8_t (*proof)[MH_HASH_LEN], size_t depth, size_t *count)
{
    uint64_t lo = 0, hi = size2, m = size1;
    int b = 1;
    size_t d = 0;
    int ret;
    for (;;) {
        if (m == hi - lo) {
            if (!b) {
                if (proof) {
                    ret = range_hash(s, lo, hi, proof[depth - 1 - d]);
                    if (ret != 0)
                        return ret;
                }
                d++;
            }
            break;
        }
        uint64_t k = split_point(hi - lo);
        uint64_t slo, shi;
        if (m <= k) {
            slo = lo + k;
            shi = hi;
            hi = lo + k;
        } else {
            slo = lo;
            shi = lo + k;
            lo = lo + k;
            m -= k;
            b = 0;
        }
        if (proof) {
            ret = range_hash(s, slo, shi, proof[depth - 1 - d]);
            if (ret != 0)
                return ret;
        }
        d++;
    }
    *count = d;
    return 0;
}

int mh_merkle_consistency_proof(mh_merkle_hash_fn get, void *ctx, uint64_t size1, uint64_t size2,
                                uint8_t proof[][MH_HASH_LEN], size_t cap, size_t *n)
{
    return mh_merkle_consistency_proof_ex(get, NULL, ctx, size1, size2, proof, cap, n);
}

int mh_merkle_consistency_proof_ex(mh_merkle_hash_fn get, mh_merkle_range_fn range, void *ctx,
                                   uint64_t size1, uint64_t size2, uint8_t proof[][MH_HASH_LEN],
                                   size_t cap, size_t *n)
{
    struct src s = {get, range, ctx};
    size_t depth = 0, again = 0;
    int ret = MH_ERR_INVALID_ARG;
    if (!get || !n || (!proof && cap))
        goto out;
    *n = 0;
    if (size2 > MH_MERKLE_MAX_SIZE) {
        mh_err_set(ret,
                   "no consistency proof for a tree of %llu leaves: mohur's trees hold at most "
                   "2^63 leaves",
                   (unsigned long long)size2);
        goto out;
    }
    if (size1 == 0 || size1 > size2) {
        mh_err_set(ret,
                   "no consistency proof from a tree of %llu leaves to one of %llu: the first "
                   "size must be at least 1 and at most the second",
                   (unsigned long long)size1, (unsigned long long)size2);
        goto out;
    }
    ret = consistency_walk(&s, size1, size2, NULL, 0, &depth);
    if (ret != 0)
        goto out;
    if (depth > cap) {
        ret = MH_ERR_BUFFER_TOO_SMALL;
        goto out;
    }
    ret = consistency_walk(&s, size1, size2, proof, depth, &again);
    if (ret != 0)
        goto out;
    *n = depth;
out:
    return ret;
}

static void copy_hash(uint8_t dst[MH_HASH_LEN], const uint8_t src[MH_HASH_LEN])
{
    for (size_t i = 0; i < MH_HASH_LEN; i++)
        dst[i] = src[i];
}

int mh_merkle_verify_inclusion(const uint8_t leaf_hash[MH_HASH_LEN], uint64_t index, uint64_t size,
                               const uint8_t (*proof)[MH_HASH_LEN], size_t n,
                               const uint8_t root[MH_HASH_LEN])
{
    uint8_t r[MH_HASH_LEN];
    uint64_t fn, sn;
    if (!leaf_hash || !root || (n && !proof) || n > MH_MERKLE_MAX_PROOF)
        return MH_ERR_PROOF_INVALID;
    if (index >= size)
        return MH_ERR_PROOF_INVALID;
    fn = index;
    sn = size - 1;
    copy_hash(r, leaf_hash);
    for (size_t i = 0; i < n; i++) {
        if (sn == 0)
            return MH_ERR_PROOF_INVALID; /* more elements than the path */
        if ((fn & 1) || fn == sn) {
            mh_merkle_node_hash(proof[i], r, r);
            if (!(fn & 1)) {
                while (!(fn & 1) && fn != 0) {
                    fn >>= 1;
                    sn >>= 1;
                }
            }
        } else {
            mh_merkle_node_hash(r, proof[i], r);
        }
        fn >>= 1;
        sn >>= 1;
    }
    if (sn != 0)
        return MH_ERR_PROOF_INVALID; /* fewer elements than the path */
    return mh_ct_memcmp(r, root, MH_HASH_LEN) == 0 ? 0 : MH_ERR_PROOF_INVALID;
}

int mh_merkle_verify_consistency(uint64_t size1, uint64_t size2,
                                 const uint8_t (*proof)[MH_HASH_LEN], size_t n,
                                 const uint8_t root1[MH_HASH_LEN], const uint8_t root2[MH_HASH_LEN])
{
    uint8_t fr[MH_HASH_LEN], sr[MH_HASH_LEN];
    uint64_t fn, sn;
    size_t i;
    if (!root1 || !root2 || (n && !proof) || n > MH_MERKLE_MAX_PROOF)
        return MH_ERR_PROOF_INVALID;
    if (size1 == 0 || size1 > size2 || size2 > MH_MERKLE_MAX_SIZE)
        return MH_ERR_PROOF_INVALID;
    if (size1 == size2) {
        if (n != 0)
            return MH_ERR_PROOF_INVALID;
        return mh_ct_memcmp(root1, root2, MH_HASH_LEN) == 0 ? 0 : MH_ERR_PROOF_INVALID;
    }
    if (n == 0)
        return MH_ERR_PROOF_INVALID;
    /* When size1 is a power of two, root1 is the first path element (the
     * RFC prepends it); otherwise the first element is the start. */
    fn = size1 - 1;
    sn = size2 - 1;
    if ((size1 & (size1 - 1)) == 0) {
        copy_hash(fr, root1);
        i = 0;
    } else {
        copy_hash(fr, proof[0]);
        i = 1;
    }
    copy_hash(sr, fr);
    while (fn & 1) {
        fn >>= 1;
        sn >>= 1;
    }
    for (; i < n; i++) {
        if (sn == 0)
            return MH_ERR_PROOF_INVALID;
        if ((fn & 1) || fn == sn) {
            mh_merkle_node_hash(proof[i], fr, fr);
            mh_merkle_node_hash(proof[i], sr, sr);
            if (!(fn & 1)) {
                while (!(fn & 1) && fn != 0) {
                    fn >>= 1;
                    sn >>= 1;
                }
            }
        } else {
            mh_merkle_node_hash(sr, proof[i], sr);
        }
        fn >>= 1;
        sn >>= 1;
    }
    if (sn != 0)
        return MH_ERR_PROOF_INVALID;
    int bad = mh_ct_memcmp(fr, root1, MH_HASH_LEN) | mh_ct_memcmp(sr, root2, MH_HASH_LEN);
    return bad == 0 ? 0 : MH_ERR_PROOF_INVALID;
}
