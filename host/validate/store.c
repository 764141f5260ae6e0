/* store.c - what the verifier brings (trust anchors, certificates, CRLs,
 * read from files and directories) and the working set of one validation. */
#include "val_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <mbedtls/pem.h>

#define CERT_FILE_MAX ((size_t)4 << 20) /* a bundle of certificates */
#define CRL_FILE_MAX MH_X509_MAX_CRL

/* ---- files --------------------------------------------------------------- */

/* Reads a regular file (symlinks followed: trust directories are made of
 * them) of at most cap bytes, with a NUL after the data. */
static int read_file(const char *path, size_t cap, uint8_t **buf, size_t *len)
{
    return mh_file_read(path, cap, MH_FILE_REGULAR, buf, len);
}

static bool has_pem(const uint8_t *b, size_t len, const char *label)
{
    size_t m = strlen(label);
    for (size_t i = 0; i + m <= len; i++)
        if (b[i] == '-' && memcmp(b + i, label, m) == 0)
            return true;
    return false;
}

/* Calls add(ctx, der, len) for each PEM block with the label, or once for
 * the whole file when it is not PEM. add takes the DER (malloc'd) over. */
typedef int (*add_fn)(mh_val_ctx *c, uint8_t *der, size_t len, size_t *added);

static int each_object(mh_val_ctx *c, uint8_t *file, size_t len, const char *begin, const char *end,
                       add_fn add, size_t *added, size_t *found, size_t *skipped)
{
    if (!has_pem(file, len, "-----BEGIN")) {
        uint8_t *d = malloc(len ? len : 1);
        if (!d)
            return MH_ERR_NOMEM;
        memcpy(d, file, len);
        (*found)++;
        return add(c, d, len, added);
    }
    size_t off = 0;
    while (off < len) {
        mbedtls_pem_context pem;
        size_t used = 0;
        mbedtls_pem_init(&pem);
        int rc = mbedtls_pem_read_buffer(&pem, begin, end, file + off, NULL, 0, &used);
        if (rc == MBEDTLS_ERR_PEM_NO_HEADER_FOOTER_PRESENT) {
            mbedtls_pem_free(&pem);
            break;
        }
        if (rc) {
            mbedtls_pem_free(&pem);
            mh_err_set(MH_ERR_PARSE, "a PEM block is malformed");
            return MH_ERR_PARSE;
        }
        uint8_t *d = malloc(pem.buflen ? pem.buflen : 1);
        if (!d) {
            mbedtls_pem_free(&pem);
            return MH_ERR_NOMEM;
        }
        memcpy(d, pem.buf, pem.buflen);
        size_t dl = pem.buflen;
        mbedtls_pem_free(&pem);
        (*found)++;
        int r = add(c, d, dl, added);
        if (r == MH_ERR_PARSE && skipped) {
            (*skipped)++; /* one certificate of a bundle mohur cannot read */
            if (!c->skip_why[0])
                snprintf(c->skip_why, sizeof c->skip_why, "%s", mh_err_message(r));
            r = MH_OK;
        }
        if (r)
            return r;
        off += used;
    }
    return MH_OK;
}

/* ---- the context --------------------------------------------------------- */

int mh_val_ctx_new(mh_val_ctx **out)
{
    if (!out)
        return MH_ERR_INVALID_ARG;
    *out = calloc(1, sizeof **out);
    return *out ? MH_OK : MH_ERR_NOMEM;
}

static void cert_free(val_cert *v)
{
    if (v) {
        free((void *)v->der);
        free(v);
    }
}

void mh_val_ctx_free(mh_val_ctx *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->nanchors; i++)
        cert_free(c->anchors[i]);
    for (size_t i = 0; i < c->ncerts; i++)
        cert_free(c->certs[i]);
    for (size_t i = 0; i < c->ncrls; i++) {
        free((void *)c->crls[i]->der);
        free(c->crls[i]);
    }
    free(c->anchors);
    free(c->certs);
    free(c->crls);
    free(c);
}

void mh_val_set_now(mh_val_ctx *c, int64_t now)
{
    if (c)
        c->now = now;
}

size_t mh_val_anchor_count(const mh_val_ctx *c)
{
    return c ? c->nanchors : 0;
}

size_t mh_val_skipped_count(const mh_val_ctx *c, const char **why)
{
    if (why)
        *why = c && c->skip_why[0] ? c->skip_why : "";
    return c ? c->skipped : 0;
}

static bool same_der(const val_cert *const *list, size_t n, const uint8_t *der, size_t len)
{
    for (size_t i = 0; i < n; i++)
        if (list[i]->len == len && memcmp(list[i]->der, der, len) == 0)
            return true;
    return false;
}

