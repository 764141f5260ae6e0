/*
 * cmd_pdf.c - `mohur pdf sign|prepare|embed|verify|info`: PAdES signatures
 * on PDFs (host/pdf), for tooling and tests. The product-level `mohur sign`
 * and `mohur verify` build on the same library.
 */
#include "cli.h"
#include "cli_val.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mh_app.h"
#include "mh_pdf.h"
#include "mh_pki.h"
#include "mh_qr.h"

struct pdf_opts {
    const char *in, *out, *key, *cert, *module, *cms, *qr;
    mh_pdf_sign_opts so;
    size_t ncaption;
    bool json;
    mh_pdf_slot slots[MH_PDF_MAX_SLOTS];
    mh_cli_val_opts val; /* verify: --trust, --crl */
};

/* Writes a whole file through a temporary file in the same directory, then
 * renames it: a failure never leaves a partial output behind. */
static int write_atomic(const char *path, const uint8_t *data, size_t len)
{
    int ret = MH_EXIT_INPUT;
    char tmp[PATH_MAX];
    int fd = -1;
    int n = snprintf(tmp, sizeof tmp, "%s.tmp-XXXXXX", path);
    if (n < 0 || (size_t)n >= sizeof tmp)
        return mh_cli_error(MH_EXIT_USAGE, "the output path is too long");
    fd = mkstemp(tmp);
    if (fd < 0)
        return mh_cli_error(MH_EXIT_INPUT, "writing %s: %s", path, strerror(errno));
    while (len > 0) {
        ssize_t w = write(fd, data, len);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            mh_cli_error(MH_EXIT_INPUT, "writing %s: %s", path, strerror(errno));
            goto out;
        }
        data += w;
        len -= (size_t)w;
    }
    if (fchmod(fd, 0644) != 0 || fsync(fd) != 0) {
        mh_cli_error(MH_EXIT_INPUT, "writing %s: %s", path, strerror(errno));
        goto out;
    }
    int fdc = fd;
    fd = -1;
    if (close(fdc) != 0 || rename(tmp, path) != 0) {
        mh_cli_error(MH_EXIT_INPUT, "writing %s: %s", path, strerror(errno));
        goto out;
    }
    ret = MH_EXIT_OK;
out:
    if (fd >= 0)
        close(fd);
    if (ret != MH_EXIT_OK)
        unlink(tmp);
    return ret;
}

static bool parse_rect(const char *s, double r[4])
{
    char *end;
    for (int i = 0; i < 4; i++) {
        errno = 0;
        r[i] = strtod(s, &end);
        if (errno || end == s)
            return false;
        if (i < 3 && *end != ',')
            return false;
        s = end + 1;
    }
    return *end == '\0';
}

static bool parse_size(const char *s, size_t min, size_t max, size_t *v)
{
    char *end;
    errno = 0;
    unsigned long long n = strtoull(s, &end, 10);
    if (errno || end == s || *end || s[0] == '-' || n < min || n > max)
        return false;
    *v = (size_t)n;
    return true;
}

/* --rect X,Y,W,H */
static int rect_opt(void *base, const struct mh_cli_opt *row, const char *v)
{
    struct pdf_opts *o = base;
    (void)row;
    if (!parse_rect(v, o->so.rect))
        return mh_cli_usage("--rect must be four numbers X,Y,W,H (points)");
    o->so.has_rect = true;
    return 0;
}

/* --slot [PAGE:]X,Y,W,H */
static int slot_opt(void *base, const struct mh_cli_opt *row, const char *v)
{
    struct pdf_opts *o = base;
    size_t n;
    (void)row;
    if (o->so.nslots >= MH_PDF_MAX_SLOTS)
        return mh_cli_usage("at most %d --slot options", MH_PDF_MAX_SLOTS);
    mh_pdf_slot *sl = &o->slots[o->so.nslots];
    const char *r = v, *colon = strchr(v, ':');
    if (colon) {
        char pg[16];
        size_t pl = (size_t)(colon - v);
        if (pl == 0 || pl >= sizeof pg)
            return mh_cli_usage("--slot must be [PAGE:]X,Y,W,H");
        memcpy(pg, v, pl);
        pg[pl] = '\0';
        if (!parse_size(pg, 1, 100000, &n))
            return mh_cli_usage("--slot must be [PAGE:]X,Y,W,H with a page number");
        sl->page = (unsigned)n;
        r = colon + 1;
    }
    if (!parse_rect(r, sl->rect))
        return mh_cli_usage("--slot must be [PAGE:]X,Y,W,H (points)");
    o->so.nslots++;
    o->so.slots = o->slots;
    return 0;
}

