/* i18n.c - the message catalogs: one JSON file per language in i18n/,
 * embedded at build time. A catalog names its language, its plural rules
 * (CLDR syntax, for whole numbers), its month names as dates use them and
 * its date patterns, and every message of the page; a message is a text
 * with {name} placeholders, or an object of plural forms. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "web_int.h"

#define PLURAL_CATS 6
static const char *const cats[PLURAL_CATS] = {"zero", "one", "two", "few", "many", "other"};

struct web_lang {
    char code[8];
    char name[64];
    json_t *root, *msg;
    const char *json;
    size_t json_len;
    char *rule[PLURAL_CATS]; /* NULL: none ("other" never has one) */
    char month[12][48];
    char date[64], datetime[96];
};

/* ---- CLDR plural rules (integers) ---------------------------------------- */

typedef struct rcur {
    const char *s;
    bool bad;
} rcur;

static void skip_ws(rcur *c)
{
    while (*c->s == ' ')
        c->s++;
}

static bool eat(rcur *c, const char *tok)
{
    skip_ws(c);
    size_t n = strlen(tok);
    if (strncmp(c->s, tok, n) != 0)
        return false;
    /* words end at a non-letter */
    if (tok[0] >= 'a' && tok[0] <= 'z' && c->s[n] >= 'a' && c->s[n] <= 'z')
        return false;
    c->s += n;
    return true;
}

static long long number(rcur *c)
{
    skip_ws(c);
    if (*c->s < '0' || *c->s > '9') {
        c->bad = true;
        return 0;
    }
    long long v = 0;
    int digits = 0;
    while (*c->s >= '0' && *c->s <= '9') {
        if (++digits > 12) {
            c->bad = true;
            return 0;
        }
        v = v * 10 + (*c->s++ - '0');
    }
    return v;
}

/* relation: operand ['%' value] ('=' | '!=') range_list */
static bool relation(rcur *c, long long n)
{
    long long x;
    skip_ws(c);
    switch (*c->s) {
    case 'n':
    case 'i':
        x = n;
        break;
    case 'v':
    case 'f':
    case 't':
    case 'w':
    case 'e':
    case 'c':
        x = 0; /* whole numbers: no fraction digits, no exponent */
        break;
    default:
        c->bad = true;
        return false;
    }
    c->s++;
    if (eat(c, "%")) {
        long long m = number(c);
        if (m <= 0) {
            c->bad = true;
            return false;
        }
        x %= m;
    }
    bool neg;
    if (eat(c, "!="))
        neg = true;
    else if (eat(c, "="))
        neg = false;
    else {
        c->bad = true;
        return false;
    }
    bool in = false;
    do {
        long long lo = number(c), hi = lo;
        if (eat(c, ".."))
            hi = number(c);
        if (c->bad || hi < lo) {
            c->bad = true;
            return false;
        }
        if (x >= lo && x <= hi)
            in = true;
    } while (eat(c, ","));
    return neg ? !in : in;
}

int web_plural_rule(const char *rule, long long n)
{
    rcur c = {rule, false};
    bool any = false;
    if (n < 0)
        n = -n;
    do {
        bool all = true;
        do {
            if (!relation(&c, n))
                all = false;
        } while (!c.bad && eat(&c, "and"));
        if (all)
            any = true;
    } while (!c.bad && eat(&c, "or"));
    skip_ws(&c);
    if (c.bad || *c.s)
        return -1;
    return any ? 1 : 0;
}

const char *web_plural(const web_lang *l, long long n)
{
    for (size_t i = 0; i + 1 < PLURAL_CATS; i++)
        if (l->rule[i] && web_plural_rule(l->rule[i], n) == 1)
            return cats[i];
    return "other";
}

/* ---- loading -------------------------------------------------------------- */

static void lang_free(web_lang *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < PLURAL_CATS; i++)
        free(l->rule[i]);
    json_decref(l->root);
    free(l);
}

