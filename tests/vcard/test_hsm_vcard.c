/* test_hsm_vcard.c - hsm/ with a USB-token stand-in for real: OpenSC's
 * opensc-pkcs11.so reading a virtual CAC card (tests/vcard) through a
 * private pcscd. Started by run_hsm_vcard.sh, which sources the card's env
 * file and passes the card directory and vcard.sh as arguments. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include <mbedtls/pk.h>
#include <mbedtls/sha256.h>

#include "mh_hsm.h"
#include "../common/test_hsm_sign.h"

static const char *card_dir, *vcard_sh;
static char pinfile[512], badpin[512];
static mh_hsm_module *mod;

static void card(const char *verb)
{
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "bash '%s' %s '%s' >/dev/null", vcard_sh, verb, card_dir);
    if (system(cmd) != 0)
        fail_msg("vcard.sh %s failed", verb);
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    chmod(path, 0600);
}

static int no_prompt(void *arg, const char *what, char *buf, size_t cap)
{
    (void)arg;
    (void)buf;
    (void)cap;
    fail_msg("asked for a PIN at a prompt (%s)", what);
    return MH_ERR_CANCELLED;
}

static int setup(void **state)
{
    (void)state;
    snprintf(pinfile, sizeof pinfile, "%s/test-user.pin", card_dir);
    snprintf(badpin, sizeof badpin, "%s/test-bad.pin", card_dir);
    write_file(pinfile, getenv("MH_VCARD_PIN"));
    write_file(badpin, "12344321");
    /* by p11-kit registry name, as an operator would write it */
    mh_p11_uri u;
    if (mh_p11_uri_parse("pkcs11:?module-name=opensc-pkcs11", &u))
        return -1;
    mh_hsm_config cfg = {.prompt = no_prompt};
    int rc = mh_hsm_module_load(&u, &cfg, &mod);
    mh_p11_uri_free(&u);
    if (rc) {
        fprintf(stderr, "loading OpenSC: %s\n", mh_err_message(rc));
        return -1;
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    mh_hsm_module_unload(mod);
    return 0;
}

static mh_hsm_token *open_card(const char *pin)
{
    char uri[1024];
    snprintf(uri, sizeof uri, "pkcs11:token=mohur%%20test%%20card?pin-source=file:%s", pin);
    mh_p11_uri u;
    mh_hsm_token *t = NULL;
    assert_int_equal(mh_p11_uri_parse(uri, &u), 0);
    int rc = mh_hsm_token_open(mod, &u, &t);
    mh_p11_uri_free(&u);
    if (rc)
        fail_msg("open card: %s", mh_err_message(rc));
    return t;
}

static mh_hsm_key *card_key(mh_hsm_token *t)
{
    mh_p11_uri u;
    mh_hsm_key *k = NULL;
    assert_int_equal(mh_p11_uri_parse("pkcs11:id=%00%01;type=private", &u), 0);
    int rc = mh_hsm_key_find(t, &u, &k);
    mh_p11_uri_free(&u);
    if (rc)
        fail_msg("find key: %s", mh_err_message(rc));
    return k;
}

/* Signs and checks the signature with the card certificate's public key,
 * read from the PEM file vcard.sh wrote (not through the card). */
static int sign_check(mh_hsm_key *k, enum mh_sig_alg alg)
{
    uint8_t d[32], sig[MH_SIG_MAX];
    size_t sl = 0;
    mbedtls_sha256_ret((const unsigned char *)"notary act 17/2026", 18, d, 0);
    int rc = hsm_sign_digest(k, alg, MBEDTLS_MD_SHA256, d, 32, sig, sizeof sig, &sl);
    if (rc)
        return rc;
    mbedtls_pk_context pk;
    mbedtls_pk_init(&pk);
    assert_int_equal(mbedtls_pk_parse_public_keyfile(&pk, getenv("MH_VCARD_PUBKEY")), 0);
    if (alg == MH_SIG_RSA_PSS) {
        mbedtls_pk_rsassa_pss_options o = {MBEDTLS_MD_SHA256, 32};
        assert_int_equal(mbedtls_pk_verify_ext(MBEDTLS_PK_RSASSA_PSS, &o, &pk, MBEDTLS_MD_SHA256, d,
                                               32, sig, sl),
                         0);
    } else {
        assert_int_equal(mbedtls_pk_verify(&pk, MBEDTLS_MD_SHA256, d, 32, sig, sl), 0);
    }
    mbedtls_pk_free(&pk);
    return 0;
}

static void token_seen(void **state)
{
    (void)state;
    mh_hsm_token_info *v = NULL;
    size_t n = 0;
    assert_int_equal(mh_hsm_slots(mod, &v, &n), 0);
    bool seen = false;
    for (size_t i = 0; i < n; i++) {
        if (v[i].token_present && strcmp(v[i].label, "mohur test card") == 0) {
            seen = true;
            assert_true(v[i].login_required);
        }
    }
    free(v);
    assert_true(seen);
}

