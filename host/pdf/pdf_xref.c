/* pdf_xref.c - the chain of cross-reference sections of a PDF, read with a
 * bounds-checked cursor: which objects each incremental update defines,
 * frees or points back at, so verification can tell what changed after a
 * signature (qpdf's C API shows only the resulting objects, not which
 * update defined them).
 *
 * Classic tables are read here; a cross-reference stream's dictionary is
 * parsed by qpdf (qpdf_oh_parse) and its data decoded by qpdf in a scratch
 * document, so there is one Flate and predictor decoder (qpdf's), under the
 * same memory budget as everything else qpdf does. */
#include "pdf_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- a bounds-checked cursor over the file -------------------------------- */

typedef struct cur {
    const uint8_t *p;
    size_t len, i;
} cur;

static bool is_ws(uint8_t c)
{
    return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\f' || c == 0;
}

static bool is_delim(uint8_t c)
{
    return c == '(' || c == ')' || c == '<' || c == '>' || c == '[' || c == ']' || c == '{' ||
           c == '}' || c == '/' || c == '%';
}

static void skip_ws(cur *c)
{
    while (c->i < c->len) {
        if (is_ws(c->p[c->i])) {
            c->i++;
        } else if (c->p[c->i] == '%') {
            while (c->i < c->len && c->p[c->i] != '\n' && c->p[c->i] != '\r')
                c->i++;
        } else {
            break;
        }
    }
}

static bool take_uint(cur *c, uint64_t *v, unsigned max_digits)
{
    uint64_t n = 0;
    unsigned digits = 0;
    while (c->i < c->len && c->p[c->i] >= '0' && c->p[c->i] <= '9') {
        if (++digits > max_digits)
            return false;
        n = n * 10 + (uint64_t)(c->p[c->i] - '0');
        c->i++;
    }
    *v = n;
    return digits > 0;
}

static bool take_word(cur *c, const char *w)
{
    size_t n = strlen(w);
    if (c->len - c->i < n || memcmp(c->p + c->i, w, n) != 0)
        return false;
    if (c->i + n < c->len && !is_ws(c->p[c->i + n]) && !is_delim(c->p[c->i + n]))
        return false;
    c->i += n;
    return true;
}

/* The end of the dictionary starting at c->i ("<<"): strings, hex strings
 * and comments skipped, nesting counted. */
static bool dict_end(cur *c, size_t *end)
{
    size_t i = c->i;
    int depth = 0;
    while (i < c->len) {
        uint8_t ch = c->p[i];
        if (ch == '(') {
            int nest = 1;
            i++;
            while (i < c->len && nest > 0) {
                if (c->p[i] == '\\')
                    i++;
                else if (c->p[i] == '(')
                    nest++;
                else if (c->p[i] == ')')
                    nest--;
                i++;
            }
            continue;
        }
        if (ch == '%') {
            while (i < c->len && c->p[i] != '\n' && c->p[i] != '\r')
                i++;
            continue;
        }
        if (ch == '<' && i + 1 < c->len && c->p[i + 1] == '<') {
            if (++depth > 64)
                return false;
            i += 2;
            continue;
        }
        if (ch == '>' && i + 1 < c->len && c->p[i + 1] == '>') {
            i += 2;
            if (--depth == 0) {
                *end = i;
                return true;
            }
            continue;
        }
        if (ch == '<') {
            while (i < c->len && c->p[i] != '>')
                i++;
        }
        i++;
    }
    return false;
}

/* ---- the entries ---------------------------------------------------------- */

