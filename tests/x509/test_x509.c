/* test_x509.c - certificate/CRL parsing and path validation on a PKI the
 * openssl CLI makes (mkcerts.sh): the readable reasons, name comparison,
 * name-constraint matching, and hostile input (every truncation, byte
 * flips) that must fail cleanly.
 *
 *   test_x509 PATH/TO/mkcerts.sh */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "mh_pki.h"

static char dir[256];
static const char *mkcerts;

#define MAX_BUFS 64
static uint8_t *bufs[MAX_BUFS];
static size_t n_bufs;

static uint8_t *load(const char *name, size_t *len)
{
    char path[512], cmd[1200];
    snprintf(path, sizeof path, "%s/%s.der", dir, name);
    if (strstr(name, ".crl"))
        snprintf(cmd, sizeof cmd, "openssl crl -in %s/%s -outform DER -out %s", dir, name, path);
    else
        snprintf(cmd, sizeof cmd, "openssl x509 -in %s/%s.pem -outform DER -out %s", dir, name,
                 path);
    assert_int_equal(system(cmd), 0);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    uint8_t *b = malloc(1 << 16);
    assert_non_null(b);
    *len = fread(b, 1, 1 << 16, f);
    fclose(f);
    assert_true(n_bufs < MAX_BUFS);
    bufs[n_bufs++] = b;
    return b;
}

static mh_x509_cert *cert(const char *name)
{
    size_t len;
    uint8_t *b = load(name, &len);
    mh_x509_cert *c = malloc(sizeof *c);
    assert_non_null(c);
    int rc = mh_x509_cert_parse(c, b, len);
    if (rc)
        fail_msg("%s: %s", name, mh_err_message(rc));
    return c;
}

static mh_x509_crl *crl(const char *name)
{
    size_t len;
    uint8_t *b = load(name, &len);
    mh_x509_crl *c = malloc(sizeof *c);
    assert_non_null(c);
    assert_int_equal(mh_x509_crl_parse(c, b, len), 0);
    return c;
}

static int64_t at(int y, unsigned m, unsigned d)
{
    return mh_der_days_from_civil(y, m, d) * 86400;
}

/* Validates `target` under root (+ ca) at time t; returns the code and
 * leaves the reason in `why`. */
static int check(const mh_x509_cert *target, const mh_x509_cert *ca, const mh_x509_crl *cl,
                 int64_t t, enum mh_path_purpose purpose, enum mh_path_revocation rev, char *why,
                 size_t cap)
{
    static mh_x509_cert *root;
    static mh_x509_crl *rootcrl;
    if (!root) {
        root = cert("root");
        rootcrl = crl("root.crl");
    }
    const mh_x509_cert *anchors[] = {root};
    const mh_x509_cert *pool[] = {ca};
    const mh_x509_crl *crls[] = {rootcrl, cl};
    mh_path_input in = {target, anchors, 1, pool, ca ? 1 : 0, crls, cl ? 2 : 1};
    mh_path_params p;
    memset(&p, 0, sizeof p);
    p.time = t;
    p.purpose = purpose;
    p.revocation = rev;
    p.role = "the notary's certificate";
    mh_path_work *w = malloc(mh_path_work_size());
    assert_non_null(w);
    mh_path_result r;
    int rc = mh_path_validate(w, &in, &p, &r);
    snprintf(why, cap, "%s", r.reason);
    free(w);
    return rc;
}

