/*
 * cmd_cms.c - `mohur cms sign|verify` (CMS/CAdES) and
 * `mohur ts request|respond|verify` (RFC 3161 timestamps).
 */
#include "cli.h"
#include "cli_val.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mh_app_cms.h"
#include "mh_hash.h"
#include "mh_keys.h"
#include "mh_pki.h"

#define MAX_CERTS 16

/* ---- shared helpers ----------------------------------------------------- */

/* memmem is a GNU extension; this is the portable few lines. */
static const void *find(const void *hay, size_t n, const char *needle)
{
    size_t m = strlen(needle);
    const uint8_t *h = hay;
    for (size_t i = 0; m && i + m <= n; i++)
        if (h[i] == (uint8_t)needle[0] && memcmp(h + i, needle, m) == 0)
            return h + i;
    return NULL;
}

typedef struct certs {
    uint8_t *der[MAX_CERTS];
    size_t len[MAX_CERTS];
    size_t n;
} certs;

static void certs_free(certs *c)
{
    for (size_t i = 0; i < c->n; i++)
        free(c->der[i]);
    memset(c, 0, sizeof *c);
}

/* Reads every certificate of a file (PEM with one or more CERTIFICATE
 * blocks, or one DER certificate) and appends them to c. */
static int certs_read(certs *c, const char *path, const char *what)
{
    int ret = MH_EXIT_INPUT;
    uint8_t *file = NULL;
    size_t len = 0;

    ret = mh_cli_read_file(path, MH_CLI_SMALL_MAX, &file, &len);
    if (ret)
        goto out;
    ret = MH_EXIT_INPUT;
    if (find(file, len, "-----BEGIN") == NULL) {
        if (mh_x509_cert_check(file, len) || c->n == MAX_CERTS) {
            ret = mh_cli_error(MH_EXIT_INPUT, "reading %s %s: not a DER or PEM certificate", what,
                               path);
            goto out;
        }
        c->der[c->n] = file; /* transferred */
        c->len[c->n++] = len;
        file = NULL;
        ret = MH_EXIT_OK;
        goto out;
    }
    size_t off = 0, found = 0;
    while (off < len) {
        uint8_t *der = NULL;
        size_t der_len = 0, used = 0;
        int rc = mh_keys_pem_read((const char *)file + off, "CERTIFICATE", &der, &der_len, &used);
        if (rc == MH_ERR_NOT_FOUND)
            break;
        if (rc == MH_ERR_NOMEM) {
            ret = mh_cli_fail(rc, "reading %s", path);
            goto out;
        }
        if (rc || c->n == MAX_CERTS || mh_x509_cert_check(der, der_len)) {
            free(der);
            ret = mh_cli_error(MH_EXIT_INPUT, "reading %s %s: a certificate is malformed%s", what,
                               path, c->n == MAX_CERTS ? " (or too many)" : "");
            goto out;
        }
        c->der[c->n] = der; /* transferred */
        c->len[c->n++] = der_len;
        off += used;
        found++;
    }
    if (!found) {
        ret = mh_cli_error(MH_EXIT_INPUT, "reading %s %s: no CERTIFICATE in it", what, path);
        goto out;
    }
    ret = MH_EXIT_OK;
out:
    free(file);
    return ret;
}

/* A signing key: a token key by URI, or a software key file; sg signs. */
typedef struct key {
    mh_cli_ctx c;
    mh_keys_file *file;
    mh_signer sg;
} key;

static void key_close(key *k)
{
    mh_keys_file_close(k->file);
    k->file = NULL;
    mh_cli_close(&k->c);
}

/* Opens the key; on failure nothing stays open. */
static int key_open(key *k, const char *uri, const char *file, const char *module)
{
    int rc, ret;
    memset(k, 0, sizeof *k);
    if (file) {
        rc = mh_keys_file_open(file, &k->file);
        if (rc)
            return mh_cli_fail(rc, "%s the key file %s", rc == MH_ERR_PARSE ? "reading" : "using",
                               file);
        k->sg = *mh_keys_file_signer(k->file);
        return MH_EXIT_OK;
    }
    ret = mh_cli_open_key(&k->c, uri, module, MH_CLI_LOGIN_ALWAYS);
    if (ret == MH_EXIT_OK && (rc = mh_hsm_key_signer(k->c.key, MH_SIG_AUTO, &k->sg)) != 0)
        ret = mh_cli_fail(rc, "using %s", k->c.key_name);
    if (ret)
        key_close(k);
    return ret;
}

/* CMS input: PEM ("-----BEGIN CMS/PKCS7-----"), base64 or DER/BER, made DER. */
static int read_cms(const char *path, uint8_t **der, size_t *der_len)
{
    uint8_t *file = NULL, *bin = NULL;
    size_t len = 0, blen = 0;
    int ret = mh_cli_read_file(path, MH_CLI_MSG_MAX, &file, &len);
    if (ret)
        return ret;
    ret = MH_EXIT_INPUT;
    const uint8_t *p = file;
    size_t n = len;
    const char *b = find(file, len, "-----BEGIN");
    if (b) {
        const char *s = memchr(b, '\n', len - (size_t)((const uint8_t *)b - file));
        const char *e = s ? find(s, len - (size_t)((const uint8_t *)s - file), "-----END") : NULL;
        if (!s || !e || mh_cli_unbase64((const uint8_t *)s, (size_t)(e - s), &bin, &blen)) {
            ret = mh_cli_error(MH_EXIT_INPUT, "reading %s: malformed PEM", path);
            goto out;
        }
        p = bin;
        n = blen;
    } else if (len && file[0] != 0x30 && mh_cli_looks_base64(file, len)) {
        if (mh_cli_unbase64(file, len, &bin, &blen)) {
            ret = mh_cli_error(MH_EXIT_INPUT, "reading %s: malformed base64", path);
            goto out;
        }
        p = bin;
        n = blen;
    }
    size_t cap = n + n / 2 + 256;
    *der = malloc(cap);
    if (!*der) {
        ret = mh_cli_fail(MH_ERR_NOMEM, "reading %s", path);
        goto out;
    }
    int rc = mh_cms_ber_to_der(p, n, *der, cap, der_len);
    if (rc) {
        free(*der);
        *der = NULL;
        ret = mh_cli_fail(rc, "reading %s", path);
        goto out;
    }
    ret = MH_EXIT_OK;
out:
    free(file);
    free(bin);
    return ret;
}

