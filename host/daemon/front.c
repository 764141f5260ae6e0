/*
 * front.c - mohurd's front process: the HTTP API (docs/daemon.md,
 * docs/openapi.yaml) on libmicrohttpd. It opens what it needs while it can
 * (the appliance read-only, the credentials, the tiles directory, the TLS
 * files), drops to an unprivileged user, installs its seccomp filter, and
 * only then starts serving. It parses requests, authenticates, checks the
 * role, and calls one service: verification and the log's reads here, on
 * the read-only ledger; issuing, revoking and batches in the ledger process
 * over IPC. It holds no key and cannot write a file.
 */
#define _GNU_SOURCE
#include "mohurd.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <netinet/in.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <jansson.h>
#include <microhttpd.h>

#include "mh_app.h"
#include "mh_doc.h"
#include "mh_hash.h"
#include "mh_ledger.h"
#include "mh_web.h"

/* ---- state ------------------------------------------------------------------ */

enum {
    ROLE_ADMIN = 1,
    ROLE_ISSUER = 2,
    ROLE_NOTARY = 4,
    ROLE_AUDITOR = 8,
    ROLE_ANY = 15,
};

typedef struct listener {
    size_t index;
    bool tls, local, unix_sock;
    struct MHD_Daemon *d;
} listener;

typedef struct bucket {
    pthread_mutex_t m;
    double tokens, last;
} bucket;

typedef struct centry {
    uint8_t key[32];
    uint64_t size;
    double at;
    bool used;
    char *json, *html;
    size_t jlen, hlen;
} centry;

#define CACHE_STRIPES 64

static struct front {
    mhd_conf *c;
    mh_app *app;
    mh_app_credential *creds;
    size_t ncreds;
    bucket *buckets;
    int tiles_fd;
    uid_t state_uid;
    mhd_pool ledger;
    listener ls[MHD_LISTEN_MAX];
    size_t nls;
    char *tls_cert, *tls_key, *tls_ca;
    centry *cache;
    size_t ncache;
    mh_web *web;           /* the verification page (host/web) */
    mh_app_follow *follow; /* other registries' logs, offline (NULL: none followed) */
    int follow_fd;
    pthread_mutex_t cache_lock[CACHE_STRIPES];
    atomic_bool draining;
} F;

/* ---- metrics ------------------------------------------------------------------ */

static const char *const route_names[] = {"none",   "healthz", "readyz", "metrics", "V",
                                          "tiles",  "log",     "whoami", "verify",  "issue",
                                          "status", "revoke",  "batch",  "cosign",  "cosign_party"};
#define NROUTES (sizeof route_names / sizeof route_names[0])
static const int statuses[] = {200, 201, 202, 400, 401, 403, 404, 405,
                               409, 413, 415, 429, 500, 503, 504, 0};
#define NSTATUS (sizeof statuses / sizeof statuses[0])
static const double lat_le[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                0.1,    0.25,  0.5,    1,     2.5,  10};
#define NLAT (sizeof lat_le / sizeof lat_le[0])

static struct {
    atomic_ullong count[NROUTES][NSTATUS];
    atomic_ullong lat[NROUTES][NLAT + 1];
    atomic_ullong lat_sum_us[NROUTES];
    atomic_ullong cache_hits, cache_misses, rate_limited, auth_failures;
} M;

static size_t status_slot(int s)
{
    for (size_t i = 0; i + 1 < NSTATUS; i++)
        if (statuses[i] == s)
            return i;
    return NSTATUS - 1;
}

/* ---- requests ------------------------------------------------------------------ */

struct req;
typedef enum MHD_Result (*route_fn)(struct MHD_Connection *c, struct req *r, const char *url);

typedef struct route {
    const char *method;
    const char *path;
    bool prefix;
    const char *suffix; /* a prefix route that must end so */
    unsigned roles;     /* 0: public */
    int body;           /* 0 none, 1 JSON (max_json), 2 upload (max_body) */
    route_fn fn;
    size_t metric;
    bool async; /* waits on another process: run off libmicrohttpd's threads */
} route;

typedef struct req {
    const listener *L;
    const route *rt;
    char *body;
    size_t len, cap, max;
    bool too_big;
    int status;
    double t0;
    const mh_app_credential *who;
    size_t who_index;
    unsigned roles;
    char requester[MHD_REQUESTER_MAX + 1];
    bool local_admin;
    /* async routes: the connection is suspended while a worker runs the
     * route; its answer waits here until libmicrohttpd calls again */
    bool deferred;
    struct MHD_Response *resp;
    struct MHD_Connection *conn;
    char url[1100];
    struct req *next;
} req;

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Every answer's headers, then queued (or kept for a deferred request). */
static enum MHD_Result answer(struct MHD_Connection *c, req *r, int status, const char *ctype,
                              struct MHD_Response *resp, const char *cache)
{
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, cache ? cache : "no-store");
    if (strncmp(ctype, "text/html", 9) == 0)
        MHD_add_response_header(resp, "Content-Security-Policy",
                                "default-src 'none'; frame-ancestors 'none'");
    if (r->L->tls)
        MHD_add_response_header(resp, "Strict-Transport-Security",
                                "max-age=31536000; includeSubDomains");
    if (F.draining) /* finish this one, then the client reconnects to the new front */
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
    if (status == 401)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer realm=\"mohurd\"");
    if (status == 429 || status == 503)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, "1");
    if (status == 405 && r->rt)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, r->rt->method);
    r->status = status;
    if (r->deferred) {
        /* a worker's answer: queued when libmicrohttpd resumes the request */
        if (r->resp)
            MHD_destroy_response(r->resp);
        r->resp = resp;
        return MHD_YES;
    }
    enum MHD_Result ret = MHD_queue_response(c, (unsigned)status, resp);
    MHD_destroy_response(resp);
    return ret;
}

static enum MHD_Result reply(struct MHD_Connection *c, req *r, int status, const char *ctype,
                             const void *body, size_t len, const char *cache)
{
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
    return resp ? answer(c, r, status, ctype, resp, cache) : MHD_NO;
}

/* An answer whose buffer is handed over (malloc'd; freed by libmicrohttpd). */
static enum MHD_Result reply_owned(struct MHD_Connection *c, req *r, int status, const char *ctype,
                                   char *body, size_t len)
{
    struct MHD_Response *resp = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
    if (!resp) {
        free(body);
        return MHD_NO;
    }
    return answer(c, r, status, ctype, resp, NULL);
}

static enum MHD_Result reply_json(struct MHD_Connection *c, req *r, int status, json_t *o)
{
    char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    if (!s)
        return reply(c, r, 500, "application/json", "{\"error\":{\"status\":500}}", 24, NULL);
    size_t n = strlen(s);
    s[n] = 0;
    enum MHD_Result ret = reply(c, r, status, "application/json", s, n, NULL);
    free(s);
    return ret;
}

static enum MHD_Result fail(struct MHD_Connection *c, req *r, int status, const char *msg)
{
    json_t *e = json_pack("{s:{s:i,s:s}}", "error", "status", status, "message", msg);
    return reply_json(c, r, status, e);
}

static enum MHD_Result fail_err(struct MHD_Connection *c, req *r, int err)
{
    return fail(c, r, mhd_http_status(err), mh_err_message(err));
}

/* ---- authentication, roles, rate limits --------------------------------------- */

static unsigned role_bit(const char *role)
{
    if (strcmp(role, "admin") == 0)
        return ROLE_ADMIN;
    if (strcmp(role, "issuer") == 0)
        return ROLE_ISSUER;
    if (strcmp(role, "notary") == 0)
        return ROLE_NOTARY;
    if (strcmp(role, "auditor") == 0)
        return ROLE_AUDITOR;
    return 0;
}

static void set_who(req *r, const mh_app_credential *who)
{
    r->who = who;
    r->who_index = (size_t)(who - F.creds);
    r->roles = role_bit(who->role);
    snprintf(r->requester, sizeof r->requester, "%s:%s", who->is_cert ? "cert" : "token", who->id);
}

static bool tls_client(struct MHD_Connection *c, req *r)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_GNUTLS_SESSION);
    if (!ci || !ci->tls_session)
        return false;
    gnutls_session_t s = (gnutls_session_t)ci->tls_session;
    unsigned status = 0, n = 0;
    const gnutls_datum_t *certs = gnutls_certificate_get_peers(s, &n);
    if (!certs || n == 0)
        return false;
    if (gnutls_certificate_verify_peers2(s, &status) != 0 || status != 0)
        return false;
    const mh_app_credential *who = NULL;
    if (mh_app_cred_find_cert(F.creds, F.ncreds, certs[0].data, certs[0].size, &who) != 0)
        return false;
    set_who(r, who);
    return true;
}

/* 0: nobody (public routes only); 1: known; -1: a credential that is wrong */
static int authenticate(struct MHD_Connection *c, req *r)
{
    const char *h = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
    if (h) {
        const mh_app_credential *who = NULL;
        if (strncasecmp(h, "Bearer ", 7) != 0 ||
            mh_app_cred_find_token(F.creds, F.ncreds, h + 7, &who) != 0)
            return -1;
        set_who(r, who);
        return 1;
    }
    if (r->L->tls && tls_client(c, r))
        return 1;
    if (r->L->local) {
        /* the CLI on this machine: root or the state directory's owner */
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
        struct ucred uc;
        socklen_t ul = sizeof uc;
        if (ci && getsockopt(ci->connect_fd, SOL_SOCKET, SO_PEERCRED, &uc, &ul) == 0 &&
            (uc.uid == 0 || uc.uid == F.state_uid)) {
            r->roles = ROLE_ADMIN;
            r->local_admin = true;
            snprintf(r->requester, sizeof r->requester, "uid:%u", (unsigned)uc.uid);
            return 1;
        }
    }
    return 0;
}

static bool rate_ok(req *r)
{
    if (!r->who)
        return true;
    bucket *b = &F.buckets[r->who_index];
    double rate = r->who->rate ? r->who->rate : F.c->rate, now = now_s();
    bool ok;
    pthread_mutex_lock(&b->m);
    if (b->last == 0) {
        b->tokens = 2 * rate;
        b->last = now;
    }
    b->tokens += (now - b->last) * rate;
    if (b->tokens > 2 * rate)
        b->tokens = 2 * rate;
    b->last = now;
    ok = b->tokens >= 1;
    if (ok)
        b->tokens -= 1;
    pthread_mutex_unlock(&b->m);
    return ok;
}

/* ---- small helpers --------------------------------------------------------------- */

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

static int unb64(const char *s, uint8_t **out, size_t *len)
{
    size_t sl = strlen(s), olen = 0;
    *out = malloc(sl / 4 * 3 + 3);
    if (!*out)
        return MH_ERR_NOMEM;
    if (mh_base64_decode(s, sl, *out, sl / 4 * 3 + 3, &olen) != 0) {
        free(*out);
        *out = NULL;
        mh_err_set(MH_ERR_PARSE, "the document is not valid base64");
        return MH_ERR_PARSE;
    }
    *len = olen;
    return MH_OK;
}

static bool query_u64(struct MHD_Connection *c, const char *k, uint64_t *v, bool required)
{
    const char *s = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, k);
    if (!s)
        return !required;
    char *end;
    errno = 0;
    unsigned long long x = strtoull(s, &end, 10);
    if (errno || end == s || *end || s[0] == '-' || s[0] == '+')
        return false;
    *v = x;
    return true;
}

static json_t *parse_body(req *r, char *why, size_t cap)
{
    json_error_t je;
    if (!r->body || r->len == 0) {
        snprintf(why, cap, "the request needs a JSON body");
        return NULL;
    }
    json_t *o = json_loadb(r->body, r->len, JSON_REJECT_DUPLICATES, &je);
    if (!o || !json_is_object(o)) {
        snprintf(why, cap, "the body is not a JSON object: %s", o ? "another type" : je.text);
        json_decref(o);
        return NULL;
    }
    return o;
}