static void test_parse_notary(void **state)
{
    (void)state;
    mh_x509_cert *c = cert("notary");
    char t[256];
    assert_int_equal(c->version, 3);
    mh_x509_name_str(&c->subject, t, sizeof t);
    assert_string_equal(t, "CN=Aysel Həsənova,O=Notariat,C=AZ");
    mh_x509_name_short(&c->issuer, t, sizeof t);
    assert_string_equal(t, "CN=Good CA");
    assert_true(c->ext_present & MH_EXT_KEY_USAGE);
    assert_int_equal(c->key_usage, MH_KU_DIGITAL_SIGNATURE | MH_KU_NON_REPUDIATION);
    assert_true(c->ext_critical & MH_EXT_KEY_USAGE);
    assert_int_equal(c->n_eku, 1);
    mh_x509_oid_str(&c->eku[0], false, t, sizeof t);
    assert_string_equal(t, "1.3.6.1.5.5.7.3.36");
    assert_int_equal(c->n_policies, 1);
    mh_x509_oid_str(&c->policies[0].oid, false, t, sizeof t);
    assert_string_equal(t, "1.2.3.4");
    assert_int_equal(c->san.count, 1);
    assert_int_equal(c->n_dps, 1);
    assert_int_equal(c->n_aia, 1);
    assert_false(c->is_ca);
    assert_false(c->unknown_critical);
    mh_x509_key_desc(c, t, sizeof t);
    assert_string_equal(t, "EC P-256");
    mh_x509_date_str(c->not_after, t, sizeof t);
    assert_string_equal(t, "2034-01-01");
    free(c);
    c = cert("ca");
    assert_true(c->is_ca);
    assert_true(c->has_path_len);
    assert_int_equal(c->path_len, 0);
    free(c);
}

static void test_reasons(void **state)
{
    (void)state;
    char why[512];
    mh_x509_cert *ca = cert("ca"), *notary = cert("notary"), *ivan = cert("ivan");
    mh_x509_cert *expired = cert("expired"), *future = cert("future"), *tsa = cert("tsa");
    mh_x509_cert *tsanc = cert("tsa-noncrit");
    mh_x509_crl *cacrl = crl("ca.crl");
    int64_t now = at(2030, 6, 1);

    assert_int_equal(
        check(notary, ca, cacrl, now, MH_PURPOSE_DOCUMENT, MH_REV_REQUIRE, why, sizeof why), 0);
    assert_int_equal(
        check(ivan, ca, cacrl, now, MH_PURPOSE_DOCUMENT, MH_REV_REQUIRE, why, sizeof why),
        MH_ERR_CERT_REVOKED);
    assert_non_null(strstr(why, "the notary's certificate 'CN=Иван Петров' was revoked on "));
    assert_non_null(strstr(why, ": keyCompromise"));
    /* revoked, but CRLs not consulted */
    assert_int_equal(check(ivan, ca, NULL, now, MH_PURPOSE_DOCUMENT, MH_REV_NONE, why, sizeof why),
                     0);
    assert_int_equal(
        check(notary, ca, NULL, now, MH_PURPOSE_DOCUMENT, MH_REV_REQUIRE, why, sizeof why),
        MH_ERR_CRL_MISSING);
    assert_non_null(strstr(why, "no CRL covers the notary's certificate 'CN=Aysel Həsənova'"));
    assert_int_equal(
        check(expired, ca, NULL, now, MH_PURPOSE_DOCUMENT, MH_REV_NONE, why, sizeof why),
        MH_ERR_CERT_EXPIRED);
    assert_string_equal(why, "the notary's certificate 'CN=Old Notary' expired on 2021-01-01");
    assert_int_equal(
        check(future, ca, NULL, now, MH_PURPOSE_DOCUMENT, MH_REV_NONE, why, sizeof why),
        MH_ERR_CERT_NOT_YET_VALID);
    assert_string_equal(
        why, "the notary's certificate 'CN=Future Notary' is not valid until 2040-01-01");
    assert_int_equal(
        check(notary, ca, NULL, at(2034, 6, 1), MH_PURPOSE_DOCUMENT, MH_REV_NONE, why, sizeof why),
        MH_ERR_CERT_EXPIRED);
    assert_string_equal(why, "the intermediate certificate 'CN=Good CA' expired on 2034-01-01");
    assert_int_equal(
        check(notary, NULL, NULL, now, MH_PURPOSE_DOCUMENT, MH_REV_NONE, why, sizeof why),
        MH_ERR_CERT_UNTRUSTED);
    assert_non_null(strstr(why, "no trusted authority issued 'CN=Aysel Həsənova'"));
    assert_int_equal(check(tsa, ca, NULL, now, MH_PURPOSE_TIMESTAMP, MH_REV_NONE, why, sizeof why),
                     0);
    assert_int_equal(
        check(tsanc, ca, NULL, now, MH_PURPOSE_TIMESTAMP, MH_REV_NONE, why, sizeof why),
        MH_ERR_KEY_USAGE);
    assert_non_null(strstr(why, "must be marked critical"));
    assert_int_equal(
        check(notary, ca, NULL, now, MH_PURPOSE_TIMESTAMP, MH_REV_NONE, why, sizeof why),
        MH_ERR_KEY_USAGE);
    assert_int_equal(check(tsa, ca, NULL, now, MH_PURPOSE_DOCUMENT, MH_REV_NONE, why, sizeof why),
                     MH_ERR_KEY_USAGE);
    free(ca);
    free(notary);
    free(ivan);
    free(expired);
    free(future);
    free(tsa);
    free(tsanc);
    free(cacrl);
}