static bool binary_to_tty(const char *out)
{
    return (!out || strcmp(out, "-") == 0) && isatty(STDOUT_FILENO);
}

static void time_text(int64_t t, char *buf, size_t cap)
{
    time_t tt = (time_t)t;
    struct tm tm;
    if (!gmtime_r(&tt, &tm) || !strftime(buf, cap, "%Y-%m-%dT%H:%M:%SZ", &tm))
        snprintf(buf, cap, "%lld", (long long)t);
}

static void cert_subject(const uint8_t *der, size_t len, char *buf, size_t cap)
{
    if (!der || mh_x509_cert_subject(der, len, MH_X509_NAME_TEXT, buf, cap) != 0) {
        snprintf(buf, cap, "(unknown)");
        return;
    }
    if (!buf[0])
        snprintf(buf, cap, "(no common name)");
}

/* Random positive serial / nonce bytes. */
static int random_bytes(uint8_t *b, size_t n)
{
    if (mh_rng_bytes(b, n))
        return MH_ERR_INTERNAL;
    b[0] = (uint8_t)((b[0] & 0x7f) | 0x01);
    return 0;
}

/* Adds a CAdES-B-T signature timestamp to the signature *sig by a local TSA
 * key (its certificate and chain in tsa_cert_path); *sig is replaced. */
static int local_timestamp(const char *tsa_uri, const char *tsa_file, const char *tsa_cert_path,
                           const char *module, uint8_t **sig, size_t *sig_len)
{
    key k;
    certs tc;
    uint8_t *bt = NULL;
    size_t bt_len = 0;
    enum mh_app_ts_step step;
    int ret, rc;

    memset(&tc, 0, sizeof tc);
    memset(&k, 0, sizeof k);
    ret = certs_read(&tc, tsa_cert_path, "the TSA certificate");
    if (ret)
        goto out;
    ret = key_open(&k, tsa_uri, tsa_file, module);
    if (ret)
        goto out;
    mh_tsa tsa;
    memset(&tsa, 0, sizeof tsa);
    tsa.key = &k.sg;
    tsa.cert = tc.der[0];
    tsa.cert_len = tc.len[0];
    tsa.chain = (const uint8_t *const *)tc.der + 1;
    tsa.chain_len = tc.len + 1;
    tsa.chain_n = tc.n - 1;
    tsa.md = MBEDTLS_MD_SHA256;
    tsa.accuracy_s = 1;
    rc = mh_app_cms_timestamp(*sig, *sig_len, &tsa, &bt, &bt_len, &step);
    if (rc) {
        ret = step == MH_APP_TS_SIG_VALUE ? mh_cli_fail(rc, "reading the signature back")
              : step == MH_APP_TS_PREPARE ? mh_cli_fail(MH_ERR_INTERNAL, "preparing the timestamp")
              : step == MH_APP_TS_TOKEN
                  ? mh_cli_fail(rc, "timestamping the signature with the TSA key")
                  : mh_cli_fail(rc, "adding the timestamp");
        goto out;
    }
    free(*sig);
    *sig = bt; /* transferred */
    *sig_len = bt_len;
    ret = MH_EXIT_OK;
out:
    key_close(&k);
    certs_free(&tc);
    return ret;
}

/* ---- cms sign ----------------------------------------------------------- */

struct sign_args {
    const char *keyuri;
    const char *keyfile;
    const char *certp;
    const char *chainp;
    const char *in;
    const char *outp;
    bool detached;
    bool pss;
    const char *hash;
    bool pem;
    const char *tsa_uri;
    const char *tsa_file;
    const char *tsa_cert;
    const char *module;
    bool pdf;
};
static const struct mh_cli_opt cms_sign_rows[] = {
    {MH_CLI_KEY(struct sign_args, keyuri), .shrt = 'k',
     .help = "the signing key (RFC 7512 PKCS#11 URI; add ?pin-source=file:PATH to log in without a "
             "prompt)"},
    {MH_CLI_STR(struct sign_args, keyfile, "key-file", "FILE"), .shrt = 'K',
     .help = "a software key in a PEM/DER file instead (tests, migration)"},
    {MH_CLI_STR(struct sign_args, certp, "cert", "FILE"), .shrt = 'c',
     .help = "the signer's certificate (PEM or DER)"},
    {MH_CLI_STR(struct sign_args, chainp, "chain", "FILE"), .shrt = 'C',
     .help = "more certificates to include (PEM, one or more)"},
    {MH_CLI_IN(struct sign_args, in), .shrt = 'i',
     .help = "the file to sign ('-': standard input)"},
    {MH_CLI_OUT(struct sign_args, outp), .shrt = 'o',
     .help = "where to write the signature (default: standard output)"},
    {MH_CLI_FLAG(struct sign_args, detached, "detached"), .shrt = 'd',
     .help = "leave the content out (a .p7s beside the file)"},
    {MH_CLI_FLAG(struct sign_args, pdf, "pdf"), .shrt = 'F',
     .help = "FILE is a PDF prepared for an outside signature ('mohur pdf prepare', or mohurd's "
             "/api/v1/cosign/prepare): sign the bytes its /ByteRange covers, detached, for 'mohur "
             "pdf embed'"},
    {MH_CLI_FLAG(struct sign_args, pss, "pss"), .shrt = 'p',
     .help = "RSA keys: sign with RSASSA-PSS instead of PKCS#1 v1.5"},
    {MH_CLI_STR(struct sign_args, hash, "hash", "H"), .shrt = 'H',
     .help = "sha256 (default), sha384 or sha512"},
    {MH_CLI_FLAG(struct sign_args, pem, "pem"), .shrt = 'P',
     .help = "write PEM (\"-----BEGIN CMS-----\") instead of DER"},
    {MH_CLI_STR(struct sign_args, tsa_uri, "tsa-key", "URI"), .shrt = 't',
     .help = "timestamp the signature with this TSA key (CAdES-B-T)"},
    {MH_CLI_STR(struct sign_args, tsa_file, "tsa-key-file", "F"), .shrt = 'T',
     .help = "the TSA key as a software key file"},
    {MH_CLI_STR(struct sign_args, tsa_cert, "tsa-cert", "FILE"), .shrt = 'x',
     .help = "the TSA's certificate (critical EKU timeStamping) and chain"},
    {MH_CLI_MODULE(struct sign_args, module), .shrt = 'm'},
    {0}};
