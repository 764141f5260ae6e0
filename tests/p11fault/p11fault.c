/*
 * p11fault.c - a fault-injecting PKCS#11 module for tests.
 *
 * libmh_p11fault.so wraps a real PKCS#11 module (SoftHSM2 unless
 * MH_P11FAULT_MODULE names another) and forwards every call to it, except
 * where a line of the configuration file says otherwise. A test can make any
 * call fail with any CKR value, and simulate what a SoftHSM2 token cannot do
 * on demand: a token pulled out and put back, a PIN pad, keys that need the
 * PIN for every signature, a PIN retry counter that locks.
 *
 * Environment (read once, on the first call):
 *   MH_P11FAULT_MODULE    the real module (default /usr/lib/softhsm/libsofthsm2.so)
 *   MH_P11FAULT_CONF      the configuration file. Checked with one stat() per
 *                         call and re-read when its inode, size, mtime or ctime
 *                         change; replace it with rename() (write a temporary
 *                         file, then mv) so that no reader sees half a file and
 *                         every change is seen. Unset or missing: no faults.
 *   MH_P11FAULT_STATE     the state file (default: the conf path + ".state"):
 *                         rule counters and the PIN retry counter, shared by
 *                         every process under flock()
 *   MH_P11FAULT_LOG       one line appended per call (O_APPEND, one write):
 *                         "C_Name rv=0x%08lx CKR_NAME", plus " (p11fault)"
 *                         when the wrapper made the result without the real
 *                         module. Never a PIN or data.
 *   MH_P11FAULT_PINPAD    file holding the PIN "typed on the PIN pad"
 *   MH_P11FAULT_USER_PIN  file holding the user PIN, against which
 *                         context-specific logins are checked
 * A PIN file may end with a newline, which is not part of the PIN.
 *
 * Configuration ('#' starts a comment; words split on blanks; lines up to
 * 511 bytes, the first 64 KiB of the file; a line that cannot be understood
 * is reported on stderr and ignored):
 *
 *   fail C_Name CKR_NAME|NUMBER [after=N] [count=M]
 *       C_Name (any of the 68 functions of the v2.40 list) returns that value
 *       without reaching the real module, after N calls that pass (default 0),
 *       for M calls (default: all). Every rule for a function sees every call
 *       of it; the first rule in file order whose window covers the call
 *       decides. The counters are shared by all processes and start again
 *       when the file changes. An injected failure of C_Sign, C_SignUpdate or
 *       C_SignFinal also ends the real signing operation, as a failed call
 *       does, so the caller can C_SignInit again.
 *   removed [slot=ID]
 *       The token of every slot (or of slot ID) is pulled out:
 *       C_GetSlotList(CK_TRUE) leaves the slot out, C_GetSlotInfo clears
 *       CKF_TOKEN_PRESENT, C_GetTokenInfo, C_OpenSession, C_GetMechanismList,
 *       C_GetMechanismInfo and C_InitToken return CKR_TOKEN_NOT_PRESENT, and
 *       every call on a session of that slot returns CKR_DEVICE_REMOVED
 *       (C_CloseSession and C_CloseAllSessions succeed). When the line goes,
 *       the token is back: the old sessions are closed in the real module
 *       (which logs the token out) and their handles return
 *       CKR_SESSION_HANDLE_INVALID for ever; new sessions work. Each change
 *       is a slot event for C_WaitForSlotEvent.
 *   pinpad
 *       C_GetTokenInfo sets CKF_PROTECTED_AUTHENTICATION_PATH; C_Login with a
 *       NULL PIN logs in with the PIN in MH_P11FAULT_PINPAD (no such file:
 *       CKR_FUNCTION_CANCELED, as if the user pressed Cancel). Without this
 *       line a NULL PIN is CKR_ARGUMENTS_BAD.
 *   always-authenticate
 *       Private keys report CKA_ALWAYS_AUTHENTICATE=CK_TRUE, and after
 *       C_SignInit with a private key, C_Sign, C_SignUpdate and C_SignFinal
 *       return CKR_USER_NOT_LOGGED_IN (and end the operation) until
 *       C_Login(CKU_CONTEXT_SPECIFIC) gives the PIN in MH_P11FAULT_USER_PIN;
 *       that allows one signing operation. A length query needs no PIN.
 *   pin-tries N
 *       A PIN retry counter of N, kept in the state file: each C_Login
 *       (CKU_USER) that the real module answers CKR_PIN_INCORRECT, each wrong
 *       context-specific PIN and each C_SetPIN with a wrong old user PIN
 *       counts down; a right one resets it to N. C_GetTokenInfo sets
 *       CKF_USER_PIN_COUNT_LOW below N, CKF_USER_PIN_FINAL_TRY at 1 and
 *       CKF_USER_PIN_LOCKED at 0, when user and context-specific logins
 *       return CKR_PIN_LOCKED without reaching the real module. The SO can
 *       still log in; C_InitPIN unblocks (back to N). Changing N, or
 *       deleting the state file, starts afresh.
 *
 * CKU_CONTEXT_SPECIFIC never reaches the real module: the wrapper checks the
 * PIN itself (CKR_OPERATION_NOT_INITIALIZED without a pending C_SignInit).
 * C_WaitForSlotEvent is answered by the wrapper when MH_P11FAULT_CONF is set
 * (events of the real module still come through); otherwise it is forwarded.
 *
 * Session handles are virtual: the wrapper hands out its own numbers, never
 * reused, so a session that died with a removed token stays invalid for ever
 * even when the real module recycles its handle. Object handles and slot IDs
 * are the real module's. The real module is given no notify callback.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <dlfcn.h>
#include <p11-kit/pkcs11.h>

#define P11F_EXPORT __attribute__((visibility("default")))

#define P11F_DEFAULT_MODULE "/usr/lib/softhsm/libsofthsm2.so"
#define P11F_PATH_MAX 4096
#define P11F_CONF_MAX (64 * 1024) /* bytes of the configuration file read */
#define P11F_LINE_MAX 512         /* longer lines are rejected */
#define P11F_MAX_TOKENS 8
#define P11F_MAX_RULES 128
#define P11F_MAX_SLOTS 32 /* "removed slot=" lines, queued slot events */
#define P11F_PIN_MAX 256
#define P11F_TAG_MAX 160
#define P11F_STATE_MAX (8 * 1024)
#define P11F_SCRATCH_MAX (64 * 1024) /* signature buffer to end an operation */
#define P11F_WAIT_POLL_NS 50000000L  /* blocking C_WaitForSlotEvent re-checks */

/* The X-macro tables read best as lists. */
/* clang-format off */
/* Every member of CK_FUNCTION_LIST (v2.40), in the order of the struct. */
#define P11F_FUNCTIONS(X)                                                                          \
    X(C_Initialize) X(C_Finalize) X(C_GetInfo) X(C_GetFunctionList) X(C_GetSlotList)               \
    X(C_GetSlotInfo) X(C_GetTokenInfo) X(C_GetMechanismList) X(C_GetMechanismInfo)                 \
    X(C_InitToken) X(C_InitPIN) X(C_SetPIN) X(C_OpenSession) X(C_CloseSession)                     \
    X(C_CloseAllSessions) X(C_GetSessionInfo) X(C_GetOperationState) X(C_SetOperationState)        \
    X(C_Login) X(C_Logout) X(C_CreateObject) X(C_CopyObject) X(C_DestroyObject)                    \
    X(C_GetObjectSize) X(C_GetAttributeValue) X(C_SetAttributeValue) X(C_FindObjectsInit)         \
    X(C_FindObjects) X(C_FindObjectsFinal) X(C_EncryptInit) X(C_Encrypt) X(C_EncryptUpdate)        \
    X(C_EncryptFinal) X(C_DecryptInit) X(C_Decrypt) X(C_DecryptUpdate) X(C_DecryptFinal)           \
    X(C_DigestInit) X(C_Digest) X(C_DigestUpdate) X(C_DigestKey) X(C_DigestFinal) X(C_SignInit)    \
    X(C_Sign) X(C_SignUpdate) X(C_SignFinal) X(C_SignRecoverInit) X(C_SignRecover)                 \
    X(C_VerifyInit) X(C_Verify) X(C_VerifyUpdate) X(C_VerifyFinal) X(C_VerifyRecoverInit)          \
    X(C_VerifyRecover) X(C_DigestEncryptUpdate) X(C_DecryptDigestUpdate)                           \
    X(C_SignEncryptUpdate) X(C_DecryptVerifyUpdate) X(C_GenerateKey) X(C_GenerateKeyPair)          \
    X(C_WrapKey) X(C_UnwrapKey) X(C_DeriveKey) X(C_SeedRandom) X(C_GenerateRandom)                 \
    X(C_GetFunctionStatus) X(C_CancelFunction) X(C_WaitForSlotEvent)