#define T struct pdf_opts
/* the rows of pdf sign, prepare, embed */
#define R_IN MH_CLI_IN(T, in), .shrt = 'i'
#define R_OUT MH_CLI_OUT(T, out), .shrt = 'o'
#define R_JSON MH_CLI_JSON(T, json), .shrt = 'j'
/* the stamp and the signature dictionary: sign and prepare */
static const struct mh_cli_opt layout_rows[] = {
    {MH_CLI_UINT(T, so.page, "page", "N", 1, 100000), .shrt = 'p',
     .err = "--page must be a page number (1 or more)",
     .help = "the page the stamp goes on (1 = first; default: the last)"},
    {MH_CLI_CALL("rect", "X,Y,W,H", rect_opt), .shrt = 'r',
     .help = "the stamp's place in points, from the lower-left corner of the page as displayed "
             "(default: lower right, 220 x 80)"},
    {MH_CLI_FLAG(T, so.invisible, "invisible"), .shrt = 'V',
     .help = "no stamp (an invisible signature)"},
    {MH_CLI_STR(T, qr, "qr", "TEXT"), .shrt = 'q',
     .help = "draw TEXT as a QR code in the stamp (e.g. the receipt URL)"},
    {MH_CLI_LIST(T, so.caption, ncaption, "caption", "LINE"), .shrt = 'C',
     .err = "at most 4 --caption lines",
     .help = "a line of the stamp's caption (up to 4; Latin-1 letters)"},
    {MH_CLI_STR(T, so.name, "name", "TEXT"), .shrt = 'n', .help = "the signer's name (/Name)"},
    {MH_CLI_STR(T, so.reason, "reason", "TEXT"), .shrt = 'R', .help = "why it is signed (/Reason)"},
    {MH_CLI_STR(T, so.location, "location", "TEXT"), .shrt = 'L',
     .help = "where it is signed (/Location)"},
    {MH_CLI_UINT(T, so.contents_cap, "contents-size", "N", 1024, MH_PDF_CONTENTS_MAX), .shrt = 'z',
     .err = "--contents-size must be 1024 to 65536",
     .help = "bytes reserved for the CMS signature (default 16384)"},
    {MH_CLI_FLAG(T, so.certify, "certify"), .shrt = 'T',
     .help = "certify the document (DocMDP; the first signature only)"},
    {MH_CLI_UINT(T, so.docmdp_p, "docmdp", "P", 1, 3), .shrt = 'D',
     .err = "--docmdp must be 1, 2 or 3",
     .help = "the certification's permission: 1 no changes, 2 (default) form filling and "
             "signing, 3 also annotations"},
    {MH_CLI_CALL("slot", "[PAGE:]X,Y,W,H", slot_opt), .shrt = 'S',
     .help = "prepare an empty signature field for a later party (repeatable, up to 16; named "
             "mohur-party-1, -2, ...)"},
    {MH_CLI_STR(T, so.fill_field, "field", "NAME"), .shrt = 'F',
     .help = "sign into the existing empty signature field NAME"},
    {0}};

static int qr_draw(void *ctx, double x, double y, double size, char *buf, size_t cap, size_t *len)
{
    return mh_qr_pdf_ops((const mh_qr *)ctx, x, y, size, buf, cap, len);
}

static int read_pdf(const char *path, uint8_t **buf, size_t *len)
{
    return mh_cli_read_file(path, MH_PDF_MAX_SIZE, buf, len);
}

/* ---- sign ----------------------------------------------------------------- */