static int copy_str(json_t *o, const char *key, char *out, size_t cap, const char *file)
{
    const char *s = json_string_value(json_object_get(o, key));
    if (!s || strlen(s) >= cap) {
        mh_err_set(MH_ERR_PARSE, "the message catalog %s has no usable \"%s\"", file, key);
        return MH_ERR_PARSE;
    }
    snprintf(out, cap, "%s", s);
    return MH_OK;
}

/* A message: a text, or an object of plural forms with "other". */
static bool msg_ok(json_t *m)
{
    if (json_is_string(m))
        return true;
    if (!json_is_object(m) || !json_is_string(json_object_get(m, "other")))
        return false;
    const char *k;
    json_t *v;
    json_object_foreach(m, k, v)
    {
        bool known = false;
        for (size_t i = 0; i < PLURAL_CATS; i++)
            known |= strcmp(k, cats[i]) == 0;
        if (!known || !json_is_string(v))
            return false;
    }
    return true;
}

static int lang_load(const web_blob *b, web_lang **out)
{
    json_error_t jerr;
    int ret = MH_ERR_PARSE;
    web_lang *l = calloc(1, sizeof *l);
    if (!l)
        return MH_ERR_NOMEM;
    l->json = (const char *)b->start;
    l->json_len = (size_t)(b->end - b->start);
    l->root = json_loadb(l->json, l->json_len, JSON_REJECT_DUPLICATES, &jerr);
    if (!l->root) {
        mh_err_set(ret, "the message catalog %s is not JSON: line %d: %s", b->name, jerr.line,
                   jerr.text);
        goto fail;
    }
    if ((ret = copy_str(l->root, "lang", l->code, sizeof l->code, b->name)) ||
        (ret = copy_str(l->root, "name", l->name, sizeof l->name, b->name)) ||
        (ret = copy_str(l->root, "date", l->date, sizeof l->date, b->name)) ||
        (ret = copy_str(l->root, "datetime", l->datetime, sizeof l->datetime, b->name)))
        goto fail;
    ret = MH_ERR_PARSE;
    json_t *months = json_object_get(l->root, "months");
    if (json_array_size(months) != 12) {
        mh_err_set(ret, "the message catalog %s needs twelve \"months\"", b->name);
        goto fail;
    }
    for (size_t i = 0; i < 12; i++) {
        const char *m = json_string_value(json_array_get(months, i));
        if (!m || strlen(m) >= sizeof l->month[i]) {
            mh_err_set(ret, "the message catalog %s: month %zu is not a short text", b->name,
                       i + 1);
            goto fail;
        }
        snprintf(l->month[i], sizeof l->month[i], "%s", m);
    }
    json_t *plural = json_object_get(l->root, "plural");
    const char *k;
    json_t *v;
    if (!json_is_object(plural)) {
        mh_err_set(ret, "the message catalog %s needs \"plural\" rules", b->name);
        goto fail;
    }
    json_object_foreach(plural, k, v)
    {
        size_t i = 0;
        while (i + 1 < PLURAL_CATS && strcmp(k, cats[i]) != 0)
            i++;
        const char *r = json_string_value(v);
        if (i + 1 == PLURAL_CATS || !r || web_plural_rule(r, 1) < 0) {
            mh_err_set(ret,
                       "the message catalog %s: the plural rule \"%s\" is not one this page "
                       "understands",
                       b->name, k);
            goto fail;
        }
        if (!(l->rule[i] = strdup(r))) {
            ret = MH_ERR_NOMEM;
            goto fail;
        }
    }
    l->msg = json_object_get(l->root, "msg");
    if (!json_is_object(l->msg)) {
        mh_err_set(ret, "the message catalog %s has no \"msg\" object", b->name);
        goto fail;
    }
    json_object_foreach(l->msg, k, v)
    {
        if (!msg_ok(v)) {
            mh_err_set(ret,
                       "the message catalog %s: \"%s\" is neither a text nor plural forms with "
                       "\"other\"",
                       b->name, k);
            goto fail;
        }
    }
    *out = l;
    return MH_OK;
fail:
    lang_free(l);
    return ret;
}