/* An optional string member; false when present and not a string. */
static bool get_str(json_t *o, const char *k, const char **v)
{
    json_t *x = json_object_get(o, k);
    *v = NULL;
    if (!x)
        return true;
    if (!json_is_string(x))
        return false;
    *v = json_string_value(x);
    return true;
}

static bool copy_str(char *dst, size_t cap, const char *s)
{
    if (!s || strlen(s) >= cap)
        return false;
    snprintf(dst, cap, "%s", s);
    return true;
}

/* ---- public routes ------------------------------------------------------------------ */

static enum MHD_Result r_healthz(struct MHD_Connection *c, req *r, const char *url)
{
    (void)url;
    return reply(c, r, 200, "text/plain; charset=utf-8", "ok\n", 3, NULL);
}

static int health(mhd_health *h)
{
    static mhd_msg m;
    static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
    mhd_empty e = {0};
    pthread_mutex_lock(&lock);
    int rc = mhd_pool_call(&F.ledger, MHD_M_HEALTH_REQ, &e, -1, &m, 5000);
    if (rc == 0 && (m.type != MHD_M_HEALTH || mhd_ipc_decode(m.type, m.buf, m.len, h) != 0))
        rc = MH_ERR_PARSE;
    if (m.fd >= 0)
        close(m.fd);
    pthread_mutex_unlock(&lock);
    return rc;
}

static enum MHD_Result r_readyz(struct MHD_Connection *c, req *r, const char *url)
{
    mhd_health h;
    (void)url;
    memset(&h, 0, sizeof h);
    int rc = health(&h);
    bool ok = rc == 0 && h.ledger_ok && h.signer_ok && h.token_ok && !F.draining;
    json_t *o = json_pack("{s:b,s:b,s:b,s:b,s:I,s:s}", "ready", ok, "ledger",
                          rc == 0 && h.ledger_ok, "signer", rc == 0 && h.signer_ok, "token",
                          rc == 0 && h.token_ok, "ledger_size", (json_int_t)h.size, "problem",
                          rc           ? "the ledger process does not answer"
                          : F.draining ? "stopping"
                                       : h.problem);
    return reply_json(c, r, ok ? 200 : 503, o);
}

/* Per followed registry: the trusted size, seconds since the last good
 * update, stale (older than its max_age), the last update failed, a fork. */
static void follow_metrics(FILE *f)
{
    mh_follow *fl = mh_app_follow_log(F.follow);
    if (!fl)
        return;
    fprintf(f, "# HELP mohurd_follow_size Entries of a followed registry's trusted checkpoint.\n"
               "# TYPE mohurd_follow_size gauge\n"
               "# HELP mohurd_follow_age_seconds Seconds since the follower's last good update.\n"
               "# TYPE mohurd_follow_age_seconds gauge\n"
               "# HELP mohurd_follow_stale The copy is older than the registry's max_age.\n"
               "# TYPE mohurd_follow_stale gauge\n"
               "# HELP mohurd_follow_failing The follower's last update failed (2: a fork).\n"
               "# TYPE mohurd_follow_failing gauge\n");
    uint64_t now = (uint64_t)time(NULL);
    for (size_t i = 0; i < mh_follow_count(fl); i++) {
        const char *id = mh_follow_id(fl, i);
        mh_follow_status s;
        if (mh_follow_status_get(fl, id, &s) != 0) {
            mh_err_clear();
            continue;
        }
        /* registry ids are the configuration's: a quote or backslash
         * would break the line, so such an id is left out */
        if (strpbrk(id, "\"\\\n"))
            continue;
        fprintf(f,
                "mohurd_follow_size{registry=\"%s\"} %llu\n"
                "mohurd_follow_age_seconds{registry=\"%s\"} %lld\n"
                "mohurd_follow_stale{registry=\"%s\"} %d\n"
                "mohurd_follow_failing{registry=\"%s\"} %d\n",
                id, (unsigned long long)s.size, id,
                s.checked_at ? (long long)(now - s.checked_at) : -1LL, id, s.stale ? 1 : 0, id,
                s.fork            ? 2
                : s.last_error[0] ? 1
                                  : 0);
    }
}

static enum MHD_Result r_metrics(struct MHD_Connection *c, req *r, const char *url)
{
    char *out = NULL;
    size_t olen = 0;
    mhd_health h;
    (void)url;
    FILE *f = open_memstream(&out, &olen);
    if (!f)
        return fail(c, r, 500, "out of memory");
    memset(&h, 0, sizeof h);
    int hrc = health(&h);
    fprintf(f, "# HELP mohurd_http_requests_total HTTP requests by route and status.\n"
               "# TYPE mohurd_http_requests_total counter\n");
    for (size_t i = 0; i < NROUTES; i++)
        for (size_t s = 0; s < NSTATUS; s++) {
            unsigned long long n = atomic_load(&M.count[i][s]);
            if (n)
                fprintf(f, "mohurd_http_requests_total{route=\"%s\",code=\"%d\"} %llu\n",
                        route_names[i], statuses[s], n);
        }
    fprintf(f, "# HELP mohurd_http_request_duration_seconds Time to answer, by route.\n"
               "# TYPE mohurd_http_request_duration_seconds histogram\n");
    for (size_t i = 0; i < NROUTES; i++) {
        unsigned long long cum = 0;
        unsigned long long total = 0;
        for (size_t b = 0; b <= NLAT; b++)
            total += atomic_load(&M.lat[i][b]);
        if (!total)
            continue;
        for (size_t b = 0; b < NLAT; b++) {
            cum += atomic_load(&M.lat[i][b]);
            fprintf(f, "mohurd_http_request_duration_seconds_bucket{route=\"%s\",le=\"%g\"} %llu\n",
                    route_names[i], lat_le[b], cum);
        }
        fprintf(f,
                "mohurd_http_request_duration_seconds_bucket{route=\"%s\",le=\"+Inf\"} %llu\n"
                "mohurd_http_request_duration_seconds_sum{route=\"%s\"} %.6f\n"
                "mohurd_http_request_duration_seconds_count{route=\"%s\"} %llu\n",
                route_names[i], total, route_names[i], (double)atomic_load(&M.lat_sum_us[i]) / 1e6,
                route_names[i], total);
    }
    unsigned conns = 0;
    for (size_t i = 0; i < F.nls; i++) {
        const union MHD_DaemonInfo *di =
            F.ls[i].d ? MHD_get_daemon_info(F.ls[i].d, MHD_DAEMON_INFO_CURRENT_CONNECTIONS) : NULL;
        if (di)
            conns += di->num_connections;
    }
    fprintf(f,
            "# TYPE mohurd_connections gauge\nmohurd_connections %u\n"
            "# TYPE mohurd_verify_cache_hits_total counter\nmohurd_verify_cache_hits_total %llu\n"
            "# TYPE mohurd_verify_cache_misses_total counter\n"
            "mohurd_verify_cache_misses_total %llu\n"
            "# TYPE mohurd_rate_limited_total counter\nmohurd_rate_limited_total %llu\n"
            "# TYPE mohurd_auth_failures_total counter\nmohurd_auth_failures_total %llu\n",
            conns, atomic_load(&M.cache_hits), atomic_load(&M.cache_misses),
            atomic_load(&M.rate_limited), atomic_load(&M.auth_failures));
    fprintf(f,
            "# HELP mohurd_ledger_up The ledger process answers.\n# TYPE mohurd_ledger_up gauge\n"
            "mohurd_ledger_up %d\n"
            "# TYPE mohurd_signer_up gauge\nmohurd_signer_up %d\n"
            "# HELP mohurd_token_present The appliance token answers.\n"
            "# TYPE mohurd_token_present gauge\nmohurd_token_present %d\n"
            "# HELP mohurd_ledger_size Entries in the ledger.\n# TYPE mohurd_ledger_size gauge\n"
            "mohurd_ledger_size %llu\n"
            "# TYPE mohurd_checkpoint_size gauge\nmohurd_checkpoint_size %llu\n"
            "# HELP mohurd_signatures_total Signatures the signer made.\n"
            "# TYPE mohurd_signatures_total counter\nmohurd_signatures_total %llu\n"
            "# TYPE mohurd_signature_errors_total counter\nmohurd_signature_errors_total %llu\n",
            hrc == 0 && h.ledger_ok, hrc == 0 && h.signer_ok, hrc == 0 && h.token_ok,
            (unsigned long long)h.size, (unsigned long long)h.checkpoint_size,
            (unsigned long long)h.signatures, (unsigned long long)h.sign_errors);
    follow_metrics(f);
    fclose(f);
    enum MHD_Result ret = reply(c, r, 200, "text/plain; version=0.0.4", out, olen, NULL);
    free(out);
    return ret;
}

/* Per client address: verifications that were not in the cache. Buckets
 * in a fixed table by a hash of the address (two addresses may share one:
 * they then share the rate, which errs on the side of the server). */
#define PUB_SLOTS 4096
static struct {
    pthread_mutex_t m;
    double tokens, last;
} pub[PUB_SLOTS];
static pthread_once_t pub_once = PTHREAD_ONCE_INIT;

static void pub_init(void)
{
    for (size_t i = 0; i < PUB_SLOTS; i++)
        pthread_mutex_init(&pub[i].m, NULL);
}

static bool public_ok(struct MHD_Connection *c)
{
    if (!F.c->public_rate)
        return true;
    pthread_once(&pub_once, pub_init);
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    uint8_t h[32];
    const struct sockaddr *sa = ci ? ci->client_addr : NULL;
    const void *addr = "";
    size_t alen = 0;
    if (sa && sa->sa_family == AF_INET) {
        addr = &((const struct sockaddr_in *)(const void *)sa)->sin_addr;
        alen = 4;
    } else if (sa && sa->sa_family == AF_INET6) {
        addr = &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
        alen = 8; /* a /64: one client, whatever its interface id */
    }
    (void)mh_hash_sha256(addr, alen, h);
    uint32_t slot;
    memcpy(&slot, h, 4);
    slot %= PUB_SLOTS;
    double rate = F.c->public_rate, now = now_s();
    pthread_mutex_lock(&pub[slot].m);
    if (pub[slot].last == 0)
        pub[slot].tokens = 2 * rate;
    else
        pub[slot].tokens += (now - pub[slot].last) * rate;
    if (pub[slot].tokens > 2 * rate)
        pub[slot].tokens = 2 * rate;
    pub[slot].last = now;
    bool ok = pub[slot].tokens >= 1;
    if (ok)
        pub[slot].tokens -= 1;
    pthread_mutex_unlock(&pub[slot].m);
    return ok;
}

/* The verdict cache: a verdict depends on the receipt, the ledger (any new
 * entry, a revocation included, changes its size) and the CRL (reloading
 * starts a new front, with an empty cache); the TTL bounds what time alone
 * changes (a CRL passing its next update). */
static bool cache_get(const uint8_t key[32], uint64_t size, bool json, struct MHD_Connection *c,
                      req *r, enum MHD_Result *ret)
{
    if (!F.ncache)
        return false;
    uint32_t h;
    memcpy(&h, key, 4);
    size_t i = h % F.ncache;
    pthread_mutex_t *l = &F.cache_lock[i % CACHE_STRIPES];
    bool hit = false;
    pthread_mutex_lock(l);
    centry *e = &F.cache[i];
    if (e->used && e->size == size && now_s() - e->at < F.c->cache_ttl &&
        memcmp(e->key, key, 32) == 0) {
        hit = true;
        *ret = json ? reply(c, r, 200, "application/json", e->json, e->jlen, "no-cache")
                    : reply(c, r, 200, "text/html; charset=utf-8", e->html, e->hlen, "no-cache");
    }
    pthread_mutex_unlock(l);
    return hit;
}

