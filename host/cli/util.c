/*
 * util.c - errors and exit codes, files, hex/base64/PEM for `mohur`.
 */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

const char *mh_cli_prog = "mohur";

/* ---- exit codes --------------------------------------------------------- */

int mh_cli_exit_code(int rc)
{
    /* No default: -Wswitch names any code added to enum mh_err later. */
    switch ((enum mh_err)rc) {
    case MH_OK:
        return MH_EXIT_OK;
    case MH_ERR_VERIFY_FAILED:
    case MH_ERR_CERT_EXPIRED:
    case MH_ERR_CERT_NOT_YET_VALID:
    case MH_ERR_CERT_REVOKED:
    case MH_ERR_CERT_UNTRUSTED:
    case MH_ERR_CERT_INVALID:
    case MH_ERR_CRL_MISSING:
    case MH_ERR_CRL_INVALID:
    case MH_ERR_POLICY:
    case MH_ERR_NAME_CONSTRAINTS:
    case MH_ERR_KEY_USAGE:
    case MH_ERR_CRITICAL_EXT:
    case MH_ERR_PATH_LEN:
    case MH_ERR_TIMESTAMP:
    case MH_ERR_PROOF_INVALID:
    case MH_ERR_LEDGER_FORK:
        return MH_EXIT_INVALID;
    case MH_ERR_LEDGER_CORRUPT:
    case MH_ERR_LEDGER_FULL:
    case MH_ERR_LEDGER_LOCKED:
    case MH_ERR_DISK_FULL:
        return MH_EXIT_STORAGE;
    case MH_ERR_INVALID_ARG:
    case MH_ERR_URI:
        return MH_EXIT_USAGE;
    case MH_ERR_IO:
    case MH_ERR_PARSE:
    case MH_ERR_TOO_LARGE:
    case MH_ERR_PERMISSION:
    case MH_ERR_DATA_INVALID:
    case MH_ERR_UNSUPPORTED_ALG:
    case MH_ERR_ALG_REFUSED:
    case MH_ERR_CMS:
        return MH_EXIT_INPUT;
    case MH_ERR_NOT_FOUND:      /* no such document, file, issuer, kind */
    case MH_ERR_ALREADY_EXISTS: /* already issued, revoked, registered */
        return MH_EXIT_INPUT;
    case MH_ERR_UNSUPPORTED:
    case MH_ERR_MODULE_LOAD:
    case MH_ERR_MODULE_NOT_ALLOWED:
    case MH_ERR_TOKEN_NOT_FOUND:
    case MH_ERR_TOKEN_AMBIGUOUS:
    case MH_ERR_TOKEN_REMOVED:
    case MH_ERR_TOKEN_FAILED:
    case MH_ERR_TOKEN_READ_ONLY:
    case MH_ERR_TOKEN_FULL:
    case MH_ERR_TOKEN_BUSY:
    case MH_ERR_KEY_NOT_FOUND:
    case MH_ERR_KEY_AMBIGUOUS:
    case MH_ERR_KEY_TYPE:
    case MH_ERR_MECHANISM:
    case MH_ERR_KEY_NOT_PERMITTED:
    case MH_ERR_SESSION:
    case MH_ERR_P11:
        return MH_EXIT_TOKEN;
    case MH_ERR_CANCELLED: /* the only thing a user cancels is a PIN prompt */
    case MH_ERR_PIN_INCORRECT:
    case MH_ERR_PIN_LOCKED:
    case MH_ERR_PIN_INVALID:
    case MH_ERR_PIN_EXPIRED:
    case MH_ERR_PIN_REQUIRED:
    case MH_ERR_PIN_IN_URI:
        return MH_EXIT_PIN;
    case MH_ERR_NOMEM:
    case MH_ERR_INTERNAL:
    case MH_ERR_BUFFER_TOO_SMALL:
    case MH_ERR_LAST_:
        return MH_EXIT_INTERNAL;
    }
    return MH_EXIT_INTERNAL;
}

bool mh_cli_json_errors;
static bool json_error_done;

/* With --json, an error is also a JSON object on standard output (once per
 * run: the first error is the one that ended the command). */
static void json_error(int exit_code, const char *msg)
{
    if (!mh_cli_json_errors || json_error_done)
        return;
    json_error_done = true;
    fflush(stdout);
    fputs("{\"error\": {\"exit\": ", stdout);
    fprintf(stdout, "%d, \"message\": ", exit_code);
    mh_json_escape(stdout, msg);
    fputs("}}\n", stdout);
    fflush(stdout);
}

