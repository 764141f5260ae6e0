/* test_hsm.c - hsm/ against a real SoftHSM2 token made for this run. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <mbedtls/sha256.h>
#include <mbedtls/x509_crt.h>

#include "mh_hsm.h"
#include "mh_pki.h"
#include "../common/test_hsm_sign.h"
#include "softhsm_fixture.h"

static struct fixture fx;
static mh_hsm_module *mod;
static mh_hsm_token *tok;

static int group_setup(void **state)
{
    (void)state;
    fx_setup(&fx);
    mh_p11_uri u;
    memset(&u, 0, sizeof u);
    if (mh_hsm_module_load(&u, NULL, &mod)) {
        fprintf(stderr, "cannot load SoftHSM2: %s\n", mh_err_message(MH_ERR_MODULE_LOAD));
        return -1;
    }
    unsigned long slot;
    int rc = mh_hsm_token_init(mod, "unit", "12345678", "1234", &slot);
    if (rc) {
        fprintf(stderr, "token init: %s\n", mh_err_message(rc));
        return -1;
    }
    char uri[512];
    snprintf(uri, sizeof uri, "pkcs11:token=unit?pin-source=file:%s", fx.pinfile);
    rc = mh_p11_uri_parse(uri, &u);
    if (!rc)
        rc = mh_hsm_token_open(mod, &u, &tok);
    mh_p11_uri_free(&u);
    if (!rc)
        rc = mh_hsm_login(tok);
    if (rc) {
        fprintf(stderr, "open/login: %s\n", mh_err_message(rc));
        return -1;
    }
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    mh_hsm_module_unload(mod);
    fx_teardown(&fx);
    return 0;
}

/* ---- URIs ------------------------------------------------------------- */

static void uri_roundtrip(void **state)
{
    (void)state;
    mh_p11_uri u;
    assert_int_equal(mh_p11_uri_parse("pkcs11:token=My%20Seal;object=k%C9%99y;id=%01%02%ff;"
                                      "type=private;slot-id=7?module-name=softhsm2&pin-source="
                                      "file:/etc/pin",
                                      &u),
                     0);
    assert_string_equal(u.token, "My Seal");
    assert_string_equal(u.object, "k\xc9\x99y");
    assert_int_equal(u.id_len, 3);
    assert_int_equal(u.id[2], 0xff);
    assert_int_equal(u.type, MH_P11_TYPE_PRIVATE);
    assert_true(u.has_slot_id);
    assert_int_equal(u.slot_id, 7);
    assert_string_equal(u.module_name, "softhsm2");
    assert_string_equal(u.pin_source, "file:/etc/pin");
    char buf[512];
    assert_int_equal(mh_p11_uri_format(&u, buf, sizeof buf), 0);
    assert_string_equal(buf, "pkcs11:token=My%20Seal;slot-id=7;object=k%C9%99y;type=private;"
                             "id=%01%02%FF?module-name=softhsm2&pin-source=file:/etc/pin");
    mh_p11_uri v;
    assert_int_equal(mh_p11_uri_parse(buf, &v), 0);
    assert_string_equal(v.object, u.object);
    assert_memory_equal(v.id, u.id, 3);
    char small[10];
    assert_int_equal(mh_p11_uri_format(&u, small, sizeof small), MH_ERR_BUFFER_TOO_SMALL);
    mh_p11_uri_free(&u);
    mh_p11_uri_free(&v);
}