static const struct mh_cli_spec cms_sign_spec = {
    .usage = "mohur cms sign --key URI --cert FILE --in FILE [--out FILE] [options]",
    .about = "Signs a file as CMS SignedData with the CAdES-B-B attributes (content-type,\n"
             "message-digest, signing-time, signing-certificate-v2), DER. With a TSA key\n"
             "it adds an RFC 3161 signature timestamp (CAdES-B-T). `openssl cms -verify`\n"
             "accepts the result.\n",
    .opts = cms_sign_rows,
    .more = "Example:\n"
            "  mohur cms sign --key 'pkcs11:token=Seal;object=notary?pin-source=file:pin' \\\n"
            "      --cert notary.pem --in act.pdf --detached --out act.pdf.p7s\n",
};

/* The option checks of cms sign that the table cannot say. */
static int cms_sign_usage(const struct sign_args *a, mbedtls_md_type_t *md)
{
    if (!a->keyuri == !a->keyfile)
        return mh_cli_usage("give the signing key: --key URI (or --key-file FILE)");
    if (!a->certp || !a->in)
        return mh_cli_usage("--cert and --in are required");
    if ((a->tsa_uri || a->tsa_file) && !a->tsa_cert)
        return mh_cli_usage("--tsa-key needs --tsa-cert (the TSA's certificate)");
    if (a->tsa_uri && a->tsa_file)
        return mh_cli_usage("give --tsa-key or --tsa-key-file, not both");
    *md = mh_cli_hash_from_name(a->hash);
    if (*md != MBEDTLS_MD_SHA256 && *md != MBEDTLS_MD_SHA384 && *md != MBEDTLS_MD_SHA512)
        return mh_cli_usage("unknown --hash '%.20s': use sha256, sha384 or sha512", a->hash);
    if (!a->pem && binary_to_tty(a->outp))
        return mh_cli_usage(
            "not writing a binary signature to a terminal; use --out FILE or --pem");
    return MH_EXIT_OK;
}

/* Writes the signature, DER or PEM. */
static int write_cms(const char *outp, bool pem, const uint8_t *sig, size_t sig_len)
{
    if (!pem)
        return mh_cli_write_file(outp, sig, sig_len, 0644);
    char *pemtxt = NULL;
    size_t pl = 0;
    int rc = mh_cli_pem("CMS", sig, sig_len, &pemtxt, &pl);
    int ret = rc ? mh_cli_fail(rc, "encoding PEM") : mh_cli_write_file(outp, pemtxt, pl, 0644);
    free(pemtxt);
    return ret;
}

/* Signs content with the key (closed again before it returns: one module
 * instance at a time, and the TSA key may come next). */
static int sign_with(const struct sign_args *a, const certs *cs, mbedtls_md_type_t md,
                     const uint8_t *content, size_t content_len, uint8_t **sig, size_t *sig_len)
{
    key k;
    int ret = key_open(&k, a->keyuri, a->keyfile, a->module);
    if (ret)
        return ret;
    if (a->pss && k.sg.alg != MH_SIG_RSA_PKCS1) {
        ret = mh_cli_usage("--pss needs an RSA key");
        goto out;
    }
    if (a->pss)
        k.sg.alg = MH_SIG_RSA_PSS; /* both signers sign as their alg says */
    mh_app_cms_signing s = {.key = &k.sg,
                            .certs = (const uint8_t *const *)cs->der,
                            .cert_len = cs->len,
                            .n_certs = cs->n,
                            .md = md,
                            .detached = a->detached || a->pdf};
    int rc = mh_app_cms_sign(&s, content, content_len, sig, sig_len);
    ret = rc ? mh_cli_fail(rc, "signing %s", a->in) : MH_EXIT_OK;
out:
    key_close(&k);
    return ret;
}

