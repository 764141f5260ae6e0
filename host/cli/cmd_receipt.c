/*
 * cmd_receipt.c - `mohur receipt make|show|verify|qr`: the signed receipt a
 * document carries (COSE_Sign1, docs/receipt.md), its QR URL and QR images.
 */
#include "cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mh_hash.h"
#include "mh_keys.h"
#include "mh_pki.h"
#include "mh_qr.h"

#define DEFAULT_HOST "verify.mohur.az"
#define TRUST_MAX 64
#define QR_SCALE_DEFAULT 4
#define SPAN_MAX 256

/* ---- helpers -------------------------------------------------------------- */

/* A span as a NUL-terminated string (texts are capped far below SPAN_MAX). */
static const char *span(mh_receipt_str s, char *buf, size_t cap)
{
    size_t n = s.len < cap - 1 ? s.len : cap - 1;
    if (s.ptr)
        memcpy(buf, s.ptr, n);
    buf[n] = '\0';
    return buf;
}

static bool parse_u64(const char *s, uint64_t *v)
{
    char *end = NULL;
    unsigned long long x;
    if (!s || !*s || *s == '-' || *s == '+' || *s == ' ')
        return false;
    errno = 0;
    x = strtoull(s, &end, 10);
    if (errno || !end || *end)
        return false;
    *v = (uint64_t)x;
    return true;
}

