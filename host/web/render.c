/* render.c - the verification page as HTML: the verdict first (words, a
 * colour and an icon whose shape differs by verdict), then what the paper
 * should show, the signer, the ledger, the checks the browser runs itself
 * and the local file check. No inline script or style: the data for the
 * scripts travels in a JSON data block, which the CSP does not run. */
#include <stdio.h>
#include <string.h>

#include "mh_hash.h"
#include "web_int.h"

#define MSG(key, ...)                                                                              \
    do {                                                                                           \
        const web_arg args_[] = {{"", "", 0}, __VA_ARGS__};                                        \
        web_msg(out, &w->i18n, l, key, args_ + 1, sizeof args_ / sizeof args_[0] - 1, true);       \
    } while (0)
#define MSG0(key) web_msg(out, &w->i18n, l, key, NULL, 0, true)

enum look { LOOK_OK, LOOK_BAD, LOOK_WARN, LOOK_STOP, LOOK_ASK };

/* Each verdict has its own shape, so colour is never the only signal. */
static void icon(wbuf *out, enum look k)
{
    wb_puts(out, "<svg class=\"icon\" viewBox=\"0 0 48 48\" width=\"48\" height=\"48\" "
                 "aria-hidden=\"true\" focusable=\"false\">");
    switch (k) {
    case LOOK_OK: /* a circle with a check mark */
        wb_puts(out, "<circle cx=\"24\" cy=\"24\" r=\"22\" fill=\"currentColor\"/>"
                     "<path d=\"M13 25l7 7 15-16\" fill=\"none\" stroke=\"#fff\" "
                     "stroke-width=\"5\" stroke-linecap=\"round\" stroke-linejoin=\"round\"/>");
        break;
    case LOOK_BAD: /* an octagon with a cross */
        wb_puts(out, "<path d=\"M15 2h18l13 13v18L33 46H15L2 33V15z\" fill=\"currentColor\"/>"
                     "<path d=\"M16 16l16 16M32 16L16 32\" stroke=\"#fff\" stroke-width=\"5\" "
                     "stroke-linecap=\"round\"/>");
        break;
    case LOOK_STOP: /* a triangle with an exclamation mark */
        wb_puts(out, "<path d=\"M24 3L46 44H2z\" fill=\"currentColor\"/>"
                     "<path d=\"M24 17v13\" stroke=\"#fff\" stroke-width=\"5\" "
                     "stroke-linecap=\"round\"/><circle cx=\"24\" cy=\"37\" r=\"3\" "
                     "fill=\"#fff\"/>");
        break;
    case LOOK_WARN: /* a diamond with an exclamation mark */
        wb_puts(out, "<path d=\"M24 2l22 22-22 22L2 24z\" fill=\"currentColor\"/>"
                     "<path d=\"M24 13v14\" stroke=\"#fff\" stroke-width=\"5\" "
                     "stroke-linecap=\"round\"/><circle cx=\"24\" cy=\"34\" r=\"3\" "
                     "fill=\"#fff\"/>");
        break;
    case LOOK_ASK: /* a square with a question mark */
        wb_puts(out, "<rect x=\"3\" y=\"3\" width=\"42\" height=\"42\" rx=\"6\" "
                     "fill=\"currentColor\"/><path d=\"M17 18a7 7 0 1 1 10 6c-2 1-3 2-3 5\" "
                     "fill=\"none\" stroke=\"#fff\" stroke-width=\"5\" stroke-linecap=\"round\"/>"
                     "<circle cx=\"24\" cy=\"37\" r=\"3\" fill=\"#fff\"/>");
        break;
    }
    wb_puts(out, "</svg>");
}

/* The kind's name in the page's language (the kinds carry az, ru, en). */
static int kind_lang(const web_lang *l)
{
    const char *c = web_lang_code(l);
    return strcmp(c, "az") == 0 ? MH_LANG_AZ : strcmp(c, "ru") == 0 ? MH_LANG_RU : MH_LANG_EN;
}

static const mh_kind_field *kind_field(const mh_kind *k, const char *key)
{
    if (!k)
        return NULL;
    for (size_t i = 0; i < k->nfields; i++)
        if (strcmp(k->fields[i].id, key) == 0 ||
            (strcmp(key, "program") == 0 && strcmp(k->fields[i].id, "programme") == 0))
            return &k->fields[i];
    return NULL;
}