/* One prefix for every message: "mohur: ". A message that begins with the
 * command's own name ("mohur issue: ...") loses it, so nothing reads
 * "mohur: mohur issue: ...". */
static const char *unprefixed(const char *msg)
{
    size_t n = strlen(mh_cli_prog);
    if (strncmp(msg, mh_cli_prog, n) == 0 && msg[n] == ':' && msg[n + 1] == ' ')
        return msg + n + 2;
    if (strncmp(msg, "mohur: ", 7) == 0)
        return msg + 7;
    return msg;
}

int mh_cli_fail(int rc, const char *fmt, ...)
{
    char what[600], msg[1200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    /* The PIN_IN_URI sentence is fixed on purpose: no detail that could
     * quote the URI text. */
    snprintf(msg, sizeof msg, "%s: %s", unprefixed(what),
             rc == MH_ERR_PIN_IN_URI ? mh_strerror(rc) : mh_err_message(rc));
    fprintf(stderr, "mohur: %s\n", msg);
    mh_err_clear();
    json_error(mh_cli_exit_code(rc), msg);
    return mh_cli_exit_code(rc);
}

int mh_cli_error(int code, const char *fmt, ...)
{
    char msg[1200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fprintf(stderr, "mohur: %s\n", unprefixed(msg));
    json_error(code, unprefixed(msg));
    return code;
}

int mh_cli_usage(const char *fmt, ...)
{
    char msg[1200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fprintf(stderr, "mohur: %s\nTry '%s --help' for more information.\n", unprefixed(msg),
            mh_cli_prog);
    json_error(MH_EXIT_USAGE, msg);
    return MH_EXIT_USAGE;
}

/* ---- files -------------------------------------------------------------- */

static const char *shown(const char *path)
{
    return (!path || strcmp(path, "-") == 0) ? "standard input" : path;
}

static int read_file(const char *path, size_t cap, uint8_t **out, size_t *outlen, bool regular);

int mh_cli_read_file(const char *path, size_t cap, uint8_t **out, size_t *outlen)
{
    return read_file(path, cap, out, outlen, false);
}

int mh_cli_read_regular(const char *path, size_t cap, uint8_t **out, size_t *outlen)
{
    return read_file(path, cap, out, outlen, true);
}

static int read_file(const char *path, size_t cap, uint8_t **out, size_t *outlen, bool regular)
{
    int rc;
    if (strcmp(path, "-") != 0) {
        rc = mh_file_read(path, cap, regular ? MH_FILE_REGULAR : MH_FILE_ANY, out, outlen);
    } else if (regular) {
        mh_err_set(MH_ERR_IO, "reading standard input: it is not a regular file (a pipe, socket or "
                              "device); give a file");
        rc = MH_ERR_IO;
    } else {
        rc = mh_file_read_fd(STDIN_FILENO, shown(path), cap, out, outlen);
    }
    if (rc == MH_OK)
        return MH_EXIT_OK;
    /* the sentence names the file and the reason; print it as it is */
    int code = rc == MH_ERR_NOMEM ? MH_EXIT_INTERNAL : MH_EXIT_INPUT;
    mh_cli_error(code, "%s", mh_err_message(rc));
    mh_err_clear();
    return code;
}

int mh_cli_write_file(const char *path, const void *data, size_t len, unsigned mode)
{
    const uint8_t *p = data;
    if (path && strcmp(path, "-") != 0) {
        /* a temp file and a rename: a symlink planted at path is replaced,
         * never written through */
        int rc = mh_file_write_atomic(path, data, len, mode);
        return rc ? mh_cli_fail(rc, "writing %s", path) : MH_EXIT_OK;
    }
    fflush(stdout);
    while (len > 0) {
        ssize_t w = write(STDOUT_FILENO, p, len);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return mh_cli_error(MH_EXIT_INPUT, "writing standard output: %s", strerror(errno));
        }
        p += w;
        len -= (size_t)w;
    }
    return MH_EXIT_OK;
}

int mh_cli_read_pin_file(const char *path, char *pin, size_t cap)
{
    int rc = mh_file_read_pin(path, pin, cap, NULL);
    return rc ? mh_cli_fail(rc, "reading the PIN file %s", path) : MH_EXIT_OK;
}

/* ---- encodings ---------------------------------------------------------- */

int mh_cli_hex_decode(const char *hex, uint8_t *out, size_t cap, size_t *len)
{
    size_t n = 0;
    int hi = -1;

    *len = 0;
    if (hex[0] == '0' && (hex[1] == 'x' || hex[1] == 'X'))
        hex += 2;
    for (const char *p = hex; *p; p++) {
        if (*p == ':' && hi < 0)
            continue;
        int v = mh_hexval((unsigned char)*p);
        if (v < 0)
            return MH_ERR_PARSE;
        if (hi < 0) {
            hi = v;
            continue;
        }
        if (n >= cap)
            return MH_ERR_TOO_LARGE;
        out[n++] = (uint8_t)(hi << 4 | v);
        hi = -1;
    }
    if (hi >= 0 || n == 0)
        return MH_ERR_PARSE;
    *len = n;
    return 0;
}

void mh_cli_hex_encode(const uint8_t *in, size_t len, char *out, size_t cap)
{
    mh_hex_encode(in, len, out, cap);
}

int mh_cli_base64(const uint8_t *in, size_t len, size_t wrap, char **out, size_t *olen)
{
    int ret = MH_ERR_NOMEM;
    unsigned char *flat = NULL;
    char *res = NULL;
    size_t need = 0, flen = 0;

    *out = NULL;
    *olen = 0;
    need = mh_base64_encoded_len(len);
    flat = malloc(need + 1);
    if (!flat)
        goto out;
    if (mh_base64_encode(in, len, (char *)flat, need + 1, &flen) != 0) {
        ret = MH_ERR_INTERNAL;
        goto out;
    }
    size_t lines = wrap ? flen / wrap + 1 : 0;
    res = malloc(flen + lines + 1);
    if (!res)
        goto out;
    size_t o = 0;
    for (size_t i = 0; i < flen; i++) {
        res[o++] = (char)flat[i];
        if (wrap && (i + 1) % wrap == 0)
            res[o++] = '\n';
    }
    if (wrap && (flen == 0 || flen % wrap != 0))
        res[o++] = '\n';
    res[o] = '\0';
    *out = res;
    res = NULL; /* transferred */
    *olen = o;
    ret = 0;
out:
    free(flat);
    free(res);
    return ret;
}

static bool is_b64(uint8_t c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
           c == '/' || c == '=';
}

static bool is_space(uint8_t c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

bool mh_cli_looks_base64(const uint8_t *in, size_t len)
{
    size_t chars = 0;
    for (size_t i = 0; i < len; i++) {
        if (is_b64(in[i]))
            chars++;
        else if (!is_space(in[i]))
            return false;
    }
    return chars > 0 && chars % 4 == 0;
}

int mh_cli_unbase64(const uint8_t *in, size_t len, uint8_t **out, size_t *olen)
{
    int ret = MH_ERR_NOMEM;
    uint8_t *flat = NULL, *res = NULL;
    size_t n = 0, rlen = 0;

    *out = NULL;
    *olen = 0;
    flat = malloc(len + 1);
    if (!flat)
        goto out;
    for (size_t i = 0; i < len; i++) {
        if (is_b64(in[i]))
            flat[n++] = in[i];
        else if (!is_space(in[i])) {
            ret = MH_ERR_PARSE;
            goto out;
        }
    }
    res = malloc(n / 4 * 3 + 3);
    if (!res)
        goto out;
    if (mh_base64_decode((const char *)flat, n, res, n / 4 * 3 + 3, &rlen) != 0) {
        ret = MH_ERR_PARSE;
        goto out;
    }
    *out = res;
    res = NULL; /* transferred */
    *olen = rlen;
    ret = 0;
out:
    free(flat);
    free(res);
    return ret;
}

int mh_cli_pem(const char *label, const uint8_t *der, size_t len, char **out, size_t *olen)
{
    int ret = MH_ERR_NOMEM;
    char *b64 = NULL, *res = NULL;
    size_t blen = 0;

    *out = NULL;
    *olen = 0;
    ret = mh_cli_base64(der, len, 64, &b64, &blen);
    if (ret)
        goto out;
    size_t cap = blen + 2 * strlen(label) + 64;
    res = malloc(cap);
    if (!res) {
        ret = MH_ERR_NOMEM;
        goto out;
    }
    int n = snprintf(res, cap, "-----BEGIN %s-----\n%s-----END %s-----\n", label, b64, label);
    if (n < 0 || (size_t)n >= cap) {
        ret = MH_ERR_INTERNAL;
        goto out;
    }
    *out = res;
    res = NULL; /* transferred */
    *olen = (size_t)n;
    ret = 0;
out:
    free(b64);
    free(res);
    return ret;
}

/* ---- names -------------------------------------------------------------- */

mbedtls_md_type_t mh_cli_hash_from_name(const char *name)
{
    if (strcmp(name, "sha256") == 0 || strcmp(name, "sha-256") == 0)
        return MBEDTLS_MD_SHA256;
    if (strcmp(name, "sha384") == 0 || strcmp(name, "sha-384") == 0)
        return MBEDTLS_MD_SHA384;
    if (strcmp(name, "sha512") == 0 || strcmp(name, "sha-512") == 0)
        return MBEDTLS_MD_SHA512;
    return MBEDTLS_MD_NONE;
}

bool mh_cli_alg_from_name(const char *name, enum mh_sig_alg *alg)
{
    enum mh_sig_alg a = mh_sig_alg_from_name(name);
    if ((int)a < 0 || a == MH_SIG_DSA) /* DSA is only ever recognised */
        return false;
    *alg = a;
    return true;
}

void mh_cli_trim(const char *in, char *out, size_t cap)
{
    size_t n = strnlen(in, cap - 1);
    while (n > 0 && (in[n - 1] == ' ' || in[n - 1] == '\0'))
        n--;
    memcpy(out, in, n);
    out[n] = '\0';
}

/* ---- the state directory ------------------------------------------------ */

const char *mh_cli_state_dir(void)
{
    const char *s = getenv("MOHUR_STATE_DIR");
    return (s && *s) ? s : "/var/lib/mohur";
}

void mh_cli_setup_env(void)
{
    char conf[4096];
    const char *cur = getenv("SOFTHSM2_CONF");

    if (cur && *cur)
        return;
    int n = snprintf(conf, sizeof conf, "%s/softhsm2.conf", mh_cli_state_dir());
    if (n < 0 || (size_t)n >= sizeof conf)
        return;
    if (access(conf, R_OK) == 0)
        setenv("SOFTHSM2_CONF", conf, 1);
}

/* ---- time --------------------------------------------------------------- */

void mh_cli_time_iso(uint64_t t, char *buf, size_t cap)
{
    struct tm tm;
    time_t tt = (time_t)t;
    if (t > 253402300799ull || !gmtime_r(&tt, &tm) ||
        strftime(buf, cap, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        snprintf(buf, cap, "%llu", (unsigned long long)t);
}

int mh_cli_parse_time(const char *s, bool end_of_day, int64_t *out)
{
    struct tm tm;
    unsigned y, mo, d, h = 0, mi = 0, se = 0;
    int n = 0, m = 0;
    memset(&tm, 0, sizeof tm);
    if (strlen(s) > 25 || sscanf(s, "%4u-%2u-%2u%n", &y, &mo, &d, &n) != 3 || n != 10)
        return MH_ERR_PARSE;
    bool date_only = s[n] == '\0';
    if (!date_only) {
        const char *p = s + n;
        if (*p != 'T' && *p != ' ')
            return MH_ERR_PARSE;
        p++;
        if (sscanf(p, "%2u:%2u%n", &h, &mi, &m) != 2 || m != 5)
            return MH_ERR_PARSE;
        p += m;
        if (*p == ':') {
            if (sscanf(p + 1, "%2u%n", &se, &m) != 1 || m != 2)
                return MH_ERR_PARSE;
            p += 3;
        }
        if (*p == 'Z')
            p++;
        if (*p || h > 23 || mi > 59 || se > 59)
            return MH_ERR_PARSE;
    }
    if (y < 1970 || y > 9999 || mo < 1 || mo > 12 || d < 1 || d > 31)
        return MH_ERR_PARSE;
    tm.tm_year = (int)y - 1900;
    tm.tm_mon = (int)mo - 1;
    tm.tm_mday = (int)d;
    tm.tm_hour = (int)h;
    tm.tm_min = (int)mi;
    tm.tm_sec = (int)se;
    time_t t = timegm(&tm);
    struct tm chk;
    if (t == (time_t)-1 || !gmtime_r(&t, &chk) || chk.tm_mday != (int)d ||
        chk.tm_mon != (int)mo - 1)
        return MH_ERR_PARSE; /* 2026-02-30 */
    *out = (int64_t)t + (date_only && end_of_day ? 86399 : 0);
    return MH_OK;
}
