/* fuzz_ipc.c - mohurd's IPC decoder (host/daemon/ipc.c): a datagram from a
 * peer process is checked by mhd_ipc_parse and decoded by the schema of its
 * type; nothing reads outside the input, every string that decodes is
 * NUL-terminated within its field, and whatever decodes encodes back to
 * the very same bytes (one encoding per message). The first input byte also
 * picks a type to decode the rest as, so every schema is reached. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ipc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void roundtrip(uint8_t type, const uint8_t *p, size_t n)
{
    static uint8_t msg[sizeof(mhd_issue_req) + 64];
    static uint8_t again[MHD_IPC_MAX];
    size_t len = 0;
    if (mhd_ipc_struct_size(type) > sizeof msg)
        abort();
    if (mhd_ipc_decode(type, p, n, msg) != 0)
        return;
    if (mhd_ipc_encode(type, msg, again, sizeof again, &len) != 0 || len != n ||
        memcmp(again, p, n) != 0)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t type;
    uint32_t id;
    const uint8_t *payload;
    size_t len;
    if (mhd_ipc_parse(data, size, &type, &id, &payload, &len) == 0) {
        if (payload + len != data + size || len > MHD_IPC_MAX)
            abort();
        roundtrip(type, payload, len);
    }
    if (size >= 1)
        roundtrip((uint8_t)(data[0] % MHD_M_TYPE_MAX_), data + 1, size - 1);
    return 0;
}