static void uri_rejects(void **state)
{
    (void)state;
    mh_p11_uri u;
    static const char *const bad[] = {
        "pkcs12:token=a",     "pkcs11:token=a;token=b",
        "pkcs11:token=%zz",   "pkcs11:token=%4",
        "pkcs11:foo=bar",     "pkcs11:type=secret",
        "pkcs11:slot-id=-1",  "pkcs11:slot-id=x",
        "pkcs11:token",       "pkcs11:token=a b",
        "pkcs11:id=",         "pkcs11:module-path=/x",
        "pkcs11:token=a%00b", "",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int rc = mh_p11_uri_parse(bad[i], &u);
        if (rc == 0)
            fail_msg("accepted bad URI '%s'", bad[i]);
        assert_int_equal(rc, MH_ERR_URI);
    }
    /* a PIN never belongs in a URI, and the error must not repeat it */
    assert_int_equal(mh_p11_uri_parse("pkcs11:token=a?pin-value=31337", &u), MH_ERR_PIN_IN_URI);
    assert_null(strstr(mh_err_message(MH_ERR_PIN_IN_URI), "31337"));
    /* unknown query attributes are ignored (RFC 7512) */
    assert_int_equal(mh_p11_uri_parse("pkcs11:token=a?x-vendor=1", &u), 0);
    mh_p11_uri_free(&u);
    /* an overlong URI */
    char *longu = malloc(5000);
    memcpy(longu, "pkcs11:token=", 13);
    memset(longu + 13, 'a', 4980);
    longu[4993] = '\0';
    assert_int_equal(mh_p11_uri_parse(longu, &u), MH_ERR_URI);
    free(longu);
}

/* ---- ECDSA encodings --------------------------------------------------- */

static void ecdsa_der(void **state)
{
    (void)state;
    uint8_t raw[64], der[80], back[64];
    size_t dl;
    memset(raw, 0, sizeof raw);
    raw[0] = 0x80; /* high bit: r needs a 0x00 pad */
    raw[31] = 1;
    raw[63] = 5; /* s = 5: leading zeros stripped */
    assert_int_equal(mh_ecdsa_raw_to_der(raw, 64, der, sizeof der, &dl), 0);
    assert_int_equal(dl, 2 + 2 + 33 + 2 + 1);
    assert_int_equal(der[0], 0x30);
    assert_int_equal(mh_ecdsa_der_to_raw(der, dl, 32, back), 0);
    assert_memory_equal(raw, back, 64);
    /* non-canonical forms are refused */
    uint8_t t[80];
    memcpy(t, der, dl);
    t[1] = 0x81; /* long form where short fits: shift would be needed */
    assert_int_not_equal(mh_ecdsa_der_to_raw(t, dl, 32, back), 0);
    static const uint8_t pad0[] = {0x30, 0x07, 0x02, 0x02, 0x00, 0x05, 0x02, 0x01, 0x05};
    assert_int_not_equal(mh_ecdsa_der_to_raw(pad0, sizeof pad0, 32, back), 0);
    static const uint8_t neg[] = {0x30, 0x06, 0x02, 0x01, 0x85, 0x02, 0x01, 0x05};
    assert_int_not_equal(mh_ecdsa_der_to_raw(neg, sizeof neg, 32, back), 0);
    static const uint8_t zero[] = {0x30, 0x06, 0x02, 0x01, 0x00, 0x02, 0x01, 0x05};
    assert_int_not_equal(mh_ecdsa_der_to_raw(zero, sizeof zero, 32, back), 0);
    static const uint8_t trail[] = {0x30, 0x06, 0x02, 0x01, 0x05, 0x02, 0x01, 0x05, 0x00};
    assert_int_not_equal(mh_ecdsa_der_to_raw(trail, sizeof trail, 32, back), 0);
    static const uint8_t ok[] = {0x30, 0x06, 0x02, 0x01, 0x05, 0x02, 0x01, 0x05};
    assert_int_equal(mh_ecdsa_der_to_raw(ok, sizeof ok, 32, back), 0);
    static const uint8_t longlen[] = {0x30, 0x81, 0x06, 0x02, 0x01, 0x05, 0x02, 0x01, 0x05};
    assert_int_not_equal(mh_ecdsa_der_to_raw(longlen, sizeof longlen, 32, back), 0);
    static const uint8_t toobig[] = {0x30, 0x25, 0x02, 0x21, 0x01, 1,  2,  3,    4,    5,
                                     6,    7,    8,    9,    10,   11, 12, 13,   14,   15,
                                     16,   17,   18,   19,   20,   21, 22, 23,   24,   25,
                                     26,   27,   28,   29,   30,   31, 32, 0x02, 0x01, 0x05};
    assert_int_not_equal(mh_ecdsa_der_to_raw(toobig, sizeof toobig, 32, back), 0);
}

