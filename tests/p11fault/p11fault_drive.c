/*
 * p11fault_drive.c - in-process checks of the fault-injecting module.
 *
 * pkcs11-tool runs one operation per process; what happens to a process that
 * holds a session while the configuration changes (a token pulled out and put
 * back, a rule that starts failing, a slot event, several threads) needs a
 * program that keeps the module loaded. selftest.sh runs this after its
 * pkcs11-tool checks:
 *
 *   mh_p11fault_drive MODULE PIN
 *
 * with MH_P11FAULT_CONF, MH_P11FAULT_USER_PIN (and, for the PIN pad checks,
 * MH_P11FAULT_PINPAD) naming files, and an EC P-256 private key on the first
 * initialized token, whose user PIN is PIN. It rewrites the
 * configuration file itself (atomically, by rename). Prints "ok - ..." or
 * "FAIL - ..." per check; exits 0 only if every check passed.
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <p11-kit/pkcs11.h>

#define N_THREADS 8
#define SIGNS_PER_THREAD 50

static CK_FUNCTION_LIST_PTR p11;
static const char *conf_path;
static const char *user_pin;
static CK_SLOT_ID slot;
static int failures;

static void check(int ok, const char *what)
{
    printf("%s - %s\n", ok ? "ok" : "FAIL", what);
    if (!ok)
        failures++;
}

static void check_rv(CK_RV got, CK_RV want, const char *what)
{
    char line[256];

    if (got == want) {
        check(1, what);
        return;
    }
    snprintf(line, sizeof line, "%s (rv=0x%lx, want 0x%lx)", what, (unsigned long)got,
             (unsigned long)want);
    check(0, line);
}

/* Replaces the configuration in one step, as a test should. */
static void set_conf(const char *text)
{
    char tmp[4096];
    FILE *f;
    int n;

    n = snprintf(tmp, sizeof tmp, "%s.tmp", conf_path);
    if (n < 0 || (size_t)n >= sizeof tmp)
        abort();
    f = fopen(tmp, "w");
    if (f == NULL || fputs(text, f) < 0 || fclose(f) != 0 || rename(tmp, conf_path) != 0) {
        perror(tmp);
        exit(2);
    }
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

    nanosleep(&ts, NULL);
}

static CK_RV open_session(CK_SESSION_HANDLE *s)
{
    return p11->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, s);
}

static CK_RV login(CK_SESSION_HANDLE s, CK_USER_TYPE who, const char *pin)
{
    return p11->C_Login(s, who, (CK_UTF8CHAR_PTR)pin, (CK_ULONG)strlen(pin));
}

static CK_OBJECT_HANDLE find_private_key(CK_SESSION_HANDLE s)
{
    CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
    CK_ATTRIBUTE t = {CKA_CLASS, &cls, sizeof cls};
    CK_OBJECT_HANDLE key = CK_INVALID_HANDLE;
    CK_ULONG n = 0;

    if (p11->C_FindObjectsInit(s, &t, 1) != CKR_OK)
        return CK_INVALID_HANDLE;
    if (p11->C_FindObjects(s, &key, 1, &n) != CKR_OK || n != 1)
        key = CK_INVALID_HANDLE;
    p11->C_FindObjectsFinal(s);
    return key;
}

/* One ECDSA signature over a fixed digest; returns the C_Sign result. */
static CK_RV sign_once(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE key, int need_context_login)
{
    CK_MECHANISM m = {CKM_ECDSA, NULL, 0};
    CK_BYTE digest[32], sig[128];
    CK_ULONG sig_len = sizeof sig;
    CK_RV rv;

    memset(digest, 0x5a, sizeof digest);
    rv = p11->C_SignInit(s, &m, key);
    if (rv != CKR_OK)
        return rv;
    if (need_context_login) {
        rv = login(s, CKU_CONTEXT_SPECIFIC, user_pin);
        if (rv != CKR_OK)
            return rv;
    }
    return p11->C_Sign(s, digest, sizeof digest, sig, &sig_len);
}

