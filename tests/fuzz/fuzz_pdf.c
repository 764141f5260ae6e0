/* fuzz_pdf.c - reading, signing (prepare) and verifying a hostile PDF never
 * crashes. qpdf is slow on large inputs, so they are capped at 64 KiB. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mh_pdf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 65536)
        return 0;
    mh_pdf_info info;
    if (mh_pdf_info_get(data, size, &info) != 0)
        return 0;
    mh_pdf_verify_result *res = malloc(sizeof *res);
    if (res) {
        int r = mh_pdf_verify(data, size, NULL, NULL, res);
        if (r == 0 && res->nsigs > MH_PDF_MAX_SIGS)
            abort();
        free(res);
    }
    mh_pdf_sign_opts o;
    memset(&o, 0, sizeof o);
    o.contents_cap = 1024;
    mh_pdf_prepared p;
    if (mh_pdf_prepare(data, size, &o, &p) == 0) {
        mh_pdf_prepared q;
        if (mh_pdf_find_placeholder(p.pdf, p.len, &q) == 0)
            if (mh_pdf_embed(&q, (const uint8_t *)"\x30\x00", 2) != 0)
                abort(); /* 2 bytes always fit */
        mh_pdf_prepared_free(&p);
    }
    return 0;
}
