/*
 * app.c - opening the appliance: config.json, the ledger, the CA database,
 * the token and the trust files; signers; helpers shared by the flows.
 */
#define _GNU_SOURCE /* O_PATH */
#include "app_int.h"
#include "mh_hash.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <mbedtls/pem.h>
#include <mbedtls/sha256.h>

/* ---- small helpers -------------------------------------------------------- */

int mh_app_path(char *out, size_t cap, const char *dir, const char *rel)
{
    int n = rel[0] == '/' ? snprintf(out, cap, "%s", rel) : snprintf(out, cap, "%s/%s", dir, rel);
    if (n < 0 || (size_t)n >= cap) {
        mh_err_set(MH_ERR_TOO_LARGE, "the path %.80s/%.80s is too long", dir, rel);
        return MH_ERR_TOO_LARGE;
    }
    return MH_OK;
}

int mh_app_read_file(const char *path, size_t cap, uint8_t **buf, size_t *len)
{
    return mh_file_read(path, cap, MH_FILE_REGULAR, buf, len);
}

int mh_app_map_file(const char *path, size_t cap, app_map *m)
{
    int ret = MH_ERR_IO;
    memset(m, 0, sizeof *m);
    m->fd = open(path, O_RDONLY | O_CLOEXEC);
    if (m->fd < 0) {
        mh_err_set(errno == ENOENT ? MH_ERR_NOT_FOUND : MH_ERR_IO, "%s cannot be opened: %s", path,
                   strerror(errno));
        return errno == ENOENT ? MH_ERR_NOT_FOUND : MH_ERR_IO;
    }
    if (fstat(m->fd, &m->st) != 0 || !S_ISREG(m->st.st_mode)) {
        mh_err_set(ret, "%s is not a regular file", path);
        goto out;
    }
    if ((uint64_t)m->st.st_size > cap) {
        mh_err_set(MH_ERR_TOO_LARGE, "%s is too large (%lld bytes; at most %zu are accepted)", path,
                   (long long)m->st.st_size, cap);
        ret = MH_ERR_TOO_LARGE;
        goto out;
    }
    m->len = (size_t)m->st.st_size;
    if (m->len == 0) {
        m->p = calloc(1, 1);
        if (!m->p) {
            ret = MH_ERR_NOMEM;
            goto out;
        }
        return MH_OK;
    }
    void *p = mmap(NULL, m->len, PROT_READ, MAP_PRIVATE | MAP_POPULATE, m->fd, 0);
    if (p == MAP_FAILED) {
        mh_err_set(errno == ENOMEM ? MH_ERR_NOMEM : MH_ERR_IO, "%s could not be read: %s", path,
                   strerror(errno));
        ret = errno == ENOMEM ? MH_ERR_NOMEM : MH_ERR_IO;
        goto out;
    }
    (void)madvise(p, m->len, MADV_SEQUENTIAL);
    m->p = p;
    m->mapped = true;
    return MH_OK;
out:
    close(m->fd);
    m->fd = -1;
    return ret;
}

int mh_app_map_check(const app_map *m)
{
    struct stat now;
    if (fstat(m->fd, &now) != 0 || now.st_size != m->st.st_size ||
        now.st_mtim.tv_sec != m->st.st_mtim.tv_sec ||
        now.st_mtim.tv_nsec != m->st.st_mtim.tv_nsec ||
        now.st_ctim.tv_sec != m->st.st_ctim.tv_sec ||
        now.st_ctim.tv_nsec != m->st.st_ctim.tv_nsec) {
        mh_err_set(MH_ERR_IO,
                   "the file was changed while it was being verified; verify it again when "
                   "nothing is writing it");
        return MH_ERR_IO;
    }
    return MH_OK;
}

void mh_app_unmap_file(app_map *m)
{
    if (m->mapped)
        munmap(m->p, m->len);
    else
        free(m->p);
    if (m->fd >= 0)
        close(m->fd);
    memset(m, 0, sizeof *m);
    m->fd = -1;
}

int mh_app_write_temp(const char *path, const void *buf, size_t len, unsigned mode, char *tmp,
                      size_t cap)
{
    return mh_file_write_temp(path, buf, len, mode, tmp, cap);
}

int mh_app_write_file(const char *path, const void *buf, size_t len, unsigned mode)
{
    return mh_file_write_atomic(path, buf, len, mode);
}

int mh_app_cert_file(const char *path, uint8_t **der, size_t *len)
{
    return mh_app_read_cert(path, der, len);
}

/* The DER inside a file: the first PEM block with this label, or the file
 * itself when it is not PEM. buf is consumed. */
static int pem_or_der(const char *path, uint8_t *buf, size_t n, const char *label, uint8_t **der,
                      size_t *len)
{
    char head[64], foot[64];
    snprintf(head, sizeof head, "-----BEGIN %s-----", label);
    snprintf(foot, sizeof foot, "-----END %s-----", label);
    if (n < 10 || memcmp(buf, "-----BEGIN", 10) != 0) {
        *der = buf;
        *len = n;
        return MH_OK;
    }
    mbedtls_pem_context pem;
    size_t used = 0;
    mbedtls_pem_init(&pem);
    int rc = MH_OK;
    if (mbedtls_pem_read_buffer(&pem, head, foot, buf, NULL, 0, &used) != 0)
        rc = mh_err_set(MH_ERR_PARSE, "%s is not a PEM %s", path, label);
    else if (!(*der = malloc(pem.buflen ? pem.buflen : 1)))
        rc = MH_ERR_NOMEM;
    if (rc == MH_OK) {
        memcpy(*der, pem.buf, pem.buflen);
        *len = pem.buflen;
    }
    mbedtls_pem_free(&pem);
    free(buf);
    return rc;
}

