/*
 * daemon_client.c - the CLI's writing commands through a running mohurd.
 *
 * mohurd holds the ledger for writing; while it runs, `mohur sign`,
 * `mohur issue` and `mohur revoke` send their request to it over its Unix
 * socket (STATE/mohurd.sock, mode 600; mohurd checks the peer's uid) with
 * the same HTTP API every client uses (docs/openapi.yaml), and print the
 * same results. When no mohurd answers there, the commands work directly,
 * as before. This file is the whole client side: a small HTTP/1.1 client
 * over AF_UNIX whose response reader is bounds-checked, and one function
 * per command.
 */
#include "cli.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "mh_app.h"
#include "mh_app_ext.h"
#include "mh_batch.h"

#define RESP_MAX ((size_t)1 << 30)

static int dial(int *out)
{
    struct sockaddr_un sa;
    memset(&sa, 0, sizeof sa);
    sa.sun_family = AF_UNIX;
    int n = snprintf(sa.sun_path, sizeof sa.sun_path, "%s/mohurd.sock", mh_cli_state_dir());
    if (n < 0 || (size_t)n >= sizeof sa.sun_path)
        return MH_ERR_NOT_FOUND;
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return MH_ERR_IO;
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        close(fd);
        return MH_ERR_NOT_FOUND;
    }
    *out = fd;
    return MH_OK;
}

/* A running mohurd (its pid file names a live mohurd) is told to reload:
 * SIGHUP, what `systemctl reload mohurd` sends. what: for the message. */
void mh_cli_daemon_reload(const char *what)
{
    char path[1200];
    snprintf(path, sizeof path, "%s/mohurd.pid", mh_cli_state_dir());
    FILE *f = fopen(path, "re");
    long pid = 0;
    if (!f)
        return;
    char comm[64] = "", cpath[64];
    if (fscanf(f, "%ld", &pid) == 1 && pid > 1) {
        /* only a live mohurd, not whatever process has that pid now */
        snprintf(cpath, sizeof cpath, "/proc/%ld/comm", pid);
        FILE *cf = fopen(cpath, "re");
        if (cf && !fgets(comm, sizeof comm, cf))
            comm[0] = 0;
        if (cf)
            fclose(cf);
    }
    if (strncmp(comm, "mohurd", 6) == 0 && kill((pid_t)pid, SIGHUP) == 0)
        fprintf(stderr, "mohur: mohurd (pid %ld) reloads %s\n", pid, what);
    fclose(f);
}

bool mh_cli_daemon_running(void)
{
    int fd;
    if (dial(&fd) != 0)
        return false;
    close(fd);
    return true;
}

