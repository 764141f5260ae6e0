/* fuzz_fw_trust.c - the offline verifier's trust-list parser on any bytes.
 * Input: the signing key's point (65 bytes), then the slot image; seeds are
 * real lists made by `mohur offline trustlist` with their key, so mutations
 * reach the payload behind a valid signature too. Whatever loads must be
 * sane. */
#include <stdint.h>
#include <string.h>

#include "mh_fw.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static mh_fw_trust t;
    mh_receipt_key signer;
    if (size < 65 || mh_fw_tl_signer(data, 65, &signer) != 0)
        return 0;
    if (mh_fw_trust_load(&signer, data + 65, size - 65, 0, &t) == 0) {
        if (t.nkeys == 0 || t.nkeys > MH_FW_KEYS_MAX)
            __builtin_trap();
        for (size_t i = 0; i < t.nkeys; i++)
            if (t.meta[i].not_before > t.meta[i].not_after || t.meta[i].registry.len == 0)
                __builtin_trap();
        /* rollback: a higher floor than the list's own sequence refuses it */
        if (t.seq < UINT64_MAX &&
            mh_fw_trust_load(&signer, data + 65, size - 65, t.seq + 1, &t) == 0)
            __builtin_trap();
    }
    return 0;
}