/* Name = SEQUENCE { SET { SEQUENCE { OID cn, <tag> value } } }; a value
 * starting with NUL is a BMPString's UTF-16BE: its length runs to "\0\0". */
static size_t mk_name(uint8_t *out, uint8_t tag, const char *v)
{
    size_t n = strlen(v);
    if (v[0] == 0)
        for (n = 0; v[n] || v[n + 1]; n += 2)
            ;
    uint8_t *p = out;
    *p++ = 0x30;
    *p++ = (uint8_t)(n + 11);
    *p++ = 0x31;
    *p++ = (uint8_t)(n + 9);
    *p++ = 0x30;
    *p++ = (uint8_t)(n + 7);
    *p++ = 0x06;
    *p++ = 0x03;
    *p++ = 0x55;
    *p++ = 0x04;
    *p++ = 0x03;
    *p++ = tag;
    *p++ = (uint8_t)n;
    memcpy(p, v, n);
    return n + 13;
}

static bool names_eq(uint8_t t1, const char *a, uint8_t t2, const char *b)
{
    uint8_t x[128], y[128];
    size_t xl = mk_name(x, t1, a), yl = mk_name(y, t2, b);
    return mh_x509_name_eq_der(x, xl, y, yl);
}

static void test_name_compare(void **state)
{
    (void)state;
    const uint8_t P = MH_DER_PRINTABLE_STRING, U = MH_DER_UTF8_STRING, I = MH_DER_IA5_STRING;
    assert_true(names_eq(P, "Good CA", P, "Good CA"));
    assert_true(names_eq(P, "  Good   CA ", P, "good ca"));
    assert_true(names_eq(P, "Good CA", U, "GOOD CA"));
    assert_true(names_eq(U, "ИВАН ПЕТРОВ", U, "иван петров"));
    assert_true(names_eq(U, "AYSEL HƏSƏNOVA", U, "aysel həsənova"));
    assert_false(names_eq(P, "Good CA", P, "Good CB"));
    assert_false(names_eq(P, "Good CA", P, "GoodCA"));
    /* every string type is compared as text without case (RFC 4518),
     * so domainComponent (IA5String) and a BMPString CA name match */
    assert_true(names_eq(I, "Example", I, "example"));
    assert_true(names_eq(I, "Good CA", P, "Good CA"));
    assert_false(names_eq(I, "Good CA", P, "Good CB"));
    assert_true(names_eq(MH_DER_BMP_STRING, "\0G\0o\0o\0d\0", U, "GOOD"));
    assert_false(names_eq(MH_DER_BMP_STRING, "\0G\0o\0o\0d\0", U, "GOOF"));
    assert_false(names_eq(MH_DER_OCTET_STRING, "Good", U, "Good")); /* not a string */
}

static mh_x509_gn gn(uint8_t type, const char *v, size_t len)
{
    mh_x509_gn g;
    g.type = type;
    g.val.p = (const uint8_t *)v;
    g.val.len = len ? len : strlen(v);
    return g;
}

