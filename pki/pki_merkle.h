/* pki_merkle.h - part of mh_pki.h: RFC 9162 Merkle tree hashing and proof
 * verification. Pure functions, no allocation (the firmware uses them). */
#ifndef MH_PKI_MERKLE_H
#define MH_PKI_MERKLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MH_HASH_LEN 32
/* Proofs in trees of up to 2^63 leaves are at most 64 hashes long. */
#define MH_MERKLE_MAX_PROOF 64

/* SHA-256(0x00 || data): the hash of a leaf (RFC 9162 2.1.1). */
MH_PKI_API void mh_merkle_leaf_hash(const uint8_t *data, size_t len, uint8_t out[MH_HASH_LEN]);
/* SHA-256(0x01 || left || right): the hash of an interior node. */
MH_PKI_API void mh_merkle_node_hash(const uint8_t left[MH_HASH_LEN],
                                    const uint8_t right[MH_HASH_LEN], uint8_t out[MH_HASH_LEN]);
/* SHA-256 of nothing: the root of the empty tree. */
MH_PKI_API void mh_merkle_empty_root(uint8_t out[MH_HASH_LEN]);

#endif
