/*
 * cmd_cert.c - `mohur cert show|verify`: X.509 certificates, read with
 * pki/'s own parser and validated with its RFC 5280 path validation.
 */
#include "cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mh_pki.h"

#define CERT_FILE_CAP ((size_t)4 << 20) /* a file of PEM certificates */
#define CRL_FILE_CAP ((size_t)16 << 20)
#define MAX_CERTS 256
#define MAX_CRLS 64
#define MAX_FILES 64
#define MAX_POLICIES 8

/* ---- reading ------------------------------------------------------------ */

/* Everything read, kept alive while the parsed structs point into it. */
typedef struct store {
    uint8_t *bufs[2 * MAX_FILES + 2 * MAX_CERTS];
    size_t n_bufs;
    mh_x509_cert *certs; /* MAX_CERTS */
    size_t n_certs;
    mh_x509_crl *crls; /* MAX_CRLS */
    size_t n_crls;
} store;

static int store_init(store *s)
{
    memset(s, 0, sizeof *s);
    s->certs = calloc(MAX_CERTS, sizeof *s->certs);
    s->crls = calloc(MAX_CRLS, sizeof *s->crls);
    if (!s->certs || !s->crls)
        return mh_cli_fail(MH_ERR_NOMEM, "reading certificates");
    return 0;
}

static void store_free(store *s)
{
    for (size_t i = 0; i < s->n_bufs; i++)
        free(s->bufs[i]);
    free(s->certs);
    free(s->crls);
}

static int keep(store *s, uint8_t *b)
{
    if (s->n_bufs >= sizeof s->bufs / sizeof s->bufs[0]) {
        free(b);
        return mh_cli_error(MH_EXIT_INPUT, "too many certificates and CRLs (at most %d)",
                            MAX_CERTS);
    }
    s->bufs[s->n_bufs++] = b;
    return 0;
}

/* Finds the next "-----BEGIN <label>-----" block at or after *pos; its
 * base64 body in [*b0, *b1). */
static bool pem_next(const uint8_t *buf, size_t len, size_t *pos, const char *label, size_t *b0,
                     size_t *b1)
{
    char begin[64], end[64];
    snprintf(begin, sizeof begin, "-----BEGIN %s-----", label);
    snprintf(end, sizeof end, "-----END %s-----", label);
    size_t bl = strlen(begin), el = strlen(end);
    for (size_t i = *pos; i + bl <= len; i++) {
        if (memcmp(buf + i, begin, bl) != 0)
            continue;
        for (size_t j = i + bl; j + el <= len; j++) {
            if (memcmp(buf + j, end, el) == 0) {
                *b0 = i + bl;
                *b1 = j;
                *pos = j + el;
                return true;
            }
        }
        return false;
    }
    return false;
}

static bool is_pem(const uint8_t *buf, size_t len)
{
    static const char tag[] = "-----BEGIN ";
    for (size_t i = 0; i + sizeof tag - 1 <= len; i++)
        if (memcmp(buf + i, tag, sizeof tag - 1) == 0)
            return true;
    return false;
}

/* Reads a file of certificates (DER, or PEM with one or more) into s. */
static int load_certs(store *s, const char *path, size_t *first, size_t *count)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    int ret = mh_cli_read_file(path, CERT_FILE_CAP, &buf, &len);
    if (ret)
        return ret;
    if ((ret = keep(s, buf)))
        return ret;
    *first = s->n_certs;
    *count = 0;
    const char *labels[] = {"CERTIFICATE", "TRUSTED CERTIFICATE", "X509 CERTIFICATE"};
    if (!is_pem(buf, len)) {
        if (s->n_certs >= MAX_CERTS)
            return mh_cli_error(MH_EXIT_INPUT, "%s: too many certificates (at most %d)", path,
                                MAX_CERTS);
        int rc = mh_x509_cert_parse(&s->certs[s->n_certs], buf, len);
        if (rc)
            return mh_cli_fail(rc, "reading the certificate in %s", path);
        s->n_certs++;
        *count = 1;
        return 0;
    }
    for (size_t l = 0; l < 3; l++) {
        size_t pos = 0, b0, b1;
        while (pem_next(buf, len, &pos, labels[l], &b0, &b1)) {
            uint8_t *der = NULL;
            size_t dl = 0;
            if (mh_cli_unbase64(buf + b0, b1 - b0, &der, &dl))
                return mh_cli_error(MH_EXIT_INPUT, "%s: a PEM certificate is not valid base64",
                                    path);
            if ((ret = keep(s, der)))
                return ret;
            if (s->n_certs >= MAX_CERTS)
                return mh_cli_error(MH_EXIT_INPUT, "%s: too many certificates (at most %d)", path,
                                    MAX_CERTS);
            int rc = mh_x509_cert_parse(&s->certs[s->n_certs], der, dl);
            if (rc)
                return mh_cli_fail(rc, "reading certificate %zu in %s", *count + 1, path);
            s->n_certs++;
            (*count)++;
        }
    }
    if (*count == 0)
        return mh_cli_error(MH_EXIT_INPUT,
                            "%s holds no certificate (expected DER or PEM "
                            "'-----BEGIN CERTIFICATE-----')",
                            path);
    return 0;
}