static int cmd_cms_sign(int argc, char **argv)
{
    struct sign_args a = {.hash = "sha256"};
    mbedtls_md_type_t md = MBEDTLS_MD_SHA256;
    int ret, rc;
    certs cs;
    uint8_t *content = NULL, *sig = NULL;
    size_t content_len = 0, sig_len = 0;

    memset(&cs, 0, sizeof cs);
    ret = mh_cli_parse(&cms_sign_spec, argc, argv, &a);
    if (ret) {
        ret = ret < 0 ? MH_EXIT_OK : ret;
        goto out;
    }
    if ((ret = cms_sign_usage(&a, &md)) != 0)
        goto out;
    ret = certs_read(&cs, a.certp, "the certificate");
    if (ret)
        goto out;
    if (a.chainp && (ret = certs_read(&cs, a.chainp, "the chain")) != 0)
        goto out;
    ret = mh_cli_read_file(a.in, MH_CLI_MSG_MAX, &content, &content_len);
    if (ret)
        goto out;
    /* a prepared PDF: the signed bytes are the file without the placeholder's gap */
    if (a.pdf && (rc = mh_app_cms_pdf_content(content, &content_len)) != 0) {
        ret = mh_cli_fail(rc, "%s is not a PDF prepared for a signature", a.in);
        goto out;
    }
    ret = sign_with(&a, &cs, md, content, content_len, &sig, &sig_len);
    if (ret)
        goto out;
    if (a.tsa_uri || a.tsa_file) {
        ret = local_timestamp(a.tsa_uri, a.tsa_file, a.tsa_cert, a.module, &sig, &sig_len);
        if (ret)
            goto out;
    }
    ret = write_cms(a.outp, a.pem, sig, sig_len);
out:
    certs_free(&cs);
    free(content);
    free(sig);
    return ret;
}

/* ---- cms verify --------------------------------------------------------- */

struct verify_args {
    const char *in;
    const char *contentp;
    const char *outp;
    bool json;
    bool legacy;
    const char *cas[8], *extra[8];
    size_t n_ca, n_extra;
    mh_cli_val_opts vopt;
};
/* --certs: an untrusted certificate for the CMS check and for the validation */
static int add_certs(void *base, const struct mh_cli_opt *row, const char *v)
{
    struct verify_args *o = base;
    (void)row;
    if (o->n_extra == 8)
        return mh_cli_usage("at most 8 --certs files");
    o->extra[o->n_extra++] = v;
    return mh_cli_val_opt(&o->vopt, 'C', v);
}

static const struct mh_cli_opt cms_verify_rows[] = {
    {MH_CLI_IN(struct verify_args, in), .shrt = 'i', .help = "the signature"},
    {MH_CLI_STR(struct verify_args, contentp, "content", "FILE"), .shrt = 'c',
     .help = "the signed file, for a detached signature"},
    {MH_CLI_LIST(struct verify_args, cas, n_ca, "ca", "FILE"), .shrt = 'a',
     .err = "at most 8 --ca files", .help = "trusted CA certificates (PEM or DER; repeatable)"},
    {MH_CLI_CALL("certs", "FILE", add_certs), .shrt = 'C',
     .help = "more (untrusted) certificates: intermediates, a TSA's certificate"},
    {MH_CLI_INCLUDE(struct verify_args, vopt, mh_cli_val_rows)},
    {MH_CLI_OUT(struct verify_args, outp), .shrt = 'o',
     .help = "write the enveloped content there"},
    {MH_CLI_FLAG(struct verify_args, legacy, "legacy"), .shrt = 'L',
     .help = "accept SHA-1 and RSA keys under 2048 bits (old archives only; refused by default)"},
    {MH_CLI_JSON(struct verify_args, json), .shrt = 'j'},
    {0}};
static const struct mh_cli_spec cms_verify_spec = {
    .usage =
        "mohur cms verify --in FILE.p7s [--content FILE] [--ca FILE]... [--json]\n"
        "       mohur cms verify --in FILE.p7s [--content FILE] --trust PATH... [--crl FILE]...",
    .about = "Verifies a CMS SignedData (DER, BER, PEM or base64): for each signer, its\n"
             "content-type and message-digest attributes, signing-certificate-v2, the\n"
             "signature, and an RFC 3161 signature timestamp if there is one (one that\n"
             "does not verify fails the signer). With --ca the signer's certificate must\n"
             "chain to one of those CAs at the time of the timestamp (else of the\n"
             "signing-time). Prints one line per signer; exits 0 when every signer is\n"
             "valid, 1 when one is not.\n"
             "\n"
             "With --trust it also validates each signer as ETSI EN 319 102-1 does\n"
             "(docs/validation.md): the signature timestamps and their authorities, the\n"
             "signer's path at the time a timestamp proves (else now) with revocation by\n"
             "the CRLs the signature carries and --crl gives, the attributes mohur cannot\n"
             "check; and reports TOTAL-PASSED, INDETERMINATE or TOTAL-FAILED with the\n"
             "sub-indication. Exit status then: 0 TOTAL-PASSED, 1 TOTAL-FAILED,\n"
             "10 INDETERMINATE.\n",
    .opts = cms_verify_rows,
    .more = "Example:\n"
            "  mohur cms verify --in act.pdf.p7s --content act.pdf --ca root.pem\n",
};

static const char *sig_alg_name(enum mh_sig_alg a, bool json)
{
    return a == MH_SIG_RSA_PKCS1 ? (json ? "RSA PKCS#1 v1.5" : "RSA")
           : a == MH_SIG_RSA_PSS ? (json ? "RSASSA-PSS" : "RSA-PSS")
           : a == MH_SIG_ECDSA   ? "ECDSA"
           : a == MH_SIG_DSA     ? "DSA"
                                 : "unknown";
}

static void json_time(mh_json *j, bool has, int64_t t)
{
    char buf[40];
    if (!has) {
        mh_json_null(j);
        return;
    }
    time_text(t, buf, sizeof buf);
    mh_json_str(j, buf);
}

