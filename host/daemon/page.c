/* page.c - the plain HTML summary of a verdict (page.h; to be replaced by
 * the verification page of issue 12). Every value is escaped. */
#include "page.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct buf {
    char *p;
    size_t n, cap;
    bool err;
} buf;

static void add(buf *b, const char *s, size_t n)
{
    if (b->err)
        return;
    if (b->n + n + 1 > b->cap) {
        size_t cap = (b->cap ? b->cap * 2 : 4096) + n;
        char *p = realloc(b->p, cap);
        if (!p) {
            b->err = true;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = 0;
}

static void lit(buf *b, const char *s)
{
    add(b, s, strlen(s));
}

static void esc(buf *b, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '&':
            lit(b, "&amp;");
            break;
        case '<':
            lit(b, "&lt;");
            break;
        case '>':
            lit(b, "&gt;");
            break;
        case '"':
            lit(b, "&quot;");
            break;
        case '\'':
            lit(b, "&#39;");
            break;
        default:
            add(b, s, 1);
        }
    }
}

static void row(buf *b, const char *k, const char *v)
{
    lit(b, "<tr><th>");
    esc(b, k);
    lit(b, "</th><td>");
    esc(b, v);
    lit(b, "</td></tr>\n");
}

int mhd_page_verdict(const mh_app_verdict *v, char **html, size_t *len)
{
    buf b = {0};
    char d[64], num[32];
    lit(&b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            "<title>mohur: ");
    esc(&b, mh_app_verdict_name(v->code));
    lit(&b, "</title></head><body>\n<h1 class=\"verdict-");
    esc(&b, mh_app_verdict_name(v->code));
    lit(&b, "\">");
    esc(&b, mh_app_verdict_name(v->code));
    lit(&b, "</h1>\n<p>");
    esc(&b, v->sentence);
    lit(&b, "</p>\n");
    if (v->has_receipt && v->receipt_sig_ok) {
        time_t t = (time_t)v->issued_at;
        struct tm tm;
        if (gmtime_r(&t, &tm))
            strftime(d, sizeof d, "%Y-%m-%d", &tm);
        else
            snprintf(d, sizeof d, "-");
        snprintf(num, sizeof num, "%llu", (unsigned long long)v->log_index);
        lit(&b, "<table>\n");
        row(&b, "Issuer", v->issuer_name[0] ? v->issuer_name : v->issuer);
        row(&b, "Kind", v->kind);
        if (v->doc_id[0])
            row(&b, "Document", v->doc_id);
        for (size_t i = 0; i < v->nfields && i < 8; i++)
            row(&b, v->field_key[i], v->field_val[i]);
        row(&b, "Issued", d);
        row(&b, "Log index", num);
        lit(&b, "</table>\n");
    }
    lit(&b, "</body></html>\n");
    if (b.err) {
        free(b.p);
        return MH_ERR_NOMEM;
    }
    *html = b.p;
    *len = b.n;
    return MH_OK;
}
