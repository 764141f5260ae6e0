/* util.c - the output buffer and the embedded files. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "web_int.h"

const web_blob *web_blob_find(const char *name)
{
    for (size_t i = 0; i < web_nblobs; i++)
        if (strcmp(web_blobs[i].name, name) == 0)
            return &web_blobs[i];
    return NULL;
}

static bool wb_grow(wbuf *b, size_t extra)
{
    if (b->failed)
        return false;
    if (extra > WBUF_MAX - b->len) {
        b->failed = true;
        return false;
    }
    size_t need = b->len + extra + 1;
    if (need <= b->cap)
        return true;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < need)
        cap *= 2;
    char *p = realloc(b->p, cap);
    if (!p) {
        b->failed = true;
        return false;
    }
    b->p = p;
    b->cap = cap;
    return true;
}

void wb_put(wbuf *b, const char *s, size_t n)
{
    if (!wb_grow(b, n))
        return;
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = 0;
}

void wb_puts(wbuf *b, const char *s)
{
    wb_put(b, s, strlen(s));
}

void wb_printf(wbuf *b, const char *fmt, ...)
{
    char tmp[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof tmp) {
        b->failed = true;
        return;
    }
    wb_put(b, tmp, (size_t)n);
}

void wb_html(wbuf *b, const char *s)
{
    const char *run = s;
    for (; *s; s++) {
        const char *e = NULL;
        switch (*s) {
        case '&':
            e = "&amp;";
            break;
        case '<':
            e = "&lt;";
            break;
        case '>':
            e = "&gt;";
            break;
        case '"':
            e = "&quot;";
            break;
        case '\'':
            e = "&#39;";
            break;
        default:
            continue;
        }
        wb_put(b, run, (size_t)(s - run));
        wb_puts(b, e);
        run = s + 1;
    }
    wb_put(b, run, (size_t)(s - run));
}

void wb_json(wbuf *b, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        /* < > & as escapes, so no "</script" or "<!--" can appear */
        if (c < 0x20 || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&')
            wb_printf(b, "\\u%04x", c);
        else
            wb_put(b, (const char *)&s[i], 1);
    }
}

void wb_b64(wbuf *b, const uint8_t *in, size_t n)
{
    /* common's encoder, in whole groups of three bytes but the last */
    char q[1024 + 1];
    for (size_t i = 0; i < n; i += 768) {
        size_t k = n - i < 768 ? n - i : 768, ql = 0;
        if (mh_base64_encode(in + i, k, q, sizeof q, &ql) == 0)
            wb_put(b, q, ql);
    }
}

void wb_hex(wbuf *b, const uint8_t *in, size_t n)
{
    static const char h[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        char q[2] = {h[in[i] >> 4], h[in[i] & 15]};
        wb_put(b, q, 2);
    }
}

void wb_free(wbuf *b)
{
    free(b->p);
    memset(b, 0, sizeof *b);
}