static void cms_verify_json(const mh_val_cms_check *c, bool etsi)
{
    mh_json j;
    mh_json_init(&j, stdout);
    mh_json_obj_begin(&j);
    mh_json_key(&j, "valid");
    mh_json_bool(&j, c->all);
    mh_json_key(&j, "detached");
    mh_json_bool(&j, c->cms.detached);
    mh_json_key(&j, "signers");
    mh_json_arr_begin(&j);
    for (size_t i = 0; i < c->cms.n_signers; i++) {
        const mh_cms_signer_result *s = &c->cms.signers[i];
        char subj[256];
        cert_subject(s->cert, s->cert_len, subj, sizeof subj);
        mh_json_obj_begin(&j);
        mh_json_key(&j, "valid");
        mh_json_bool(&j, c->valid[i]);
        mh_json_key(&j, "signature_valid");
        mh_json_bool(&j, s->status == 0);
        mh_json_key(&j, "trusted");
        if (c->with_ca)
            mh_json_bool(&j, c->trusted[i]);
        else
            mh_json_null(&j);
        mh_json_key(&j, "reason");
        mh_json_str(&j, c->why[i][0] ? c->why[i] : "valid");
        mh_json_key(&j, "subject");
        mh_json_str(&j, subj);
        mh_json_key(&j, "digest");
        mh_json_str(&j, mh_cms_md_name(s->md));
        mh_json_key(&j, "signature_algorithm");
        mh_json_str(&j, sig_alg_name(s->sig, true));
        mh_json_key(&j, "signing_time");
        json_time(&j, s->has_signing_time, s->signing_time);
        mh_json_key(&j, "timestamp");
        json_time(&j, s->has_tst && s->tst_status == 0, s->tst_time);
        mh_json_obj_end(&j);
    }
    mh_json_arr_end(&j);
    if (etsi) {
        mh_json_key(&j, "etsi");
        if (c->report)
            mh_cli_val_json(&j, c->report);
        else
            mh_json_null(&j);
    }
    mh_json_obj_end(&j);
    mh_json_end(&j);
}

static void cms_verify_text(const mh_val_cms_check *c, bool etsi)
{
    for (size_t i = 0; i < c->cms.n_signers; i++) {
        const mh_cms_signer_result *s = &c->cms.signers[i];
        char subj[256], t[40], tt[80];
        cert_subject(s->cert, s->cert_len, subj, sizeof subj);
        if (s->has_signing_time)
            time_text(s->signing_time, t, sizeof t);
        else
            snprintf(t, sizeof t, "no signing time");
        tt[0] = 0;
        if (s->has_tst) {
            char x[40];
            if (s->tst_status == 0) {
                time_text(s->tst_time, x, sizeof x);
                snprintf(tt, sizeof tt, ", timestamp %s", x);
            } else {
                snprintf(tt, sizeof tt, ", timestamp NOT valid");
            }
        }
        printf("signer %zu: %s: %s, %s%s, %s/%s", i + 1, c->valid[i] ? "valid" : "NOT valid", subj,
               t, tt, mh_cms_md_name(s->md), sig_alg_name(s->sig, false));
        if (c->why[i][0])
            printf(" (%s)", c->why[i]);
        else if (!c->with_ca && !etsi)
            printf(" (signature only: give --trust to validate the certificate)");
        putchar('\n');
        if (s->has_tst && s->tst_status)
            fprintf(stderr, "mohur: signer %zu: the timestamp did not verify\n", i + 1);
    }
}

/* The option checks of cms verify that the table cannot say. */
static int cms_verify_usage(const struct verify_args *a)
{
    if (!a->in)
        return mh_cli_usage("--in is required (the signature file)");
    if (a->vopt.ncrl && !a->vopt.ntrust)
        return mh_cli_usage("--crl goes with --trust (the ETSI validation)");
    if (a->vopt.ntrust && a->legacy)
        return mh_cli_usage("--legacy cannot go with --trust: the validation policy refuses "
                            "SHA-1 and short RSA keys");
    return MH_EXIT_OK;
}

static int cmd_cms_verify(int argc, char **argv)
{
    struct verify_args a = {0};
    mh_val_ctx *vctx = NULL;
    int ret, rc;
    uint8_t *cms = NULL, *content = NULL;
    size_t cms_len = 0, content_len = 0;
    certs ca, ex;
    mh_val_cms_check *chk = NULL;

    memset(&ca, 0, sizeof ca);
    memset(&ex, 0, sizeof ex);
    ret = mh_cli_parse(&cms_verify_spec, argc, argv, &a);
    if (ret) {
        ret = ret < 0 ? MH_EXIT_OK : ret;
        goto out;
    }
    if ((ret = cms_verify_usage(&a)) != 0)
        goto out;
    if (a.vopt.ntrust && (ret = mh_cli_val_ctx(&a.vopt, &vctx)) != 0)
        goto out;
    for (size_t i = 0; i < a.n_ca; i++)
        if ((ret = certs_read(&ca, a.cas[i], "the CA file")))
            goto out;
    for (size_t i = 0; i < a.n_extra; i++)
        if ((ret = certs_read(&ex, a.extra[i], "the certificates file")))
            goto out;
    ret = read_cms(a.in, &cms, &cms_len);
    if (ret)
        goto out;
    if (a.contentp) {
        ret = mh_cli_read_file(a.contentp, MH_CLI_MSG_MAX, &content, &content_len);
        if (ret)
            goto out;
    }
    mh_val_cms_in in = {.cms = cms,
                        .cms_len = cms_len,
                        .content = content,
                        .content_len = content_len,
                        .certs = (const uint8_t *const *)ex.der,
                        .cert_len = ex.len,
                        .n_certs = ex.n,
                        .ca = (const uint8_t *const *)ca.der,
                        .ca_len = ca.len,
                        .n_ca = ca.n,
                        .legacy = a.legacy,
                        .ctx = vctx};
    rc = mh_val_cms_check_run(&in, &chk);
    if (rc) {
        ret = mh_cli_fail(rc, "%s %s", chk && chk->validating ? "validating" : "verifying", a.in);
        goto out;
    }
    if (a.json)
        cms_verify_json(chk, vctx != NULL);
    else
        cms_verify_text(chk, vctx != NULL);
    rc = chk->cms_rc;
    if (!chk->all && !a.json && rc && rc != MH_ERR_VERIFY_FAILED)
        fprintf(stderr, "mohur: %s: %s\n", a.in, mh_err_message(rc));
    if (chk->report && !a.json) {
        putchar('\n');
        mh_cli_val_print(chk->report, a.in);
    }
    if (chk->verdict && a.outp && chk->cms.content)
        ret = mh_cli_write_file(a.outp, chk->cms.content, chk->cms.content_len, 0644);
    else if (chk->report)
        ret = mh_cli_val_exit(chk->report);
    else
        ret = chk->verdict ? MH_EXIT_OK : MH_EXIT_INVALID;
out:
    mh_val_cms_check_free(chk);
    mh_val_ctx_free(vctx);
    certs_free(&ca);
    certs_free(&ex);
    free(cms);
    free(content);
    return ret;
}