static int add_entry(mh_pdf_xref *x, uint32_t id, uint8_t type, uint64_t a, uint32_t b)
{
    if (x->ne == x->cap) {
        if (x->ne >= MH_PDF_MAX_XREF_ENTRIES) {
            mh_err_set(MH_ERR_TOO_LARGE,
                       "the PDF's cross-reference sections list more than %d objects; mohur "
                       "does not verify documents that complex",
                       MH_PDF_MAX_XREF_ENTRIES);
            return MH_ERR_TOO_LARGE;
        }
        size_t nc = x->cap ? x->cap * 2 : 256;
        mh_pdf_xent *ne = realloc(x->e, nc * sizeof *ne);
        if (!ne)
            return MH_ERR_NOMEM;
        x->e = ne;
        x->cap = nc;
    }
    mh_pdf_xent *e = &x->e[x->ne++];
    e->id = id;
    e->type = type;
    e->section = (uint32_t)x->ns - 1;
    e->a = a;
    e->b = b;
    return MH_OK;
}

static int damaged(const char *what, size_t off)
{
    mh_err_set(MH_ERR_PARSE,
               "the PDF's cross-reference section at byte %zu cannot be read (%s); mohur "
               "verifies only PDFs that read without repair",
               off, what);
    return MH_ERR_PARSE;
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Replaces every indirect reference "N G R" outside strings with "null"
 * (qpdf parses text without a document only when it has none; the entries
 * read here are direct numbers). */
static void neutralise_refs(char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        char c = s[i];
        if (c == '(') {
            int nest = 1;
            for (i++; i < n && nest > 0; i++) {
                if (s[i] == '\\')
                    i++;
                else if (s[i] == '(')
                    nest++;
                else if (s[i] == ')')
                    nest--;
            }
            continue;
        }
        if (c == '<' && i + 1 < n && s[i + 1] == '<') {
            i += 2;
            continue;
        }
        if (c == '<') {
            while (i < n && s[i] != '>')
                i++;
            i++;
            continue;
        }
        if (is_digit(c) && (i == 0 || is_ws((uint8_t)s[i - 1]) || is_delim((uint8_t)s[i - 1]))) {
            size_t j = i;
            while (j < n && is_digit(s[j]))
                j++;
            size_t k = j;
            while (k < n && is_ws((uint8_t)s[k]))
                k++;
            if (k > j && k < n && is_digit(s[k])) {
                size_t g = k;
                while (g < n && is_digit(s[g]))
                    g++;
                size_t r = g;
                while (r < n && is_ws((uint8_t)s[r]))
                    r++;
                if (r > g && r < n && s[r] == 'R' &&
                    (r + 1 == n || is_ws((uint8_t)s[r + 1]) || is_delim((uint8_t)s[r + 1]))) {
                    memset(s + i, ' ', r + 1 - i);
                    memcpy(s + i, "null", 4);
                    i = r + 1;
                    continue;
                }
            }
            i = j;
            continue;
        }
        i++;
    }
}

/* A dictionary's text parsed by qpdf, in the scratch document. */
static qpdf_oh parse_dict(qpdf_data q, const uint8_t *p, size_t n)
{
    char *s = malloc(n + 1);
    if (!s)
        return 0;
    memcpy(s, p, n);
    s[n] = '\0';
    neutralise_refs(s, n);
    /* a NUL inside would cut the text: refuse rather than read less */
    qpdf_oh o = strlen(s) == n ? qpdf_oh_parse(q, s) : 0;
    free(s);
    if (o && !qpdf_oh_is_dictionary(q, o))
        return 0;
    return o;
}

static long long dict_int(qpdf_data q, qpdf_oh d, const char *key, long long dflt)
{
    long long v = dflt;
    qpdf_oh o = qpdf_oh_get_key(q, d, key);
    if (!qpdf_oh_is_integer(q, o) || !qpdf_oh_get_value_as_longlong(q, o, &v))
        return dflt;
    return v;
}

/* A classic table at off: "xref", subsections, "trailer" and its
 * dictionary. */
