/*
 * cmd_receipt.c - `mohur receipt make|show|verify|qr`: the signed receipt a
 * document carries (COSE_Sign1, docs/receipt.md), its QR URL and QR images.
 */
#include "cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mbedtls/pem.h>
#include <mbedtls/pk.h>
#include <mbedtls/sha256.h>

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
    int ret = MH_EXIT_INPUT;
    FILE *f = NULL;
    mbedtls_sha256_context ctx;
    uint8_t buf[65536];
    size_t n;

    mbedtls_sha256_init(&ctx);
    *len = 0;
    f = fopen(path, "rb");
    if (!f) {
        ret = mh_cli_error(MH_EXIT_INPUT, "cannot open '%s': %s", path, strerror(errno));
        goto out;
    }
    if (mbedtls_sha256_starts_ret(&ctx, 0)) {
        ret = MH_EXIT_INTERNAL;
        goto out;
    }
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) {
        if (mbedtls_sha256_update_ret(&ctx, buf, n)) {
            ret = MH_EXIT_INTERNAL;
            goto out;
        }
        *len += n;
    }
    if (ferror(f)) {
        ret = mh_cli_error(MH_EXIT_INPUT, "reading '%s' failed", path);
        goto out;
    }
    if (mbedtls_sha256_finish_ret(&ctx, sha)) {
        ret = MH_EXIT_INTERNAL;
        goto out;
    }
    ret = MH_EXIT_OK;
out:
    if (f)
        fclose(f);
    mbedtls_sha256_free(&ctx);
    return ret;
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

#define QR_OPTIONS_HELP                                                                            \
    "  --png FILE      write the QR code as a PNG image (8-bit grey)\n"                            \
    "  --svg FILE      write the QR code as SVG\n"                                                 \
    "  --pdf-ops FILE  write PDF content-stream operators that draw the QR code\n"                 \
    "  --pdf-at X,Y,SIZE  where the operators draw it, in points (default 0,0,144)\n"              \
    "  --scale N       pixels (PNG) or units (SVG) per module, 1-64 (default 4)\n"                 \
    "  --level L       error correction L, M, Q or H (default M)\n"                                \
    "  --max-version N refuse a QR code larger than version N (1-40)\n"

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

