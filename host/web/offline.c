/* offline.c - the offline verifier: one HTML file with everything inside
 * (script, styles, fonts as data: URLs, the message catalogs, this
 * registry's receipt keys), locked by a Content-Security-Policy in a meta
 * element that names the hashes of its one script and one style and
 * allows no connection at all. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mh_hash.h"
#include "web_int.h"

static void blob(wbuf *b, const char *name)
{
    const web_blob *f = web_blob_find(name);
    if (!f) {
        b->failed = true;
        return;
    }
    wb_put(b, (const char *)f->start, (size_t)(f->end - f->start));
}

static void font_face(wbuf *b, const char *name, const char *weight)
{
    const web_blob *f = web_blob_find(name);
    if (!f) {
        b->failed = true;
        return;
    }
    wb_printf(b,
              "@font-face{font-family:\"DejaVu Sans Web\";font-style:normal;font-weight:%s;"
              "font-display:swap;src:url(data:font/woff2;base64,",
              weight);
    wb_b64(b, f->start, (size_t)(f->end - f->start));
    wb_puts(b, ") format(\"woff2\")}\n");
}

static void sha256_b64(wbuf *out, const wbuf *in)
{
    uint8_t d[32];
    (void)mh_hash_sha256((const uint8_t *)in->p, in->len, d);
    wb_b64(out, d, sizeof d);
}

int mh_web_export_offline(mh_app *a, int64_t now, uint8_t **html, size_t *len)
{
    wbuf style = {0}, script = {0}, data = {0}, out = {0};
    mh_app_web_key keys[4];
    size_t nkeys = 0;
    web_i18n t;
    int ret;

    if ((ret = mh_app_web_registry_keys(a, keys, 4, &nkeys)) != 0)
        return ret;
    if ((ret = web_i18n_load(&t)) != 0)
        return ret;
    font_face(&style, "DejaVuSans.woff2", "400");
    font_face(&style, "DejaVuSans-Bold.woff2", "700");
    blob(&style, "mohur.css");
    blob(&script, "mohur.js");
    wb_puts(&script, "\n");
    blob(&script, "qr.js");
    wb_puts(&script, "\n");
    blob(&script, "offline.js");

    wb_puts(&data, "{\"registry\":\"");
    wb_json(&data, mh_app_registry_id(a), strlen(mh_app_registry_id(a)));
    wb_puts(&data, "\",\"host\":\"");
    wb_json(&data, mh_app_verify_host(a), strlen(mh_app_verify_host(a)));
    wb_printf(&data, "\",\"made\":%lld,\"default\":\"az\",\"keys\":[",
              (long long)(now ? now : (int64_t)time(NULL)));
    for (size_t i = 0; i < nkeys; i++) {
        wb_puts(&data, i ? ",\"" : "\"");
        wb_b64(&data, keys[i].spki, MH_APP_WEB_SPKI_LEN);
        wb_puts(&data, "\"");
    }
    wb_puts(&data, "],\"catalogs\":{");
    for (size_t i = 0; i < t.n; i++) {
        size_t n;
        const char *j = web_lang_json(t.lang[i], &n);
        if (memchr(j, '<', n)) {
            data.failed = true;
            break;
        }
        wb_printf(&data, "%s\"%s\":", i ? "," : "", web_lang_code(t.lang[i]));
        wb_put(&data, j, n);
    }
    wb_puts(&data, "}}");

    /* the template, with its four holes */
    const web_blob *tpl = web_blob_find("offline.html");
    if (!tpl) {
        mh_err_set(MH_ERR_INTERNAL, "the offline verifier's template is not built in");
        ret = MH_ERR_INTERNAL;
        goto out;
    }
    const char *p = (const char *)tpl->start, *end = (const char *)tpl->end;
    while (p < end) {
        const char *at = memchr(p, '@', (size_t)(end - p));
        if (!at) {
            wb_put(&out, p, (size_t)(end - p));
            break;
        }
        wb_put(&out, p, (size_t)(at - p));
        size_t rest = (size_t)(end - at);
        if (rest >= 5 && memcmp(at, "@CSP@", 5) == 0) {
            wb_puts(&out, "default-src 'none'; script-src 'sha256-");
            sha256_b64(&out, &script);
            wb_puts(&out, "'; style-src 'sha256-");
            sha256_b64(&out, &style);
            wb_puts(&out, "'; font-src data:; img-src data: blob:; connect-src 'none'; "
                          "form-action 'none'; base-uri 'none'; "
                          "require-trusted-types-for 'script'");
            p = at + 5;
        } else if (rest >= 7 && memcmp(at, "@STYLE@", 7) == 0) {
            wb_put(&out, style.p, style.len);
            p = at + 7;
        } else if (rest >= 8 && memcmp(at, "@SCRIPT@", 8) == 0) {
            wb_put(&out, script.p, script.len);
            p = at + 8;
        } else if (rest >= 6 && memcmp(at, "@DATA@", 6) == 0) {
            wb_put(&out, data.p, data.len);
            p = at + 6;
        } else {
            wb_put(&out, "@", 1);
            p = at + 1;
        }
    }
    if (style.failed || script.failed || data.failed || out.failed) {
        mh_err_set(MH_ERR_NOMEM,
                   "the offline verifier could not be put together (out of memory, or an "
                   "asset is missing)");
        ret = MH_ERR_NOMEM;
        goto out;
    }
    *html = (uint8_t *)out.p;
    *len = out.len;
    out.p = NULL;
    ret = MH_OK;
out:
    wb_free(&style);
    wb_free(&script);
    wb_free(&data);
    wb_free(&out);
    web_i18n_free(&t);
    return ret;
}