static const struct mh_cli_opt pdf_sign_rows[] = {
    {R_IN, .help = "the PDF to sign"},
    {R_OUT, .help = "the signed PDF (written only when everything succeeded)"},
    {MH_CLI_KEY(T, key), .shrt = 'k', .help = "the signing key (PKCS#11 URI)"},
    {MH_CLI_STR(T, cert, "cert", "FILE"), .shrt = 'c',
     .help = "the signer's certificate (PEM or DER); default: the one stored on the token next "
             "to the key"},
    {MH_CLI_INCLUDE_ALL(layout_rows)},
    {MH_CLI_MODULE(T, module), .shrt = 'm'},
    {0}};
static const struct mh_cli_spec pdf_sign_spec = {
    .usage = "mohur pdf sign --in FILE --out FILE --key URI [--cert FILE] [options]",
    .about = "Sign a PDF (PAdES baseline B-B) with a key on a token.\n"
             "\n"
             "Appends an incremental update to the PDF: the signature (CMS, SHA-256), a\n"
             "signature field and its visible stamp. The original bytes are kept as they\n"
             "are, so earlier signatures stay valid and several parties can sign in turn.\n"
             "Encrypted and damaged PDFs are refused.\n",
    .opts = pdf_sign_rows,
    .more =
        "Example:\n"
        "  mohur pdf sign --in act.pdf --out act-signed.pdf \\\n"
        "      --key 'pkcs11:token=Notary;object=notary?pin-source=file:pin' \\\n"
        "      --reason 'Notarised' --caption 'Notary A. Aliyev' --qr 'HTTPS://V.EXAMPLE/R/ABC'\n",
};

static int parse_opts(int argc, char **argv, const struct mh_cli_spec *spec, struct pdf_opts *o)
{
    return mh_cli_parse(spec, argc, argv, o);
}

/* Reads a certificate (PEM or DER) into *der (malloc'd). */
static int read_cert(const char *path, uint8_t **der, size_t *len)
{
    int rc = mh_app_cert_file(path, der, len);
    return rc ? mh_cli_fail(rc, "reading %s", path) : MH_EXIT_OK;
}

static int cmd_pdf_sign(int argc, char **argv)
{
    int ret = MH_EXIT_USAGE, rc;
    struct pdf_opts o;
    mh_cli_ctx c;
    uint8_t *in = NULL, *out = NULL, *tokcert = NULL;
    size_t in_len = 0, out_len = 0, orig = 0, tokcert_len = 0;
    uint8_t *cert = NULL;
    size_t cert_len = 0;
    mh_signer pk;
    mh_qr qr;
    bool have_qr = false;

    memset(&o, 0, sizeof o);
    memset(&c, 0, sizeof c);
    memset(&qr, 0, sizeof qr);
    memset(&pk, 0, sizeof pk);
    ret = parse_opts(argc, argv, &pdf_sign_spec, &o);
    if (ret) {
        ret = ret < 0 ? MH_EXIT_OK : ret;
        goto out;
    }
    if (!o.in || !o.out || !o.key) {
        ret = mh_cli_usage("give --in, --out and --key");
        goto out;
    }
    ret = read_pdf(o.in, &in, &in_len);
    if (ret)
        goto out;
    if (o.cert) {
        ret = read_cert(o.cert, &cert, &cert_len);
        if (ret)
            goto out;
    }
    if (o.qr) {
        rc = mh_qr_encode(o.qr, MH_QR_LEVEL_M, 0, &qr);
        if (rc) {
            ret = mh_cli_fail(rc, "making the QR code");
            goto out;
        }
        have_qr = true;
        o.so.qr = qr_draw;
        o.so.qr_ctx = &qr;
    }
    /* check the document before asking for a PIN */
    mh_pdf_info info;
    rc = mh_pdf_info_get(in, in_len, &info);
    if (rc) {
        ret = mh_cli_fail(rc, "reading %s", o.in);
        goto out;
    }
    ret = mh_cli_open_key(&c, o.key, o.module, MH_CLI_LOGIN_ALWAYS);
    if (ret)
        goto out;
    if (!o.cert) {
        rc = mh_hsm_key_cert(c.key, &tokcert, &tokcert_len);
        if (rc) {
            ret =
                mh_cli_fail(rc, "reading the certificate of %s (or give --cert FILE)", c.key_name);
            goto out;
        }
        if (mh_x509_cert_check(tokcert, tokcert_len) != 0) {
            ret = mh_cli_error(MH_EXIT_INPUT, "the certificate stored with %s cannot be read",
                               c.key_name);
            goto out;
        }
    }
    rc = mh_hsm_key_signer(c.key, MH_SIG_AUTO, &pk);
    if (rc) {
        ret = mh_cli_fail(rc, "using %s", c.key_name);
        goto out;
    }
    mh_cms_signer signer = {0};
    signer.key = &pk;
    signer.cert = o.cert ? cert : tokcert;
    signer.cert_len = o.cert ? cert_len : tokcert_len;
    signer.md = MBEDTLS_MD_SHA256;
    signer.flags = MH_CMS_DETACHED | MH_CMS_PADES;
    mh_pdf_pki_signer ps = {&signer};
    rc = mh_pdf_sign(in, in_len, &o.so, mh_pdf_cms_pki_sign, &ps, &out, &out_len, &orig);
    if (rc) {
        ret = mh_cli_fail(rc, "signing %s", o.in);
        goto out;
    }
    ret = write_atomic(o.out, out, out_len);
    if (ret)
        goto out;
    printf("signed: %s (%zu bytes; the original document is its first %zu bytes)\n", o.out, out_len,
           orig);
    ret = MH_EXIT_OK;
out:
    if (have_qr)
        mh_qr_free(&qr);
    mh_cli_close(&c);
    free(in);
    free(out);
    free(tokcert);
    free(cert);
    return ret;
}