static const char receipt_make_help[] =
    "Sign a receipt for a document with the registry key and make its QR code.\n"
    "\n"
    "Usage: mohur receipt make --key URI --registry ID --index N --kind KIND\n"
    "           --issuer ID (--digest-of FILE | --digest HEX --length N)\n"
    "           [--field NAME=TEXT]... [--time T] [--full-digest] [--host HOST]\n"
    "           [--out FILE] [--png FILE] [--svg FILE] [--pdf-ops FILE] [--json]\n"
    "\n"
    "The receipt is a COSE_Sign1 (ES256) over the registry id, the log index of\n"
    "the ledger entry (append the entry first), the issue time, the kind, the\n"
    "SHA-256 and length of the original document, the issuer and the fields\n"
    "printed on the paper. It is printed as the URL the QR code carries,\n"
    "HTTPS://<HOST>/V/<BASE32>, followed on standard error by the QR version.\n"
    "\n"
    "Options:\n"
    "  --key URI       the registry key (EC P-256) on a token or HSM\n"
    "  --registry ID   the registry (ledger) id, e.g. AZ-EDU\n"
    "  --index N       the log index of the document's ledger entry\n"
    "  --kind KIND     diploma, certificate, notary-act, transcript,\n"
    "                  court-decision, or another short word\n"
    "  --issuer ID     short id of the issuing organisation, e.g. BDU\n"
    "  --digest-of FILE  hash this file (the original document)\n"
    "  --digest HEX    its SHA-256 (64 hex digits) instead, with --length N\n"
    "  --field NAME=TEXT  a field printed on the paper (up to 8; well-known\n"
    "                  names: name, date, degree, program, grade, number, title,\n"
    "                  birth-date)\n"
    "  --time T        issue time in seconds since 1970 (default: now)\n"
    "  --full-digest   keep all 32 bytes of SHA-256 (default: the first 16; the\n"
    "                  ledger entry keeps all 32, see docs/receipt.md)\n"
    "  --host HOST     the verification site (default " DEFAULT_HOST ")\n"
    "  --out FILE      also write the receipt bytes (CBOR) to FILE\n" QR_OPTIONS_HELP
    "  --json          print the URL and sizes as JSON\n"
    "  --module M      the PKCS#11 module (path or p11-kit name)\n"
    "  -h, --help      show this help\n"
    "\n"
    "Example:\n"
    "  mohur receipt make --key 'pkcs11:token=Seal;object=registry?pin-source=file:pin' \\\n"
    "      --registry AZ-EDU --index 42 --kind diploma --issuer BDU \\\n"
    "      --digest-of diploma.pdf --field 'name=Əliyev Rəşad' --field degree=Bakalavr \\\n"
    "      --field date=2026-06-30 --png qr.png\n";

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
    static const struct option opts[] = {
        {"key", required_argument, NULL, 'k'},    {"registry", required_argument, NULL, 'r'},
        {"index", required_argument, NULL, 'n'},  {"kind", required_argument, NULL, 'K'},
        {"issuer", required_argument, NULL, 'I'}, {"digest-of", required_argument, NULL, 'f'},
        {"digest", required_argument, NULL, 'd'}, {"length", required_argument, NULL, 'l'},
        {"field", required_argument, NULL, 'F'},  {"time", required_argument, NULL, 't'},
        {"full-digest", no_argument, NULL, 'D'},  {"host", required_argument, NULL, 'H'},
        {"out", required_argument, NULL, 'o'},    {"png", required_argument, NULL, 'P'},
        {"svg", required_argument, NULL, 'S'},    {"pdf-ops", required_argument, NULL, 'O'},
        {"pdf-at", required_argument, NULL, 'A'}, {"scale", required_argument, NULL, 'x'},
        {"level", required_argument, NULL, 'L'},  {"max-version", required_argument, NULL, 'V'},
        {"json", no_argument, NULL, 'j'},         {"module", required_argument, NULL, 'm'},
        {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0},
    };
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
    uint64_t v;
    int ch, rc;

    memset(&c, 0, sizeof c);
    memset(&claims, 0, sizeof claims);
    memset(&qr, 0, sizeof qr);
    memset(&pk, 0, sizeof pk);
    qr_defaults(&q);
    ret = mh_cli_check_long(argc, argv, opts);
    if (ret)
        goto out;
    while ((ch = getopt_long(argc, argv, ":k:r:n:K:I:f:d:l:F:t:DH:o:P:S:O:A:x:L:V:jm:h", opts,
                             NULL)) != -1) {
        rc = qr_option(ch, optarg, &q);
        if (rc > 0) {
            ret = rc;
            goto out;
        }
        if (rc == 0)
            continue;
        switch (ch) {
        case 'k':
            keyuri = optarg;
            break;
        case 'r':
            reg = optarg;
            break;
        case 'n':
            if (!parse_u64(optarg, &claims.log_index)) {
                ret = mh_cli_usage("--index must be a whole number (the ledger's log index)");
                goto out;
            }
            have_index = true;
            break;
        case 'K':
            kind = optarg;
            break;
        case 'I':
            issuer = optarg;
            break;
        case 'f':
            doc = optarg;
            break;
        case 'd':
            digest_hex = optarg;
            break;
        case 'l':
            if (!parse_u64(optarg, &claims.doc_len)) {
                ret = mh_cli_usage("--length must be a whole number of bytes");
                goto out;
            }
            have_len = true;
            break;
        case 'F':
            ret = add_field(&claims, optarg);
            if (ret)
                goto out;
            break;
        case 't':
            if (!parse_u64(optarg, &v)) {
                ret = mh_cli_usage("--time must be seconds since 1970-01-01 UTC");
                goto out;
            }
            claims.issued_at = v;
            have_time = true;
            break;
        case 'D':
            full = true;
            break;
        case 'H':
            host = optarg;
            break;
        case 'o':
            out_path = optarg;
            break;
        case 'j':
            json = true;
            break;
        case 'm':
            module = optarg;
            break;
        case 'h':
            fputs(receipt_make_help, stdout);
            ret = MH_EXIT_OK;
            goto out;
        default:
            ret = mh_cli_bad_option(ch, argv);
            goto out;
        }
    }
    ret = mh_cli_no_operands(argc, argv);
    if (ret)
        goto out;
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