static void cache_put(const uint8_t key[32], uint64_t size, char *json, size_t jlen, char *html,
                      size_t hlen)
{
    uint32_t h;
    memcpy(&h, key, 4);
    size_t i = h % F.ncache;
    pthread_mutex_t *l = &F.cache_lock[i % CACHE_STRIPES];
    pthread_mutex_lock(l);
    centry *e = &F.cache[i];
    free(e->json);
    free(e->html);
    memcpy(e->key, key, 32);
    e->size = size;
    e->at = now_s();
    e->json = json;
    e->jlen = jlen;
    e->html = html;
    e->hlen = hlen;
    e->used = true;
    pthread_mutex_unlock(l);
}

static bool wants_json(struct MHD_Connection *c)
{
    const char *f = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "format");
    if (f)
        return strcmp(f, "json") == 0;
    const char *a = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT);
    return a && strstr(a, "application/json") && !strstr(a, "text/html");
}

/* The page (host/web: /V/ for browsers, its assets, the offline verifier,
 * "/"): mh_web_handle answers; its answers are cached like verdicts, by
 * everything they depend on (path, query, Host, languages, cookie,
 * If-None-Match) and the ledger's size. */
typedef struct wentry {
    uint8_t key[32];
    uint64_t size;
    double at;
    bool used;
    unsigned status;
    size_t nheaders;
    mh_web_header headers[MH_WEB_HEADERS_MAX];
    uint8_t *body;
    size_t len;
} wentry;
static wentry *wcache;
static pthread_mutex_t wcache_lock[CACHE_STRIPES];

static enum MHD_Result web_send(struct MHD_Connection *c, req *r, unsigned status,
                                const mh_web_header *h, size_t nh, const uint8_t *body, size_t len)
{
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
    if (!resp)
        return MHD_NO;
    for (size_t i = 0; i < nh; i++)
        MHD_add_response_header(resp, h[i].name, h[i].value);
    if (r->L->tls)
        MHD_add_response_header(resp, "Strict-Transport-Security",
                                "max-age=31536000; includeSubDomains");
    if (F.draining)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
    r->status = (int)status;
    enum MHD_Result ret = MHD_queue_response(c, status, resp);
    MHD_destroy_response(resp);
    return ret;
}

static enum MHD_Result r_web(struct MHD_Connection *c, req *r, const char *url)
{
    const char *query = NULL;
    char q[64] = "";
    const char *lang = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "lang");
    if (lang) {
        snprintf(q, sizeof q, "lang=%.16s", lang);
        query = q;
    }
    mh_web_request wr = {
        .method = "GET",
        .path = url,
        .query = query,
        .host = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST),
        .accept_language =
            MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT_LANGUAGE),
        .cookie = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_COOKIE),
        .if_none_match =
            MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_IF_NONE_MATCH),
    };
    /* the cache key: every input of the answer */
    uint8_t key[32];
    uint64_t size = 0;
    uint8_t root[32];
    const char *parts[] = {url, q, wr.host, wr.accept_language, wr.cookie, wr.if_none_match};
    enum { NPARTS = sizeof parts / sizeof parts[0] };
    const uint8_t *hp[2 * NPARTS];
    size_t hl[2 * NPARTS];
    for (size_t i = 0; i < NPARTS; i++) {
        const char *p = parts[i] ? parts[i] : "";
        hp[2 * i] = (const uint8_t *)p;
        hl[2 * i] = strnlen(p, 4096);
        hp[2 * i + 1] = (const uint8_t *)"\n";
        hl[2 * i + 1] = 1;
    }
    (void)mh_hash_sha256_parts(hp, hl, 2 * NPARTS, key);
    if (mh_ledger_size(mh_app_ledger(F.app), &size, root) != 0) {
        return fail(c, r, 503, "the ledger cannot be read; try again shortly");
    }
    uint32_t hv;
    memcpy(&hv, key, 4);
    size_t slot = F.ncache ? hv % F.ncache : 0;
    if (F.ncache) {
        pthread_mutex_t *l = &wcache_lock[slot % CACHE_STRIPES];
        pthread_mutex_lock(l);
        wentry *e = &wcache[slot];
        if (e->used && e->size == size && now_s() - e->at < F.c->cache_ttl &&
            memcmp(e->key, key, 32) == 0) {
            enum MHD_Result ret =
                web_send(c, r, e->status, e->headers, e->nheaders, e->body, e->len);
            pthread_mutex_unlock(l);
            atomic_fetch_add(&M.cache_hits, 1);
            return ret;
        }
        pthread_mutex_unlock(l);
    }
    atomic_fetch_add(&M.cache_misses, 1);
    if (strncmp(url, "/V/", 3) == 0 && !public_ok(c)) {
        atomic_fetch_add(&M.rate_limited, 1);
        return fail(c, r, 429, "too many verifications from this address; slow down");
    }
    mh_web_response res;
    if (mh_web_handle(F.web, &wr, &res) != 0)
        return fail(c, r, 500, "the page could not be made");
    enum MHD_Result ret =
        web_send(c, r, res.status, res.headers, res.nheaders, res.body, res.body_len);
    uint8_t *copy = F.ncache && !res.no_store ? malloc(res.body_len ? res.body_len : 1) : NULL;
    if (copy) {
        if (res.body_len) /* a 304 has no body */
            memcpy(copy, res.body, res.body_len);
        pthread_mutex_t *l = &wcache_lock[slot % CACHE_STRIPES];
        pthread_mutex_lock(l);
        wentry *e = &wcache[slot];
        free(e->body);
        memcpy(e->key, key, 32);
        e->size = size;
        e->at = now_s();
        e->status = res.status;
        e->nheaders = res.nheaders;
        memcpy(e->headers, res.headers, sizeof e->headers);
        e->body = copy;
        e->len = res.body_len;
        e->used = true;
        pthread_mutex_unlock(l);
    }
    mh_web_response_free(&res);
    return ret;
}

/* GET /V/<receipt>: the public verification route (what the QR opens):
 * JSON for programs (the verdict as `mohur verify --json` prints it), the
 * page (host/web) for people. */