static int load_crls(store *s, const char *path)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    size_t count = 0;
    int ret = mh_cli_read_file(path, CRL_FILE_CAP, &buf, &len);
    if (ret)
        return ret;
    if ((ret = keep(s, buf)))
        return ret;
    if (!is_pem(buf, len)) {
        if (s->n_crls >= MAX_CRLS)
            return mh_cli_error(MH_EXIT_INPUT, "too many CRLs (at most %d)", MAX_CRLS);
        int rc = mh_x509_crl_parse(&s->crls[s->n_crls], buf, len);
        if (rc)
            return mh_cli_fail(rc, "reading the CRL in %s", path);
        s->n_crls++;
        return 0;
    }
    size_t pos = 0, b0, b1;
    while (pem_next(buf, len, &pos, "X509 CRL", &b0, &b1)) {
        uint8_t *der = NULL;
        size_t dl = 0;
        if (mh_cli_unbase64(buf + b0, b1 - b0, &der, &dl))
            return mh_cli_error(MH_EXIT_INPUT, "%s: a PEM CRL is not valid base64", path);
        if ((ret = keep(s, der)))
            return ret;
        if (s->n_crls >= MAX_CRLS)
            return mh_cli_error(MH_EXIT_INPUT, "too many CRLs (at most %d)", MAX_CRLS);
        int rc = mh_x509_crl_parse(&s->crls[s->n_crls], der, dl);
        if (rc)
            return mh_cli_fail(rc, "reading CRL %zu in %s", count + 1, path);
        s->n_crls++;
        count++;
    }
    if (count == 0)
        return mh_cli_error(MH_EXIT_INPUT,
                            "%s holds no CRL (expected DER or PEM '-----BEGIN X509 CRL-----')",
                            path);
    return 0;
}

/* ---- cert show ---------------------------------------------------------- */

struct show_opts {
    bool json;
};
static const struct mh_cli_opt cert_show_rows[] = {
    {MH_CLI_JSON(struct show_opts, json), .shrt = 'j', .help = "print a JSON array of objects"},
    {0}};
static const struct mh_cli_spec cert_show_spec = {
    .usage = "mohur cert show FILE [--json]",
    .about = "Shows a certificate (DER or PEM; every certificate of a PEM file): subject,\n"
             "issuer, serial, validity, key, key usage, extended key usage, policies,\n"
             "alternative names, CRL distribution points, authority information access,\n"
             "CA and path length, and which mohur profile it looks like.\n",
    .opts = cert_show_rows,
    .more = "Example:\n  mohur cert show notary.pem\n",
    .min_args = 1,
    .max_args = 1,
    .args_err = "give exactly one certificate file",
};

static const char *profile_of(const mh_x509_cert *c)
{
    static const uint8_t tsa[] = {0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x08};
    static const uint8_t srv[] = {0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x01};
    if (c->is_ca)
        return mh_x509_cert_self_issued(c) ? "root CA" : "issuing CA";
    for (size_t i = 0; i < c->n_eku; i++) {
        if (c->eku[i].len == sizeof tsa && memcmp(c->eku[i].p, tsa, sizeof tsa) == 0)
            return "timestamping authority (TSA)";
        if (c->eku[i].len == sizeof srv && memcmp(c->eku[i].p, srv, sizeof srv) == 0)
            return "TLS server";
    }
    if ((c->ext_present & MH_EXT_KEY_USAGE) && (c->key_usage & MH_KU_NON_REPUDIATION))
        return "document signer (notary or organisation seal)";
    if ((c->ext_present & MH_EXT_KEY_USAGE) && (c->key_usage & MH_KU_DIGITAL_SIGNATURE))
        return "signing key (registry or other)";
    return "other";
}