static void *wait_thread(void *arg)
{
    CK_SLOT_ID *got = arg;
    CK_RV rv = p11->C_WaitForSlotEvent(0, got, NULL);

    return rv == CKR_OK ? got : NULL;
}

static void check_removal(void)
{
    CK_SESSION_HANDLE s1 = 0, s2 = 0, s3 = 0;
    CK_SLOT_ID list[16], ev = 0, ev2 = 0;
    CK_ULONG n = 16, i;
    CK_SLOT_INFO si;
    CK_TOKEN_INFO ti;
    CK_SESSION_INFO info;
    pthread_t th;
    void *res = NULL;
    int listed = 0, events = 0;
    char conf[64];

    printf("# removed: a token pulled out and put back under a running process\n");
    set_conf("");
    check_rv(open_session(&s1), CKR_OK, "open a session");
    check_rv(login(s1, CKU_USER, user_pin), CKR_OK, "log in");
    set_conf("# the card is pulled out\nremoved\n");
    check_rv(p11->C_GetSessionInfo(s1, &info), CKR_DEVICE_REMOVED,
             "the open session answers CKR_DEVICE_REMOVED");
    check_rv(p11->C_GetSlotList(CK_TRUE, list, &n), CKR_OK, "C_GetSlotList(present)");
    for (i = 0; i < n; i++)
        listed |= list[i] == slot;
    check(!listed, "the slot is not listed among slots with a token");
    check_rv(p11->C_GetSlotInfo(slot, &si), CKR_OK, "C_GetSlotInfo");
    check(!(si.flags & CKF_TOKEN_PRESENT), "C_GetSlotInfo clears CKF_TOKEN_PRESENT");
    check_rv(p11->C_GetTokenInfo(slot, &ti), CKR_TOKEN_NOT_PRESENT,
             "C_GetTokenInfo answers CKR_TOKEN_NOT_PRESENT");
    check_rv(open_session(&s2), CKR_TOKEN_NOT_PRESENT,
             "C_OpenSession answers CKR_TOKEN_NOT_PRESENT");
    /* "removed" pulls the token of every slot: one event each, then none */
    for (i = 0; i < 16 && p11->C_WaitForSlotEvent(CKF_DONT_BLOCK, &ev, NULL) == CKR_OK; i++)
        events |= ev == slot;
    check(events, "C_WaitForSlotEvent reports the removal of the slot's token");
    check_rv(p11->C_WaitForSlotEvent(CKF_DONT_BLOCK, &ev, NULL), CKR_NO_EVENT,
             "and then reports no more events");

    set_conf("");
    check_rv(p11->C_GetSessionInfo(s1, &info), CKR_SESSION_HANDLE_INVALID,
             "after re-insertion the old session is invalid");
    check_rv(p11->C_Logout(s1), CKR_SESSION_HANDLE_INVALID, "C_Logout on it too");
    check_rv(open_session(&s2), CKR_OK, "a new session opens");
    check(s2 != s1, "with a new handle");
    check_rv(p11->C_GetSessionInfo(s2, &info), CKR_OK, "C_GetSessionInfo on it");
    check(info.state == CKS_RW_PUBLIC_SESSION, "the token was logged out by the removal");
    check_rv(p11->C_GetSessionInfo(s1, &info), CKR_SESSION_HANDLE_INVALID,
             "the old session stays invalid after new sessions open");
    check_rv(p11->C_CloseSession(s1), CKR_SESSION_HANDLE_INVALID, "C_CloseSession on it too");
    events = 0;
    for (i = 0; i < 16 && p11->C_WaitForSlotEvent(CKF_DONT_BLOCK, &ev, NULL) == CKR_OK; i++)
        events |= ev == slot;
    check(events, "C_WaitForSlotEvent reports the insertion");

    /* A blocking wait in another thread wakes when the token goes. */
    if (pthread_create(&th, NULL, wait_thread, &ev2) != 0) {
        check(0, "start a waiting thread");
        return;
    }
    sleep_ms(150);
    snprintf(conf, sizeof conf, "removed slot=%lu\n", (unsigned long)slot);
    set_conf(conf);
    pthread_join(th, &res);
    check(res != NULL && ev2 == slot, "a blocking C_WaitForSlotEvent wakes on removal");
    check_rv(p11->C_CloseSession(s2), CKR_OK, "closing a session of a removed token works");
    set_conf("");
    check_rv(open_session(&s3), CKR_OK, "re-inserted once more, a session opens");
    p11->C_CloseSession(s3);
    p11->C_WaitForSlotEvent(CKF_DONT_BLOCK, &ev, NULL); /* drop the insertion event */
}