static enum MHD_Result r_verify_page(struct MHD_Connection *c, req *r, const char *url)
{
    const char *rec = url + 3;
    size_t n = strlen(rec);
    bool json = wants_json(c);
    if (!json)
        return r_web(c, r, url);
    if (n == 0 || n > MH_RECEIPT_URL_MAX - 64 ||
        strspn(rec, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") != n)
        return fail(c, r, 400,
                    "this is not a receipt: the path after /V/ is the receipt in base32 "
                    "(upper-case letters and the digits 2-7), as the QR code has it");
    uint8_t key[32];
    uint64_t size = 0;
    uint8_t root[32];
    enum MHD_Result ret;
    (void)mh_hash_sha256((const uint8_t *)rec, n, key);
    if (mh_ledger_size(mh_app_ledger(F.app), &size, root) != 0) {
        return fail(c, r, 503, "the ledger cannot be read; try again shortly");
    }
    if (cache_get(key, size, json, c, r, &ret)) {
        atomic_fetch_add(&M.cache_hits, 1);
        return ret;
    }
    atomic_fetch_add(&M.cache_misses, 1);
    /* a verdict not cached costs a signature verification: each client
     * address gets public_rate of those a second */
    if (!public_ok(c)) {
        atomic_fetch_add(&M.rate_limited, 1);
        return fail(c, r, 429, "too many verifications from this address; slow down");
    }
    char qr[MH_RECEIPT_URL_MAX + 1];
    snprintf(qr, sizeof qr, "HTTPS://%s/V/%s", mh_app_verify_host(F.app), rec);
    mh_app_verdict *v = calloc(1, sizeof *v);
    if (!v)
        return fail(c, r, 500, "out of memory");
    int rc = mh_app_verify_qr(F.app, qr, NULL, v);
    char *js = NULL, *html = NULL;
    size_t jl = 0, hl = 0;
    bool pending = v->pending; /* changes without the ledger growing: not cached */
    if (rc == 0)
        rc = mh_app_verdict_json(v, &js, &jl);
    free(v);
    if (rc) {
        free(js);
        free(html);
        return fail_err(c, r, rc);
    }
    ret = json ? reply(c, r, 200, "application/json", js, jl, "no-cache")
               : reply(c, r, 200, "text/html; charset=utf-8", html, hl, "no-cache");
    if (F.ncache && !pending)
        cache_put(key, size, js, jl, html, hl);
    else {
        free(js);
        free(html);
    }
    return ret;
}

/* C2SP tlog-tiles at their static paths, from the ledger's export. */
static bool tile_path_ok(const char *p)
{
    size_t n = strlen(p);
    if (n == 0 || n > 200 || p[0] == '/' || p[n - 1] == '/' || strstr(p, "..") || strstr(p, "//"))
        return false;
    return strspn(p, "abcdefghijklmnopqrstuvwxyz0123456789./") == n;
}

static enum MHD_Result r_tiles(struct MHD_Connection *c, req *r, const char *url)
{
    const char *rel = url + 1;
    if (!tile_path_ok(rel) || (strcmp(rel, "checkpoint") != 0 && strncmp(rel, "tile/", 5) != 0))
        return fail(c, r, 404, "no such tile");
    if (F.tiles_fd < 0)
        return fail(c, r, 404, "no tiles are published yet");
    int fd = openat(F.tiles_fd, rel, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    struct stat st;
    if (fd < 0)
        return fail(c, r, 404, "no such tile (not published yet, or never)");
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > (1 << 20)) {
        close(fd);
        return fail(c, r, 404, "no such tile");
    }
    size_t len = (size_t)st.st_size, got = 0;
    uint8_t *buf = malloc(len + 1);
    while (buf && got < len) {
        ssize_t k = read(fd, buf + got, len - got);
        if (k <= 0)
            break;
        got += (size_t)k;
    }
    close(fd);
    if (!buf || got != len) {
        free(buf);
        return fail(c, r, 500, "the tile could not be read");
    }
    bool checkpoint = strcmp(rel, "checkpoint") == 0;
    bool partial = strstr(rel, ".p/") != NULL;
    enum MHD_Result ret =
        reply(c, r, 200, checkpoint ? "text/plain; charset=utf-8" : "application/octet-stream", buf,
              len, checkpoint || partial ? "no-cache" : "public, max-age=31536000, immutable");
    free(buf);
    return ret;
}

static enum MHD_Result r_log(struct MHD_Connection *c, req *r, const char *url)
{
    mh_ledger *l = mh_app_ledger(F.app);
    if (strcmp(url, "/api/v1/log/checkpoint") == 0) {
        char *note = malloc(MH_LEDGER_NOTE_MAX + 1);
        size_t len = 0;
        uint64_t seq = 0;
        if (!note)
            return fail(c, r, 500, "out of memory");
        int rc = mh_ledger_checkpoint_get(l, UINT64_MAX, note, MH_LEDGER_NOTE_MAX + 1, &len, &seq);
        enum MHD_Result ret =
            rc ? fail_err(c, r, rc)
               : reply(c, r, 200, "text/plain; charset=utf-8", note, len, "no-cache");
        free(note);
        return ret;
    }
    uint8_t proof[64][MH_LEDGER_HASH_LEN], root[32];
    size_t n = 0;
    uint64_t size = 0, a = 0, b = 0;
    if (mh_ledger_size(l, &size, root) != 0)
        return fail(c, r, 503, "the ledger cannot be read");
    bool incl = strcmp(url, "/api/v1/log/proof/inclusion") == 0;
    if (incl) {
        b = size;
        if (!query_u64(c, "index", &a, true) || !query_u64(c, "size", &b, false) || a >= b ||
            b > size)
            return fail(c, r, 400,
                        "give index=N and optionally size=M with N < M <= the log's size");
    } else {
        b = size;
        if (!query_u64(c, "from", &a, true) || !query_u64(c, "to", &b, false) || a == 0 || a > b ||
            b > size)
            return fail(c, r, 400,
                        "give from=N and optionally to=M with 0 < N <= M <= the log's size");
    }
    int rc = incl ? mh_ledger_prove_inclusion(l, a, b, proof, 64, &n)
                  : mh_ledger_prove_consistency(l, a, b, proof, 64, &n);
    if (rc == 0)
        rc = mh_ledger_root_at(l, b, root);
    if (rc)
        return fail_err(c, r, rc);
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < n; i++) {
        char *s = b64(proof[i], 32);
        json_array_append_new(arr, json_string(s ? s : ""));
        free(s);
    }
    char *rs = b64(root, 32);
    json_t *o = incl ? json_pack("{s:I,s:I,s:s,s:o}", "index", (json_int_t)a, "size", (json_int_t)b,
                                 "root", rs ? rs : "", "proof", arr)
                     : json_pack("{s:I,s:I,s:s,s:o}", "from", (json_int_t)a, "to", (json_int_t)b,
                                 "root", rs ? rs : "", "proof", arr);
    free(rs);
    return reply_json(c, r, 200, o);
}

static enum MHD_Result r_whoami(struct MHD_Connection *c, req *r, const char *url)
{
    (void)url;
    if (r->local_admin)
        return reply_json(c, r, 200,
                          json_pack("{s:s,s:s,s:s}", "role", "admin", "via", "local socket",
                                    "requester", r->requester));
    json_t *k = json_array();
    for (size_t i = 0; k && i < r->who->nkinds; i++)
        json_array_append_new(k, json_string(r->who->kinds[i]));
    return reply_json(c, r, 200,
                      json_pack("{s:s,s:s,s:s,s:s,s:o,s:s}", "id", r->who->id, "name", r->who->name,
                                "role", r->who->role, "issuer", r->who->issuer, "kinds", k, "via",
                                r->who->is_cert ? "certificate" : "token"));
}

/* ---- verify ------------------------------------------------------------------------- */

static enum MHD_Result r_verify(struct MHD_Connection *c, req *r, const char *url)
{
    (void)url;
    const char *ct = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
    mh_app_verify_input in;
    uint8_t *doc = NULL, *p7s = NULL;
    json_t *o = NULL;
    char why[300];
    enum MHD_Result ret;
    memset(&in, 0, sizeof in);
    in.follow = F.follow;
    if (ct && strncasecmp(ct, "application/pdf", 15) == 0) {
        in.doc = (const uint8_t *)r->body;
        in.doc_len = r->len;
    } else if (ct && strncasecmp(ct, "application/json", 16) == 0) {
        const char *rec, *d, *s;
        if (!(o = parse_body(r, why, sizeof why)))
            return fail(c, r, 400, why);
        if (!get_str(o, "receipt", &rec) || !get_str(o, "document", &d) ||
            !get_str(o, "signature", &s)) {
            json_decref(o);
            return fail(c, r, 400, "receipt, document and signature are strings");
        }
        in.qr_text = rec;
        if ((d && unb64(d, &doc, &in.doc_len) != 0) || (s && unb64(s, &p7s, &in.p7s_len) != 0)) {
            free(doc);
            json_decref(o);
            return fail(c, r, 400, "document and signature are base64");
        }
        in.doc = doc;
        in.p7s = p7s;
    } else {
        return fail(c, r, 415,
                    "send a PDF (Content-Type: application/pdf) or JSON "
                    "{\"receipt\", \"document\", \"signature\"}");
    }
    if (!in.doc && !in.qr_text) {
        ret = fail(c, r, 400, "give a document, a document and its signature, or a receipt");
        goto out;
    }
    mh_app_verdict *v = calloc(1, sizeof *v);
    if (!v) {
        ret = fail(c, r, 500, "out of memory");
        goto out;
    }
    int rc = mh_app_verify_mem(F.app, &in, v);
    char *js = NULL;
    size_t jl = 0;
    if (rc == 0)
        rc = mh_app_verdict_json(v, &js, &jl);
    free(v);
    ret = rc ? fail_err(c, r, rc) : reply(c, r, 200, "application/json", js, jl, NULL);
    free(js);
out:
    free(doc);
    free(p7s);
    json_decref(o);
    return ret;
}

/* ---- co-signing with a party's own key (no key of the appliance used) ---------------- */

/* A certificate member: base64 of its DER, or PEM. */
static int cert_member(const char *s, uint8_t **der, size_t *len)
{
    const char *b = strstr(s, "-----BEGIN CERTIFICATE-----");
    if (!b)
        return unb64(s, der, len);
    b += 27;
    const char *e = strstr(b, "-----END CERTIFICATE-----");
    if (!e) {
        mh_err_set(MH_ERR_PARSE, "the certificate's PEM has no END line");
        return MH_ERR_PARSE;
    }
    char *txt = malloc((size_t)(e - b) + 1);
    size_t n = 0;
    if (!txt)
        return MH_ERR_NOMEM;
    for (const char *p = b; p < e; p++)
        if (*p != '\n' && *p != '\r' && *p != ' ' && *p != '\t')
            txt[n++] = *p;
    txt[n] = 0;
    int rc = unb64(txt, der, len);
    free(txt);
    return rc;
}

/* POST /api/v1/cosign/prepare {"document": PDF base64, "certificate": the
 * party's (base64 DER or PEM)}: the document must verify and the
 * certificate be fit for the kind's next party; the answer is the
 * document with that party's field holding an empty signature, and the
 * SHA-256 the party signs (docs/daemon.md, "Co-signing"). */
static enum MHD_Result r_cosign_prepare(struct MHD_Connection *c, req *r, const char *url)
{
    (void)url;
    char why[300];
    const char *d, *ce;
    uint8_t *doc = NULL, *cert = NULL;
    size_t doc_len = 0, cert_len = 0;
    enum MHD_Result ret;
    mh_app_cosign_prep prep;
    memset(&prep, 0, sizeof prep);
    json_t *o = parse_body(r, why, sizeof why);
    if (!o)
        return fail(c, r, 400, why);
    if (!get_str(o, "document", &d) || !get_str(o, "certificate", &ce) || !d || !ce) {
        ret = fail(c, r, 400,
                   "give document (the signed PDF, base64) and certificate (the party's, "
                   "base64 DER or PEM)");
        goto out;
    }
    mh_err_clear();
    int rc = unb64(d, &doc, &doc_len);
    if (rc == 0)
        rc = cert_member(ce, &cert, &cert_len);
    if (rc) {
        ret = fail_err(c, r, rc);
        goto out;
    }
    if (doc_len < 5 || memcmp(doc, "%PDF-", 5) != 0) {
        ret = fail(c, r, 400, "the document is not a PDF");
        goto out;
    }
    mh_err_clear();
    if ((rc = mh_app_cosign_prepare(F.app, doc, doc_len, cert, cert_len, 0, &prep)) != 0) {
        ret = fail_err(c, r, rc);
        goto out;
    }
    char hex[65];
    for (size_t i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", prep.digest[i]);
    char *pb = b64(prep.pdf, prep.len);
    json_t *a = pb ? json_pack("{s:s,s:s,s:I,s:s,s:s,s:I,s:s}", "prepared", pb, "digest", hex,
                               "time", (json_int_t)prep.when, "doc_id", prep.doc_id, "url",
                               prep.url, "position", (json_int_t)prep.position, "role", prep.role)
                   : NULL;
    free(pb);
    ret = a ? reply_json(c, r, 200, a) : fail(c, r, 500, "out of memory");
out:
    mh_app_cosign_prep_free(&prep);
    free(doc);
    free(cert);
    json_decref(o);
    return ret;
}

/* POST /api/v1/cosign/embed {"document", "certificate", "time" as given
 * to and answered by prepare, "cms": the party's detached CMS over the
 * prepared document's /ByteRange (base64 DER)}: the prepared document is
 * made again from them (nothing a client sends is taken as prepared), the
 * CMS put in; the signed document is answered only when it verifies VALID
 * with that certificate's signature the last of it. */
static enum MHD_Result r_cosign_embed(struct MHD_Connection *c, req *r, const char *url)
{
    (void)url;
    char why[300];
    const char *d, *ce, *cm;
    uint8_t *doc = NULL, *cert = NULL, *cms = NULL, *out = NULL;
    size_t doc_len = 0, cert_len = 0, cms_len = 0, out_len = 0;
    enum MHD_Result ret;
    mh_app_verdict *v = NULL;
    json_t *o = parse_body(r, why, sizeof why);
    if (!o)
        return fail(c, r, 400, why);
    json_t *t = json_object_get(o, "time");
    if (!get_str(o, "document", &d) || !get_str(o, "certificate", &ce) || !get_str(o, "cms", &cm) ||
        !d || !ce || !cm || !json_is_integer(t)) {
        ret = fail(c, r, 400,
                   "give document, certificate and time as for /api/v1/cosign/prepare (time "
                   "as it answered) and cms (the party's signature, base64 DER)");
        goto out;
    }
    mh_err_clear();
    int rc = unb64(d, &doc, &doc_len);
    if (rc == 0)
        rc = cert_member(ce, &cert, &cert_len);
    if (rc == 0)
        rc = unb64(cm, &cms, &cms_len);
    if (rc == 0 && !(v = calloc(1, sizeof *v)))
        rc = MH_ERR_NOMEM;
    if (rc == 0 && (doc_len < 5 || memcmp(doc, "%PDF-", 5) != 0)) {
        mh_err_set(MH_ERR_PARSE, "the document is not a PDF");
        rc = MH_ERR_PARSE;
    }
    if (rc == 0)
        rc = mh_app_cosign_embed(F.app, doc, doc_len, cert, cert_len,
                                 (int64_t)json_integer_value(t), cms, cms_len, &out, &out_len, v);
    if (rc) {
        ret = fail_err(c, r, rc);
        goto out;
    }
    char *pb = b64(out, out_len);
    const mh_app_sig_detail *last = &v->sigs[v->nsigs - 1];
    json_t *a = pb ? json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}", "pdf", pb, "verdict",
                               mh_app_verdict_name(v->code), "doc_id", v->doc_id, "url", v->url,
                               "signer", last->signer, "role", last->role)
                   : NULL;
    free(pb);
    ret = a ? reply_json(c, r, 200, a) : fail(c, r, 500, "out of memory");
out:
    free(v);
    free(doc);
    free(cert);
    free(cms);
    free(out);
    json_decref(o);
    return ret;
}

/* ---- writes (the ledger process) ------------------------------------------------------ */

static bool may_act_for(req *r, const char *issuer)
{
    if (r->roles & ROLE_ADMIN)
        return true;
    return (r->roles & (ROLE_ISSUER | ROLE_NOTARY)) && r->who &&
           strcmp(r->who->issuer, issuer) == 0;
}

static enum MHD_Result ledger_error(struct MHD_Connection *c, req *r, int rc, const mhd_msg *m)
{
    mhd_error e;
    if (rc)
        return fail_err(c, r, rc);
    if (m->type != MHD_M_ERROR || mhd_ipc_decode(m->type, m->buf, m->len, &e) != 0)
        return fail(c, r, 502, "the ledger process answered something unexpected");
    int status = mhd_http_status(e.code);
    json_t *o = json_pack("{s:{s:i,s:s}}", "error", "status", status, "message", e.message);
    if (o && e.voided) {
        json_object_set_new(o, "voided", json_true());
        json_object_set_new(o, "receipt_url", json_string(e.url));
    }
    return reply_json(c, r, status, o);
}

/* The 202's "content": how the client makes the prepared content from the
 * document it sent (docs/daemon.md). Takes app. */
static json_t *extsig_content(const mhd_extsig_need *n, uint8_t *app, size_t app_len)
{
    json_t *o = json_pack("{s:I}", "document_length", (json_int_t)n->doc_len);
    if (o && (n->flags & MHD_TBS_PDF)) {
        char *a64 = b64(app, app_len);
        const uint64_t *br = n->byte_range;
        /* json_object_set_new takes its value even when it fails */
        if (!a64 || json_object_set_new(o, "appended", json_string(a64)) != 0 ||
            json_object_set_new(o, "byte_range",
                                json_pack("[I,I,I,I]", (json_int_t)br[0], (json_int_t)br[1],
                                          (json_int_t)br[2], (json_int_t)br[3])) != 0) {
            json_decref(o);
            o = NULL;
        }
        free(a64);
    }
    free(app);
    return o;
}

