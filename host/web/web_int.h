/* web_int.h - internal header of host/web. */
#ifndef MH_WEB_INT_H
#define MH_WEB_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mh_app.h"
#include "mh_app_web.h"
#include "mh_web.h"

/* ---- embedded files (web_blobs.c, generated) ----------------------------- */

typedef struct web_blob {
    const char *name; /* "mohur.css", "i18n/az.json", "DejaVuSans.woff2" */
    const uint8_t *start, *end;
} web_blob;

extern const web_blob web_blobs[];
extern const size_t web_nblobs;

const web_blob *web_blob_find(const char *name);

/* ---- a growing output buffer ---------------------------------------------- */

typedef struct wbuf {
    char *p;
    size_t len, cap;
    bool failed; /* out of memory or over the cap: the result is unusable */
} wbuf;

#define WBUF_MAX ((size_t)8 << 20)

void wb_put(wbuf *b, const char *s, size_t n);
void wb_puts(wbuf *b, const char *s);
void wb_printf(wbuf *b, const char *fmt, ...) MH_PRINTF(2, 3);
/* s as HTML text or attribute value (& < > " ' escaped). */
void wb_html(wbuf *b, const char *s);
/* s inside a JSON string literal, safe inside a <script> data block. */
void wb_json(wbuf *b, const char *s, size_t n);
void wb_b64(wbuf *b, const uint8_t *in, size_t n);
void wb_hex(wbuf *b, const uint8_t *in, size_t n);
void wb_free(wbuf *b);

/* ---- message catalogs (i18n.c) ------------------------------------------- */

#define WEB_LANGS_MAX 8

typedef struct web_lang web_lang;

typedef struct web_i18n {
    size_t n;
    web_lang *lang[WEB_LANGS_MAX];
    const web_lang *fallback; /* "en": a key a catalog lacks */
    const web_lang *deflt;    /* "az": the registry's language */
} web_i18n;

/* Loads and checks every embedded catalog: the same keys as the English
 * one, plural rules that parse, twelve months. */
int web_i18n_load(web_i18n *t) MH_WARN_UNUSED;
void web_i18n_free(web_i18n *t);
const web_lang *web_lang_find(const web_i18n *t, const char *code, size_t len);
const char *web_lang_code(const web_lang *l);
const char *web_lang_name(const web_lang *l);
/* The catalog's JSON text, as embedded. */
const char *web_lang_json(const web_lang *l, size_t *len);

typedef struct web_arg {
    const char *name;
    const char *val; /* text, or NULL for a number */
    long long n;
} web_arg;

/* The message key with {name} replaced by the arguments; a message that
 * is an object of plural forms picks its form by the argument "n". As
 * HTML (escaped) or plain text. */
void web_msg(wbuf *b, const web_i18n *t, const web_lang *l, const char *key, const web_arg *args,
             size_t nargs, bool html);
/* The message as plain text into a fixed buffer. */
void web_msg_str(char *out, size_t cap, const web_i18n *t, const web_lang *l, const char *key,
                 const web_arg *args, size_t nargs);
/* Does the catalog (or the fallback) have this key? */
bool web_msg_has(const web_i18n *t, const web_lang *l, const char *key);
/* The plural category ("one", "few", "many", "other") of n. */
const char *web_plural(const web_lang *l, long long n);
/* Evaluates one CLDR plural rule (integers: n, i, v) for n: 1 true, 0
 * false, -1 malformed. */
int web_plural_rule(const char *rule, long long n);
/* "2 May 2024" (date only) or with the time (UTC). */
void web_date(char *out, size_t cap, const web_lang *l, int64_t t, bool with_time);
/* "YYYY-MM-DD" as the language writes dates; anything else unchanged. */
void web_date_text(char *out, size_t cap, const web_lang *l, const char *ymd);

/* ---- the ledger proof the page shows (proof.c) ---------------------------- */

enum web_proof_state {
    WEB_PROOF_NONE = 0, /* no signed checkpoint yet */
    WEB_PROOF_PENDING,  /* the latest checkpoint is older than the entry */
    WEB_PROOF_OK,       /* proven against the latest signed checkpoint */
    WEB_PROOF_BAD       /* the checkpoint or the proof does not verify */
};

#define WEB_PROOF_MAX 64

typedef struct web_proof {
    enum web_proof_state state;
    uint64_t seq, size;
    uint64_t covered_time; /* time of the last entry the checkpoint covers */
    char note[MH_LEDGER_NOTE_MAX + 1];
    size_t note_len;
    uint8_t entry[MH_LEDGER_ENTRY_MAX];
    size_t entry_len;
    uint8_t hashes[WEB_PROOF_MAX][32];
    size_t nhashes;
} web_proof;

void web_proof_get(mh_app *a, const mh_app_web_key *keys, size_t nkeys, uint64_t index,
                   web_proof *p);

/* ---- the page (render.c) ------------------------------------------------- */

enum web_page_kind { WEB_PAGE_VERDICT, WEB_PAGE_INVALID, WEB_PAGE_NOTFOUND, WEB_PAGE_HOME };

typedef struct web_page {
    enum web_page_kind kind;
    const char *path; /* for the language links */
    const char *here; /* the host the page was opened at */
    int64_t now;
    const mh_app_verdict *v;
    const mh_app_web_signer *signer;
    const web_proof *proof;
    const mh_kind *k; /* the document kind, or NULL */
    const uint8_t *receipt;
    size_t receipt_len;
} web_page;

struct mh_web {
    mh_app *app;
    web_i18n i18n;
    char public_host[MH_RECEIPT_HOST_MAX + 1];
    bool https;
    int64_t now;
    size_t nkeys;
    mh_app_web_key keys[4];
    uint8_t *offline;
    size_t offline_len;
};

void web_render(const mh_web *w, const web_lang *l, const web_page *pg, wbuf *out);

#endif
