/*
 * ca.c - certificate authorities (mh_app_ca.h): a root or issuing CA,
 * certificates by profile, recorded in the CA database, and CRLs; and the
 * appliance's own CA operation that the trust policy depends on:
 * publishing the CRL every check reads (signing and verifying), so a
 * revocation or a lifted hold reaches them in one step.
 */
#include "app_int.h"
#include "mh_app_ca.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DAYS_MAX 36500
#define CHAIN_MAX 8 /* certificates in chain.pem */

char *mh_app_ca_config(mh_cadb *db, const char *key)
{
    uint8_t *v = NULL;
    size_t n = 0;
    if (mh_cadb_get(db, key, &v, &n) != 0)
        return NULL;
    if (strlen((char *)v) != n) {
        free(v);
        return NULL;
    }
    return (char *)v;
}

void mh_app_ca_cert_free(mh_app_ca_cert *c)
{
    if (!c)
        return;
    free(c->der);
    c->der = NULL;
    c->der_len = 0;
}

/* Makes r's serial, signs the certificate and records it in rec_db. */
static int issue_record(mh_cadb *rec_db, mh_ca_issue_req *r, mh_app_ca_cert *out)
{
    int ret;
    mh_cadb_cert rec;

    if (mh_rng_bytes(r->serial, sizeof r->serial) != 0)
        return mh_err_set(MH_ERR_INTERNAL, "making a serial number: the kernel gave no random "
                                           "bytes");
    mh_ca_serial_fix(r->serial);
    if (!(out->der = malloc(MH_CA_CERT_MAX)))
        return MH_ERR_NOMEM;
    if ((ret = mh_ca_issue(r, out->der, MH_CA_CERT_MAX, &out->der_len)) != 0)
        goto out;
    memcpy(out->serial, r->serial, MH_CA_SERIAL_LEN);
    out->not_before = r->not_before;
    out->not_after = r->not_after;
    if (r->subject)
        snprintf(out->subject, sizeof out->subject, "%s", r->subject);
    else if (mh_x509_name_format_der(r->subject_der, r->subject_der_len, MH_X509_NAME_DN,
                                     out->subject, sizeof out->subject) != 0)
        snprintf(out->subject, sizeof out->subject, "(unprintable)");
    memset(&rec, 0, sizeof rec);
    memcpy(rec.serial, r->serial, MH_CA_SERIAL_LEN);
    rec.serial_len = MH_CA_SERIAL_LEN;
    rec.profile = (int)r->profile;
    rec.not_before = r->not_before;
    rec.not_after = r->not_after;
    rec.issued_at = (int64_t)time(NULL);
    snprintf(rec.subject, sizeof rec.subject, "%s", out->subject);
    rec.der = out->der;
    rec.der_len = out->der_len;
    ret = mh_cadb_cert_add(rec_db, &rec);
out:
    if (ret)
        mh_app_ca_cert_free(out);
    return ret;
}

/* The CA certificate of db (DER, malloc'd). */
static int ca_cert_get(mh_cadb *db, const char *whose, uint8_t **der, size_t *len)
{
    int rc = mh_cadb_get(db, "ca_cert", der, len);
    if (rc == MH_ERR_NOT_FOUND)
        return mh_err_set(MH_ERR_LEDGER_CORRUPT, "the database of %s holds no CA certificate",
                          whose);
    return rc;
}