/* ---- errors ------------------------------------------------------------ */

static void strerror_all(void **state)
{
    (void)state;
    for (int e = 0; e > MH_ERR_LAST_; e--) {
        const char *m = mh_strerror(e);
        assert_non_null(m);
        assert_true(strlen(m) > 3);
    }
    assert_string_equal(mh_strerror(5), "unknown error");
}

/* ---- modules and tokens ------------------------------------------------ */

static void module_allowlist(void **state)
{
    (void)state;
    mh_p11_uri u;
    memset(&u, 0, sizeof u);
    mh_hsm_config cfg = {.module_dirs = "/opt/nowhere"};
    mh_hsm_module *m = NULL;
    assert_int_equal(mh_hsm_module_load(&u, &cfg, &m), MH_ERR_MODULE_NOT_ALLOWED);
    assert_null(m);
    assert_non_null(strstr(mh_err_message(MH_ERR_MODULE_NOT_ALLOWED), "allowed"));
    assert_int_equal(mh_p11_uri_parse("pkcs11:?module-path=/etc/passwd", &u), 0);
    cfg.module_dirs = "/etc";
    assert_int_equal(mh_hsm_module_load(&u, &cfg, &m), MH_ERR_MODULE_LOAD);
    mh_p11_uri_free(&u);
    assert_int_equal(mh_p11_uri_parse("pkcs11:?module-name=no-such-module", &u), 0);
    assert_int_equal(mh_hsm_module_load(&u, NULL, &m), MH_ERR_MODULE_LOAD);
    mh_p11_uri_free(&u);
    assert_int_equal(mh_p11_uri_parse("pkcs11:?module-name=../../etc/x", &u), 0);
    assert_int_equal(mh_hsm_module_load(&u, NULL, &m), MH_ERR_MODULE_LOAD);
    mh_p11_uri_free(&u);
    /* the same SoftHSM2 module a second time in one process is refused */
    assert_int_equal(mh_p11_uri_parse("pkcs11:?module-name=softhsm2", &u), 0);
    assert_int_equal(mh_hsm_module_load(&u, NULL, &m), MH_ERR_MODULE_LOAD);
    mh_p11_uri_free(&u);
}

static void slots_and_tokens(void **state)
{
    (void)state;
    mh_hsm_token_info *v = NULL;
    size_t n = 0;
    assert_int_equal(mh_hsm_slots(mod, &v, &n), 0);
    bool seen = false;
    for (size_t i = 0; i < n; i++) {
        if (v[i].token_present && strcmp(v[i].label, "unit") == 0) {
            seen = true;
            assert_true(v[i].initialized);
            assert_true(v[i].login_required);
            assert_string_equal(v[i].pin_state, "ok");
        }
    }
    assert_true(seen);
    free(v);
    mh_hsm_token_info ti;
    assert_int_equal(mh_hsm_token_info_get(tok, &ti), 0);
    assert_string_equal(ti.label, "unit");
    /* not found, and a second token with the same label is refused */
    mh_p11_uri u;
    mh_hsm_token *t2 = NULL;
    assert_int_equal(mh_p11_uri_parse("pkcs11:token=nosuch", &u), 0);
    assert_int_equal(mh_hsm_token_open(mod, &u, &t2), MH_ERR_TOKEN_NOT_FOUND);
    mh_p11_uri_free(&u);
    assert_int_equal(mh_hsm_token_init(mod, "unit", "12345678", "1234", NULL),
                     MH_ERR_ALREADY_EXISTS);
}