static int read_table(mh_pdf_xref *x, qpdf_data sq, const uint8_t *buf, size_t len, size_t off,
                      mh_pdf_xsection *s)
{
    cur c = {buf, len, off};
    if (!take_word(&c, "xref"))
        return damaged("no 'xref' keyword", off);
    for (;;) {
        skip_ws(&c);
        if (take_word(&c, "trailer"))
            break;
        uint64_t first = 0, count = 0;
        if (!take_uint(&c, &first, 10))
            return damaged("a subsection header is not two numbers", off);
        skip_ws(&c);
        if (!take_uint(&c, &count, 10) || first + count > MH_PDF_MAX_OBJECT_ID)
            return damaged("a subsection header is not two numbers in range", off);
        for (uint64_t k = 0; k < count; k++) {
            uint64_t o = 0, g = 0;
            skip_ws(&c);
            if (!take_uint(&c, &o, 10))
                return damaged("an entry's offset", off);
            skip_ws(&c);
            if (!take_uint(&c, &g, 5) || g > 65535)
                return damaged("an entry's generation", off);
            skip_ws(&c);
            if (c.i >= c.len || (c.p[c.i] != 'n' && c.p[c.i] != 'f'))
                return damaged("an entry's type (n or f)", off);
            bool used = c.p[c.i++] == 'n';
            uint32_t id = (uint32_t)(first + k);
            if (id == 0 && !used)
                continue; /* the head of the free list */
            int r = add_entry(x, id, used ? 1 : 0, used ? o : 0, (uint32_t)g);
            if (r != MH_OK)
                return r;
        }
    }
    skip_ws(&c);
    size_t end;
    if (c.i >= c.len || !dict_end(&c, &end) || end - c.i > 65536)
        return damaged("the trailer is not a dictionary", off);
    qpdf_oh t = parse_dict(sq, buf + c.i, end - c.i);
    if (!t)
        return damaged("the trailer dictionary cannot be parsed", off);
    s->prev = dict_int(sq, t, "/Prev", -1);
    s->xrefstm = dict_int(sq, t, "/XRefStm", -1);
    s->size = dict_int(sq, t, "/Size", -1);
    s->dict_end = end;
    return MH_OK;
}