/* DIR/ca.crt, and DIR/chain.pem: cert, then every certificate of chain. */
static int write_files(const char *dir, const uint8_t *cert, size_t cert_len, const uint8_t *chain,
                       size_t chain_len)
{
    char path[APP_PATH_MAX], *all = NULL;
    size_t alen = 0, np = 0, plens[CHAIN_MAX];
    const uint8_t *parts[CHAIN_MAX];
    int ret;

    if ((ret = mh_app_path(path, sizeof path, dir, "ca.crt")) != 0 ||
        (ret = mh_app_write_pem(path, "CERTIFICATE", cert, cert_len)) != 0)
        return ret;
    parts[np] = cert;
    plens[np++] = cert_len;
    for (size_t off = 0; chain && off < chain_len && np < CHAIN_MAX;) {
        mh_der d;
        mh_der_elem e;
        mh_der_init(&d, chain + off, chain_len - off);
        if (mh_der_next(&d, &e) != 0)
            break;
        parts[np] = e.raw;
        plens[np++] = e.raw_len;
        off += e.raw_len;
    }
    for (size_t i = 0; i < np; i++) {
        char *pem = NULL, *na;
        size_t pl = 0;
        if ((ret = mh_app_pem("CERTIFICATE", parts[i], plens[i], &pem, &pl)) != 0)
            goto out;
        if (!(na = realloc(all, alen + pl))) {
            free(pem);
            ret = MH_ERR_NOMEM;
            goto out;
        }
        all = na;
        memcpy(all + alen, pem, pl);
        alen += pl;
        free(pem);
    }
    if ((ret = mh_app_path(path, sizeof path, dir, "chain.pem")) != 0)
        goto out;
    ret = mh_app_write_file(path, all, alen, 0644);
out:
    free(all);
    return ret;
}

int mh_app_ca_create(mh_cadb *db, const mh_app_ca_new *n, mh_app_ca_cert *out)
{
    int ret;
    mh_ca_issue_req r;
    uint8_t *pcert = NULL, *pchain = NULL, *chain = NULL;
    size_t pcert_len = 0, pchain_len = 0, chain_len = 0;
    char *p_crl = NULL, *p_aia = NULL, *p_pol = NULL, def_days[16];
    char pol_keys[MH_CA_LIST_MAX][40];
    mh_cadb_kv kv[8 + MH_CA_LIST_MAX];
    size_t nkv = 0;
    int64_t now = (int64_t)time(NULL);

    memset(out, 0, sizeof *out);
    memset(&r, 0, sizeof r);
    if (!n->subject || !n->spki || !n->key_uri || n->n_policies > MH_CA_LIST_MAX ||
        (n->parent ? !n->parent_key : !n->key) || n->days > DAYS_MAX || n->default_days > DAYS_MAX)
        return MH_ERR_INVALID_ARG;
    r.subject = n->subject;
    r.spki = n->spki;
    r.spki_len = n->spki_len;
    r.not_before = now - 300;
    if (n->parent) {
        mh_x509_cert *pi = calloc(1, sizeof *pi);
        if (!pi)
            return MH_ERR_NOMEM;
        if ((ret = ca_cert_get(n->parent, "the parent CA", &pcert, &pcert_len)) != 0 ||
            (ret = mh_x509_cert_parse(pi, pcert, pcert_len)) != 0) {
            free(pi);
            if (ret != MH_ERR_LEDGER_CORRUPT && ret != MH_ERR_NOMEM)
                ret = mh_err_set(MH_ERR_LEDGER_CORRUPT,
                                 "the parent CA's certificate in its database cannot be read");
            goto out;
        }
        int64_t p_not_after = pi->not_after;
        free(pi);
        p_crl = mh_app_ca_config(n->parent, "crl_url");
        p_aia = mh_app_ca_config(n->parent, "aia_url");
        p_pol = mh_app_ca_config(n->parent, "policy.issuing");
        if (mh_cadb_get(n->parent, "chain", &pchain, &pchain_len) != 0) {
            pchain = NULL;
            pchain_len = 0;
        }
        r.profile = MH_CA_PROFILE_ISSUING;
        r.issuer_cert = pcert;
        r.issuer_cert_len = pcert_len;
        r.issuer_key = n->parent_key;
        r.path_len = n->path_len < 0 ? 0 : n->path_len;
        r.permit_dns = n->permit_dns;
        r.n_permit_dns = n->n_permit_dns;
        r.permit_email = n->permit_email;
        r.n_permit_email = n->n_permit_email;
        r.permit_dn = n->permit_dn;
        r.n_permit_dn = n->n_permit_dn;
        const char *pp = p_pol;
        if (pp) {
            r.policies = &pp;
            r.n_policies = 1;
        }
        r.crl_url = p_crl;
        r.aia_url = p_aia;
        r.not_after = r.not_before + 86400LL * (n->days ? n->days : 3650);
        if (!n->days && r.not_after > p_not_after)
            r.not_after = p_not_after;
        /* recorded first in the parent: the issuance */
        if ((ret = issue_record(n->parent, &r, out)) != 0)
            goto out;
        /* the chain above this CA: the parent's certificate and its chain */
        chain_len = pcert_len + pchain_len;
        if (!(chain = malloc(chain_len))) {
            ret = MH_ERR_NOMEM;
            goto out;
        }
        memcpy(chain, pcert, pcert_len);
        if (pchain_len)
            memcpy(chain + pcert_len, pchain, pchain_len);
    } else {
        r.profile = MH_CA_PROFILE_ROOT;
        r.issuer_key = n->key;
        r.path_len = n->path_len;
        r.not_after = r.not_before + 86400LL * (n->days ? n->days : 7300);
        if ((ret = issue_record(db, &r, out)) != 0)
            goto out;
    }
    snprintf(def_days, sizeof def_days, "%u", n->default_days ? n->default_days : 365);
    kv[nkv++] = (mh_cadb_kv){"ca_cert", out->der, out->der_len};
    kv[nkv++] = (mh_cadb_kv){"key_uri", n->key_uri, strlen(n->key_uri)};
    kv[nkv++] = (mh_cadb_kv){"subject", n->subject, strlen(n->subject)};
    kv[nkv++] = (mh_cadb_kv){"kind", n->parent ? "issuing" : "root", n->parent ? 7 : 4};
    kv[nkv++] = (mh_cadb_kv){"default_days", def_days, strlen(def_days)};
    if (n->crl_url)
        kv[nkv++] = (mh_cadb_kv){"crl_url", n->crl_url, strlen(n->crl_url)};
    if (n->aia_url)
        kv[nkv++] = (mh_cadb_kv){"aia_url", n->aia_url, strlen(n->aia_url)};
    if (chain)
        kv[nkv++] = (mh_cadb_kv){"chain", chain, chain_len};
    for (size_t i = 0; i < n->n_policies; i++) {
        snprintf(pol_keys[i], sizeof pol_keys[i], "policy.%.24s", n->policies[i].profile);
        kv[nkv++] = (mh_cadb_kv){pol_keys[i], n->policies[i].oid, strlen(n->policies[i].oid)};
    }
    if ((ret = mh_cadb_init(db, kv, nkv)) != 0)
        goto out;
    if (n->dir)
        ret = write_files(n->dir, out->der, out->der_len, chain, chain_len);
out:
    if (ret)
        mh_app_ca_cert_free(out);
    free(pcert);
    free(pchain);
    free(chain);
    free(p_crl);
    free(p_aia);
    free(p_pol);
    return ret;
}