/* ---- ts request / respond / verify -------------------------------------- */

struct req_args {
    const char *in;
    const char *outp;
    const char *hash;
    bool no_nonce;
    bool no_cert;
};
static const struct mh_cli_opt ts_request_rows[] = {
    {MH_CLI_IN(struct req_args, in), .shrt = 'i', .flags = MH_CLI_REQUIRED,
     .help = "the file to timestamp"},
    {MH_CLI_STR(struct req_args, outp, "out", "REQ.tsq"), .shrt = 'o', .flags = MH_CLI_REQUIRED,
     .help = "where to write the request (DER)"},
    {MH_CLI_STR(struct req_args, hash, "hash", "H"), .shrt = 'H',
     .help = "sha256 (default), sha384 or sha512"},
    {MH_CLI_FLAG(struct req_args, no_nonce, "no-nonce"), .shrt = 'N',
     .help = "leave the random nonce out"},
    {MH_CLI_FLAG(struct req_args, no_cert, "no-cert"), .shrt = 'C',
     .help = "do not ask the TSA for its certificate"},
    {0}};
static const struct mh_cli_spec ts_request_spec = {
    .usage = "mohur ts request --in FILE --out REQ.tsq [--hash H] [--no-nonce] [--no-cert]",
    .about = "Writes an RFC 3161 TimeStampReq for a file: its hash, a random 64-bit\n"
             "nonce and certReq (the TSA includes its certificate).\n",
    .opts = ts_request_rows,
    .more = "Example:\n  mohur ts request --in act.pdf --out act.tsq\n",
};

static int cmd_ts_request(int argc, char **argv)
{
    struct req_args a = {.hash = "sha256"};
    const char *in = NULL, *outp = NULL, *hash = "sha256";
    bool nonce = true, cert = true;
    int ret;
    uint8_t *data = NULL;
    size_t len = 0;

    ret = mh_cli_parse(&ts_request_spec, argc, argv, &a);
    if (ret) {
        ret = ret < 0 ? MH_EXIT_OK : ret;
        goto out;
    }
    in = a.in;
    outp = a.outp;
    hash = a.hash;
    nonce = !a.no_nonce;
    cert = !a.no_cert;
    mbedtls_md_type_t md = mh_cli_hash_from_name(hash);
    if ((md != MBEDTLS_MD_SHA256 && md != MBEDTLS_MD_SHA384 && md != MBEDTLS_MD_SHA512)) {
        ret = mh_cli_usage("unknown --hash '%.20s': use sha256, sha384 or sha512", hash);
        goto out;
    }
    ret = mh_cli_read_file(in, MH_CLI_MSG_MAX, &data, &len);
    if (ret)
        goto out;
    uint8_t dig[64], der[512];
    size_t der_len = 0, dig_len = 0;
    mh_tsp_req req;
    if (mh_hash_md(md, data, len, dig, sizeof dig, &dig_len) ||
        mh_tsp_req_init(&req, md, dig, dig_len)) {
        ret = mh_cli_fail(MH_ERR_INTERNAL, "hashing %s", in);
        goto out;
    }
    req.cert_req = cert;
    if (nonce) {
        req.has_nonce = true;
        req.nonce_len = 8;
        if (random_bytes(req.nonce, 8)) {
            ret = mh_cli_fail(MH_ERR_INTERNAL, "making a nonce");
            goto out;
        }
    }
    int rc = mh_tsp_req_encode(&req, der, sizeof der, &der_len);
    if (rc) {
        ret = mh_cli_fail(rc, "encoding the request");
        goto out;
    }
    ret = mh_cli_write_file(outp, der, der_len, 0644);
out:
    free(data);
    return ret;
}

struct resp_args {
    const char *keyuri;
    const char *keyfile;
    const char *certp;
    const char *in;
    const char *outp;
    const char *hash;
    const char *module;
};
static const struct mh_cli_opt ts_respond_rows[] = {
    {MH_CLI_KEY(struct resp_args, keyuri), .shrt = 'k', .help = "the TSA key"},
    {MH_CLI_STR(struct resp_args, keyfile, "key-file", "FILE"), .shrt = 'K',
     .help = "instead of --key: the TSA key as a software key file"},
    {MH_CLI_STR(struct resp_args, certp, "cert", "FILE"), .shrt = 'c',
     .help = "the TSA certificate (and chain after it, PEM)"},
    {MH_CLI_IN(struct resp_args, in), .shrt = 'i', .help = "the request"},
    {MH_CLI_OUT(struct resp_args, outp), .shrt = 'o', .help = "the response"},
    {MH_CLI_STR(struct resp_args, hash, "hash", "H"), .shrt = 'H',
     .help = "of the token's signature: sha256 (default), sha384, sha512"},
    {MH_CLI_MODULE(struct resp_args, module), .shrt = 'm'},
    {0}};