int mh_app_read_cert(const char *path, uint8_t **der, size_t *len)
{
    uint8_t *buf = NULL;
    size_t n = 0;
    int rc = mh_app_read_file(path, 256 * 1024, &buf, &n);
    if (rc)
        return rc;
    if ((rc = pem_or_der(path, buf, n, "CERTIFICATE", der, len)) != 0)
        return rc;
    /* the one certificate model decides what a certificate is */
    if (mh_x509_cert_check(*der, *len) != 0) {
        free(*der);
        *der = NULL;
        return mh_err_set(MH_ERR_PARSE,
                          "%s is not a certificate (PEM or DER); run 'mohur init' again or "
                          "restore it",
                          path);
    }
    return MH_OK;
}

int mh_app_read_crl(const char *path, uint8_t **der, size_t *len)
{
    uint8_t *buf = NULL;
    size_t n = 0;
    int rc = mh_app_read_file(path, 16u << 20, &buf, &n);
    if (rc)
        return rc;
    return pem_or_der(path, buf, n, "X509 CRL", der, len);
}

int mh_app_pem(const char *label, const uint8_t *der, size_t len, char **out, size_t *olen)
{
    char head[64], foot[64];
    size_t n = 0;
    *out = NULL;
    *olen = 0;
    snprintf(head, sizeof head, "-----BEGIN %s-----\n", label);
    snprintf(foot, sizeof foot, "-----END %s-----\n", label);
    size_t cap = len * 2 + 256;
    unsigned char *pem = malloc(cap);
    if (!pem)
        return MH_ERR_NOMEM;
    if (mbedtls_pem_write_buffer(head, foot, der, len, pem, cap, &n) != 0) {
        free(pem);
        return MH_ERR_INTERNAL;
    }
    *out = (char *)pem;    /* transferred */
    *olen = n ? n - 1 : 0; /* without the NUL */
    return MH_OK;
}

int mh_app_write_pem(const char *path, const char *label, const uint8_t *der, size_t len)
{
    char *pem = NULL;
    size_t n = 0;
    int rc = mh_app_pem(label, der, len, &pem, &n);
    if (rc)
        return rc;
    rc = mh_app_write_file(path, pem, n, 0644);
    free(pem);
    return rc;
}

int mh_app_softhsm_env(const char *dir)
{
    char conf[APP_PATH_MAX];
    int rc = mh_app_path(conf, sizeof conf, dir, "softhsm2.conf");
    if (rc)
        return rc;
    if (access(conf, R_OK) != 0)
        return MH_OK; /* no embedded store: leave SOFTHSM2_CONF alone */
    if (setenv("SOFTHSM2_CONF", conf, 1) != 0)
        return MH_ERR_NOMEM;
    return MH_OK;
}

void mh_app_cert_subject(const uint8_t *der, size_t len, char *out, size_t cap)
{
    mh_x509_cert *c = calloc(1, sizeof *c);
    out[0] = 0;
    if (!c || mh_x509_cert_parse(c, der, len) != 0 ||
        mh_x509_name_format(&c->subject, MH_X509_NAME_DN, out, cap) != 0)
        snprintf(out, cap, "(unreadable subject)");
    free(c);
}

void mh_app_cert_cn(const uint8_t *der, size_t len, char *out, size_t cap)
{
    mh_app_cert_subject(der, len, out, cap);
    /* "CN=Name,O=...": the CN's value (commas in it are escaped "\,") */
    if (strncmp(out, "CN=", 3) != 0)
        return;
    size_t o = 0;
    for (size_t i = 3; out[i] && o + 1 < cap; i++) {
        if (out[i] == '\\' && out[i + 1]) {
            out[o++] = out[++i];
            continue;
        }
        if (out[i] == ',')
            break;
        out[o++] = out[i];
    }
    out[o] = 0;
}

/* Azerbaijani letters outside Latin-1, for Helvetica/WinAnsi captions. */
const mh_pdf_font *mh_app_stamp_font(mh_app *a)
{
    /* made on first use: only signing an outside PDF needs it (~10 ms) */
    pthread_mutex_lock(&a->font_lock);
    if (!a->font_kit && !a->font_failed) {
        mh_font_kit *k = NULL;
        if (mh_font_kit_build(NULL, &k) == 0) {
            a->font_kit = k;
            a->stamp_font.nobj = k->nobj;
            a->stamp_font.dict = (const char *const *)k->dict;
            a->stamp_font.stream = (const uint8_t *const *)k->stream;
            a->stamp_font.stream_len = k->stream_len;
            a->stamp_font.width = k->width;
            a->stamp_font.nwidth = MH_FONT_KIT_NWIDTH;
        } else {
            a->font_failed = true; /* the caption falls back to Latin letters */
        }
    }
    const mh_pdf_font *f = a->font_kit ? &a->stamp_font : NULL;
    pthread_mutex_unlock(&a->font_lock);
    return f;
}