int mh_app_ca_issue(mh_cadb *db, const mh_signer *ca_key, const mh_app_ca_req *q,
                    mh_app_ca_cert *out)
{
    int ret;
    mh_ca_issue_req r;
    uint8_t *ca_cert = NULL;
    size_t ca_cert_len = 0;
    char *crl_url = NULL, *aia_url = NULL, *dd = NULL, *cfg_pol = NULL, k[40];
    long days = q->days;

    memset(out, 0, sizeof *out);
    memset(&r, 0, sizeof r);
    if (q->days > DAYS_MAX || (!q->subject && !q->subject_der))
        return MH_ERR_INVALID_ARG;
    if ((ret = ca_cert_get(db, "the CA", &ca_cert, &ca_cert_len)) != 0)
        goto out;
    crl_url = mh_app_ca_config(db, "crl_url");
    aia_url = mh_app_ca_config(db, "aia_url");
    dd = mh_app_ca_config(db, "default_days");
    snprintf(k, sizeof k, "policy.%s", mh_ca_profile_name(q->profile));
    cfg_pol = mh_app_ca_config(db, k);
    if (!days) {
        char *end = NULL;
        days = dd ? strtol(dd, &end, 10) : 365;
        if (days < 1 || days > DAYS_MAX || (end && *end))
            days = 365;
    }
    r.profile = q->profile;
    r.subject = q->subject;
    if (!q->subject) {
        r.subject_der = q->subject_der;
        r.subject_der_len = q->subject_der_len;
    }
    r.spki = q->spki;
    r.spki_len = q->spki_len;
    r.issuer_cert = ca_cert;
    r.issuer_cert_len = ca_cert_len;
    r.issuer_key = ca_key;
    r.path_len = -1;
    r.dns = q->dns;
    r.n_dns = q->n_dns;
    r.ips = q->ips;
    r.n_ips = q->n_ips;
    r.emails = q->emails;
    r.n_emails = q->n_emails;
    const char *cp = cfg_pol;
    if (q->n_policies) {
        r.policies = q->policies;
        r.n_policies = q->n_policies;
    } else if (cp) {
        r.policies = &cp;
        r.n_policies = 1;
    }
    r.crl_url = crl_url;
    r.aia_url = aia_url;
    r.not_before = (int64_t)time(NULL) - 300;
    r.not_after = r.not_before + 300 + 86400LL * days;
    ret = issue_record(db, &r, out);
out:
    free(ca_cert);
    free(crl_url);
    free(aia_url);
    free(dd);
    free(cfg_pol);
    return ret;
}

