/* fuzz_fw_snapshot.c - the offline verifier's revocation-snapshot parser
 * on any bytes. Input: the trust-list key's point (65 bytes), the trust
 * list's slot length (2 bytes, big-endian) and slot, then the snapshot's
 * slot; seeds come from `mohur offline`, so mutations reach the list behind
 * valid signatures. Whatever loads must answer lookups consistently. */
#include <stdint.h>
#include <string.h>

#include "mh_fw.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static mh_fw_trust t;
    static mh_fw_snapshot s;
    mh_receipt_key signer;
    if (size < 67 || mh_fw_tl_signer(data, 65, &signer) != 0)
        return 0;
    size_t tl_len = (size_t)data[65] << 8 | data[66];
    if (tl_len > size - 67)
        return 0;
    if (mh_fw_trust_load(&signer, data + 67, tl_len, 0, &t) != 0)
        return 0;
    const uint8_t *snap = data + 67 + tl_len;
    size_t snap_len = size - 67 - tl_len;
    if (mh_fw_snapshot_load(&t, snap, snap_len, &s) != 0)
        return 0;
    if (s.key_index >= t.nkeys || s.nrevoked > MH_FW_REVOKED_MAX)
        __builtin_trap();
    for (uint64_t i = 0; i < s.tree_size && i < 64; i++) {
        bool revoked;
        uint64_t date;
        unsigned reason;
        if (mh_fw_snapshot_find(&s, i, &revoked, &date, &reason) != 0 || (revoked && reason > 10))
            __builtin_trap();
    }
    return 0;
}