static void row(wbuf *out, const char *label, const char *value, const char *lang_attr)
{
    wb_puts(out, "<div class=\"row\"><dt>");
    wb_html(out, label);
    wb_puts(out, "</dt><dd");
    if (lang_attr) {
        /* a field's text is in whatever language the paper is */
        wb_puts(out, " lang=\"");
        wb_html(out, lang_attr);
        wb_puts(out, "\"");
    }
    wb_puts(out, ">");
    wb_html(out, value);
    wb_puts(out, "</dd></div>\n");
}

static void field_row(const mh_web *w, const web_lang *l, const web_page *pg, wbuf *out, size_t i)
{
    const mh_app_verdict *v = pg->v;
    const mh_kind_field *f = kind_field(pg->k, v->field_key[i]);
    char label[128], key[48], value[256];
    if (f)
        snprintf(label, sizeof label, "%s", f->label[kind_lang(l)]);
    else {
        snprintf(key, sizeof key, "field.%s", v->field_key[i]);
        if (web_msg_has(&w->i18n, l, key))
            web_msg_str(label, sizeof label, &w->i18n, l, key, NULL, 0);
        else
            snprintf(label, sizeof label, "%s", v->field_key[i]);
    }
    if ((f && f->is_date) || strcmp(v->field_key[i], "date") == 0 ||
        strcmp(v->field_key[i], "birth-date") == 0)
        web_date_text(value, sizeof value, l, v->field_val[i]);
    else
        snprintf(value, sizeof value, "%s", v->field_val[i]);
    /* the paper's own words keep no language of the page: "und" (RFC 5646:
     * undetermined) so a screen reader does not read a name as Russian */
    row(out, label, value, f && !(f->is_date) ? "und" : NULL);
}

static void paper(const mh_web *w, const web_lang *l, const web_page *pg, wbuf *out, bool confirmed)
{
    const mh_app_verdict *v = pg->v;
    char kind[128], label[128], date[96];
    bool shown[8] = {false};

    wb_puts(out, "<section class=\"card\" aria-labelledby=\"paper-h\">\n<h2 id=\"paper-h\">");
    MSG0("paper.title");
    wb_puts(out, "</h2>\n<p>");
    MSG0(confirmed ? "paper.intro" : "paper.claimed");
    wb_puts(out, "</p>\n<dl class=\"fields\" id=\"fields\">\n");
    if (pg->k)
        snprintf(kind, sizeof kind, "%s", pg->k->names[kind_lang(l)]);
    else
        snprintf(kind, sizeof kind, "%s", v->kind);
    web_msg_str(label, sizeof label, &w->i18n, l, "paper.kind", NULL, 0);
    row(out, label, kind, NULL);
    web_msg_str(label, sizeof label, &w->i18n, l, "paper.issuer", NULL, 0);
    row(out, label, v->issuer_name[0] ? v->issuer_name : v->issuer, NULL);
    /* the fields in the order the kind prints them, then any other */
    for (size_t j = 0; pg->k && j < pg->k->nfields; j++)
        for (size_t i = 0; i < v->nfields && i < 8; i++)
            if (!shown[i] && kind_field(pg->k, v->field_key[i]) == &pg->k->fields[j]) {
                field_row(w, l, pg, out, i);
                shown[i] = true;
            }
    for (size_t i = 0; i < v->nfields && i < 8; i++)
        if (!shown[i])
            field_row(w, l, pg, out, i);
    if (v->issued_at) {
        web_date(date, sizeof date, l, (int64_t)v->issued_at, false);
        web_msg_str(label, sizeof label, &w->i18n, l, "paper.issued", NULL, 0);
        row(out, label, date, NULL);
    }
    if (v->doc_id[0]) {
        web_msg_str(label, sizeof label, &w->i18n, l, "paper.id", NULL, 0);
        row(out, label, v->doc_id, NULL);
    }
    wb_puts(out, "</dl>\n</section>\n");
}