/* 202: the issue waits for the external key's signature of a digest, and
 * says what the digest covers, so that the client sees what it signs
 * before it signs: the signed attributes (the digest is their hash) and
 * the prepared content (the first document_length bytes of the document
 * it sent, then the appended bytes that came as m's memfd, signed over
 * byte_range for a PDF). No receipt and no URL member. Takes m's memfd. */
static enum MHD_Result extsig_need_reply(struct MHD_Connection *c, req *r, const mhd_msg *m)
{
    mhd_extsig_need *n = calloc(1, sizeof *n);
    uint8_t *app = NULL;
    size_t app_len = 0;
    char h64[100];
    char *sa64 = NULL;
    int fd = m->fd;
    json_t *content = NULL;
    enum MHD_Result ret;
    if (!n || mhd_ipc_decode(m->type, m->buf, m->len, n) != 0 ||
        mh_base64_encode(n->hash, n->hash_len, h64, sizeof h64, NULL) != 0 ||
        ((n->flags & MHD_TBS_PDF) != 0) != (fd >= 0))
        goto bad;
    if (fd >= 0) {
        int rc = mhd_memfd_read(fd, (size_t)1 << 30, &app, &app_len);
        fd = -1;
        /* the byte range covers the prepared content exactly */
        if (rc || app_len == 0 || n->byte_range[2] + n->byte_range[3] != n->doc_len + app_len)
            goto bad;
    }
    sa64 = b64(n->sattrs, n->sattrs_len);
    content = extsig_content(n, app, app_len); /* takes app */
    app = NULL;
    if (!sa64 || !content) {
        json_decref(content);
        ret = fail(c, r, 500, "out of memory");
        goto out;
    }
    const char *md = n->hash_len == 32 ? "sha256" : n->hash_len == 48 ? "sha384" : "sha512";
    bool ec = n->alg == MH_SIG_ECDSA;
    json_t *o = json_pack(
        "{s:s,s:{s:s,s:s,s:s,s:s,s:s,s:o},s:i,s:s}", "session", n->session, "sign", "digest", h64,
        "digest_algorithm", md, "signature_algorithm", ec ? "ecdsa" : "rsa-pkcs1-v1_5", "format",
        ec ? "r || s, each as long as the curve order, base64 (what a PKCS#11 token returns)"
           : "PKCS#1 v1.5 over the DigestInfo of the digest, base64",
        "signed_attributes", sa64, "content", content, "expires_in", (int)n->expires, "next",
        "POST /api/v1/documents/signature {\"session\": ..., \"signature\": base64}");
    content = NULL; /* transferred (s:o steals it, even on failure) */
    ret = o ? reply_json(c, r, 202, o) : fail(c, r, 500, "out of memory");
    goto out;
bad:
    if (fd >= 0)
        close(fd);
    ret = fail(c, r, 502, "the ledger process answered something unexpected");
out:
    free(sa64);
    free(app);
    free(n);
    return ret;
}

/* The ledger's answer to an issue (or to the signature an external key
 * sent): the signed files, the digest an external key is to sign next
 * (202), or the error. */
static enum MHD_Result issue_answer(struct MHD_Connection *c, req *r, int rc, const mhd_msg *m)
{
    mhd_map map = {0};
    const uint8_t *out = NULL;
    size_t out_len = 0;
    enum MHD_Result ret;
    if (rc == 0 && m->type == MHD_M_EXTSIG_NEED)
        return extsig_need_reply(c, r, m); /* takes m->fd */
    if (rc || m->type != MHD_M_ISSUE_OK) {
        if (rc == 0 && m->fd >= 0)
            close(m->fd);
        return ledger_error(c, r, rc, m);
    }
    mhd_issue_ok ok;
    if (mhd_ipc_decode(m->type, m->buf, m->len, &ok) != 0 || m->fd < 0 || ok.nout > MHD_OUT_MAX) {
        if (m->fd >= 0)
            close(m->fd);
        ret = fail(c, r, 502, "the ledger process answered something unexpected");
        goto done;
    }
    /* mapped, not copied: the answer is encoded straight from it */
    int rc2 = mhd_memfd_map(m->fd, (size_t)1 << 30, &map);
    out = map.p;
    out_len = map.len;
    uint64_t total = 0;
    for (size_t i = 0; i < ok.nout; i++)
        total += ok.out_len[i];
    if (rc2 || total != out_len) {
        ret = fail(c, r, 502, "the signed document did not come back whole");
        goto done;
    }
    /* the small part through jansson, the files (base64) written into the
     * answer directly: a signed PDF is copied once, not three times */
    json_t *head = json_pack("{s:s,s:I,s:s,s:i,s:b,s:b}", "doc_id", ok.doc_id, "log_index",
                             (json_int_t)ok.log_index, "url", ok.url, "qr_version",
                             (int)ok.qr_version, "resumed", (ok.flags & MHD_ISSUE_RESUMED) != 0,
                             "cosigned", (ok.flags & MHD_ISSUE_COSIGNED) != 0);
    char *hs = head ? json_dumps(head, JSON_COMPACT) : NULL;
    json_decref(head);
    size_t cap = (hs ? strlen(hs) : 0) + 64 + 4 * ((out_len + 2) / 3) + 40 * ok.nout;
    char *body = hs ? malloc(cap) : NULL;
    if (!body) {
        free(hs);
        ret = fail(c, r, 500, "out of memory");
        goto done;
    }
    static const char *const other_names[] = {"p7s", "qr_png", "qr_svg", "receipt"};
    size_t bl = strlen(hs) - 1; /* without its closing brace */
    memcpy(body, hs, bl);
    free(hs);
    bl += (size_t)snprintf(body + bl, cap - bl, ",\"files\":{");
    size_t at = 0;
    bool b64ok = true;
    for (size_t i = 0; i < ok.nout; i++) {
        size_t olen = 0;
        bl += (size_t)snprintf(body + bl, cap - bl, "%s\"%s\":\"", i ? "," : "",
                               (ok.flags & MHD_ISSUE_PDF) ? "pdf" : other_names[i]);
        b64ok = b64ok && mh_base64_encode(out + at, ok.out_len[i], body + bl, cap - bl, &olen) == 0;
        bl += olen;
        body[bl++] = '"';
        at += ok.out_len[i];
    }
    body[bl++] = '}';
    body[bl++] = '}';
    if (!b64ok) {
        free(body);
        ret = fail(c, r, 500, "the answer could not be encoded");
        goto done;
    }
    ret =
        reply_owned(c, r, (ok.flags & MHD_ISSUE_RESUMED) ? 200 : 201, "application/json", body, bl);
done:
    mhd_map_free(&map);
    return ret;
}

static enum MHD_Result r_issue(struct MHD_Connection *c, req *r, const char *url)
{
    char why[300];
    const char *kind, *issuer, *doc_id, *doc64, *cert64;
    json_t *o = parse_body(r, why, sizeof why);
    mhd_issue_req *q = NULL;
    static _Thread_local mhd_msg m;
    uint8_t *doc = NULL;
    size_t doc_len = 0;
    int fd = -1;
    enum MHD_Result ret;
    (void)url;
    if (!o)
        return fail(c, r, 400, why);
    json_t *fields = json_object_get(o, "fields");
    if (!get_str(o, "kind", &kind) || !get_str(o, "issuer", &issuer) ||
        !get_str(o, "doc_id", &doc_id) || !get_str(o, "document", &doc64) ||
        !get_str(o, "certificate", &cert64) || !kind || (fields && !json_is_object(fields))) {
        ret = fail(c, r, 400,
                   "give {\"kind\": K, \"issuer\": I, \"fields\": {...}, \"document\": base64 "
                   "(a supplied kind), \"doc_id\": optional}");
        goto out;
    }
    const char *k;
    json_t *v;
    json_object_foreach(fields, k, v)
    {
        if (!json_is_string(v) || strchr(k, '=')) {
            ret = fail(c, r, 400, "every field is a string, and a field name has no '='");
            goto out;
        }
    }
    mh_app_issuer_info only;
    if (!issuer && r->who && (r->roles & (ROLE_ISSUER | ROLE_NOTARY)))
        issuer = r->who->issuer;
    if (!issuer && mh_app_issuer_for_kind(F.app, kind, &only) == 0)
        issuer = only.id;
    if (!issuer) {
        ret = fail(c, r, 400, mh_err_message(MH_ERR_INVALID_ARG));
        goto out;
    }
    if (!may_act_for(r, issuer)) {
        ret = fail(c, r, 403, "this credential does not act for that issuer");
        goto out;
    }
    if (r->who && r->who->nkinds) {
        bool ok = false;
        for (size_t i = 0; i < r->who->nkinds; i++)
            ok = ok || strcmp(r->who->kinds[i], kind) == 0;
        if (!ok) {
            ret = fail(c, r, 403, "this credential may not issue that kind");
            goto out;
        }
    }
    if (!(q = calloc(1, sizeof *q))) {
        ret = fail(c, r, 500, "out of memory");
        goto out;
    }
    char *fj = fields ? json_dumps(fields, JSON_COMPACT) : strdup("{}");
    bool fits = fj && copy_str(q->fields, sizeof q->fields, fj);
    free(fj);
    if (!fits || !copy_str(q->kind, sizeof q->kind, kind) ||
        !copy_str(q->issuer, sizeof q->issuer, issuer) ||
        (doc_id && !copy_str(q->doc_id, sizeof q->doc_id, doc_id))) {
        ret = fail(c, r, 400, "a value is too long (fields: 32 KiB in all)");
        goto out;
    }
    snprintf(q->requester, sizeof q->requester, "%s", r->requester);
    if (cert64) {
        /* the issuer's key is outside the appliance (a notary's USB
         * token): the issue asks the client for its signature (202) */
        uint8_t *der = NULL;
        size_t dl = 0;
        if (cert_member(cert64, &der, &dl) != 0 || dl == 0 || dl > sizeof q->cert) {
            mh_err_clear();
            free(der);
            ret = fail(c, r, 400,
                       "certificate: base64 DER or PEM of one certificate (at most 8 KiB)");
            goto out;
        }
        memcpy(q->cert, der, dl);
        q->cert_len = dl;
        free(der);
    }
    if (doc64) {
        int rc = unb64(doc64, &doc, &doc_len);
        if (rc == 0)
            rc = mhd_memfd_from("mohur-doc", doc, doc_len, &fd);
        if (rc) {
            ret = fail_err(c, r, rc);
            goto out;
        }
        q->has_doc = 1;
    }
    int rc = mhd_pool_call(&F.ledger, MHD_M_ISSUE_REQ, q, fd, &m, 600000);
    ret = issue_answer(c, r, rc, &m);
out:
    if (fd >= 0)
        close(fd);
    free(doc);
    free(q);
    json_decref(o);
    return ret;
}

/* POST /api/v1/documents/signature {"session", "signature": base64}: the
 * signature an issue with an external key asked for (202); the answer is
 * the issue's: the signed files, another digest, or the error (a signature
 * that does not verify with the certificate's key voids the entry). Only
 * the credential that started the issue may continue it. */