/* ---- prepare / embed ------------------------------------------------------ */

static const struct mh_cli_opt pdf_prepare_rows[] = {{R_IN, .help = "the PDF"},
                                                     {R_OUT, .help = "the prepared PDF"},
                                                     {MH_CLI_INCLUDE_ALL(layout_rows)},
                                                     {R_JSON},
                                                     {0}};
static const struct mh_cli_spec pdf_prepare_spec = {
    .usage = "mohur pdf prepare --in FILE --out FILE [options]",
    .about = "Add an empty signature to a PDF, for a signer outside mohur.\n"
             "\n"
             "Writes the PDF with the signature update and a zero-filled placeholder for\n"
             "the CMS, and prints the /ByteRange and the SHA-256 of the bytes it covers.\n"
             "Sign exactly those bytes (detached CMS, DER) and put the result in with\n"
             "'mohur pdf embed'.\n",
    .opts = pdf_prepare_rows,
};

static void print_prepared(const mh_pdf_prepared *p, bool json)
{
    char hex[65];
    mh_cli_hex_encode(p->digest, 32, hex, sizeof hex);
    if (json) {
        mh_json j;
        mh_json_init(&j, stdout);
        mh_json_obj_begin(&j);
        mh_json_key(&j, "byte_range");
        mh_json_arr_begin(&j);
        for (int i = 0; i < 4; i++)
            mh_json_uint(&j, p->byte_range[i]);
        mh_json_arr_end(&j);
        mh_json_key(&j, "sha256");
        mh_json_str(&j, hex);
        mh_json_key(&j, "original_length");
        mh_json_uint(&j, p->original_len);
        mh_json_obj_end(&j);
        mh_json_end(&j);
        return;
    }
    printf("byte-range: %zu %zu %zu %zu\nsha256: %s\noriginal-length: %zu\n", p->byte_range[0],
           p->byte_range[1], p->byte_range[2], p->byte_range[3], hex, p->original_len);
}

static int cmd_pdf_prepare(int argc, char **argv)
{
    int ret, rc;
    struct pdf_opts o;
    uint8_t *in = NULL;
    size_t in_len = 0;
    mh_pdf_prepared prep;
    mh_qr qr;
    bool have_qr = false;

    memset(&o, 0, sizeof o);
    memset(&prep, 0, sizeof prep);
    ret = parse_opts(argc, argv, &pdf_prepare_spec, &o);
    if (ret) {
        ret = ret < 0 ? MH_EXIT_OK : ret;
        goto out;
    }
    if (!o.in || !o.out) {
        ret = mh_cli_usage("give --in and --out");
        goto out;
    }
    ret = read_pdf(o.in, &in, &in_len);
    if (ret)
        goto out;
    if (o.qr) {
        rc = mh_qr_encode(o.qr, MH_QR_LEVEL_M, 0, &qr);
        if (rc) {
            ret = mh_cli_fail(rc, "making the QR code");
            goto out;
        }
        have_qr = true;
        o.so.qr = qr_draw;
        o.so.qr_ctx = &qr;
    }
    rc = mh_pdf_prepare(in, in_len, &o.so, &prep);
    if (rc) {
        ret = mh_cli_fail(rc, "preparing %s", o.in);
        goto out;
    }
    ret = write_atomic(o.out, prep.pdf, prep.len);
    if (ret)
        goto out;
    print_prepared(&prep, o.json);
out:
    if (have_qr)
        mh_qr_free(&qr);
    mh_pdf_prepared_free(&prep);
    free(in);
    return ret;
}

