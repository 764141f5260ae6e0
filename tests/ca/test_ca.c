/* test_ca.c - pki/ issuance and CRLs with software keys, parsed back with
 * mbedTLS's own X.509 and CRL parsers (an independent reader of what we
 * wrote) and checked field by field. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include <mbedtls/ecp.h>
#include <mbedtls/oid.h>
#include <mbedtls/rsa.h>
#include <mbedtls/sha1.h>
#include <mbedtls/x509_crl.h>
#include <mbedtls/x509_crt.h>
#include <mbedtls/x509_csr.h>

#include "mh_pki.h"
#include "../common/test_signer.h"

static void *find(const void *hay, size_t n, const void *needle, size_t m)
{
    const uint8_t *h = hay;
    for (size_t i = 0; m <= n && i <= n - m; i++)
        if (memcmp(h + i, needle, m) == 0)
            return (void *)(uintptr_t)(h + i);
    return NULL;
}

static mbedtls_pk_context root_key, iss_key, ee_key, rsa_key, other_key;
static uint8_t root_der[MH_CA_CERT_MAX], iss_der[MH_CA_CERT_MAX];
static size_t root_len, iss_len;
static int64_t now;

static void gen_ec(mbedtls_pk_context *k)
{
    mbedtls_pk_init(k);
    assert_int_equal(mbedtls_pk_setup(k, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY)), 0);
    assert_int_equal(
        mbedtls_ecp_gen_key(MBEDTLS_ECP_DP_SECP256R1, mbedtls_pk_ec(*k), mh_rng_mbedtls, NULL), 0);
}

static size_t spki_of(mbedtls_pk_context *k, uint8_t *buf, size_t cap)
{
    int l = mbedtls_pk_write_pubkey_der(k, buf, cap);
    assert_true(l > 0);
    memmove(buf, buf + cap - (size_t)l, (size_t)l);
    return (size_t)l;
}

static void req_init(mh_ca_issue_req *r, enum mh_ca_profile p, const char *subject,
                     const uint8_t *spki, size_t spki_len)
{
    memset(r, 0, sizeof *r);
    r->profile = p;
    r->subject = subject;
    r->spki = spki;
    r->spki_len = spki_len;
    r->path_len = -1;
    r->not_before = now - 60;
    r->not_after = now + 86400 * 30;
    assert_int_equal(mh_rng_mbedtls(NULL, r->serial, sizeof r->serial), 0);
    mh_ca_serial_fix(r->serial);
    if (p != MH_CA_PROFILE_ROOT) {
        r->issuer_cert = p == MH_CA_PROFILE_ISSUING ? root_der : iss_der;
        r->issuer_cert_len = p == MH_CA_PROFILE_ISSUING ? root_len : iss_len;
        r->issuer_key = test_signer(p == MH_CA_PROFILE_ISSUING ? &root_key : &iss_key);
    }
}

static int setup(void **state)
{
    (void)state;
    now = (int64_t)time(NULL);
    gen_ec(&root_key);
    gen_ec(&iss_key);
    gen_ec(&ee_key);
    gen_ec(&other_key);
    mbedtls_pk_init(&rsa_key);
    if (mbedtls_pk_setup(&rsa_key, mbedtls_pk_info_from_type(MBEDTLS_PK_RSA)) != 0 ||
        mbedtls_rsa_gen_key(mbedtls_pk_rsa(rsa_key), mh_rng_mbedtls, NULL, 2048, 65537) != 0)
        return -1;

    /* the root and issuing CA every test uses */
    uint8_t spki[600];
    size_t sl = spki_of(&root_key, spki, sizeof spki);
    mh_ca_issue_req r;
    req_init(&r, MH_CA_PROFILE_ROOT, "CN=Test Root,O=Mohur,C=AZ", spki, sl);
    r.issuer_key = test_signer(&root_key);
    r.not_after = now + 86400 * 365;
    int rc = mh_ca_issue(&r, root_der, sizeof root_der, &root_len);
    if (rc != 0) {
        fprintf(stderr, "root: %d %s\n", rc, mh_err_message(rc));
        return -1;
    }
    sl = spki_of(&iss_key, spki, sizeof spki);
    req_init(&r, MH_CA_PROFILE_ISSUING, "CN=Test Issuing,O=Mohur,C=AZ", spki, sl);
    r.path_len = 0;
    r.crl_url = "http://ca.example.az/root.crl";
    r.aia_url = "http://ca.example.az/root.crt";
    r.not_after = now + 86400 * 200;
    rc = mh_ca_issue(&r, iss_der, sizeof iss_der, &iss_len);
    if (rc != 0) {
        fprintf(stderr, "issuing: %d %s\n", rc, mh_err_message(rc));
        return -1;
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    mbedtls_pk_free(&root_key);
    mbedtls_pk_free(&iss_key);
    mbedtls_pk_free(&ee_key);
    mbedtls_pk_free(&rsa_key);
    mbedtls_pk_free(&other_key);
    return 0;
}