/* Adds a parsed certificate to a list (der taken over). */
static int list_cert(val_cert ***list, size_t *n, size_t max, uint8_t *der, size_t len,
                     size_t *added)
{
    val_cert *v = NULL;
    if (same_der((const val_cert *const *)*list, *n, der, len)) {
        free(der);
        return MH_OK;
    }
    if (*n >= max) {
        free(der);
        mh_err_set(MH_ERR_TOO_LARGE, "more than %zu certificates were given", max);
        return MH_ERR_TOO_LARGE;
    }
    v = calloc(1, sizeof *v);
    val_cert **nl = realloc(*list, (*n + 1) * sizeof *nl);
    if (!v || !nl) {
        free(v);
        free(der);
        if (nl)
            *list = nl;
        return MH_ERR_NOMEM;
    }
    *list = nl;
    v->der = der; /* transferred */
    v->len = len;
    if (mh_x509_cert_parse(&v->x, der, len) != 0) {
        char why[200];
        snprintf(why, sizeof why, "%s", mh_err_message(MH_ERR_PARSE));
        cert_free(v);
        mh_err_set(MH_ERR_PARSE, "a certificate cannot be read (%s)", why);
        return MH_ERR_PARSE;
    }
    (*list)[(*n)++] = v;
    if (added)
        (*added)++;
    return MH_OK;
}

static int add_anchor(mh_val_ctx *c, uint8_t *der, size_t len, size_t *added)
{
    return list_cert(&c->anchors, &c->nanchors, MH_VAL_MAX_ANCHORS, der, len, added);
}

static int add_cert(mh_val_ctx *c, uint8_t *der, size_t len, size_t *added)
{
    return list_cert(&c->certs, &c->ncerts, MH_VAL_MAX_CERTS, der, len, added);
}

static int add_crl(mh_val_ctx *c, uint8_t *der, size_t len, size_t *added)
{
    for (size_t i = 0; i < c->ncrls; i++)
        if (c->crls[i]->len == len && memcmp(c->crls[i]->der, der, len) == 0) {
            free(der);
            return MH_OK;
        }
    if (c->ncrls >= MH_VAL_MAX_CRLS) {
        free(der);
        mh_err_set(MH_ERR_TOO_LARGE, "more than %d CRLs were given", MH_VAL_MAX_CRLS);
        return MH_ERR_TOO_LARGE;
    }
    val_crl *v = calloc(1, sizeof *v);
    val_crl **nl = realloc(c->crls, (c->ncrls + 1) * sizeof *nl);
    if (nl)
        c->crls = nl;
    if (!v || !nl) {
        free(v);
        free(der);
        return MH_ERR_NOMEM;
    }
    v->der = der; /* transferred */
    v->len = len;
    if (mh_x509_crl_parse(&v->x, der, len) != 0) {
        char why[200];
        snprintf(why, sizeof why, "%s", mh_err_message(MH_ERR_PARSE));
        free(der);
        free(v);
        mh_err_set(MH_ERR_PARSE, "a CRL cannot be read (%s)", why);
        return MH_ERR_PARSE;
    }
    c->crls[c->ncrls++] = v;
    if (added)
        (*added)++;
    return MH_OK;
}

/* One file of certificates into the anchors or the certificates. */
static int cert_file(mh_val_ctx *c, const char *path, add_fn add, bool in_dir, size_t *added)
{
    uint8_t *file = NULL;
    size_t len = 0, found = 0;
    int rc = read_file(path, CERT_FILE_MAX, &file, &len);
    if (rc)
        return rc;
    bool pem = has_pem(file, len, "-----BEGIN");
    if (in_dir &&
        (pem ? !has_pem(file, len, "-----BEGIN CERTIFICATE-----") : (len < 2 || file[0] != 0x30))) {
        free(file);
        return MH_OK; /* not a certificate file: skipped in a directory */
    }
    size_t skipped = 0, before = added ? *added : 0;
    rc = each_object(c, file, len, "-----BEGIN CERTIFICATE-----", "-----END CERTIFICATE-----", add,
                     added, &found, &skipped);
    free(file);
    c->skipped += skipped;
    if (rc == MH_OK && !in_dir && found && skipped == found && (!added || *added == before)) {
        mh_err_set(MH_ERR_PARSE, "reading %s: none of its certificates can be read (%s)", path,
                   c->skip_why);
        return MH_ERR_PARSE;
    }
    if (rc == MH_ERR_PARSE && in_dir) {
        return MH_OK; /* a file in a directory that is not a certificate */
    }
    if (rc) {
        char why[300];
        snprintf(why, sizeof why, "%s", mh_err_message(rc));
        mh_err_set(rc, "reading %s: %s", path, why);
        return rc;
    }
    if (!found && !in_dir) {
        mh_err_set(MH_ERR_PARSE,
                   "%s holds no certificate (PEM CERTIFICATE blocks or one DER certificate)", path);
        return MH_ERR_PARSE;
    }
    return MH_OK;
}

