/* merkle_hash.c - RFC 9162 leaf and node hashes. */
#include <mbedtls/sha256.h>

#include "pki_der.h"
#include "pki_sig.h"
#include "pki_ed25519.h"
#include "pki_merkle.h"
#include "pki_cbor.h"
#include "pki_note.h"
#include "pki_receipt.h"

void mh_merkle_leaf_hash(const uint8_t *data, size_t len, uint8_t out[MH_HASH_LEN])
{
    static const uint8_t prefix = 0x00;
    mbedtls_sha256_context c;
    mbedtls_sha256_init(&c);
    mbedtls_sha256_starts_ret(&c, 0);
    mbedtls_sha256_update_ret(&c, &prefix, 1);
    mbedtls_sha256_update_ret(&c, data, len);
    mbedtls_sha256_finish_ret(&c, out);
    mbedtls_sha256_free(&c);
}

void mh_merkle_node_hash(const uint8_t left[MH_HASH_LEN], const uint8_t right[MH_HASH_LEN],
                         uint8_t out[MH_HASH_LEN])
{
    uint8_t buf[1 + 2 * MH_HASH_LEN];
    buf[0] = 0x01;
    for (size_t i = 0; i < MH_HASH_LEN; i++) {
        buf[1 + i] = left[i];
        buf[1 + MH_HASH_LEN + i] = right[i];
    }
    mbedtls_sha256_ret(buf, sizeof buf, out, 0);
}

void mh_merkle_empty_root(uint8_t out[MH_HASH_LEN])
{
    mbedtls_sha256_ret(NULL, 0, out, 0);
}