/* Parses a certificate and checks it chains to root (through issuing). */
static void parse_verify(const uint8_t *der, size_t len, mbedtls_x509_crt *crt)
{
    mbedtls_x509_crt trust;
    uint32_t flags = 0;
    mbedtls_x509_crt_init(crt);
    mbedtls_x509_crt_init(&trust);
    assert_int_equal(mbedtls_x509_crt_parse_der(crt, der, len), 0);
    if (der != root_der && der != iss_der)
        assert_int_equal(mbedtls_x509_crt_parse_der(crt, iss_der, iss_len), 0);
    assert_int_equal(mbedtls_x509_crt_parse_der(&trust, root_der, root_len), 0);
    int rc = mbedtls_x509_crt_verify(crt, &trust, NULL, NULL, &flags, NULL, NULL);
    if (rc != 0)
        fprintf(stderr, "verify flags 0x%x\n", flags);
    assert_int_equal(rc, 0);
    mbedtls_x509_crt_free(&trust);
}

static void test_root(void **state)
{
    (void)state;
    mbedtls_x509_crt c;
    static mh_x509_cert ci;
    parse_verify(root_der, root_len, &c);
    assert_int_equal(c.version, 3);
    assert_int_equal(c.ca_istrue, 1);
    assert_int_equal(c.max_pathlen, 0); /* no pathLen: unlimited */
    assert_int_equal(c.key_usage, MBEDTLS_X509_KU_KEY_CERT_SIGN | MBEDTLS_X509_KU_CRL_SIGN);
    assert_true(c.ext_types & MBEDTLS_X509_EXT_BASIC_CONSTRAINTS);
    assert_false(c.ext_types & MBEDTLS_X509_EXT_EXTENDED_KEY_USAGE);
    assert_int_equal(c.serial.len, MH_CA_SERIAL_LEN);
    assert_int_equal(c.serial.p[0] & 0xc0, 0x40);
    assert_int_equal(c.subject_raw.len, c.issuer_raw.len);
    assert_memory_equal(c.subject_raw.p, c.issuer_raw.p, c.subject_raw.len);
    assert_int_equal(c.sig_md, MBEDTLS_MD_SHA256);
    assert_int_equal(mh_x509_cert_parse(&ci, root_der, root_len), 0);
    assert_true((ci.ext_present & MH_EXT_SKI) && ci.ski.len == 20);
    /* SKI = SHA-1 of the key bits (method 1) */
    uint8_t spki[600], id[20];
    size_t sl = spki_of(&root_key, spki, sizeof spki);
    /* a P-256 SPKI ends with the 65-byte uncompressed point */
    assert_int_equal(sl, 91);
    assert_int_equal(mbedtls_sha1_ret(spki + sl - 65, 65, id), 0);
    assert_memory_equal(id, ci.ski.p, 20);
    char dn[256];
    assert_int_equal(mh_x509_name_format(&ci.subject, MH_X509_NAME_DN, dn, sizeof dn), 0);
    assert_string_equal(dn, "CN=Test Root,O=Mohur,C=AZ");
    mbedtls_x509_crt_free(&c);
}

static void test_issuing(void **state)
{
    (void)state;
    mbedtls_x509_crt c;
    parse_verify(iss_der, iss_len, &c);
    assert_int_equal(c.ca_istrue, 1);
    assert_int_equal(c.max_pathlen, 1); /* mbedTLS stores pathLen + 1 */
    assert_int_equal(c.key_usage, MBEDTLS_X509_KU_KEY_CERT_SIGN | MBEDTLS_X509_KU_CRL_SIGN);
    assert_true(c.ext_types & MBEDTLS_X509_EXT_CERTIFICATE_POLICIES);
    /* the issuer Name is the root's subject, byte for byte */
    mbedtls_x509_crt r;
    mbedtls_x509_crt_init(&r);
    assert_int_equal(mbedtls_x509_crt_parse_der(&r, root_der, root_len), 0);
    assert_int_equal(c.issuer_raw.len, r.subject_raw.len);
    assert_memory_equal(c.issuer_raw.p, r.subject_raw.p, r.subject_raw.len);
    mbedtls_x509_crt_free(&r);
    mbedtls_x509_crt_free(&c);
}

