/* fw_slot.c - shared by the trust list and the snapshot: a slot image (a
 * 4-byte big-endian length, then a COSE_Sign1) and the payload's map keys. */
#include <string.h>

#include "fw_int.h"

int mh_fw_slot_open(const uint8_t *slot, size_t slot_len, size_t max, mh_cose_sign1 *m,
                    const char *what)
{
    if (!slot || slot_len < 4) {
        mh_err_set(MH_ERR_NOT_FOUND, "no %s is loaded (the slot is empty)", what);
        return MH_ERR_NOT_FOUND;
    }
    uint32_t n = mh_be32_get(slot);
    if (n == 0 || n == 0xffffffffu) {
        mh_err_set(MH_ERR_NOT_FOUND, "no %s is loaded (the slot is erased)", what);
        return MH_ERR_NOT_FOUND;
    }
    if (n > slot_len - 4 || n > max) {
        mh_err_set(MH_ERR_TOO_LARGE,
                   "the %s slot claims %lu bytes, more than it holds or than a %s may have", what,
                   (unsigned long)n, what);
        return MH_ERR_TOO_LARGE;
    }
    int ret = mh_cose_sign1_decode(slot + 4, n, max, 4, m);
    if (ret != 0 && ret != MH_ERR_TOO_LARGE)
        mh_err_set(MH_ERR_PARSE, "the %s is not a well-formed signed object (COSE_Sign1)", what);
    return ret == MH_ERR_TOO_LARGE ? ret : (ret ? MH_ERR_PARSE : 0);
}

int mh_fw_key(mh_cbor_r *r, uint64_t want)
{
    uint64_t k;
    if (mh_cbor_get_uint(r, &k) || k != want)
        return MH_ERR_PARSE;
    return 0;
}

int mh_fw_text(mh_cbor_r *r, mh_receipt_str *s, size_t max)
{
    const char *p;
    size_t n;
    if (mh_cbor_get_text(r, &p, &n) || n == 0 || n > max)
        return MH_ERR_PARSE;
    for (size_t i = 0; i < n; i++) {
        uint8_t c = (uint8_t)p[i];
        if (c < 0x20 || c == 0x7f)
            return MH_ERR_PARSE; /* the text goes to a screen */
    }
    s->ptr = p;
    s->len = n;
    return 0;
}

int mh_fw_type(mh_cbor_r *r, const char *type)
{
    const char *p;
    size_t n;
    if (mh_fw_key(r, 1) || mh_cbor_get_text(r, &p, &n) || n != strlen(type) ||
        memcmp(p, type, n) != 0)
        return MH_ERR_PARSE;
    return 0;
}