int web_i18n_load(web_i18n *t)
{
    int ret;
    memset(t, 0, sizeof *t);
    for (size_t i = 0; i < web_nblobs; i++) {
        const web_blob *b = &web_blobs[i];
        if (strncmp(b->name, "i18n/", 5) != 0)
            continue;
        if (t->n == WEB_LANGS_MAX) {
            mh_err_set(MH_ERR_TOO_LARGE, "more than %d message catalogs", WEB_LANGS_MAX);
            ret = MH_ERR_TOO_LARGE;
            goto fail;
        }
        if ((ret = lang_load(b, &t->lang[t->n])) != 0)
            goto fail;
        t->n++;
    }
    t->fallback = web_lang_find(t, "en", 2);
    t->deflt = web_lang_find(t, "az", 2);
    if (!t->fallback || !t->deflt) {
        mh_err_set(MH_ERR_NOT_FOUND, "the message catalogs for az and en are missing");
        ret = MH_ERR_NOT_FOUND;
        goto fail;
    }
    /* every catalog has every message of the English one */
    for (size_t i = 0; i < t->n; i++) {
        const char *k;
        json_t *v;
        json_object_foreach(t->fallback->msg, k, v)
        {
            if (!json_object_get(t->lang[i]->msg, k)) {
                mh_err_set(MH_ERR_PARSE, "the message catalog %s lacks \"%s\"", t->lang[i]->code,
                           k);
                ret = MH_ERR_PARSE;
                goto fail;
            }
        }
    }
    return MH_OK;
fail:
    web_i18n_free(t);
    return ret;
}

void web_i18n_free(web_i18n *t)
{
    for (size_t i = 0; i < t->n; i++)
        lang_free(t->lang[i]);
    memset(t, 0, sizeof *t);
}

const web_lang *web_lang_find(const web_i18n *t, const char *code, size_t len)
{
    for (size_t i = 0; i < t->n; i++)
        if (strlen(t->lang[i]->code) == len && strncmp(t->lang[i]->code, code, len) == 0)
            return t->lang[i];
    return NULL;
}

const char *web_lang_code(const web_lang *l)
{
    return l->code;
}

const char *web_lang_name(const web_lang *l)
{
    return l->name;
}

const char *web_lang_json(const web_lang *l, size_t *len)
{
    *len = l->json_len;
    return l->json;
}

/* ---- messages ------------------------------------------------------------- */

static json_t *msg_get(const web_i18n *t, const web_lang *l, const char *key)
{
    json_t *m = json_object_get(l->msg, key);
    if (!m && t->fallback)
        m = json_object_get(t->fallback->msg, key);
    return m;
}

bool web_msg_has(const web_i18n *t, const web_lang *l, const char *key)
{
    return msg_get(t, l, key) != NULL;
}

static void put_text(wbuf *b, const char *s, size_t n, bool html)
{
    if (!html) {
        wb_put(b, s, n);
        return;
    }
    char tmp[512];
    while (n) {
        size_t k = n < sizeof tmp - 1 ? n : sizeof tmp - 1;
        memcpy(tmp, s, k);
        tmp[k] = 0;
        wb_html(b, tmp);
        s += k;
        n -= k;
    }
}

