/*
 * issuers.c - the certificates registered for an issuer (config.json
 * issuers[].certs): only those may open one of its documents. Registering
 * one is an operator's act: the certificate must chain to the root, be
 * current and not revoked, and be fit to sign documents (policy.c).
 */
#include "app_int.h"
#include "mh_hash.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

int mh_app_issuer_add_cert(mh_app *a, const char *issuer_id, const uint8_t *der, size_t len,
                           char *rel, size_t rel_cap)
{
    int ret = MH_ERR_INVALID_ARG;
    char path[APP_PATH_MAX], why[512];
    json_t *root = NULL;
    json_error_t jerr;
    uint8_t fp[32];
    app_issuer *is = NULL;

    for (size_t i = 0; i < a->nissuers; i++)
        if (strcmp(a->issuers[i].info.id, issuer_id) == 0)
            is = &a->issuers[i];
    if (!is) {
        mh_err_set(MH_ERR_NOT_FOUND, "no issuer '%.64s' is configured on this appliance",
                   issuer_id);
        return MH_ERR_NOT_FOUND;
    }
    (void)mh_hash_sha256(der, len, fp);
    for (size_t i = 0; i < is->ncerts; i++)
        if (mh_ct_memcmp(is->fp[i], fp, 32) == 0) {
            mh_err_set(MH_ERR_ALREADY_EXISTS,
                       "this certificate is already registered for issuer '%s'", issuer_id);
            return MH_ERR_ALREADY_EXISTS;
        }
    if (is->ncerts == APP_ISSUER_CERTS_MAX) {
        mh_err_set(MH_ERR_TOO_LARGE,
                   "issuer '%s' has %d certificates registered, the most allowed; remove an "
                   "old one from config.json first",
                   issuer_id, APP_ISSUER_CERTS_MAX);
        return MH_ERR_TOO_LARGE;
    }
    if (mh_app_check_path(a, der, len, 0, 0, MH_PURPOSE_DOCUMENT, why, sizeof why) != 0 ||
        mh_app_policy_signer_cert(der, len, true, why, sizeof why) != 0) {
        mh_err_set(MH_ERR_PERMISSION, "this certificate cannot be registered: %s", why);
        return MH_ERR_PERMISSION;
    }
    /* certs/<issuer>-<first 8 bytes of its SHA-256>.crt */
    int n = snprintf(rel, rel_cap, "certs/%s-%02x%02x%02x%02x%02x%02x%02x%02x.crt", issuer_id,
                     fp[0], fp[1], fp[2], fp[3], fp[4], fp[5], fp[6], fp[7]);
    if (n < 0 || (size_t)n >= rel_cap)
        return MH_ERR_TOO_LARGE;
    if ((ret = mh_app_path(path, sizeof path, a->dir, rel)) != 0 ||
        (ret = mh_app_write_pem(path, "CERTIFICATE", der, len)) != 0)
        return ret;
    /* config.json, rewritten whole and atomically */
    if ((ret = mh_app_path(path, sizeof path, a->dir, "config.json")) != 0)
        return ret;
    root = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
    ret = MH_ERR_PARSE;
    json_t *list = json_object_get(root, "issuers");
    json_t *entry = NULL;
    for (size_t i = 0; i < json_array_size(list); i++) {
        json_t *o = json_array_get(list, i);
        if (json_is_string(json_object_get(o, "id")) &&
            strcmp(json_string_value(json_object_get(o, "id")), issuer_id) == 0)
            entry = o;
    }
    if (!entry) {
        mh_err_set(ret, "%s: issuer '%s' is not in the file any more", path, issuer_id);
        goto out;
    }
    json_t *certs = json_object_get(entry, "certs");
    if (!json_is_array(certs)) {
        certs = json_array();
        json_t *one = json_object_get(entry, "cert");
        if (json_is_string(one))
            json_array_append(certs, one);
        json_object_set_new(entry, "certs", certs);
        json_object_del(entry, "cert");
    }
    json_array_append_new(certs, json_string(rel));
    char *text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII);
    if (!text) {
        ret = MH_ERR_NOMEM;
        goto out;
    }
    size_t tl = strlen(text);
    text[tl] = '\n';
    ret = mh_app_write_file(path, text, tl + 1, 0644);
    free(text);
    if (ret)
        goto out;
    /* and in memory */
    is->cert[is->ncerts] = malloc(len);
    if (is->cert[is->ncerts]) {
        memcpy(is->cert[is->ncerts], der, len);
        is->cert_len[is->ncerts] = len;
        memcpy(is->fp[is->ncerts], fp, 32);
        is->ncerts++;
    }
    ret = MH_OK;
out:
    json_decref(root);
    return ret;
}

int mh_app_issuer_certs(const mh_app *a, const char *issuer_id, const uint8_t **der, size_t *len,
                        size_t cap, size_t *n)
{
    const app_issuer *is = mh_app_find_issuer(a, issuer_id);
    *n = 0;
    if (!is) {
        mh_err_set(MH_ERR_NOT_FOUND, "no issuer '%.64s' is configured on this appliance",
                   issuer_id);
        return MH_ERR_NOT_FOUND;
    }
    for (size_t i = 0; i < is->ncerts && i < cap; i++) {
        der[i] = is->cert[i];
        len[i] = is->cert_len[i];
    }
    *n = is->ncerts;
    return MH_OK;
}