static void signer(const mh_web *w, const web_lang *l, const web_page *pg, wbuf *out)
{
    const mh_app_web_signer *s = pg->signer;
    char from[96], to[96];
    wb_puts(out, "<section class=\"card\" aria-labelledby=\"signer-h\">\n<h2 id=\"signer-h\">");
    MSG0("signer.title");
    wb_puts(out, "</h2>\n<p id=\"signer\">");
    if (!s->known) {
        MSG0("signer.unknown");
        wb_puts(out, "</p>\n</section>\n");
        return;
    }
    web_date(from, sizeof from, l, s->not_before, false);
    web_date(to, sizeof to, l, s->not_after, false);
    MSG("signer.text", {"subject", s->subject, 0}, {"ca", s->issuer[0] ? s->issuer : s->root, 0},
        {"from", from, 0}, {"to", to, 0});
    wb_puts(out, "</p>\n<p class=\"");
    wb_puts(out, s->path_ok ? "ok\">" : "bad\">");
    if (s->path_ok)
        MSG0("signer.ok");
    else
        MSG("signer.bad", {"reason", s->reason, 0});
    wb_puts(out, "</p>\n</section>\n");
}

static void ledger(const mh_web *w, const web_lang *l, const web_page *pg, wbuf *out)
{
    const mh_app_verdict *v = pg->v;
    const web_proof *p = pg->proof;
    char size[96], time[128];
    const web_arg n = {"n", NULL, (long long)p->size};
    web_msg_str(size, sizeof size, &w->i18n, l, "ledger.entries", &n, 1);
    web_date(time, sizeof time, l, (int64_t)p->covered_time, true);

    wb_puts(out, "<section class=\"card\" aria-labelledby=\"ledger-h\">\n<h2 id=\"ledger-h\">");
    MSG0("ledger.title");
    wb_puts(out, "</h2>\n<p>");
    MSG("ledger.entry", {"index", NULL, (long long)v->log_index}, {"registry", v->registry, 0});
    wb_puts(out, "</p>\n<p id=\"ledger\" class=\"");
    switch (p->state) {
    case WEB_PROOF_OK:
        wb_puts(out, "ok\">");
        MSG("ledger.proven", {"seq", NULL, (long long)p->seq}, {"size", size, 0},
            {"time", time, 0});
        break;
    case WEB_PROOF_PENDING:
        wb_puts(out, "note\">");
        MSG("ledger.pending", {"seq", NULL, (long long)p->seq}, {"size", size, 0});
        break;
    case WEB_PROOF_NONE:
        wb_puts(out, "note\">");
        MSG0("ledger.none");
        break;
    case WEB_PROOF_BAD:
        wb_puts(out, "bad\">");
        MSG0("ledger.bad");
        break;
    }
    wb_puts(out, "</p>\n</section>\n");
}

static void browser_checks(const mh_web *w, const web_lang *l, const web_page *pg, wbuf *out)
{
    wb_puts(out, "<section class=\"card js-only\" aria-labelledby=\"browser-h\">\n"
                 "<h2 id=\"browser-h\">");
    MSG0("browser.title");
    wb_puts(out, "</h2>\n<p>");
    MSG0("browser.intro");
    wb_puts(out, "</p>\n<ul class=\"checks\" id=\"checks\" aria-live=\"polite\">"
                 "<li id=\"chk-sig\" class=\"pending\">");
    MSG0("browser.working");
    wb_puts(out, "</li>");
    if (pg->proof && pg->proof->state == WEB_PROOF_OK)
        wb_puts(out, "<li id=\"chk-proof\" class=\"pending\"></li>");
    wb_puts(out, "</ul>\n");
    for (size_t i = 0; i < w->nkeys; i++) {
        uint8_t fp[32];
        char kid[17];
        for (size_t j = 0; j < 8; j++)
            snprintf(kid + 2 * j, 3, "%02x", w->keys[i].kid[j]);
        (void)mh_hash_sha256(w->keys[i].spki, MH_APP_WEB_SPKI_LEN, fp);
        wb_puts(out, "<p class=\"key\">");
        MSG("browser.key", {"kid", kid, 0});
        wb_puts(out, " <code class=\"fp\">");
        for (size_t j = 0; j < 32; j++)
            wb_printf(out, "%02X%s", fp[j], j == 31 ? "" : (j % 4 == 3 ? " " : ""));
        wb_puts(out, "</code></p>\n");
    }
    wb_puts(out, "</section>\n");
}