static void wrong_pin_not_retried(void **state)
{
    (void)state;
    /* a second token, so the shared one stays logged in */
    assert_int_equal(mh_hsm_token_init(mod, "pins", "12345678", "1234", NULL), 0);
    char uri[512];
    snprintf(uri, sizeof uri, "pkcs11:token=pins?pin-source=file:%s", fx.badpinfile);
    mh_p11_uri u;
    mh_hsm_token *t = NULL;
    assert_int_equal(mh_p11_uri_parse(uri, &u), 0);
    assert_int_equal(mh_hsm_token_open(mod, &u, &t), 0);
    mh_p11_uri_free(&u);
    assert_int_equal(mh_hsm_login(t), MH_ERR_PIN_INCORRECT);
    const char *msg = mh_err_message(MH_ERR_PIN_INCORRECT);
    assert_non_null(strstr(msg, "incorrect"));
    assert_null(strstr(msg, "9999"));
    assert_false(mh_hsm_logged_in(t));
    /* anything that needs the key now fails at once, without a new login */
    mh_hsm_key *k = NULL;
    assert_int_equal(mh_hsm_key_generate(t, MH_KEY_EC_P256, "x", NULL, 0, &k),
                     MH_ERR_PIN_INCORRECT);
    assert_non_null(strstr(mh_err_message(MH_ERR_PIN_INCORRECT), "does not try again"));
    mh_hsm_token_close(t);
    /* a PIN file others can read is refused */
    char loose[400];
    snprintf(loose, sizeof loose, "%s/loosepin", fx.dir);
    fx_write(loose, "1234\n", 0644);
    snprintf(uri, sizeof uri, "pkcs11:token=pins?pin-source=file:%s", loose);
    assert_int_equal(mh_p11_uri_parse(uri, &u), 0);
    assert_int_equal(mh_hsm_token_open(mod, &u, &t), 0);
    mh_p11_uri_free(&u);
    assert_int_equal(mh_hsm_login(t), MH_ERR_PERMISSION);
    mh_hsm_token_close(t);
}

/* ---- keys and signatures ---------------------------------------------- */

static void sha256(const void *m, size_t n, uint8_t d[32])
{
    mbedtls_sha256_ret(m, n, d, 0);
}

static mh_hsm_key *gen(enum mh_key_type t, const char *label)
{
    mh_hsm_key *k = NULL;
    int rc = mh_hsm_key_generate(tok, t, label, NULL, 0, &k);
    if (rc)
        fail_msg("generate %s: %s", label, mh_err_message(rc));
    return k;
}

static void sign_verify_one(mh_hsm_key *k, enum mh_sig_alg alg)
{
    static const char msg[] = "diploma #42: Leyla Məmmədova";
    uint8_t sig[MH_SIG_MAX], d[32];
    size_t sl = 0;
    int rc = hsm_sign_message(k, alg, MBEDTLS_MD_SHA256, (const uint8_t *)msg, sizeof msg, sig,
                              sizeof sig, &sl);
    if (rc)
        fail_msg("sign: %s", mh_err_message(rc));
    assert_int_equal(
        mh_hsm_verify_message(k, alg, MBEDTLS_MD_SHA256, (const uint8_t *)msg, sizeof msg, sig, sl),
        0);
    /* a changed message or signature fails */
    char other[sizeof msg];
    memcpy(other, msg, sizeof msg);
    other[0] = 'D';
    assert_int_equal(mh_hsm_verify_message(k, alg, MBEDTLS_MD_SHA256, (const uint8_t *)other,
                                           sizeof other, sig, sl),
                     MH_ERR_VERIFY_FAILED);
    sig[sl / 2] ^= 1;
    assert_int_equal(
        mh_hsm_verify_message(k, alg, MBEDTLS_MD_SHA256, (const uint8_t *)msg, sizeof msg, sig, sl),
        MH_ERR_VERIFY_FAILED);
    sig[sl / 2] ^= 1;
    if (alg == MH_SIG_ED25519)
        return;
    /* the digest interface gives a signature over the same thing */
    sha256(msg, sizeof msg, d);
    assert_int_equal(mh_hsm_verify_digest(k, alg, MBEDTLS_MD_SHA256, d, 32, sig, sl), 0);
    /* and software verification with the exported public key agrees */
    uint8_t spki[1100];
    size_t spl;
    assert_int_equal(mh_hsm_key_public_der(k, spki, sizeof spki, &spl), 0);
    mbedtls_pk_context pub;
    mbedtls_pk_init(&pub);
    assert_int_equal(mbedtls_pk_parse_public_key(&pub, spki, spl), 0);
    if (alg == MH_SIG_RSA_PSS) {
        mbedtls_pk_rsassa_pss_options o = {MBEDTLS_MD_SHA256, 32};
        assert_int_equal(mbedtls_pk_verify_ext(MBEDTLS_PK_RSASSA_PSS, &o, &pub, MBEDTLS_MD_SHA256,
                                               d, 32, sig, sl),
                         0);
    } else {
        assert_int_equal(mbedtls_pk_verify(&pub, MBEDTLS_MD_SHA256, d, 32, sig, sl), 0);
    }
    mbedtls_pk_free(&pub);
}