static void ku_str(uint16_t ku, char *out, size_t cap)
{
    static const char *names[] = {"digitalSignature", "nonRepudiation", "keyEncipherment",
                                  "dataEncipherment", "keyAgreement",   "keyCertSign",
                                  "cRLSign",          "encipherOnly",   "decipherOnly"};
    size_t pos = 0;
    out[0] = 0;
    for (unsigned i = 0; i < 9; i++) {
        if (!(ku & (1u << i)))
            continue;
        int n = snprintf(out + pos, cap - pos, "%s%s", pos ? ", " : "", names[i]);
        if (n < 0 || (size_t)n >= cap - pos)
            return;
        pos += (size_t)n;
    }
}

/* Text of one general name: "DNS:example.az", "URI:http://...", ... */
static void gn_str(const mh_x509_gn *g, char *out, size_t cap)
{
    switch (g->type) {
    case MH_GN_EMAIL:
    case MH_GN_DNS:
    case MH_GN_URI: {
        const char *pfx = g->type == MH_GN_EMAIL ? "email" : g->type == MH_GN_DNS ? "DNS" : "URI";
        size_t n = g->val.len > 200 ? 200 : g->val.len;
        char v[201];
        for (size_t i = 0; i < n; i++)
            v[i] = (g->val.p[i] >= 0x20 && g->val.p[i] < 0x7f) ? (char)g->val.p[i] : '?';
        v[n] = 0;
        snprintf(out, cap, "%s:%s", pfx, v);
        break;
    }
    case MH_GN_DIRNAME: {
        mh_x509_name nm;
        char t[256];
        if (mh_x509_name_parse(&nm, g->val.p, g->val.len) == 0)
            mh_x509_name_str(&nm, t, sizeof t);
        else
            snprintf(t, sizeof t, "(malformed)");
        snprintf(out, cap, "DirName:%s", t);
        break;
    }
    case MH_GN_IP:
        if (g->val.len == 4)
            snprintf(out, cap, "IP:%u.%u.%u.%u", g->val.p[0], g->val.p[1], g->val.p[2],
                     g->val.p[3]);
        else {
            size_t pos = (size_t)snprintf(out, cap, "IP:");
            for (size_t i = 0; i + 1 < g->val.len && pos < cap; i += 2)
                pos += (size_t)snprintf(out + pos, cap - pos, "%s%x", i ? ":" : "",
                                        g->val.p[i] << 8 | g->val.p[i + 1]);
        }
        break;
    default:
        snprintf(out, cap, "(name of type %u)", g->type);
    }
}

typedef void (*gn_cb)(void *ctx, const char *text);

static void each_gn(const mh_x509_gnames *g, gn_cb cb, void *ctx)
{
    mh_der d;
    mh_x509_gn gn;
    char t[320];
    mh_der_init(&d, g->raw.p, g->raw.len);
    while (mh_x509_gn_next(&d, &gn) == 0) {
        gn_str(&gn, t, sizeof t);
        cb(ctx, t);
    }
}

static void print_item(void *ctx, const char *text)
{
    printf("%s%s\n", (const char *)ctx, text);
}

static void json_item(void *ctx, const char *text)
{
    mh_json_str(ctx, text);
}

static void serial_hex(const mh_x509_cert *c, char *out, size_t cap)
{
    mh_cli_hex_encode(c->serial.p, c->serial.len, out, cap);
}