static const struct mh_cli_spec ts_respond_spec = {
    .usage = "mohur ts respond --key URI --cert FILE --in REQ.tsq --out RESP.tsr",
    .about = "Answers an RFC 3161 request as a timestamp authority: a TimeStampResp\n"
             "with a token signed by the TSA key (policy 0.4.0.2023.1.1, the ETSI\n"
             "baseline policy; genTime now; accuracy 1 s; a random 128-bit serial), or a\n"
             "rejection with its failInfo for a bad request (the exit status is then 1).\n"
             "The certificate must have the critical extended key usage timeStamping.\n",
    .opts = ts_respond_rows,
};

static int cmd_ts_respond(int argc, char **argv)
{
    struct resp_args a = {.hash = "sha256"};
    const char *keyuri = NULL, *keyfile = NULL, *certp = NULL, *in = NULL, *outp = NULL,
               *hash = "sha256", *module = NULL;
    int ret, rc;
    certs cs;
    key k;
    bool key_ok = false;
    uint8_t *req = NULL, out[32768];
    size_t req_len = 0, out_len = 0;

    memset(&cs, 0, sizeof cs);
    ret = mh_cli_parse(&ts_respond_spec, argc, argv, &a);
    if (ret) {
        ret = ret < 0 ? MH_EXIT_OK : ret;
        goto out;
    }
    keyuri = a.keyuri;
    keyfile = a.keyfile;
    certp = a.certp;
    in = a.in;
    outp = a.outp;
    hash = a.hash;
    module = a.module;
    if (!keyuri == !keyfile || !certp || !in || !outp) {
        ret = mh_cli_usage("--key (or --key-file), --cert, --in and --out are required");
        goto out;
    }
    mbedtls_md_type_t md = mh_cli_hash_from_name(hash);
    if (md != MBEDTLS_MD_SHA256 && md != MBEDTLS_MD_SHA384 && md != MBEDTLS_MD_SHA512) {
        ret = mh_cli_usage("unknown --hash '%.20s': use sha256, sha384 or sha512", hash);
        goto out;
    }
    ret = certs_read(&cs, certp, "the TSA certificate");
    if (ret)
        goto out;
    ret = mh_cli_read_file(in, MH_TSP_MAX_REQ, &req, &req_len);
    if (ret)
        goto out;
    ret = key_open(&k, keyuri, keyfile, module);
    key_ok = true;
    if (ret)
        goto out;
    uint8_t serial[16];
    if (random_bytes(serial, sizeof serial)) {
        ret = mh_cli_fail(MH_ERR_INTERNAL, "making a serial number");
        goto out;
    }
    mh_tsa tsa;
    memset(&tsa, 0, sizeof tsa);
    tsa.key = &k.sg;
    tsa.cert = cs.der[0];
    tsa.cert_len = cs.len[0];
    tsa.chain = (const uint8_t *const *)cs.der + 1;
    tsa.chain_len = cs.len + 1;
    tsa.chain_n = cs.n - 1;
    tsa.md = md;
    tsa.accuracy_s = 1;
    int status = 2;
    rc = mh_tsa_respond(&tsa, req, req_len, serial, sizeof serial, (int64_t)time(NULL), out,
                        sizeof out, &out_len, &status);
    if (rc) {
        ret = mh_cli_fail(rc, "answering the timestamp request");
        goto out;
    }
    ret = mh_cli_write_file(outp, out, out_len, 0644);
    if (ret == MH_EXIT_OK && status != 0) {
        fprintf(stderr, "mohur: the request was rejected (the response says why)\n");
        ret = MH_EXIT_INVALID;
    }
out:
    if (key_ok)
        key_close(&k);
    certs_free(&cs);
    free(req);
    return ret;
}

struct tsv_args {
    const char *in;
    const char *reqp;
    const char *datap;
    const char *cap;
    const char *certsp;
    bool token;
};
static const struct mh_cli_opt ts_verify_rows[] = {
    {MH_CLI_IN(struct tsv_args, in), .shrt = 'i',
     .help = "the response (or a bare token with --token)"},
    {MH_CLI_FLAG(struct tsv_args, token, "token"), .shrt = 't',
     .help = "--in holds a bare token (ContentInfo), not a response"},
    {MH_CLI_STR(struct tsv_args, reqp, "request", "FILE"), .shrt = 'r',
     .help = "the request it answers"},
    {MH_CLI_STR(struct tsv_args, datap, "data", "FILE"), .shrt = 'd',
     .help = "the timestamped file (instead of --request)"},
    {MH_CLI_STR(struct tsv_args, cap, "ca", "FILE"), .shrt = 'a',
     .help = "trusted CA certificates"},
    {MH_CLI_STR(struct tsv_args, certsp, "certs", "FILE"), .shrt = 'C',
     .help = "more certificates (the TSA's, if the token omits it)"},
    {0}};
static const struct mh_cli_spec ts_verify_spec = {
    .usage = "mohur ts verify --in RESP.tsr (--request REQ.tsq | --data FILE) --ca FILE",
    .about = "Checks an RFC 3161 response: status granted, the token's signature, the\n"
             "TSA certificate's critical timeStamping EKU and its chain to --ca at the\n"
             "timestamp's time, and that it is for the request (imprint, nonce, policy)\n"
             "or for the file. Prints the time; exits 0 when valid, 1 when not.\n",
    .opts = ts_verify_rows,
};

