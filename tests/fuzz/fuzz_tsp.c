/* fuzz_tsp.c - TimeStampReq, TimeStampResp and TSTInfo parsing, and the
 * client's verification of a response, on any input. */
#include <stdint.h>
#include <string.h>

#include "mh_pki.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int rc = 0;
    mh_tsp_req req;
    mh_tsp_info info;
    uint8_t enc[1024];
    size_t el;
    if (mh_tsp_req_parse(data, size, &req) == 0) {
        /* what parses re-encodes to the same bytes (DER is canonical) */
        if (mh_tsp_req_encode(&req, enc, sizeof enc, &el) == 0 &&
            (el != size || memcmp(enc, data, size) != 0))
            __builtin_trap();
    }
    rc |= mh_tsp_tstinfo_parse(data, size, &info);
    if (mh_tsp_resp_parse(data, size, &info) == 0) {
        static const uint8_t zero[32];
        mh_tsp_req r;
        if (mh_tsp_req_init(&r, MBEDTLS_MD_SHA256, zero, sizeof zero) == 0)
            rc |= mh_tsp_resp_verify(data, size, &r, NULL, 0, NULL, &info);
        rc |= mh_tsp_resp_verify(data, size, NULL, zero, sizeof zero, NULL, &info);
    }
    (void)rc;
    return 0;
}