/* Every CKR_* value the header defines, so a rule can name any of them. */
#define P11F_CKRS(X)                                                                               \
    X(CKR_OK) X(CKR_CANCEL) X(CKR_HOST_MEMORY) X(CKR_SLOT_ID_INVALID) X(CKR_GENERAL_ERROR)         \
    X(CKR_FUNCTION_FAILED) X(CKR_ARGUMENTS_BAD) X(CKR_NO_EVENT) X(CKR_NEED_TO_CREATE_THREADS)      \
    X(CKR_CANT_LOCK) X(CKR_ATTRIBUTE_READ_ONLY) X(CKR_ATTRIBUTE_SENSITIVE)                         \
    X(CKR_ATTRIBUTE_TYPE_INVALID) X(CKR_ATTRIBUTE_VALUE_INVALID) X(CKR_ACTION_PROHIBITED)          \
    X(CKR_DATA_INVALID) X(CKR_DATA_LEN_RANGE) X(CKR_DEVICE_ERROR) X(CKR_DEVICE_MEMORY)             \
    X(CKR_DEVICE_REMOVED) X(CKR_ENCRYPTED_DATA_INVALID) X(CKR_ENCRYPTED_DATA_LEN_RANGE)            \
    X(CKR_FUNCTION_CANCELED) X(CKR_FUNCTION_NOT_PARALLEL) X(CKR_FUNCTION_NOT_SUPPORTED)            \
    X(CKR_KEY_HANDLE_INVALID) X(CKR_KEY_SIZE_RANGE) X(CKR_KEY_TYPE_INCONSISTENT)                   \
    X(CKR_KEY_NOT_NEEDED) X(CKR_KEY_CHANGED) X(CKR_KEY_NEEDED) X(CKR_KEY_INDIGESTIBLE)             \
    X(CKR_KEY_FUNCTION_NOT_PERMITTED) X(CKR_KEY_NOT_WRAPPABLE) X(CKR_KEY_UNEXTRACTABLE)            \
    X(CKR_MECHANISM_INVALID) X(CKR_MECHANISM_PARAM_INVALID) X(CKR_OBJECT_HANDLE_INVALID)           \
    X(CKR_OPERATION_ACTIVE) X(CKR_OPERATION_NOT_INITIALIZED) X(CKR_PIN_INCORRECT)                  \
    X(CKR_PIN_INVALID) X(CKR_PIN_LEN_RANGE) X(CKR_PIN_EXPIRED) X(CKR_PIN_LOCKED)                   \
    X(CKR_SESSION_CLOSED) X(CKR_SESSION_COUNT) X(CKR_SESSION_HANDLE_INVALID)                       \
    X(CKR_SESSION_PARALLEL_NOT_SUPPORTED) X(CKR_SESSION_READ_ONLY) X(CKR_SESSION_EXISTS)           \
    X(CKR_SESSION_READ_ONLY_EXISTS) X(CKR_SESSION_READ_WRITE_SO_EXISTS)                            \
    X(CKR_SIGNATURE_INVALID) X(CKR_SIGNATURE_LEN_RANGE) X(CKR_TEMPLATE_INCOMPLETE)                 \
    X(CKR_TEMPLATE_INCONSISTENT) X(CKR_TOKEN_NOT_PRESENT) X(CKR_TOKEN_NOT_RECOGNIZED)              \
    X(CKR_TOKEN_WRITE_PROTECTED) X(CKR_UNWRAPPING_KEY_HANDLE_INVALID)                              \
    X(CKR_UNWRAPPING_KEY_SIZE_RANGE) X(CKR_UNWRAPPING_KEY_TYPE_INCONSISTENT)                       \
    X(CKR_USER_ALREADY_LOGGED_IN) X(CKR_USER_NOT_LOGGED_IN) X(CKR_USER_PIN_NOT_INITIALIZED)        \
    X(CKR_USER_TYPE_INVALID) X(CKR_USER_ANOTHER_ALREADY_LOGGED_IN) X(CKR_USER_TOO_MANY_TYPES)      \
    X(CKR_WRAPPED_KEY_INVALID) X(CKR_WRAPPED_KEY_LEN_RANGE) X(CKR_WRAPPING_KEY_HANDLE_INVALID)     \
    X(CKR_WRAPPING_KEY_SIZE_RANGE) X(CKR_WRAPPING_KEY_TYPE_INCONSISTENT)                           \
    X(CKR_RANDOM_SEED_NOT_SUPPORTED) X(CKR_RANDOM_NO_RNG) X(CKR_DOMAIN_PARAMS_INVALID)             \
    X(CKR_CURVE_NOT_SUPPORTED) X(CKR_BUFFER_TOO_SMALL) X(CKR_SAVED_STATE_INVALID)                  \
    X(CKR_INFORMATION_SENSITIVE) X(CKR_STATE_UNSAVEABLE) X(CKR_CRYPTOKI_NOT_INITIALIZED)           \
    X(CKR_CRYPTOKI_ALREADY_INITIALIZED) X(CKR_MUTEX_BAD) X(CKR_MUTEX_NOT_LOCKED)                   \
    X(CKR_NEW_PIN_MODE) X(CKR_NEXT_OTP) X(CKR_EXCEEDED_MAX_ITERATIONS)                             \
    X(CKR_FIPS_SELF_TEST_FAILED) X(CKR_LIBRARY_LOAD_FAILED) X(CKR_PIN_TOO_WEAK)                    \
    X(CKR_PUBLIC_KEY_INVALID) X(CKR_FUNCTION_REJECTED) X(CKR_VENDOR_DEFINED)
/* clang-format on */

enum p11f_fn {
#define X(name) FN_##name,
    P11F_FUNCTIONS(X)
#undef X
        FN_COUNT
};

static const char *const fn_names[FN_COUNT] = {
#define X(name) #name,
    P11F_FUNCTIONS(X)
#undef X
};

static const struct {
    const char *name;
    CK_RV rv;
} ckr_names[] = {
#define X(name) {#name, name},
    P11F_CKRS(X)
#undef X
};

/* One "fail" line. Every rule for a function sees every call of it; the
 * first rule (in file order) whose window covers the call decides. */
struct rule {
    enum p11f_fn fn;
    CK_RV rv;
    unsigned long after; /* calls let through before the first failure */
    unsigned long count; /* failures, when limited */
    int limited;
};

struct conf {
    struct rule rules[P11F_MAX_RULES];
    size_t n_rules;
    int removed_all;
    CK_SLOT_ID removed[P11F_MAX_SLOTS];
    size_t n_removed;
    int pinpad;
    int always_auth;
    int pin_tries_on;
    unsigned long pin_tries;
};

enum sign_state {
    SIGN_FREE,      /* no signature with an always-authenticate key under way */
    SIGN_NEED_AUTH, /* C_SignInit done, no context-specific login yet */
    SIGN_AUTHED,    /* one signature allowed */
};

struct sess {
    CK_SESSION_HANDLE virt; /* what the caller sees */
    CK_SESSION_HANDLE real; /* what the real module gave */
    CK_SLOT_ID slot;
    int dead; /* its token was removed: CKR_DEVICE_REMOVED until re-inserted */
    enum sign_state sign;
};

/* Everything below is guarded by g.lock, except the paths, which are
 * written once under the lock before any use, and g.real, which never
 * changes once set (the real module is never unloaded). */
static struct {
    pthread_mutex_t lock;
    pthread_cond_t wake; /* C_Finalize and conf changes wake slot waiters */
    int env_loaded;
    char module_path[P11F_PATH_MAX];
    char conf_path[P11F_PATH_MAX];
    char state_path[P11F_PATH_MAX];
    char log_path[P11F_PATH_MAX];
    char pinpad_path[P11F_PATH_MAX];
    char user_pin_path[P11F_PATH_MAX];

    void *dl;
    CK_FUNCTION_LIST_PTR real;
    int initialized;

    int conf_seen; /* the file existed at the last check */
    struct stat conf_st;
    char conf_tag[P11F_TAG_MAX]; /* names this version of the file */
    struct conf conf;

    struct sess *sess;
    size_t n_sess, cap_sess;
    CK_SESSION_HANDLE next_handle;

    CK_SLOT_ID events[P11F_MAX_SLOTS];
    size_t n_events;
} g = {
    .lock = PTHREAD_MUTEX_INITIALIZER,
    .wake = PTHREAD_COND_INITIALIZER,
    .next_handle = 1,
};

static CK_FUNCTION_LIST fn_list;

/* ---- small helpers ---------------------------------------------------- */

__attribute__((format(printf, 1, 2))) static void warn(const char *fmt, ...)
{
    char line[P11F_LINE_MAX + 128];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    fprintf(stderr, "mh_p11fault: %s\n", line);
}

static void lock(void)
{
    pthread_mutex_lock(&g.lock);
}

static void unlock(void)
{
    pthread_mutex_unlock(&g.lock);
}

static const char *ckr_name(CK_RV rv)
{
    size_t i;

    for (i = 0; i < sizeof ckr_names / sizeof ckr_names[0]; i++)
        if (ckr_names[i].rv == rv)
            return ckr_names[i].name;
    return "CKR_?";
}

/* Logs one call and returns its result. One write() per line on an O_APPEND
 * descriptor keeps lines whole across threads and processes. */