int mh_app_ca_crl(mh_cadb *db, const mh_signer *ca_key, const uint8_t *issuer_cert,
                  size_t issuer_cert_len, int64_t this_update, int64_t next_update, uint8_t **crl,
                  size_t *crl_len, uint64_t *number, size_t *nrevoked)
{
    int ret;
    mh_crl_entry *entries = NULL;
    uint8_t *ca_cert = NULL;
    size_t n = 0, ca_cert_len = 0;
    mh_crl_req q;

    *crl = NULL;
    *crl_len = 0;
    *number = 0;
    *nrevoked = 0;
    if (!issuer_cert && (ret = ca_cert_get(db, "the CA", &ca_cert, &ca_cert_len)) != 0)
        goto out;
    if ((ret = mh_cadb_revoked(db, &entries, &n)) != 0 || (ret = mh_cadb_crl_next(db, number)) != 0)
        goto out;
    memset(&q, 0, sizeof q);
    q.issuer_cert = issuer_cert ? issuer_cert : ca_cert;
    q.issuer_cert_len = issuer_cert ? issuer_cert_len : ca_cert_len;
    q.issuer_key = ca_key;
    q.this_update = this_update;
    q.next_update = next_update;
    q.crl_number = *number;
    q.entries = entries;
    q.n_entries = n;
    size_t cap = mh_crl_size_max(n);
    if (!(*crl = malloc(cap))) {
        ret = MH_ERR_NOMEM;
        goto out;
    }
    /* the database first: a number is never used for two CRLs */
    if ((ret = mh_crl_write(&q, *crl, cap, crl_len)) != 0 ||
        (ret = mh_cadb_crl_store(db, *number, *crl, *crl_len)) != 0)
        goto out;
    *nrevoked = n;
out:
    if (ret) {
        free(*crl);
        *crl = NULL;
        *crl_len = 0;
    }
    free(entries);
    free(ca_cert);
    return ret;
}

int mh_app_crl_publish(mh_app *a, unsigned days, uint64_t *number, size_t *nrevoked)
{
    int ret;
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
    if ((ret = mh_p11_uri_parse("pkcs11:type=private", &uri)) != 0)
        goto out;
    if (!(uri.object = strdup(a->ca_label))) {
        ret = MH_ERR_NOMEM;
        goto out;
    }
    if ((ret = mh_hsm_key_find(a->tok, &uri, &key)) != 0 ||
        (ret = mh_hsm_key_signer(key, MH_SIG_AUTO, &signer)) != 0)
        goto out;
    int64_t now = (int64_t)time(NULL) - 60;
    if ((ret = mh_app_ca_crl(a->cadb, &signer, a->root_der, a->root_len, now,
                             now + 60 + 86400LL * days, &crl, &len, number, &n)) != 0)
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
    free(crl);
    return ret;
}