static int write_all(int fd, const void *p, size_t n)
{
    const uint8_t *b = p;
    while (n) {
        ssize_t w = send(fd, b, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return MH_ERR_IO;
        b += w;
        n -= (size_t)w;
    }
    return MH_OK;
}

/* The response: status line, headers (Content-Length), body. */
static int parse_response(const char *r, size_t n, int *status, const char **body, size_t *blen)
{
    const char *end = NULL;
    for (size_t i = 0; i + 3 < n; i++)
        if (memcmp(r + i, "\r\n\r\n", 4) == 0) {
            end = r + i;
            break;
        }
    if (!end || n < 12 || memcmp(r, "HTTP/1.1 ", 9) != 0)
        return MH_ERR_PARSE;
    int s = 0;
    for (size_t i = 9; i < 12; i++) {
        if (r[i] < '0' || r[i] > '9')
            return MH_ERR_PARSE;
        s = s * 10 + (r[i] - '0');
    }
    size_t hlen = (size_t)(end - r) + 4;
    *status = s;
    *body = r + hlen;
    *blen = n - hlen;
    /* Content-Length, when given, must be what came (Connection: close) */
    for (const char *p = r; p < end; p++) {
        if ((size_t)(end - p) > 16 && strncasecmp(p, "\r\nContent-Length:", 17) == 0) {
            unsigned long long v = 0;
            const char *q = p + 17;
            while (q < end && *q == ' ')
                q++;
            if (q == end || *q < '0' || *q > '9')
                return MH_ERR_PARSE;
            while (q < end && *q >= '0' && *q <= '9' && v < RESP_MAX)
                v = v * 10 + (unsigned)(*q++ - '0');
            if (v != *blen)
                return MH_ERR_PARSE;
        }
    }
    return MH_OK;
}

/* One request; *resp (malloc'd, NUL-terminated JSON) and the status. */
static int call(const char *method, const char *path, const char *body, size_t len, int *status,
                json_t **resp)
{
    int fd = -1, rc;
    char head[1200];
    char *buf = NULL;
    size_t n = 0, cap = 0;
    *resp = NULL;
    if ((rc = dial(&fd)) != 0) {
        mh_err_set(MH_ERR_IO, "mohurd stopped answering on %s/mohurd.sock", mh_cli_state_dir());
        return MH_ERR_IO;
    }
    int hl = snprintf(head, sizeof head,
                      "%s %s HTTP/1.1\r\nHost: mohurd\r\nConnection: close\r\nContent-Type: "
                      "application/json\r\nContent-Length: %zu\r\n\r\n",
                      method, path, len);
    if (hl < 0 || (size_t)hl >= sizeof head) {
        close(fd);
        return MH_ERR_TOO_LARGE;
    }
    if ((rc = write_all(fd, head, (size_t)hl)) != 0 || (len && (rc = write_all(fd, body, len))))
        goto out;
    for (;;) {
        if (n + 65536 + 1 > cap) {
            if (cap >= RESP_MAX) {
                rc = MH_ERR_TOO_LARGE;
                goto out;
            }
            cap = cap ? cap * 2 : 131072;
            char *nb = realloc(buf, cap);
            if (!nb) {
                rc = MH_ERR_NOMEM;
                goto out;
            }
            buf = nb;
        }
        ssize_t r = recv(fd, buf + n, cap - n - 1, 0);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            rc = MH_ERR_IO;
            goto out;
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    const char *b;
    size_t blen;
    if (!buf || (rc = parse_response(buf, n, status, &b, &blen)) != 0) {
        mh_err_set(MH_ERR_PARSE, "mohurd's answer could not be read");
        rc = MH_ERR_PARSE;
        goto out;
    }
    json_error_t je;
    *resp = json_loadb(b, blen, 0, &je);
    if (!json_is_object(*resp)) {
        json_decref(*resp);
        *resp = NULL;
        mh_err_set(MH_ERR_PARSE, "mohurd answered %d without a JSON object", *status);
        rc = MH_ERR_PARSE;
        goto out;
    }
    rc = MH_OK;
out:
    if (rc == MH_ERR_IO)
        mh_err_set(rc, "the connection to mohurd broke (%s); the request may not have completed",
                   strerror(errno));
    free(buf);
    close(fd);
    return rc;
}

/* mohurd's error as this command's error: its sentence, an MH_ERR_* code
 * for the exit status. */
static int daemon_error(int status, json_t *r)
{
    const char *msg = json_string_value(json_object_get(json_object_get(r, "error"), "message"));
    int code;
    switch (status) {
    case 400:
    case 413:
    case 415:
        code = MH_ERR_INVALID_ARG;
        break;
    case 401:
    case 403:
        code = MH_ERR_PERMISSION;
        break;
    case 404:
        code = MH_ERR_NOT_FOUND;
        break;
    case 409:
        code = MH_ERR_ALREADY_EXISTS;
        break;
    case 503:
        code = MH_ERR_TOKEN_FAILED;
        break;
    default:
        code = MH_ERR_INTERNAL;
        break;
    }
    return mh_err_set(code, "%s", msg ? msg : "mohurd refused the request");
}

static char *b64(const uint8_t *p, size_t n)
{
    size_t cap = mh_base64_encoded_len(n) + 1;
    char *s = malloc(cap);
    if (s && mh_base64_encode(p, n, s, cap, NULL) != 0) {
        free(s);
        return NULL;
    }
    return s;
}

/* What the 202 showed the key would sign (mh_app_ext.h), kept to check
 * the document that comes back; the buffers are malloc'd. */
typedef struct ext_shown {
    mh_app_shown t;
    uint8_t *dig, *sattrs, *app;
} ext_shown;

static void ext_shown_free(ext_shown *x)
{
    free(x->dig);
    free(x->sattrs);
    free(x->app);
    memset(x, 0, sizeof *x);
}

/* The signed attributes and the content they cover, from the 202: the
 * document sent (doc) with mohurd's update appended. */
static int ext_read_shown(json_t *sign, const uint8_t *doc, size_t doc_len, ext_shown *x)
{
    mh_app_shown *t = &x->t;
    json_t *content = json_object_get(sign, "content");
    json_t *dl = json_object_get(content, "document_length");
    json_t *range = json_object_get(content, "byte_range");
    const char *sa = json_string_value(json_object_get(sign, "signed_attributes"));
    const char *ap = json_string_value(json_object_get(content, "appended"));
    t->doc = doc;
    t->doc_len = doc_len;
    if (!sa || !json_is_integer(dl) || json_integer_value(dl) < 0 ||
        mh_cli_unbase64((const uint8_t *)sa, strlen(sa), &x->sattrs, &t->sattrs_len) != 0 ||
        (ap && mh_cli_unbase64((const uint8_t *)ap, strlen(ap), &x->app, &t->appended_len) != 0))
        return mh_err_set(MH_ERR_VERIFY_FAILED,
                          "mohurd did not show what it asks the key to sign (signed attributes "
                          "and content): nothing was signed");
    t->sattrs = x->sattrs;
    t->appended = x->app;
    t->doc_prefix = (size_t)json_integer_value(dl);
    if (range) {
        t->has_range = json_array_size(range) == 4;
        for (size_t i = 0; i < 4 && t->has_range; i++) {
            json_t *v = json_array_get(range, i);
            t->has_range = json_is_integer(v) && json_integer_value(v) >= 0;
            t->range[i] = t->has_range ? (uint64_t)json_integer_value(v) : 0;
        }
        if (!t->has_range)
            return mh_err_set(MH_ERR_VERIFY_FAILED,
                              "mohurd showed a byte range that is not four offsets: nothing was "
                              "signed");
    }
    return MH_OK;
}

/* The digest mohurd asked an external key for (a 202), checked against
 * what the 202 shows (the document sent, doc; kept in *x) and signed with
 * it: the body of POST /api/v1/documents/signature. */
static int ext_signature(const mh_app_signer *ext, json_t *need, const uint8_t *doc, size_t doc_len,
                         ext_shown *x, char **body)
{
    json_t *sign = json_object_get(need, "sign");
    const char *sess = json_string_value(json_object_get(need, "session"));
    const char *d64 = json_string_value(json_object_get(sign, "digest"));
    const char *alg = json_string_value(json_object_get(sign, "digest_algorithm"));
    uint8_t sig[MH_SIG_MAX];
    size_t sl = 0;
    char *s64 = NULL;
    int rc;
    *body = NULL;
    if (!sess || !d64 || !alg ||
        mh_cli_unbase64((const uint8_t *)d64, strlen(d64), &x->dig, &x->t.digest_len) != 0)
        return mh_err_set(MH_ERR_PARSE, "mohurd asked for a signature in a form not understood");
    x->t.digest = x->dig;
    x->t.md = strcmp(alg, "sha256") == 0   ? MBEDTLS_MD_SHA256
              : strcmp(alg, "sha384") == 0 ? MBEDTLS_MD_SHA384
              : strcmp(alg, "sha512") == 0 ? MBEDTLS_MD_SHA512
                                           : MBEDTLS_MD_NONE;
    if (x->t.md == MBEDTLS_MD_NONE)
        return mh_err_set(MH_ERR_PARSE, "mohurd asked for a signature with hash '%s'", alg);
    /* the key signs only what it was shown: the document sent */
    if ((rc = ext_read_shown(sign, doc, doc_len, x)) != 0 || (rc = mh_app_shown_check(&x->t)) != 0)
        return rc;
    rc = mh_signer_sign(mh_app_signer_key(ext), x->t.md, x->t.digest, x->t.digest_len, MH_SIG_RAW,
                        sig, sizeof sig, &sl);
    if (rc)
        return rc;
    if (!(s64 = b64(sig, sl)))
        return MH_ERR_NOMEM;
    json_t *o = json_pack("{s:s,s:s}", "session", sess, "signature", s64);
    free(s64);
    *body = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    return *body ? MH_OK : MH_ERR_NOMEM;
}

/* The files of a 201 written under out: a signed PDF at out, or out.p7s,
 * .qr.png, .qr.svg and .receipt. With an external key (shown), the PDF or
 * the .p7s must be what the key was shown and signed, or nothing is
 * written. */
static int deliver(json_t *files, const char *out, const ext_shown *shown, const uint8_t *cert,
                   size_t cert_len)
{
    static const char *const k[] = {"pdf", "p7s", "qr_png", "qr_svg", "receipt"};
    static const char *const suffix[] = {"", ".p7s", ".qr.png", ".qr.svg", ".receipt"};
    uint8_t *data[5] = {NULL};
    size_t len[5] = {0};
    bool pdf = json_object_get(files, "pdf") != NULL;
    size_t first = pdf ? 0 : 1, end = pdf ? 1 : 5;
    int rc = MH_OK;
    for (size_t i = first; i < end && rc == 0; i++) {
        const char *text = json_string_value(json_object_get(files, k[i]));
        rc = text ? mh_cli_unbase64((const uint8_t *)text, strlen(text), &data[i], &len[i])
                  : MH_ERR_PARSE;
    }
    if (rc == 0 && shown)
        rc = mh_app_made_check(&shown->t, data[first], len[first], cert, cert_len);
    for (size_t i = first; i < end && rc == 0; i++) {
        char p[4200];
        snprintf(p, sizeof p, "%s%s", out, suffix[i]);
        rc = mh_file_write_atomic(p, data[i], len[i], 0644);
    }
    for (size_t i = 0; i < 5; i++)
        free(data[i]);
    return rc;
}

int mh_cli_daemon_sign(const mh_app_issue_req *req, const char *kind_id, const char *issuer,
                       const mh_app_signer *ext, const char *out, mh_app_issue_res *res)
{
    json_t *o = json_object(), *f = json_object(), *r = NULL;
    int status = 0, rc = MH_ERR_NOMEM;
    char *doc = NULL, *body = NULL;
    uint8_t *cert = NULL;
    size_t cl = 0;
    ext_shown shown;
    memset(&shown, 0, sizeof shown);
    memset(res, 0, sizeof *res);
    if (!o || !f)
        goto out;
    for (size_t i = 0; i < req->nfields; i++)
        json_object_set_new(f, req->fields[i].id, json_string(req->fields[i].value));
    if (kind_id)
        json_object_set_new(o, "kind", json_string(kind_id));
    if (issuer)
        json_object_set_new(o, "issuer", json_string(issuer));
    if (req->doc_id)
        json_object_set_new(o, "doc_id", json_string(req->doc_id));
    json_object_set(o, "fields", f);
    if (!(doc = b64(req->doc, req->doc_len)))
        goto out;
    json_object_set_new(o, "document", json_string(doc));
    if (ext) {
        char *c64 = NULL;
        if ((rc = mh_app_signer_cert(ext, &cert, &cl)) != 0)
            goto out;
        c64 = b64(cert, cl);
        rc = MH_ERR_NOMEM;
        if (!c64)
            goto out;
        json_object_set_new(o, "certificate", json_string(c64));
        free(c64);
    }
    if (!(body = json_dumps(o, JSON_COMPACT)))
        goto out;
    if ((rc = call("POST", "/api/v1/documents", body, strlen(body), &status, &r)) != 0)
        goto out;
    /* an external key: the one digest of a first signature, signed here
     * once it is shown to be this document's; a second is refused */
    for (int round = 0; ext && status == 202; round++) {
        free(body);
        body = NULL;
        if (round > 0) {
            rc = mh_err_set(MH_ERR_VERIFY_FAILED,
                            "mohurd asked for a second signature for one document: refused (a "
                            "first signature needs one)");
            goto out;
        }
        if ((rc = ext_signature(ext, r, req->doc, req->doc_len, &shown, &body)) != 0)
            goto out;
        json_decref(r);
        r = NULL;
        if ((rc = call("POST", "/api/v1/documents/signature", body, strlen(body), &status, &r)) !=
            0)
            goto out;
    }
    if (status != 200 && status != 201) {
        rc = daemon_error(status, r);
        res->voided = json_is_true(json_object_get(r, "voided"));
        snprintf(res->url, sizeof res->url, "%s",
                 json_string_value(json_object_get(r, "receipt_url"))
                     ? json_string_value(json_object_get(r, "receipt_url"))
                     : "");
        goto out;
    }
    const char *s;
    snprintf(res->doc_id, sizeof res->doc_id, "%s",
             (s = json_string_value(json_object_get(r, "doc_id"))) ? s : "");
    snprintf(res->url, sizeof res->url, "%s",
             (s = json_string_value(json_object_get(r, "url"))) ? s : "");
    res->log_index = (uint64_t)json_integer_value(json_object_get(r, "log_index"));
    res->qr_version = (unsigned)json_integer_value(json_object_get(r, "qr_version"));
    res->resumed = json_is_true(json_object_get(r, "resumed"));
    res->cosigned = json_is_true(json_object_get(r, "cosigned"));
    res->pdf = json_object_get(json_object_get(r, "files"), "pdf") != NULL;
    rc = deliver(json_object_get(r, "files"), out, ext ? &shown : NULL, cert, cl);
    if (rc == MH_ERR_VERIFY_FAILED) {
        char why[700];
        snprintf(why, sizeof why, "%s", mh_err_message(rc));
        mh_err_set(rc, "%s: nothing was written; the key's signature is in document '%s'", why,
                   res->doc_id);
    } else if (rc)
        mh_err_set(rc,
                   "document '%s' was issued, but writing it to %s failed: %s; sign again to get "
                   "it (the same document is not issued twice)",
                   res->doc_id, out, mh_strerror(rc));
out:
    free(doc);
    free(body);
    free(cert);
    ext_shown_free(&shown);
    json_decref(f);
    json_decref(o);
    json_decref(r);
    return rc;
}

int mh_cli_daemon_revoke(const char *doc_id, unsigned reason, mh_ledger_status *st)
{
    char path[400], body[100];
    json_t *r = NULL;
    int status = 0;
    memset(st, 0, sizeof *st);
    /* the id goes in the path: only what a document id may hold, escaped */
    size_t o = (size_t)snprintf(path, sizeof path, "/api/v1/documents/");
    for (const unsigned char *p = (const unsigned char *)doc_id; *p && o + 4 < sizeof path; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
            strchr("/-._~", *p))
            path[o++] = (char)*p;
        else
            o += (size_t)snprintf(path + o, sizeof path - o, "%%%02X", *p);
    }
    if (o + 8 >= sizeof path)
        return MH_ERR_TOO_LARGE;
    snprintf(path + o, sizeof path - o, "/revoke");
    snprintf(body, sizeof body, "{\"reason\":\"%s\"}", mh_app_reason_name(reason));
    int rc = call("POST", path, body, strlen(body), &status, &r);
    if (rc == 0 && status != 200)
        rc = daemon_error(status, r);
    if (rc == 0) {
        st->revoked = true;
        st->reason = reason;
        st->revoke_index = (uint64_t)json_integer_value(json_object_get(r, "revoke_index"));
        st->revoke_time = (uint64_t)json_integer_value(json_object_get(r, "revoked_at"));
    }
    json_decref(r);
    return rc;
}

static size_t num(json_t *o, const char *k)
{
    json_int_t v = json_integer_value(json_object_get(o, k));
    return v > 0 ? (size_t)v : 0;
}

int mh_cli_daemon_batch(const char *kind_id, const char *issuer, const char *roster,
                        const char *out_dir, bool progress, mh_batch_stats *st)
{
    uint8_t *text = NULL;
    size_t len = 0;
    char abs_out[4096], path[64], last[600] = "";
    json_t *o = NULL, *r = NULL;
    int status = 0, rc;
    struct timespec t0, t1;
    memset(st, 0, sizeof *st);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (mh_cli_read_regular(roster, (size_t)256 << 20, &text, &len) != 0)
        return MH_ERR_IO;
    if (!realpath(out_dir, abs_out)) {
        free(text);
        mh_err_set(MH_ERR_IO, "the output directory %s: %s", out_dir, strerror(errno));
        return MH_ERR_IO;
    }
    size_t rl = strlen(roster);
    o = json_pack("{s:s,s:s%,s:s,s:s}", "kind", kind_id, "roster", (const char *)text, len,
                  "format", rl > 5 && strcmp(roster + rl - 5, ".json") == 0 ? "json" : "csv",
                  "out_dir", abs_out);
    free(text);
    if (o && issuer)
        json_object_set_new(o, "issuer", json_string(issuer));
    char *body = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    if (!body)
        return MH_ERR_NOMEM;
    rc = call("POST", "/api/v1/batches", body, strlen(body), &status, &r);
    free(body);
    if (rc == 0 && status != 202)
        rc = daemon_error(status, r);
    if (rc) {
        json_decref(r);
        return rc;
    }
    snprintf(path, sizeof path, "/api/v1/batches/%zu", num(r, "id"));
    if (progress)
        fprintf(stderr, "%s: mohurd runs the batch (%s)\n", mh_cli_prog, path);
    for (;;) {
        json_decref(r);
        r = NULL;
        if ((rc = call("GET", path, NULL, 0, &status, &r)) != 0)
            return rc;
        if (status != 200) {
            rc = daemon_error(status, r);
            json_decref(r);
            return rc;
        }
        const char *state = json_string_value(json_object_get(r, "state"));
        const char *msg = json_string_value(json_object_get(r, "message"));
        if (progress && msg && strcmp(msg, last) != 0) {
            fprintf(stderr, "%s\n", msg);
            snprintf(last, sizeof last, "%s", msg);
        }
        if (!state || strcmp(state, "running") != 0)
            break;
        struct timespec ts = {0, 200 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    st->rows = num(r, "rows");
    st->issued = num(r, "issued");
    st->already = num(r, "already");
    st->remade = num(r, "remade");
    st->bad = num(r, "bad");
    st->conflicts = num(r, "conflicts");
    st->voided = num(r, "voided");
    st->failed = num(r, "failed");
    st->seconds = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    const char *state = json_string_value(json_object_get(r, "state"));
    if (state && strcmp(state, "failed") == 0) {
        st->fatal = MH_ERR_TOKEN_FAILED;
        snprintf(st->fatal_msg, sizeof st->fatal_msg, "%s",
                 json_string_value(json_object_get(r, "message"))
                     ? json_string_value(json_object_get(r, "message"))
                     : "the batch failed in mohurd");
    }
    json_decref(r);
    return MH_OK;
}
