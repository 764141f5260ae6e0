/* fw_trust.c - the trust list (mh_fw.h, docs/offline.md): the registry keys
 * the device accepts, with their validity periods, signed by the
 * trust-list signing key burnt into the image, rollback-protected by its
 * sequence number. The EU Digital COVID Certificate's signed trust lists
 * are the model. Payload (deterministic CBOR):
 *   {1: "mohur-trust-list/1", 2: seq, 3: issued_at, 4: snapshot_max_age,
 *    5: [{1: registry, 2: host, 3: h'04 X Y', 4: not_before, 5: not_after}, ...]} */
#include <string.h>

#include "fw_int.h"

int mh_fw_tl_signer(const uint8_t *point, size_t len, mh_receipt_key *key)
{
    static const uint8_t blank[MH_RECEIPT_P256_POINT];
    if (!point || !key)
        return MH_ERR_INVALID_ARG;
    if (len == MH_RECEIPT_P256_POINT && memcmp(point, blank, len) == 0) {
        mh_err_set(MH_ERR_NOT_FOUND, "no trust-list signing key is burnt into this image");
        return MH_ERR_NOT_FOUND;
    }
    return mh_receipt_key_from_point(point, len, key);
}

static int bad(const char *what)
{
    mh_err_set(MH_ERR_PARSE, "the trust list is malformed: %s", what);
    return MH_ERR_PARSE;
}

static int read_key(mh_cbor_r *r, mh_receipt_key *k, mh_fw_tl_key *m)
{
    uint64_t n;
    const uint8_t *pt;
    size_t ptl;
    if (mh_cbor_get_map(r, &n) || n != 5 || mh_fw_key(r, 1) ||
        mh_fw_text(r, &m->registry, MH_RECEIPT_ID_MAX) || mh_fw_key(r, 2) ||
        mh_fw_text(r, &m->host, MH_FW_HOST_MAX) || mh_fw_key(r, 3) ||
        mh_cbor_get_bytes(r, &pt, &ptl) || mh_fw_key(r, 4) || mh_cbor_get_uint(r, &m->not_before) ||
        mh_fw_key(r, 5) || mh_cbor_get_uint(r, &m->not_after))
        return bad("a key entry is not {registry, host, point, not_before, not_after}");
    if (m->not_before > m->not_after)
        return bad("a key's validity ends before it begins");
    if (mh_receipt_key_from_point(pt, ptl, k) != 0)
        return bad("a key is not an uncompressed P-256 point on the curve");
    return 0;
}

int mh_fw_trust_load(const mh_receipt_key *signer, const uint8_t *slot, size_t slot_len,
                     uint64_t min_seq, mh_fw_trust *t)
{
    mh_cose_sign1 m;
    mh_cbor_r r;
    uint64_t n, nk;
    int ret;

    if (!signer || !t)
        return MH_ERR_INVALID_ARG;
    memset(t, 0, sizeof *t);
    if ((ret = mh_fw_slot_open(slot, slot_len, MH_FW_TL_MAX, &m, "trust list")) != 0)
        return ret;
    ret = mh_cose_sign1_verify(&m, signer);
    if (ret == MH_ERR_NOT_FOUND) {
        mh_err_set(MH_ERR_VERIFY_FAILED,
                   "the trust list is signed by another key than the one burnt into this "
                   "device");
        return MH_ERR_VERIFY_FAILED;
    }
    if (ret != 0) {
        mh_err_set(MH_ERR_VERIFY_FAILED,
                   "the trust list's signature does not verify: it was altered or forged");
        return MH_ERR_VERIFY_FAILED;
    }
    /* signed by the authority: now read it, still strictly */
    mh_cbor_r_init(&r, m.payload, m.payload_len);
    if (mh_cbor_check(m.payload, m.payload_len, 3, MH_CBOR_DETERMINISTIC) ||
        mh_cbor_get_map(&r, &n) || n != 5 || mh_fw_type(&r, MH_FW_TL_TYPE) || mh_fw_key(&r, 2) ||
        mh_cbor_get_uint(&r, &t->seq) || mh_fw_key(&r, 3) || mh_cbor_get_uint(&r, &t->issued_at) ||
        mh_fw_key(&r, 4) || mh_cbor_get_uint(&r, &t->snapshot_max_age) || mh_fw_key(&r, 5) ||
        mh_cbor_get_array(&r, &nk)) {
        ret = bad("it is not {type, seq, issued_at, snapshot_max_age, keys}");
        goto fail;
    }
    if (nk == 0 || nk > MH_FW_KEYS_MAX) {
        ret = bad("it must list 1 to 16 registry keys");
        goto fail;
    }
    for (size_t i = 0; i < (size_t)nk; i++) {
        if ((ret = read_key(&r, &t->keys[i], &t->meta[i])) != 0)
            goto fail;
    }
    if (!mh_cbor_r_done(&r)) {
        ret = bad("bytes after the keys");
        goto fail;
    }
    if (t->seq < min_seq) {
        mh_err_set(MH_ERR_LEDGER_FORK,
                   "the trust list #%llu is older than #%llu, which this device already "
                   "accepted: a rollback, refused",
                   (unsigned long long)t->seq, (unsigned long long)min_seq);
        ret = MH_ERR_LEDGER_FORK;
        goto fail;
    }
    t->nkeys = (size_t)nk;
    return 0;
fail:
    memset(t, 0, sizeof *t);
    return ret;
}