static enum MHD_Result r_extsig(struct MHD_Connection *c, req *r, const char *url)
{
    char why[300];
    const char *sess, *sig64;
    static _Thread_local mhd_msg m;
    uint8_t *sig = NULL;
    size_t sl = 0;
    enum MHD_Result ret;
    (void)url;
    json_t *o = parse_body(r, why, sizeof why);
    if (!o)
        return fail(c, r, 400, why);
    mhd_extsig_req *q = calloc(1, sizeof *q);
    if (!q) {
        json_decref(o);
        return fail(c, r, 500, "out of memory");
    }
    if (!get_str(o, "session", &sess) || !get_str(o, "signature", &sig64) || !sess || !sig64 ||
        !copy_str(q->session, sizeof q->session, sess) || unb64(sig64, &sig, &sl) != 0 || sl == 0 ||
        sl > sizeof q->sig) {
        mh_err_clear();
        ret = fail(c, r, 400, "give {\"session\": S, \"signature\": base64 (at most 512 bytes)}");
        goto out;
    }
    memcpy(q->sig, sig, sl);
    q->sig_len = sl;
    snprintf(q->requester, sizeof q->requester, "%s", r->requester);
    int rc = mhd_pool_call(&F.ledger, MHD_M_EXTSIG_REQ, q, -1, &m, 600000);
    ret = issue_answer(c, r, rc, &m);
out:
    free(sig);
    free(q);
    json_decref(o);
    return ret;
}

static enum MHD_Result r_status(struct MHD_Connection *c, req *r, const char *url)
{
    const char *id = url + strlen("/api/v1/documents/");
    mh_ledger_status st;
    char hex[65];
    if (!id[0] || strlen(id) > MH_LEDGER_ID_MAX)
        return fail(c, r, 404, "no such document");
    const char *slash = strchr(id, '/');
    char issuer[MH_APP_ID_MAX + 1];
    snprintf(issuer, sizeof issuer, "%.*s", slash ? (int)(slash - id) : 0, id);
    if (!(r->roles & (ROLE_ADMIN | ROLE_AUDITOR)) && !may_act_for(r, issuer))
        return fail(c, r, 403, "this credential does not act for that document's issuer");
    int rc = mh_ledger_lookup_id(mh_app_ledger(F.app), id, &st);
    if (rc == MH_ERR_NOT_FOUND)
        return fail(c, r, 404, "no such document in this registry's ledger");
    if (rc)
        return fail_err(c, r, rc);
    for (size_t i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", st.digest[i]);
    /* pending: its issuer's signature is awaited (NOT ISSUED YET) */
    json_t *o = json_pack("{s:s,s:s,s:I,s:I,s:s}", "doc_id", id, "status",
                          st.voided                                     ? "voided"
                          : mh_app_entry_pending(F.app, st.issue_index) ? "pending"
                          : st.revoked                                  ? "revoked"
                                                                        : "valid",
                          "issue_index", (json_int_t)st.issue_index, "issued_at",
                          (json_int_t)st.issue_time, "sha256", hex);
    if (o && st.revoked)
        json_object_set_new(o, "revoked",
                            json_pack("{s:s,s:I,s:I}", "reason", mh_app_reason_name(st.reason),
                                      "revoke_index", (json_int_t)st.revoke_index, "revoked_at",
                                      (json_int_t)st.revoke_time));
    return reply_json(c, r, 200, o);
}

static enum MHD_Result r_revoke(struct MHD_Connection *c, req *r, const char *url)
{
    char why[300], id[MHD_DOCID_MAX + 1];
    const char *reason;
    static _Thread_local mhd_msg m;
    const char *p = url + strlen("/api/v1/documents/");
    size_t n = strlen(p) - strlen("/revoke");
    if (n == 0 || n > MHD_DOCID_MAX)
        return fail(c, r, 404, "no such document");
    snprintf(id, sizeof id, "%.*s", (int)n, p);
    const char *slash = strchr(id, '/');
    char issuer[MH_APP_ID_MAX + 1];
    snprintf(issuer, sizeof issuer, "%.*s", slash ? (int)(slash - id) : 0, id);
    if (!may_act_for(r, issuer))
        return fail(c, r, 403, "this credential does not act for that document's issuer");
    json_t *o = parse_body(r, why, sizeof why);
    if (!o)
        return fail(c, r, 400, why);
    int code = -1;
    if (get_str(o, "reason", &reason) && reason)
        code = mh_app_reason_from_name(reason);
    json_decref(o);
    if (code < 0 || code == 8)
        return fail(c, r, 400,
                    "give {\"reason\": R}, an RFC 5280 reason name (superseded, "
                    "keyCompromise, ...)");
    mhd_revoke_req q;
    memset(&q, 0, sizeof q);
    snprintf(q.requester, sizeof q.requester, "%s", r->requester);
    snprintf(q.doc_id, sizeof q.doc_id, "%s", id);
    q.reason = (uint32_t)code;
    int rc = mhd_pool_call(&F.ledger, MHD_M_REVOKE_REQ, &q, -1, &m, 120000);
    if (rc == 0 && m.fd >= 0)
        close(m.fd);
    mhd_revoke_ok ok;
    if (rc || m.type != MHD_M_REVOKE_OK || mhd_ipc_decode(m.type, m.buf, m.len, &ok) != 0)
        return ledger_error(c, r, rc, &m);
    return reply_json(c, r, 200,
                      json_pack("{s:s,s:s,s:I,s:I}", "doc_id", id, "reason",
                                mh_app_reason_name(ok.reason), "revoke_index",
                                (json_int_t)ok.revoke_index, "revoked_at", (json_int_t)ok.time));
}

static json_t *batch_json(const mhd_batch_state *s)
{
    static const char *const states[] = {"unknown", "running", "done", "failed"};
    json_t *o = json_pack("{s:i,s:s,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:s,s:s}", "id", (int)s->id,
                          "state", states[s->state < 4 ? s->state : 0], "rows", (json_int_t)s->rows,
                          "issued", (json_int_t)s->issued, "already", (json_int_t)s->already,
                          "remade", (json_int_t)s->remade, "bad", (json_int_t)s->bad, "conflicts",
                          (json_int_t)s->conflicts, "voided", (json_int_t)s->voided, "failed",
                          (json_int_t)s->failed, "message", s->message, "out_dir", s->out_dir);
    if (o && s->state >= 2) {
        /* once it ended: how long it ran, as the CLI's batch says */
        json_object_set_new(o, "elapsed_ms", json_integer((json_int_t)s->elapsed_ms));
        json_object_set_new(o, "per_second", json_integer((json_int_t)s->per_second));
    }
    return o;
}

static enum MHD_Result r_batch(struct MHD_Connection *c, req *r, const char *url)
{
    char why[300];
    const char *kind, *issuer, *roster, *format, *out_dir;
    static _Thread_local mhd_msg m;
    int fd = -1;
    enum MHD_Result ret;
    (void)url;
    json_t *o = parse_body(r, why, sizeof why);
    if (!o)
        return fail(c, r, 400, why);
    if (!get_str(o, "kind", &kind) || !get_str(o, "issuer", &issuer) ||
        !get_str(o, "roster", &roster) || !get_str(o, "format", &format) ||
        !get_str(o, "out_dir", &out_dir) || !kind || !roster ||
        (format && strcmp(format, "csv") && strcmp(format, "json"))) {
        ret = fail(c, r, 400,
                   "give {\"kind\": K, \"issuer\": I, \"roster\": TEXT, \"format\": csv|json}");
        goto out;
    }
    mh_app_issuer_info only;
    if (!issuer && r->who && (r->roles & ROLE_ISSUER))
        issuer = r->who->issuer;
    if (!issuer && mh_app_issuer_for_kind(F.app, kind, &only) == 0)
        issuer = only.id;
    if (!issuer || !may_act_for(r, issuer)) {
        ret = fail(c, r, issuer ? 403 : 400,
                   issuer ? "this credential does not act for that issuer"
                          : "give the issuer that signs");
        goto out;
    }
    if (out_dir && !r->local_admin) {
        ret = fail(c, r, 403, "only the local CLI chooses where a batch writes");
        goto out;
    }
    mhd_batch_req q;
    memset(&q, 0, sizeof q);
    if (!copy_str(q.kind, sizeof q.kind, kind) || !copy_str(q.issuer, sizeof q.issuer, issuer) ||
        (out_dir && (!copy_str(q.out_dir, sizeof q.out_dir, out_dir) || out_dir[0] != '/'))) {
        ret = fail(c, r, 400, "a value is too long, or out_dir is not absolute");
        goto out;
    }
    q.json = format && strcmp(format, "json") == 0;
    snprintf(q.requester, sizeof q.requester, "%s", r->requester);
    int rc = mhd_memfd_from("mohur-roster", roster, strlen(roster), &fd);
    if (rc == 0)
        rc = mhd_pool_call(&F.ledger, MHD_M_BATCH_REQ, &q, fd, &m, 30000);
    if (rc == 0 && m.fd >= 0)
        close(m.fd);
    mhd_batch_state st;
    if (rc || m.type != MHD_M_BATCH_STATE || mhd_ipc_decode(m.type, m.buf, m.len, &st) != 0) {
        ret = ledger_error(c, r, rc, &m);
        goto out;
    }
    ret = reply_json(c, r, 202, batch_json(&st));
out:
    if (fd >= 0)
        close(fd);
    json_decref(o);
    return ret;
}

static enum MHD_Result r_batch_get(struct MHD_Connection *c, req *r, const char *url)
{
    static _Thread_local mhd_msg m;
    const char *p = url + strlen("/api/v1/batches/");
    char *end;
    errno = 0;
    unsigned long id = strtoul(p, &end, 10);
    if (!p[0] || *end || errno || id == 0 || id > 0xffffffffu || p[0] == '-' || p[0] == '+')
        return fail(c, r, 404, "no such batch");
    mhd_batch_poll q = {(uint32_t)id};
    int rc = mhd_pool_call(&F.ledger, MHD_M_BATCH_POLL, &q, -1, &m, 10000);
    if (rc == 0 && m.fd >= 0)
        close(m.fd);
    mhd_batch_state st;
    if (rc || m.type != MHD_M_BATCH_STATE || mhd_ipc_decode(m.type, m.buf, m.len, &st) != 0)
        return ledger_error(c, r, rc, &m);
    return reply_json(c, r, 200, batch_json(&st));
}

/* A witness's cosignature of a checkpoint (public: its signature decides). */
static enum MHD_Result r_cosig(struct MHD_Connection *c, req *r, const char *url)
{
    static _Thread_local mhd_msg m;
    mhd_cosig_req q;
    (void)url;
    memset(&q, 0, sizeof q);
    q.seq = UINT64_MAX;
    if (!query_u64(c, "seq", &q.seq, false))
        return fail(c, r, 400, "seq is the checkpoint's number");
    if (!r->body || r->len == 0 || r->len >= sizeof q.line || memchr(r->body, 0, r->len))
        return fail(c, r, 400,
                    "send one cosignature line (\u2014 NAME BASE64), at most 1024 bytes, as "
                    "text/plain");
    memcpy(q.line, r->body, r->len);
    snprintf(q.requester, sizeof q.requester, "%s", r->requester[0] ? r->requester : "-");
    int rc = mhd_pool_call(&F.ledger, MHD_M_COSIG_REQ, &q, -1, &m, 30000);
    if (rc == 0 && m.fd >= 0)
        close(m.fd);
    if (rc || m.type != MHD_M_OK)
        return ledger_error(c, r, rc, &m);
    return reply_json(c, r, 201, json_pack("{s:b}", "stored", 1));
}

/* ---- routing ------------------------------------------------------------------------- */

enum {
    M_NONE,
    M_HEALTHZ,
    M_READYZ,
    M_METRICS,
    M_V,
    M_TILES,
    M_LOG,
    M_WHOAMI,
    M_VERIFY,
    M_ISSUE,
    M_STATUS,
    M_REVOKE,
    M_BATCH,
    M_COSIG,
    M_COSIGN_PARTY
};

/* The API (docs/openapi.yaml lists the same). */
static const route routes[] = {
    {"GET", "/healthz", false, NULL, 0, 0, r_healthz, M_HEALTHZ, false},
    {"GET", "/readyz", false, NULL, 0, 0, r_readyz, M_READYZ, true},
    {"GET", "/metrics", false, NULL, ROLE_ADMIN | ROLE_AUDITOR, 0, r_metrics, M_METRICS, true},
    {"GET", "/V/", true, NULL, 0, 0, r_verify_page, M_V, false},
    {"GET", "/", false, NULL, 0, 0, r_web, M_V, false},
    {"GET", "/assets/", true, NULL, 0, 0, r_web, M_V, false},
    {"GET", "/offline.html", false, NULL, 0, 0, r_web, M_V, false},
    {"GET", "/checkpoint", false, NULL, 0, 0, r_tiles, M_TILES, false},
    {"GET", "/tile/", true, NULL, 0, 0, r_tiles, M_TILES, false},
    {"GET", "/api/v1/log/checkpoint", false, NULL, 0, 0, r_log, M_LOG, false},
    {"GET", "/api/v1/log/proof/inclusion", false, NULL, 0, 0, r_log, M_LOG, false},
    {"GET", "/api/v1/log/proof/consistency", false, NULL, 0, 0, r_log, M_LOG, false},
    {"POST", "/api/v1/log/cosignatures", false, NULL, 0, 1, r_cosig, M_COSIG, true},
    {"GET", "/api/v1/whoami", false, NULL, ROLE_ANY, 0, r_whoami, M_WHOAMI, false},
    {"POST", "/api/v1/verify", false, NULL, ROLE_ANY, 2, r_verify, M_VERIFY, true},
    {"POST", "/api/v1/documents", false, NULL, ROLE_ADMIN | ROLE_ISSUER | ROLE_NOTARY, 2, r_issue,
     M_ISSUE, true},
    {"POST", "/api/v1/documents/signature", false, NULL, ROLE_ADMIN | ROLE_ISSUER | ROLE_NOTARY, 1,
     r_extsig, M_ISSUE, true},
    {"POST", "/api/v1/documents/", true, "/revoke", ROLE_ADMIN | ROLE_ISSUER | ROLE_NOTARY, 1,
     r_revoke, M_REVOKE, true},
    {"GET", "/api/v1/documents/", true, NULL, ROLE_ANY, 0, r_status, M_STATUS, false},
    {"POST", "/api/v1/batches", false, NULL, ROLE_ADMIN | ROLE_ISSUER, 2, r_batch, M_BATCH, true},
    {"GET", "/api/v1/batches/", true, NULL, ROLE_ADMIN | ROLE_ISSUER | ROLE_AUDITOR, 0, r_batch_get,
     M_BATCH, true},
    {"POST", "/api/v1/cosign/prepare", false, NULL, ROLE_ADMIN | ROLE_ISSUER | ROLE_NOTARY, 2,
     r_cosign_prepare, M_COSIGN_PARTY, true},
    {"POST", "/api/v1/cosign/embed", false, NULL, ROLE_ADMIN | ROLE_ISSUER | ROLE_NOTARY, 2,
     r_cosign_embed, M_COSIGN_PARTY, true},
};

/* ---- workers: the async routes, off libmicrohttpd's threads -------------------- */

static struct {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    req *head, *tail;
    unsigned inflight; /* queued or running */
    bool stop;
} Q = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, NULL, NULL, 0, false};