static void test_name_constraints(void **state)
{
    (void)state;
    mh_x509_gn a, b;
#define WITHIN(t, n, s) (a = gn(t, n, 0), b = gn(t, s, 0), mh_x509_gn_within(&a, &b))
    assert_int_equal(WITHIN(MH_GN_DNS, "docs.example.az", "example.az"), 1);
    assert_int_equal(WITHIN(MH_GN_DNS, "example.az", "example.az"), 1);
    assert_int_equal(WITHIN(MH_GN_DNS, "badexample.az", "example.az"), 0);
    assert_int_equal(WITHIN(MH_GN_DNS, "docs.EXAMPLE.az", ".example.az"), 1);
    assert_int_equal(WITHIN(MH_GN_DNS, "example.az", ".example.az"), 0);
    assert_int_equal(WITHIN(MH_GN_EMAIL, "a@example.az", "example.az"), 1);
    assert_int_equal(WITHIN(MH_GN_EMAIL, "a@x.example.az", "example.az"), 0);
    assert_int_equal(WITHIN(MH_GN_EMAIL, "a@x.example.az", ".example.az"), 1);
    assert_int_equal(WITHIN(MH_GN_EMAIL, "a@example.az", "a@example.az"), 1);
    assert_int_equal(WITHIN(MH_GN_EMAIL, "b@example.az", "a@example.az"), 0);
    assert_int_equal(WITHIN(MH_GN_URI, "https://gov.az:443/x", "gov.az"), 1);
    assert_int_equal(WITHIN(MH_GN_URI, "https://www.gov.az/x", "gov.az"), 0);
    assert_int_equal(WITHIN(MH_GN_URI, "https://www.gov.az/x", ".gov.az"), 1);
    /* a name with no host name to compare is an error, never "outside" */
    assert_int_equal(WITHIN(MH_GN_URI, "urn:isbn:1", "gov.az"), MH_ERR_PARSE);
    assert_int_equal(WITHIN(MH_GN_URI, "https://[::1]/", "gov.az"), MH_ERR_PARSE);
    assert_int_equal(WITHIN(MH_GN_DNS, ".example.az", "example.az"), MH_ERR_PARSE);
    assert_int_equal(WITHIN(MH_GN_DNS, "a..example.az", "example.az"), MH_ERR_PARSE);
    assert_int_equal(WITHIN(MH_GN_DNS, "a_b.example.az", "example.az"), MH_ERR_PARSE);
    assert_int_equal(WITHIN(MH_GN_DNS, "10.0.0.1", "example.az"), MH_ERR_PARSE);
    assert_int_equal(WITHIN(MH_GN_EMAIL, "a@b@example.az", "example.az"), MH_ERR_PARSE);
    /* wildcards: within when every name is, excluded when any name is */
    assert_int_equal(WITHIN(MH_GN_DNS, "*.example.az", "example.az"), 1);
    assert_int_equal(WITHIN(MH_GN_DNS, "*.example.az", "bar.example.az"), 0);
    a = gn(MH_GN_DNS, "*.example.az", 0);
    b = gn(MH_GN_DNS, "bar.example.az", 0);
    assert_int_equal(mh_x509_gn_overlaps(&a, &b), 1);
    b = gn(MH_GN_DNS, ".bar.example.az", 0);
    assert_int_equal(mh_x509_gn_overlaps(&a, &b), 0);
    /* e-mail: the local part is parsed, so the domain follows the last @ */
    assert_int_equal(WITHIN(MH_GN_EMAIL, "\"a@b\"@example.az", "example.az"), 1);
    assert_int_equal(WITHIN(MH_GN_EMAIL, "\"a@b\"@example.az", "b"), 0);
    assert_int_equal(WITHIN(MH_GN_EMAIL, "\"a\"@example.az", "a@example.az"), 1);
    /* SmtpUTF8Mailbox: the domain in A-labels (punycode) */
    static const uint8_t smtp[] = {0x06, 0x08, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x08, 0x09,
                                   0xa0, 0x11, 0x0c, 0x0f, 'a',  '@',  'b',  0xc3, 0xbc, 'c',
                                   'h',  'e',  'r',  '.',  'e',  'x',  '.',  'a',  'z'};
    a.type = MH_GN_OTHER;
    a.val.p = smtp;
    a.val.len = sizeof smtp;
    b = gn(MH_GN_EMAIL, "xn--bcher-kva.ex.az", 0);
    assert_int_equal(mh_x509_gn_within(&a, &b), 1);
    b = gn(MH_GN_EMAIL, "bucher.ex.az", 0);
    assert_int_equal(mh_x509_gn_within(&a, &b), 0);
    /* IPv4-mapped IPv6 is the IPv4 address for excluded subtrees */
    a = gn(MH_GN_IP, "\0\0\0\0\0\0\0\0\0\0\xff\xff\x0a\x00\x00\x05", 16);
    b = gn(MH_GN_IP, "\x0a\x00\x00\x00\xff\x00\x00\x00", 8);
    assert_int_equal(mh_x509_gn_overlaps(&a, &b), 1);
    assert_int_equal(mh_x509_gn_within(&a, &b), 0);
    b = gn(MH_GN_IP, "\x0a\x00\x00\x00\xff\x00\xff\x00", 8); /* not a prefix */
    assert_int_equal(mh_x509_subtree_check(&b), MH_ERR_PARSE);
    a = gn(MH_GN_IP, "\x0a\x01\x02\x03", 4);
    b = gn(MH_GN_IP, "\x0a\x01\x00\x00\xff\xff\x00\x00", 8);
    assert_int_equal(mh_x509_gn_within(&a, &b), 1);
    a = gn(MH_GN_IP, "\x0a\x02\x02\x03", 4);
    assert_int_equal(mh_x509_gn_within(&a, &b), 0);
}