struct prof_case {
    enum mh_ca_profile p;
    unsigned ku;
    const char *eku; /* OID contents or NULL */
    size_t eku_len;
};

static void test_end_entity_profiles(void **state)
{
    (void)state;
    static const struct prof_case cases[] = {
        {MH_CA_PROFILE_NOTARY, MBEDTLS_X509_KU_DIGITAL_SIGNATURE | MBEDTLS_X509_KU_NON_REPUDIATION,
         "\x2b\x06\x01\x05\x05\x07\x03\x24", 8},
        {MH_CA_PROFILE_SEAL, MBEDTLS_X509_KU_DIGITAL_SIGNATURE | MBEDTLS_X509_KU_NON_REPUDIATION,
         "\x2b\x06\x01\x05\x05\x07\x03\x24", 8},
        {MH_CA_PROFILE_REGISTRY, MBEDTLS_X509_KU_DIGITAL_SIGNATURE, NULL, 0},
        {MH_CA_PROFILE_TSA, MBEDTLS_X509_KU_DIGITAL_SIGNATURE, MBEDTLS_OID_TIME_STAMPING,
         sizeof(MBEDTLS_OID_TIME_STAMPING) - 1},
        {MH_CA_PROFILE_TLS, MBEDTLS_X509_KU_DIGITAL_SIGNATURE, MBEDTLS_OID_SERVER_AUTH,
         sizeof(MBEDTLS_OID_SERVER_AUTH) - 1},
    };
    uint8_t spki[600], der[MH_CA_CERT_MAX];
    size_t sl = spki_of(&ee_key, spki, sizeof spki), len;
    static const char *const dns[] = {"sign.example.az"};
    static const char *const ips[] = {"192.0.2.7"};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        mh_ca_issue_req r;
        mbedtls_x509_crt c;
        req_init(&r, cases[i].p, "CN=Subject,O=Org,C=AZ", spki, sl);
        if (cases[i].p == MH_CA_PROFILE_TLS) {
            r.dns = dns;
            r.n_dns = 1;
            r.ips = ips;
            r.n_ips = 1;
        }
        r.crl_url = "http://ca.example.az/issuing.crl";
        int rc = mh_ca_issue(&r, der, sizeof der, &len);
        if (rc)
            fprintf(stderr, "%s: %s\n", mh_ca_profile_name(cases[i].p), mh_err_message(rc));
        assert_int_equal(rc, 0);
        parse_verify(der, len, &c);
        assert_int_equal(c.ca_istrue, 0);
        assert_true(c.ext_types & MBEDTLS_X509_EXT_BASIC_CONSTRAINTS);
        assert_int_equal(c.key_usage, cases[i].ku);
        if (cases[i].eku) {
            assert_true(c.ext_types & MBEDTLS_X509_EXT_EXTENDED_KEY_USAGE);
            assert_int_equal(
                mbedtls_x509_crt_check_extended_key_usage(&c, cases[i].eku, cases[i].eku_len), 0);
            /* only that one purpose */
            assert_null(c.ext_key_usage.next);
        } else {
            assert_false(c.ext_types & MBEDTLS_X509_EXT_EXTENDED_KEY_USAGE);
        }
        if (cases[i].p == MH_CA_PROFILE_TLS) {
            assert_true(c.ext_types & MBEDTLS_X509_EXT_SUBJECT_ALT_NAME);
            assert_int_equal(c.subject_alt_names.buf.len, strlen(dns[0]));
            assert_memory_equal(c.subject_alt_names.buf.p, dns[0], strlen(dns[0]));
        }
        /* the serial is the one asked for */
        assert_int_equal(c.serial.len, MH_CA_SERIAL_LEN);
        assert_memory_equal(c.serial.p, r.serial, MH_CA_SERIAL_LEN);
        assert_true(c.valid_to.year >= 2024);
        mbedtls_x509_crt_free(&c);
    }
}

