/* login.c - PINs: from a file, a no-echo prompt or the reader's PIN pad.
 * A PIN lives in one stack buffer, is wiped right after C_Login, and a
 * wrong PIN is never tried again by mohur itself. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "hsm_internal.h"

#define PIN_MAX 256

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
    (void)sig;
    interrupted = 1;
}

int mh_hsm_prompt_tty(void *arg, const char *what, char *buf, size_t cap)
{
    (void)arg;
    int ret = MH_ERR_PIN_REQUIRED;
    int fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (fd < 0) {
        mh_err_set(MH_ERR_PIN_REQUIRED,
                   "a PIN is needed for %s but there is no terminal to ask it on; give "
                   "pin-source=file:PATH in the URI",
                   what);
        return MH_ERR_PIN_REQUIRED;
    }
    struct termios old, noecho;
    bool restore = false;
    struct sigaction sa, oint, oterm;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal; /* no SA_RESTART: read() returns EINTR */
    sigemptyset(&sa.sa_mask);
    interrupted = 0;
    sigaction(SIGINT, &sa, &oint);
    sigaction(SIGTERM, &sa, &oterm);
    if (tcgetattr(fd, &old) == 0) {
        noecho = old;
        noecho.c_lflag &= (tcflag_t) ~(ECHO | ECHONL);
        noecho.c_lflag |= ICANON;
        if (tcsetattr(fd, TCSAFLUSH, &noecho) == 0)
            restore = true;
    }
    char prompt[256];
    int pn = snprintf(prompt, sizeof prompt, "PIN for %s: ", what);
    if (pn > 0 && write(fd, prompt, (size_t)pn) < 0) {
        /* nothing to do: the read below fails the same way */
    }
    size_t n = 0;
    bool too_long = false;
    for (;;) {
        char c;
        ssize_t r = read(fd, &c, 1);
        if (r < 0 && errno == EINTR && !interrupted)
            continue;
        if (r <= 0 || interrupted) {
            ret = MH_ERR_CANCELLED;
            mh_err_set(MH_ERR_CANCELLED, "PIN entry was cancelled");
            goto out;
        }
        if (c == '\n' || c == '\r')
            break;
        if (n + 1 < cap)
            buf[n++] = c;
        else
            too_long = true;
    }
    buf[n] = '\0';
    if (too_long) {
        mh_wipe(buf, cap);
        mh_err_set(MH_ERR_PIN_INVALID, "the PIN typed is longer than %zu characters", cap - 1);
        ret = MH_ERR_PIN_INVALID;
        goto out;
    }
    ret = 0;
out:
    if (write(fd, "\n", 1) < 0) {
        /* the terminal went away; the result stands */
    }
    if (restore)
        tcsetattr(fd, TCSAFLUSH, &old);
    sigaction(SIGINT, &oint, NULL);
    sigaction(SIGTERM, &oterm, NULL);
    close(fd);
    if (ret)
        mh_wipe(buf, cap);
    return ret;
}

/* pin-source: "file:PATH", "file:///PATH" or a plain absolute path. */
static int read_pin_file(const char *src, char *buf, size_t cap, size_t *len)
{
    const char *path = src;
    if (strncmp(path, "file://", 7) == 0)
        path += 7;
    else if (strncmp(path, "file:", 5) == 0)
        path += 5;
    if (path[0] != '/' && strncmp(src, "file:", 5) != 0) {
        mh_err_set(MH_ERR_PIN_REQUIRED, "pin-source must be file:PATH (a file holding the PIN)");
        return MH_ERR_PIN_REQUIRED;
    }
    return mh_file_read_pin(path, buf, cap, len);
}

/* After a failed login: what the token's flags say about tries left. */
static const char *tries_text(mh_hsm_token *tok)
{
    CK_TOKEN_INFO t;
    if (tok->mod->f->C_GetTokenInfo(tok->slot, &t) != CKR_OK)
        return "";
    if (t.flags & CKF_USER_PIN_LOCKED)
        return "; the PIN is now locked";
    if (t.flags & CKF_USER_PIN_FINAL_TRY)
        return "; one try left (final try): a further wrong PIN locks the token";
    if (t.flags & CKF_USER_PIN_COUNT_LOW)
        return "; tries are running low (the token does not say how many remain)";
    return "";
}

enum login_src { SRC_NONE, SRC_USER, SRC_CALLER };

/* Holds the PIN given by mh_hsm_login_pin() during one login only. */
static _Thread_local const char *caller_pin;
static _Thread_local size_t caller_pin_len;
static _Thread_local bool caller_pin_set;

