/*
 * mh_web.h - the public verification page: what a phone shows after
 * scanning a document's QR code (HTTPS://HOST/V/<receipt>), in every
 * language of the message catalogs (Azerbaijani by default, Russian,
 * English), its static assets (CSS, JavaScript, fonts; embedded in the
 * binary at build time), and the self-contained offline verifier. The one
 * public header of host/web; docs/web.md says what the page shows and why.
 *
 * A front end (mohurd's front process, the test server in tests/web) opens
 * one mh_web over a read-only mh_app and hands it each GET/HEAD request
 * whose path mh_web_route() claims; mh_web_handle() answers with a status,
 * the headers (Content-Security-Policy and the rest) and a body. Nothing
 * here reads the network or the source tree, and nothing is written.
 *
 * Every function returns 0 or a negative MH_ERR_* code.
 */
#ifndef MH_WEB_H
#define MH_WEB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mh_app.h"
#include "mh_common.h"

typedef struct mh_web mh_web;

typedef struct mh_web_opts {
    /* The host the QR codes name when the Host header cannot be trusted
     * for it (a reverse proxy that rewrites Host, a test server on
     * loopback): every receipt is judged as opened at this host. NULL:
     * the request's Host header, which is what the phone put there from
     * the QR's URL (falling back to the appliance's verify_host when a
     * request has none). */
    const char *public_host;
    /* The page is served over HTTPS: the language cookie gets Secure. */
    bool https;
    /* The time pages say they were checked at (tests); 0: now. */
    int64_t now;
} mh_web_opts;

/* Loads the message catalogs (checking every one) and builds the offline
 * verifier once. a must stay open (read-only is enough) while w is. */
int mh_web_open(mh_app *a, const mh_web_opts *o, mh_web **out) MH_WARN_UNUSED;
void mh_web_close(mh_web *w);

/* Does mh_web answer this path? "/V/...", "/assets/...", "/offline.html"
 * and "/". A front end sends these to mh_web_handle and answers the rest
 * itself (its API) or with 404. */
bool mh_web_route(const char *path);

typedef struct mh_web_request {
    const char *method;          /* "GET" or "HEAD" (anything else: 405) */
    const char *path;            /* the URL path, without the query */
    const char *query;           /* after '?', or NULL ("lang=ru" switches and remembers) */
    const char *host;            /* the Host header, or NULL */
    const char *accept_language; /* the Accept-Language header, or NULL */
    const char *cookie;          /* the Cookie header, or NULL ("mh_lang=ru") */
    const char *if_none_match;   /* the If-None-Match header, or NULL (assets: 304) */
} mh_web_request;

#define MH_WEB_HEADERS_MAX 16

typedef struct mh_web_header {
    char name[40];
    char value[480];
} mh_web_header;

typedef struct mh_web_response {
    unsigned status; /* 200, 304, 400, 404, 405 */
    size_t nheaders;
    mh_web_header headers[MH_WEB_HEADERS_MAX]; /* Content-Type and all the others */
    const uint8_t *body; /* body_len bytes; for HEAD the length of what GET sends */
    size_t body_len;
    uint8_t *owned; /* what mh_web_response_free frees */
    /* a verdict that changes without the ledger growing (an entry whose
     * issuer's signature is awaited): a cache must not keep it */
    bool no_store;
} mh_web_response;

/* Answers one request. THREAD-SAFE when the mh_app's verification is (a
 * read-only mh_app is). Request headers are read with caps (each at most
 * 4 KiB is looked at); a path that is not a receipt gets a page saying so.
 * On success the caller sends res and then calls mh_web_response_free. */
int mh_web_handle(mh_web *w, const mh_web_request *req, mh_web_response *res) MH_WARN_UNUSED;
void mh_web_response_free(mh_web_response *res);

/* The language a request gets: "lang=" in the query, else the cookie
 * mh_lang, else the best of Accept-Language, else "az" (the registry's).
 * Writes a catalog's code ("az", "ru", "en") into out (cap >= 8). */
void mh_web_pick_lang(const mh_web *w, const char *query, const char *cookie,
                      const char *accept_language, char *out, size_t cap);

/* The offline verifier: one self-contained HTML file (its script, styles,
 * fonts, message catalogs and this registry's receipt keys inside; a
 * Content-Security-Policy that allows nothing from outside). *html is
 * malloc'd. `mohur web export` writes it; mohurd serves it as
 * /offline.html. */
int mh_web_export_offline(mh_app *a, int64_t now, uint8_t **html, size_t *len) MH_WARN_UNUSED;

#endif