static void check_always_authenticate(void)
{
    CK_BBOOL aa = CK_FALSE;
    CK_ATTRIBUTE t = {CKA_ALWAYS_AUTHENTICATE, &aa, sizeof aa};
    CK_MECHANISM m = {CKM_ECDSA, NULL, 0};
    CK_BYTE digest[32] = {1}, sig[128];
    CK_ULONG sig_len = sizeof sig;
    CK_OBJECT_HANDLE key;
    CK_SESSION_HANDLE s = 0;

    printf("# always-authenticate: one PIN per signature\n");
    set_conf("always-authenticate\n");
    check_rv(open_session(&s), CKR_OK, "open a session");
    check_rv(login(s, CKU_USER, user_pin), CKR_OK, "log in");
    key = find_private_key(s);
    check(key != CK_INVALID_HANDLE, "find the private key");
    check_rv(p11->C_GetAttributeValue(s, key, &t, 1), CKR_OK, "read CKA_ALWAYS_AUTHENTICATE");
    check(aa == CK_TRUE, "the key reports CKA_ALWAYS_AUTHENTICATE=TRUE");
    check_rv(login(s, CKU_CONTEXT_SPECIFIC, user_pin), CKR_OPERATION_NOT_INITIALIZED,
             "a context-specific login without C_SignInit is refused");
    check_rv(sign_once(s, key, 0), CKR_USER_NOT_LOGGED_IN,
             "C_Sign without a context-specific login: CKR_USER_NOT_LOGGED_IN");
    check_rv(p11->C_SignInit(s, &m, key), CKR_OK, "the refused operation was ended");
    check_rv(login(s, CKU_CONTEXT_SPECIFIC, "0000"), CKR_PIN_INCORRECT,
             "a wrong context-specific PIN: CKR_PIN_INCORRECT");
    check_rv(p11->C_Sign(s, digest, sizeof digest, NULL, &sig_len), CKR_OK,
             "a length query needs no PIN");
    check_rv(login(s, CKU_CONTEXT_SPECIFIC, user_pin), CKR_OK, "the right PIN is accepted");
    sig_len = sizeof sig;
    check_rv(p11->C_Sign(s, digest, sizeof digest, sig, &sig_len), CKR_OK, "one signature");
    check(sig_len == 64, "a P-256 signature of 64 bytes");
    check_rv(sign_once(s, key, 0), CKR_USER_NOT_LOGGED_IN, "the PIN allowed only that one");
    check_rv(sign_once(s, key, 1), CKR_OK, "another PIN, another signature");
    p11->C_CloseSession(s);

    set_conf("");
    check_rv(open_session(&s), CKR_OK, "without the line:");
    check_rv(login(s, CKU_USER, user_pin), CKR_OK, "log in");
    key = find_private_key(s); /* SoftHSM2 drops private handles at logout */
    aa = CK_TRUE;
    p11->C_GetAttributeValue(s, key, &t, 1);
    check(aa == CK_FALSE, "the key reports CKA_ALWAYS_AUTHENTICATE=FALSE");
    check_rv(sign_once(s, key, 0), CKR_OK, "and signs without a second PIN");
    p11->C_CloseSession(s);
}

