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

/* The certificate with SHA-256 fp among the issuer's registered ones (the
 * receipt's issuer first, then every other: a receipt names one issuer, but
 * the page still says who the certificate belongs to). */
static const uint8_t *find_cert(const mh_app *a, const char *issuer, const uint8_t fp[32],
                                size_t *len)
{
    const app_issuer *is = mh_app_find_issuer(a, issuer);
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < a->nissuers; i++) {
            const app_issuer *c = &a->issuers[i];
            if ((pass == 0) != (c == is))
                continue;
            for (size_t j = 0; j < c->ncerts; j++)
                if (mh_ct_memcmp(c->fp[j], fp, 32) == 0) {
                    *len = c->cert_len[j];
                    return c->cert[j];
                }
        }
    }
    return NULL;
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
    const uint8_t *der = find_cert(a, v->issuer, e.signer_fp, &len);
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
            if (mh_ca_name_format(c->issuer.raw.p, c->issuer.raw.len, s->issuer,
                                  sizeof s->issuer) != 0)
                s->issuer[0] = 0;
        }
        free(c);
        /* the issue time is the ledger's own record: a revocation after it
         * does not undo the signature */
        rc = mh_app_check_path(a, der, len, (int64_t)e.time, (int64_t)e.time, MH_PURPOSE_DOCUMENT,
                               s->reason, sizeof s->reason);
        s->path_ok = rc == 0;
        s->rev_unknown = rc == MH_ERR_CRL_MISSING;
    }
    mh_err_clear();
    if (v->code != MH_APP_VALID)
        return MH_OK;
    if (s->rev_unknown) {
        v->code = MH_APP_REV_UNKNOWN;
        snprintf(v->sentence, sizeof v->sentence,
                 "REVOCATION STATUS UNKNOWN: %s is otherwise genuine, but %s; it cannot be "
                 "called valid until that is known.",
                 v->doc_id, s->reason);
    } else if (!s->path_ok) {
        v->code = MH_APP_FORGED;
        snprintf(v->sentence, sizeof v->sentence,
                 "FORGED: %s was signed by a certificate this registry does not trust: %s.",
                 v->doc_id, s->reason);
    }
    return MH_OK;
}