static void keys_sign_verify(void **state)
{
    (void)state;
    mh_hsm_key *p256 = gen(MH_KEY_EC_P256, "p256");
    mh_hsm_key *p384 = gen(MH_KEY_EC_P384, "p384");
    mh_hsm_key *rsa = gen(MH_KEY_RSA_2048, "rsa2048");
    mh_hsm_key *ed = gen(MH_KEY_ED25519, "ed");
    sign_verify_one(p256, MH_SIG_AUTO);
    sign_verify_one(p384, MH_SIG_ECDSA);
    sign_verify_one(rsa, MH_SIG_RSA_PKCS1);
    sign_verify_one(rsa, MH_SIG_RSA_PSS);
    sign_verify_one(ed, MH_SIG_ED25519);
    /* a mechanism that does not fit the key is a clear error */
    uint8_t sig[MH_SIG_MAX], d[32] = {0};
    size_t sl;
    assert_int_equal(
        hsm_sign_digest(p256, MH_SIG_RSA_PSS, MBEDTLS_MD_SHA256, d, 32, sig, sizeof sig, &sl),
        MH_ERR_KEY_TYPE);
    assert_int_equal(
        hsm_sign_digest(ed, MH_SIG_AUTO, MBEDTLS_MD_SHA256, d, 32, sig, sizeof sig, &sl),
        MH_ERR_KEY_TYPE);
    assert_int_equal(
        hsm_sign_digest(p256, MH_SIG_AUTO, MBEDTLS_MD_SHA384, d, 32, sig, sizeof sig, &sl),
        MH_ERR_INVALID_ARG);
    /* key facts */
    mh_hsm_key_info ki;
    assert_int_equal(mh_hsm_key_info_get(rsa, &ki), 0);
    assert_int_equal(ki.type, MH_KEY_RSA_2048);
    assert_int_equal(ki.bits, 2048);
    assert_true(ki.has_private && ki.has_public && ki.sensitive && !ki.extractable);
    assert_int_equal(ki.id_len, 16);
    /* duplicate label refused */
    mh_hsm_key *dup = NULL;
    assert_int_equal(mh_hsm_key_generate(tok, MH_KEY_EC_P256, "p256", NULL, 0, &dup),
                     MH_ERR_ALREADY_EXISTS);
    /* found again by URI, by label and by id */
    char uri[600];
    assert_int_equal(mh_hsm_key_uri(p384, uri, sizeof uri), 0);
    mh_p11_uri u;
    assert_int_equal(mh_p11_uri_parse(uri, &u), 0);
    mh_hsm_key *again = NULL;
    assert_int_equal(mh_hsm_key_find(tok, &u, &again), 0);
    mh_hsm_key_info ai;
    assert_int_equal(mh_hsm_key_info_get(again, &ai), 0);
    assert_int_equal(ai.type, MH_KEY_EC_P384);
    sign_verify_one(again, MH_SIG_AUTO);
    mh_hsm_key_free(again);
    mh_p11_uri_free(&u);
    assert_int_equal(mh_p11_uri_parse("pkcs11:token=unit;object=nokey", &u), 0);
    assert_int_equal(mh_hsm_key_find(tok, &u, &again), MH_ERR_KEY_NOT_FOUND);
    mh_p11_uri_free(&u);
    /* list */
    mh_hsm_key_info *list = NULL;
    size_t n = 0;
    assert_int_equal(mh_hsm_key_list(tok, &list, &n), 0);
    int found = 0;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(list[i].label, "ed") == 0) {
            assert_int_equal(list[i].type, MH_KEY_ED25519);
            found++;
        }
        if (strcmp(list[i].label, "p256") == 0) {
            assert_int_equal(list[i].type, MH_KEY_EC_P256);
            assert_true(list[i].has_private && list[i].has_public);
            found++;
        }
    }
    assert_int_equal(found, 2);
    free(list);
    mh_hsm_key_free(p256);
    mh_hsm_key_free(p384);
    mh_hsm_key_free(rsa);
    mh_hsm_key_free(ed);
}

