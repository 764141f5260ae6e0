/* serve.c - requests: routes, the language, the verdict page, the assets,
 * and the headers every answer carries (a strict Content-Security-Policy
 * among them). Everything taken from a request is read with a cap. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mh_hash.h"
#include "mh_pki.h"
#include "web_int.h"

#define HDR_CAP 4096 /* bytes of a request header looked at */
#define LANG_COOKIE "mh_lang"

/* connect-src 'none': the page's script can send nothing anywhere, so the
 * file checked in the browser cannot leave it. */
static const char csp[] =
    "default-src 'none'; script-src 'self'; style-src 'self'; font-src 'self'; "
    "img-src 'self'; connect-src 'none'; form-action 'none'; base-uri 'none'; "
    "frame-ancestors 'none'; require-trusted-types-for 'script'";

int mh_web_open(mh_app *a, const mh_web_opts *o, mh_web **out)
{
    int ret;
    mh_web *w = calloc(1, sizeof *w);
    if (!w)
        return MH_ERR_NOMEM;
    w->app = a;
    if (o && o->public_host) {
        if (strlen(o->public_host) > MH_RECEIPT_HOST_MAX) {
            mh_err_set(MH_ERR_INVALID_ARG, "the public host name is longer than %d characters",
                       MH_RECEIPT_HOST_MAX);
            ret = MH_ERR_INVALID_ARG;
            goto fail;
        }
        snprintf(w->public_host, sizeof w->public_host, "%s", o->public_host);
    }
    w->https = o && o->https;
    w->now = o ? o->now : 0;
    if ((ret = web_i18n_load(&w->i18n)) != 0)
        goto fail;
    for (size_t i = 0; i < w->i18n.n; i++) {
        size_t n;
        const char *j = web_lang_json(w->i18n.lang[i], &n);
        if (memchr(j, '<', n)) {
            mh_err_set(MH_ERR_PARSE,
                       "the message catalog %s contains '<', which the page cannot embed",
                       web_lang_code(w->i18n.lang[i]));
            ret = MH_ERR_PARSE;
            goto fail;
        }
    }
    if ((ret = mh_app_web_registry_keys(a, w->keys, 4, &w->nkeys)) != 0)
        goto fail;
    if ((ret = mh_web_export_offline(a, w->now, &w->offline, &w->offline_len)) != 0)
        goto fail;
    *out = w;
    return MH_OK;
fail:
    mh_web_close(w);
    return ret;
}

void mh_web_close(mh_web *w)
{
    if (!w)
        return;
    web_i18n_free(&w->i18n);
    free(w->offline);
    free(w);
}

bool mh_web_route(const char *path)
{
    return path && (strncmp(path, "/V/", 3) == 0 || strncmp(path, "/assets/", 8) == 0 ||
                    strcmp(path, "/offline.html") == 0 || strcmp(path, "/") == 0);
}

/* ---- the language ----------------------------------------------------------- */

/* The value of name=VALUE in a list separated by sep (query: '&', cookie:
 * ';'), trimmed; false when absent. */
static bool param(const char *s, char sep, const char *name, char *out, size_t cap)
{
    if (!s)
        return false;
    size_t nl = strlen(name), total = strnlen(s, HDR_CAP);
    const char *end = s + total;
    while (s < end) {
        while (s < end && *s == ' ')
            s++;
        const char *e = memchr(s, sep, (size_t)(end - s));
        if (!e)
            e = end;
        if ((size_t)(e - s) > nl && strncmp(s, name, nl) == 0 && s[nl] == '=') {
            const char *v = s + nl + 1;
            size_t vl = (size_t)(e - v);
            while (vl && v[vl - 1] == ' ')
                vl--;
            if (vl >= cap)
                return false;
            memcpy(out, v, vl);
            out[vl] = 0;
            return true;
        }
        s = e + 1;
    }
    return false;
}

static const web_lang *lang_of(const mh_web *w, const char *code)
{
    size_t n = strlen(code);
    if (n < 2 || n > 3)
        return NULL;
    char low[4];
    for (size_t i = 0; i < n; i++)
        low[i] = (char)(code[i] >= 'A' && code[i] <= 'Z' ? code[i] + 32 : code[i]);
    return web_lang_find(&w->i18n, low, n);
}

