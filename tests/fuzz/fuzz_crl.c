/* fuzz_crl.c - CRL parsing and reading every entry stays inside the input. */
#include <stdint.h>

#include "mh_pki.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static mh_x509_crl crl;
    char t[256];
    if (mh_x509_crl_parse(&crl, data, size) != 0)
        return 0;
    mh_x509_name_str(&crl.issuer, t, sizeof t);
    mh_x509_crl_iter it;
    mh_x509_crl_entry e;
    mh_x509_crl_iter_init(&it, &crl);
    size_t n = 0;
    while (mh_x509_crl_next(&it, &e) == 0) {
        (void)mh_x509_reason_name(e.reason);
        if (e.has_cert_issuer) {
            mh_der d;
            mh_x509_gn gn;
            mh_der_init(&d, e.cert_issuer.raw.p, e.cert_issuer.raw.len);
            while (mh_x509_gn_next(&d, &gn) == 0)
                ;
        }
        n++;
    }
    if (n != crl.n_revoked)
        __builtin_trap(); /* the iterator must see what the parser counted */
    return 0;
}