static void login_sign_verify(void **state)
{
    (void)state;
    mh_hsm_token *t = open_card(pinfile);
    assert_int_equal(mh_hsm_login(t), 0);
    mh_hsm_key *k = card_key(t);
    mh_hsm_key_info ki;
    assert_int_equal(mh_hsm_key_info_get(k, &ki), 0);
    assert_int_equal(ki.type, MH_KEY_RSA_2048);
    assert_true(ki.has_cert);
    assert_int_equal(sign_check(k, MH_SIG_RSA_PKCS1), 0);
    assert_int_equal(sign_check(k, MH_SIG_RSA_PSS), 0);
    /* the certificate on the card is the one vcard.sh made */
    uint8_t *der = NULL;
    size_t len = 0;
    assert_int_equal(mh_hsm_key_cert(k, &der, &len), 0);
    assert_true(len > 300);
    free(der);
    /* an EC algorithm on an RSA card key is a clear error */
    uint8_t d[32] = {0}, sig[MH_SIG_MAX];
    size_t sl;
    assert_int_equal(
        hsm_sign_digest(k, MH_SIG_ECDSA, MBEDTLS_MD_SHA256, d, 32, sig, sizeof sig, &sl),
        MH_ERR_KEY_TYPE);
    mh_hsm_key_free(k);
    mh_hsm_token_close(t);
}

/* The card is pulled out mid-session, then put back. */
static void card_pulled_and_put_back(void **state)
{
    (void)state;
    mh_hsm_token *t = open_card(pinfile);
    assert_int_equal(mh_hsm_login(t), 0);
    mh_hsm_key *k = card_key(t);
    assert_int_equal(sign_check(k, MH_SIG_RSA_PKCS1), 0);
    card("remove");
    int rc = sign_check(k, MH_SIG_RSA_PKCS1);
    if (rc != MH_ERR_TOKEN_REMOVED && rc != MH_ERR_SESSION)
        fail_msg("signing without the card gave %d: %s", rc, mh_err_message(rc));
    fprintf(stderr, "  card out: %s\n", mh_err_message(rc));
    rc = sign_check(k, MH_SIG_RSA_PKCS1);
    assert_int_equal(rc, MH_ERR_TOKEN_REMOVED);
    card("insert");
    /* the next signature works after a new login from the same PIN file */
    rc = sign_check(k, MH_SIG_RSA_PKCS1);
    if (rc)
        fail_msg("after re-insertion: %s", mh_err_message(rc));
    assert_true(mh_hsm_logged_in(t));
    assert_int_equal(sign_check(k, MH_SIG_RSA_PSS), 0);
    mh_hsm_key_free(k);
    mh_hsm_token_close(t);
}

/* One wrong PIN: reported, and never tried again by mohur. The card locks
 * after three wrong tries, so three signatures that retried by themselves
 * would lock it; afterwards the right PIN must still work. */
static void wrong_pin_not_retried(void **state)
{
    (void)state;
    mh_hsm_token *t = open_card(badpin);
    int rc = mh_hsm_login(t);
    assert_int_equal(rc, MH_ERR_PIN_INCORRECT);
    assert_null(strstr(mh_err_message(rc), "12344321"));
    fprintf(stderr, "  wrong PIN: %s\n", mh_err_message(rc));
    for (int i = 0; i < 3; i++) {
        mh_hsm_key *k = NULL;
        mh_p11_uri u;
        assert_int_equal(mh_p11_uri_parse("pkcs11:id=%00%01", &u), 0);
        rc = mh_hsm_key_find(t, &u, &k);
        mh_p11_uri_free(&u);
        if (rc == 0) {
            assert_int_equal(sign_check(k, MH_SIG_RSA_PKCS1), MH_ERR_PIN_INCORRECT);
            mh_hsm_key_free(k);
        } else {
            assert_int_equal(rc, MH_ERR_PIN_INCORRECT);
        }
    }
    mh_hsm_token_close(t);
    t = open_card(pinfile);
    rc = mh_hsm_login(t);
    if (rc)
        fail_msg("the right PIN after one wrong one: %s", mh_err_message(rc));
    mh_hsm_key *k = card_key(t);
    assert_int_equal(sign_check(k, MH_SIG_RSA_PKCS1), 0);
    mh_hsm_key_free(k);
    mh_hsm_token_close(t);
}

int main(int argc, char **argv)
{
    if (argc != 3 || !getenv("MH_VCARD_PIN") || !getenv("MH_VCARD_PUBKEY")) {
        fprintf(stderr, "usage: (source CARD/env;) test_hsm_vcard CARD-DIR vcard.sh\n");
        return 2;
    }
    card_dir = argv[1];
    vcard_sh = argv[2];
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(token_seen),
        cmocka_unit_test(login_sign_verify),
        cmocka_unit_test(card_pulled_and_put_back),
        cmocka_unit_test(wrong_pin_not_retried),
    };
    return cmocka_run_group_tests_name("hsm_vcard", tests, setup, teardown);
}