static void *worker(void *arg)
{
    (void)arg;
    for (;;) {
        pthread_mutex_lock(&Q.lock);
        while (!Q.head && !Q.stop)
            pthread_cond_wait(&Q.cond, &Q.lock);
        if (!Q.head) {
            pthread_mutex_unlock(&Q.lock);
            return NULL;
        }
        req *r = Q.head;
        Q.head = r->next;
        if (!Q.head)
            Q.tail = NULL;
        pthread_mutex_unlock(&Q.lock);
        (void)r->rt->fn(r->conn, r, r->url);
        if (!r->resp)
            (void)fail(r->conn, r, 500, "the answer could not be made");
        struct MHD_Connection *c = r->conn;
        pthread_mutex_lock(&Q.lock);
        Q.inflight--;
        pthread_cond_broadcast(&Q.cond);
        pthread_mutex_unlock(&Q.lock);
        MHD_resume_connection(c);
    }
}

static void dispatch(struct MHD_Connection *c, req *r, const char *url)
{
    r->deferred = true;
    r->conn = c;
    snprintf(r->url, sizeof r->url, "%s", url);
    MHD_suspend_connection(c);
    pthread_mutex_lock(&Q.lock);
    r->next = NULL;
    if (Q.tail)
        Q.tail->next = r;
    else
        Q.head = r;
    Q.tail = r;
    Q.inflight++;
    pthread_cond_signal(&Q.cond);
    pthread_mutex_unlock(&Q.lock);
}

static bool path_matches(const route *rt, const char *url)
{
    size_t pl = strlen(rt->path);
    if (!rt->prefix)
        return strcmp(url, rt->path) == 0;
    if (strncmp(url, rt->path, pl) != 0 || !url[pl])
        return false;
    if (rt->suffix) {
        size_t ul = strlen(url), sl = strlen(rt->suffix);
        return ul > pl + sl && strcmp(url + ul - sl, rt->suffix) == 0;
    }
    return true;
}

/* The route, or NULL with *any_path telling 405 from 404. */
static const route *find_route(const char *method, const char *url, const route **any_path)
{
    *any_path = NULL;
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
        if (!path_matches(&routes[i], url))
            continue;
        if (strcmp(routes[i].method, method) == 0)
            return &routes[i];
        if (!*any_path)
            *any_path = &routes[i];
    }
    return NULL;
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *c, const char *url,
                               const char *method, const char *version, const char *upload_data,
                               size_t *upload_data_size, void **con_cls)
{
    const listener *L = cls;
    req *r = *con_cls;
    (void)version;
    if (!r) {
        if (!(r = calloc(1, sizeof *r)))
            return MHD_NO;
        r->L = L;
        r->t0 = now_s();
        *con_cls = r;
        const route *other = NULL;
        r->rt = find_route(method, url, &other);
        if (!r->rt) {
            if (other) {
                r->rt = other;
                return fail(c, r, 405, "this method is not allowed here");
            }
            return fail(c, r, 404, "no such route in mohurd's API (docs/openapi.yaml)");
        }
        int a = authenticate(c, r);
        if (r->rt->roles) {
            if (a <= 0) {
                atomic_fetch_add(&M.auth_failures, 1);
                return fail(c, r, 401,
                            a < 0 ? "the API token or certificate is not valid (revoked, or "
                                    "never issued)"
                                  : "this route needs an API token (Authorization: Bearer ...) "
                                    "or a client certificate");
            }
            if (!(r->roles & r->rt->roles))
                return fail(c, r, 403, "this credential's role may not use this route");
            if (!rate_ok(r)) {
                atomic_fetch_add(&M.rate_limited, 1);
                return fail(c, r, 429, "too many requests from this credential; slow down");
            }
        }
        /* the body's size from its header, before a byte of it is read */
        r->max = r->rt->body == 2 ? F.c->max_body : r->rt->body == 1 ? F.c->max_json : 0;
        const char *cl =
            MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (cl) {
            char *end;
            errno = 0;
            unsigned long long n = strtoull(cl, &end, 10);
            if (errno || *end || end == cl || n > r->max) {
                r->too_big = true;
                return fail(c, r, 413,
                            r->max ? "the body is larger than this route takes"
                                   : "this route takes no body");
            }
        }
        return MHD_YES;
    }
    if (r->deferred) {
        /* resumed: the worker's answer */
        if (!r->resp)
            return MHD_NO;
        enum MHD_Result ret = MHD_queue_response(c, (unsigned)r->status, r->resp);
        MHD_destroy_response(r->resp);
        r->resp = NULL;
        r->deferred = false;
        return ret;
    }
    if (r->status)
        return MHD_YES; /* answered already; MHD discards the rest */
    if (*upload_data_size) {
        size_t n = *upload_data_size;
        *upload_data_size = 0;
        if (r->too_big)
            return MHD_YES;
        if (n > r->max - r->len) {
            /* chunked, or longer than announced */
            r->too_big = true;
            free(r->body);
            r->body = NULL;
            return MHD_YES;
        }
        if (r->len + n + 1 > r->cap) {
            size_t cap = r->cap ? r->cap : 16384;
            while (cap < r->len + n + 1)
                cap *= 2;
            char *nb = realloc(r->body, cap);
            if (!nb)
                return MHD_NO;
            r->body = nb;
            r->cap = cap;
        }
        memcpy(r->body + r->len, upload_data, n);
        r->len += n;
        r->body[r->len] = 0;
        return MHD_YES;
    }
    if (r->too_big)
        return fail(c, r, 413, "the body is larger than this route takes");
    if (r->rt->async) {
        dispatch(c, r, url);
        return MHD_YES;
    }
    return r->rt->fn(c, r, url);
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls,
                      enum MHD_RequestTerminationCode toe)
{
    req *r = *con_cls;
    (void)cls;
    (void)c;
    if (!r)
        return;
    size_t rt = r->rt ? r->rt->metric : M_NONE;
    double dt = now_s() - r->t0;
    atomic_fetch_add(&M.count[rt][status_slot(r->status)], 1);
    size_t b = 0;
    while (b < NLAT && dt > lat_le[b])
        b++;
    atomic_fetch_add(&M.lat[rt][b], 1);
    atomic_fetch_add(&M.lat_sum_us[rt], (unsigned long long)(dt * 1e6));
    if (F.c->log_requests || r->status >= 500 || toe != MHD_REQUEST_TERMINATED_COMPLETED_OK)
        mhd_log(r->status >= 500 ? MHD_LOG_WARN : MHD_LOG_INFO, "request",
                "route=%s status=%d ms=%.1f who=%s end=%d", route_names[rt], r->status, dt * 1e3,
                mhd_q(r->requester[0] ? r->requester : "-"), (int)toe);
    if (r->resp)
        MHD_destroy_response(r->resp);
    free(r->body);
    free(r);
    *con_cls = NULL;
}

/* libmicrohttpd's own messages: fm is its printf format */
static void mhd_logger(void *cls, const char *fm, va_list ap) MH_PRINTF(2, 0);
static void mhd_logger(void *cls, const char *fm, va_list ap)
{
    char b[512];
    (void)cls;
    vsnprintf(b, sizeof b, fm, ap);
    size_t n = strlen(b);
    while (n && b[n - 1] == '\n')
        b[--n] = 0;
    mhd_log(MHD_LOG_DEBUG, "libmicrohttpd", "detail=%s", mhd_q(b));
}

/* ---- setting up --------------------------------------------------------------------- */

static char *read_small(const char *path)
{
    FILE *f = fopen(path, "re");
    if (!f)
        return NULL;
    char *b = calloc(1, 65537);
    size_t n = b ? fread(b, 1, 65536, f) : 0;
    fclose(f);
    if (b && n == 65536) {
        free(b);
        return NULL;
    }
    return b;
}