static int cmd_ts_verify(int argc, char **argv)
{
    struct tsv_args a = {0};
    const char *in = NULL, *reqp = NULL, *datap = NULL, *cap = NULL, *certsp = NULL;
    bool token = false;
    int ret, rc;
    uint8_t *resp = NULL, *reqd = NULL, *data = NULL;
    size_t resp_len = 0, reqd_len = 0, data_len = 0;
    certs ca, ex;
    mh_tsp_req req;
    mh_tsp_info info;

    memset(&ca, 0, sizeof ca);
    memset(&ex, 0, sizeof ex);
    ret = mh_cli_parse(&ts_verify_spec, argc, argv, &a);
    if (ret) {
        ret = ret < 0 ? MH_EXIT_OK : ret;
        goto out;
    }
    in = a.in;
    reqp = a.reqp;
    datap = a.datap;
    cap = a.cap;
    certsp = a.certsp;
    token = a.token;
    if (!in || !cap || !reqp == !datap) {
        ret = mh_cli_usage("--in, --ca and one of --request or --data are required");
        goto out;
    }
    if ((ret = certs_read(&ca, cap, "the CA file")))
        goto out;
    if (certsp && (ret = certs_read(&ex, certsp, "the certificates file")))
        goto out;
    ret = mh_cli_read_file(in, MH_CLI_SMALL_MAX, &resp, &resp_len);
    if (ret)
        goto out;
    if (reqp) {
        ret = mh_cli_read_file(reqp, MH_TSP_MAX_REQ, &reqd, &reqd_len);
        if (ret)
            goto out;
        rc = mh_tsp_req_parse(reqd, reqd_len, &req);
        if (rc) {
            ret = mh_cli_fail(rc, "reading the request %s", reqp);
            goto out;
        }
    } else {
        ret = mh_cli_read_file(datap, MH_CLI_MSG_MAX, &data, &data_len);
        if (ret)
            goto out;
    }
    mh_cms_verify_opts vo;
    memset(&vo, 0, sizeof vo);
    vo.certs = (const uint8_t *const *)ex.der;
    vo.cert_len = ex.len;
    vo.cert_n = ex.n;
    memset(&info, 0, sizeof info);
    if (token)
        rc = mh_tsp_token_verify(resp, resp_len, reqp ? &req : NULL, data, data_len, &vo, &info);
    else
        rc = mh_tsp_resp_verify(resp, resp_len, reqp ? &req : NULL, data, data_len, &vo, &info);
    if (rc) {
        /* the sentence says why; anything but malformed input is "did not verify" */
        ret = rc == MH_ERR_PARSE
                  ? mh_cli_fail(rc, "verifying %s", in)
                  : mh_cli_error(MH_EXIT_INVALID, "verifying %s: %s", in, mh_err_message(rc));
        goto out;
    }
    /* the TSA's chain, at the timestamp's time */
    const uint8_t *pool[MAX_CERTS];
    size_t pool_len[MAX_CERTS];
    for (size_t i = 0; i < ex.n; i++) {
        pool[i] = ex.der[i];
        pool_len[i] = ex.len[i];
    }
    /* the token's own certificates: verify again to list them */
    mh_cms_result *cr = calloc(1, sizeof *cr);
    if (!cr) {
        ret = mh_cli_fail(MH_ERR_NOMEM, "verifying");
        goto out;
    }
    const uint8_t *allp[MH_CMS_MAX_CERTS + MAX_CERTS];
    size_t alll[MH_CMS_MAX_CERTS + MAX_CERTS], na = 0;
    vo.flags = MH_CMS_NO_TST;
    if (mh_cms_verify(info.token, info.token_len, NULL, 0, &vo, cr) == 0) {
        for (size_t i = 0; i < cr->n_certs; i++) {
            allp[na] = cr->certs[i];
            alll[na++] = cr->cert_len[i];
        }
    }
    for (size_t i = 0; i < ex.n; i++) {
        allp[na] = pool[i];
        alll[na++] = pool_len[i];
    }
    char why[200], t[40], subj[256];
    rc = mh_val_cert_path(info.tsa_cert, info.tsa_cert_len, allp, alll, na,
                          (const uint8_t *const *)ca.der, ca.len, ca.n, info.gen_time, true, why,
                          sizeof why);
    free(cr);
    time_text(info.gen_time, t, sizeof t);
    cert_subject(info.tsa_cert, info.tsa_cert_len, subj, sizeof subj);
    if (rc) {
        printf("timestamp NOT valid: %s (TSA %s)\n", why, subj);
        ret = MH_EXIT_INVALID;
        goto out;
    }
    char serial[2 * MH_TSP_MAX_SERIAL + 3];
    mh_cli_hex_encode(info.serial, info.serial_len > MH_TSP_MAX_SERIAL + 1 ? 0 : info.serial_len,
                      serial, sizeof serial);
    printf("timestamp valid: %s, serial %s, %s imprint, TSA %s\n", t, serial,
           mh_cms_md_name(info.md), subj);
    ret = MH_EXIT_OK;
out:
    certs_free(&ca);
    certs_free(&ex);
    free(resp);
    free(reqd);
    free(data);
    return ret;
}

const struct mh_cli_cmd mh_cli_cms_cmds[] = {
    {"sign", "sign a file as CMS/CAdES (detached or enveloping, optional timestamp)",
     &cms_sign_spec, cmd_cms_sign, NULL},
    {"verify", "verify a CMS/CAdES signature and report each signer", &cms_verify_spec,
     cmd_cms_verify, NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

const struct mh_cli_cmd mh_cli_ts_cmds[] = {
    {"request", "make an RFC 3161 timestamp request for a file", &ts_request_spec, cmd_ts_request,
     NULL},
    {"respond", "answer a timestamp request as a TSA", &ts_respond_spec, cmd_ts_respond, NULL},
    {"verify", "check a timestamp response against its request or file", &ts_verify_spec,
     cmd_ts_verify, NULL},
    {NULL, NULL, NULL, NULL, NULL},
};