static void file_check(const mh_web *w, const web_lang *l, const web_page *pg, wbuf *out)
{
    char bytes[64];
    const web_arg n = {"n", NULL, (long long)pg->v->doc_len};
    web_msg_str(bytes, sizeof bytes, &w->i18n, l, "file.bytes", &n, 1);
    wb_puts(out, "<section class=\"card js-only\" aria-labelledby=\"file-h\">\n"
                 "<h2 id=\"file-h\">");
    MSG0("file.title");
    wb_puts(out, "</h2>\n<p>");
    MSG0("file.intro");
    wb_puts(out, "</p>\n<div class=\"drop\" id=\"drop\"><label for=\"file\">");
    MSG0("file.choose");
    wb_puts(out, "</label> <input type=\"file\" id=\"file\" aria-describedby=\"file-note\"><p>");
    MSG0("file.drop");
    wb_puts(out, "</p></div>\n<p class=\"note\" id=\"file-note\">");
    MSG("file.pdfnote", {"bytes", bytes, 0});
    wb_puts(out, "</p>\n<p id=\"file-result\" role=\"status\" aria-live=\"polite\"></p>\n"
                 "</section>\n");
}

static void lang_links(const mh_web *w, const web_lang *l, const web_page *pg, wbuf *out)
{
    wb_puts(out, "<nav class=\"langs\" aria-label=\"");
    MSG0("lang.label");
    wb_puts(out, "\"><ul>");
    for (size_t i = 0; i < w->i18n.n; i++) {
        const web_lang *o = w->i18n.lang[i];
        wb_puts(out, "<li><a href=\"");
        wb_html(out, pg->path);
        wb_printf(out, "?lang=%s\" lang=\"%s\" hreflang=\"%s\"", web_lang_code(o), web_lang_code(o),
                  web_lang_code(o));
        if (o == l)
            wb_puts(out, " aria-current=\"true\"");
        wb_puts(out, ">");
        wb_html(out, web_lang_name(o));
        wb_puts(out, "</a></li>");
    }
    wb_puts(out, "</ul></nav>\n");
}

/* The data the page's script checks: the receipt, the registry keys, the
 * ledger proof, the catalog for its messages. */
static void data_block(const mh_web *w, const web_lang *l, const web_page *pg, wbuf *out)
{
    size_t cl;
    const char *cat = web_lang_json(l, &cl);
    wb_puts(out, "<script type=\"application/json\" id=\"mh-data\">{\"catalog\":");
    wb_put(out, cat, cl); /* checked at load: no '<' in a catalog */
    wb_puts(out, ",\"here\":\"");
    wb_json(out, pg->here, strlen(pg->here));
    wb_puts(out, "\",\"keys\":[");
    for (size_t i = 0; i < w->nkeys; i++) {
        wb_puts(out, i ? ",\"" : "\"");
        wb_b64(out, w->keys[i].spki, MH_APP_WEB_SPKI_LEN);
        wb_puts(out, "\"");
    }
    wb_puts(out, "]");
    if (pg->receipt_len) {
        wb_puts(out, ",\"receipt\":\"");
        wb_b64(out, pg->receipt, pg->receipt_len);
        wb_puts(out, "\"");
    }
    if (pg->v && pg->v->has_receipt)
        wb_printf(out, ",\"index\":%llu", (unsigned long long)pg->v->log_index);
    const web_proof *p = pg->proof;
    if (p && p->state == WEB_PROOF_OK) {
        wb_printf(out, ",\"proof\":{\"seq\":%llu,\"size\":%llu,\"note\":\"",
                  (unsigned long long)p->seq, (unsigned long long)p->size);
        wb_json(out, p->note, p->note_len);
        wb_puts(out, "\",\"entry\":\"");
        wb_b64(out, p->entry, p->entry_len);
        wb_puts(out, "\",\"hashes\":[");
        for (size_t i = 0; i < p->nhashes; i++) {
            wb_puts(out, i ? ",\"" : "\"");
            wb_b64(out, p->hashes[i], 32);
            wb_puts(out, "\"");
        }
        wb_puts(out, "]}");
    }
    wb_puts(out, "}</script>\n");
}