static void show_text(const mh_x509_cert *c)
{
    char t[512], d1[16], d2[16];
    mh_x509_name_str(&c->subject, t, sizeof t);
    printf("Subject:      %s\n", t);
    mh_x509_name_str(&c->issuer, t, sizeof t);
    printf("Issuer:       %s\n", t);
    serial_hex(c, t, sizeof t);
    printf("Serial:       %s\n", t);
    mh_x509_date_str(c->not_before, d1, sizeof d1);
    mh_x509_date_str(c->not_after, d2, sizeof d2);
    printf("Valid:        %s to %s (UTC)\n", d1, d2);
    mh_x509_key_desc(c, t, sizeof t);
    printf("Key:          %s\n", t);
    printf("Signature:    %s\n", mh_x509_sig_alg_name(&c->sig_alg));
    if (c->ext_present & MH_EXT_BASIC_CONSTRAINTS) {
        if (c->is_ca && c->has_path_len)
            printf("CA:           yes, path length %u\n", c->path_len);
        else
            printf("CA:           %s\n", c->is_ca ? "yes" : "no");
    } else {
        printf("CA:           no\n");
    }
    if (c->ext_present & MH_EXT_KEY_USAGE) {
        ku_str(c->key_usage, t, sizeof t);
        printf("Key usage:    %s%s\n", t,
               (c->ext_critical & MH_EXT_KEY_USAGE) ? " (critical)" : "");
    }
    if (c->n_eku) {
        printf("Ext. usage:   ");
        for (size_t i = 0; i < c->n_eku; i++) {
            mh_x509_oid_str(&c->eku[i], true, t, sizeof t);
            printf("%s%s", i ? ", " : "", t);
        }
        printf("%s\n", (c->ext_critical & MH_EXT_EXT_KEY_USAGE) ? " (critical)" : "");
    }
    for (size_t i = 0; i < c->n_policies; i++) {
        mh_x509_oid_str(&c->policies[i].oid, true, t, sizeof t);
        printf("Policy:       %s\n", t);
    }
    if (c->ext_present & MH_EXT_SAN)
        each_gn(&c->san, print_item, "Alt. name:    ");
    for (size_t i = 0; i < c->n_dps; i++)
        if (c->dps[i].has_full_name)
            each_gn(&c->dps[i].full_name, print_item, "CRL at:       ");
    mh_der ad;
    mh_x509_access acc;
    mh_der_init(&ad, c->aia.p, c->aia.len);
    while (mh_x509_access_next(&ad, &acc) == 0) {
        char m[64], l[320];
        mh_x509_oid_str(&acc.method, true, m, sizeof m);
        gn_str(&acc.location, l, sizeof l);
        printf("Access:       %s %s\n", m, l);
    }
    if (c->n_permitted || c->n_excluded)
        printf("Constraints:  %u permitted, %u excluded name subtrees\n", c->n_permitted,
               c->n_excluded);
    if (c->unknown_critical) {
        mh_x509_oid_str(&c->unknown_critical_oid, false, t, sizeof t);
        printf("WARNING:      unknown critical extension %s: this certificate cannot be used\n", t);
    }
    printf("Profile:      %s\n", profile_of(c));
}