/* Accept-Language (RFC 9110 12.5.4): the supported language with the
 * highest q, the first of equals; "ru-RU" counts as "ru". */
static const web_lang *accept_lang(const mh_web *w, const char *h)
{
    const web_lang *best = NULL;
    int best_q = 0;
    if (!h)
        return NULL;
    const char *end = h + strnlen(h, HDR_CAP);
    for (int items = 0; h < end && items < 32; items++) {
        const char *e = memchr(h, ',', (size_t)(end - h));
        if (!e)
            e = end;
        while (h < e && (*h == ' ' || *h == '\t'))
            h++;
        const char *t = h;
        while (t < e && ((*t >= 'a' && *t <= 'z') || (*t >= 'A' && *t <= 'Z')))
            t++;
        char code[4] = "";
        size_t tl = (size_t)(t - h);
        if (tl >= 2 && tl <= 3) {
            memcpy(code, h, tl);
            code[tl] = 0;
        }
        int q = 1000;
        const char *qp = t;
        while (qp + 2 < e && !(qp[0] == 'q' && qp[1] == '='))
            qp++;
        if (qp + 2 < e) {
            /* q=0, q=0.5, q=1.000: thousandths */
            const char *d = qp + 2;
            q = 0;
            if (*d == '1')
                q = 1000;
            else if (*d == '0' && d + 1 < e && d[1] == '.') {
                int scale = 100;
                for (const char *x = d + 2; x < e && *x >= '0' && *x <= '9' && scale; x++) {
                    q += (*x - '0') * scale;
                    scale /= 10;
                }
            }
        }
        const web_lang *l = code[0] ? lang_of(w, code) : NULL;
        if (l && q > best_q) {
            best = l;
            best_q = q;
        }
        h = e + 1;
    }
    return best;
}

static const web_lang *pick(const mh_web *w, const char *query, const char *cookie,
                            const char *accept, bool *from_query)
{
    char v[16];
    const web_lang *l;
    *from_query = false;
    if (param(query, '&', "lang", v, sizeof v) && (l = lang_of(w, v))) {
        *from_query = true;
        return l;
    }
    if (param(cookie, ';', LANG_COOKIE, v, sizeof v) && (l = lang_of(w, v)))
        return l;
    if ((l = accept_lang(w, accept)))
        return l;
    return w->i18n.deflt;
}

void mh_web_pick_lang(const mh_web *w, const char *query, const char *cookie,
                      const char *accept_language, char *out, size_t cap)
{
    bool q;
    snprintf(out, cap, "%s", web_lang_code(pick(w, query, cookie, accept_language, &q)));
}

/* ---- answers ------------------------------------------------------------------ */

static void header(mh_web_response *r, const char *name, const char *fmt, ...) MH_PRINTF(3, 4);
static void header(mh_web_response *r, const char *name, const char *fmt, ...)
{
    if (r->nheaders == MH_WEB_HEADERS_MAX)
        return;
    mh_web_header *h = &r->headers[r->nheaders++];
    snprintf(h->name, sizeof h->name, "%s", name);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(h->value, sizeof h->value, fmt, ap);
    va_end(ap);
}

static void common_headers(mh_web_response *r)
{
    header(r, "X-Content-Type-Options", "nosniff");
    header(r, "Referrer-Policy", "no-referrer");
    header(r, "Cross-Origin-Resource-Policy", "same-origin");
}

static const char *mime(const char *name)
{
    const char *dot = strrchr(name, '.');
    if (!dot)
        return "application/octet-stream";
    if (strcmp(dot, ".css") == 0)
        return "text/css; charset=utf-8";
    if (strcmp(dot, ".js") == 0)
        return "text/javascript; charset=utf-8";
    if (strcmp(dot, ".svg") == 0)
        return "image/svg+xml";
    if (strcmp(dot, ".woff2") == 0)
        return "font/woff2";
    if (strcmp(dot, ".png") == 0)
        return "image/png";
    return "application/octet-stream";
}

