/* pki_merkle.h - part of mh_pki.h: RFC 9162 Merkle tree hashing, proof
 * generation from stored subtree hashes, and proof verification. Pure functions, no allocation (the
 * firmware uses them). */
#ifndef MH_PKI_MERKLE_H
#define MH_PKI_MERKLE_H

#include "pki_base.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MH_HASH_LEN 32
/* Proofs in trees of up to 2^63 leaves are at most 64 hashes long. Inclusion
 * proofs work at any size; consistency proofs are refused beyond that size
 * (they could need 65 hashes). */
#define MH_MERKLE_MAX_PROOF 64
#define MH_MERKLE_MAX_SIZE ((uint64_t)1 << 63)

/* SHA-256(0x00 || data): the hash of a leaf (RFC 9162 2.1.1). */
MH_PKI_API void mh_merkle_leaf_hash(const uint8_t *data, size_t len, uint8_t out[MH_HASH_LEN]);
/* SHA-256(0x01 || left || right): the hash of an interior node. */
MH_PKI_API void mh_merkle_node_hash(const uint8_t left[MH_HASH_LEN],
                                    const uint8_t right[MH_HASH_LEN], uint8_t out[MH_HASH_LEN]);
/* SHA-256 of nothing: the root of the empty tree. */
MH_PKI_API void mh_merkle_empty_root(uint8_t out[MH_HASH_LEN]);

/* The hash of the complete subtree at (level, index): it covers leaves
 * [index << level, (index + 1) << level). Level 0 = leaf hashes. The proof
 * generators below only ever ask for COMPLETE subtrees of the tree they work
 * on ((index + 1) << level <= size); a non-complete subtree's hash is computed
 * from complete ones. Returns 0 or a negative MH_ERR_* code, which the
 * generators pass on unchanged. */
typedef int (*mh_merkle_hash_fn)(void *ctx, unsigned level, uint64_t index,
                                 uint8_t out[MH_HASH_LEN]);

/* The root of the tree of `size` leaves (RFC 9162 2.1.1): the complete
 * subtrees of size's binary decomposition combined right to left; at most 64
 * getter calls. size 0 gives the empty root without calling the getter. */
MH_PKI_API int mh_merkle_root(mh_merkle_hash_fn get, void *ctx, uint64_t size,
                              uint8_t root[MH_HASH_LEN]) MH_WARN_UNUSED;

/* The inclusion proof of leaf `index` in the tree of `size` leaves (RFC 9162
 * 2.1.3.1), ordered from the leaf up, into proof[0..*n). cap is the number of
 * hashes proof holds (MH_MERKLE_MAX_PROOF is always enough). At most about
 * 2 * log2(size) getter calls: every sibling but one is a complete subtree.
 * MH_ERR_INVALID_ARG when index >= size; MH_ERR_BUFFER_TOO_SMALL when cap is
 * too small. */
MH_PKI_API int mh_merkle_inclusion_proof(mh_merkle_hash_fn get, void *ctx, uint64_t index,
                                         uint64_t size, uint8_t proof[][MH_HASH_LEN], size_t cap,
                                         size_t *n) MH_WARN_UNUSED;

/* The consistency proof between the trees of size1 and size2 leaves (RFC 9162
 * 2.1.4.1). 0 < size1 <= size2 <= MH_MERKLE_MAX_SIZE; size1 == size2 gives an
 * empty proof. */
MH_PKI_API int mh_merkle_consistency_proof(mh_merkle_hash_fn get, void *ctx, uint64_t size1,
                                           uint64_t size2, uint8_t proof[][MH_HASH_LEN], size_t cap,
                                           size_t *n) MH_WARN_UNUSED;

/* Optional source of the hash of a range [lo, hi) that is NOT a complete
 * subtree: the right edge of the tree (hi is the tree size; lo is a
 * multiple of a power of two larger than hi - lo). Every proof needs at
 * most one or two of them, and they cost up to log2(size) node hashes each
 * when computed from complete subtrees; a caller that keeps them for its
 * current size (the ledger does) answers 0 with out filled, or
 * MH_ERR_NOT_FOUND to let the generator compute it. Any other code is
 * passed on. */
typedef int (*mh_merkle_range_fn)(void *ctx, uint64_t lo, uint64_t hi, uint8_t out[MH_HASH_LEN]);

/* As mh_merkle_inclusion_proof and mh_merkle_consistency_proof, with range
 * (may be NULL) asked first for each right-edge range. */
MH_PKI_API int mh_merkle_inclusion_proof_ex(mh_merkle_hash_fn get, mh_merkle_range_fn range,
                                            void *ctx, uint64_t index, uint64_t size,
                                            uint8_t proof[][MH_HASH_LEN], size_t cap,
                                            size_t *n) MH_WARN_UNUSED;
MH_PKI_API int mh_merkle_consistency_proof_ex(mh_merkle_hash_fn get, mh_merkle_range_fn range,
                                              void *ctx, uint64_t size1, uint64_t size2,
                                              uint8_t proof[][MH_HASH_LEN], size_t cap,
                                              size_t *n) MH_WARN_UNUSED;

/* Verifies an inclusion proof (RFC 9162 2.1.3.2): 0 or MH_ERR_PROOF_INVALID.
 * Extra or missing proof elements are errors; the root is compared in
 * constant time. */
MH_PKI_API int mh_merkle_verify_inclusion(const uint8_t leaf_hash[MH_HASH_LEN], uint64_t index,
                                          uint64_t size, const uint8_t (*proof)[MH_HASH_LEN],
                                          size_t n, const uint8_t root[MH_HASH_LEN]) MH_WARN_UNUSED;

/* Verifies a consistency proof (RFC 9162 2.1.4.2): 0 or MH_ERR_PROOF_INVALID.
 * As transparency-dev/merkle does: size1 == 0 is an error (there is nothing
 * to be consistent with; a caller that trusts nothing yet needs no proof),
 * size1 == size2 needs an empty proof and equal roots, size1 > size2 is an
 * error, size2 > MH_MERKLE_MAX_SIZE is an error, and extra or missing proof
 * elements are errors. */
MH_PKI_API int mh_merkle_verify_consistency(uint64_t size1, uint64_t size2,
                                            const uint8_t (*proof)[MH_HASH_LEN], size_t n,
                                            const uint8_t root1[MH_HASH_LEN],
                                            const uint8_t root2[MH_HASH_LEN]) MH_WARN_UNUSED;

#endif