static void show_json(mh_json *j, const mh_x509_cert *c)
{
    char t[512], d1[16];
    mh_json_obj_begin(j);
    mh_json_key(j, "subject");
    mh_x509_name_str(&c->subject, t, sizeof t);
    mh_json_str(j, t);
    mh_json_key(j, "issuer");
    mh_x509_name_str(&c->issuer, t, sizeof t);
    mh_json_str(j, t);
    mh_json_key(j, "serial");
    serial_hex(c, t, sizeof t);
    mh_json_str(j, t);
    mh_json_key(j, "not_before");
    mh_x509_date_str(c->not_before, d1, sizeof d1);
    mh_json_str(j, d1);
    mh_json_key(j, "not_after");
    mh_x509_date_str(c->not_after, d1, sizeof d1);
    mh_json_str(j, d1);
    mh_json_key(j, "key");
    mh_x509_key_desc(c, t, sizeof t);
    mh_json_str(j, t);
    mh_json_key(j, "signature_algorithm");
    mh_json_str(j, mh_x509_sig_alg_name(&c->sig_alg));
    mh_json_key(j, "ca");
    mh_json_bool(j, c->is_ca);
    mh_json_key(j, "path_len");
    if (c->has_path_len)
        mh_json_uint(j, c->path_len);
    else
        mh_json_null(j);
    mh_json_key(j, "key_usage");
    mh_json_arr_begin(j);
    static const char *names[] = {"digitalSignature", "nonRepudiation", "keyEncipherment",
                                  "dataEncipherment", "keyAgreement",   "keyCertSign",
                                  "cRLSign",          "encipherOnly",   "decipherOnly"};
    for (unsigned i = 0; i < 9; i++)
        if ((c->ext_present & MH_EXT_KEY_USAGE) && (c->key_usage & (1u << i)))
            mh_json_str(j, names[i]);
    mh_json_arr_end(j);
    mh_json_key(j, "extended_key_usage");
    mh_json_arr_begin(j);
    for (size_t i = 0; i < c->n_eku; i++) {
        mh_x509_oid_str(&c->eku[i], true, t, sizeof t);
        mh_json_str(j, t);
    }
    mh_json_arr_end(j);
    mh_json_key(j, "policies");
    mh_json_arr_begin(j);
    for (size_t i = 0; i < c->n_policies; i++) {
        mh_x509_oid_str(&c->policies[i].oid, false, t, sizeof t);
        mh_json_str(j, t);
    }
    mh_json_arr_end(j);
    mh_json_key(j, "subject_alt_names");
    mh_json_arr_begin(j);
    if (c->ext_present & MH_EXT_SAN)
        each_gn(&c->san, json_item, j);
    mh_json_arr_end(j);
    mh_json_key(j, "crl_distribution_points");
    mh_json_arr_begin(j);
    for (size_t i = 0; i < c->n_dps; i++)
        if (c->dps[i].has_full_name)
            each_gn(&c->dps[i].full_name, json_item, j);
    mh_json_arr_end(j);
    mh_json_key(j, "authority_info_access");
    mh_json_arr_begin(j);
    mh_der ad;
    mh_x509_access acc;
    mh_der_init(&ad, c->aia.p, c->aia.len);
    while (mh_x509_access_next(&ad, &acc) == 0) {
        char m[64], l[320];
        mh_x509_oid_str(&acc.method, true, m, sizeof m);
        gn_str(&acc.location, l, sizeof l);
        snprintf(t, sizeof t, "%s %s", m, l);
        mh_json_str(j, t);
    }
    mh_json_arr_end(j);
    mh_json_key(j, "unknown_critical_extension");
    mh_json_bool(j, c->unknown_critical);
    mh_json_key(j, "profile");
    mh_json_str(j, profile_of(c));
    mh_json_obj_end(j);
}

static int cmd_cert_show(int argc, char **argv)
{
    struct show_opts a = {false};
    int ret = MH_EXIT_USAGE;
    bool json = false;
    store s;
    bool inited = false;

    ret = mh_cli_parse(&cert_show_spec, argc, argv, &a);
    if (ret) {
        ret = ret < 0 ? MH_EXIT_OK : ret;
        goto out;
    }
    json = a.json;
    if ((ret = store_init(&s)))
        goto out;
    inited = true;
    size_t first, count;
    if ((ret = load_certs(&s, argv[optind], &first, &count)))
        goto out;
    if (json) {
        mh_json j;
        mh_json_init(&j, stdout);
        mh_json_arr_begin(&j);
        for (size_t i = 0; i < count; i++)
            show_json(&j, &s.certs[first + i]);
        mh_json_arr_end(&j);
        mh_json_end(&j);
    } else {
        for (size_t i = 0; i < count; i++) {
            if (i)
                printf("\n");
            show_text(&s.certs[first + i]);
        }
    }
    ret = MH_EXIT_OK;
out:
    if (inited)
        store_free(&s);
    return ret;
}

/* ---- cert verify -------------------------------------------------------- */