/* A cross-reference stream at off: "N G obj << ... >> stream ... ". */
static int read_stream(mh_pdf_xref *x, qpdf_data sq, const uint8_t *buf, size_t len, size_t off,
                       mh_pdf_xsection *s)
{
    int ret = MH_ERR_PARSE;
    unsigned char *data = NULL;
    size_t dlen = 0;
    cur c = {buf, len, off};
    uint64_t num = 0, gen = 0;
    if (!take_uint(&c, &num, 10))
        return damaged("no object number", off);
    skip_ws(&c);
    if (!take_uint(&c, &gen, 5))
        return damaged("no generation", off);
    skip_ws(&c);
    if (!take_word(&c, "obj"))
        return damaged("no 'obj' keyword", off);
    skip_ws(&c);
    size_t end;
    if (c.i >= c.len || !dict_end(&c, &end) || end - c.i > 65536)
        return damaged("the stream's dictionary", off);
    qpdf_oh d = parse_dict(sq, buf + c.i, end - c.i);
    if (!d || !qpdf_oh_is_name_and_equals(sq, qpdf_oh_get_key(sq, d, "/Type"), "/XRef"))
        return damaged("not a /Type /XRef stream", off);
    c.i = end;
    skip_ws(&c);
    if (!take_word(&c, "stream"))
        return damaged("no 'stream' keyword", off);
    if (c.i < c.len && c.p[c.i] == '\r')
        c.i++;
    if (c.i < c.len && c.p[c.i] == '\n')
        c.i++;
    long long slen = dict_int(sq, d, "/Length", -1);
    if (slen < 0 || (unsigned long long)slen > c.len - c.i || slen > (64 << 20))
        return damaged("the stream's /Length (it must be a direct number inside the file)", off);
    s->prev = dict_int(sq, d, "/Prev", -1);
    s->xrefstm = -1;
    s->size = dict_int(sq, d, "/Size", -1);
    s->dict_end = c.i + (size_t)slen;
    /* decode with qpdf: a new stream in the scratch document */
    qpdf_oh st = qpdf_oh_new_stream(sq);
    qpdf_oh filter = qpdf_oh_get_key(sq, d, "/Filter");
    qpdf_oh parms = qpdf_oh_get_key(sq, d, "/DecodeParms");
    qpdf_oh_replace_stream_data(sq, st, buf + c.i, (size_t)slen, filter, parms);
    QPDF_BOOL filtered = QPDF_FALSE;
    if (qpdf_oh_get_stream_data(sq, st, qpdf_dl_generalized, &filtered, &data, &dlen) !=
            QPDF_SUCCESS ||
        !filtered) {
        ret = damaged("its data cannot be decoded", off);
        goto out;
    }
    /* /W [a b c] and /Index [first count ...] (default [0 /Size]) */
    qpdf_oh w = qpdf_oh_get_key(sq, d, "/W");
    long long wv[3];
    if (!qpdf_oh_is_array(sq, w) || qpdf_oh_get_array_n_items(sq, w) != 3) {
        ret = damaged("/W is not an array of three numbers", off);
        goto out;
    }
    for (int i = 0; i < 3; i++)
        if (!qpdf_oh_get_value_as_longlong(sq, qpdf_oh_get_array_item(sq, w, i), &wv[i]) ||
            wv[i] < 0 || wv[i] > 8) {
            ret = damaged("/W holds a width outside 0..8", off);
            goto out;
        }
    size_t row = (size_t)(wv[0] + wv[1] + wv[2]);
    if (row == 0) {
        ret = damaged("/W is all zero", off);
        goto out;
    }
    qpdf_oh idx = qpdf_oh_get_key(sq, d, "/Index");
    int nidx = qpdf_oh_is_array(sq, idx) ? qpdf_oh_get_array_n_items(sq, idx) : 0;
    if (nidx % 2 != 0 || nidx > 2 * 65536) {
        ret = damaged("/Index is not pairs of numbers", off);
        goto out;
    }
    size_t pos = 0;
    for (int k = 0; k < (nidx ? nidx : 2); k += 2) {
        long long first = 0, count = s->size;
        if (nidx &&
            (!qpdf_oh_get_value_as_longlong(sq, qpdf_oh_get_array_item(sq, idx, k), &first) ||
             !qpdf_oh_get_value_as_longlong(sq, qpdf_oh_get_array_item(sq, idx, k + 1), &count))) {
            ret = damaged("/Index holds something other than numbers", off);
            goto out;
        }
        if (first < 0 || count < 0 || first + count > MH_PDF_MAX_OBJECT_ID) {
            ret = damaged("/Index or /Size out of range", off);
            goto out;
        }
        for (long long j = 0; j < count; j++) {
            if (dlen - pos < row) {
                ret = damaged("the stream is shorter than /Index says", off);
                goto out;
            }
            uint64_t f[3] = {wv[0] ? 0 : 1, 0, 0};
            for (int fi = 0; fi < 3; fi++)
                for (long long b = 0; b < wv[fi]; b++)
                    f[fi] = (f[fi] << 8) | data[pos++];
            uint32_t id = (uint32_t)(first + j);
            if (f[0] > 2)
                continue; /* unknown types are null references (ISO 32000 7.5.8.3) */
            if (f[0] == 0 && id == 0)
                continue;
            if (f[0] == 1 && f[2] > 65535) {
                ret = damaged("a generation number above 65535", off);
                goto out;
            }
            int r = add_entry(x, id, (uint8_t)f[0], f[0] == 0 ? 0 : f[1], (uint32_t)f[2]);
            if (r != MH_OK) {
                ret = r;
                goto out;
            }
        }
    }
    ret = MH_OK;
out:
    free(data);
    return ret;
}

static int cmp_entry(const void *a, const void *b)
{
    const mh_pdf_xent *x = a, *y = b;
    if (x->id != y->id)
        return x->id < y->id ? -1 : 1;
    if (x->section != y->section)
        return x->section < y->section ? -1 : 1;
    return (x->order > y->order) - (x->order < y->order);
}

