/*
 * web_data.c - what the public verification page needs from the appliance
 * (mh_app_web.h): the registry keys as SPKI, and the page's verdict of a
 * receipt URL with the signer its ledger entry names checked now.
 */
#include "app_int.h"
#include "mh_app_web.h"
#include "mh_hash.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* SubjectPublicKeyInfo { id-ecPublicKey, prime256v1 } BIT STRING header:
 * followed by the 65-byte uncompressed point, 91 bytes in all. */
static const uint8_t p256_spki_prefix[26] = {0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48,
                                             0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a, 0x86, 0x48,
                                             0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00};

int mh_app_web_registry_keys(const mh_app *a, mh_app_web_key *out, size_t cap, size_t *n)
{
    *n = 0;
    for (size_t i = 0; i < a->nregkeys; i++) {
        if (*n == cap)
            return MH_ERR_BUFFER_TOO_SMALL;
        mh_app_web_key *k = &out[(*n)++];
        memcpy(k->spki, p256_spki_prefix, sizeof p256_spki_prefix);
        memcpy(k->spki + sizeof p256_spki_prefix, a->regkeys[i].point, MH_RECEIPT_P256_POINT);
        memcpy(k->kid, a->regkeys[i].kid, MH_RECEIPT_KID_LEN);
    }
    return MH_OK;
}

int mh_app_web_verify(mh_app *a, const char *url, mh_app_verdict *v, mh_app_web_signer *s)
{
    mh_app_web_signer local;
    mh_ledger_entry e;
    int rc = mh_app_verify_qr(a, url, NULL, v);
    if (rc)
        return rc;
    if (!s)
        s = &local;
    memset(s, 0, sizeof *s);
    mh_app_cert_subject(a->root_der, a->root_len, s->root, sizeof s->root);
    if (!v->ledger_known || mh_ledger_get(a->ledger, v->log_index, &e) != 0 ||
        e.type != MH_LEDGER_ISSUE)
        return MH_OK;
    memcpy(s->fp, e.signer_fp, 32);
    size_t len = 0;
    const uint8_t *der = mh_app_registered_cert(a, v->issuer, e.signer_fp, &len);
    if (!der) {
        snprintf(s->reason, sizeof s->reason,
                 "the certificate the ledger names is not registered on this appliance");
    } else {
        mh_x509_cert *c = calloc(1, sizeof *c);
        s->known = true;
        mh_app_cert_subject(der, len, s->subject, sizeof s->subject);
        if (c && mh_x509_cert_parse(c, der, len) == 0) {
            s->not_before = c->not_before;
            s->not_after = c->not_after;
            (void)mh_x509_name_format(&c->issuer, MH_X509_NAME_DN, s->issuer, sizeof s->issuer);
        }
        free(c);
        /* what the verdict already decided (verify.c, the one policy):
         * here only shown */
        s->path_ok = v->signer_problem[0] == 0;
        s->rev_unknown = v->code == MH_APP_REV_UNKNOWN;
        snprintf(s->reason, sizeof s->reason, "%s", v->signer_problem);
    }
    return MH_OK;
}