struct cv_opts {
    const char *cas[MAX_FILES], *unt[MAX_FILES], *crlf[MAX_FILES];
    size_t n_ca, n_unt, n_crl;
    const char *at, *purpose, *policy[MAX_POLICIES];
    size_t npolicy;
    bool json, require;
};
#define T struct cv_opts
#define FILES_ERR .err = "too many files for one option (at most 64)"
static const struct mh_cli_opt cert_verify_rows[] = {
    {MH_CLI_LIST(T, cas, n_ca, "ca", "FILE"), .shrt = 'c', FILES_ERR, .flags = MH_CLI_REQUIRED,
     .help = "trusted root certificates (required)"},
    {MH_CLI_LIST(T, unt, n_unt, "untrusted", "FILE"), .shrt = 'u', FILES_ERR,
     .help = "intermediate certificates to build the path with"},
    {MH_CLI_LIST(T, crlf, n_crl, "crl", "FILE"), .shrt = 'r', FILES_ERR,
     .help = "CRLs (DER or PEM); with CRLs and no --require-crl, a certificate no CRL covers "
             "is accepted"},
    {MH_CLI_FLAG(T, require, "require-crl"), .shrt = 'R',
     .help = "every certificate must be covered by a current CRL"},
    {MH_CLI_STR(T, at, "at", "TIME"), .shrt = 'a',
     .help = "validate at this time (UTC) instead of now"},
    {MH_CLI_STR(T, purpose, "purpose", "P"), .shrt = 'p',
     .help = "document (default): document signing; timestamp: an RFC 3161 TSA; crl: a CRL "
             "signer; tls: a TLS server; any: no key usage requirement"},
    {MH_CLI_LIST(T, policy, npolicy, "policy", "OID"), .shrt = 'P',
     .err = "at most 8 --policy options",
     .help = "the path must be valid for this certificate policy (repeat for several; any one "
             "suffices)"},
    {MH_CLI_JSON(T, json), .shrt = 'j',
     .help = "print JSON: {\"valid\", \"chain\", \"reason\", ...}"},
    {0}};
#undef T
static const struct mh_cli_spec cert_verify_spec = {
    .usage = "mohur cert verify CERT --ca FILE... [--untrusted FILE...] [--crl FILE...]\n"
             "                         [--at YYYY-MM-DD[THH:MM:SSZ]]\n"
             "                         [--purpose document|timestamp|crl|tls|any]\n"
             "                         [--policy OID...] [--require-crl] [--json]",
    .about = "Builds a certification path from CERT (its first certificate) to a trusted\n"
             "root and validates it as RFC 5280 asks: signatures, validity dates, name\n"
             "chaining, CA flags and path lengths, key usage, name constraints,\n"
             "certificate policies and unknown critical extensions, and revocation with\n"
             "the CRLs given. Prints one line: 'Valid: ...' (exit 0) or 'NOT valid:\n"
             "<reason>' (exit 1). Files may hold several PEM certificates; options may\n"
             "be repeated.\n",
    .opts = cert_verify_rows,
    .more = "Example:\n"
            "  mohur cert verify notary.pem --ca root.pem --untrusted ca.pem \\\n"
            "      --crl ca.crl --require-crl\n",
    .min_args = 1,
    .max_args = 1,
    .args_err = "give exactly one certificate to verify",
};

static int parse_time(const char *s, int64_t *t)
{
    unsigned y, mo, d, h = 0, mi = 0, se = 0;
    char tail[4] = "";
    int n = sscanf(s, "%4u-%2u-%2uT%2u:%2u:%2u%3s", &y, &mo, &d, &h, &mi, &se, tail);
    size_t len = strlen(s);
    if (len == 10 && n == 3) {
        /* a date alone */
    } else if (len == 20 && n == 7 && strcmp(tail, "Z") == 0) {
        /* full time */
    } else {
        return -1;
    }
    static const unsigned mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (y < 1950 || y > 9999 || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h > 23 ||
        mi > 59 || se > 59)
        return -1;
    *t = mh_der_days_from_civil(y, mo, d) * 86400 + (int64_t)h * 3600 + (int64_t)mi * 60 + se;
    return 0;
}

