/* fw_snapshot.c - the offline revocation snapshot (mh_fw.h,
 * docs/offline.md): the registry's signed list of revoked log indices as
 * of one tree size and root (the checkpoint it was made at), with the time
 * it was made. A sorted list rather than a bitmap: revocations are rare
 * (a bitmap of a million-entry log is 125 KB; a list of a thousand
 * revocations is about 12 KB), and uncompressed, so the device needs no
 * inflater and no buffer. Payload (deterministic CBOR):
 *   {1: "mohur-status-snapshot/1", 2: registry, 3: tree_size, 4: h'root',
 *    5: made_at, 6: [[index, date, reason], ...]}  (indices increasing) */
#include <string.h>

#include "fw_int.h"

static int bad(const char *what)
{
    mh_err_set(MH_ERR_PARSE, "the revocation snapshot is malformed: %s", what);
    return MH_ERR_PARSE;
}

/* One [index, date, reason] of the list. */
static int read_entry(mh_cbor_r *r, uint64_t *idx, uint64_t *date, uint64_t *reason)
{
    uint64_t n;
    if (mh_cbor_get_array(r, &n) || n != 3 || mh_cbor_get_uint(r, idx) ||
        mh_cbor_get_uint(r, date) || mh_cbor_get_uint(r, reason))
        return MH_ERR_PARSE;
    return 0;
}

int mh_fw_snapshot_load(const mh_fw_trust *t, const uint8_t *slot, size_t slot_len,
                        mh_fw_snapshot *s)
{
    mh_cose_sign1 m;
    mh_cbor_r r;
    uint64_t n, nr;
    size_t rootl;
    int ret;
    bool signed_ok = false;

    if (!t || !s)
        return MH_ERR_INVALID_ARG;
    memset(s, 0, sizeof *s);
    if ((ret = mh_fw_slot_open(slot, slot_len, MH_FW_SNAP_MAX, &m, "revocation snapshot")) != 0)
        return ret;
    /* the signer first: any key of the trust list with the kid ... */
    for (size_t i = 0; i < t->nkeys && !signed_ok; i++) {
        if (mh_cose_sign1_verify(&m, &t->keys[i]) == 0) {
            signed_ok = true;
            s->key_index = i;
        }
    }
    if (!signed_ok) {
        mh_err_set(MH_ERR_VERIFY_FAILED,
                   "the revocation snapshot is not signed by a registry key of the trust list");
        return MH_ERR_VERIFY_FAILED;
    }
    mh_cbor_r_init(&r, m.payload, m.payload_len);
    if (mh_cbor_check(m.payload, m.payload_len, 4, MH_CBOR_DETERMINISTIC) ||
        mh_cbor_get_map(&r, &n) || n != 6 || mh_fw_type(&r, MH_FW_SNAP_TYPE) || mh_fw_key(&r, 2) ||
        mh_fw_text(&r, &s->registry, MH_RECEIPT_ID_MAX) || mh_fw_key(&r, 3) ||
        mh_cbor_get_uint(&r, &s->tree_size) || mh_fw_key(&r, 4) ||
        mh_cbor_get_bytes(&r, &s->root, &rootl) || rootl != 32 || mh_fw_key(&r, 5) ||
        mh_cbor_get_uint(&r, &s->made_at) || mh_fw_key(&r, 6)) {
        ret = bad("it is not {type, registry, tree_size, root, made_at, revoked}");
        goto fail;
    }
    /* ... and it must be one of the keys of this registry */
    const mh_fw_tl_key *k = &t->meta[s->key_index];
    if (k->registry.len != s->registry.len ||
        memcmp(k->registry.ptr, s->registry.ptr, s->registry.len) != 0) {
        mh_err_set(MH_ERR_VERIFY_FAILED,
                   "the revocation snapshot names another registry than its signing key");
        ret = MH_ERR_VERIFY_FAILED;
        goto fail;
    }
    const uint8_t *list = r.p;
    if (mh_cbor_get_array(&r, &nr) || nr > MH_FW_REVOKED_MAX) {
        ret = bad("the revoked list is not an array of at most 4000 entries");
        goto fail;
    }
    uint64_t prev = 0;
    for (uint64_t i = 0; i < nr; i++) {
        uint64_t idx, date, reason;
        if (read_entry(&r, &idx, &date, &reason)) {
            ret = bad("an entry is not [index, date, reason]");
            goto fail;
        }
        if ((i > 0 && idx <= prev) || idx >= s->tree_size || reason > 10 || reason == 7) {
            ret = bad("the revoked indices are not increasing, or an index is beyond the tree "
                      "size, or a reason is not an RFC 5280 CRLReason");
            goto fail;
        }
        prev = idx;
    }
    if (!mh_cbor_r_done(&r)) {
        ret = bad("bytes after the revoked list");
        goto fail;
    }
    s->list = list;
    s->list_len = (size_t)(r.p - list);
    s->nrevoked = (size_t)nr;
    return 0;
fail:
    memset(s, 0, sizeof *s);
    return ret;
}

int mh_fw_snapshot_find(const mh_fw_snapshot *s, uint64_t idx, bool *revoked, uint64_t *date,
                        unsigned *reason)
{
    mh_cbor_r r;
    uint64_t n;
    if (!s || !revoked || !date || !reason || !s->list)
        return MH_ERR_INVALID_ARG;
    *revoked = false;
    mh_cbor_r_init(&r, s->list, s->list_len);
    if (mh_cbor_get_array(&r, &n))
        return MH_ERR_PARSE;
    /* a linear walk of a list checked at load: ~4000 entries at most */
    for (uint64_t i = 0; i < n; i++) {
        uint64_t x, d, why;
        if (read_entry(&r, &x, &d, &why))
            return MH_ERR_PARSE;
        if (x == idx) {
            *revoked = true;
            *date = d;
            *reason = (unsigned)why;
            return 0;
        }
        if (x > idx)
            break;
    }
    return 0;
}