static void check_pinpad(void)
{
    CK_SESSION_HANDLE s = 0;
    CK_SESSION_INFO info;
    CK_TOKEN_INFO ti;

    printf("# pinpad: C_Login with a NULL PIN\n");
    set_conf("");
    check_rv(open_session(&s), CKR_OK, "open a session");
    check_rv(p11->C_Login(s, CKU_USER, NULL, 0), CKR_ARGUMENTS_BAD,
             "without the pinpad line a NULL PIN is CKR_ARGUMENTS_BAD");
    set_conf("pinpad\n");
    check_rv(p11->C_GetTokenInfo(slot, &ti), CKR_OK, "C_GetTokenInfo");
    check((ti.flags & CKF_PROTECTED_AUTHENTICATION_PATH) != 0,
          "the token reports CKF_PROTECTED_AUTHENTICATION_PATH");
    check_rv(p11->C_Login(s, CKU_USER, NULL, 0), CKR_OK, "the PIN comes from the pad");
    check_rv(p11->C_GetSessionInfo(s, &info), CKR_OK, "C_GetSessionInfo");
    check(info.state == CKS_RW_USER_FUNCTIONS, "the session is logged in");
    set_conf("");
    p11->C_CloseSession(s);
}

static void check_rules(void)
{
    CK_RV want[5] = {CKR_OK, CKR_DEVICE_ERROR, CKR_DEVICE_ERROR, CKR_OK, CKR_OK};
    CK_SESSION_HANDLE s = 0;
    CK_OBJECT_HANDLE key;
    CK_TOKEN_INFO ti;
    char what[96];
    int i;

    printf("# fail rules changed while the process runs\n");
    set_conf("");
    check_rv(open_session(&s), CKR_OK, "open a session");
    check_rv(login(s, CKU_USER, user_pin), CKR_OK, "log in");
    key = find_private_key(s);
    set_conf("fail C_Sign CKR_DEVICE_ERROR after=1 count=2 # the second and third\n"
             "fail C_GetTokenInfo 0x31\n");
    for (i = 0; i < 5; i++) {
        snprintf(what, sizeof what, "signature %d of 5 gives 0x%lx", i + 1, (unsigned long)want[i]);
        check_rv(sign_once(s, key, 0), want[i], what);
    }
    check_rv(p11->C_GetTokenInfo(slot, &ti), CKR_DEVICE_MEMORY, "a rule with a hex value");
    set_conf("fail C_Sign CKR_PIN_EXPIRED count=1\n");
    check_rv(sign_once(s, key, 0), CKR_PIN_EXPIRED, "a new file starts new counters");
    check_rv(sign_once(s, key, 0), CKR_OK, "and the next signature works");
    check_rv(p11->C_GetTokenInfo(slot, &ti), CKR_OK, "the old rules are gone");
    set_conf("fail C_Login CKR_DEVICE_ERROR\n");
    check_rv(login(s, CKU_USER, user_pin), CKR_DEVICE_ERROR, "C_Login can fail too");
    set_conf("");
    p11->C_CloseSession(s);
}

struct worker {
    int ok, failed, other;
};

static void *sign_thread(void *arg)
{
    struct worker *w = arg;
    CK_SESSION_HANDLE s = 0;
    CK_OBJECT_HANDLE key;
    CK_RV rv;
    int i;

    if (open_session(&s) != CKR_OK) {
        w->other = SIGNS_PER_THREAD;
        return NULL;
    }
    key = find_private_key(s);
    for (i = 0; i < SIGNS_PER_THREAD; i++) {
        rv = sign_once(s, key, 0);
        if (rv == CKR_OK)
            w->ok++;
        else if (rv == CKR_DEVICE_ERROR)
            w->failed++;
        else
            w->other++;
    }
    p11->C_CloseSession(s);
    return NULL;
}