static void test_refusals(void **state)
{
    (void)state;
    uint8_t spki[600], der[MH_CA_CERT_MAX];
    size_t sl = spki_of(&ee_key, spki, sizeof spki), len;
    mh_ca_issue_req r;

    req_init(&r, MH_CA_PROFILE_TLS, "CN=x", spki, sl);
    assert_int_equal(mh_ca_issue(&r, der, sizeof der, &len), MH_ERR_INVALID_ARG);
    assert_non_null(strstr(mh_err_message(MH_ERR_INVALID_ARG), "DNS name"));
    req_init(&r, MH_CA_PROFILE_SEAL, "CN=University seal,C=AZ", spki, sl);
    assert_int_equal(mh_ca_issue(&r, der, sizeof der, &len), MH_ERR_INVALID_ARG);
    assert_non_null(strstr(mh_err_message(MH_ERR_INVALID_ARG), "O="));
    /* the wrong key for the issuer certificate */
    req_init(&r, MH_CA_PROFILE_NOTARY, "CN=n", spki, sl);
    r.issuer_key = test_signer(&other_key);
    assert_int_equal(mh_ca_issue(&r, der, sizeof der, &len), MH_ERR_KEY_NOT_PERMITTED);
    /* a root whose key is not the signing key */
    req_init(&r, MH_CA_PROFILE_ROOT, "CN=r", spki, sl);
    r.issuer_key = test_signer(&root_key);
    assert_int_equal(mh_ca_issue(&r, der, sizeof der, &len), MH_ERR_INVALID_ARG);
    /* outliving the issuer */
    req_init(&r, MH_CA_PROFILE_NOTARY, "CN=n", spki, sl);
    r.not_after = now + 86400 * 3650;
    assert_int_equal(mh_ca_issue(&r, der, sizeof der, &len), MH_ERR_INVALID_ARG);
    /* bad DNs */
    static const char *const bad[] = {"",       "CN",     "CN=",   "XX=1", "C=Azerbaijan",
                                      "CN=a=b", "CN=a\\", "CN=a,", "C=az", "CN=\x01"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        req_init(&r, MH_CA_PROFILE_NOTARY, bad[i], spki, sl);
        assert_int_equal(mh_ca_issue(&r, der, sizeof der, &len), MH_ERR_INVALID_ARG);
    }
    /* a too small output buffer */
    req_init(&r, MH_CA_PROFILE_NOTARY, "CN=n", spki, sl);
    assert_int_equal(mh_ca_issue(&r, der, 100, &len), MH_ERR_BUFFER_TOO_SMALL);
    /* a garbage key */
    uint8_t junk[64];
    memset(junk, 0x30, sizeof junk);
    req_init(&r, MH_CA_PROFILE_NOTARY, "CN=n", junk, sizeof junk);
    assert_int_equal(mh_ca_issue(&r, der, sizeof der, &len), MH_ERR_PARSE);
}

static void test_names(void **state)
{
    (void)state;
    static const char *const dns[] = {
        "CN=Əli Həsənov,O=Ədliyyə Nazirliyi,OU=Notariat,L=Bakı,C=AZ",
        "CN=ƏĞIİÖÜŞÇ əğıöüşç,O=Bakı Dövlət Universiteti,C=AZ",
        "CN=Иван Петров,O=Министерство юстиции,C=RU",
        "CN=a\\,b\\+c\\=d\\\\e,O=x+OU=y,C=AZ",
        "CN=\\ lead and trail\\ ,serialNumber=AZE-123",
        "2.5.4.65=pseudo,emailAddress=a@b.az,DC=example,DC=az",
    };
    uint8_t der[MH_CA_DN_MAX];
    size_t len;
    char out[1024];
    for (size_t i = 0; i < sizeof dns / sizeof dns[0]; i++) {
        int rc = mh_ca_name_encode(dns[i], der, sizeof der, &len);
        if (rc)
            fprintf(stderr, "%s: %s\n", dns[i], mh_err_message(rc));
        assert_int_equal(rc, 0);
        assert_int_equal(mh_x509_name_format_der(der, len, MH_X509_NAME_DN, out, sizeof out), 0);
        assert_string_equal(out, dns[i]);
    }
    /* types: UTF8String for CN, PrintableString for C; mbedTLS reads it */
    mbedtls_x509_name name;
    memset(&name, 0, sizeof name);
    assert_int_equal(mh_ca_name_encode(dns[0], der, sizeof der, &len), 0);
    unsigned char *p = der;
    size_t l;
    assert_int_equal(mbedtls_asn1_get_tag(&p, der + len, &l, 0x30), 0);
    assert_int_equal(mbedtls_x509_get_name(&p, p + l, &name), 0);
    assert_int_equal(name.val.tag, MBEDTLS_ASN1_UTF8_STRING);
    const mbedtls_x509_name *last = &name;
    while (last->next)
        last = last->next;
    assert_int_equal(last->val.tag, MBEDTLS_ASN1_PRINTABLE_STRING);
    for (mbedtls_x509_name *nx = name.next; nx;) {
        mbedtls_x509_name *prev = nx;
        nx = nx->next;
        free(prev);
    }
    /* two OUs stay two (mbedTLS's string_to_names would fold them) */
    assert_int_equal(mh_ca_name_encode("OU=a,OU=b", der, sizeof der, &len), 0);
    assert_int_equal(mh_x509_name_format_der(der, len, MH_X509_NAME_DN, out, sizeof out), 0);
    assert_string_equal(out, "OU=a,OU=b");
    /* 65 characters of CN is one too many; 64 Cyrillic ones (128 bytes) fit */
    char big[400] = "CN=";
    size_t bl = 3;
    for (int i = 0; i < 64; i++, bl += 2)
        memcpy(big + bl, "Ж", 3);
    assert_int_equal(mh_ca_name_encode(big, der, sizeof der, &len), 0);
    memcpy(big + bl, "Ж", 3);
    assert_int_equal(mh_ca_name_encode(big, der, sizeof der, &len), MH_ERR_INVALID_ARG);
    /* invalid UTF-8 (overlong '/') */
    assert_int_equal(mh_ca_name_encode("CN=\xc0\xaf", der, sizeof der, &len), MH_ERR_INVALID_ARG);
    /* format refuses truncated DER */
    assert_int_equal(mh_ca_name_encode(dns[2], der, sizeof der, &len), 0);
    for (size_t cut = 0; cut < len; cut++)
        assert_int_not_equal(mh_x509_name_format_der(der, cut, MH_X509_NAME_DN, out, sizeof out),
                             0);
}