static int do_login(mh_hsm_token *tok, CK_SESSION_HANDLE s, CK_USER_TYPE who, const char *what)
{
    char pin[PIN_MAX];
    size_t len = 0;
    int rc = 0;
    CK_RV rv;
    const char *use = NULL;
    if (caller_pin_set) {
        use = caller_pin;
        len = caller_pin_len;
    } else if (tok->uri.pin_source) {
        rc = read_pin_file(tok->uri.pin_source, pin, sizeof pin, &len);
        use = pin;
    } else if (tok->pinpad) {
        use = NULL; /* typed on the reader's PIN pad */
    } else {
        rc = tok->mod->cfg.prompt(tok->mod->cfg.prompt_arg, what, pin, sizeof pin);
        if (!rc)
            len = strlen(pin);
        use = pin;
    }
    if (rc) {
        mh_wipe(pin, sizeof pin);
        return rc;
    }
    rv = tok->mod->f->C_Login(s, who, (CK_UTF8CHAR_PTR)(uintptr_t)use, (CK_ULONG)len);
    mh_wipe(pin, sizeof pin);
    if (rv == CKR_OK || (rv == CKR_USER_ALREADY_LOGGED_IN && who == CKU_USER))
        return 0;
    if (rv == CKR_PIN_INCORRECT || rv == CKR_PIN_LOCKED || rv == CKR_PIN_LEN_RANGE ||
        rv == CKR_PIN_INVALID || rv == CKR_PIN_EXPIRED) {
        tok->login_failed = true; /* never again by ourselves */
        int err = mh_p11_err(rv, "logging in");
        const char *why = rv == CKR_PIN_INCORRECT ? "the PIN is incorrect"
                          : rv == CKR_PIN_LOCKED  ? "the PIN is locked; the security officer "
                                                    "must unblock it"
                          : rv == CKR_PIN_EXPIRED ? "the PIN has expired; change it first"
                                                  : "the PIN has a length or characters the "
                                                    "token does not accept";
        mh_err_set(err, "%s: %s%s", what, why, rv == CKR_PIN_INCORRECT ? tries_text(tok) : "");
        return err;
    }
    if (mh_ckr_is_lost(rv))
        tok->lost = true;
    char doing[160];
    snprintf(doing, sizeof doing, "logging in to %s", what);
    return mh_p11_err(rv, doing);
}

int mh_tok_login_locked(mh_hsm_token *tok, CK_SESSION_HANDLE s)
{
    char what[64];
    snprintf(what, sizeof what, "token '%s'", tok->label);
    if (tok->login_failed) {
        mh_err_set(MH_ERR_PIN_INCORRECT,
                   "%s: an earlier PIN was wrong; mohur does not try again by itself "
                   "(log in again to retry)",
                   what);
        return MH_ERR_PIN_INCORRECT;
    }
    if (tok->login_src == SRC_CALLER && !caller_pin_set) {
        mh_err_set(MH_ERR_PIN_REQUIRED, "%s: the token was re-inserted and needs its PIN again",
                   what);
        return MH_ERR_PIN_REQUIRED;
    }
    int rc = do_login(tok, s, CKU_USER, what);
    if (!rc)
        tok->logged_in = true;
    return rc;
}

int mh_tok_login_context(mh_hsm_token *tok, CK_SESSION_HANDLE s, const char *keylabel)
{
    char what[192];
    snprintf(what, sizeof what, "key '%s' on token '%s'", keylabel, tok->label);
    pthread_mutex_lock(&tok->lock);
    int rc;
    if (tok->login_failed) {
        mh_err_set(MH_ERR_PIN_INCORRECT,
                   "%s: an earlier PIN was wrong; mohur does not try again by itself", what);
        rc = MH_ERR_PIN_INCORRECT;
    } else if (tok->login_src == SRC_CALLER) {
        mh_err_set(MH_ERR_PIN_REQUIRED,
                   "%s: this key asks for its PIN at every signature, and the PIN was given "
                   "by the caller only once; use pin-source=file:PATH",
                   what);
        rc = MH_ERR_PIN_REQUIRED;
    } else {
        rc = do_login(tok, s, CKU_CONTEXT_SPECIFIC, what);
    }
    pthread_mutex_unlock(&tok->lock);
    return rc;
}

static int login_common(mh_hsm_token *tok, int src)
{
    pthread_mutex_lock(&tok->lock);
    tok->want_login = true;
    tok->login_failed = false; /* the caller asked for this try */
    tok->login_src = src;
    bool done = tok->logged_in;
    pthread_mutex_unlock(&tok->lock);
    if (done)
        return 0;
    CK_SESSION_HANDLE s;
    unsigned long gen;
    int rc = mh_tok_borrow(tok, &s, &gen);
    if (rc)
        return rc;
    mh_tok_return(tok, s, gen, CKR_OK);
    return 0;
}

int mh_hsm_login(mh_hsm_token *tok)
{
    return login_common(tok, SRC_USER);
}

int mh_hsm_login_pin(mh_hsm_token *tok, const char *pin, size_t pin_len)
{
    caller_pin = pin;
    caller_pin_len = pin_len;
    caller_pin_set = true;
    int rc = login_common(tok, SRC_CALLER);
    caller_pin = NULL;
    caller_pin_len = 0;
    caller_pin_set = false;
    return rc;
}

bool mh_hsm_logged_in(mh_hsm_token *tok)
{
    pthread_mutex_lock(&tok->lock);
    bool r = tok->logged_in;
    pthread_mutex_unlock(&tok->lock);
    return r;
}

void mh_hsm_logout(mh_hsm_token *tok)
{
    pthread_mutex_lock(&tok->lock);
    if (tok->logged_in && tok->n_free > 0)
        tok->mod->f->C_Logout(tok->free_sessions[0]);
    tok->logged_in = false;
    tok->want_login = false;
    pthread_mutex_unlock(&tok->lock);
}