static int asset(const mh_web_request *req, const char *name, mh_web_response *res)
{
    const web_blob *b = NULL;
    /* only the files of assets/ and the fonts: not the catalogs */
    if (!strchr(name, '/') && strlen(name) < 64 && strcmp(name, "offline.html") != 0)
        b = web_blob_find(name);
    if (!b)
        return MH_ERR_NOT_FOUND;
    uint8_t d[32];
    char etag[24];
    (void)mh_hash_sha256(b->start, (size_t)(b->end - b->start), d);
    snprintf(etag, sizeof etag, "\"%02x%02x%02x%02x%02x%02x%02x%02x\"", d[0], d[1], d[2], d[3],
             d[4], d[5], d[6], d[7]);
    common_headers(res);
    header(res, "Content-Type", "%s", mime(name));
    header(res, "Cache-Control", "public, max-age=86400");
    header(res, "ETag", "%s", etag);
    if (req->if_none_match && strnlen(req->if_none_match, HDR_CAP) < HDR_CAP &&
        strstr(req->if_none_match, etag)) {
        res->status = 304;
        return MH_OK;
    }
    res->status = 200;
    res->body = b->start;
    res->body_len = (size_t)(b->end - b->start);
    return MH_OK;
}

/* The host the request was made for: a DNS name or address with an
 * optional port, lower-cased; else NULL. */
static bool host_ok(const char *h, char *out, size_t cap)
{
    size_t n = strnlen(h, MH_RECEIPT_HOST_MAX + 1);
    if (n == 0 || n > MH_RECEIPT_HOST_MAX || n >= cap)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = h[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '.' || c == ':'))
            return false;
        out[i] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
    }
    out[n] = 0;
    return true;
}

static int page(mh_web *w, const web_lang *l, const mh_web_request *req, mh_web_response *res,
                wbuf *out)
{
    char here[MH_RECEIPT_HOST_MAX + 1];
    web_page pg;
    memset(&pg, 0, sizeof pg);
    pg.path = req->path;
    pg.now = w->now ? w->now : (int64_t)time(NULL);
    if (w->public_host[0])
        snprintf(here, sizeof here, "%s", w->public_host);
    else if (!req->host || !host_ok(req->host, here, sizeof here))
        snprintf(here, sizeof here, "%s", mh_app_verify_host(w->app));
    pg.here = here;
    res->status = 200;

    if (strncmp(req->path, "/V/", 3) != 0) {
        pg.kind = strcmp(req->path, "/") == 0 ? WEB_PAGE_HOME : WEB_PAGE_NOTFOUND;
        pg.path = "/";
        if (pg.kind == WEB_PAGE_NOTFOUND)
            res->status = 404;
        web_render(w, l, &pg, out);
        return MH_OK;
    }
    /* the receipt URL as the QR has it: HTTPS://HOST/V/<BASE32> */
    size_t pl = strnlen(req->path, MH_RECEIPT_URL_MAX);
    mh_app_verdict *v = calloc(1, sizeof *v);
    mh_app_web_signer *s = calloc(1, sizeof *s);
    web_proof *p = calloc(1, sizeof *p);
    mh_kind *k = calloc(1, sizeof *k);
    char *url = malloc(MH_RECEIPT_URL_MAX + 16);
    uint8_t rec[MH_RECEIPT_MAX];
    size_t rl = 0;
    int ret = MH_ERR_NOMEM;
    if (!v || !s || !p || !k || !url)
        goto out;
    bool ok_path = pl < MH_RECEIPT_URL_MAX - 8 - strlen(here);
    for (size_t i = 3; ok_path && i < pl; i++)
        ok_path = (req->path[i] >= 'A' && req->path[i] <= 'Z') ||
                  (req->path[i] >= '2' && req->path[i] <= '7');
    mh_receipt_str hs;
    if (ok_path) {
        snprintf(url, MH_RECEIPT_URL_MAX + 16, "HTTPS://%s%s", here, req->path);
        ok_path = mh_receipt_url_parse(url, strlen(url), &hs, rec, sizeof rec, &rl) == 0;
    }
    if (ok_path) {
        /* base32 that is not a receipt at all: not a receipt page, not a
         * verdict (a receipt that decodes but is not the registry's is) */
        mh_receipt *d = calloc(1, sizeof *d);
        ok_path = d && mh_receipt_decode(rec, rl, d) == 0;
        free(d);
    }
    if (!ok_path) {
        pg.kind = WEB_PAGE_INVALID;
        res->status = 400;
        web_render(w, l, &pg, out);
        ret = MH_OK;
        goto out;
    }
    if ((ret = mh_app_web_verify(w->app, url, v, s)) != 0)
        goto out;
    pg.kind = WEB_PAGE_VERDICT;
    pg.v = v;
    res->no_store = v->pending;
    pg.signer = s;
    pg.receipt = rec;
    pg.receipt_len = rl;
    if (v->kind[0] && mh_kind_load(mh_app_kinds_dir(w->app), v->kind, k) == 0)
        pg.k = k;
    if (v->ledger_known) {
        web_proof_get(w->app, w->keys, w->nkeys, v->log_index, p);
        pg.proof = p;
    }
    web_render(w, l, &pg, out);
    ret = MH_OK;
out:
    free(v);
    free(s);
    free(p);
    free(k);
    free(url);
    return ret;
}