static const char receipt_show_help[] =
    "Show what a receipt says, without checking its signature.\n"
    "\n"
    "Usage: mohur receipt show --qr TEXT [--json]\n"
    "\n"
    "Options:\n"
    "  --qr TEXT       the text of the QR code (HTTPS://.../V/...)\n"
    "  --json          print as JSON\n"
    "  -h, --help      show this help\n"
    "\n"
    "Nothing shown here is trustworthy until 'mohur receipt verify' says VALID.\n"
    "\n"
    "Example:\n"
    "  mohur receipt show --qr \"$(zbarimg --raw -q qr.png)\"\n";

static int cmd_receipt_show(int argc, char **argv)
{
    static const struct option opts[] = {
        {"qr", required_argument, NULL, 'q'},
        {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int ret = MH_EXIT_USAGE;
    const char *text = NULL;
    bool json = false;
    uint8_t buf[MH_RECEIPT_MAX];
    size_t len = 0;
    mh_receipt_str host;
    mh_receipt r;
    int ch, rc;

    ret = mh_cli_check_long(argc, argv, opts);
    if (ret)
        return ret;
    while ((ch = getopt_long(argc, argv, ":q:jh", opts, NULL)) != -1) {
        switch (ch) {
        case 'q':
            text = optarg;
            break;
        case 'j':
            json = true;
            break;
        case 'h':
            fputs(receipt_show_help, stdout);
            return MH_EXIT_OK;
        default:
            return mh_cli_bad_option(ch, argv);
        }
    }
    ret = mh_cli_no_operands(argc, argv);
    if (ret)
        return ret;
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

static const char receipt_verify_help[] =
    "Check a receipt's signature with trusted registry keys, and optionally the\n"
    "document it was issued for.\n"
    "\n"
    "Usage: mohur receipt verify --qr TEXT --trust FILE [--trust FILE]...\n"
    "                            [--file DOCUMENT] [--json]\n"
    "\n"
    "Options:\n"
    "  --qr TEXT       the text of the QR code (HTTPS://.../V/...)\n"
    "  --trust FILE    registry public keys: PEM (PUBLIC KEY or CERTIFICATE\n"
    "                  blocks, several per file allowed) or one DER public key;\n"
    "                  'mohur key export' writes one\n"
    "  --file DOC      the original document: its SHA-256 and length must match\n"
    "  --json          print the result as JSON\n"
    "  -h, --help      show this help\n"
    "\n"
    "Exit status 0 when the receipt is VALID (and the document matches), 1 when\n"
    "it is not, 3 when the QR text is not a readable receipt.\n"
    "\n"
    "Example:\n"
    "  mohur receipt verify --qr \"$(zbarimg --raw -q qr.png)\" --trust registry.pem \\\n"
    "      --file diploma.pdf\n";

/* Adds the keys of one trust file. Prints errors. */
static int load_trust(const char *path, mh_receipt_key *keys, size_t *n)
{
    int ret = MH_EXIT_INPUT;
    uint8_t *data = NULL;
    size_t len = 0, found = 0;
    mbedtls_pem_context pem;
    mh_x509_cert *crt = calloc(1, sizeof *crt);
    uint8_t spki[512];
    int rc;

    mbedtls_pem_init(&pem);
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
        mbedtls_pem_free(&pem);
        mbedtls_pem_init(&pem);
        rc = mbedtls_pem_read_buffer(
            &pem, cert ? "-----BEGIN CERTIFICATE-----" : "-----BEGIN PUBLIC KEY-----",
            cert ? "-----END CERTIFICATE-----" : "-----END PUBLIC KEY-----", (const uint8_t *)p,
            NULL, 0, &used);
        if (rc || used == 0) {
            ret = mh_cli_error(MH_EXIT_INPUT, "'%s' has a damaged PEM block", path);
            goto out;
        }
        p += used;
        der = pem.buf;
        der_len = pem.buflen;
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
    mbedtls_pem_free(&pem);
    free(crt);
    free(data);
    return ret;
}

static int cmd_receipt_verify(int argc, char **argv)
{
    static const struct option opts[] = {
        {"qr", required_argument, NULL, 'q'},   {"trust", required_argument, NULL, 't'},
        {"file", required_argument, NULL, 'f'}, {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},       {NULL, 0, NULL, 0},
    };
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
    int ch, rc;

    memset(&r, 0, sizeof r);
    ret = mh_cli_check_long(argc, argv, opts);
    if (ret)
        goto out;
    while ((ch = getopt_long(argc, argv, ":q:t:f:jh", opts, NULL)) != -1) {
        switch (ch) {
        case 'q':
            text = optarg;
            break;
        case 't':
            if (ntrust >= TRUST_MAX) {
                ret = mh_cli_usage("at most %d --trust files", TRUST_MAX);
                goto out;
            }
            trust[ntrust++] = optarg;
            break;
        case 'f':
            doc = optarg;
            break;
        case 'j':
            json = true;
            break;
        case 'h':
            fputs(receipt_verify_help, stdout);
            ret = MH_EXIT_OK;
            goto out;
        default:
            ret = mh_cli_bad_option(ch, argv);
            goto out;
        }
    }
    ret = mh_cli_no_operands(argc, argv);
    if (ret)
        goto out;
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

static const char receipt_qr_help[] =
    "Draw any text as a QR code (for tooling and tests).\n"
    "\n"
    "Usage: mohur receipt qr --text TEXT [--png FILE] [--svg FILE]\n"
    "                        [--pdf-ops FILE [--pdf-at X,Y,SIZE]] [--scale N]\n"
    "                        [--level L] [--max-version N]\n"
    "\n"
    "Prints the QR version. Upper-case letters, digits and \" $%*+-./:\" are\n"
    "coded compactly (alphanumeric mode); other text as UTF-8 bytes.\n"
    "\n"
    "Options:\n"
    "  --text TEXT     what the QR code says\n" QR_OPTIONS_HELP "  -h, --help      show this help\n"
    "\n"
    "Example:\n"
    "  mohur receipt qr --text 'HTTPS://VERIFY.MOHUR.AZ/V/MZXW6' --png qr.png\n";

static int cmd_receipt_qr(int argc, char **argv)
{
    static const struct option opts[] = {
        {"text", required_argument, NULL, 'T'},   {"png", required_argument, NULL, 'P'},
        {"svg", required_argument, NULL, 'S'},    {"pdf-ops", required_argument, NULL, 'O'},
        {"pdf-at", required_argument, NULL, 'A'}, {"scale", required_argument, NULL, 'x'},
        {"level", required_argument, NULL, 'L'},  {"max-version", required_argument, NULL, 'V'},
        {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0},
    };
    int ret = MH_EXIT_USAGE;
    const char *text = NULL;
    struct qr_out q;
    mh_qr qr;
    int ch, rc;

    memset(&qr, 0, sizeof qr);
    qr_defaults(&q);
    ret = mh_cli_check_long(argc, argv, opts);
    if (ret)
        goto out;
    while ((ch = getopt_long(argc, argv, ":T:P:S:O:A:x:L:V:h", opts, NULL)) != -1) {
        rc = qr_option(ch, optarg, &q);
        if (rc > 0) {
            ret = rc;
            goto out;
        }
        if (rc == 0)
            continue;
        switch (ch) {
        case 'T':
            text = optarg;
            break;
        case 'h':
            fputs(receipt_qr_help, stdout);
            ret = MH_EXIT_OK;
            goto out;
        default:
            ret = mh_cli_bad_option(ch, argv);
            goto out;
        }
    }
    ret = mh_cli_no_operands(argc, argv);
    if (ret)
        goto out;
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
     receipt_make_help, cmd_receipt_make, NULL},
    {"show", "show what a receipt's QR text says (signature not checked)", receipt_show_help,
     cmd_receipt_show, NULL},
    {"verify", "check a receipt with trusted registry keys (and the document)", receipt_verify_help,
     cmd_receipt_verify, NULL},
    {"qr", "draw a text as a QR code (PNG, SVG, PDF operators)", receipt_qr_help, cmd_receipt_qr,
     NULL},
    {NULL, NULL, NULL, NULL, NULL},
};