static void check_threads(void)
{
    struct worker w[N_THREADS];
    pthread_t th[N_THREADS];
    CK_SESSION_HANDLE s = 0;
    int i, ok = 0, failed = 0, other = 0;
    char what[128];

    printf("# %d threads sign at once; one rule counts for all of them\n", N_THREADS);
    set_conf("fail C_Sign CKR_DEVICE_ERROR after=100 count=10\n");
    check_rv(open_session(&s), CKR_OK, "open a session to stay logged in");
    check_rv(login(s, CKU_USER, user_pin), CKR_OK, "log in");
    memset(w, 0, sizeof w);
    for (i = 0; i < N_THREADS; i++)
        if (pthread_create(&th[i], NULL, sign_thread, &w[i]) != 0)
            w[i].other = SIGNS_PER_THREAD;
    for (i = 0; i < N_THREADS; i++) {
        pthread_join(th[i], NULL);
        ok += w[i].ok;
        failed += w[i].failed;
        other += w[i].other;
    }
    snprintf(what, sizeof what, "%d signatures: %d ok, %d CKR_DEVICE_ERROR, %d other",
             N_THREADS * SIGNS_PER_THREAD, ok, failed, other);
    check(failed == 10 && other == 0 && ok == N_THREADS * SIGNS_PER_THREAD - 10, what);
    set_conf("");
    p11->C_CloseSession(s);
}

int main(int argc, char **argv)
{
    CK_RV (*get_list)(CK_FUNCTION_LIST_PTR_PTR) = NULL;
    CK_C_INITIALIZE_ARGS init;
    CK_SESSION_HANDLE s = 0;
    CK_SLOT_ID slots[16];
    CK_SESSION_INFO info;
    CK_TOKEN_INFO ti;
    CK_ULONG n = 16, i;
    void *dl, *sym;

    if (argc != 3 || getenv("MH_P11FAULT_CONF") == NULL) {
        fprintf(stderr, "usage: MH_P11FAULT_CONF=FILE %s MODULE PIN\n", argv[0]);
        return 2;
    }
    conf_path = getenv("MH_P11FAULT_CONF");
    user_pin = argv[2];
    setvbuf(stdout, NULL, _IOLBF, 0);
    set_conf("");
    dl = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    sym = dl != NULL ? dlsym(dl, "C_GetFunctionList") : NULL;
    if (sym == NULL) {
        fprintf(stderr, "%s: %s\n", argv[1], dlerror());
        return 2;
    }
    memcpy(&get_list, &sym, sizeof get_list);
    if (get_list(&p11) != CKR_OK) {
        fprintf(stderr, "C_GetFunctionList failed\n");
        return 2;
    }
    memset(&init, 0, sizeof init);
    init.flags = CKF_OS_LOCKING_OK;
    check_rv(p11->C_Initialize(&init), CKR_OK, "C_Initialize with CKF_OS_LOCKING_OK");
    if (p11->C_GetSlotList(CK_TRUE, slots, &n) != CKR_OK)
        n = 0;
    for (i = 0; i < n; i++) {
        if (p11->C_GetTokenInfo(slots[i], &ti) == CKR_OK && (ti.flags & CKF_TOKEN_INITIALIZED))
            break;
    }
    if (i == n) {
        fprintf(stderr, "no slot with an initialized token\n");
        return 2;
    }
    slot = slots[i];

    check_removal();
    check_always_authenticate();
    if (getenv("MH_P11FAULT_PINPAD") != NULL)
        check_pinpad();
    check_rules();
    check_threads();

    check_rv(open_session(&s), CKR_OK, "open a session before C_Finalize");
    check_rv(p11->C_Finalize(NULL), CKR_OK, "C_Finalize");
    check_rv(p11->C_GetSessionInfo(s, &info), CKR_CRYPTOKI_NOT_INITIALIZED,
             "after C_Finalize a session answers CKR_CRYPTOKI_NOT_INITIALIZED");
    check_rv(p11->C_Initialize(NULL), CKR_OK, "C_Initialize again");
    check_rv(p11->C_GetSessionInfo(s, &info), CKR_SESSION_HANDLE_INVALID,
             "and the old handle stays invalid");
    check_rv(p11->C_Finalize(NULL), CKR_OK, "C_Finalize");

    printf("%s: %d failure(s)\n", failures ? "FAILED" : "PASSED", failures);
    return failures ? 1 : 0;
}