void mh_app_stamp_font_load(mh_app *a)
{
    (void)mh_app_stamp_font(a);
}

void mh_app_caption_text(const char *in, char *out, size_t cap)
{
    static const struct {
        const char *from, *to;
    } map[] = {{"\xc9\x99", "e"}, {"\xc6\x8f", "E"}, {"\xc4\xb1", "i"}, {"\xc4\xb0", "I"},
               {"\xc5\x9f", "s"}, {"\xc5\x9e", "S"}, {"\xc4\x9f", "g"}, {"\xc4\x9e", "G"}};
    size_t o = 0;
    if (cap == 0)
        return;
    while (*in && o + 1 < cap) {
        bool done = false;
        for (size_t i = 0; i < sizeof map / sizeof map[0]; i++) {
            size_t fl = strlen(map[i].from);
            if (strncmp(in, map[i].from, fl) == 0) {
                out[o++] = map[i].to[0];
                in += fl;
                done = true;
                break;
            }
        }
        if (!done)
            out[o++] = *in++;
    }
    out[o] = 0;
}

/* ---- trust ------------------------------------------------------------------ */

const app_issuer *mh_app_find_issuer(const mh_app *a, const char *id)
{
    for (size_t i = 0; i < a->nissuers; i++)
        if (strcmp(a->issuers[i].info.id, id) == 0)
            return &a->issuers[i];
    return NULL;
}