/* ---- the token key's mh_signer: pki's CA issues a certificate with it -- */

static void issue_self_signed(mh_hsm_key *k, uint8_t *der, size_t *len)
{
    mh_signer sg;
    int rc = mh_hsm_key_signer(k, MH_SIG_AUTO, &sg);
    if (rc)
        fail_msg("key_signer: %s", mh_err_message(rc));
    mh_ca_issue_req r;
    memset(&r, 0, sizeof r);
    r.profile = MH_CA_PROFILE_ROOT;
    r.subject = "CN=Registry,O=mohur test";
    r.spki = sg.spki;
    r.spki_len = sg.spki_len;
    r.issuer_key = &sg;
    r.path_len = -1;
    r.not_before = 1767225600; /* 2026-01-01 */
    r.not_after = 2082758400;  /* 2036-01-01 */
    assert_int_equal(mh_rng_bytes(r.serial, sizeof r.serial), 0);
    mh_ca_serial_fix(r.serial);
    rc = mh_ca_issue(&r, der, 4096, len);
    if (rc)
        fail_msg("issue: %s", mh_err_message(rc));
    /* the signer's signatures verify with the token's public key, in both
     * encodings (ECDSA) and with PSS (RSA) */
    uint8_t d[32], sig[MH_SIG_MAX], der2[MH_SIG_MAX];
    size_t sl, dl;
    sha256("abc", 3, d);
    assert_int_equal(
        mh_signer_sign(&sg, MBEDTLS_MD_SHA256, d, 32, MH_SIG_DER, sig, sizeof sig, &sl), 0);
    assert_int_equal(mh_hsm_verify_digest(k, MH_SIG_AUTO, MBEDTLS_MD_SHA256, d, 32, sig, sl), 0);
    if (sg.alg == MH_SIG_ECDSA) {
        assert_int_equal(
            mh_signer_sign(&sg, MBEDTLS_MD_SHA256, d, 32, MH_SIG_RAW, sig, sizeof sig, &sl), 0);
        assert_int_equal(sl, 64);
        assert_int_equal(mh_ecdsa_raw_to_der(sig, sl, der2, sizeof der2, &dl), 0);
        assert_int_equal(mh_hsm_verify_digest(k, MH_SIG_AUTO, MBEDTLS_MD_SHA256, d, 32, der2, dl),
                         0);
    }
    d[0] ^= 1;
    assert_int_not_equal(mh_hsm_verify_digest(k, MH_SIG_AUTO, MBEDTLS_MD_SHA256, d, 32, sig, sl),
                         0);
    if (sg.alg == MH_SIG_RSA_PKCS1) {
        mh_signer pss;
        assert_int_equal(mh_hsm_key_signer(k, MH_SIG_RSA_PSS, &pss), 0);
        assert_int_equal(
            mh_signer_sign(&pss, MBEDTLS_MD_SHA256, d, 32, MH_SIG_DER, sig, sizeof sig, &sl), 0);
        assert_int_equal(mh_hsm_verify_digest(k, MH_SIG_RSA_PSS, MBEDTLS_MD_SHA256, d, 32, sig, sl),
                         0);
    }
}