static const struct mh_cli_opt pdf_embed_rows[] = {
    {R_IN, .help = "the prepared PDF"},
    {MH_CLI_STR(T, cms, "cms", "FILE"), .shrt = 's', .help = "the CMS SignedData (DER)"},
    {R_OUT, .help = "the signed PDF"},
    {0}};
static const struct mh_cli_spec pdf_embed_spec = {
    .usage = "mohur pdf embed --in FILE --cms FILE --out FILE",
    .about = "Put a CMS signature into a PDF made by 'mohur pdf prepare'.\n"
             "\n"
             "The CMS (DER, detached, over the bytes of the /ByteRange) goes into the\n"
             "placeholder; the file keeps its length.\n",
    .opts = pdf_embed_rows,
};

static int cmd_pdf_embed(int argc, char **argv)
{
    int ret, rc;
    struct pdf_opts o;
    uint8_t *in = NULL, *cms = NULL;
    size_t in_len = 0, cms_len = 0;
    mh_pdf_prepared prep;

    memset(&o, 0, sizeof o);
    ret = parse_opts(argc, argv, &pdf_embed_spec, &o);
    if (ret) {
        ret = ret < 0 ? MH_EXIT_OK : ret;
        goto out;
    }
    if (!o.in || !o.out || !o.cms) {
        ret = mh_cli_usage("give --in, --cms and --out");
        goto out;
    }
    ret = read_pdf(o.in, &in, &in_len);
    if (ret)
        goto out;
    ret = mh_cli_read_file(o.cms, MH_PDF_CONTENTS_MAX, &cms, &cms_len);
    if (ret)
        goto out;
    rc = mh_pdf_find_placeholder(in, in_len, &prep);
    if (rc == MH_OK)
        rc = mh_pdf_embed(&prep, cms, cms_len);
    if (rc) {
        ret = mh_cli_fail(rc, "embedding the signature into %s", o.in);
        goto out;
    }
    ret = write_atomic(o.out, in, in_len);
out:
    free(in);
    free(cms);
    return ret;
}

/* ---- verify --------------------------------------------------------------- */

static const struct mh_cli_opt pdf_verify_rows[] = {
    {MH_CLI_INCLUDE(T, val, mh_cli_val_rows)}, {R_JSON}, {0}};
static const struct mh_cli_spec pdf_verify_spec = {
    .usage = "mohur pdf verify FILE [--json]\n"
             "       mohur pdf verify FILE --trust PATH... [--crl FILE]... [--json]",
    .about = "Check every signature of a PDF.\n"
             "\n"
             "For each signature: its /ByteRange covers the whole revision it signs but\n"
             "its own /Contents; the CMS (DER, or BER read as DER) signed the digest of\n"
             "those bytes and its signature verifies with the certificate in it, and so\n"
             "does its signature timestamp, if any; whether it covers the whole file, and\n"
             "whether later updates changed more than the rules allow (a DSS and\n"
             "document timestamps may follow; docs/pdf.md). Document timestamps' tokens\n"
             "are checked. Exit status 0 when every signature is valid, 1 when one is not\n"
             "or there is none.\n"
             "\n"
             "With --trust it also validates every signature and document timestamp as\n"
             "ETSI EN 319 102-1 does (docs/validation.md): timestamps and their\n"
             "authorities, each signer's path at the time a timestamp proves (else now),\n"
             "revocation by the CRLs of the DSS, of the signatures and of --crl; and\n"
             "reports TOTAL-PASSED, INDETERMINATE or TOTAL-FAILED with the\n"
             "sub-indication. Exit status then: 0 TOTAL-PASSED, 1 TOTAL-FAILED,\n"
             "10 INDETERMINATE.\n",
    .opts = pdf_verify_rows,
    .min_args = 1,
    .max_args = 1,
    .args_err = "give exactly one PDF file",
};

