/* fw_int.h - shared by the files of firmware/core; not part of mh_fw.h. */
#ifndef MH_FW_INT_H
#define MH_FW_INT_H

#include "mh_fw.h"

/* The COSE_Sign1 in a slot image (length-prefixed). MH_ERR_NOT_FOUND for an
 * empty or erased slot. */
int mh_fw_slot_open(const uint8_t *slot, size_t slot_len, size_t max, mh_cose_sign1 *m,
                    const char *what) MH_WARN_UNUSED;
/* Map keys and values of a payload: an exact unsigned key, a non-empty
 * text without control characters of at most max bytes, the type claim
 * (key 1) equal to type. */
int mh_fw_key(mh_cbor_r *r, uint64_t want) MH_WARN_UNUSED;
int mh_fw_text(mh_cbor_r *r, mh_receipt_str *s, size_t max) MH_WARN_UNUSED;
int mh_fw_type(mh_cbor_r *r, const char *type) MH_WARN_UNUSED;

#endif