static int cert_path(mh_val_ctx *c, const char *path, add_fn add, size_t *added)
{
    struct stat st;
    size_t n = 0;
    if (!c || !path)
        return MH_ERR_INVALID_ARG;
    if (stat(path, &st) != 0) {
        mh_err_set(errno == EACCES ? MH_ERR_PERMISSION : MH_ERR_NOT_FOUND, "%s cannot be read: %s",
                   path, strerror(errno));
        return errno == EACCES ? MH_ERR_PERMISSION : MH_ERR_NOT_FOUND;
    }
    if (!S_ISDIR(st.st_mode)) {
        int rc = cert_file(c, path, add, false, &n);
        if (added)
            *added = n;
        return rc;
    }
    DIR *d = opendir(path);
    if (!d) {
        mh_err_set(MH_ERR_IO, "the directory %s cannot be read: %s", path, strerror(errno));
        return MH_ERR_IO;
    }
    int rc = MH_OK;
    struct dirent *e;
    while (rc == MH_OK && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char p[4096];
        int w = snprintf(p, sizeof p, "%s/%s", path, e->d_name);
        if (w < 0 || (size_t)w >= sizeof p)
            continue;
        if (stat(p, &st) != 0 || !S_ISREG(st.st_mode))
            continue;
        rc = cert_file(c, p, add, true, &n);
        if (rc == MH_ERR_PERMISSION || rc == MH_ERR_TOO_LARGE) {
            rc = MH_OK; /* one unreadable file does not spoil a directory */
        }
    }
    closedir(d);
    if (rc == MH_OK && n == 0 && add == add_anchor) {
        mh_err_set(MH_ERR_PARSE, "the directory %s holds no certificate", path);
        rc = MH_ERR_PARSE;
    }
    if (added)
        *added = n;
    return rc;
}

int mh_val_add_trust(mh_val_ctx *c, const char *path, size_t *added)
{
    return cert_path(c, path, add_anchor, added);
}

int mh_val_add_certs(mh_val_ctx *c, const char *path, size_t *added)
{
    return cert_path(c, path, add_cert, added);
}

int mh_val_add_crls(mh_val_ctx *c, const char *path, size_t *added)
{
    uint8_t *file = NULL;
    size_t len = 0, found = 0, n = 0;
    if (!c || !path)
        return MH_ERR_INVALID_ARG;
    int rc = read_file(path, CRL_FILE_MAX, &file, &len);
    if (rc)
        return rc;
    rc = each_object(c, file, len, "-----BEGIN X509 CRL-----", "-----END X509 CRL-----", add_crl,
                     &n, &found, NULL);
    free(file);
    if (rc) {
        char why[300];
        snprintf(why, sizeof why, "%s", mh_err_message(rc));
        mh_err_set(rc, "reading the CRL file %s: %s", path, why);
        return rc;
    }
    if (!found) {
        mh_err_set(MH_ERR_PARSE, "%s holds no CRL (PEM X509 CRL blocks or one DER CRL)", path);
        return MH_ERR_PARSE;
    }
    if (added)
        *added = n;
    return MH_OK;
}

int mh_val_add_appliance(mh_val_ctx *c, const char *state_dir, bool *added)
{
    char p[4096];
    size_t n = 0;
    if (added)
        *added = false;
    if (!c || !state_dir)
        return MH_ERR_INVALID_ARG;
    int w = snprintf(p, sizeof p, "%s/certs/root.crt", state_dir);
    if (w < 0 || (size_t)w >= sizeof p || access(p, R_OK) != 0)
        return MH_OK;
    int rc = mh_val_add_trust(c, p, &n);
    if (rc)
        return rc;
    c->appliance = true;
    if (added)
        *added = true;
    snprintf(p, sizeof p, "%s/certs/root.crl", state_dir);
    if (access(p, R_OK) == 0) {
        rc = mh_val_add_crls(c, p, NULL);
        if (rc) /* an unreadable CRL is no CRL: revocation stays unknown */
            mh_err_clear();
    }
    return MH_OK;
}

/* ---- the working set ------------------------------------------------------ */