static int one_file_operand(int argc, char **argv, const char **file)
{
    if (optind + 1 != argc)
        return mh_cli_usage("give exactly one PDF file");
    *file = argv[optind];
    return 0;
}

/* pdf verify's report as JSON, with the ETSI report when there is one. */
static void pdf_verify_json(const mh_pdf_verify_result *res, size_t in_len,
                            const mh_val_report *vrep)
{
    mh_json j;
    mh_json_init(&j, stdout);
    mh_json_obj_begin(&j);
    mh_json_key(&j, "file_length");
    mh_json_uint(&j, in_len);
    mh_json_key(&j, "original_length");
    mh_json_uint(&j, res->original_len);
    mh_json_key(&j, "valid");
    mh_json_bool(&j, res->all_valid);
    mh_json_key(&j, "signatures");
    mh_json_arr_begin(&j);
    for (size_t i = 0; i < res->nsigs; i++) {
        const mh_pdf_sig_report *r = &res->sigs[i];
        mh_json_obj_begin(&j);
        mh_json_key(&j, "field");
        mh_json_str(&j, r->field);
        mh_json_key(&j, "status");
        mh_json_str(&j, mh_pdf_sig_status_name(r->status));
        mh_json_key(&j, "subfilter");
        mh_json_str(&j, r->subfilter);
        mh_json_key(&j, "signer");
        mh_json_str(&j, r->signer);
        mh_json_key(&j, "time");
        mh_json_str(&j, r->when);
        mh_json_key(&j, "revision_length");
        mh_json_uint(&j, r->revision_len);
        mh_json_key(&j, "covers_whole_file");
        mh_json_bool(&j, r->covers_whole);
        mh_json_key(&j, "later_changes_allowed");
        mh_json_bool(&j, r->later_changes_allowed);
        mh_json_key(&j, "problem");
        mh_json_str(&j, r->change);
        mh_json_key(&j, "by_mohur");
        mh_json_bool(&j, r->by_mohur);
        mh_json_key(&j, "certification");
        mh_json_bool(&j, r->certification);
        mh_json_key(&j, "docmdp_p");
        mh_json_uint(&j, r->docmdp_p);
        mh_json_key(&j, "doc_timestamp");
        mh_json_bool(&j, r->doc_timestamp);
        mh_json_key(&j, "filled_slot");
        mh_json_bool(&j, r->filled_slot);
        mh_json_key(&j, "contact");
        mh_json_str(&j, r->contact);
        mh_json_key(&j, "later_revisions");
        mh_json_uint(&j, r->later_revisions);
        mh_json_key(&j, "mdp_in_force");
        mh_json_uint(&j, r->mdp_in_force);
        mh_json_key(&j, "slots_filled");
        mh_json_uint(&j, r->slots_filled);
        mh_json_key(&j, "new_sig_fields");
        mh_json_uint(&j, r->new_sig_fields);
        mh_json_key(&j, "dss_added");
        mh_json_bool(&j, r->dss_added);
        mh_json_key(&j, "timestamps_added");
        mh_json_uint(&j, r->timestamps_added);
        mh_json_key(&j, "disallowed_changes");
        mh_json_uint(&j, r->nchanges);
        mh_json_key(&j, "cms_ber");
        mh_json_bool(&j, r->cms_ber);
        mh_json_obj_end(&j);
    }
    mh_json_arr_end(&j);
    mh_json_key(&j, "docmdp_p");
    mh_json_uint(&j, res->docmdp_p);
    mh_json_key(&j, "empty_slots");
    mh_json_uint(&j, res->empty_slots);
    if (vrep) {
        mh_json_key(&j, "etsi");
        mh_cli_val_json(&j, vrep);
    }
    mh_json_obj_end(&j);
    mh_json_end(&j);
}