void web_msg(wbuf *b, const web_i18n *t, const web_lang *l, const char *key, const web_arg *args,
             size_t nargs, bool html)
{
    json_t *m = msg_get(t, l, key);
    const char *s;
    if (!m) {
        put_text(b, key, strlen(key), html);
        return;
    }
    if (json_is_object(m)) {
        long long n = 0;
        for (size_t i = 0; i < nargs; i++)
            if (strcmp(args[i].name, "n") == 0)
                n = args[i].n;
        json_t *form = json_object_get(m, web_plural(l, n));
        s = json_string_value(form ? form : json_object_get(m, "other"));
    } else {
        s = json_string_value(m);
    }
    if (!s)
        return;
    while (*s) {
        const char *open = strchr(s, '{');
        const char *close = open ? strchr(open, '}') : NULL;
        if (!open || !close) {
            put_text(b, s, strlen(s), html);
            return;
        }
        put_text(b, s, (size_t)(open - s), html);
        size_t nl = (size_t)(close - open - 1);
        const web_arg *a = NULL;
        for (size_t i = 0; i < nargs; i++)
            if (strlen(args[i].name) == nl && strncmp(args[i].name, open + 1, nl) == 0)
                a = &args[i];
        if (!a) {
            put_text(b, open, (size_t)(close - open + 1), html);
        } else if (a->val) {
            put_text(b, a->val, strlen(a->val), html);
        } else {
            char num[32];
            snprintf(num, sizeof num, "%lld", a->n);
            wb_puts(b, num);
        }
        s = close + 1;
    }
}

void web_msg_str(char *out, size_t cap, const web_i18n *t, const web_lang *l, const char *key,
                 const web_arg *args, size_t nargs)
{
    wbuf b = {0};
    web_msg(&b, t, l, key, args, nargs, false);
    snprintf(out, cap, "%s", b.p && !b.failed ? b.p : "");
    wb_free(&b);
}

/* ---- dates ------------------------------------------------------------------ */

/* pattern with {d} {month} {y} {hh} {mm} {date} */
static void fill(char *out, size_t cap, const char *pat, const web_lang *l, int y, int mo, int d,
                 int hh, int mm, const char *date)
{
    size_t o = 0;
    out[0] = 0;
    for (const char *p = pat; *p && o + 1 < cap;) {
        char piece[96];
        const char *rep = NULL;
        if (strncmp(p, "{d}", 3) == 0) {
            snprintf(piece, sizeof piece, "%d", d);
            rep = piece;
            p += 3;
        } else if (strncmp(p, "{month}", 7) == 0) {
            rep = l->month[mo];
            p += 7;
        } else if (strncmp(p, "{y}", 3) == 0) {
            snprintf(piece, sizeof piece, "%d", y);
            rep = piece;
            p += 3;
        } else if (strncmp(p, "{hh}", 4) == 0) {
            snprintf(piece, sizeof piece, "%02d", hh);
            rep = piece;
            p += 4;
        } else if (strncmp(p, "{mm}", 4) == 0) {
            snprintf(piece, sizeof piece, "%02d", mm);
            rep = piece;
            p += 4;
        } else if (strncmp(p, "{date}", 6) == 0) {
            rep = date;
            p += 6;
        }
        if (rep) {
            int n = snprintf(out + o, cap - o, "%s", rep);
            o = n < 0 || (size_t)n >= cap - o ? cap - 1 : o + (size_t)n;
        } else {
            out[o++] = *p++;
            out[o] = 0;
        }
    }
}

void web_date(char *out, size_t cap, const web_lang *l, int64_t t, bool with_time)
{
    time_t tt = (time_t)t;
    struct tm tm;
    char date[160];
    if (!gmtime_r(&tt, &tm)) {
        snprintf(out, cap, "?");
        return;
    }
    fill(date, sizeof date, l->date, l, tm.tm_year + 1900, tm.tm_mon, tm.tm_mday, 0, 0, "");
    if (!with_time) {
        snprintf(out, cap, "%s", date);
        return;
    }
    fill(out, cap, l->datetime, l, 0, 0, 0, tm.tm_hour, tm.tm_min, date);
}

void web_date_text(char *out, size_t cap, const web_lang *l, const char *ymd)
{
    int y, m, d;
    char tail;
    if (strlen(ymd) == 10 && ymd[4] == '-' && ymd[7] == '-' &&
        sscanf(ymd, "%4d-%2d-%2d%c", &y, &m, &d, &tail) == 3 && m >= 1 && m <= 12 && d >= 1 &&
        d <= 31) {
        fill(out, cap, l->date, l, y, m - 1, d, 0, 0, "");
        return;
    }
    snprintf(out, cap, "%s", ymd);
}