static void signer_backed_by_token(void **state)
{
    (void)state;
    mh_hsm_key *keys[2] = {gen(MH_KEY_EC_P256, "ca-ec"), gen(MH_KEY_RSA_2048, "ca-rsa")};
    for (int i = 0; i < 2; i++) {
        uint8_t der[4096];
        size_t len;
        issue_self_signed(keys[i], der, &len);
        mbedtls_x509_crt crt;
        mbedtls_x509_crt_init(&crt);
        assert_int_equal(mbedtls_x509_crt_parse_der(&crt, der, len), 0);
        uint32_t flags = 0;
        assert_int_equal(mbedtls_x509_crt_verify(&crt, &crt, NULL, NULL, &flags, NULL, NULL), 0);
        mbedtls_x509_crt_free(&crt);
        /* stored next to its key and read back */
        assert_int_equal(mh_hsm_key_import_cert(keys[i], der, len), 0);
        assert_int_equal(mh_hsm_key_import_cert(keys[i], der, len), MH_ERR_ALREADY_EXISTS);
        uint8_t *back = NULL;
        size_t bl = 0;
        assert_int_equal(mh_hsm_key_cert(keys[i], &back, &bl), 0);
        assert_int_equal(bl, len);
        assert_memory_equal(back, der, len);
        free(back);
        /* a certificate for the other key is refused */
        assert_int_equal(mh_hsm_key_import_cert(keys[1 - i], der, len), MH_ERR_KEY_TYPE);
        mh_hsm_key_info ki;
        assert_int_equal(mh_hsm_key_info_get(keys[i], &ki), 0);
        assert_true(ki.has_cert);
    }
    uint8_t junk[100];
    memset(junk, 0x30, sizeof junk);
    assert_int_equal(mh_hsm_key_import_cert(keys[0], junk, sizeof junk), MH_ERR_PARSE);
    mh_hsm_key_free(keys[0]);
    mh_hsm_key_free(keys[1]);
}

/* ---- threads ------------------------------------------------------------ */

struct worker {
    mh_hsm_key *key;
    int ok, bad;
};

static void *sign_loop(void *arg)
{
    struct worker *w = arg;
    for (int i = 0; i < 300; i++) {
        uint8_t d[32], sig[MH_SIG_MAX];
        size_t sl;
        memset(d, i & 0xff, sizeof d);
        if (hsm_sign_digest(w->key, MH_SIG_AUTO, MBEDTLS_MD_SHA256, d, 32, sig, sizeof sig, &sl) ==
                0 &&
            mh_hsm_verify_digest(w->key, MH_SIG_AUTO, MBEDTLS_MD_SHA256, d, 32, sig, sl) == 0)
            w->ok++;
        else
            w->bad++;
    }
    return NULL;
}

static void threads_share_a_key(void **state)
{
    (void)state;
    mh_hsm_key *k = gen(MH_KEY_EC_P256, "threads");
    pthread_t th[4];
    struct worker w[4];
    for (int i = 0; i < 4; i++) {
        w[i] = (struct worker){k, 0, 0};
        assert_int_equal(pthread_create(&th[i], NULL, sign_loop, &w[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(w[i].bad, 0);
        assert_int_equal(w[i].ok, 300);
    }
    mh_hsm_key_free(k);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(uri_roundtrip),
        cmocka_unit_test(uri_rejects),
        cmocka_unit_test(ecdsa_der),
        cmocka_unit_test(strerror_all),
        cmocka_unit_test(module_allowlist),
        cmocka_unit_test(slots_and_tokens),
        cmocka_unit_test(wrong_pin_not_retried),
        cmocka_unit_test(keys_sign_verify),
        cmocka_unit_test(signer_backed_by_token),
        cmocka_unit_test(threads_share_a_key),
    };
    return cmocka_run_group_tests_name("hsm", tests, group_setup, group_teardown);
}