static int front_setup(mhd_conf *c)
{
    int rc;
    char path[1200];
    struct stat st;
    memset(&F, 0, sizeof F);
    F.c = c;
    F.tiles_fd = -1;
    F.follow_fd = -1;
    mhd_pool_init(&F.ledger);
    if ((rc = mh_app_open_ex(c->state_dir, MH_APP_READ_ONLY, &F.app)) != 0 ||
        (rc = mh_app_cred_list(c->state_dir, &F.creds, &F.ncreds)) != 0)
        return rc;
    F.buckets = calloc(F.ncreds ? F.ncreds : 1, sizeof *F.buckets);
    if (!F.buckets)
        return MH_ERR_NOMEM;
    for (size_t i = 0; i < F.ncreds; i++)
        pthread_mutex_init(&F.buckets[i].m, NULL);
    if (stat(c->state_dir, &st) == 0)
        F.state_uid = st.st_uid;
    snprintf(path, sizeof path, "%s/tiles", c->state_dir);
    F.tiles_fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    bool tls = false;
    for (size_t i = 0; i < c->nlisten; i++)
        tls = tls || c->listen[i].tls;
    if (tls) {
        snprintf(path, sizeof path, "%s/certs/root.crt", c->state_dir);
        F.tls_cert = read_small(c->tls_cert);
        F.tls_key = read_small(c->tls_key);
        F.tls_ca = read_small(c->tls_client_ca[0] ? c->tls_client_ca : path);
        if (!F.tls_cert || !F.tls_key) {
            mh_err_set(MH_ERR_IO, "the TLS certificate %s or key %s cannot be read (PEM)",
                       c->tls_cert, c->tls_key);
            return MH_ERR_IO;
        }
    }
    F.ncache = c->verify_cache;
    if (F.ncache && (!(F.cache = calloc(F.ncache, sizeof *F.cache)) ||
                     !(wcache = calloc(F.ncache, sizeof *wcache))))
        return MH_ERR_NOMEM;
    for (size_t i = 0; i < CACHE_STRIPES; i++) {
        pthread_mutex_init(&F.cache_lock[i], NULL);
        pthread_mutex_init(&wcache_lock[i], NULL);
    }
    /* the verification page: its catalogs and the offline verifier are
     * built now, while files can be read */
    mh_web_opts wo = {.public_host = c->public_host[0] ? c->public_host : NULL, .https = tls};
    if ((rc = mh_web_open(F.app, &wo, &F.web)) != 0)
        return rc;
    /* the kinds, which verifying and co-signing read, in memory: the
     * directory may be one only root may enter (a checkout under /root) */
    if ((rc = mh_kinds_preload(mh_kinds_dir())) != 0)
        return rc;
    /* and the stamp's font, for a co-signature's caption in the party's
     * own letters (it is read from /usr/share/fonts, outside Landlock's) */
    mh_app_stamp_font_load(F.app);
    /* the registries this appliance follows: the configuration read now
     * (it may be root's), their state and copy (the follower's) later
     * through a descriptor opened now (the user may not pass through the
     * state directory) */
    if (c->follow_config[0]) {
        char fpath[64];
        if ((F.follow_fd = open(c->follow_state, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0) {
            mh_err_set(MH_ERR_IO, "the follow state %s cannot be opened: %s", c->follow_state,
                       strerror(errno));
            return MH_ERR_IO;
        }
        snprintf(fpath, sizeof fpath, "/proc/self/fd/%d", F.follow_fd);
        if ((rc = mh_app_follow_open(c->follow_config, fpath, true, &F.follow)) != 0)
            return rc;
    }
    /* what follows cannot be undone: no more root, then only the kinds and
     * the tiles to read (Landlock), then no writing, no code, no sockets
     * (seccomp). /proc: the memfds of uploads are opened by their
     * /proc/self/fd paths. */
    char tiles[1200];
    snprintf(tiles, sizeof tiles, "%s/tiles", c->state_dir);
    const char *dirs[] = {mh_kinds_dir(), tiles, "/proc", c->follow_state};
    const char *files[] = {"/dev/null", "/dev/urandom"};
    int ll = -1;
    if ((rc = mhd_landlock_prepare(dirs, c->follow_config[0] ? 4 : 3, files, 2, &ll)) != 0 ||
        (rc = mhd_drop_user(c->user)) != 0 || (rc = mhd_landlock_apply(ll)) != 0 ||
        (rc = mhd_seccomp(MHD_ROLE_FRONT)) != 0)
        return rc;
    return MH_OK;
}

int mhd_front_probe(mhd_conf *c, const char *what)
{
    char path[1200];
    int rc = front_setup(c);
    if (rc) {
        fprintf(stderr, "probe: setup failed: %s\n", mh_err_message(rc));
        return 2;
    }
    int fd = -1, err = 0;
    if (strcmp(what, "pin") == 0) {
        snprintf(path, sizeof path, "%s/pins/user.pin", c->state_dir);
        fd = open(path, O_RDONLY | O_CLOEXEC);
    } else if (strcmp(what, "ledger") == 0) {
        snprintf(path, sizeof path, "%s/ledger/data.mdb", c->state_dir);
        fd = open(path, O_RDWR | O_CLOEXEC);
    } else if (strcmp(what, "write") == 0) {
        fd = open("/tmp/mohurd-probe", O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
    } else if (strcmp(what, "etc") == 0) {
        /* world-readable, but outside what the front may read (Landlock) */
        fd = open("/etc/passwd", O_RDONLY | O_CLOEXEC);
    } else if (strcmp(what, "tokens") == 0) {
        snprintf(path, sizeof path, "%s/tokens", c->state_dir);
        fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    } else if (strcmp(what, "module") == 0) {
        const char *mod = getenv("MOHURD_PROBE_MODULE");
        void *h = dlopen(mod ? mod : "/usr/lib/softhsm/libsofthsm2.so", RTLD_NOW);
        printf("probe=module result=%s detail=%s\n", h ? "ALLOWED" : "denied",
               h ? "-" : mhd_q(dlerror()));
        return h ? 1 : 0;
    } else if (strcmp(what, "socket") == 0) {
        fd = socket(AF_INET, SOCK_STREAM, 0);
    } else if (strcmp(what, "exec") == 0) {
        execl("/bin/true", "true", (char *)NULL);
        printf("probe=exec result=denied errno=%s\n", strerror(errno));
        return 0;
    } else {
        fprintf(stderr, "probe: unknown '%s' (pin, ledger, write, tokens, module, socket, exec)\n",
                what);
        return 2;
    }
    err = errno;
    printf("probe=%s result=%s errno=%s\n", what, fd >= 0 ? "ALLOWED" : "denied",
           fd >= 0 ? "-" : strerrorname_np(err));
    return fd >= 0 ? 1 : 0;
}

int mhd_front_main(mhd_conf *c, size_t nlisten)
{
    int rc;
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    sigprocmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    int sfd = signalfd(-1, &set, SFD_CLOEXEC);
    if ((rc = front_setup(c)) != 0)
        return rc;
    for (size_t i = 0; i < nlisten; i++) {
        listener *L = &F.ls[i];
        const mhd_listen *cl = &c->listen[i];
        L->index = i;
        L->tls = cl->tls;
        L->local = cl->local;
        L->unix_sock = cl->kind == MHD_LISTEN_UNIX;
        unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ITC | MHD_USE_ERROR_LOG |
                         MHD_ALLOW_SUSPEND_RESUME;
        if (L->tls)
            flags |= MHD_USE_TLS;
        /* the CLI's socket and other Unix sockets: no per-address limit */
        unsigned per_ip = L->unix_sock ? 0 : c->per_ip_limit;
        struct MHD_OptionItem tls_opts[] = {
            {MHD_OPTION_HTTPS_MEM_CERT, 0, F.tls_cert},
            {MHD_OPTION_HTTPS_MEM_KEY, 0, F.tls_key},
            {F.tls_ca ? MHD_OPTION_HTTPS_MEM_TRUST : MHD_OPTION_END, 0, F.tls_ca},
            {MHD_OPTION_END, 0, NULL},
        };
        struct MHD_OptionItem none[] = {{MHD_OPTION_END, 0, NULL}};
        L->d = MHD_start_daemon(
            flags, 0, NULL, NULL, handler, L, MHD_OPTION_LISTEN_SOCKET, MHD_LISTEN_FD0 + (int)i,
            MHD_OPTION_THREAD_POOL_SIZE, c->threads, MHD_OPTION_CONNECTION_LIMIT, c->conn_limit,
            MHD_OPTION_PER_IP_CONNECTION_LIMIT, per_ip, MHD_OPTION_CONNECTION_TIMEOUT, c->timeout,
            MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)32 * 1024, MHD_OPTION_NOTIFY_COMPLETED,
            completed, NULL, MHD_OPTION_EXTERNAL_LOGGER, mhd_logger, NULL,
            MHD_OPTION_SIGPIPE_HANDLED_BY_APP, 1, MHD_OPTION_ARRAY, L->tls ? tls_opts : none,
            MHD_OPTION_END);
        if (!L->d) {
            mh_err_set(MH_ERR_IO, "libmicrohttpd could not serve on %s", cl->spec);
            return MH_ERR_IO;
        }
        F.nls = i + 1;
    }
    /* as many workers as channels to the ledger process: each waits on one */
    pthread_t workers[MHD_CHANNELS_MAX];
    unsigned nworkers = c->channels;
    for (unsigned i = 0; i < nworkers; i++)
        if (pthread_create(&workers[i], NULL, worker, NULL) != 0)
            return MH_ERR_INTERNAL;
    mhd_ready rd = {MHD_ROLE_FRONT, (uint32_t)getpid()};
    if ((rc = mhd_ipc_send(MHD_PARENT_FD, MHD_M_READY, 0, &rd, -1)) != 0)
        return rc;
    mhd_log(MHD_LOG_INFO, "serving", "listeners=%zu user=%s threads=%u public_rate=%u", nlisten,
            mhd_q(c->user), c->threads, c->public_rate);
    static mhd_msg m;
    static const mhd_permit permits[] = {{MHD_M_CONNECT, true, false}};
    for (;;) {
        struct pollfd pf[2] = {{MHD_PARENT_FD, POLLIN, 0}, {sfd, POLLIN, 0}};
        if (poll(pf, 2, -1) < 0 && errno != EINTR)
            break;
        if (pf[1].revents & POLLIN) {
            struct signalfd_siginfo si;
            if (read(sfd, &si, sizeof si) == (ssize_t)sizeof si && si.ssi_signo != SIGHUP)
                break;
        }
        if (pf[0].revents & (POLLIN | POLLHUP)) {
            rc = mhd_ipc_recv(MHD_PARENT_FD, &m, 0);
            if (rc == MH_ERR_IO)
                break; /* the parent is gone: so are we */
            mhd_connect cn;
            if (rc || !mhd_ipc_permitted(permits, 1, &m) ||
                mhd_ipc_decode(m.type, m.buf, m.len, &cn) != 0 || cn.peer != MHD_ROLE_LEDGER) {
                mhd_log(MHD_LOG_ERROR, "protocol violation from the parent", "type=%s",
                        mhd_ipc_type_name(m.type));
                return MH_ERR_PARSE;
            }
            mhd_pool_set(&F.ledger, cn.slot, m.fd);
        }
    }
    /* drain: stop accepting (the listeners stay open for the next front),
     * finish what is in flight, then go */
    F.draining = true;
    for (size_t i = 0; i < F.nls; i++)
        (void)MHD_quiesce_daemon(F.ls[i].d);
    double until = now_s() + c->timeout + 5;
    for (;;) {
        unsigned conns = 0;
        for (size_t i = 0; i < F.nls; i++) {
            const union MHD_DaemonInfo *di =
                MHD_get_daemon_info(F.ls[i].d, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);
            conns += di ? di->num_connections : 0;
        }
        if (conns == 0 || now_s() > until)
            break;
        usleep(20000);
    }
    /* requests still with a worker finish first (their IPC calls time out) */
    pthread_mutex_lock(&Q.lock);
    while (Q.inflight)
        pthread_cond_wait(&Q.cond, &Q.lock);
    Q.stop = true;
    pthread_cond_broadcast(&Q.cond);
    pthread_mutex_unlock(&Q.lock);
    for (unsigned i = 0; i < nworkers; i++)
        pthread_join(workers[i], NULL);
    for (size_t i = 0; i < F.nls; i++)
        MHD_stop_daemon(F.ls[i].d);
    mhd_log(MHD_LOG_INFO, "drained", NULL);
    for (size_t i = 0; i < F.ncache; i++) {
        free(F.cache[i].json);
        free(F.cache[i].html);
    }
    free(F.cache);
    for (size_t i = 0; wcache && i < F.ncache; i++)
        free(wcache[i].body);
    free(wcache);
    mh_web_close(F.web);
    mh_app_follow_close(F.follow);
    free(F.buckets);
    free(F.creds);
    free(F.tls_cert);
    free(F.tls_key);
    free(F.tls_ca);
    mh_app_close(F.app);
    return MH_OK;
}