int mh_web_handle(mh_web *w, const mh_web_request *req, mh_web_response *res)
{
    memset(res, 0, sizeof *res);
    bool head = req->method && strcmp(req->method, "HEAD") == 0;
    if (!req->method || (!head && strcmp(req->method, "GET") != 0)) {
        res->status = 405;
        common_headers(res);
        header(res, "Allow", "GET, HEAD");
        header(res, "Content-Type", "text/plain; charset=utf-8");
        res->body = (const uint8_t *)"method not allowed\n";
        res->body_len = 19;
        return MH_OK;
    }
    if (!req->path || strnlen(req->path, MH_RECEIPT_URL_MAX) >= MH_RECEIPT_URL_MAX) {
        res->status = 400;
        common_headers(res);
        header(res, "Content-Type", "text/plain; charset=utf-8");
        res->body = (const uint8_t *)"bad request\n";
        res->body_len = 12;
        return MH_OK;
    }
    if (strncmp(req->path, "/assets/", 8) == 0) {
        int rc = asset(req, req->path + 8, res);
        if (rc != MH_ERR_NOT_FOUND)
            return rc;
        memset(res, 0, sizeof *res);
    }
    if (strcmp(req->path, "/offline.html") == 0) {
        res->status = 200;
        common_headers(res);
        header(res, "Content-Type", "text/html; charset=utf-8");
        header(res, "Content-Disposition", "attachment; filename=\"mohur-offline-verifier.html\"");
        header(res, "Cache-Control", "no-cache");
        res->body = w->offline;
        res->body_len = w->offline_len;
        return MH_OK;
    }
    bool from_query;
    const web_lang *l = pick(w, req->query, req->cookie, req->accept_language, &from_query);
    wbuf out = {0};
    int rc = page(w, l, req, res, &out);
    if (rc || out.failed) {
        wb_free(&out);
        memset(res, 0, sizeof *res);
        return rc ? rc : MH_ERR_NOMEM;
    }
    common_headers(res);
    header(res, "Content-Type", "text/html; charset=utf-8");
    header(res, "Content-Security-Policy", "%s", csp);
    header(res, "Cross-Origin-Opener-Policy", "same-origin");
    header(res, "Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()");
    header(res, "X-Frame-Options", "DENY");
    header(res, "Cache-Control", "no-store");
    header(res, "Content-Language", "%s", web_lang_code(l));
    header(res, "Vary", "Accept-Language, Cookie");
    if (from_query)
        header(res, "Set-Cookie",
               LANG_COOKIE "=%s; Path=/; Max-Age=31536000; SameSite=Strict; HttpOnly%s",
               web_lang_code(l), w->https ? "; Secure" : "");
    res->owned = (uint8_t *)out.p;
    res->body = res->owned;
    res->body_len = out.len;
    return MH_OK;
}

void mh_web_response_free(mh_web_response *res)
{
    free(res->owned);
    memset(res, 0, sizeof *res);
}