static void test_hostile(void **state)
{
    (void)state;
    size_t len, clen;
    uint8_t *b = load("notary", &len);
    uint8_t *cb = load("ca.crl", &clen);
    mh_x509_cert *c = malloc(sizeof *c);
    mh_x509_crl *l = malloc(sizeof *l);
    assert_non_null(c);
    assert_non_null(l);
    /* every truncation fails, with a sentence */
    for (size_t n = 0; n < len; n++) {
        uint8_t *copy = malloc(n ? n : 1);
        memcpy(copy, b, n);
        int rc = mh_x509_cert_parse(c, copy, n);
        assert_int_not_equal(rc, 0);
        assert_true(strlen(mh_err_message(rc)) > 10);
        free(copy);
    }
    for (size_t n = 0; n < clen; n++) {
        uint8_t *copy = malloc(n ? n : 1);
        memcpy(copy, cb, n);
        assert_int_not_equal(mh_x509_crl_parse(l, copy, n), 0);
        free(copy);
    }
    /* trailing bytes */
    uint8_t *more = malloc(len + 1);
    memcpy(more, b, len);
    more[len] = 0;
    assert_int_not_equal(mh_x509_cert_parse(c, more, len + 1), 0);
    free(more);
    /* every byte flipped: parses or not, never crashes (ASan build) */
    size_t parsed = 0;
    for (size_t i = 0; i < len; i++) {
        uint8_t *copy = malloc(len);
        memcpy(copy, b, len);
        copy[i] ^= 0x41;
        if (mh_x509_cert_parse(c, copy, len) == 0) {
            char t[256];
            parsed++;
            mh_x509_name_str(&c->subject, t, sizeof t);
            mh_x509_name_str(&c->issuer, t, sizeof t);
        }
        free(copy);
    }
    print_message("x509: %zu of %zu one-byte changes still parse\n", parsed, len);
    assert_true(parsed < len);
    free(c);
    free(l);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: test_x509 mkcerts.sh\n");
        return 2;
    }
    if (system("openssl version >/dev/null 2>&1") != 0) {
        printf("NOTE: openssl is not installed: test SKIPPED\n");
        return 77;
    }
    mkcerts = argv[1];
    snprintf(dir, sizeof dir, "/tmp/mohur-x509-unit.%ld", (long)getpid());
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "rm -rf %s && bash %s %s", dir, mkcerts, dir);
    if (system(cmd) != 0) {
        fprintf(stderr, "test_x509: mkcerts.sh failed\n");
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_notary), cmocka_unit_test(test_reasons),
        cmocka_unit_test(test_name_compare), cmocka_unit_test(test_name_constraints),
        cmocka_unit_test(test_hostile),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    for (size_t i = 0; i < n_bufs; i++)
        free(bufs[i]);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        rc = rc ? rc : 1;
    return rc;
}