/* pdf verify's report as text. */
static void pdf_verify_text(const char *file, const mh_pdf_verify_result *res, size_t in_len)
{
    printf("%s: %zu signature%s, %s\n", file, res->nsigs, res->nsigs == 1 ? "" : "s",
           res->all_valid ? "all valid" : (res->nsigs ? "NOT all valid" : "none to check"));
    for (size_t i = 0; i < res->nsigs; i++) {
        const mh_pdf_sig_report *r = &res->sigs[i];
        printf("signature %zu: field '%s'\n  status: %s\n", i + 1, r->field,
               mh_pdf_sig_status_name(r->status));
        if (r->doc_timestamp)
            printf("  kind: document timestamp\n");
        else if (r->certification)
            printf("  kind: certification (DocMDP P=%u)\n", r->docmdp_p);
        else
            printf("  kind: approval%s\n", r->filled_slot ? ", into a prepared field" : "");
        if (r->signer[0])
            printf("  signer: %s\n", r->signer);
        if (r->cms_ber)
            printf("  CMS: BER-encoded (read as its DER form)\n");
        if (r->when[0])
            printf("  time: %s\n", r->when);
        printf("  covers: %zu of %zu bytes (%s)\n", r->revision_len, in_len,
               r->covers_whole ? "the whole file" : "an earlier revision");
        if (!r->covers_whole && r->status <= MH_PDF_SIG_UNCHECKED) {
            printf("  later changes: allowed (%u update%s:", r->later_revisions,
                   r->later_revisions == 1 ? "" : "s");
            if (r->slots_filled)
                printf(" %u prepared field%s signed", r->slots_filled,
                       r->slots_filled == 1 ? "" : "s");
            if (r->new_sig_fields)
                printf(" %u signature%s added", r->new_sig_fields,
                       r->new_sig_fields == 1 ? "" : "s");
            if (r->dss_added)
                printf(" DSS");
            if (r->timestamps_added)
                printf(" %u document timestamp%s", r->timestamps_added,
                       r->timestamps_added == 1 ? "" : "s");
            printf(")\n");
        }
        if (r->change[0])
            printf("  problem: %s\n", r->change);
    }
    if (res->original_len != in_len)
        printf("original document: the first %zu bytes\n", res->original_len);
    if (res->docmdp_p)
        printf("certified: DocMDP P=%u; %u prepared signature field%s still empty\n", res->docmdp_p,
               res->empty_slots, res->empty_slots == 1 ? "" : "s");
}

static int cmd_pdf_verify(int argc, char **argv)
{
    int ret, rc;
    struct pdf_opts o;
    const char *file = NULL;
    uint8_t *in = NULL;
    size_t in_len = 0;
    mh_pdf_verify_result *res = NULL;
    mh_val_ctx *vctx = NULL;
    mh_val_report *vrep = NULL;

    memset(&o, 0, sizeof o);
    ret = parse_opts(argc, argv, &pdf_verify_spec, &o);
    if (ret) {
        ret = ret < 0 ? MH_EXIT_OK : ret;
        goto out;
    }
    ret = one_file_operand(argc, argv, &file);
    if (ret)
        goto out;
    if (o.val.ncrl && !o.val.ntrust) {
        ret = mh_cli_usage("--crl goes with --trust (the ETSI validation)");
        goto out;
    }
    if (o.val.ntrust && (ret = mh_cli_val_ctx(&o.val, &vctx)) != 0)
        goto out;
    ret = read_pdf(file, &in, &in_len);
    if (ret)
        goto out;
    res = calloc(1, sizeof *res);
    if (!res) {
        ret = mh_cli_fail(MH_ERR_NOMEM, "verifying %s", file);
        goto out;
    }
    rc = mh_pdf_verify(in, in_len, mh_pdf_cms_pki_verify, NULL, res);
    if (rc) {
        ret = mh_cli_fail(rc, "reading %s", file);
        goto out;
    }
    if (vctx) {
        vrep = calloc(1, sizeof *vrep);
        if (!vrep) {
            ret = mh_cli_fail(MH_ERR_NOMEM, "validating %s", file);
            goto out;
        }
        mh_err_clear();
        rc = mh_val_pdf(vctx, in, in_len, vrep);
        if (rc) {
            ret = mh_cli_fail(rc, "validating %s", file);
            goto out;
        }
    }
    if (o.json)
        pdf_verify_json(res, in_len, vrep);
    else
        pdf_verify_text(file, res, in_len);
    if (vrep && !o.json) {
        putchar('\n');
        mh_cli_val_print(vrep, file);
    }
    /* with a trust store, the ETSI indication decides */
    ret = vrep ? mh_cli_val_exit(vrep) : res->all_valid ? MH_EXIT_OK : MH_EXIT_INVALID;
out:
    mh_val_ctx_free(vctx);
    free(vrep);
    free(res);
    free(in);
    return ret;
}