const uint8_t *mh_app_registered_cert(const mh_app *a, const char *issuer, const uint8_t fp[32],
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

const app_issuer *mh_app_issuer_by_cert(const mh_app *a, const uint8_t *der, size_t len)
{
    uint8_t fp[32];
    (void)mh_hash_sha256(der, len, fp);
    for (size_t i = 0; i < a->nissuers; i++)
        for (size_t j = 0; j < a->issuers[i].ncerts; j++)
            if (mh_ct_memcmp(a->issuers[i].fp[j], fp, 32) == 0)
                return &a->issuers[i];
    return NULL;
}

int mh_app_check_path(mh_app *a, const uint8_t *der, size_t len, int64_t when, int64_t poe,
                      enum mh_path_purpose purpose, char *reason, size_t cap)
{
    int ret = MH_ERR_CERT_UNTRUSTED;
    mh_x509_cert target;
    mh_path_work *work = NULL;
    mh_path_result *res = NULL;

    if (reason && cap)
        reason[0] = 0;
    if (!a->root_der) {
        snprintf(reason, cap, "no root CA is configured");
        return MH_ERR_CERT_UNTRUSTED;
    }
    if (mh_x509_cert_parse(&target, der, len) != 0) {
        snprintf(reason, cap, "the signer's certificate cannot be read");
        return MH_ERR_CERT_INVALID;
    }
    work = malloc(mh_path_work_size());
    res = calloc(1, sizeof *res);
    if (!work || !res) {
        ret = MH_ERR_NOMEM;
        goto out;
    }
    const mh_x509_cert *anchors[1] = {&a->root};
    const mh_x509_crl *crls[1] = {&a->crl};
    mh_path_input in = {0};
    in.target = &target;
    in.anchors = anchors;
    in.n_anchors = 1;
    if (a->crl_state == APP_CRL_OK) {
        in.crls = crls;
        in.n_crls = 1;
    }
    /* Revocation fails closed: the CRL must be there, readable and current
     * now, whatever time the signature is checked at. */
    int64_t now = (int64_t)time(NULL);
    mh_path_params pp = {0};
    pp.time = when ? when : now;
    pp.crl_time = now;
    pp.poe_time = poe;
    pp.purpose = purpose;
    pp.revocation = MH_REV_REQUIRE;
    pp.role = "the signer's certificate";
    ret = mh_path_validate(work, &in, &pp, res);
    if (ret == MH_ERR_CRL_MISSING && a->crl_state != APP_CRL_OK)
        snprintf(res->reason, sizeof res->reason,
                 "the revocation status of the signer's certificate is unknown: %s",
                 a->crl_problem);
    if (ret && reason)
        snprintf(reason, cap, "%s", res->reason[0] ? res->reason : mh_strerror(ret));
out:
    free(work);
    free(res);
    return ret;
}

/* ---- config.json -------------------------------------------------------------- */

static int cfg_str(json_t *o, const char *key, char *out, size_t cap, bool required,
                   const char *file)
{
    json_t *v = json_object_get(o, key);
    if (!v || json_is_null(v)) {
        if (!required) {
            out[0] = 0;
            return MH_OK;
        }
        mh_err_set(MH_ERR_PARSE,
                   "%s: \"%s\" is missing; restore the file or run 'mohur init' in a new state "
                   "directory",
                   file, key);
        return MH_ERR_PARSE;
    }
    if (!json_is_string(v) || json_string_length(v) >= cap || json_string_length(v) == 0) {
        mh_err_set(MH_ERR_PARSE, "%s: \"%s\" must be a text of 1 to %zu bytes", file, key, cap - 1);
        return MH_ERR_PARSE;
    }
    snprintf(out, cap, "%s", json_string_value(v));
    return MH_OK;
}

/* The CRL the appliance checks signers against (PEM or DER). A missing or
 * unreadable CRL is not an error here: it makes every revocation check
 * "unknown" (never a pass), and says why. */
static void load_crl(mh_app *a, const char *rel)
{
    char path[APP_PATH_MAX];
    a->crl_state = APP_CRL_MISSING;
    if (!rel[0]) {
        snprintf(a->crl_problem, sizeof a->crl_problem,
                 "no CRL is configured (config.json trust.crl); publish one with 'mohur ca crl "
                 "--publish'");
        return;
    }
    if (mh_app_path(path, sizeof path, a->dir, rel) != 0)
        return;
    int rc = mh_app_read_crl(path, &a->crl_der, &a->crl_len);
    if (rc == MH_ERR_NOT_FOUND) {
        snprintf(a->crl_problem, sizeof a->crl_problem,
                 "the CRL %s is missing; publish one with 'mohur ca crl --publish'", rel);
        return;
    }
    if (rc == 0 && mh_x509_crl_parse(&a->crl, a->crl_der, a->crl_len) == 0) {
        a->crl_state = APP_CRL_OK;
        return;
    }
    a->crl_state = APP_CRL_UNREADABLE;
    snprintf(a->crl_problem, sizeof a->crl_problem,
             "the CRL %s cannot be read (it is damaged or not a CRL); publish a new one with "
             "'mohur ca crl --publish'",
             rel);
}

static int load_config(mh_app *a)
{
    int ret = MH_ERR_PARSE;
    char path[APP_PATH_MAX], rel[APP_PATH_MAX];
    json_t *root = NULL;
    json_error_t jerr;

    if ((ret = mh_app_path(path, sizeof path, a->dir, "config.json")) != 0)
        return ret;
    if (access(path, R_OK) != 0) {
        if (errno == EACCES) {
            mh_err_set(MH_ERR_PERMISSION,
                       "you may not read the appliance's state in %s (permission denied): "
                       "verifying needs membership of its group (see 'mohur init --group'); "
                       "signing needs its owner",
                       a->dir);
            return MH_ERR_PERMISSION;
        }
        mh_err_set(MH_ERR_NOT_FOUND,
                   "%s has no config.json: run 'mohur init' (with MOHUR_STATE_DIR=%s) first",
                   a->dir, a->dir);
        return MH_ERR_NOT_FOUND;
    }
    root = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
    ret = MH_ERR_PARSE;
    if (!root || !json_is_object(root)) {
        mh_err_set(ret, "%s: line %d: %s", path, jerr.line, jerr.text);
        goto out;
    }
    json_t *tok = json_object_get(root, "token");
    json_t *iss = json_object_get(root, "issuers");
    json_t *trust = json_object_get(root, "trust");
    if (!json_is_object(tok) || !json_is_array(iss) || !json_is_object(trust)) {
        mh_err_set(ret, "%s: \"token\", \"issuers\" and \"trust\" are required", path);
        goto out;
    }
    if ((ret = cfg_str(root, "registry", a->registry, sizeof a->registry, true, path)) ||
        (ret = cfg_str(root, "verify_host", a->host, sizeof a->host, true, path)) ||
        (ret = cfg_str(tok, "uri", a->token_uri, sizeof a->token_uri, true, path)) ||
        (ret = cfg_str(tok, "module", a->module, sizeof a->module, false, path)) ||
        (ret = cfg_str(tok, "registry_key", a->registry_label, sizeof a->registry_label, true,
                       path)) ||
        (ret = cfg_str(tok, "ca_key", a->ca_label, sizeof a->ca_label, true, path)))
        goto out;
    /* the receipt's host claim is lower case (DNS names are case-insensitive) */
    for (char *h = a->host; *h; h++)
        if (*h >= 'A' && *h <= 'Z')
            *h = (char)(*h - 'A' + 'a');
    json_t *tsa = json_object_get(root, "tsa");
    if (tsa &&
        (!json_is_object(tsa) ||
         (ret = cfg_str(tsa, "key", a->tsa_label, sizeof a->tsa_label, true, path)) ||
         (ret = cfg_str(tsa, "cert", a->tsa_cert_rel, sizeof a->tsa_cert_rel, true, path)))) {
        if (!ret) {
            mh_err_set(MH_ERR_PARSE, "%s: \"tsa\" must be an object with \"key\" and \"cert\"",
                       path);
            ret = MH_ERR_PARSE;
        }
        goto out;
    }
    ret = MH_ERR_PARSE;
    if (json_array_size(iss) > MH_APP_ISSUERS_MAX) {
        mh_err_set(ret, "%s: at most %d issuers", path, MH_APP_ISSUERS_MAX);
        goto out;
    }
    for (size_t i = 0; i < json_array_size(iss); i++) {
        json_t *o = json_array_get(iss, i);
        app_issuer *is = &a->issuers[a->nissuers];
        if (!json_is_object(o)) {
            mh_err_set(ret, "%s: issuers[%zu] must be an object", path, i);
            goto out;
        }
        if ((ret = cfg_str(o, "id", is->info.id, sizeof is->info.id, true, path)) ||
            (ret = cfg_str(o, "name", is->info.name, sizeof is->info.name, true, path)) ||
            (ret = cfg_str(o, "key", is->info.key_label, sizeof is->info.key_label, true, path)) ||
            (ret = cfg_str(o, "profile", is->info.profile, sizeof is->info.profile, true, path)))
            goto out;
        ret = MH_ERR_PARSE;
        json_t *k = json_object_get(o, "kinds");
        if (!json_is_array(k) || json_array_size(k) > 8) {
            mh_err_set(ret, "%s: issuers[%zu].kinds must be a list of at most 8 kind ids", path, i);
            goto out;
        }
        for (size_t j = 0; j < json_array_size(k); j++) {
            json_t *s = json_array_get(k, j);
            if (!json_is_string(s) || json_string_length(s) >= sizeof is->info.kinds[0]) {
                mh_err_set(ret, "%s: issuers[%zu].kinds[%zu] must be a kind id", path, i, j);
                goto out;
            }
            snprintf(is->info.kinds[j], sizeof is->info.kinds[j], "%s", json_string_value(s));
            is->info.nkinds++;
        }
        /* its registered certificates: "certs" (a list), or "cert" (one) */
        json_t *cl = json_object_get(o, "certs");
        json_t *one = json_object_get(o, "cert");
        ret = MH_ERR_PARSE;
        if ((cl && (!json_is_array(cl) || json_array_size(cl) == 0 ||
                    json_array_size(cl) > APP_ISSUER_CERTS_MAX)) ||
            (!cl && !json_is_string(one))) {
            mh_err_set(ret, "%s: issuers[%zu].certs must list 1 to %d certificate files", path, i,
                       APP_ISSUER_CERTS_MAX);
            goto out;
        }
        for (size_t j = 0; j < (cl ? json_array_size(cl) : 1); j++) {
            json_t *f = cl ? json_array_get(cl, j) : one;
            char cpath[APP_PATH_MAX];
            if (!json_is_string(f)) {
                mh_err_set(MH_ERR_PARSE, "%s: issuers[%zu].certs[%zu] must be a file name", path, i,
                           j);
                ret = MH_ERR_PARSE;
                goto out;
            }
            if ((ret = mh_app_path(cpath, sizeof cpath, a->dir, json_string_value(f))) != 0 ||
                (ret = mh_app_read_cert(cpath, &is->cert[j], &is->cert_len[j])) != 0)
                goto out;
            (void)mh_hash_sha256(is->cert[j], is->cert_len[j], is->fp[j]);
            is->ncerts++;
        }
        a->nissuers++;
    }
    /* trust: the root CA, its CRL, the registry certificates */
    if ((ret = cfg_str(trust, "root_ca", rel, sizeof rel, true, path)) != 0 ||
        (ret = mh_app_path(path, sizeof path, a->dir, rel)) != 0 ||
        (ret = mh_app_read_cert(path, &a->root_der, &a->root_len)) != 0)
        goto out;
    if (mh_x509_cert_parse(&a->root, a->root_der, a->root_len) != 0) {
        mh_err_set(MH_ERR_PARSE, "%s: the root CA certificate cannot be read", path);
        ret = MH_ERR_PARSE;
        goto out;
    }
    if ((ret = cfg_str(trust, "crl", rel, sizeof rel, false, path)) != 0)
        goto out;
    load_crl(a, rel);
    json_t *rk = json_object_get(trust, "registry_certs");
    if (!json_is_array(rk) || json_array_size(rk) == 0 || json_array_size(rk) > APP_TRUST_MAX) {
        mh_err_set(MH_ERR_PARSE,
                   "config.json: trust.registry_certs must list 1 to %d certificate files",
                   APP_TRUST_MAX);
        ret = MH_ERR_PARSE;
        goto out;
    }
    for (size_t i = 0; i < json_array_size(rk); i++) {
        json_t *s = json_array_get(rk, i);
        uint8_t *der = NULL;
        size_t dl = 0;
        mh_x509_cert *ci = NULL;
        if (!json_is_string(s)) {
            ret = MH_ERR_PARSE;
            goto out;
        }
        if ((ret = mh_app_path(path, sizeof path, a->dir, json_string_value(s))) != 0 ||
            (ret = mh_app_read_cert(path, &der, &dl)) != 0)
            goto out;
        ret = !(ci = calloc(1, sizeof *ci)) ? MH_ERR_NOMEM : mh_x509_cert_parse(ci, der, dl);
        if (ret == 0)
            ret = mh_receipt_key_from_spki(ci->spki.p, ci->spki.len, &a->regkeys[a->nregkeys]);
        free(ci);
        free(der);
        if (ret) {
            mh_err_set(ret, "%s: the registry certificate must hold an EC P-256 key", path);
            goto out;
        }
        a->nregkeys++;
    }
    ret = MH_OK;
out:
    json_decref(root);
    return ret;
}

/* ---- open / close --------------------------------------------------------------- */

static int open_token(mh_app *a)
{
    int ret;
    mh_p11_uri uri;
    char pinfile[APP_PATH_MAX], src[APP_PATH_MAX + 8];

    memset(&uri, 0, sizeof uri);
    /* the embedded token store; also for a module that wraps SoftHSM2 */
    if ((ret = mh_app_softhsm_env(a->dir)) != 0)
        return ret;
    if ((ret = mh_p11_uri_parse(a->token_uri, &uri)) != 0)
        goto out;
    if (a->module[0]) {
        free(uri.module_path);
        uri.module_path = strdup(a->module);
    }
    if ((ret = mh_app_path(pinfile, sizeof pinfile, a->dir, "pins/user.pin")) != 0)
        goto out;
    snprintf(src, sizeof src, "file:%s", pinfile);
    free(uri.pin_source);
    uri.pin_source = strdup(src);
    if (!uri.pin_source || (a->module[0] && !uri.module_path)) {
        ret = MH_ERR_NOMEM;
        goto out;
    }
    if ((ret = mh_hsm_module_load(&uri, NULL, &a->mod)) != 0 ||
        (ret = mh_hsm_token_open(a->mod, &uri, &a->tok)) != 0 || (ret = mh_hsm_login(a->tok)) != 0)
        goto out;
    mh_p11_uri_free(&uri);
    memset(&uri, 0, sizeof uri);
    if ((ret = mh_p11_uri_parse("pkcs11:type=private", &uri)) != 0)
        goto out;
    uri.object = strdup(a->registry_label);
    if (!uri.object) {
        ret = MH_ERR_NOMEM;
        goto out;
    }
    if ((ret = mh_hsm_key_find(a->tok, &uri, &a->regkey)) != 0 ||
        (ret = mh_hsm_key_signer(a->regkey, MH_SIG_AUTO, &a->regsigner)) != 0)
        goto out;
    a->regpk_ok = true;
    if (a->tsa_label[0]) {
        /* the timestamp authority's key on the same token, and its certificate */
        char cpath[APP_PATH_MAX];
        free(uri.object);
        uri.object = strdup(a->tsa_label);
        if (!uri.object) {
            ret = MH_ERR_NOMEM;
            goto out;
        }
        if ((ret = mh_hsm_key_find(a->tok, &uri, &a->tsakey)) != 0 ||
            (ret = mh_hsm_key_signer(a->tsakey, MH_SIG_AUTO, &a->tsasigner)) != 0 ||
            (ret = mh_app_path(cpath, sizeof cpath, a->dir, a->tsa_cert_rel)) != 0 ||
            (ret = mh_app_read_cert(cpath, &a->tsa_cert, &a->tsa_cert_len)) != 0)
            goto out;
        a->tsa_ok = true;
    }
    ret = MH_OK;
out:
    mh_p11_uri_free(&uri);
    return ret;
}

int mh_app_open_ex(const char *state_dir, unsigned flags, mh_app **out)
{
    int ret = MH_ERR_NOMEM;
    mh_app *a = NULL;
    char path[APP_PATH_MAX];

    *out = NULL;
    if (!state_dir || !state_dir[0] || strlen(state_dir) >= sizeof a->dir - 64) {
        mh_err_set(MH_ERR_INVALID_ARG, "the state directory name is empty or too long");
        return MH_ERR_INVALID_ARG;
    }
    a = calloc(1, sizeof *a);
    if (!a)
        return MH_ERR_NOMEM;
    snprintf(a->dir, sizeof a->dir, "%s", state_dir);
    a->flags = flags;
    a->pending_fd = -1;
    pthread_mutex_init(&a->font_lock, NULL);
    if ((ret = load_config(a)) != 0)
        goto out;
    mh_ledger_opts lo = {0};
    /* the signer process (MH_APP_KEYS_ONLY) reads the ledger, never writes */
    lo.read_only = (flags & (MH_APP_READ_ONLY | MH_APP_KEYS_ONLY)) != 0;
    lo.group_commit = !lo.read_only;
    lo.grow_step = (size_t)1 << 30;
    if ((ret = mh_app_path(path, sizeof path, a->dir, "ledger")) != 0)
        goto out;
    ret = mh_ledger_open(path, &lo, &a->ledger);
    if (ret)
        goto out;
    if ((ret = mh_app_path(path, sizeof path, a->dir, MH_APP_PENDING_DIR)) != 0)
        goto out;
    a->pending_fd = open(path, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (!(flags & MH_APP_READ_ONLY)) {
        /* MH_APP_NO_TOKEN: mohurd's ledger process, whose keys are injected */
        if ((ret = mh_app_path(path, sizeof path, a->dir, "ca")) != 0 ||
            (ret = mh_cadb_open(path, false, &a->cadb)) != 0 ||
            (!(flags & MH_APP_NO_TOKEN) && (ret = open_token(a)) != 0))
            goto out;
    }
    *out = a;
    a = NULL;
    ret = MH_OK;
out:
    mh_app_close(a);
    return ret;
}

/* ---- entries awaiting their issuer's signature (MH_APP_PENDING_DIR) -------- */

static void pending_name(char *name, size_t cap, uint64_t index)
{
    snprintf(name, cap, "ext-%llu", (unsigned long long)index);
}

int mh_app_pending_prepare(const char *state_dir)
{
    char path[APP_PATH_MAX + 16];
    int rc = mh_app_path(path, sizeof path, state_dir, MH_APP_PENDING_DIR);
    if (rc)
        return rc;
    if ((mkdir(path, 0711) != 0 && errno != EEXIST) || chmod(path, 0711) != 0)
        return mh_err_set(MH_ERR_IO, "%s cannot be made: %s", path, strerror(errno));
    return MH_OK;
}

int mh_app_pending_mark(mh_app *a, uint64_t index)
{
    char dir[APP_PATH_MAX + 16], path[APP_PATH_MAX + 64], name[40];
    int rc = mh_app_path(dir, sizeof dir, a->dir, MH_APP_PENDING_DIR);
    if (rc)
        return rc;
    pending_name(name, sizeof name, index);
    snprintf(path, sizeof path, "%s/%s", dir, name);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    bool ok = fd >= 0 && fsync(fd) == 0 && dfd >= 0 && fsync(dfd) == 0;
    int e = errno;
    if (fd >= 0)
        close(fd);
    if (dfd >= 0)
        close(dfd);
    if (ok)
        return MH_OK;
    unlink(path);
    return mh_err_set(MH_ERR_IO, "the state cannot record the waiting signature: %s", strerror(e));
}

void mh_app_pending_clear(mh_app *a, uint64_t index)
{
    char dir[APP_PATH_MAX + 16], path[APP_PATH_MAX + 64], name[40];
    if (mh_app_path(dir, sizeof dir, a->dir, MH_APP_PENDING_DIR) != 0)
        return;
    pending_name(name, sizeof name, index);
    snprintf(path, sizeof path, "%s/%s", dir, name);
    unlink(path);
}

size_t mh_app_pending_list(mh_app *a, uint64_t *index, size_t cap)
{
    char dir[APP_PATH_MAX + 16];
    size_t n = 0;
    DIR *d = mh_app_path(dir, sizeof dir, a->dir, MH_APP_PENDING_DIR) == 0 ? opendir(dir) : NULL;
    struct dirent *e;
    while (d && n < cap && (e = readdir(d))) {
        unsigned long long ix;
        char tail;
        if (sscanf(e->d_name, "ext-%llu%c", &ix, &tail) == 1)
            index[n++] = ix;
    }
    if (d)
        closedir(d);
    return n;
}

bool mh_app_entry_pending(const mh_app *a, uint64_t index)
{
    char name[40];
    struct stat st;
    if (a->pending_fd < 0)
        return false; /* no mohurd ever ran here */
    pending_name(name, sizeof name, index);
    return fstatat(a->pending_fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 || errno != ENOENT;
}

int mh_app_open(const char *state_dir, mh_app **out)
{
    return mh_app_open_ex(state_dir, 0, out);
}

void mh_app_close(mh_app *a)
{
    if (!a)
        return;
    if (a->pending_fd >= 0)
        close(a->pending_fd);
    mh_ledger_close(a->ledger);
    mh_cadb_close(a->cadb);
    mh_hsm_key_free(a->regkey);
    mh_font_kit_free(a->font_kit);
    mh_hsm_key_free(a->tsakey);
    free(a->tsa_cert);
    free(a->reg_cert);
    mh_hsm_token_close(a->tok);
    mh_hsm_module_unload(a->mod);
    for (size_t i = 0; i < a->nissuers; i++)
        for (size_t j = 0; j < a->issuers[i].ncerts; j++)
            free(a->issuers[i].cert[j]);
    free(a->root_der);
    free(a->crl_der);
    pthread_mutex_destroy(&a->font_lock);
    free(a);
}

const char *mh_app_registry_id(const mh_app *a)
{
    return a->registry;
}

const char *mh_app_verify_host(const mh_app *a)
{
    return a->host;
}

const char *mh_app_kinds_dir(const mh_app *a)
{
    (void)a;
    return mh_kinds_dir();
}

mh_ledger *mh_app_ledger(mh_app *a)
{
    return a->ledger;
}

int mh_app_issuers(const mh_app *a, mh_app_issuer_info *out, size_t cap, size_t *n)
{
    for (size_t i = 0; i < a->nissuers && i < cap; i++)
        out[i] = a->issuers[i].info;
    *n = a->nissuers;
    return MH_OK;
}

/* ---- signers ------------------------------------------------------------------- */

/* The CA database's word on a certificate this appliance issued: revoked
 * or on hold refuses at once, before the next CRL says so. */
static int cadb_status(mh_app *a, const uint8_t *der, size_t len)
{
    mh_x509_cert c;
    mh_cadb_cert rec;
    if (!a->cadb || mh_x509_cert_parse(&c, der, len) != 0)
        return MH_OK;
    memset(&rec, 0, sizeof rec);
    int rc = mh_cadb_cert_get(a->cadb, c.serial.p, c.serial.len, &rec);
    if (rc == MH_ERR_NOT_FOUND) {
        return MH_OK; /* not ours: the CRL decides */
    }
    if (rc)
        return rc;
    bool revoked = rec.revoked;
    int reason = rec.reason;
    free(rec.der);
    if (revoked) {
        char subj[256];
        mh_app_cert_subject(der, len, subj, sizeof subj);
        mh_err_set(MH_ERR_CERT_REVOKED,
                   "the signing certificate '%.120s' is %s (%s) in this appliance's CA; it "
                   "may not sign",
                   subj, reason == MH_REASON_CERTIFICATE_HOLD ? "on hold" : "revoked",
                   mh_x509_reason_name(reason));
        return MH_ERR_CERT_REVOKED;
    }
    return MH_OK;
}

static bool uri_names_module(const mh_p11_uri *u)
{
    return (u->module_path && u->module_path[0]) || (u->module_name && u->module_name[0]);
}

int mh_app_signer_open(mh_app *a, const char *issuer_id, const char *key_uri, mh_app_signer **out)
{
    int ret = MH_ERR_NOMEM;
    mh_app_signer *s = NULL;
    mh_p11_uri uri;
    char reason[384];

    *out = NULL;
    memset(&uri, 0, sizeof uri);
    if (!a->tok) {
        mh_err_set(MH_ERR_INVALID_ARG,
                   "the appliance was opened for verifying only; open it for signing");
        return MH_ERR_INVALID_ARG;
    }
    const app_issuer *is = issuer_id ? mh_app_find_issuer(a, issuer_id) : NULL;
    if (!issuer_id && !key_uri) {
        mh_err_set(MH_ERR_INVALID_ARG,
                   "a signer is an issuer of this appliance (--issuer) or a party's own key "
                   "(--key)");
        return MH_ERR_INVALID_ARG;
    }
    if (issuer_id && !is) {
        char list[512] = "";
        for (size_t i = 0; i < a->nissuers; i++) {
            size_t l = strlen(list);
            snprintf(list + l, sizeof list - l, "%s%s", i ? ", " : "", a->issuers[i].info.id);
        }
        mh_err_set(MH_ERR_NOT_FOUND,
                   "no issuer '%.64s' is configured on this appliance (issuers: %s)",
                   issuer_id ? issuer_id : "", list);
        return MH_ERR_NOT_FOUND;
    }
    s = calloc(1, sizeof *s);
    if (!s)
        return MH_ERR_NOMEM;
    s->app = a;
    s->issuer = is;
    if (key_uri) {
        if ((ret = mh_p11_uri_parse(key_uri, &uri)) != 0)
            goto out;
        mh_hsm_token *tok = a->tok;
        if (uri_names_module(&uri)) {
            if ((ret = mh_hsm_module_load(&uri, NULL, &s->own_mod)) != 0)
                goto out;
        }
        if (s->own_mod || (uri.token && strcmp(uri.token, APP_TOKEN_LABEL) != 0) || uri.serial) {
            if ((ret = mh_hsm_token_open(s->own_mod ? s->own_mod : a->mod, &uri, &s->own_tok)) !=
                    0 ||
                (ret = mh_hsm_login(s->own_tok)) != 0)
                goto out;
            tok = s->own_tok;
        }
        if ((ret = mh_hsm_key_find(tok, &uri, &s->key)) != 0)
            goto out;
    } else {
        if ((ret = mh_p11_uri_parse("pkcs11:type=private", &uri)) != 0)
            goto out;
        uri.object = strdup(is->info.key_label);
        if (!uri.object) {
            ret = MH_ERR_NOMEM;
            goto out;
        }
        if ((ret = mh_hsm_key_find(a->tok, &uri, &s->key)) != 0)
            goto out;
    }
    ret = mh_hsm_key_cert(s->key, &s->cert, &s->cert_len);
    if (ret) {
        mh_err_set(ret,
                   "the signing key%s%s%s has no certificate stored next to it on its token; "
                   "issue one with 'mohur ca issue' and store it with 'mohur key import-cert'",
                   is ? " of issuer '" : "", is ? is->info.id : "", is ? "'" : "");
        goto out;
    }
    if ((ret = mh_hsm_key_signer(s->key, MH_SIG_AUTO, &s->signer)) != 0)
        goto out;
    /* revocation fails closed: the current CRL, and the CA database, which
     * knows a revocation or hold before the next CRL is published */
    ret = mh_app_check_path(a, s->cert, s->cert_len, 0, 0, MH_PURPOSE_DOCUMENT, reason,
                            sizeof reason);
    if (ret) {
        mh_err_set(ret, "the signing key's certificate may not sign: %s", reason);
        goto out;
    }
    if ((ret = cadb_status(a, s->cert, s->cert_len)) != 0)
        goto out;
    ret = is ? mh_app_policy_issuer_cert(is, s->cert, s->cert_len, reason, sizeof reason)
             : mh_app_policy_signer_cert(s->cert, s->cert_len, false, reason, sizeof reason);
    if (ret) {
        mh_err_set(ret, "%s", reason);
        goto out;
    }
    (void)mh_hash_sha256(s->cert, s->cert_len, s->fp);
    mh_app_cert_subject(s->cert, s->cert_len, s->subject, sizeof s->subject);
    *out = s;
    s = NULL;
    ret = MH_OK;
out:
    mh_p11_uri_free(&uri);
    mh_app_signer_close(s);
    return ret;
}

void mh_app_signer_close(mh_app_signer *s)
{
    if (!s)
        return;
    mh_hsm_key_free(s->key);
    mh_hsm_token_close(s->own_tok);
    mh_hsm_module_unload(s->own_mod);
    free(s->cert);
    free(s);
}

bool mh_app_signer_may_issue(const mh_app_signer *s, const mh_kind *k)
{
    char why[400];
    return s->issuer &&
           mh_app_policy_issuer(s->issuer, k, s->cert, s->cert_len, why, sizeof why) == 0;
}
