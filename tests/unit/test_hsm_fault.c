/* test_hsm_fault.c - hsm/ on the paths a real token cannot be made to take
 * on demand: SoftHSM2 behind the in-tree fault-injecting module
 * (tests/p11fault), which pulls the token out, fails chosen calls, fakes a
 * PIN pad, a retry counter and CKA_ALWAYS_AUTHENTICATE, and logs calls. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "mh_hsm.h"
#include "../common/test_hsm_sign.h"
#include "softhsm_fixture.h"

#ifndef P11FAULT_PATH
#error "P11FAULT_PATH must name libmh_p11fault.so"
#endif

static struct fixture fx;
static char conf[400], logpath[400], padpin[400], userpin[400];
static mh_hsm_module *mod;

static void rules(const char *text)
{
    /* written aside and renamed over: the module sees a new inode at once */
    static int gen;
    char buf[1024], tmp[450];
    snprintf(buf, sizeof buf, "# generation %d\n%s", ++gen, text);
    snprintf(tmp, sizeof tmp, "%s.new", conf);
    fx_write(tmp, buf, 0600);
    if (rename(tmp, conf) != 0)
        fail_msg("rename %s: %s", tmp, strerror(errno));
}

/* How many lines of the call log start with `fn ` since the last reset. */
static int calls(const char *fn)
{
    FILE *f = fopen(logpath, "r");
    if (!f)
        return 0;
    char line[256];
    int n = 0;
    size_t l = strlen(fn);
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, fn, l) == 0 && line[l] == ' ')
            n++;
    }
    fclose(f);
    return n;
}

static void log_reset(void)
{
    fx_write(logpath, "", 0600);
}

static int no_prompt(void *arg, const char *what, char *buf, size_t cap)
{
    (void)arg;
    (void)buf;
    (void)cap;
    fail_msg("mohur asked for a PIN at a prompt (%s) where it must not", what);
    return MH_ERR_CANCELLED;
}

