/* fuzz_cbor.c - the strict CBOR reader walks any input without reading
 * outside it, and whatever mh_cbor_check accepts, the typed reads and
 * mh_cbor_skip walk to the end too. */
#include <stdint.h>
#include <stdlib.h>

#include "mh_pki.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* 0 when the item and everything inside it was read; a failed read stops
 * the walk (a header may claim 2^64 elements). */
static int walk(mh_cbor_r *r, int depth)
{
    mh_cbor_item it;
    if (depth > MH_CBOR_MAX_DEPTH || mh_cbor_next(r, &it))
        return -1;
    if (it.major == MH_CBOR_ARRAY || it.major == MH_CBOR_MAP || it.major == MH_CBOR_TAG) {
        uint64_t n = it.major == MH_CBOR_TAG ? 1 : it.major == MH_CBOR_MAP ? 2 * it.val : it.val;
        for (uint64_t i = 0; i < n; i++) {
            if (mh_cbor_r_empty(r) || walk(r, depth + 1) != 0)
                return -1;
        }
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    mh_cbor_r r;
    int det = mh_cbor_check(data, size, 0, MH_CBOR_DETERMINISTIC);
    int any = mh_cbor_check(data, size, 0, 0);
    if (det == 0 && any != 0)
        abort(); /* deterministic implies well-formed */
    if (any == 0) {
        mh_cbor_r_init(&r, data, size);
        if (mh_cbor_skip(&r) != 0 || !mh_cbor_r_done(&r))
            abort();
    }
    mh_cbor_r_init(&r, data, size);
    (void)walk(&r, 0);
    return 0;
}