static void test_oid(void **state)
{
    (void)state;
    uint8_t o[64];
    size_t n;
    assert_int_equal(mh_ca_oid_encode("1.3.6.1.5.5.7.3.36", o, sizeof o, &n), 0);
    assert_int_equal(n, 8);
    assert_memory_equal(o, "\x2b\x06\x01\x05\x05\x07\x03\x24", 8);
    assert_int_equal(mh_ca_oid_encode("2.5.29.32.0", o, sizeof o, &n), 0);
    assert_memory_equal(o, "\x55\x1d\x20\x00", 4);
    /* 2.25.<UUID>: checked against OpenSSL's encoding of the same arc */
    assert_int_equal(
        mh_ca_oid_encode("2.25.186651835885251225168219634582827975517", o, sizeof o, &n), 0);
    assert_int_equal(n, 20);
    assert_int_equal(o[0], 0x69);
    for (size_t i = 1; i < n - 1; i++)
        assert_true(o[i] & 0x80);
    assert_false(o[n - 1] & 0x80);
    static const char *const bad[] = {"", "1", "3.1", "1.40", "1.2.", "1..2", "01.2", "1.2.a"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_not_equal(mh_ca_oid_encode(bad[i], o, sizeof o, &n), 0);
    char t[16];
    assert_int_equal(mh_ca_time_format(0, t), 0);
    assert_string_equal(t, "19700101000000Z");
    assert_int_equal(mh_ca_time_format(2524608000LL, t), 0); /* 2050-01-01 */
    assert_string_equal(t, "20500101000000Z");
    assert_int_equal(mh_ca_time_format(951782400LL, t), 0); /* 2000-02-29 */
    assert_string_equal(t, "20000229000000Z");
}

static size_t make_csr(mbedtls_pk_context *k, const char *subject, uint8_t *out, size_t cap)
{
    mbedtls_x509write_csr w;
    mbedtls_x509write_csr_init(&w);
    mbedtls_x509write_csr_set_md_alg(&w, MBEDTLS_MD_SHA256);
    mbedtls_x509write_csr_set_key(&w, k);
    assert_int_equal(mbedtls_x509write_csr_set_subject_name(&w, subject), 0);
    int l = mbedtls_x509write_csr_der(&w, out, cap, mh_rng_mbedtls, NULL);
    assert_true(l > 0);
    memmove(out, out + cap - (size_t)l, (size_t)l);
    mbedtls_x509write_csr_free(&w);
    return (size_t)l;
}

static void test_csr(void **state)
{
    (void)state;
    uint8_t csr[2048], spki[1024], subj[MH_CA_DN_MAX], mine[1024];
    size_t n, sl, jl;
    for (int k = 0; k < 2; k++) {
        mbedtls_pk_context *key = k ? &rsa_key : &ee_key;
        n = make_csr(key, "CN=Applicant,O=Org,C=AZ", csr, sizeof csr);
        assert_int_equal(mh_ca_csr_check(csr, n, spki, sizeof spki, &sl, subj, sizeof subj, &jl),
                         0);
        size_t ml = spki_of(key, mine, sizeof mine);
        assert_int_equal(sl, ml);
        assert_memory_equal(spki, mine, ml);
        char dn[200];
        assert_int_equal(mh_x509_name_format_der(subj, jl, MH_X509_NAME_DN, dn, sizeof dn), 0);
        assert_string_equal(dn, "CN=Applicant,O=Org,C=AZ");
        /* a flipped byte in the signature's last byte, or in the subject */
        csr[n - 1] ^= 0x01;
        assert_int_equal(mh_ca_csr_check(csr, n, spki, sizeof spki, &sl, subj, sizeof subj, &jl),
                         MH_ERR_VERIFY_FAILED);
        assert_non_null(strstr(mh_err_message(MH_ERR_VERIFY_FAILED), "forged"));
        csr[n - 1] ^= 0x01;
        uint8_t *a = find(csr, n, "Applicant", 9);
        assert_non_null(a);
        a[0] = 'B';
        assert_int_equal(mh_ca_csr_check(csr, n, spki, sizeof spki, &sl, subj, sizeof subj, &jl),
                         MH_ERR_VERIFY_FAILED);
        a[0] = 'A';
        /* truncation is a parse error, never a crash */
        for (size_t cut = 0; cut < n; cut += 7)
            assert_int_not_equal(
                mh_ca_csr_check(csr, cut, spki, sizeof spki, &sl, subj, sizeof subj, &jl), 0);
    }
}

static void check_crl(const uint8_t *der, size_t len, const mh_crl_entry *e, size_t n,
                      uint64_t number, const uint8_t *ca, size_t ca_len)
{
    mbedtls_x509_crl crl;
    mbedtls_x509_crt cacrt;
    mbedtls_x509_crl_init(&crl);
    mbedtls_x509_crt_init(&cacrt);
    assert_int_equal(mbedtls_x509_crl_parse_der(&crl, der, len), 0);
    assert_int_equal(mbedtls_x509_crt_parse_der(&cacrt, ca, ca_len), 0);
    assert_int_equal(crl.version, 2);
    assert_int_equal(crl.issuer_raw.len, cacrt.subject_raw.len);
    assert_memory_equal(crl.issuer_raw.p, cacrt.subject_raw.p, crl.issuer_raw.len);
    /* the signature verifies with the CA's key */
    uint8_t h[64];
    const mbedtls_md_info_t *mi = mbedtls_md_info_from_type(crl.sig_md);
    assert_non_null(mi);
    assert_int_equal(mbedtls_md(mi, crl.tbs.p, crl.tbs.len, h), 0);
    assert_int_equal(mbedtls_pk_verify(&cacrt.pk, crl.sig_md, h, mbedtls_md_get_size(mi), crl.sig.p,
                                       crl.sig.len),
                     0);
    /* entries in order, with dates and reason codes */
    const mbedtls_x509_crl_entry *ent = &crl.entry;
    size_t seen = 0;
    for (; ent && ent->raw.len; ent = ent->next, seen++) {
        assert_true(seen < n);
        assert_int_equal(ent->serial.len, e[seen].serial_len);
        assert_memory_equal(ent->serial.p, e[seen].serial, e[seen].serial_len);
        if (e[seen].reason == MH_CRL_UNSPECIFIED) {
            assert_null(find(ent->raw.p, ent->raw.len, "\x06\x03\x55\x1d\x15", 5));
        } else {
            /* Extensions { Extension { 2.5.29.21, OCTET STRING { ENUMERATED r } } } */
            uint8_t want[] = {0x06, 0x03, 0x55, 0x1d, 0x15,
                              0x04, 0x03, 0x0a, 0x01, (uint8_t)e[seen].reason};
            /* (mbedTLS's entry_ext.len leaves out the header: search the raw entry) */
            assert_non_null(find(ent->raw.p, ent->raw.len, want, sizeof want));
        }
    }
    assert_int_equal(seen, n);
    /* the CRL number and AKI extensions */
    uint8_t num[] = {0x06, 0x03, 0x55, 0x1d, 0x14, 0x04, 0x03, 0x02, 0x01, (uint8_t)number};
    assert_non_null(find(crl.crl_ext.p, crl.crl_ext.len, num, sizeof num));
    static mh_x509_cert ci;
    assert_int_equal(mh_x509_cert_parse(&ci, ca, ca_len), 0);
    assert_non_null(find(crl.crl_ext.p, crl.crl_ext.len, ci.ski.p, 20));
    mbedtls_x509_crl_free(&crl);
    mbedtls_x509_crt_free(&cacrt);
}

static void test_crl(void **state)
{
    (void)state;
    uint8_t der[8192];
    size_t len;
    mh_crl_entry e[3];
    memset(e, 0, sizeof e);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(mh_rng_mbedtls(NULL, e[i].serial, 16), 0);
        mh_ca_serial_fix(e[i].serial);
        e[i].serial_len = 16;
        e[i].date = now - 3600 * (i + 1);
    }
    e[0].reason = MH_CRL_KEY_COMPROMISE;
    e[1].reason = MH_CRL_UNSPECIFIED;
    e[2].reason = MH_CRL_PRIVILEGE_WITHDRAWN;
    mh_crl_req r;
    memset(&r, 0, sizeof r);
    r.issuer_cert = iss_der;
    r.issuer_cert_len = iss_len;
    r.issuer_key = test_signer(&iss_key);
    r.this_update = now;
    r.next_update = now + 7 * 86400;
    r.crl_number = 1;
    /* without entries */
    assert_int_equal(mh_crl_write(&r, der, sizeof der, &len), 0);
    check_crl(der, len, NULL, 0, 1, iss_der, iss_len);
    /* with entries */
    r.entries = e;
    r.n_entries = 3;
    r.crl_number = 2;
    assert_int_equal(mh_crl_write(&r, der, sizeof der, &len), 0);
    check_crl(der, len, e, 3, 2, iss_der, iss_len);
    /* wrong key, bad times, unknown reason */
    r.issuer_key = test_signer(&other_key);
    assert_int_equal(mh_crl_write(&r, der, sizeof der, &len), MH_ERR_KEY_NOT_PERMITTED);
    r.issuer_key = test_signer(&iss_key);
    r.next_update = r.this_update;
    assert_int_equal(mh_crl_write(&r, der, sizeof der, &len), MH_ERR_INVALID_ARG);
    r.next_update = now + 86400;
    e[1].reason = 7;
    assert_int_equal(mh_crl_write(&r, der, sizeof der, &len), MH_ERR_INVALID_ARG);
    e[1].reason = 0;
    assert_int_equal(mh_crl_write(&r, der, 200, &len), MH_ERR_BUFFER_TOO_SMALL);
    /* reasons by name */
    assert_int_equal(mh_crl_reason_from_name("cACompromise"), 2);
    assert_int_equal(mh_crl_reason_from_name("removeFromCRL"), -1);
    assert_string_equal(mh_crl_reason_name(9), "privilegeWithdrawn");
}

