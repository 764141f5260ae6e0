/* fuzz_cms.c - BER to DER, SignedData parsing and verification of any
 * input: detached (with fixed content) and enveloping, normal and legacy
 * mode, and the timestamp helpers on the same bytes. Never reads outside
 * the input. */
#include <stdint.h>
#include <stdlib.h>

#include "mh_pki.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int rc = 0;
    static mh_cms_result res;
    static const uint8_t content[] = "This is some sample content.";
    if (size > (1u << 20))
        return 0;
    size_t cap = size + size / 2 + 256, dlen = 0;
    uint8_t *der = malloc(cap);
    if (!der)
        return 0;
    const uint8_t *in = data;
    size_t len = size;
    if (mh_cms_ber_to_der(data, size, der, cap, &dlen) == 0) {
        in = der;
        len = dlen;
    }
    mh_cms_verify_opts legacy = {MH_CMS_LEGACY, NULL, NULL, 0};
    rc |= mh_cms_verify(in, len, NULL, 0, NULL, &res);
    rc |= mh_cms_verify(in, len, content, sizeof content - 1, &legacy, &res);
    const uint8_t *sig;
    size_t sl;
    if (mh_cms_signature_value(in, len, 0, &sig, &sl) == 0) {
        uint8_t *out = malloc(len + 64);
        size_t ol;
        if (out)
            rc |= mh_cms_add_timestamp(in, len, 0, content, sizeof content, out, len + 64, &ol);
        free(out);
    }
    free(der);
    (void)rc;
    return 0;
}