static CK_RV done(enum p11f_fn fn, CK_RV rv, int by_wrapper)
{
    char line[160];
    int n, fd, saved = errno;

    if (g.log_path[0] == '\0')
        return rv;
    n = snprintf(line, sizeof line, "%s rv=0x%08lx %s%s\n", fn_names[fn], (unsigned long)rv,
                 ckr_name(rv), by_wrapper ? " (p11fault)" : "");
    if (n <= 0 || (size_t)n >= sizeof line)
        return rv;
    fd = open(g.log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (fd >= 0) {
        if (write(fd, line, (size_t)n) != (ssize_t)n) {
            /* a test log that cannot be written is not worth failing a call */
        }
        close(fd);
    }
    errno = saved;
    return rv;
}

static int parse_ulong(const char *s, unsigned long *out)
{
    char *end = NULL;
    unsigned long v;

    if (s == NULL || *s == '\0' || *s == '-' || *s == '+')
        return -1;
    errno = 0;
    v = strtoul(s, &end, 0);
    if (errno != 0 || end == s || *end != '\0')
        return -1;
    *out = v;
    return 0;
}

static void copy_env(char *dst, size_t cap, const char *name, const char *fallback)
{
    const char *v = getenv(name);
    int n;

    dst[0] = '\0';
    if (v == NULL || *v == '\0')
        v = fallback;
    if (v == NULL)
        return;
    n = snprintf(dst, cap, "%s", v);
    if (n < 0 || (size_t)n >= cap) {
        warn("%s is too long; ignored", name);
        dst[0] = '\0';
    }
}

static void load_env_locked(void)
{
    int n;

    if (g.env_loaded)
        return;
    g.env_loaded = 1;
    copy_env(g.module_path, sizeof g.module_path, "MH_P11FAULT_MODULE", P11F_DEFAULT_MODULE);
    copy_env(g.conf_path, sizeof g.conf_path, "MH_P11FAULT_CONF", NULL);
    copy_env(g.state_path, sizeof g.state_path, "MH_P11FAULT_STATE", NULL);
    copy_env(g.log_path, sizeof g.log_path, "MH_P11FAULT_LOG", NULL);
    copy_env(g.pinpad_path, sizeof g.pinpad_path, "MH_P11FAULT_PINPAD", NULL);
    copy_env(g.user_pin_path, sizeof g.user_pin_path, "MH_P11FAULT_USER_PIN", NULL);
    if (g.state_path[0] == '\0' && g.conf_path[0] != '\0') {
        n = snprintf(g.state_path, sizeof g.state_path, "%s.state", g.conf_path);
        if (n < 0 || (size_t)n >= sizeof g.state_path)
            g.state_path[0] = '\0';
    }
}

/* Reads a small secret file (PIN pad input, user PIN) into buf, without the
 * line end. Returns 0, or -1 when it is missing, empty or too long. */
static int read_secret(const char *path, unsigned char *buf, size_t cap, CK_ULONG *len)
{
    size_t got = 0;
    ssize_t n;
    int fd;

    *len = 0;
    if (path[0] == '\0')
        return -1;
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    while (got < cap) {
        n = read(fd, buf + got, cap - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    close(fd);
    while (got > 0 && (buf[got - 1] == '\n' || buf[got - 1] == '\r'))
        got--;
    if (got == 0 || got >= cap) {
        explicit_bzero(buf, cap);
        return -1;
    }
    *len = got;
    return 0;
}

/* Compares two PINs without an early exit. */
static int pin_equal(const unsigned char *a, CK_ULONG alen, const unsigned char *b, CK_ULONG blen)
{
    unsigned char diff = (unsigned char)(alen != blen);
    CK_ULONG i, n = alen < blen ? alen : blen;

    for (i = 0; i < n; i++)
        diff |= (unsigned char)(a[i] ^ b[i]);
    return diff == 0;
}

/* ---- the real module --------------------------------------------------- */

static int load_real_locked(void)
{
    CK_RV (*get_list)(CK_FUNCTION_LIST_PTR_PTR) = NULL;
    CK_FUNCTION_LIST_PTR list = NULL;
    void *sym;

    if (g.real != NULL)
        return 0;
    if (g.dl == NULL) {
        g.dl = dlopen(g.module_path, RTLD_NOW | RTLD_LOCAL);
        if (g.dl == NULL) {
            warn("cannot load %s: %s", g.module_path, dlerror());
            return -1;
        }
    }
    sym = dlsym(g.dl, "C_GetFunctionList");
    if (sym == NULL) {
        warn("%s has no C_GetFunctionList", g.module_path);
        return -1;
    }
    memcpy(&get_list, &sym, sizeof get_list);
    if (get_list(&list) != CKR_OK || list == NULL) {
        warn("C_GetFunctionList of %s failed", g.module_path);
        return -1;
    }
    if (list == &fn_list) {
        warn("MH_P11FAULT_MODULE names the wrapper itself");
        return -1;
    }
    g.real = list;
    return 0;
}

/* ---- sessions ------------------------------------------------------------ */

static struct sess *find_sess(CK_SESSION_HANDLE virt)
{
    size_t i;

    for (i = 0; i < g.n_sess; i++)
        if (g.sess[i].virt == virt)
            return &g.sess[i];
    return NULL;
}

static void erase_sess(size_t i)
{
    g.sess[i] = g.sess[g.n_sess - 1];
    g.n_sess--;
}

static void set_sign_state(CK_SESSION_HANDLE virt, enum sign_state st)
{
    struct sess *s;

    lock();
    s = find_sess(virt);
    if (s != NULL)
        s->sign = st;
    unlock();
}

static enum sign_state get_sign_state(CK_SESSION_HANDLE virt)
{
    enum sign_state st = SIGN_FREE;
    struct sess *s;

    lock();
    s = find_sess(virt);
    if (s != NULL)
        st = s->sign;
    unlock();
    return st;
}

/* ---- configuration ------------------------------------------------------ */

static int conf_slot_removed(const struct conf *c, CK_SLOT_ID slot)
{
    size_t i;

    if (c->removed_all)
        return 1;
    for (i = 0; i < c->n_removed; i++)
        if (c->removed[i] == slot)
            return 1;
    return 0;
}

static int parse_fn(const char *s, enum p11f_fn *out)
{
    int i;

    for (i = 0; i < FN_COUNT; i++) {
        if (strcmp(fn_names[i], s) == 0) {
            *out = (enum p11f_fn)i;
            return 0;
        }
    }
    return -1;
}

static int parse_ckr(const char *s, CK_RV *out)
{
    unsigned long v;
    size_t i;

    for (i = 0; i < sizeof ckr_names / sizeof ckr_names[0]; i++) {
        if (strcmp(ckr_names[i].name, s) == 0) {
            *out = ckr_names[i].rv;
            return 0;
        }
    }
    if (parse_ulong(s, &v) != 0)
        return -1;
    *out = v;
    return 0;
}

static void parse_fail(char **tok, int ntok, unsigned line, struct conf *c)
{
    struct rule r;
    int i;

    memset(&r, 0, sizeof r);
    if (ntok < 3) {
        warn("%s:%u: want 'fail C_Name CKR_NAME [after=N] [count=M]'", g.conf_path, line);
        return;
    }
    if (parse_fn(tok[1], &r.fn) != 0) {
        warn("%s:%u: unknown PKCS#11 function '%s'", g.conf_path, line, tok[1]);
        return;
    }
    if (parse_ckr(tok[2], &r.rv) != 0) {
        warn("%s:%u: unknown CKR value '%s'", g.conf_path, line, tok[2]);
        return;
    }
    for (i = 3; i < ntok; i++) {
        if (strncmp(tok[i], "after=", 6) == 0 && parse_ulong(tok[i] + 6, &r.after) == 0)
            continue;
        if (strncmp(tok[i], "count=", 6) == 0 && parse_ulong(tok[i] + 6, &r.count) == 0) {
            r.limited = 1;
            continue;
        }
        warn("%s:%u: bad option '%s'", g.conf_path, line, tok[i]);
        return;
    }
    if (c->n_rules >= P11F_MAX_RULES) {
        warn("%s:%u: more than %d fail rules", g.conf_path, line, P11F_MAX_RULES);
        return;
    }
    c->rules[c->n_rules++] = r;
}

static void parse_line(char *line, unsigned lineno, struct conf *c)
{
    char *tok[P11F_MAX_TOKENS];
    char *save = NULL, *t, *hash;
    unsigned long v;
    int ntok = 0;

    hash = strchr(line, '#');
    if (hash != NULL)
        *hash = '\0';
    for (t = strtok_r(line, " \t\r\v\f", &save); t != NULL;
         t = strtok_r(NULL, " \t\r\v\f", &save)) {
        if (ntok == P11F_MAX_TOKENS) {
            warn("%s:%u: too many words", g.conf_path, lineno);
            return;
        }
        tok[ntok++] = t;
    }
    if (ntok == 0)
        return;
    if (strcmp(tok[0], "fail") == 0) {
        parse_fail(tok, ntok, lineno, c);
    } else if (strcmp(tok[0], "removed") == 0 && ntok == 1) {
        c->removed_all = 1;
    } else if (strcmp(tok[0], "removed") == 0 && ntok == 2 && strncmp(tok[1], "slot=", 5) == 0 &&
               parse_ulong(tok[1] + 5, &v) == 0) {
        if (c->n_removed < P11F_MAX_SLOTS)
            c->removed[c->n_removed++] = v;
        else
            warn("%s:%u: too many removed slots", g.conf_path, lineno);
    } else if (strcmp(tok[0], "pinpad") == 0 && ntok == 1) {
        c->pinpad = 1;
    } else if (strcmp(tok[0], "always-authenticate") == 0 && ntok == 1) {
        c->always_auth = 1;
    } else if (strcmp(tok[0], "pin-tries") == 0 && ntok == 2 && parse_ulong(tok[1], &v) == 0 &&
               v > 0) {
        c->pin_tries_on = 1;
        c->pin_tries = v;
    } else {
        warn("%s:%u: cannot understand '%s'", g.conf_path, lineno, tok[0]);
    }
}

static void parse_conf(const char *buf, size_t len, struct conf *c)
{
    char line[P11F_LINE_MAX];
    unsigned lineno = 0;
    size_t pos = 0, n;
    const char *nl;

    while (pos < len) {
        nl = memchr(buf + pos, '\n', len - pos);
        n = nl != NULL ? (size_t)(nl - (buf + pos)) : len - pos;
        lineno++;
        if (n >= sizeof line) {
            warn("%s:%u: line longer than %d bytes; ignored", g.conf_path, lineno,
                 P11F_LINE_MAX - 1);
        } else {
            memcpy(line, buf + pos, n);
            line[n] = '\0';
            parse_line(line, lineno, c);
        }
        pos += n + (nl != NULL ? 1 : 0);
    }
}

static void push_event_locked(CK_SLOT_ID slot)
{
    size_t i;

    for (i = 0; i < g.n_events; i++)
        if (g.events[i] == slot)
            return;
    if (g.n_events < P11F_MAX_SLOTS)
        g.events[g.n_events++] = slot;
}

/* Makes nc the configuration in force: sessions of a token that was just
 * pulled out die; those of a token put back in are closed in the real module
 * (which logs the token out with its last session) and forgotten, so their
 * handles stay invalid. Slots whose token came or went get a slot event. */
static void apply_conf_locked(struct conf *nc)
{
    CK_SLOT_ID slots[P11F_MAX_SLOTS];
    CK_ULONG n = P11F_MAX_SLOTS, k;
    size_t i = 0;
    struct sess *s;

    while (i < g.n_sess) {
        s = &g.sess[i];
        if (!s->dead && conf_slot_removed(nc, s->slot)) {
            s->dead = 1;
        } else if (s->dead && !conf_slot_removed(nc, s->slot)) {
            if (g.real != NULL)
                g.real->C_CloseSession(s->real);
            erase_sess(i);
            continue;
        }
        i++;
    }
    if (g.initialized && g.real != NULL &&
        (g.conf.removed_all || g.conf.n_removed || nc->removed_all || nc->n_removed) &&
        g.real->C_GetSlotList(CK_FALSE, slots, &n) == CKR_OK) {
        for (k = 0; k < n && k < P11F_MAX_SLOTS; k++)
            if (conf_slot_removed(&g.conf, slots[k]) != conf_slot_removed(nc, slots[k]))
                push_event_locked(slots[k]);
    }
    g.conf = *nc;
    pthread_cond_broadcast(&g.wake);
}

static int same_file(const struct stat *a, const struct stat *b)
{
    return a->st_dev == b->st_dev && a->st_ino == b->st_ino && a->st_size == b->st_size &&
           a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec &&
           a->st_ctim.tv_sec == b->st_ctim.tv_sec && a->st_ctim.tv_nsec == b->st_ctim.tv_nsec;
}

/* Re-reads the configuration when the file changed since the last call. */
static void reload_conf_locked(void)
{
    static struct conf nc; /* too big for a thread's stack; g.lock guards it */
    struct stat st;
    char *buf = NULL;
    size_t len = 0;
    ssize_t n;
    int fd;

    if (g.conf_path[0] == '\0')
        return;
    if (stat(g.conf_path, &st) != 0) {
        if (g.conf_seen) {
            g.conf_seen = 0;
            g.conf_tag[0] = '\0';
            memset(&nc, 0, sizeof nc);
            apply_conf_locked(&nc);
        }
        return;
    }
    if (g.conf_seen && same_file(&st, &g.conf_st))
        return;
    fd = open(g.conf_path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return; /* vanished between stat and open; try again next call */
    if (fstat(fd, &st) != 0 || (buf = malloc(P11F_CONF_MAX)) == NULL) {
        close(fd);
        return;
    }
    while (len < P11F_CONF_MAX) {
        n = read(fd, buf + len, P11F_CONF_MAX - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        len += (size_t)n;
    }
    close(fd);
    if (len == P11F_CONF_MAX)
        warn("%s: only the first %d bytes are read", g.conf_path, P11F_CONF_MAX);
    memset(&nc, 0, sizeof nc);
    parse_conf(buf, len, &nc);
    free(buf);
    g.conf_st = st;
    g.conf_seen = 1;
    snprintf(g.conf_tag, sizeof g.conf_tag, "%ju:%ju:%jd:%jd.%09ld:%jd.%09ld", (uintmax_t)st.st_dev,
             (uintmax_t)st.st_ino, (intmax_t)st.st_size, (intmax_t)st.st_mtim.tv_sec,
             st.st_mtim.tv_nsec, (intmax_t)st.st_ctim.tv_sec, st.st_ctim.tv_nsec);
    apply_conf_locked(&nc);
}

/* ---- state shared by every process ----------------------------------------- */

/* The fail-rule counters and the PIN retry counter live in the state file,
 * read and rewritten under flock(), so every process that loads the wrapper
 * with the same configuration sees one token: "count=1" fails one call in
 * all of them together, and a locked PIN stays locked for the next process.
 * The rule counters belong to one version of the configuration file (its
 * tag) and start again from zero when it changes; the PIN counter survives
 * configuration changes (delete the state file to reset it). Only when the
 * state file cannot be used is the state kept in this process's memory. */
struct pstate {
    int tries_set;
    unsigned long tries_left, tries_max;
    char tag[P11F_TAG_MAX]; /* the configuration version the counters count */
    unsigned long seen[P11F_MAX_RULES];
};

static struct pstate mem_state; /* guarded by g.lock */

static void parse_state(const char *buf, size_t len, struct pstate *ps)
{
    char line[P11F_LINE_MAX];
    unsigned long i, v;
    size_t pos = 0, n;
    const char *nl;
    char *end;

    while (pos < len) {
        nl = memchr(buf + pos, '\n', len - pos);
        n = nl != NULL ? (size_t)(nl - (buf + pos)) : len - pos;
        if (n < sizeof line) {
            memcpy(line, buf + pos, n);
            line[n] = '\0';
            if (strncmp(line, "tries-left ", 11) == 0 && parse_ulong(line + 11, &v) == 0) {
                ps->tries_set |= 1;
                ps->tries_left = v;
            } else if (strncmp(line, "tries-max ", 10) == 0 && parse_ulong(line + 10, &v) == 0) {
                ps->tries_set |= 2;
                ps->tries_max = v;
            } else if (strncmp(line, "conf ", 5) == 0 && n - 5 < sizeof ps->tag) {
                memcpy(ps->tag, line + 5, n - 5 + 1);
            } else if (strncmp(line, "seen ", 5) == 0) {
                errno = 0;
                i = strtoul(line + 5, &end, 10);
                if (errno == 0 && *end == ' ' && i < P11F_MAX_RULES &&
                    parse_ulong(end + 1, &v) == 0)
                    ps->seen[i] = v;
            }
        }
        pos += n + (nl != NULL ? 1 : 0);
    }
    ps->tries_set = ps->tries_set == 3; /* both lines, or none */
}

/* Locks the state and reads it into ps. Returns the locked descriptor, or
 * -1 when the state lives in memory. */
static int state_load_locked(struct pstate *ps)
{
    char buf[P11F_STATE_MAX];
    size_t len = 0;
    ssize_t n;
    int fd = -1;

    memset(ps, 0, sizeof *ps);
    if (g.state_path[0] != '\0')
        fd = open(g.state_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd >= 0 && flock(fd, LOCK_EX) != 0) {
        close(fd);
        fd = -1;
    }
    if (fd < 0) {
        *ps = mem_state;
        return -1;
    }
    while (len < sizeof buf) {
        n = pread(fd, buf + len, sizeof buf - len, (off_t)len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        len += (size_t)n;
    }
    parse_state(buf, len, ps);
    return fd;
}

static int pstate_equal(const struct pstate *a, const struct pstate *b)
{
    size_t i;

    if (a->tries_set != b->tries_set || a->tries_left != b->tries_left ||
        a->tries_max != b->tries_max || strcmp(a->tag, b->tag) != 0)
        return 0;
    for (i = 0; i < P11F_MAX_RULES; i++)
        if (a->seen[i] != b->seen[i])
            return 0;
    return 1;
}

/* Appends to buf; on truncation *len becomes cap, which the caller sees. */
__attribute__((format(printf, 4, 5))) static void appendf(char *buf, size_t cap, size_t *len,
                                                          const char *fmt, ...)
{
    va_list ap;
    int n;

    if (*len >= cap)
        return;
    va_start(ap, fmt);
    n = vsnprintf(buf + *len, cap - *len, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= cap - *len)
        *len = cap;
    else
        *len += (size_t)n;
}

/* Writes ps back, when it differs from what was read (old), and unlocks. */
static void state_store_locked(int fd, const struct pstate *ps, const struct pstate *old)
{
    char buf[P11F_STATE_MAX];
    size_t len = 0, i;

    if (fd < 0) {
        mem_state = *ps;
        return;
    }
    if (pstate_equal(ps, old)) {
        close(fd);
        return;
    }
    if (ps->tries_set)
        appendf(buf, sizeof buf, &len, "tries-left %lu\ntries-max %lu\n", ps->tries_left,
                ps->tries_max);
    appendf(buf, sizeof buf, &len, "conf %s\n", ps->tag);
    for (i = 0; i < P11F_MAX_RULES; i++)
        if (ps->seen[i] != 0)
            appendf(buf, sizeof buf, &len, "seen %zu %lu\n", i, ps->seen[i]);
    if (len >= sizeof buf || ftruncate(fd, 0) != 0 || pwrite(fd, buf, len, 0) != (ssize_t)len)
        warn("cannot write %s", g.state_path);
    close(fd); /* drops the flock */
}

enum tries_op {
    TRIES_PEEK,
    TRIES_FAIL,    /* a wrong PIN */
    TRIES_SUCCESS, /* a right PIN: back to N unless locked */
    TRIES_UNBLOCK, /* C_InitPIN by the SO: back to N */
};

/* Applies op to the PIN retry counter and returns the tries left. */
static unsigned long pin_tries_locked(enum tries_op op, unsigned long max)
{
    struct pstate ps, old;
    int fd;

    fd = state_load_locked(&ps);
    old = ps;
    if (!ps.tries_set || ps.tries_max != max || ps.tries_left > max) {
        /* a new or changed pin-tries line starts afresh */
        ps.tries_set = 1;
        ps.tries_max = max;
        ps.tries_left = max;
    }
    if (op == TRIES_FAIL && ps.tries_left > 0)
        ps.tries_left--;
    else if ((op == TRIES_SUCCESS && ps.tries_left > 0) || op == TRIES_UNBLOCK)
        ps.tries_left = max;
    state_store_locked(fd, &ps, &old);
    return ps.tries_left;
}

/* Snapshot of the pin-tries line, and the counter when it is on. */
static int pin_tries_now(unsigned long *left, unsigned long *max, enum tries_op op)
{
    int on;

    lock();
    on = g.conf.pin_tries_on;
    *max = g.conf.pin_tries;
    if (on)
        *left = pin_tries_locked(op, *max);
    unlock();
    return on;
}

/* ---- the prologue shared by every call ------------------------------------ */

/* Loads the environment, re-reads the configuration and applies the fail
 * rules. Returns 1 when the call must end now with *rv. */
static int gate_locked(enum p11f_fn fn, CK_RV *rv)
{
    struct pstate ps, old;
    struct rule *r;
    unsigned long seen;
    int fd, hit = 0, any = 0;
    size_t i;

    load_env_locked();
    reload_conf_locked();
    for (i = 0; i < g.conf.n_rules; i++)
        any |= g.conf.rules[i].fn == fn;
    if (!any)
        return 0;
    fd = state_load_locked(&ps);
    old = ps;
    if (strcmp(ps.tag, g.conf_tag) != 0) {
        memset(ps.seen, 0, sizeof ps.seen);
        memcpy(ps.tag, g.conf_tag, sizeof ps.tag);
    }
    for (i = 0; i < g.conf.n_rules; i++) {
        r = &g.conf.rules[i];
        if (r->fn != fn)
            continue;
        seen = ++ps.seen[i];
        if (!hit && seen > r->after && (!r->limited || seen - r->after <= r->count)) {
            *rv = r->rv;
            hit = 1;
        }
    }
    state_store_locked(fd, &ps, &old);
    return hit;
}

static int enter_plain(enum p11f_fn fn, CK_RV *rv)
{
    int stop;

    lock();
    stop = gate_locked(fn, rv);
    if (!stop && g.real == NULL) {
        *rv = CKR_CRYPTOKI_NOT_INITIALIZED;
        stop = 1;
    }
    unlock();
    return stop;
}

/* Like enter_plain, and a token that is pulled out is not there. */
static int enter_slot(enum p11f_fn fn, CK_SLOT_ID slot, int need_token, CK_RV *rv)
{
    int stop;

    lock();
    stop = gate_locked(fn, rv);
    if (!stop && g.real == NULL) {
        *rv = CKR_CRYPTOKI_NOT_INITIALIZED;
        stop = 1;
    } else if (!stop && need_token && g.initialized && conf_slot_removed(&g.conf, slot)) {
        *rv = CKR_TOKEN_NOT_PRESENT;
        stop = 1;
    }
    unlock();
    return stop;
}

/* Like enter_plain, and translates the caller's session handle. Returns 0
 * to go on, 1 to end with *rv, or ENTER_INJECTED to end with *rv from a fail
 * rule while *real is a live session (whose operation the caller may end). */
#define ENTER_INJECTED 2
static int enter_session(enum p11f_fn fn, CK_SESSION_HANDLE virt, CK_SESSION_HANDLE *real,
                         CK_RV *rv)
{
    struct sess *s;
    int stop;

    lock();
    stop = gate_locked(fn, rv);
    s = find_sess(virt);
    if (stop) {
        if (g.initialized && g.real != NULL && s != NULL && !s->dead) {
            *real = s->real;
            stop = ENTER_INJECTED;
        }
    } else if (!g.initialized || g.real == NULL) {
        *rv = CKR_CRYPTOKI_NOT_INITIALIZED;
        stop = 1;
    } else if (s == NULL) {
        *rv = CKR_SESSION_HANDLE_INVALID;
        stop = 1;
    } else if (s->dead) {
        *rv = CKR_DEVICE_REMOVED;
        stop = 1;
    } else {
        *real = s->real;
    }
    unlock();
    return stop;
}

/* ---- plain forwarding ------------------------------------------------------ */

#define P11F_UNPACK(...) __VA_ARGS__

/* Functions that take a session first and need nothing but forwarding:
 * name, the parameters after the session, the arguments after the session. */
#define P11F_SESSION_FUNCS(X)                                                                      \
    X(C_GetSessionInfo, (CK_SESSION_INFO_PTR info), (info))                                        \
    X(C_GetOperationState, (CK_BYTE_PTR st, CK_ULONG_PTR st_len), (st, st_len))                    \
    X(C_SetOperationState,                                                                         \
      (CK_BYTE_PTR st, CK_ULONG st_len, CK_OBJECT_HANDLE ek, CK_OBJECT_HANDLE ak),                 \
      (st, st_len, ek, ak))                                                                        \
    X(C_CreateObject, (CK_ATTRIBUTE_PTR t, CK_ULONG n, CK_OBJECT_HANDLE_PTR obj), (t, n, obj))     \
    X(C_CopyObject,                                                                                \
      (CK_OBJECT_HANDLE obj, CK_ATTRIBUTE_PTR t, CK_ULONG n, CK_OBJECT_HANDLE_PTR out),            \
      (obj, t, n, out))                                                                            \
    X(C_DestroyObject, (CK_OBJECT_HANDLE obj), (obj))                                              \
    X(C_GetObjectSize, (CK_OBJECT_HANDLE obj, CK_ULONG_PTR size), (obj, size))                     \
    X(C_SetAttributeValue, (CK_OBJECT_HANDLE obj, CK_ATTRIBUTE_PTR t, CK_ULONG n), (obj, t, n))    \
    X(C_FindObjectsInit, (CK_ATTRIBUTE_PTR t, CK_ULONG n), (t, n))                                 \
    X(C_FindObjects, (CK_OBJECT_HANDLE_PTR objs, CK_ULONG max, CK_ULONG_PTR n), (objs, max, n))    \
    X(C_EncryptInit, (CK_MECHANISM_PTR m, CK_OBJECT_HANDLE k), (m, k))                             \
    X(C_Encrypt, (CK_BYTE_PTR in, CK_ULONG in_len, CK_BYTE_PTR out, CK_ULONG_PTR out_len),         \
      (in, in_len, out, out_len))                                                                  \
    X(C_EncryptUpdate, (CK_BYTE_PTR in, CK_ULONG in_len, CK_BYTE_PTR out, CK_ULONG_PTR out_len),   \
      (in, in_len, out, out_len))                                                                  \
    X(C_EncryptFinal, (CK_BYTE_PTR out, CK_ULONG_PTR out_len), (out, out_len))                     \
    X(C_DecryptInit, (CK_MECHANISM_PTR m, CK_OBJECT_HANDLE k), (m, k))                             \
    X(C_Decrypt, (CK_BYTE_PTR in, CK_ULONG in_len, CK_BYTE_PTR out, CK_ULONG_PTR out_len),         \
      (in, in_len, out, out_len))                                                                  \
    X(C_DecryptUpdate, (CK_BYTE_PTR in, CK_ULONG in_len, CK_BYTE_PTR out, CK_ULONG_PTR out_len),   \
      (in, in_len, out, out_len))                                                                  \
    X(C_DecryptFinal, (CK_BYTE_PTR out, CK_ULONG_PTR out_len), (out, out_len))                     \
    X(C_DigestInit, (CK_MECHANISM_PTR m), (m))                                                     \
    X(C_Digest, (CK_BYTE_PTR in, CK_ULONG in_len, CK_BYTE_PTR out, CK_ULONG_PTR out_len),          \
      (in, in_len, out, out_len))                                                                  \
    X(C_DigestUpdate, (CK_BYTE_PTR in, CK_ULONG in_len), (in, in_len))                             \
    X(C_DigestKey, (CK_OBJECT_HANDLE k), (k))                                                      \
    X(C_DigestFinal, (CK_BYTE_PTR out, CK_ULONG_PTR out_len), (out, out_len))                      \
    X(C_SignRecoverInit, (CK_MECHANISM_PTR m, CK_OBJECT_HANDLE k), (m, k))                         \
    X(C_SignRecover, (CK_BYTE_PTR in, CK_ULONG in_len, CK_BYTE_PTR out, CK_ULONG_PTR out_len),     \
      (in, in_len, out, out_len))                                                                  \
    X(C_VerifyInit, (CK_MECHANISM_PTR m, CK_OBJECT_HANDLE k), (m, k))                              \
    X(C_Verify, (CK_BYTE_PTR in, CK_ULONG in_len, CK_BYTE_PTR sig, CK_ULONG sig_len),              \
      (in, in_len, sig, sig_len))                                                                  \
    X(C_VerifyUpdate, (CK_BYTE_PTR in, CK_ULONG in_len), (in, in_len))                             \
    X(C_VerifyFinal, (CK_BYTE_PTR sig, CK_ULONG sig_len), (sig, sig_len))                          \
    X(C_VerifyRecoverInit, (CK_MECHANISM_PTR m, CK_OBJECT_HANDLE k), (m, k))                       \
    X(C_VerifyRecover, (CK_BYTE_PTR sig, CK_ULONG sig_len, CK_BYTE_PTR out, CK_ULONG_PTR out_len), \
      (sig, sig_len, out, out_len))                                                                \
    X(C_DigestEncryptUpdate,                                                                       \
      (CK_BYTE_PTR in, CK_ULONG in_len, CK_BYTE_PTR out, CK_ULONG_PTR out_len),                    \
      (in, in_len, out, out_len))                                                                  \
    X(C_DecryptDigestUpdate,                                                                       \
      (CK_BYTE_PTR in, CK_ULONG in_len, CK_BYTE_PTR out, CK_ULONG_PTR out_len),                    \
      (in, in_len, out, out_len))                                                                  \
    X(C_SignEncryptUpdate,                                                                         \
      (CK_BYTE_PTR in, CK_ULONG in_len, CK_BYTE_PTR out, CK_ULONG_PTR out_len),                    \
      (in, in_len, out, out_len))                                                                  \
    X(C_DecryptVerifyUpdate,                                                                       \
      (CK_BYTE_PTR in, CK_ULONG in_len, CK_BYTE_PTR out, CK_ULONG_PTR out_len),                    \
      (in, in_len, out, out_len))                                                                  \
    X(C_GenerateKey, (CK_MECHANISM_PTR m, CK_ATTRIBUTE_PTR t, CK_ULONG n, CK_OBJECT_HANDLE_PTR k), \
      (m, t, n, k))                                                                                \
    X(C_GenerateKeyPair,                                                                           \
      (CK_MECHANISM_PTR m, CK_ATTRIBUTE_PTR pt, CK_ULONG pn, CK_ATTRIBUTE_PTR st, CK_ULONG sn,     \
       CK_OBJECT_HANDLE_PTR pk, CK_OBJECT_HANDLE_PTR sk),                                          \
      (m, pt, pn, st, sn, pk, sk))                                                                 \
    X(C_WrapKey,                                                                                   \
      (CK_MECHANISM_PTR m, CK_OBJECT_HANDLE wk, CK_OBJECT_HANDLE k, CK_BYTE_PTR out,               \
       CK_ULONG_PTR out_len),                                                                      \
      (m, wk, k, out, out_len))                                                                    \
    X(C_UnwrapKey,                                                                                 \
      (CK_MECHANISM_PTR m, CK_OBJECT_HANDLE uk, CK_BYTE_PTR in, CK_ULONG in_len,                   \
       CK_ATTRIBUTE_PTR t, CK_ULONG n, CK_OBJECT_HANDLE_PTR k),                                    \
      (m, uk, in, in_len, t, n, k))                                                                \
    X(C_DeriveKey,                                                                                 \
      (CK_MECHANISM_PTR m, CK_OBJECT_HANDLE bk, CK_ATTRIBUTE_PTR t, CK_ULONG n,                    \
       CK_OBJECT_HANDLE_PTR k),                                                                    \
      (m, bk, t, n, k))                                                                            \
    X(C_SeedRandom, (CK_BYTE_PTR seed, CK_ULONG len), (seed, len))                                 \
    X(C_GenerateRandom, (CK_BYTE_PTR out, CK_ULONG len), (out, len))

/* Functions that take only a session. */
#define P11F_SESSION_ONLY_FUNCS(X)                                                                 \
    X(C_Logout) X(C_FindObjectsFinal) X(C_GetFunctionStatus) X(C_CancelFunction)

/* Functions that take a slot first and need its token. */
#define P11F_SLOT_FUNCS(X)                                                                         \
    X(C_GetMechanismList, (CK_MECHANISM_TYPE_PTR list, CK_ULONG_PTR n), (list, n))                 \
    X(C_GetMechanismInfo, (CK_MECHANISM_TYPE type, CK_MECHANISM_INFO_PTR info), (type, info))      \
    X(C_InitToken, (CK_UTF8CHAR_PTR pin, CK_ULONG pin_len, CK_UTF8CHAR_PTR label),                 \
      (pin, pin_len, label))

#define X(name, params, args)                                                                      \
    static CK_RV w_##name(CK_SESSION_HANDLE h, P11F_UNPACK params)                                 \
    {                                                                                              \
        CK_SESSION_HANDLE real = 0;                                                                \
        CK_RV rv = CKR_OK;                                                                         \
        if (enter_session(FN_##name, h, &real, &rv))                                               \
            return done(FN_##name, rv, 1);                                                         \
        return done(FN_##name, g.real->name(real, P11F_UNPACK args), 0);                           \
    }
P11F_SESSION_FUNCS(X)
#undef X

#define X(name)                                                                                    \
    static CK_RV w_##name(CK_SESSION_HANDLE h)                                                     \
    {                                                                                              \
        CK_SESSION_HANDLE real = 0;                                                                \
        CK_RV rv = CKR_OK;                                                                         \
        if (enter_session(FN_##name, h, &real, &rv))                                               \
            return done(FN_##name, rv, 1);                                                         \
        return done(FN_##name, g.real->name(real), 0);                                             \
    }
P11F_SESSION_ONLY_FUNCS(X)
#undef X

#define X(name, params, args)                                                                      \
    static CK_RV w_##name(CK_SLOT_ID slot, P11F_UNPACK params)                                     \
    {                                                                                              \
        CK_RV rv = CKR_OK;                                                                         \
        if (enter_slot(FN_##name, slot, 1, &rv))                                                   \
            return done(FN_##name, rv, 1);                                                         \
        return done(FN_##name, g.real->name(slot, P11F_UNPACK args), 0);                           \
    }
P11F_SLOT_FUNCS(X)
#undef X

/* ---- library ---------------------------------------------------------------- */

static CK_RV w_C_Initialize(CK_VOID_PTR args)
{
    CK_RV rv = CKR_OK;
    int stop;

    lock();
    stop = gate_locked(FN_C_Initialize, &rv);
    if (!stop && load_real_locked() != 0) {
        rv = CKR_GENERAL_ERROR;
        stop = 1;
    }
    unlock();
    if (stop)
        return done(FN_C_Initialize, rv, 1);
    /* The caller's arguments (CKF_OS_LOCKING_OK, mutex callbacks) go through
     * unchanged; our own state has its own pthread mutex. */
    rv = g.real->C_Initialize(args);
    if (rv == CKR_OK) {
        lock();
        g.initialized = 1;
        g.n_events = 0;
        unlock();
    }
    return done(FN_C_Initialize, rv, 0);
}

static CK_RV w_C_Finalize(CK_VOID_PTR reserved)
{
    CK_RV rv = CKR_OK;

    if (enter_plain(FN_C_Finalize, &rv))
        return done(FN_C_Finalize, rv, 1);
    rv = g.real->C_Finalize(reserved);
    if (rv == CKR_OK) {
        lock();
        g.initialized = 0;
        free(g.sess);
        g.sess = NULL;
        g.n_sess = g.cap_sess = 0;
        g.n_events = 0;
        pthread_cond_broadcast(&g.wake);
        unlock();
    }
    return done(FN_C_Finalize, rv, 0);
}

static CK_RV w_C_GetInfo(CK_INFO_PTR info)
{
    CK_RV rv = CKR_OK;

    if (enter_plain(FN_C_GetInfo, &rv))
        return done(FN_C_GetInfo, rv, 1);
    return done(FN_C_GetInfo, g.real->C_GetInfo(info), 0);
}

static CK_RV w_C_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR out)
{
    CK_RV rv = CKR_OK;
    int stop;

    lock();
    stop = gate_locked(FN_C_GetFunctionList, &rv);
    if (!stop)
        (void)load_real_locked(); /* a failure shows in C_Initialize */
    unlock();
    if (stop)
        return done(FN_C_GetFunctionList, rv, 1);
    if (out == NULL)
        return done(FN_C_GetFunctionList, CKR_ARGUMENTS_BAD, 1);
    *out = &fn_list;
    return done(FN_C_GetFunctionList, CKR_OK, 0);
}

/* ---- slots and tokens ------------------------------------------------------ */

/* C_GetSlotList(tokenPresent=TRUE) while some token is pulled out: ask the
 * real module, then leave out the slots whose token is gone. */
static CK_RV filtered_slot_list(CK_SLOT_ID_PTR list, CK_ULONG_PTR count)
{
    CK_SLOT_ID *all = NULL;
    CK_ULONG n = 0, i, kept = 0;
    CK_RV rv = CKR_GENERAL_ERROR;
    int tries;

    for (tries = 0; tries < 4; tries++) {
        rv = g.real->C_GetSlotList(CK_TRUE, NULL, &n);
        if (rv != CKR_OK)
            return rv;
        all = calloc(n > 0 ? n : 1, sizeof *all);
        if (all == NULL)
            return CKR_HOST_MEMORY;
        rv = g.real->C_GetSlotList(CK_TRUE, all, &n);
        if (rv != CKR_BUFFER_TOO_SMALL)
            break;
        free(all);
        all = NULL;
    }
    if (rv != CKR_OK || all == NULL) {
        free(all);
        return rv != CKR_OK ? rv : CKR_GENERAL_ERROR;
    }
    lock();
    for (i = 0; i < n; i++)
        if (!conf_slot_removed(&g.conf, all[i]))
            all[kept++] = all[i];
    unlock();
    if (list == NULL) {
        rv = CKR_OK;
    } else if (*count < kept) {
        rv = CKR_BUFFER_TOO_SMALL;
    } else {
        memcpy(list, all, kept * sizeof *all);
        rv = CKR_OK;
    }
    *count = kept;
    free(all);
    return rv;
}

static CK_RV w_C_GetSlotList(CK_BBOOL present, CK_SLOT_ID_PTR list, CK_ULONG_PTR count)
{
    CK_RV rv = CKR_OK;
    int filter;

    if (enter_plain(FN_C_GetSlotList, &rv))
        return done(FN_C_GetSlotList, rv, 1);
    lock();
    filter = present && g.initialized && (g.conf.removed_all || g.conf.n_removed > 0);
    unlock();
    if (!filter || count == NULL)
        return done(FN_C_GetSlotList, g.real->C_GetSlotList(present, list, count), 0);
    return done(FN_C_GetSlotList, filtered_slot_list(list, count), 0);
}

static CK_RV w_C_GetSlotInfo(CK_SLOT_ID slot, CK_SLOT_INFO_PTR info)
{
    CK_RV rv = CKR_OK;

    if (enter_slot(FN_C_GetSlotInfo, slot, 0, &rv))
        return done(FN_C_GetSlotInfo, rv, 1);
    rv = g.real->C_GetSlotInfo(slot, info);
    if (rv == CKR_OK) {
        lock();
        if (conf_slot_removed(&g.conf, slot))
            info->flags &= ~(CK_FLAGS)CKF_TOKEN_PRESENT;
        unlock();
    }
    return done(FN_C_GetSlotInfo, rv, 0);
}

static CK_RV w_C_GetTokenInfo(CK_SLOT_ID slot, CK_TOKEN_INFO_PTR info)
{
    unsigned long left = 0, max = 0;
    CK_RV rv = CKR_OK;
    int pinpad, tries_on;

    if (enter_slot(FN_C_GetTokenInfo, slot, 1, &rv))
        return done(FN_C_GetTokenInfo, rv, 1);
    rv = g.real->C_GetTokenInfo(slot, info);
    if (rv != CKR_OK)
        return done(FN_C_GetTokenInfo, rv, 0);
    lock();
    pinpad = g.conf.pinpad;
    unlock();
    if (pinpad)
        info->flags |= CKF_PROTECTED_AUTHENTICATION_PATH;
    tries_on = pin_tries_now(&left, &max, TRIES_PEEK);
    if (tries_on) {
        info->flags &=
            ~(CK_FLAGS)(CKF_USER_PIN_COUNT_LOW | CKF_USER_PIN_FINAL_TRY | CKF_USER_PIN_LOCKED);
        if (left < max)
            info->flags |= CKF_USER_PIN_COUNT_LOW;
        if (left == 1)
            info->flags |= CKF_USER_PIN_FINAL_TRY;
        if (left == 0)
            info->flags |= CKF_USER_PIN_LOCKED;
    }
    return done(FN_C_GetTokenInfo, rv, 0);
}

/* The simulation answers C_WaitForSlotEvent from the slots whose token came
 * or went (SoftHSM2 has no slot events); events of the real module still
 * come through. Without MH_P11FAULT_CONF the call is forwarded as it is. */
static CK_RV w_C_WaitForSlotEvent(CK_FLAGS flags, CK_SLOT_ID_PTR slot, CK_VOID_PTR reserved)
{
    struct timespec until;
    CK_RV rv = CKR_OK, real_rv;
    int simulate;

    if (enter_plain(FN_C_WaitForSlotEvent, &rv))
        return done(FN_C_WaitForSlotEvent, rv, 1);
    lock();
    simulate = g.conf_path[0] != '\0';
    unlock();
    if (!simulate)
        return done(FN_C_WaitForSlotEvent, g.real->C_WaitForSlotEvent(flags, slot, reserved), 0);
    if (slot == NULL)
        return done(FN_C_WaitForSlotEvent, CKR_ARGUMENTS_BAD, 1);
    for (;;) {
        lock();
        reload_conf_locked();
        if (!g.initialized) {
            unlock();
            return done(FN_C_WaitForSlotEvent, CKR_CRYPTOKI_NOT_INITIALIZED, 1);
        }
        if (g.n_events > 0) {
            *slot = g.events[0];
            g.n_events--;
            memmove(g.events, g.events + 1, g.n_events * sizeof g.events[0]);
            unlock();
            return done(FN_C_WaitForSlotEvent, CKR_OK, 1);
        }
        unlock();
        real_rv = g.real->C_WaitForSlotEvent(CKF_DONT_BLOCK, slot, NULL);
        if (real_rv == CKR_OK)
            return done(FN_C_WaitForSlotEvent, CKR_OK, 0);
        if (flags & CKF_DONT_BLOCK)
            return done(FN_C_WaitForSlotEvent, CKR_NO_EVENT, 1);
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += P11F_WAIT_POLL_NS;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        lock();
        if (g.initialized && g.n_events == 0)
            pthread_cond_timedwait(&g.wake, &g.lock, &until);
        unlock();
    }
}

/* ---- sessions ---------------------------------------------------------------- */

static CK_RV w_C_OpenSession(CK_SLOT_ID slot, CK_FLAGS flags, CK_VOID_PTR app, CK_NOTIFY notify,
                             CK_SESSION_HANDLE_PTR out)
{
    CK_SESSION_HANDLE real = 0;
    struct sess *grown;
    CK_RV rv = CKR_OK;
    size_t cap;

    (void)app;
    (void)notify; /* the real module never sees our handles, so no callbacks */
    if (enter_slot(FN_C_OpenSession, slot, 1, &rv))
        return done(FN_C_OpenSession, rv, 1);
    if (out == NULL)
        return done(FN_C_OpenSession, CKR_ARGUMENTS_BAD, 1);
    rv = g.real->C_OpenSession(slot, flags, NULL, NULL, &real);
    if (rv != CKR_OK)
        return done(FN_C_OpenSession, rv, 0);
    lock();
    if (g.n_sess == g.cap_sess) {
        cap = g.cap_sess ? g.cap_sess * 2 : 16;
        grown = realloc(g.sess, cap * sizeof *grown);
        if (grown == NULL) {
            unlock();
            g.real->C_CloseSession(real);
            return done(FN_C_OpenSession, CKR_HOST_MEMORY, 1);
        }
        g.sess = grown;
        g.cap_sess = cap;
    }
    g.sess[g.n_sess].virt = g.next_handle++;
    g.sess[g.n_sess].real = real;
    g.sess[g.n_sess].slot = slot;
    /* the token may have been pulled out while the real module opened it */
    g.sess[g.n_sess].dead = conf_slot_removed(&g.conf, slot);
    g.sess[g.n_sess].sign = SIGN_FREE;
    *out = g.sess[g.n_sess].virt;
    g.n_sess++;
    unlock();
    return done(FN_C_OpenSession, CKR_OK, 0);
}

static CK_RV w_C_CloseSession(CK_SESSION_HANDLE h)
{
    CK_SESSION_HANDLE real = 0;
    CK_RV rv = CKR_OK;
    struct sess *s;
    int stop, dead = 0;

    lock();
    stop = gate_locked(FN_C_CloseSession, &rv);
    if (!stop) {
        s = find_sess(h);
        stop = 1;
        if (!g.initialized || g.real == NULL) {
            rv = CKR_CRYPTOKI_NOT_INITIALIZED;
        } else if (s == NULL) {
            rv = CKR_SESSION_HANDLE_INVALID;
        } else {
            real = s->real;
            dead = s->dead;
            erase_sess((size_t)(s - g.sess));
            stop = 0;
        }
    }
    unlock();
    if (stop)
        return done(FN_C_CloseSession, rv, 1);
    rv = g.real->C_CloseSession(real);
    /* closing a session of a pulled-out token is how an application cleans up */
    return done(FN_C_CloseSession, dead ? CKR_OK : rv, dead);
}

static CK_RV w_C_CloseAllSessions(CK_SLOT_ID slot)
{
    CK_RV rv = CKR_OK;
    size_t i = 0;
    int removed;

    if (enter_slot(FN_C_CloseAllSessions, slot, 0, &rv))
        return done(FN_C_CloseAllSessions, rv, 1);
    lock();
    while (i < g.n_sess) {
        if (g.sess[i].slot == slot)
            erase_sess(i);
        else
            i++;
    }
    removed = conf_slot_removed(&g.conf, slot);
    unlock();
    rv = g.real->C_CloseAllSessions(slot);
    return done(FN_C_CloseAllSessions, removed ? CKR_OK : rv, removed);
}

/* ---- PINs ------------------------------------------------------------------------ */

/* Returns 1 when the session is the SO's (its PIN is not the one counted). */
static int is_so_session(CK_SESSION_HANDLE real)
{
    CK_SESSION_INFO si;

    return g.real->C_GetSessionInfo(real, &si) == CKR_OK && si.state == CKS_RW_SO_FUNCTIONS;
}

/* C_Login(CKU_CONTEXT_SPECIFIC): checked here against MH_P11FAULT_USER_PIN;
 * the real module never sees this user type. */
static CK_RV context_login(CK_SESSION_HANDLE h, const unsigned char *pin, CK_ULONG pin_len)
{
    unsigned char want[P11F_PIN_MAX];
    unsigned long left = 1, max = 0;
    CK_ULONG want_len = 0;
    struct sess *s;
    int tries_on, ok;

    if (get_sign_state(h) == SIGN_FREE)
        return CKR_OPERATION_NOT_INITIALIZED;
    tries_on = pin_tries_now(&left, &max, TRIES_PEEK);
    if (tries_on && left == 0)
        return CKR_PIN_LOCKED;
    if (read_secret(g.user_pin_path, want, sizeof want, &want_len) != 0) {
        warn("a context-specific login needs MH_P11FAULT_USER_PIN to name the user PIN file");
        return CKR_GENERAL_ERROR;
    }
    ok = pin_equal(pin, pin_len, want, want_len);
    explicit_bzero(want, sizeof want);
    if (!ok) {
        pin_tries_now(&left, &max, TRIES_FAIL);
        return CKR_PIN_INCORRECT;
    }
    pin_tries_now(&left, &max, TRIES_SUCCESS);
    lock();
    s = find_sess(h);
    if (s != NULL && s->sign != SIGN_FREE)
        s->sign = SIGN_AUTHED;
    unlock();
    return CKR_OK;
}

static CK_RV w_C_Login(CK_SESSION_HANDLE h, CK_USER_TYPE user, CK_UTF8CHAR_PTR pin,
                       CK_ULONG pin_len)
{
    unsigned char pad[P11F_PIN_MAX];
    unsigned long left = 1, max = 0;
    CK_SESSION_HANDLE real = 0;
    CK_ULONG pad_len = 0;
    CK_RV rv = CKR_OK;
    int pinpad, by_wrapper = 1;

    if (enter_session(FN_C_Login, h, &real, &rv))
        return done(FN_C_Login, rv, 1);
    lock();
    pinpad = g.conf.pinpad;
    unlock();
    if (pin == NULL) {
        /* The protected authentication path: the PIN is "typed on the pad".
         * No pad file stands for the user pressing Cancel. */
        if (!pinpad)
            return done(FN_C_Login, CKR_ARGUMENTS_BAD, 1);
        if (read_secret(g.pinpad_path, pad, sizeof pad, &pad_len) != 0)
            return done(FN_C_Login, CKR_FUNCTION_CANCELED, 1);
        pin = pad;
        pin_len = pad_len;
    }
    if (user == CKU_CONTEXT_SPECIFIC) {
        rv = context_login(h, pin, pin_len);
    } else if (user == CKU_USER && pin_tries_now(&left, &max, TRIES_PEEK) && left == 0) {
        rv = CKR_PIN_LOCKED;
    } else {
        rv = g.real->C_Login(real, user, pin, pin_len);
        by_wrapper = 0;
        if (user == CKU_USER && rv == CKR_PIN_INCORRECT)
            pin_tries_now(&left, &max, TRIES_FAIL);
        else if (user == CKU_USER && rv == CKR_OK)
            pin_tries_now(&left, &max, TRIES_SUCCESS);
    }
    explicit_bzero(pad, sizeof pad);
    return done(FN_C_Login, rv, by_wrapper);
}

static CK_RV w_C_InitPIN(CK_SESSION_HANDLE h, CK_UTF8CHAR_PTR pin, CK_ULONG pin_len)
{
    unsigned long left = 0, max = 0;
    CK_SESSION_HANDLE real = 0;
    CK_RV rv = CKR_OK;

    if (enter_session(FN_C_InitPIN, h, &real, &rv))
        return done(FN_C_InitPIN, rv, 1);
    rv = g.real->C_InitPIN(real, pin, pin_len);
    if (rv == CKR_OK)
        pin_tries_now(&left, &max, TRIES_UNBLOCK); /* the SO unblocks the card */
    return done(FN_C_InitPIN, rv, 0);
}

static CK_RV w_C_SetPIN(CK_SESSION_HANDLE h, CK_UTF8CHAR_PTR old_pin, CK_ULONG old_len,
                        CK_UTF8CHAR_PTR new_pin, CK_ULONG new_len)
{
    unsigned long left = 1, max = 0;
    CK_SESSION_HANDLE real = 0;
    CK_RV rv = CKR_OK;

    if (enter_session(FN_C_SetPIN, h, &real, &rv))
        return done(FN_C_SetPIN, rv, 1);
    if (pin_tries_now(&left, &max, TRIES_PEEK) && left == 0 && !is_so_session(real))
        return done(FN_C_SetPIN, CKR_PIN_LOCKED, 1);
    rv = g.real->C_SetPIN(real, old_pin, old_len, new_pin, new_len);
    if (rv == CKR_PIN_INCORRECT && !is_so_session(real))
        pin_tries_now(&left, &max, TRIES_FAIL);
    return done(FN_C_SetPIN, rv, 0);
}

/* ---- always-authenticate ---------------------------------------------------------- */

static int is_private_key(CK_SESSION_HANDLE real, CK_OBJECT_HANDLE obj)
{
    CK_OBJECT_CLASS cls = 0;
    CK_ATTRIBUTE a = {CKA_CLASS, &cls, sizeof cls};

    return g.real->C_GetAttributeValue(real, obj, &a, 1) == CKR_OK && cls == CKO_PRIVATE_KEY;
}

static CK_RV w_C_GetAttributeValue(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE obj, CK_ATTRIBUTE_PTR t,
                                   CK_ULONG n)
{
    CK_SESSION_HANDLE real = 0;
    CK_RV rv = CKR_OK;
    int always_auth, asked = 0;
    CK_ULONG i;

    if (enter_session(FN_C_GetAttributeValue, h, &real, &rv))
        return done(FN_C_GetAttributeValue, rv, 1);
    rv = g.real->C_GetAttributeValue(real, obj, t, n);
    lock();
    always_auth = g.conf.always_auth;
    unlock();
    for (i = 0; always_auth && t != NULL && i < n; i++)
        asked |= t[i].type == CKA_ALWAYS_AUTHENTICATE;
    if (!asked || (rv != CKR_OK && rv != CKR_ATTRIBUTE_SENSITIVE &&
                   rv != CKR_ATTRIBUTE_TYPE_INVALID && rv != CKR_BUFFER_TOO_SMALL))
        return done(FN_C_GetAttributeValue, rv, 0);
    if (!is_private_key(real, obj))
        return done(FN_C_GetAttributeValue, rv, 0);
    for (i = 0; i < n; i++) {
        if (t[i].type != CKA_ALWAYS_AUTHENTICATE)
            continue;
        if (t[i].pValue == NULL) {
            t[i].ulValueLen = sizeof(CK_BBOOL);
        } else if (t[i].ulValueLen < sizeof(CK_BBOOL)) {
            t[i].ulValueLen = CK_UNAVAILABLE_INFORMATION;
            if (rv == CKR_OK)
                rv = CKR_BUFFER_TOO_SMALL;
        } else {
            *(CK_BBOOL *)t[i].pValue = CK_TRUE;
            t[i].ulValueLen = sizeof(CK_BBOOL);
        }
    }
    return done(FN_C_GetAttributeValue, rv, 0);
}

static CK_RV w_C_SignInit(CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE key)
{
    CK_SESSION_HANDLE real = 0;
    CK_RV rv = CKR_OK;
    int always_auth;

    if (enter_session(FN_C_SignInit, h, &real, &rv))
        return done(FN_C_SignInit, rv, 1);
    rv = g.real->C_SignInit(real, m, key);
    if (rv != CKR_OK)
        return done(FN_C_SignInit, rv, 0);
    lock();
    always_auth = g.conf.always_auth;
    unlock();
    set_sign_state(h, always_auth && is_private_key(real, key) ? SIGN_NEED_AUTH : SIGN_FREE);
    return done(FN_C_SignInit, rv, 0);
}

/* Ends the real signing operation that the wrapper refuses, as a card would:
 * sign into a scratch buffer and throw the result away. */
static void abort_sign(CK_SESSION_HANDLE real, CK_BYTE_PTR data, CK_ULONG len, int single)
{
    CK_ULONG n = 0;
    CK_BYTE_PTR buf;
    CK_RV rv;

    rv = single ? g.real->C_Sign(real, data, len, NULL, &n) : g.real->C_SignFinal(real, NULL, &n);
    if (rv != CKR_OK || n == 0 || n > P11F_SCRATCH_MAX)
        return;
    buf = malloc(n);
    if (buf == NULL)
        return;
    if (single)
        (void)g.real->C_Sign(real, data, len, buf, &n);
    else
        (void)g.real->C_SignFinal(real, buf, &n);
    explicit_bzero(buf, n);
    free(buf);
}

/* An injected failure of C_Sign, C_SignUpdate or C_SignFinal ends the
 * operation, as the standard says a failed call does, so the caller can
 * start the next one with C_SignInit. real is 0 unless the session is live. */
static CK_RV end_injected(CK_SESSION_HANDLE h, CK_SESSION_HANDLE real, CK_RV rv, CK_BYTE_PTR data,
                          CK_ULONG len, int single)
{
    if (real != 0 && rv != CKR_OK && rv != CKR_BUFFER_TOO_SMALL) {
        abort_sign(real, data, len, single);
        set_sign_state(h, SIGN_FREE);
    }
    return rv;
}

/* A signature call that produced a signature, or failed, ends the operation
 * (a length query or CKR_BUFFER_TOO_SMALL does not). */
static int sign_ended(CK_RV rv, CK_BYTE_PTR sig)
{
    return rv != CKR_BUFFER_TOO_SMALL && !(rv == CKR_OK && sig == NULL);
}

static CK_RV w_C_Sign(CK_SESSION_HANDLE h, CK_BYTE_PTR data, CK_ULONG len, CK_BYTE_PTR sig,
                      CK_ULONG_PTR sig_len)
{
    CK_SESSION_HANDLE real = 0;
    CK_RV rv = CKR_OK;
    enum sign_state st;

    if (enter_session(FN_C_Sign, h, &real, &rv) != 0)
        return done(FN_C_Sign, end_injected(h, real, rv, data, len, 1), 1);
    st = get_sign_state(h);
    if (st == SIGN_NEED_AUTH && sig != NULL) {
        abort_sign(real, data, len, 1);
        set_sign_state(h, SIGN_FREE);
        return done(FN_C_Sign, CKR_USER_NOT_LOGGED_IN, 1);
    }
    rv = g.real->C_Sign(real, data, len, sig, sig_len);
    if (st != SIGN_FREE && sign_ended(rv, sig))
        set_sign_state(h, SIGN_FREE);
    return done(FN_C_Sign, rv, 0);
}

static CK_RV w_C_SignUpdate(CK_SESSION_HANDLE h, CK_BYTE_PTR part, CK_ULONG len)
{
    CK_SESSION_HANDLE real = 0;
    CK_RV rv = CKR_OK;
    enum sign_state st;

    if (enter_session(FN_C_SignUpdate, h, &real, &rv) != 0)
        return done(FN_C_SignUpdate, end_injected(h, real, rv, NULL, 0, 0), 1);
    st = get_sign_state(h);
    if (st == SIGN_NEED_AUTH) {
        abort_sign(real, NULL, 0, 0);
        set_sign_state(h, SIGN_FREE);
        return done(FN_C_SignUpdate, CKR_USER_NOT_LOGGED_IN, 1);
    }
    rv = g.real->C_SignUpdate(real, part, len);
    if (st != SIGN_FREE && rv != CKR_OK)
        set_sign_state(h, SIGN_FREE);
    return done(FN_C_SignUpdate, rv, 0);
}

static CK_RV w_C_SignFinal(CK_SESSION_HANDLE h, CK_BYTE_PTR sig, CK_ULONG_PTR sig_len)
{
    CK_SESSION_HANDLE real = 0;
    CK_RV rv = CKR_OK;
    enum sign_state st;

    if (enter_session(FN_C_SignFinal, h, &real, &rv) != 0)
        return done(FN_C_SignFinal, end_injected(h, real, rv, NULL, 0, 0), 1);
    st = get_sign_state(h);
    if (st == SIGN_NEED_AUTH && sig != NULL) {
        abort_sign(real, NULL, 0, 0);
        set_sign_state(h, SIGN_FREE);
        return done(FN_C_SignFinal, CKR_USER_NOT_LOGGED_IN, 1);
    }
    rv = g.real->C_SignFinal(real, sig, sig_len);
    if (st != SIGN_FREE && sign_ended(rv, sig))
        set_sign_state(h, SIGN_FREE);
    return done(FN_C_SignFinal, rv, 0);
}

/* ---- the function list --------------------------------------------------------------- */

/* clang-format off */
static CK_FUNCTION_LIST fn_list = {
    .version = {CRYPTOKI_VERSION_MAJOR, CRYPTOKI_VERSION_MINOR},
#define X(name) .name = w_##name,
    P11F_FUNCTIONS(X)
#undef X
};
/* clang-format on */

P11F_EXPORT CK_RV C_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR out)
{
    return w_C_GetFunctionList(out);
}
