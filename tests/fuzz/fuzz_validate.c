/* fuzz_validate.c - the ETSI validation of hostile input never crashes: a
 * PDF (its signatures, document timestamps and DSS; capped at 64 KiB, as
 * qpdf is slow) or a CMS signature over fixed content (its attributes,
 * timestamps, embedded CRLs and certificates). No trust anchors: every
 * step before the path runs on the input alone. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mh_validate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint8_t content[] = "a contract between Alice and Bob\n";
    mh_val_ctx *c = NULL;
    mh_val_report *rep = malloc(sizeof *rep);
    if (!rep || size > (1u << 20) || mh_val_ctx_new(&c) != 0) {
        free(rep);
        return 0;
    }
    mh_val_set_now(c, 1800000000);
    int rc = MH_ERR_TOO_LARGE;
    memset(rep, 0, sizeof *rep);
    if (size >= 5 && memcmp(data, "%PDF-", 5) == 0) {
        if (size <= 65536)
            rc = mh_val_pdf(c, data, size, rep);
    } else {
        rc = mh_val_cms(c, data, size, content, sizeof content - 1, rep);
        if (rc != 0)
            rc = mh_val_cms(c, data, size, NULL, 0, rep);
    }
    if (rc == 0 && (rep->nsigs > MH_VAL_MAX_SIGS || rep->ind > MH_VAL_FAILED))
        abort();
    mh_val_ctx_free(c);
    free(rep);
    return 0;
}
