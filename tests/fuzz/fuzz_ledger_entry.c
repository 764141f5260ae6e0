/* fuzz_ledger_entry.c - decoding ledger entries (what a mirror or an
 * auditor reads from an untrusted entry bundle) never reads outside the
 * input, and whatever decodes re-encodes to the very same bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mh_ledger.h"
#include "mh_pki.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    mh_ledger_entry e;
    uint8_t again[MH_LEDGER_ENTRY_MAX];
    size_t len;
    char origin[MH_LEDGER_ORIGIN_MAX + 1];
    uint64_t n;
    uint8_t root[32];
    if (mh_ledger_entry_decode(data, size, &e) == 0) {
        if (mh_ledger_entry_encode(&e, again, sizeof again, &len) != 0 || len != size ||
            memcmp(again, data, size) != 0)
            abort();
    }
    if (mh_ledger_checkpoint_parse((const char *)data, size, origin, sizeof origin, &n, root) ==
            0 &&
        strlen(origin) >= sizeof origin)
        abort();
    return 0;
}