static int oid_encode(const char *s, uint8_t *out, size_t cap, size_t *len)
{
    unsigned long arcs[32];
    size_t n = 0;
    const char *p = s;
    while (*p) {
        char *end;
        if (n >= 32 || *p < '0' || *p > '9')
            return -1;
        errno = 0;
        unsigned long v = strtoul(p, &end, 10);
        if (errno || end == p || (*end && *end != '.') || (*end == '.' && !end[1]))
            return -1;
        arcs[n++] = v;
        p = *end ? end + 1 : end;
    }
    if (n < 2 || arcs[0] > 2 || (arcs[0] < 2 && arcs[1] >= 40) || arcs[1] > 0xffffff)
        return -1;
    size_t o = 0;
    for (size_t i = 1; i < n; i++) {
        unsigned long v = i == 1 ? arcs[0] * 40 + arcs[1] : arcs[i];
        uint8_t tmp[10];
        size_t t = 0;
        do {
            tmp[t++] = (uint8_t)(v & 0x7f);
            v >>= 7;
        } while (v);
        if (o + t > cap)
            return -1;
        while (t) {
            t--;
            out[o++] = (uint8_t)(tmp[t] | (t ? 0x80 : 0));
        }
    }
    *len = o;
    return 0;
}

/* --purpose and --policy into the path parameters; MH_EXIT_USAGE
 * (printed) when one cannot be read. */
static int path_purpose_policies(const struct cv_opts *a, mh_path_params *p, uint8_t oidbuf[][64],
                                 mh_x509_span *pols)
{
    if (a->purpose) {
        if (strcmp(a->purpose, "document") == 0)
            p->purpose = MH_PURPOSE_DOCUMENT;
        else if (strcmp(a->purpose, "timestamp") == 0)
            p->purpose = MH_PURPOSE_TIMESTAMP;
        else if (strcmp(a->purpose, "crl") == 0)
            p->purpose = MH_PURPOSE_CRL;
        else if (strcmp(a->purpose, "tls") == 0)
            p->purpose = MH_PURPOSE_TLS;
        else if (strcmp(a->purpose, "any") == 0)
            p->purpose = MH_PURPOSE_ANY;
        else {
            mh_cli_usage("--purpose is document, timestamp, crl, tls or any, not '%.40s'",
                         a->purpose);
            return MH_EXIT_USAGE;
        }
    }
    for (size_t i = 0; i < a->npolicy; i++) {
        size_t ol;
        if (oid_encode(a->policy[i], oidbuf[p->n_policies], sizeof oidbuf[0], &ol)) {
            mh_cli_usage("--policy takes a dotted OID such as 2.16.840.1.101.3.2.1.48.1, "
                         "not '%.60s'",
                         a->policy[i]);
            return MH_EXIT_USAGE;
        }
        pols[p->n_policies].p = oidbuf[p->n_policies];
        pols[p->n_policies].len = ol;
        p->n_policies++;
    }
    if (p->n_policies) {
        p->policies = pols;
        p->explicit_policy = true; /* asking for a policy means requiring it */
    }
    return MH_EXIT_OK;
}

/* The path validation's outcome, as text or JSON. */
static void path_result_print(bool json, int rc, const mh_path_result *res)
{
    if (json) {
        mh_json j;
        char t[512];
        mh_json_init(&j, stdout);
        mh_json_obj_begin(&j);
        mh_json_key(&j, "valid");
        mh_json_bool(&j, rc == 0);
        mh_json_key(&j, "chain");
        mh_json_arr_begin(&j);
        for (size_t i = 0; i < res->len; i++) {
            mh_x509_name_str(&res->chain[i]->subject, t, sizeof t);
            mh_json_str(&j, t);
        }
        mh_json_arr_end(&j);
        mh_json_key(&j, "reason");
        mh_json_str(&j, rc ? res->reason : "valid");
        mh_json_key(&j, "failed_index");
        mh_json_int(&j, rc ? res->failed_index : -1);
        mh_json_key(&j, "error");
        mh_json_int(&j, rc);
        mh_json_obj_end(&j);
        mh_json_end(&j);
    } else if (rc == 0) {
        printf("Valid: ");
        for (size_t i = 0; i < res->len; i++) {
            char t[256];
            mh_x509_name_short(&res->chain[i]->subject, t, sizeof t);
            printf("%s%s", i ? " -> " : "", t);
        }
        printf(" (trusted)\n");
    } else {
        printf("NOT valid: %s\n", res->reason);
    }
}

