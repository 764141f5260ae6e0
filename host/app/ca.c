/*
 * ca.c - the appliance's own CA operations that the trust policy depends
 * on: publishing the CRL every check reads (signing and verifying), so a
 * revocation or a lifted hold reaches them in one step.
 */
#include "app_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int mh_app_crl_publish(mh_app *a, unsigned days, uint64_t *number, size_t *nrevoked)
{
    int ret;
    mh_crl_entry *entries = NULL;
    size_t n = 0, len = 0;
    uint8_t *crl = NULL;
    mh_hsm_key *key = NULL;
    mh_signer signer;
    mh_p11_uri uri;
    char path[APP_PATH_MAX];

    memset(&uri, 0, sizeof uri);
    if (!a->tok || !a->cadb) {
        mh_err_set(MH_ERR_INVALID_ARG,
                   "the appliance was opened for verifying only; open it for signing to publish "
                   "a CRL");
        return MH_ERR_INVALID_ARG;
    }
    if (days == 0 || days > 366) {
        mh_err_set(MH_ERR_INVALID_ARG, "a CRL's next update is 1 to 366 days away");
        return MH_ERR_INVALID_ARG;
    }
    if ((ret = mh_cadb_revoked(a->cadb, &entries, &n)) != 0 ||
        (ret = mh_cadb_crl_next(a->cadb, number)) != 0)
        goto out;
    if ((ret = mh_p11_uri_parse("pkcs11:type=private", &uri)) != 0)
        goto out;
    if (!(uri.object = strdup(a->ca_label))) {
        ret = MH_ERR_NOMEM;
        goto out;
    }
    if ((ret = mh_hsm_key_find(a->tok, &uri, &key)) != 0 ||
        (ret = mh_hsm_key_signer(key, MH_SIG_AUTO, &signer)) != 0)
        goto out;
    mh_crl_req q;
    memset(&q, 0, sizeof q);
    q.issuer_cert = a->root_der;
    q.issuer_cert_len = a->root_len;
    q.issuer_key = &signer;
    q.this_update = (int64_t)time(NULL) - 60;
    q.next_update = q.this_update + 60 + 86400LL * days;
    q.crl_number = *number;
    q.entries = entries;
    q.n_entries = n;
    size_t cap = mh_crl_size_max(n);
    if (!(crl = malloc(cap))) {
        ret = MH_ERR_NOMEM;
        goto out;
    }
    /* the database first: a number is never used for two CRLs */
    if ((ret = mh_crl_write(&q, crl, cap, &len)) != 0 ||
        (ret = mh_cadb_crl_store(a->cadb, *number, crl, len)) != 0)
        goto out;
    /* where the appliance reads it (DER), and a PEM copy to hand out */
    if ((ret = mh_app_path(path, sizeof path, a->dir, "certs/root.crl")) != 0 ||
        (ret = mh_app_write_file(path, crl, len, 0644)) != 0 ||
        (ret = mh_app_path(path, sizeof path, a->dir, "certs/root.crl.pem")) != 0 ||
        (ret = mh_app_write_pem(path, "X509 CRL", crl, len)) != 0)
        goto out;
    /* and in this process */
    free(a->crl_der);
    a->crl_der = crl;
    a->crl_len = len;
    crl = NULL;
    a->crl_state =
        mh_x509_crl_parse(&a->crl, a->crl_der, a->crl_len) == 0 ? APP_CRL_OK : APP_CRL_UNREADABLE;
    *nrevoked = n;
    ret = MH_OK;
out:
    mh_hsm_key_free(key);
    mh_p11_uri_free(&uri);
    free(entries);
    free(crl);
    return ret;
}