static const char *verdict_class(enum mh_app_verdict_code c, bool wronghost)
{
    if (wronghost)
        return "wronghost";
    switch (c) {
    case MH_APP_VALID:
        return "valid";
    case MH_APP_REVOKED:
        return "revoked";
    case MH_APP_VOIDED:
        return "voided";
    case MH_APP_UNKNOWN:
        return "unknown";
    case MH_APP_FORGED:
    case MH_APP_ALTERED:
        return "forged";
    case MH_APP_REV_UNKNOWN:
        return "revunknown";
    case MH_APP_ERROR:
        return "error";
    case MH_APP_NOT_MOHUR:
        break;
    }
    return "invalid";
}

static enum look verdict_look(const char *cls)
{
    if (strcmp(cls, "valid") == 0)
        return LOOK_OK;
    if (strcmp(cls, "revoked") == 0 || strcmp(cls, "voided") == 0)
        return LOOK_BAD;
    if (strcmp(cls, "forged") == 0 || strcmp(cls, "wronghost") == 0)
        return LOOK_STOP;
    if (strcmp(cls, "revunknown") == 0 || strcmp(cls, "error") == 0 || strcmp(cls, "pending") == 0)
        return LOOK_WARN;
    return LOOK_ASK;
}

static void verdict_text(const mh_web *w, const web_lang *l, const web_page *pg, wbuf *out,
                         const char *cls)
{
    const mh_app_verdict *v = pg->v;
    char kind[128], date[96], revoked[96], reason[128], rk[24];
    if (strcmp(cls, "invalid") == 0) {
        MSG0("verdict.invalid.text");
        return;
    }
    if (pg->k)
        snprintf(kind, sizeof kind, "%s", pg->k->names[kind_lang(l)]);
    else
        web_msg_str(kind, sizeof kind, &w->i18n, l, "kind.unknown", NULL, 0);
    web_date(date, sizeof date, l, (int64_t)v->issued_at, false);
    const char *issuer = v->issuer_name[0] ? v->issuer_name : v->issuer;
    if (strcmp(cls, "valid") == 0) {
        MSG("verdict.valid.text", {"kind", kind, 0}, {"issuer", issuer, 0}, {"date", date, 0});
    } else if (strcmp(cls, "revoked") == 0) {
        web_date(revoked, sizeof revoked, l, (int64_t)v->status.revoke_time, false);
        MSG("verdict.revoked.text", {"kind", kind, 0}, {"issuer", issuer, 0}, {"date", date, 0},
            {"revoked", revoked, 0});
        snprintf(rk, sizeof rk, "reason.%u", v->status.reason);
        web_msg_str(reason, sizeof reason, &w->i18n, l, rk, NULL, 0);
        wb_puts(out, " ");
        MSG("verdict.revoked.reason", {"reason", reason, 0});
    } else if (strcmp(cls, "voided") == 0) {
        MSG("verdict.voided.text", {"id", v->doc_id, 0}, {"date", date, 0});
    } else if (strcmp(cls, "unknown") == 0) {
        MSG("verdict.unknown.text", {"index", NULL, (long long)v->log_index});
    } else if (strcmp(cls, "pending") == 0) {
        MSG("verdict.pending.text", {"id", v->doc_id, 0});
    } else if (strcmp(cls, "wronghost") == 0) {
        MSG("verdict.wronghost.text", {"here", pg->here, 0}, {"there", v->signed_host, 0});
    } else if (strcmp(cls, "forged") == 0) {
        MSG0(v->receipt_sig_ok ? "verdict.forged.ledger" : "verdict.forged.text");
    } else if (strcmp(cls, "revunknown") == 0) {
        MSG0("verdict.revunknown.text");
    } else {
        MSG0("verdict.error.text");
    }
}