int val_set_init(val_set *s, const mh_val_ctx *c)
{
    memset(s, 0, sizeof *s);
    s->ctx = c;
    s->now = c->now ? c->now : (int64_t)time(NULL);
    s->work = malloc(mh_path_work_size());
    if (!s->work)
        return MH_ERR_NOMEM;
    for (size_t i = 0; i < c->ncerts; i++)
        val_set_cert(s, c->certs[i]->der, c->certs[i]->len);
    s->crls_by_src[VAL_SRC_GIVEN] = c->ncrls;
    return MH_OK;
}

void val_set_free(val_set *s)
{
    for (size_t i = 0; i < s->ncerts; i++)
        free(s->certs[i]);
    for (size_t i = 0; i < s->ncrls; i++)
        free(s->crls[i]);
    for (size_t i = 0; i < s->nkeep; i++)
        free(s->keep[i]);
    free(s->certs);
    free(s->crls);
    free(s->keep);
    free(s->der);
    free(s->der_len);
    free(s->work);
    memset(s, 0, sizeof *s);
}

int val_set_keep(val_set *s, void *p)
{
    if (s->nkeep == s->kcap) {
        size_t nc = s->kcap ? 2 * s->kcap : 16;
        void **nk = realloc(s->keep, nc * sizeof *nk);
        if (!nk) {
            free(p);
            return MH_ERR_NOMEM;
        }
        s->keep = nk;
        s->kcap = nc;
    }
    s->keep[s->nkeep++] = p;
    return MH_OK;
}

void val_set_cert(val_set *s, const uint8_t *der, size_t len)
{
    if (!der || !len || s->ncerts >= MH_VAL_MAX_CERTS ||
        same_der((const val_cert *const *)s->certs, s->ncerts, der, len))
        return;
    if (s->ncerts == s->ccap) {
        size_t nc = s->ccap ? 2 * s->ccap : 16;
        val_cert **n = realloc(s->certs, nc * sizeof *n);
        const uint8_t **d = realloc(s->der, nc * sizeof *d);
        if (d)
            s->der = d;
        size_t *dl = realloc(s->der_len, nc * sizeof *dl);
        if (dl)
            s->der_len = dl;
        if (n)
            s->certs = n;
        if (!n || !d || !dl)
            return;
        s->ccap = nc;
    }
    val_cert *v = calloc(1, sizeof *v);
    if (!v)
        return;
    v->der = der;
    v->len = len;
    if (mh_x509_cert_parse(&v->x, der, len) != 0) {
        free(v);
        return;
    }
    s->der[s->ncerts] = der;
    s->der_len[s->ncerts] = len;
    s->certs[s->ncerts++] = v;
    s->nder = s->ncerts;
}

void val_set_crl(val_set *s, const uint8_t *der, size_t len, enum val_src src)
{
    if (!der || !len || s->ncrls >= MH_VAL_MAX_CRLS)
        return;
    for (size_t i = 0; i < s->ncrls; i++)
        if (s->crls[i]->len == len && memcmp(s->crls[i]->der, der, len) == 0)
            return;
    for (size_t i = 0; i < s->ctx->ncrls; i++)
        if (s->ctx->crls[i]->len == len && memcmp(s->ctx->crls[i]->der, der, len) == 0)
            return;
    if (s->ncrls == s->rcap) {
        size_t nc = s->rcap ? 2 * s->rcap : 16;
        val_crl **n = realloc(s->crls, nc * sizeof *n);
        if (!n)
            return;
        s->crls = n;
        s->rcap = nc;
    }
    val_crl *v = calloc(1, sizeof *v);
    if (!v)
        return;
    v->der = der;
    v->len = len;
    if (mh_x509_crl_parse(&v->x, der, len) != 0) {
        free(v);
        return;
    }
    s->crls[s->ncrls++] = v;
    s->crls_by_src[src]++;
}

/* RevocationInfoChoices: CertificateLists (SEQUENCE) are used; the other
 * formats ([1] OtherRevocationInfoFormat: OCSP responses) are not. */
void val_set_cms(val_set *s, const mh_cms_result *r)
{
    for (size_t i = 0; i < r->n_certs; i++)
        val_set_cert(s, r->certs[i], r->cert_len[i]);
    if (!r->crls)
        return;
    mh_der d;
    mh_der_elem e;
    mh_der_init(&d, r->crls, r->crls_len);
    for (size_t n = 0; !mh_der_empty(&d) && n < MH_VAL_MAX_CRLS; n++) {
        if (mh_der_next(&d, &e) != 0)
            break;
        if (e.tag == MH_DER_SEQUENCE)
            val_set_crl(s, e.raw, e.raw_len, VAL_SRC_CMS);
    }
}

void val_set_opts(val_set *s, mh_cms_verify_opts *o)
{
    memset(o, 0, sizeof *o);
    o->certs = s->der;
    o->cert_len = s->der_len;
    o->cert_n = s->ncerts;
}