static void iso_time(uint64_t t, char *buf, size_t cap)
{
    struct tm tm;
    time_t tt = (time_t)t;
    if (t > (uint64_t)253402300799ULL || !gmtime_r(&tt, &tm) ||
        strftime(buf, cap, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        snprintf(buf, cap, "%llu (seconds since 1970)", (unsigned long long)t);
}

/* SHA-256 and length of a file, streamed. Prints the error. */
static int digest_file(const char *path, uint8_t sha[32], uint64_t *len)
{
    FILE *f = fopen(path, "rb");
    *len = 0;
    if (!f)
        return mh_cli_error(MH_EXIT_INPUT, "cannot open '%s': %s", path, strerror(errno));
    int rc = mh_hash_sha256_stream(f, sha, len);
    fclose(f);
    if (rc == MH_ERR_IO)
        return mh_cli_error(MH_EXIT_INPUT, "reading '%s' failed", path);
    return rc ? MH_EXIT_INTERNAL : MH_EXIT_OK;
}

struct qr_out {
    const char *png, *svg, *pdf_ops;
    unsigned scale;
    double pdf_x, pdf_y, pdf_size;
    enum mh_qr_level level;
    int max_version;
};

/* Encodes text and writes the images asked for. Prints errors. */
static int write_qr(const char *text, const struct qr_out *q, mh_qr *qr)
{
    int ret = MH_EXIT_INTERNAL;
    uint8_t *png = NULL;
    char *svg = NULL, *ops = NULL;
    size_t len = 0;
    int rc;

    rc = mh_qr_encode(text, q->level, q->max_version, qr);
    if (rc) {
        ret = mh_cli_fail(rc, "making the QR code");
        goto out;
    }
    if (q->png) {
        rc = mh_qr_png(qr, q->scale, &png, &len);
        if (rc) {
            ret = mh_cli_fail(rc, "drawing the QR code as PNG");
            goto out;
        }
        ret = mh_cli_write_file(q->png, png, len, 0644);
        if (ret)
            goto out;
    }
    if (q->svg) {
        rc = mh_qr_svg(qr, q->scale, &svg, &len);
        if (rc) {
            ret = mh_cli_fail(rc, "drawing the QR code as SVG");
            goto out;
        }
        ret = mh_cli_write_file(q->svg, svg, len, 0644);
        if (ret)
            goto out;
    }
    if (q->pdf_ops) {
        size_t cap = mh_qr_pdf_ops_max(qr);
        ops = malloc(cap);
        if (!ops) {
            ret = mh_cli_fail(MH_ERR_NOMEM, "drawing the QR code for PDF");
            goto out;
        }
        rc = mh_qr_pdf_ops(qr, q->pdf_x, q->pdf_y, q->pdf_size, ops, cap, &len);
        if (rc) {
            ret = mh_cli_fail(rc, "drawing the QR code for PDF");
            goto out;
        }
        ret = mh_cli_write_file(q->pdf_ops, ops, len, 0644);
        if (ret)
            goto out;
    }
    ret = MH_EXIT_OK;
out:
    free(png);
    free(svg);
    free(ops);
    return ret;
}

/* Handles the options shared by make and qr; returns -1 when ch is not one
 * of them, else an exit code (0 to continue). */
static int qr_option(int ch, const char *arg, struct qr_out *q)
{
    char *end = NULL;
    uint64_t v;
    switch (ch) {
    case 'P':
        q->png = arg;
        return 0;
    case 'S':
        q->svg = arg;
        return 0;
    case 'O':
        q->pdf_ops = arg;
        return 0;
    case 'A':
        errno = 0;
        q->pdf_x = strtod(arg, &end);
        if (errno || *end != ',')
            break;
        q->pdf_y = strtod(end + 1, &end);
        if (errno || *end != ',')
            break;
        q->pdf_size = strtod(end + 1, &end);
        if (errno || *end || !(q->pdf_size > 0 && q->pdf_size <= 14400))
            break;
        return 0;
    case 'x':
        if (!parse_u64(arg, &v) || v < 1 || v > MH_QR_SCALE_MAX)
            return mh_cli_usage("--scale must be a whole number from 1 to %d", MH_QR_SCALE_MAX);
        q->scale = (unsigned)v;
        return 0;
    case 'L':
        if (!mh_qr_level_from_name(arg, &q->level))
            return mh_cli_usage("--level must be L, M, Q or H");
        return 0;
    case 'V':
        if (!parse_u64(arg, &v) || v < 1 || v > 40)
            return mh_cli_usage("--max-version must be a whole number from 1 to 40");
        q->max_version = (int)v;
        return 0;
    default:
        return -1;
    }
    return mh_cli_usage("--pdf-at must be X,Y,SIZE in points, e.g. 56,56,113 (a 4 cm square "
                        "56 points from the lower-left corner)");
}

/* --png, --svg, ... of make and qr: qr_option, the row's letter telling which */
static int qr_opt(void *base, const struct mh_cli_opt *row, const char *v)
{
    return qr_option(row->shrt, v, base);
}

#define QR_ROW(n, c, a) MH_CLI_CALL(n, a, qr_opt), .shrt = c
/* the QR code's outputs and form: make and qr (offsets from a struct qr_out) */
static const struct mh_cli_opt qr_rows[] = {
    {QR_ROW("png", 'P', "FILE"), .help = "write the QR code as a PNG image (8-bit grey)"},
    {QR_ROW("svg", 'S', "FILE"), .help = "write the QR code as SVG"},
    {QR_ROW("pdf-ops", 'O', "FILE"),
     .help = "write PDF content-stream operators that draw the QR code"},
    {QR_ROW("pdf-at", 'A', "X,Y,SIZE"),
     .help = "where the operators draw it, in points (default 0,0,144)"},
    {QR_ROW("scale", 'x', "N"), .help = "pixels (PNG) or units (SVG) per module, 1-64 (default 4)"},
    {QR_ROW("level", 'L', "L"), .help = "error correction L, M, Q or H (default M)"},
    {QR_ROW("max-version", 'V', "N"), .help = "refuse a QR code larger than version N (1-40)"},
    {0}};

static void qr_defaults(struct qr_out *q)
{
    memset(q, 0, sizeof *q);
    q->scale = QR_SCALE_DEFAULT;
    q->pdf_size = 144;
    q->level = MH_QR_LEVEL_M;
}

static void print_claims(const mh_receipt *r)
{
    char a[SPAN_MAX], t[64], hex[2 * MH_RECEIPT_DIGEST_FULL + 1];
    const mh_receipt_claims *c = &r->claims;

    printf("registry:    %s\n", span(c->registry, a, sizeof a));
    printf("log index:   %llu\n", (unsigned long long)c->log_index);
    printf("issuer:      %s\n", span(c->issuer, a, sizeof a));
    printf("kind:        %s\n", span(c->kind, a, sizeof a));
    iso_time(c->issued_at, t, sizeof t);
    printf("issued:      %s\n", t);
    mh_cli_hex_encode(c->digest, c->digest_len, hex, sizeof hex);
    printf("document:    %llu bytes, SHA-256 %s%s\n", (unsigned long long)c->doc_len, hex,
           c->digest_len == MH_RECEIPT_DIGEST_SHORT ? "... (first 16 bytes)" : "");
    mh_cli_hex_encode(r->kid, MH_RECEIPT_KID_LEN, hex, sizeof hex);
    printf("key id:      %s\n", hex);
    printf("host:        %s\n", span(c->host, a, sizeof a));
    for (size_t i = 0; i < c->nfields; i++) {
        char k[SPAN_MAX];
        span(c->fields[i].key, k, sizeof k);
        printf("%s:%*s%s\n", k, k[0] && strlen(k) < 12 ? (int)(12 - strlen(k)) : 1, "",
               span(c->fields[i].value, a, sizeof a));
    }
}

static void json_claims(mh_json *j, const mh_receipt *r)
{
    char a[SPAN_MAX], t[64], hex[2 * MH_RECEIPT_DIGEST_FULL + 1];
    const mh_receipt_claims *c = &r->claims;

    mh_json_key(j, "registry");
    mh_json_str(j, span(c->registry, a, sizeof a));
    mh_json_key(j, "log_index");
    mh_json_uint(j, c->log_index);
    mh_json_key(j, "issuer");
    mh_json_str(j, span(c->issuer, a, sizeof a));
    mh_json_key(j, "kind");
    mh_json_str(j, span(c->kind, a, sizeof a));
    mh_json_key(j, "issued_at");
    mh_json_uint(j, c->issued_at);
    iso_time(c->issued_at, t, sizeof t);
    mh_json_key(j, "issued");
    mh_json_str(j, t);
    mh_cli_hex_encode(c->digest, c->digest_len, hex, sizeof hex);
    mh_json_key(j, "sha256");
    mh_json_str(j, hex);
    mh_json_key(j, "sha256_truncated");
    mh_json_bool(j, c->digest_len == MH_RECEIPT_DIGEST_SHORT);
    mh_json_key(j, "length");
    mh_json_uint(j, c->doc_len);
    mh_cli_hex_encode(r->kid, MH_RECEIPT_KID_LEN, hex, sizeof hex);
    mh_json_key(j, "kid");
    mh_json_str(j, hex);
    mh_json_key(j, "signed_host");
    mh_json_str(j, span(c->host, a, sizeof a));
    mh_json_key(j, "fields");
    mh_json_obj_begin(j);
    for (size_t i = 0; i < c->nfields; i++) {
        char k[SPAN_MAX];
        mh_json_key(j, span(c->fields[i].key, k, sizeof k));
        mh_json_str(j, span(c->fields[i].value, a, sizeof a));
    }
    mh_json_obj_end(j);
}

/* Reads --qr TEXT into receipt bytes. Prints the error. */
static int qr_text_to_receipt(const char *text, uint8_t *buf, size_t cap, size_t *len,
                              mh_receipt_str *host)
{
    size_t n = strnlen(text, MH_RECEIPT_URL_MAX + 1);
    /* a trailing newline from a scanner or `zbarimg --raw` is not part of it */
    while (n > 0 && (text[n - 1] == '\n' || text[n - 1] == '\r'))
        n--;
    int rc = mh_receipt_url_parse(text, n, host, buf, cap, len);
    if (rc)
        return mh_cli_fail(rc, "reading the QR text");
    return MH_EXIT_OK;
}

/* ---- receipt make ------------------------------------------------------ */

struct make_args {
    const char *keyuri, *module, *doc, *digest_hex, *out_path, *host, *reg, *kind, *issuer;
    bool have_index, have_len, have_time, full, json;
    mh_receipt_claims claims;
    struct qr_out q;
};

static int add_field(mh_receipt_claims *c, const char *arg);

/* --field NAME=TEXT */
static int field_opt(void *base, const struct mh_cli_opt *row, const char *v)
{
    (void)row;
    return add_field(&((struct make_args *)base)->claims, v);
}

#define T struct make_args
static const struct mh_cli_opt receipt_make_rows[] = {
    {MH_CLI_KEY(T, keyuri), .shrt = 'k', .help = "the registry key (EC P-256) on a token or HSM"},
    {MH_CLI_STR(T, reg, "registry", "ID"), .shrt = 'r',
     .help = "the registry (ledger) id, e.g. AZ-EDU"},
    {MH_CLI_UINT(T, claims.log_index, "index", "N", 0, UINT64_MAX), .shrt = 'n',
     .flags = MH_CLI_SEEN, .off2 = offsetof(T, have_index),
     .err = "--index must be a whole number (the ledger's log index)",
     .help = "the log index of the document's ledger entry"},
    {MH_CLI_STR(T, kind, "kind", "KIND"), .shrt = 'K',
     .help = "diploma, certificate, notary-act, transcript, court-decision, or another short "
             "word"},
    {MH_CLI_STR(T, issuer, "issuer", "ID"), .shrt = 'I',
     .help = "short id of the issuing organisation, e.g. BDU"},
    {MH_CLI_STR(T, doc, "digest-of", "FILE"), .shrt = 'f',
     .help = "hash this file (the original document)"},
    {MH_CLI_STR(T, digest_hex, "digest", "HEX"), .shrt = 'd',
     .help = "its SHA-256 (64 hex digits) instead, with --length N"},
    {MH_CLI_UINT(T, claims.doc_len, "length", "N", 0, UINT64_MAX), .shrt = 'l',
     .flags = MH_CLI_SEEN, .off2 = offsetof(T, have_len),
     .err = "--length must be a whole number of bytes", .help = "the document's length in bytes"},
    {MH_CLI_CALL("field", "NAME=TEXT", field_opt), .shrt = 'F',
     .help = "a field printed on the paper (up to 8; well-known names: name, date, degree, "
             "program, grade, number, title, birth-date)"},
    {MH_CLI_UINT(T, claims.issued_at, "time", "T", 0, UINT64_MAX), .shrt = 't',
     .flags = MH_CLI_SEEN, .off2 = offsetof(T, have_time),
     .err = "--time must be seconds since 1970-01-01 UTC",
     .help = "issue time in seconds since 1970 (default: now)"},
    {MH_CLI_FLAG(T, full, "full-digest"), .shrt = 'D',
     .help = "keep all 32 bytes of SHA-256 (default: the first 16; the ledger entry keeps all "
             "32, see docs/receipt.md)"},
    {MH_CLI_STR(T, host, "host", "HOST"), .shrt = 'H',
     .help = "the verification site (default verify.mohur.az)"},
    {MH_CLI_OUT(T, out_path), .shrt = 'o', .help = "also write the receipt bytes (CBOR) to FILE"},
    {MH_CLI_INCLUDE(T, q, qr_rows)},
    {MH_CLI_JSON(T, json), .shrt = 'j', .help = "print the URL and sizes as JSON"},
    {MH_CLI_MODULE(T, module), .shrt = 'm'},
    {0}};
#undef T
static const struct mh_cli_spec receipt_make_spec = {
    .usage = "mohur receipt make --key URI --registry ID --index N --kind KIND\n"
             "           --issuer ID (--digest-of FILE | --digest HEX --length N)\n"
             "           [--field NAME=TEXT]... [--time T] [--full-digest] [--host HOST]\n"
             "           [--out FILE] [--png FILE] [--svg FILE] [--pdf-ops FILE] [--json]",
    .about = "Sign a receipt for a document with the registry key and make its QR code.\n"
             "\n"
             "The receipt is a COSE_Sign1 (ES256) over the registry id, the log index of\n"
             "the ledger entry (append the entry first), the issue time, the kind, the\n"
             "SHA-256 and length of the original document, the issuer and the fields\n"
             "printed on the paper. It is printed as the URL the QR code carries,\n"
             "HTTPS://<HOST>/V/<BASE32>, followed on standard error by the QR version.\n",
    .opts = receipt_make_rows,
    .more =
        "Example:\n"
        "  mohur receipt make --key 'pkcs11:token=Seal;object=registry?pin-source=file:pin' \\\n"
        "      --registry AZ-EDU --index 42 --kind diploma --issuer BDU \\\n"
        "      --digest-of diploma.pdf --field 'name=Əliyev Rəşad' --field degree=Bakalavr \\\n"
        "      --field date=2026-06-30 --png qr.png\n",
};

static int add_field(mh_receipt_claims *c, const char *arg)
{
    const char *eq = strchr(arg, '=');
    if (!eq || eq == arg || !eq[1])
        return mh_cli_usage("--field takes NAME=TEXT, e.g. --field 'name=Əliyev Rəşad'");
    if (c->nfields >= MH_RECEIPT_FIELDS_MAX)
        return mh_cli_usage("at most %d --field options", MH_RECEIPT_FIELDS_MAX);
    c->fields[c->nfields].key.ptr = arg;
    c->fields[c->nfields].key.len = (size_t)(eq - arg);
    c->fields[c->nfields].value.ptr = eq + 1;
    c->fields[c->nfields].value.len = strlen(eq + 1);
    c->nfields++;
    return 0;
}

static void set_str(mh_receipt_str *s, const char *v)
{
    s->ptr = v;
    s->len = v ? strlen(v) : 0;
}

static int cmd_receipt_make(int argc, char **argv)
{
    struct make_args a;
    int ret = MH_EXIT_USAGE;
    mh_cli_ctx c;
    mh_receipt_claims claims;
    struct qr_out q;
    mh_qr qr;
    mh_signer pk;
    const char *keyuri = NULL, *module = NULL, *doc = NULL, *digest_hex = NULL, *out_path = NULL;
    const char *host = DEFAULT_HOST, *reg = NULL, *kind = NULL, *issuer = NULL;
    bool have_index = false, have_len = false, have_time = false, full = false, json = false;
    uint8_t sha[32], receipt[MH_RECEIPT_MAX];
    char url[MH_RECEIPT_URL_MAX];
    size_t rlen = 0, ulen = 0, dlen = 0;
    int rc;

    memset(&c, 0, sizeof c);
    memset(&claims, 0, sizeof claims);
    memset(&qr, 0, sizeof qr);
    memset(&pk, 0, sizeof pk);
    memset(&a, 0, sizeof a);
    a.host = DEFAULT_HOST;
    qr_defaults(&a.q);
    ret = mh_cli_parse(&receipt_make_spec, argc, argv, &a);
    if (ret) {
        ret = ret < 0 ? MH_EXIT_OK : ret;
        goto out;
    }
    keyuri = a.keyuri;
    module = a.module;
    doc = a.doc;
    digest_hex = a.digest_hex;
    out_path = a.out_path;
    host = a.host;
    reg = a.reg;
    kind = a.kind;
    issuer = a.issuer;
    have_index = a.have_index;
    have_len = a.have_len;
    have_time = a.have_time;
    full = a.full;
    json = a.json;
    claims = a.claims;
    q = a.q;
    if (!keyuri || !reg || !have_index || !kind || !issuer) {
        ret = mh_cli_usage("--key, --registry, --index, --kind and --issuer are required");
        goto out;
    }
    if (!doc == !digest_hex || (digest_hex && !have_len) || (doc && have_len)) {
        ret = mh_cli_usage("give the document with --digest-of FILE, or its SHA-256 with "
                           "--digest HEX and --length N");
        goto out;
    }
    if (doc) {
        ret = digest_file(doc, sha, &claims.doc_len);
        if (ret)
            goto out;
    } else if (mh_cli_hex_decode(digest_hex, sha, sizeof sha, &dlen) || dlen != 32) {
        ret = mh_cli_usage("--digest must be a SHA-256 digest: 64 hex digits");
        goto out;
    }
    set_str(&claims.registry, reg);
    set_str(&claims.kind, kind);
    set_str(&claims.issuer, issuer);
    /* the host is signed too, in lower case; the URL shows it upper case */
    char host_lc[MH_RECEIPT_HOST_MAX + 1];
    size_t hl = strnlen(host, sizeof host_lc - 1);
    for (size_t i = 0; i < hl; i++)
        host_lc[i] = (host[i] >= 'A' && host[i] <= 'Z') ? (char)(host[i] - 'A' + 'a') : host[i];
    host_lc[hl] = 0;
    claims.host.ptr = host_lc;
    claims.host.len = hl;
    claims.digest = sha;
    claims.digest_len = full ? MH_RECEIPT_DIGEST_FULL : MH_RECEIPT_DIGEST_SHORT;
    if (!have_time)
        claims.issued_at = (uint64_t)time(NULL);

    ret = mh_cli_open_key(&c, keyuri, module, MH_CLI_LOGIN_ALWAYS);
    if (ret)
        goto out;
    rc = mh_hsm_key_signer(c.key, MH_SIG_AUTO, &pk);
    if (rc) {
        ret = mh_cli_fail(rc, "using %s", c.key_name);
        goto out;
    }
    rc = mh_receipt_sign(&claims, &pk, receipt, sizeof receipt, &rlen);
    if (rc) {
        ret = mh_cli_fail(rc, "signing the receipt with %s", c.key_name);
        goto out;
    }
    rc = mh_receipt_url(host, receipt, rlen, url, sizeof url, &ulen);
    if (rc) {
        ret = mh_cli_fail(rc, "making the receipt URL");
        goto out;
    }
    if (out_path) {
        ret = mh_cli_write_file(out_path, receipt, rlen, 0644);
        if (ret)
            goto out;
    }
    ret = write_qr(url, &q, &qr);
    if (ret)
        goto out;
    if (json) {
        mh_json j;
        mh_json_init(&j, stdout);
        mh_json_obj_begin(&j);
        mh_json_key(&j, "url");
        mh_json_str(&j, url);
        mh_json_key(&j, "url_length");
        mh_json_uint(&j, ulen);
        mh_json_key(&j, "receipt_bytes");
        mh_json_uint(&j, rlen);
        mh_json_key(&j, "qr_version");
        mh_json_uint(&j, (unsigned long long)qr.version);
        mh_json_key(&j, "qr_level");
        char lv[2] = {mh_qr_level_name(qr.level), 0};
        mh_json_str(&j, lv);
        mh_json_obj_end(&j);
        mh_json_end(&j);
    } else {
        printf("%s\n", url);
        fprintf(stderr, "QR version %d-%c (%dx%d modules), URL %zu characters, receipt %zu bytes\n",
                qr.version, mh_qr_level_name(qr.level), qr.width, qr.width, ulen, rlen);
    }
    ret = MH_EXIT_OK;
out:
    mh_qr_free(&qr);
    mh_cli_close(&c);
    return ret;
}

/* ---- receipt show ------------------------------------------------------ */

struct show_args {
    const char *text;
    bool json;
};
static const struct mh_cli_opt receipt_show_rows[] = {
    {MH_CLI_STR(struct show_args, text, "qr", "TEXT"), .shrt = 'q',
     .help = "the text of the QR code (HTTPS://.../V/...)"},
    {MH_CLI_JSON(struct show_args, json), .shrt = 'j'},
    {0}};
static const struct mh_cli_spec receipt_show_spec = {
    .usage = "mohur receipt show --qr TEXT [--json]",
    .about = "Show what a receipt says, without checking its signature.\n",
    .opts = receipt_show_rows,
    .more = "Nothing shown here is trustworthy until 'mohur receipt verify' says VALID.\n"
            "\n"
            "Example:\n"
            "  mohur receipt show --qr \"$(zbarimg --raw -q qr.png)\"\n",
};

static int cmd_receipt_show(int argc, char **argv)
{
    struct show_args a = {0};
    int ret = MH_EXIT_USAGE;
    const char *text = NULL;
    bool json = false;
    uint8_t buf[MH_RECEIPT_MAX];
    size_t len = 0;
    mh_receipt_str host;
    mh_receipt r;
    int rc;

    if ((ret = mh_cli_parse(&receipt_show_spec, argc, argv, &a)) != 0)
        return ret < 0 ? MH_EXIT_OK : ret;
    text = a.text;
    json = a.json;
    if (!text)
        return mh_cli_usage("--qr TEXT is required (the text of the QR code)");
    ret = qr_text_to_receipt(text, buf, sizeof buf, &len, &host);
    if (ret)
        return ret;
    rc = mh_receipt_decode(buf, len, &r);
    if (rc) /* whatever is wrong, it is the input's fault */
        return mh_cli_error(MH_EXIT_INPUT, "reading the receipt: %s", mh_err_message(rc));
    if (json) {
        mh_json j;
        char h[SPAN_MAX];
        mh_json_init(&j, stdout);
        mh_json_obj_begin(&j);
        mh_json_key(&j, "host");
        mh_json_str(&j, span(host, h, sizeof h));
        json_claims(&j, &r);
        mh_json_key(&j, "signature_checked");
        mh_json_bool(&j, false);
        mh_json_obj_end(&j);
        mh_json_end(&j);
    } else {
        print_claims(&r);
        printf("signature:   NOT CHECKED (use 'mohur receipt verify' with the registry key)\n");
    }
    return MH_EXIT_OK;
}

/* ---- receipt verify ------------------------------------------------------ */

struct verify_args {
    const char *text;
    const char *doc;
    bool json;
    const char *trust[TRUST_MAX];
    size_t ntrust;
};
static const struct mh_cli_opt receipt_verify_rows[] = {
    {MH_CLI_STR(struct verify_args, text, "qr", "TEXT"), .shrt = 'q',
     .help = "the text of the QR code (HTTPS://.../V/...)"},
    {MH_CLI_LIST(struct verify_args, trust, ntrust, "trust", "FILE"), .shrt = 't',
     .err = "at most 64 --trust files",
     .help = "registry public keys: PEM (PUBLIC KEY or CERTIFICATE blocks, several per file "
             "allowed) or one DER public key; 'mohur key export' writes one"},
    {MH_CLI_STR(struct verify_args, doc, "file", "DOC"), .shrt = 'f',
     .help = "the original document: its SHA-256 and length must match"},
    {MH_CLI_JSON(struct verify_args, json), .shrt = 'j'},
    {0}};
static const struct mh_cli_spec receipt_verify_spec = {
    .usage = "mohur receipt verify --qr TEXT --trust FILE [--trust FILE]...\n"
             "                            [--file DOCUMENT] [--json]",
    .about = "Check a receipt's signature with trusted registry keys, and optionally the\n"
             "document it was issued for.\n",
    .opts = receipt_verify_rows,
    .more = "Exit status 0 when the receipt is VALID (and the document matches), 1 when\n"
            "it is not, 3 when the QR text is not a readable receipt.\n"
            "\n"
            "Example:\n"
            "  mohur receipt verify --qr \"$(zbarimg --raw -q qr.png)\" --trust registry.pem \\\n"
            "      --file diploma.pdf\n",
};

/* Adds the keys of one trust file. Prints errors. */
static int load_trust(const char *path, mh_receipt_key *keys, size_t *n)
{
    int ret = MH_EXIT_INPUT;
    uint8_t *data = NULL;
    size_t len = 0, found = 0;
    uint8_t *pem = NULL;
    mh_x509_cert *crt = calloc(1, sizeof *crt);
    uint8_t spki[512];
    int rc;

    if (!crt)
        return mh_cli_fail(MH_ERR_NOMEM, "reading '%s'", path);
    ret = mh_cli_read_file(path, MH_CLI_SMALL_MAX, &data, &len);
    if (ret)
        goto out;
    if (!strstr((const char *)data, "-----BEGIN ")) {
        /* one DER SubjectPublicKeyInfo */
        if (*n >= TRUST_MAX) {
            ret = mh_cli_error(MH_EXIT_INPUT, "more than %d trusted keys", TRUST_MAX);
            goto out;
        }
        rc = mh_receipt_key_from_spki(data, len, &keys[*n]);
        if (rc) {
            ret = mh_cli_fail(rc, "reading the registry key in '%s'", path);
            goto out;
        }
        (*n)++;
        ret = MH_EXIT_OK;
        goto out;
    }
    for (const char *p = (const char *)data; (p = strstr(p, "-----BEGIN ")) != NULL;) {
        bool cert = strncmp(p, "-----BEGIN CERTIFICATE-----", 27) == 0;
        bool pub = strncmp(p, "-----BEGIN PUBLIC KEY-----", 26) == 0;
        size_t used = 0;
        const uint8_t *der;
        size_t der_len;
        if (!cert && !pub) {
            p += 11; /* another kind of block: not a key we take */
            continue;
        }
        free(pem);
        pem = NULL;
        rc = mh_keys_pem_read(p, cert ? "CERTIFICATE" : "PUBLIC KEY", &pem, &der_len, &used);
        if (rc == MH_ERR_NOMEM) {
            ret = mh_cli_fail(rc, "reading '%s'", path);
            goto out;
        }
        if (rc || used == 0) {
            ret = mh_cli_error(MH_EXIT_INPUT, "'%s' has a damaged PEM block", path);
            goto out;
        }
        p += used;
        der = pem;
        if (cert) {
            /* the certificate's key, through the one certificate model */
            if (mh_x509_cert_parse(crt, der, der_len) || crt->spki.len > sizeof spki) {
                ret = mh_cli_error(MH_EXIT_INPUT, "'%s' has a certificate mohur cannot read", path);
                goto out;
            }
            memcpy(spki, crt->spki.p, crt->spki.len);
            der = spki;
            der_len = crt->spki.len;
        }
        if (*n >= TRUST_MAX) {
            ret = mh_cli_error(MH_EXIT_INPUT, "more than %d trusted keys", TRUST_MAX);
            goto out;
        }
        rc = mh_receipt_key_from_spki(der, der_len, &keys[*n]);
        if (rc) {
            ret = mh_cli_fail(rc, "reading a registry key in '%s'", path);
            goto out;
        }
        (*n)++;
        found++;
    }
    if (found == 0) {
        ret = mh_cli_error(MH_EXIT_INPUT,
                           "'%s' holds no PUBLIC KEY or CERTIFICATE block; export the registry "
                           "key with 'mohur key export'",
                           path);
        goto out;
    }
    ret = MH_EXIT_OK;
out:
    free(pem);
    free(crt);
    free(data);
    return ret;
}

static int cmd_receipt_verify(int argc, char **argv)
{
    struct verify_args a = {0};
    int ret = MH_EXIT_USAGE;
    const char *text = NULL, *doc = NULL;
    const char *trust[TRUST_MAX];
    size_t ntrust = 0, nkeys = 0;
    mh_receipt_key *keys = NULL;
    bool json = false, doc_ok = false;
    uint8_t buf[MH_RECEIPT_MAX], sha[32];
    uint64_t doc_len = 0;
    size_t len = 0;
    mh_receipt_str host;
    mh_receipt r;
    const char *why = NULL;
    char why_buf[512];
    int rc;

    memset(&r, 0, sizeof r);
    ret = mh_cli_parse(&receipt_verify_spec, argc, argv, &a);
    if (ret) {
        ret = ret < 0 ? MH_EXIT_OK : ret;
        goto out;
    }
    text = a.text;
    doc = a.doc;
    json = a.json;
    memcpy(trust, a.trust, sizeof trust);
    ntrust = a.ntrust;
    if (!text || ntrust == 0) {
        ret = mh_cli_usage("--qr TEXT and at least one --trust FILE (the registry's public "
                           "key) are required");
        goto out;
    }
    keys = calloc(TRUST_MAX, sizeof *keys);
    if (!keys) {
        ret = mh_cli_fail(MH_ERR_NOMEM, "loading the trusted keys");
        goto out;
    }
    for (size_t i = 0; i < ntrust; i++) {
        ret = load_trust(trust[i], keys, &nkeys);
        if (ret)
            goto out;
    }
    if (doc) {
        ret = digest_file(doc, sha, &doc_len);
        if (ret)
            goto out;
    }
    ret = qr_text_to_receipt(text, buf, sizeof buf, &len, &host);
    if (ret)
        goto out;
    rc = mh_receipt_verify(buf, len, keys, nkeys, &r);
    if (rc && rc != MH_ERR_VERIFY_FAILED && rc != MH_ERR_NOT_FOUND) {
        ret = rc == MH_ERR_NOMEM
                  ? mh_cli_fail(rc, "reading the receipt")
                  : mh_cli_error(MH_EXIT_INPUT, "reading the receipt: %s", mh_err_message(rc));
        goto out;
    }
    if (rc) {
        snprintf(why_buf, sizeof why_buf, "%s", mh_err_message(rc));
        why = why_buf;
    } else if (!mh_receipt_host_matches(&r.claims, &host)) {
        char h1[SPAN_MAX], h2[SPAN_MAX];
        snprintf(why_buf, sizeof why_buf,
                 "the QR opens %s, but the receipt was issued for %s: a phone would have "
                 "opened another site than the registry's",
                 span(host, h1, sizeof h1), span(r.claims.host, h2, sizeof h2));
        why = why_buf;
    } else if (doc) {
        rc = mh_receipt_check_document(&r.claims, sha, doc_len);
        doc_ok = rc == 0;
        if (rc) {
            snprintf(why_buf, sizeof why_buf, "%s", mh_err_message(rc));
            why = why_buf;
        }
    }
    if (json) {
        mh_json j;
        char h[SPAN_MAX];
        mh_json_init(&j, stdout);
        mh_json_obj_begin(&j);
        mh_json_key(&j, "status");
        mh_json_str(&j, why ? "invalid" : "valid");
        if (why) {
            mh_json_key(&j, "reason");
            mh_json_str(&j, why);
        }
        mh_json_key(&j, "host");
        mh_json_str(&j, span(host, h, sizeof h));
        mh_json_key(&j, "signature_valid");
        mh_json_bool(&j, r.verified);
        mh_json_key(&j, "document_checked");
        mh_json_bool(&j, doc != NULL && r.verified);
        mh_json_key(&j, "document_matches");
        mh_json_bool(&j, doc_ok);
        json_claims(&j, &r);
        mh_json_obj_end(&j);
        mh_json_end(&j);
    } else {
        print_claims(&r);
        if (why) {
            printf("status:      INVALID\n");
            fprintf(stderr, "mohur: %s\n", why);
        } else {
            printf("status:      VALID (signed by a trusted registry key%s)\n",
                   doc ? "; the document matches" : "");
        }
    }
    ret = why ? MH_EXIT_INVALID : MH_EXIT_OK;
out:
    free(keys);
    return ret;
}

/* ---- receipt qr ------------------------------------------------------------ */

struct qr_args {
    const char *text;
    struct qr_out q;
};
static const struct mh_cli_opt receipt_qr_rows[] = {
    {MH_CLI_STR(struct qr_args, text, "text", "TEXT"), .shrt = 'T',
     .help = "what the QR code says"},
    {MH_CLI_INCLUDE(struct qr_args, q, qr_rows)},
    {0}};
static const struct mh_cli_spec receipt_qr_spec = {
    .usage = "mohur receipt qr --text TEXT [--png FILE] [--svg FILE]\n"
             "                        [--pdf-ops FILE [--pdf-at X,Y,SIZE]] [--scale N]\n"
             "                        [--level L] [--max-version N]",
    .about = "Draw any text as a QR code (for tooling and tests).\n"
             "\n"
             "Prints the QR version. Upper-case letters, digits and \" $%*+-./:\" are\n"
             "coded compactly (alphanumeric mode); other text as UTF-8 bytes.\n",
    .opts = receipt_qr_rows,
    .more = "Example:\n"
            "  mohur receipt qr --text 'HTTPS://VERIFY.MOHUR.AZ/V/MZXW6' --png qr.png\n",
};

static int cmd_receipt_qr(int argc, char **argv)
{
    struct qr_args a;
    int ret = MH_EXIT_USAGE;
    const char *text = NULL;
    struct qr_out q;
    mh_qr qr;

    memset(&qr, 0, sizeof qr);
    memset(&a, 0, sizeof a);
    qr_defaults(&a.q);
    ret = mh_cli_parse(&receipt_qr_spec, argc, argv, &a);
    if (ret) {
        ret = ret < 0 ? MH_EXIT_OK : ret;
        goto out;
    }
    text = a.text;
    q = a.q;
    if (!text) {
        ret = mh_cli_usage("--text TEXT is required");
        goto out;
    }
    ret = write_qr(text, &q, &qr);
    if (ret)
        goto out;
    printf("QR version %d-%c (%dx%d modules), %zu characters\n", qr.version,
           mh_qr_level_name(qr.level), qr.width, qr.width, strlen(text));
    ret = MH_EXIT_OK;
out:
    mh_qr_free(&qr);
    return ret;
}

const struct mh_cli_cmd mh_cli_receipt_cmds[] = {
    {"make", "sign a document's receipt with the registry key; QR URL and images",
     &receipt_make_spec, cmd_receipt_make, NULL},
    {"show", "show what a receipt's QR text says (signature not checked)", &receipt_show_spec,
     cmd_receipt_show, NULL},
    {"verify", "check a receipt with trusted registry keys (and the document)",
     &receipt_verify_spec, cmd_receipt_verify, NULL},
    {"qr", "draw a text as a QR code (PNG, SVG, PDF operators)", &receipt_qr_spec, cmd_receipt_qr,
     NULL},
    {NULL, NULL, NULL, NULL, NULL},
};