/* An RSA root, an EE under it, a CRL from it: sha256WithRSAEncryption. */
static void test_rsa(void **state)
{
    (void)state;
    uint8_t spki[600], rroot[MH_CA_CERT_MAX], der[MH_CA_CERT_MAX], crl[8192];
    size_t sl = spki_of(&rsa_key, spki, sizeof spki), rlen, len, clen;
    mh_ca_issue_req r;
    req_init(&r, MH_CA_PROFILE_ROOT, "CN=RSA Root,C=AZ", spki, sl);
    r.issuer_key = test_signer(&rsa_key);
    assert_int_equal(mh_ca_issue(&r, rroot, sizeof rroot, &rlen), 0);
    sl = spki_of(&ee_key, spki, sizeof spki);
    req_init(&r, MH_CA_PROFILE_REGISTRY, "CN=Registry,O=Mohur", spki, sl);
    r.issuer_cert = rroot;
    r.issuer_cert_len = rlen;
    r.issuer_key = test_signer(&rsa_key);
    assert_int_equal(mh_ca_issue(&r, der, sizeof der, &len), 0);
    mbedtls_x509_crt c, t;
    uint32_t flags;
    mbedtls_x509_crt_init(&c);
    mbedtls_x509_crt_init(&t);
    assert_int_equal(mbedtls_x509_crt_parse_der(&c, der, len), 0);
    assert_int_equal(mbedtls_x509_crt_parse_der(&t, rroot, rlen), 0);
    assert_int_equal(c.sig_pk, MBEDTLS_PK_RSA);
    assert_int_equal(mbedtls_x509_crt_verify(&c, &t, NULL, NULL, &flags, NULL, NULL), 0);
    /* revoke it: mbedTLS's verifier now says revoked */
    mh_crl_entry e;
    memset(&e, 0, sizeof e);
    memcpy(e.serial, r.serial, 16);
    e.serial_len = 16;
    e.date = now - 10;
    e.reason = MH_CRL_SUPERSEDED;
    mh_crl_req q;
    memset(&q, 0, sizeof q);
    q.issuer_cert = rroot;
    q.issuer_cert_len = rlen;
    q.issuer_key = test_signer(&rsa_key);
    q.this_update = now - 5;
    q.next_update = now + 86400;
    q.crl_number = 7;
    q.entries = &e;
    q.n_entries = 1;
    assert_int_equal(mh_crl_write(&q, crl, sizeof crl, &clen), 0);
    check_crl(crl, clen, &e, 1, 7, rroot, rlen);
    mbedtls_x509_crl xc;
    mbedtls_x509_crl_init(&xc);
    assert_int_equal(mbedtls_x509_crl_parse_der(&xc, crl, clen), 0);
    flags = 0;
    assert_int_not_equal(mbedtls_x509_crt_verify(&c, &t, &xc, NULL, &flags, NULL, NULL), 0);
    assert_true(flags & MBEDTLS_X509_BADCERT_REVOKED);
    mbedtls_x509_crl_free(&xc);
    mbedtls_x509_crt_free(&c);
    mbedtls_x509_crt_free(&t);
}