static int group_setup(void **state)
{
    (void)state;
    fx_setup(&fx);
    snprintf(conf, sizeof conf, "%s/faults.conf", fx.dir);
    snprintf(logpath, sizeof logpath, "%s/calls.log", fx.dir);
    snprintf(padpin, sizeof padpin, "%s/pad.pin", fx.dir);
    snprintf(userpin, sizeof userpin, "%s/user.pin", fx.dir);
    fx_write(padpin, "1234", 0600);
    fx_write(userpin, "1234", 0600);
    rules("");
    log_reset();
    setenv("MH_P11FAULT_CONF", conf, 1);
    setenv("MH_P11FAULT_LOG", logpath, 1);
    setenv("MH_P11FAULT_PINPAD", padpin, 1);
    setenv("MH_P11FAULT_USER_PIN", userpin, 1);
    char state_path[400];
    snprintf(state_path, sizeof state_path, "%s/faults.state", fx.dir);
    setenv("MH_P11FAULT_STATE", state_path, 1);
    char uri[600];
    snprintf(uri, sizeof uri, "pkcs11:?module-path=%s", P11FAULT_PATH);
    mh_p11_uri u;
    if (mh_p11_uri_parse(uri, &u))
        return -1;
    /* the build tree is not a system library directory: allow it here */
    char dirs[600];
    const char *slash = strrchr(P11FAULT_PATH, '/');
    snprintf(dirs, sizeof dirs, "/usr/lib:%.*s", (int)(slash - P11FAULT_PATH), P11FAULT_PATH);
    mh_hsm_config cfg = {.module_dirs = dirs, .prompt = no_prompt};
    int rc = mh_hsm_module_load(&u, &cfg, &mod);
    mh_p11_uri_free(&u);
    if (rc) {
        fprintf(stderr, "loading the fault module: %s\n", mh_err_message(rc));
        return -1;
    }
    static const char *const labels[] = {"removal", "pins", "pad", "always"};
    for (size_t i = 0; i < 4; i++) {
        rc = mh_hsm_token_init(mod, labels[i], "12345678", "1234", NULL);
        if (rc) {
            fprintf(stderr, "token init: %s\n", mh_err_message(rc));
            return -1;
        }
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

static mh_hsm_token *open_token(const char *label, const char *pinfile)
{
    char uri[600];
    if (pinfile)
        snprintf(uri, sizeof uri, "pkcs11:token=%s?pin-source=file:%s", label, pinfile);
    else
        snprintf(uri, sizeof uri, "pkcs11:token=%s", label);
    mh_p11_uri u;
    mh_hsm_token *t = NULL;
    assert_int_equal(mh_p11_uri_parse(uri, &u), 0);
    int rc = mh_hsm_token_open(mod, &u, &t);
    mh_p11_uri_free(&u);
    if (rc)
        fail_msg("open %s: %s", label, mh_err_message(rc));
    return t;
}

static int sign_once(mh_hsm_key *k)
{
    uint8_t d[32], sig[MH_SIG_MAX];
    size_t sl;
    memset(d, 7, sizeof d);
    int rc = hsm_sign_digest(k, MH_SIG_AUTO, MBEDTLS_MD_SHA256, d, 32, sig, sizeof sig, &sl);
    if (rc == 0)
        assert_int_equal(mh_hsm_verify_digest(k, MH_SIG_AUTO, MBEDTLS_MD_SHA256, d, 32, sig, sl),
                         0);
    return rc;
}

/* The card is pulled out mid-session and put back. */
static void removal_and_reinsertion(void **state)
{
    (void)state;
    rules("");
    mh_hsm_token *t = open_token("removal", fx.pinfile);
    assert_int_equal(mh_hsm_login(t), 0);
    mh_hsm_key *k = NULL;
    assert_int_equal(mh_hsm_key_generate(t, MH_KEY_EC_P256, "seal", NULL, 0, &k), 0);
    assert_int_equal(sign_once(k), 0);
    log_reset();

    rules("removed\n");
    int rc = sign_once(k);
    assert_int_equal(rc, MH_ERR_TOKEN_REMOVED);
    assert_non_null(strstr(mh_err_message(rc), "removed"));
    /* still out: a clear error, no hang, no login attempt */
    rc = sign_once(k);
    assert_int_equal(rc, MH_ERR_TOKEN_REMOVED);
    assert_non_null(strstr(mh_err_message(rc), "not present"));
    assert_int_equal(calls("C_Login"), 0);

    rules(""); /* put back: the next signature works after one new login */
    assert_int_equal(sign_once(k), 0);
    assert_int_equal(calls("C_Login"), 1);
    assert_true(mh_hsm_logged_in(t));
    assert_int_equal(sign_once(k), 0);
    assert_int_equal(calls("C_Login"), 1);

    /* a session that went stale behind our back */
    rules("fail C_Sign CKR_SESSION_HANDLE_INVALID count=1\n");
    rc = sign_once(k);
    assert_int_equal(rc, MH_ERR_SESSION);
    assert_non_null(strstr(mh_err_message(rc), "CKR_SESSION_HANDLE_INVALID"));
    assert_int_equal(sign_once(k), 0);

    /* a device error in flight, then it works again */
    rules("fail C_Sign CKR_DEVICE_ERROR count=1\n");
    assert_int_equal(sign_once(k), MH_ERR_TOKEN_FAILED);
    assert_int_equal(sign_once(k), 0);
    mh_hsm_key_free(k);
    mh_hsm_token_close(t);
}

/* Chosen CKR values come back as our codes with a readable sentence. */
static void ckr_values_reach_the_user(void **state)
{
    (void)state;
    rules("");
    mh_hsm_token *t = open_token("removal", fx.pinfile);
    assert_int_equal(mh_hsm_login(t), 0);
    mh_p11_uri u;
    mh_hsm_key *k = NULL;
    assert_int_equal(mh_p11_uri_parse("pkcs11:object=seal", &u), 0);
    assert_int_equal(mh_hsm_key_find(t, &u, &k), 0);
    mh_p11_uri_free(&u);
    static const struct {
        const char *ckr;
        int err;
        const char *words;
    } cases[] = {
        {"CKR_DEVICE_MEMORY", MH_ERR_TOKEN_FULL, "memory"},
        {"CKR_FUNCTION_FAILED", MH_ERR_TOKEN_FAILED, "could not"},
        {"CKR_KEY_FUNCTION_NOT_PERMITTED", MH_ERR_KEY_NOT_PERMITTED, "not allow"},
        {"CKR_MECHANISM_INVALID", MH_ERR_MECHANISM, "algorithm"},
        {"CKR_DATA_LEN_RANGE", MH_ERR_DATA_INVALID, "length"},
        {"CKR_FUNCTION_CANCELED", MH_ERR_CANCELLED, "cancelled"},
        {"CKR_HOST_MEMORY", MH_ERR_NOMEM, "memory"},
        {"0x80000123", MH_ERR_P11, "unknown error 0x80000123"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char r[128];
        snprintf(r, sizeof r, "fail C_Sign %s count=1\n", cases[i].ckr);
        rules(r);
        int rc = sign_once(k);
        if (rc != cases[i].err)
            fail_msg("%s gave %d (%s)", cases[i].ckr, rc, mh_err_message(rc));
        if (!strstr(mh_err_message(rc), cases[i].words))
            fail_msg("%s: message '%s' lacks '%s'", cases[i].ckr, mh_err_message(rc),
                     cases[i].words);
        assert_int_equal(sign_once(k), 0);
    }
    /* a failure while opening a session */
    mh_hsm_key_free(k);
    mh_hsm_token_close(t);
    rules("fail C_OpenSession CKR_SESSION_COUNT\n");
    t = open_token("removal", fx.pinfile);
    assert_int_equal(mh_hsm_login(t), MH_ERR_TOKEN_BUSY);
    mh_hsm_token_close(t);
    rules("");
}

/* Wrong PINs: counted down by the token, reported, never retried by us. */
static void pin_tries_and_no_retry(void **state)
{
    (void)state;
    rules("pin-tries 3\n");
    log_reset();
    mh_hsm_token *t = open_token("pins", fx.badpinfile);
    int rc = mh_hsm_login(t);
    assert_int_equal(rc, MH_ERR_PIN_INCORRECT);
    assert_non_null(strstr(mh_err_message(rc), "running low"));
    assert_int_equal(calls("C_Login"), 1);
    /* signing or generating now does not log in again by itself */
    mh_hsm_key *k = NULL;
    assert_int_equal(mh_hsm_key_generate(t, MH_KEY_EC_P256, "k", NULL, 0, &k),
                     MH_ERR_PIN_INCORRECT);
    assert_int_equal(calls("C_Login"), 1);
    mh_hsm_token_info ti;
    assert_int_equal(mh_hsm_token_info_get(t, &ti), 0);
    assert_int_equal(ti.user_pin_tries, 2);

    rc = mh_hsm_login(t); /* the user asks again: one more try */
    assert_int_equal(rc, MH_ERR_PIN_INCORRECT);
    assert_non_null(strstr(mh_err_message(rc), "final try"));
    assert_int_equal(calls("C_Login"), 2);
    assert_int_equal(mh_hsm_token_info_get(t, &ti), 0);
    assert_string_equal(ti.pin_state, "final try");

    rc = mh_hsm_login(t);
    assert_int_equal(rc, MH_ERR_PIN_INCORRECT);
    assert_non_null(strstr(mh_err_message(rc), "locked"));
    assert_int_equal(mh_hsm_token_info_get(t, &ti), 0);
    assert_string_equal(ti.pin_state, "locked");
    assert_int_equal(ti.user_pin_tries, 0);
    mh_hsm_token_close(t);

    /* locked: even the right PIN is refused, with the words to say so */
    t = open_token("pins", fx.pinfile);
    rc = mh_hsm_login(t);
    assert_int_equal(rc, MH_ERR_PIN_LOCKED);
    assert_non_null(strstr(mh_err_message(rc), "locked"));
    mh_hsm_token_close(t);
    rules("");
}

/* A reader with a PIN pad: the PIN is typed there, never asked by us. */
static void pin_pad(void **state)
{
    (void)state;
    rules("pinpad\n");
    log_reset();
    mh_hsm_token *t = open_token("pad", NULL);
    mh_hsm_token_info ti;
    assert_int_equal(mh_hsm_token_info_get(t, &ti), 0);
    assert_true(ti.protected_auth_path);
    assert_int_equal(mh_hsm_login(t), 0); /* no_prompt fails the test if asked */
    assert_int_equal(calls("C_Login"), 1);
    mh_hsm_key *k = NULL;
    assert_int_equal(mh_hsm_key_generate(t, MH_KEY_EC_P256, "padkey", NULL, 0, &k), 0);
    assert_int_equal(sign_once(k), 0);
    mh_hsm_key_free(k);
    mh_hsm_token_close(t);
    rules("");
}

/* CKA_ALWAYS_AUTHENTICATE: a context-specific login before each signature. */
static void always_authenticate(void **state)
{
    (void)state;
    rules("");
    mh_hsm_token *t = open_token("always", fx.pinfile);
    assert_int_equal(mh_hsm_login(t), 0);
    mh_hsm_key *k = NULL;
    assert_int_equal(mh_hsm_key_generate(t, MH_KEY_EC_P256, "nonrep", NULL, 0, &k), 0);
    mh_hsm_key_free(k);
    mh_hsm_token_close(t);

    rules("always-authenticate\n");
    log_reset();
    t = open_token("always", fx.pinfile);
    assert_int_equal(mh_hsm_login(t), 0);
    mh_p11_uri u;
    assert_int_equal(mh_p11_uri_parse("pkcs11:object=nonrep", &u), 0);
    assert_int_equal(mh_hsm_key_find(t, &u, &k), 0);
    mh_p11_uri_free(&u);
    mh_hsm_key_info ki;
    assert_int_equal(mh_hsm_key_info_get(k, &ki), 0);
    assert_true(ki.always_authenticate);
    assert_int_equal(sign_once(k), 0);
    assert_int_equal(sign_once(k), 0);
    /* one user login, then one context login per signature */
    assert_int_equal(calls("C_Login"), 3);
    mh_hsm_key_free(k);
    mh_hsm_token_close(t);
    rules("");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(removal_and_reinsertion), cmocka_unit_test(ckr_values_reach_the_user),
        cmocka_unit_test(pin_tries_and_no_retry),  cmocka_unit_test(pin_pad),
        cmocka_unit_test(always_authenticate),
    };
    return cmocka_run_group_tests_name("hsm_fault", tests, group_setup, group_teardown);
}