int mh_pdf_xref_read(const uint8_t *buf, size_t len, mh_pdf_xref *x)
{
    int ret = MH_ERR_PARSE;
    size_t off = 0;
    bool is_stream = false;
    memset(x, 0, sizeof *x);
    qpdf_data sq = qpdf_init();
    if (!sq)
        return MH_ERR_NOMEM;
    qpdf_silence_errors(sq);
    qpdf_set_suppress_warnings(sq, QPDF_TRUE);
    qpdf_empty_pdf(sq);
    ret = mh_pdf_find_startxref(buf, len, &off, &is_stream);
    if (ret != MH_OK)
        goto out;
    for (;;) {
        for (size_t i = 0; i < x->ns; i++)
            if (x->s[i].off == off) {
                ret = damaged("the /Prev chain loops", off);
                goto out;
            }
        if (x->ns >= MH_PDF_MAX_SECTIONS) {
            mh_err_set(MH_ERR_TOO_LARGE,
                       "the PDF has more than %d cross-reference sections; mohur does not "
                       "verify documents that complex",
                       MH_PDF_MAX_SECTIONS);
            ret = MH_ERR_TOO_LARGE;
            goto out;
        }
        mh_pdf_xsection *ns = realloc(x->s, (x->ns + 1) * sizeof *ns);
        if (!ns) {
            ret = MH_ERR_NOMEM;
            goto out;
        }
        x->s = ns;
        mh_pdf_xsection *s = &x->s[x->ns++];
        memset(s, 0, sizeof *s);
        s->off = off;
        s->is_stream = len - off >= 4 && memcmp(buf + off, "xref", 4) != 0;
        s->first = x->ne;
        ret = s->is_stream ? read_stream(x, sq, buf, len, off, s)
                           : read_table(x, sq, buf, len, off, s);
        if (ret == MH_OK && s->xrefstm >= 0) {
            /* a hybrid file: the table's entries win over its stream's */
            if ((unsigned long long)s->xrefstm >= len) {
                ret = damaged("/XRefStm points outside the file", off);
            } else {
                mh_pdf_xsection tmp = *s;
                ret = read_stream(x, sq, buf, len, (size_t)s->xrefstm, &tmp);
                s->hybrid_end = tmp.dict_end;
            }
        }
        if (ret == MH_OK && mh_pdf_budget_tripped())
            ret = mh_pdf_too_complex();
        if (ret != MH_OK)
            goto out;
        s->n = x->ne - s->first;
        if (s->prev < 0)
            break;
        if ((unsigned long long)s->prev >= len) {
            ret = damaged("/Prev points outside the file", off);
            goto out;
        }
        off = (size_t)s->prev;
    }
    /* by object number, newest section first within one number (a stable
     * order: a table's own entries come before its /XRefStm's) */
    for (size_t i = 0; i < x->ne; i++)
        x->e[i].order = (uint32_t)i;
    qsort(x->e, x->ne, sizeof *x->e, cmp_entry);
    ret = MH_OK;
out:
    qpdf_cleanup(&sq);
    if (ret != MH_OK)
        mh_pdf_xref_free(x);
    return ret;
}

void mh_pdf_xref_free(mh_pdf_xref *x)
{
    free(x->s);
    free(x->e);
    memset(x, 0, sizeof *x);
}

size_t mh_pdf_xref_section_at(const mh_pdf_xref *x, size_t off)
{
    for (size_t i = 0; i < x->ns; i++)
        if (x->s[i].off == off)
            return i;
    return SIZE_MAX;
}

const mh_pdf_xent *mh_pdf_xref_find(const mh_pdf_xref *x, uint32_t id, size_t from_section)
{
    size_t lo = 0, hi = x->ne;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (x->e[mid].id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (size_t i = lo; i < x->ne && x->e[i].id == id; i++)
        if (x->e[i].section >= from_section)
            return &x->e[i];
    return NULL;
}