/* A signer that fails the way a token does when the PIN typed at a
 * context-specific login is wrong. */
static int wrong_pin_sign(const mh_signer *self, mbedtls_md_type_t md, const uint8_t *in,
                          size_t in_len, bool message, enum mh_sig_enc enc, uint8_t *sig,
                          size_t cap, size_t *sig_len)
{
    (void)self, (void)md, (void)in, (void)in_len, (void)message, (void)enc, (void)sig, (void)cap;
    (void)sig_len;
    return mh_err_set(MH_ERR_PIN_INCORRECT, "logging in to token 'Seal': the PIN is incorrect");
}

/* Every signing path of pki hands the signer's code and sentence on
 * unchanged: a wrong PIN stays MH_ERR_PIN_INCORRECT (exit 5), never a
 * guessed token or key error. */
static void test_signer_errors(void **state)
{
    (void)state;
    const mh_signer *iss = test_signer(&iss_key);
    mh_signer bad = *iss;
    bad.sign = wrong_pin_sign;
    uint8_t spki[600], out[8192];
    size_t sl = spki_of(&ee_key, spki, sizeof spki), len = 0;
    mh_ca_issue_req r;
    req_init(&r, MH_CA_PROFILE_NOTARY, "CN=Notary,C=AZ", spki, sl);
    r.issuer_key = &bad;
    assert_int_equal(mh_ca_issue(&r, out, sizeof out, &len), MH_ERR_PIN_INCORRECT);
    assert_non_null(strstr(mh_err_message(MH_ERR_PIN_INCORRECT), "PIN is incorrect"));
    mh_crl_req q;
    memset(&q, 0, sizeof q);
    q.issuer_cert = iss_der;
    q.issuer_cert_len = iss_len;
    q.issuer_key = &bad;
    q.this_update = now;
    q.next_update = now + 86400;
    assert_int_equal(mh_crl_write(&q, out, sizeof out, &len), MH_ERR_PIN_INCORRECT);
    mh_cms_signer cs;
    memset(&cs, 0, sizeof cs);
    cs.key = &bad;
    cs.cert = iss_der;
    cs.cert_len = iss_len;
    cs.md = MBEDTLS_MD_SHA256;
    assert_int_equal(mh_cms_sign(&cs, (const uint8_t *)"x", 1, out, sizeof out, &len),
                     MH_ERR_PIN_INCORRECT);
    uint8_t hash[32] = {0}, sig[64];
    assert_int_equal(mh_cose_es256_sign(&bad, hash, sig), MH_ERR_PIN_INCORRECT);
    char note[512];
    uint8_t id[4] = {0};
    assert_int_equal(mh_note_sign("t\n", 2, "n", MH_NOTE_ECDSA, id, &bad, note, sizeof note, &len),
                     MH_ERR_PIN_INCORRECT);
    assert_non_null(strstr(mh_err_message(MH_ERR_PIN_INCORRECT), "PIN is incorrect"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_root),
        cmocka_unit_test(test_issuing),
        cmocka_unit_test(test_end_entity_profiles),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_oid),
        cmocka_unit_test(test_csr),
        cmocka_unit_test(test_crl),
        cmocka_unit_test(test_rsa),
        cmocka_unit_test(test_signer_errors),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