void web_render(const mh_web *w, const web_lang *l, const web_page *pg, wbuf *out)
{
    const mh_app_verdict *v = pg->v;
    bool wronghost = v && v->host_mismatch;
    const char *cls = pg->kind != WEB_PAGE_VERDICT || !v ? "invalid"
                      : v->pending && !wronghost         ? "pending"
                                                         : verdict_class(v->code, wronghost);
    char title_key[48], now[128];
    bool page_nf = pg->kind == WEB_PAGE_NOTFOUND || pg->kind == WEB_PAGE_HOME;
    snprintf(title_key, sizeof title_key, page_nf ? "notfound.title" : "verdict.%s.title", cls);

    wb_printf(out, "<!DOCTYPE html>\n<html lang=\"%s\" class=\"no-js\">\n<head>\n",
              web_lang_code(l));
    wb_puts(out, "<meta charset=\"utf-8\">\n"
                 "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                 "<meta name=\"robots\" content=\"noindex, nofollow\">\n<title>");
    MSG0(title_key);
    wb_puts(out, " · ");
    MSG0("site.title");
    wb_puts(out, "</title>\n<link rel=\"stylesheet\" href=\"/assets/fonts.css\">\n"
                 "<link rel=\"stylesheet\" href=\"/assets/mohur.css\">\n"
                 "<link rel=\"icon\" href=\"/assets/seal.svg\" type=\"image/svg+xml\">\n"
                 "<script src=\"/assets/mohur.js\" defer></script>\n"
                 "<script src=\"/assets/page.js\" defer></script>\n</head>\n<body>\n"
                 "<a class=\"skip\" href=\"#verdict\">");
    MSG0("skip");
    wb_puts(out, "</a>\n<header class=\"top\">\n<p class=\"brand\"><img src=\"/assets/seal.svg\" "
                 "alt=\"\" width=\"28\" height=\"28\"> ");
    MSG0("site.title");
    wb_puts(out, "</p>\n<p class=\"registry\">");
    MSG("site.registry", {"registry", mh_app_registry_id(w->app), 0},
        {"host", mh_app_verify_host(w->app), 0});
    wb_puts(out, "</p>\n");
    lang_links(w, l, pg, out);
    wb_puts(out, "</header>\n<main id=\"main\">\n");

    if (page_nf) {
        wb_puts(out, "<section id=\"verdict\" class=\"verdict v-invalid\" tabindex=\"-1\" "
                     "aria-labelledby=\"verdict-title\">");
        icon(out, LOOK_ASK);
        wb_puts(out, "<div><h1 id=\"verdict-title\">");
        MSG0("notfound.title");
        wb_puts(out, "</h1><p>");
        MSG0("notfound.text");
        wb_puts(out, "</p></div></section>\n");
    } else {
        wb_printf(out,
                  "<section id=\"verdict\" class=\"verdict v-%s\" tabindex=\"-1\" "
                  "aria-labelledby=\"verdict-title\" data-verdict=\"%s\">",
                  cls, cls);
        icon(out, verdict_look(cls));
        wb_puts(out, "<div><p class=\"label\">");
        MSG0("verdict.label");
        wb_puts(out, "</p><h1 id=\"verdict-title\">");
        MSG0(title_key);
        wb_puts(out, "</h1><p id=\"verdict-text\">");
        verdict_text(w, l, pg, out, cls);
        wb_puts(out, "</p></div></section>\n");
    }
    if (pg->kind == WEB_PAGE_VERDICT && v && v->has_receipt && v->issuer[0]) {
        bool confirmed = !wronghost && (v->code == MH_APP_VALID || v->code == MH_APP_REVOKED ||
                                        v->code == MH_APP_REV_UNKNOWN);
        paper(w, l, pg, out, confirmed);
        if (confirmed)
            signer(w, l, pg, out);
        if (v->ledger_known && pg->proof)
            ledger(w, l, pg, out);
        browser_checks(w, l, pg, out);
        if (confirmed)
            file_check(w, l, pg, out);
        wb_puts(out, "<noscript><p class=\"note\">");
        MSG0("noscript");
        wb_puts(out, "</p></noscript>\n");
    }
    wb_puts(out, "<p class=\"actions\"><button type=\"button\" id=\"print\" class=\"js-only\">");
    MSG0("print");
    wb_puts(out, "</button> <a href=\"/offline.html\" download=\"mohur-offline-verifier.html\">");
    MSG0("offline.download");
    wb_puts(out, "</a></p>\n</main>\n<footer>\n<p>");
    web_date(now, sizeof now, l, pg->now, true);
    MSG("footer.checked", {"time", now, 0});
    wb_puts(out, "</p>\n<p>");
    MSG0("footer.privacy");
    wb_puts(out, "</p>\n</footer>\n");
    if (pg->kind == WEB_PAGE_VERDICT)
        data_block(w, l, pg, out);
    wb_puts(out, "</body>\n</html>\n");
}