/* ---- info ----------------------------------------------------------------- */

static const struct mh_cli_opt pdf_info_rows[] = {{R_JSON}, {0}};
static const struct mh_cli_spec pdf_info_spec = {
    .usage = "mohur pdf info FILE [--json]",
    .about = "Show a PDF's structure as mohur reads it.\n"
             "\n"
             "Pages, signatures, revisions, the kind of its last\n"
             "cross-reference section, and the original length.\n",
    .opts = pdf_info_rows,
    .min_args = 1,
    .max_args = 1,
    .args_err = "give exactly one PDF file",
};

#undef T

static int cmd_pdf_info(int argc, char **argv)
{
    int ret, rc;
    struct pdf_opts o;
    const char *file = NULL;
    uint8_t *in = NULL;
    size_t in_len = 0;
    mh_pdf_info info;

    memset(&o, 0, sizeof o);
    ret = parse_opts(argc, argv, &pdf_info_spec, &o);
    if (ret) {
        ret = ret < 0 ? MH_EXIT_OK : ret;
        goto out;
    }
    ret = one_file_operand(argc, argv, &file);
    if (ret)
        goto out;
    ret = read_pdf(file, &in, &in_len);
    if (ret)
        goto out;
    rc = mh_pdf_info_get(in, in_len, &info);
    if (rc) {
        ret = mh_cli_fail(rc, "reading %s", file);
        goto out;
    }
    const char *xk = info.xref_stream ? "stream" : "table";
    if (o.json) {
        mh_json j;
        mh_json_init(&j, stdout);
        mh_json_obj_begin(&j);
        mh_json_key(&j, "version");
        mh_json_str(&j, info.version);
        mh_json_key(&j, "pages");
        mh_json_uint(&j, info.pages);
        mh_json_key(&j, "signatures");
        mh_json_uint(&j, info.signatures);
        mh_json_key(&j, "fields");
        mh_json_uint(&j, info.fields);
        mh_json_key(&j, "revisions");
        mh_json_uint(&j, info.revisions);
        mh_json_key(&j, "xref");
        mh_json_str(&j, xk);
        mh_json_key(&j, "size");
        mh_json_uint(&j, info.size);
        mh_json_key(&j, "original_length");
        mh_json_uint(&j, info.original_len);
        mh_json_obj_end(&j);
        mh_json_end(&j);
    } else {
        printf("version: %s\npages: %u\nsignatures: %u\nfields: %u\nrevisions: %u\nxref: %s\n"
               "size: %zu\noriginal-length: %zu\n",
               info.version, info.pages, info.signatures, info.fields, info.revisions, xk,
               info.size, info.original_len);
    }
    ret = MH_EXIT_OK;
out:
    free(in);
    return ret;
}

const struct mh_cli_cmd mh_cli_pdf_cmds[] = {
    {"sign", "sign a PDF (PAdES B-B, incremental update, visible stamp)", &pdf_sign_spec,
     cmd_pdf_sign, NULL},
    {"prepare", "add an empty signature for an outside signer", &pdf_prepare_spec, cmd_pdf_prepare,
     NULL},
    {"embed", "put a CMS signature into a prepared PDF", &pdf_embed_spec, cmd_pdf_embed, NULL},
    {"verify", "check every signature of a PDF", &pdf_verify_spec, cmd_pdf_verify, NULL},
    {"info", "show a PDF's pages, signatures, revisions, xref kind", &pdf_info_spec, cmd_pdf_info,
     NULL},
    {NULL, NULL, NULL, NULL, NULL},
};