static int cmd_cert_verify(int argc, char **argv)
{
    struct cv_opts a;
    int ret = MH_EXIT_USAGE;
    const char **cas = a.cas, **unt = a.unt, **crlf = a.crlf;
    bool json = false, require = false, inited = false;
    mh_path_params p;
    uint8_t oidbuf[MAX_POLICIES][64];
    mh_x509_span pols[MAX_POLICIES];
    store s;
    mh_path_work *work = NULL;
    const mh_x509_cert **anchors = NULL, **pool = NULL;
    const mh_x509_crl **crls = NULL;

    memset(&p, 0, sizeof p);
    p.time = (int64_t)time(NULL);
    p.purpose = MH_PURPOSE_DOCUMENT;
    memset(&a, 0, sizeof a);
    ret = mh_cli_parse(&cert_verify_spec, argc, argv, &a);
    if (ret) {
        ret = ret < 0 ? MH_EXIT_OK : ret;
        goto out;
    }
    size_t n_ca = a.n_ca, n_unt = a.n_unt, n_crl = a.n_crl;
    json = a.json;
    require = a.require;
    ret = MH_EXIT_USAGE;
    if (a.at && parse_time(a.at, &p.time)) {
        mh_cli_usage("--at takes a UTC date YYYY-MM-DD or time YYYY-MM-DDTHH:MM:SSZ, "
                     "not '%.40s'",
                     a.at);
        goto out;
    }
    if (path_purpose_policies(&a, &p, oidbuf, pols))
        goto out;
    p.revocation = require ? MH_REV_REQUIRE : n_crl ? MH_REV_IF_AVAILABLE : MH_REV_NONE;
    p.role = "the certificate";

    if ((ret = store_init(&s)))
        goto out;
    inited = true;
    size_t tfirst, tcount, first, count;
    if ((ret = load_certs(&s, argv[optind], &tfirst, &tcount)))
        goto out;
    size_t a0 = s.n_certs;
    for (size_t i = 0; i < n_ca; i++)
        if ((ret = load_certs(&s, cas[i], &first, &count)))
            goto out;
    size_t a1 = s.n_certs;
    for (size_t i = 0; i < n_unt; i++)
        if ((ret = load_certs(&s, unt[i], &first, &count)))
            goto out;
    for (size_t i = 0; i < n_crl; i++)
        if ((ret = load_crls(&s, crlf[i])))
            goto out;
    ret = MH_EXIT_INTERNAL;
    work = malloc(mh_path_work_size());
    anchors = calloc(MAX_CERTS, sizeof *anchors);
    pool = calloc(MAX_CERTS, sizeof *pool);
    crls = calloc(MAX_CRLS, sizeof *crls);
    if (!work || !anchors || !pool || !crls) {
        ret = mh_cli_fail(MH_ERR_NOMEM, "verifying");
        goto out;
    }
    size_t n_anchors = 0, n_pool = 0;
    for (size_t i = a0; i < a1; i++)
        anchors[n_anchors++] = &s.certs[i];
    /* the rest of the target's file helps build the path too */
    for (size_t i = tfirst + 1; i < tfirst + tcount; i++)
        pool[n_pool++] = &s.certs[i];
    for (size_t i = a1; i < s.n_certs; i++)
        pool[n_pool++] = &s.certs[i];
    for (size_t i = 0; i < s.n_crls; i++)
        crls[i] = &s.crls[i];
    mh_path_input in = {&s.certs[tfirst], anchors, n_anchors, pool, n_pool, crls, s.n_crls};
    mh_path_result res;
    int rc = mh_path_validate(work, &in, &p, &res);

    path_result_print(json, rc, &res);
    if (rc == 0)
        ret = MH_EXIT_OK;
    else if (rc == MH_ERR_INVALID_ARG || rc == MH_ERR_NOMEM || rc == MH_ERR_INTERNAL)
        ret = MH_EXIT_INTERNAL;
    else
        ret = MH_EXIT_INVALID;
out:
    if (inited)
        store_free(&s);
    free(work);
    free(anchors);
    free(pool);
    free(crls);
    return ret;
}

const struct mh_cli_cmd mh_cli_cert_cmds[] = {
    {"show", "show a certificate: names, dates, key, usages, policies, profile", &cert_show_spec,
     cmd_cert_show, NULL},
    {"verify", "validate a certificate's path to a trusted root (RFC 5280, CRLs)",
     &cert_verify_spec, cmd_cert_verify, NULL},
    {NULL, NULL, NULL, NULL, NULL},
};
