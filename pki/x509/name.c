/* name.c - X.509 names: parsing, RFC 5280 7.1 comparison, text, general
 * names and name-constraint matching (pki_x509.h). No allocation. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pki_der.h"
#include "pki_sig.h"
#include "pki_ed25519.h"
#include "pki_x509.h"
#include "x509_ext.h"

/* X.690 11.6: the elements of a DER SET OF come in ascending order of
 * their encodings, the shorter one padded with zero octets at its end. */
static int der_order(const mh_der_elem *a, const mh_der_elem *b)
{
    size_t n = a->raw_len < b->raw_len ? a->raw_len : b->raw_len;
    int c = memcmp(a->raw, b->raw, n);
    if (c)
        return c;
    const mh_der_elem *longer = a->raw_len > b->raw_len ? a : b;
    for (size_t i = n; i < longer->raw_len; i++)
        if (longer->raw[i])
            return longer == a ? 1 : -1;
    return 0;
}

int mh_x509_name_parse(mh_x509_name *n, const uint8_t *der, size_t len)
{
    mh_der_elem prev;
    int ret = MH_ERR_PARSE;
    mh_der top, rdns;
    mh_der_elem seq, set, atv, oid, val;

    memset(n, 0, sizeof *n);
    mh_der_init(&top, der, len);
    if (mh_der_expect(&top, MH_DER_SEQUENCE, &seq) || !mh_der_done(&top))
        goto out;
    n->raw.p = seq.raw;
    n->raw.len = seq.raw_len;
    mh_der_enter(&rdns, &seq);
    while (!mh_der_empty(&rdns)) {
        mh_der in;
        if (mh_der_expect(&rdns, MH_DER_SET, &set) || set.len == 0)
            goto out;
        mh_der_enter(&in, &set);
        bool first = true;
        while (!mh_der_empty(&in)) {
            mh_der a;
            if (mh_der_expect(&in, MH_DER_SEQUENCE, &atv))
                goto out;
            if (!first && der_order(&prev, &atv) > 0) {
                mh_err_set(ret, "a name has a multi-valued RDN whose attributes are not in DER "
                                "order; it is not valid DER and cannot be used");
                goto out;
            }
            first = false;
            prev = atv;
            mh_der_enter(&a, &atv);
            if (mh_der_expect(&a, MH_DER_OID, &oid) || mh_der_oid_check(&oid) ||
                mh_der_next(&a, &val) || !mh_der_done(&a))
                goto out;
            if (n->n_attrs >= MH_X509_MAX_ATTRS) {
                mh_err_set(MH_ERR_TOO_LARGE,
                           "a name has more than %d attributes; mohur refuses such names",
                           MH_X509_MAX_ATTRS);
                ret = MH_ERR_TOO_LARGE;
                goto out;
            }
            mh_x509_attr *at = &n->attrs[n->n_attrs++];
            at->oid.p = oid.val;
            at->oid.len = oid.len;
            at->tag = val.tag;
            at->val.p = val.val;
            at->val.len = val.len;
            at->rdn = n->n_rdns;
        }
        if (!mh_der_done(&in))
            goto out;
        n->n_rdns++;
    }
    if (!mh_der_done(&rdns))
        goto out;
    ret = 0;
out:
    return ret;
}

/* ---- comparison --------------------------------------------------------- */

/* Simple case folding for the scripts our users write names in: Latin
 * (with Azerbaijani letters), Cyrillic, Greek. */
static uint32_t fold(uint32_t c)
{
    if (c >= 'A' && c <= 'Z')
        return c + 32;
    if (c < 0x80)
        return c;
    if ((c >= 0xc0 && c <= 0xde && c != 0xd7))
        return c + 32;
    if (c == 0x130) /* İ: Azerbaijani dotted capital I */
        return 'i';
    if (c == 0x131) /* ı */
        return 'i';
    if ((c >= 0x100 && c <= 0x137) || (c >= 0x14a && c <= 0x177))
        return c | 1;
    if ((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17e))
        return (c & 1) ? c + 1 : c;
    if (c == 0x18f) /* Ə */
        return 0x259;
    if (c >= 0x410 && c <= 0x42f)
        return c + 32;
    if (c >= 0x400 && c <= 0x40f)
        return c + 80;
    if ((c >= 0x460 && c <= 0x4ff) && !(c >= 0x482 && c <= 0x489))
        return (c >= 0x4c1 && c <= 0x4ce) ? ((c & 1) ? c + 1 : c) : (c | 1);
    if (c >= 0x391 && c <= 0x3a9 && c != 0x3a2)
        return c + 32;
    return c;
}

static bool is_space(uint32_t c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* A cursor over a prepared string: case folded, leading and trailing white
 * space removed, inner runs of white space as one space. */
typedef struct prep {
    const uint8_t *s;
    size_t len, i;
    uint8_t tag;
    bool pending_space;
} prep;

/* Next code point of a value of string type `tag`; UINT32_MAX at the end.
 * Bytes that do not decode are returned as themselves above 0x10ffff, so
 * they compare equal only to the same bytes. */
static uint32_t decode_next(const uint8_t *s, size_t len, uint8_t tag, size_t *i)
{
    if (*i >= len)
        return UINT32_MAX;
    switch (tag) {
    case MH_DER_UTF8_STRING: {
        size_t at = *i;
        uint32_t cp = mh_utf8_next(s, len, i);
        return cp == MH_UTF8_BAD ? 0x110000u + s[at] : cp;
    }
    case MH_DER_BMP_STRING: {
        if (*i + 2 > len) {
            *i = len;
            return 0x110000u + s[len - 1];
        }
        uint32_t u = mh_be16_get(s + *i);
        *i += 2;
        if (u >= 0xd800 && u <= 0xdbff && *i + 2 <= len) {
            uint32_t lo = mh_be16_get(s + *i);
            if (lo >= 0xdc00 && lo <= 0xdfff) {
                *i += 2;
                return 0x10000u + ((u - 0xd800u) << 10) + (lo - 0xdc00u);
            }
        }
        return u;
    }
    case MH_DER_UNIVERSAL_STRING: {
        if (*i + 4 > len) {
            *i = len;
            return 0x110000u + s[len - 1];
        }
        uint32_t u = mh_be32_get(s + *i);
        *i += 4;
        return u;
    }
    default: /* PrintableString, IA5String, VisibleString, NumericString;
                TeletexString read as Latin-1, as OpenSSL does */
        return s[(*i)++];
    }
}

static void prep_init(prep *p, const mh_x509_span *v, uint8_t tag)
{
    p->s = v->p;
    p->len = v->len;
    p->i = 0;
    p->tag = tag;
    p->pending_space = false;
    for (;;) {
        size_t save = p->i;
        uint32_t c = decode_next(p->s, p->len, tag, &p->i);
        if (c == UINT32_MAX || !is_space(c)) {
            p->i = save;
            break;
        }
    }
}

/* Next folded code point, or UINT32_MAX at the end. */
static uint32_t prep_next(prep *p)
{
    if (p->pending_space) {
        p->pending_space = false;
        return ' ';
    }
    uint32_t c = decode_next(p->s, p->len, p->tag, &p->i);
    if (c == UINT32_MAX)
        return c;
    if (is_space(c)) {
        for (;;) {
            size_t save = p->i;
            uint32_t d = decode_next(p->s, p->len, p->tag, &p->i);
            if (d == UINT32_MAX)
                return UINT32_MAX; /* trailing space */
            if (!is_space(d)) {
                p->i = save;
                return ' ';
            }
        }
    }
    return fold(c);
}

static bool is_string_type(uint8_t tag)
{
    switch (tag) {
    case MH_DER_UTF8_STRING:
    case 0x12: /* NumericString */
    case MH_DER_PRINTABLE_STRING:
    case MH_DER_T61_STRING:
    case MH_DER_IA5_STRING:
    case MH_DER_VISIBLE_STRING:
    case MH_DER_UNIVERSAL_STRING:
    case MH_DER_BMP_STRING:
        return true;
    default:
        return false;
    }
}

static bool span_eq(const mh_x509_span *a, const mh_x509_span *b)
{
    return a->len == b->len && (a->len == 0 || memcmp(a->p, b->p, a->len) == 0);
}

static bool attr_eq(const mh_x509_attr *a, const mh_x509_attr *b)
{
    if (!span_eq(&a->oid, &b->oid))
        return false;
    if (is_string_type(a->tag) && is_string_type(b->tag)) {
        prep x, y;
        prep_init(&x, &a->val, a->tag);
        prep_init(&y, &b->val, b->tag);
        for (;;) {
            uint32_t cx = prep_next(&x), cy = prep_next(&y);
            if (cx != cy)
                return false;
            if (cx == UINT32_MAX)
                return true;
        }
    }
    return a->tag == b->tag && span_eq(&a->val, &b->val);
}

/* Attributes [*first, *end) of RDN number r. */
static void rdn_range(const mh_x509_name *n, uint16_t r, size_t *first, size_t *end)
{
    size_t i = 0;
    while (i < n->n_attrs && n->attrs[i].rdn < r)
        i++;
    *first = i;
    while (i < n->n_attrs && n->attrs[i].rdn == r)
        i++;
    *end = i;
}

static bool rdn_eq(const mh_x509_name *a, uint16_t ra, const mh_x509_name *b, uint16_t rb)
{
    size_t a0, a1, b0, b1;
    rdn_range(a, ra, &a0, &a1);
    rdn_range(b, rb, &b0, &b1);
    if (a1 - a0 != b1 - b0)
        return false;
    for (size_t i = a0; i < a1; i++) {
        bool found = false;
        for (size_t j = b0; j < b1 && !found; j++)
            found = attr_eq(&a->attrs[i], &b->attrs[j]);
        if (!found)
            return false;
    }
    return true;
}

bool mh_x509_name_eq(const mh_x509_name *a, const mh_x509_name *b)
{
    if (a->n_rdns != b->n_rdns)
        return false;
    for (uint16_t r = 0; r < a->n_rdns; r++)
        if (!rdn_eq(a, r, b, r))
            return false;
    return true;
}

bool mh_x509_name_eq_der(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
    mh_x509_name x, y;
    if (mh_x509_name_parse(&x, a, alen) || mh_x509_name_parse(&y, b, blen))
        return false;
    return mh_x509_name_eq(&x, &y);
}

/* True if the RDNs of `sub` are the first RDNs of `n` (directoryName
 * constraints). */
bool mh_x509_name_prefix(const mh_x509_name *n, const mh_x509_name *sub)
{
    if (sub->n_rdns > n->n_rdns)
        return false;
    for (uint16_t r = 0; r < sub->n_rdns; r++)
        if (!rdn_eq(n, r, sub, r))
            return false;
    return true;
}

/* ---- text --------------------------------------------------------------- */

static const struct {
    uint8_t oid[10];
    uint8_t len;
    const char *name;
    bool dn; /* a type the CA's DN syntax writes (mh_ca_name_encode reads it back) */
} attr_names[] = {
    {{0x55, 0x04, 0x03}, 3, "CN", true},
    {{0x55, 0x04, 0x04}, 3, "SN", true},
    {{0x55, 0x04, 0x05}, 3, "serialNumber", true},
    {{0x55, 0x04, 0x06}, 3, "C", true},
    {{0x55, 0x04, 0x07}, 3, "L", true},
    {{0x55, 0x04, 0x08}, 3, "ST", true},
    {{0x55, 0x04, 0x09}, 3, "street", true},
    {{0x55, 0x04, 0x0a}, 3, "O", true},
    {{0x55, 0x04, 0x0b}, 3, "OU", true},
    {{0x55, 0x04, 0x0c}, 3, "title", true},
    {{0x55, 0x04, 0x2a}, 3, "GN", true},
    {{0x55, 0x04, 0x2b}, 3, "initials", false},
    {{0x55, 0x04, 0x2c}, 3, "generationQualifier", false},
    {{0x55, 0x04, 0x2e}, 3, "dnQualifier", false},
    {{0x55, 0x04, 0x41}, 3, "pseudonym", false},
    {{0x55, 0x04, 0x61}, 3, "organizationIdentifier", true},
    {{0x09, 0x92, 0x26, 0x89, 0x93, 0xf2, 0x2c, 0x64, 0x01, 0x19}, 10, "DC", true},
    {{0x09, 0x92, 0x26, 0x89, 0x93, 0xf2, 0x2c, 0x64, 0x01, 0x01}, 10, "UID", true},
    {{0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x01}, 9, "emailAddress", true},
};

static const char *attr_name_dn(const mh_x509_span *oid, bool dn)
{
    for (size_t i = 0; i < sizeof attr_names / sizeof attr_names[0]; i++)
        if (oid->len == attr_names[i].len && memcmp(oid->p, attr_names[i].oid, oid->len) == 0)
            return !dn || attr_names[i].dn ? attr_names[i].name : NULL;
    return NULL;
}

static const char *attr_name(const mh_x509_span *oid)
{
    return attr_name_dn(oid, false);
}

/* Appends to out[*pos], keeping room for "..." and the NUL. */
typedef struct sbuf {
    char *out;
    size_t cap, pos;
    bool full;
} sbuf;

static void sb_putc(sbuf *b, char c)
{
    if (b->full)
        return;
    if (b->pos + 4 >= b->cap) {
        b->full = true;
        if (b->cap >= 4) {
            memcpy(b->out + b->cap - 4, "...", 4);
            b->pos = b->cap - 1;
        }
        return;
    }
    b->out[b->pos++] = c;
    b->out[b->pos] = 0;
}

static void sb_puts(sbuf *b, const char *s)
{
    while (*s)
        sb_putc(b, *s++);
}

static void sb_value(sbuf *b, const mh_x509_attr *a, bool escape)
{
    const uint8_t *s = a->val.p;
    size_t len = a->val.len;
    if (a->tag == MH_DER_BMP_STRING || a->tag == MH_DER_UNIVERSAL_STRING) {
        size_t w = a->tag == MH_DER_BMP_STRING ? 2 : 4;
        for (size_t i = 0; i + w <= len; i += w) {
            uint32_t cp = 0;
            for (size_t k = 0; k < w; k++)
                cp = cp << 8 | s[i + k];
            if (cp < 0x20 || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
                sb_putc(b, '?');
            } else if (cp < 0x80) {
                sb_putc(b, (char)cp);
            } else {
                uint8_t u[4];
                size_t n = mh_utf8_put(cp, u);
                for (size_t k = 0; k < n; k++)
                    sb_putc(b, (char)u[k]);
            }
        }
        return;
    }
    for (size_t i = 0; i < len;) {
        size_t start = i;
        uint32_t cp = mh_utf8_next(s, len, &i);
        if (cp == MH_UTF8_BAD || cp < 0x20 || cp == 0x7f) {
            sb_putc(b, '?');
            continue;
        }
        if (escape && (cp == ',' || cp == '+' || cp == '"' || cp == '\\' || cp == ';' ||
                       cp == '<' || cp == '>'))
            sb_putc(b, '\\');
        for (size_t k = start; k < i; k++)
            sb_putc(b, (char)s[k]);
    }
}

static void sb_attr(sbuf *b, const mh_x509_attr *a)
{
    const char *nm = attr_name(&a->oid);
    if (nm) {
        sb_puts(b, nm);
    } else {
        char oid[96];
        mh_x509_oid_str(&a->oid, false, oid, sizeof oid);
        sb_puts(b, oid);
    }
    sb_putc(b, '=');
    sb_value(b, a, true);
}

/* RFC 4514 (most specific RDN first, ",") or as encoded with ", ". */
static void name_text(const mh_x509_name *n, bool reversed, char *out, size_t cap)
{
    sbuf b = {out, cap, 0, false};
    if (cap == 0)
        return;
    out[0] = 0;
    for (uint16_t k = 0; k < n->n_rdns; k++) {
        uint16_t r = reversed ? (uint16_t)(n->n_rdns - 1 - k) : k;
        size_t a0, a1;
        rdn_range(n, r, &a0, &a1);
        if (k)
            sb_puts(&b, reversed ? "," : ", ");
        for (size_t i = a0; i < a1; i++) {
            if (i != a0)
                sb_putc(&b, '+');
            sb_attr(&b, &n->attrs[i]);
        }
    }
    if (n->n_rdns == 0)
        sb_puts(&b, "(empty name)");
}

void mh_x509_name_str(const mh_x509_name *n, char *out, size_t cap)
{
    name_text(n, true, out, cap);
}

/* ---- the DN syntax: as encoded, strict, read back by mh_ca_name_encode -- */

typedef struct dnbuf {
    char *out;
    size_t cap, o;
} dnbuf;

static int dn_put(dnbuf *b, const void *s, size_t n)
{
    if (b->cap - b->o <= n)
        return MH_ERR_BUFFER_TOO_SMALL;
    memcpy(b->out + b->o, s, n);
    b->o += n;
    b->out[b->o] = 0;
    return 0;
}

/* The k-th character of a value (UTF8String, PrintableString and
 * IA5String as UTF-8, BMPString as UCS-2), moving *i on; MH_UTF8_BAD for
 * what is not a character. */
static uint32_t dn_char(const mh_x509_attr *a, size_t *i)
{
    if (a->tag == MH_DER_BMP_STRING) {
        if (a->val.len - *i < 2)
            return (*i = a->val.len), MH_UTF8_BAD;
        uint32_t cp = mh_be16_get(a->val.p + *i);
        *i += 2;
        return cp >= 0xd800 && cp <= 0xdfff ? MH_UTF8_BAD : cp;
    }
    return mh_utf8_next(a->val.p, a->val.len, i);
}

static int dn_value(dnbuf *b, const mh_x509_attr *a)
{
    if (a->tag != MH_DER_UTF8_STRING && a->tag != MH_DER_PRINTABLE_STRING &&
        a->tag != MH_DER_IA5_STRING && a->tag != MH_DER_BMP_STRING)
        return MH_ERR_UNSUPPORTED;
    /* first the characters' count, and whether each is one the syntax takes */
    size_t n = 0;
    for (size_t i = 0; i < a->val.len; n++) {
        uint32_t cp = dn_char(a, &i);
        if (cp == MH_UTF8_BAD || cp < 0x20 || (cp >= 0x7f && cp < 0xa0))
            return MH_ERR_PARSE;
    }
    size_t k = 0;
    for (size_t i = 0; i < a->val.len; k++) {
        uint32_t cp = dn_char(a, &i);
        if ((cp < 0x80 && strchr(",+=\\\";<>", (int)cp)) || (cp == '#' && k == 0) ||
            (cp == ' ' && (k == 0 || k + 1 == n))) {
            if (dn_put(b, "\\", 1))
                return MH_ERR_BUFFER_TOO_SMALL;
        }
        uint8_t u[4];
        if (dn_put(b, u, mh_utf8_put(cp, u)))
            return MH_ERR_BUFFER_TOO_SMALL;
    }
    return 0;
}

static int name_dn(const mh_x509_name *n, char *out, size_t cap)
{
    dnbuf b = {out, cap, 0};
    int rc;
    for (size_t i = 0; i < n->n_attrs; i++) {
        const mh_x509_attr *a = &n->attrs[i];
        if (i && (rc = dn_put(&b, a->rdn == n->attrs[i - 1].rdn ? "+" : ",", 1)))
            return rc;
        const char *nm = attr_name_dn(&a->oid, true);
        char dotted[128];
        if (!nm) {
            mh_x509_oid_str(&a->oid, false, dotted, sizeof dotted);
            nm = dotted;
        }
        if ((rc = dn_put(&b, nm, strlen(nm))) || (rc = dn_put(&b, "=", 1)) ||
            (rc = dn_value(&b, a)))
            return rc;
    }
    return 0;
}

int mh_x509_name_format(const mh_x509_name *n, enum mh_x509_name_style style, char *out, size_t cap)
{
    if (!n || !out || cap == 0)
        return MH_ERR_INVALID_ARG;
    out[0] = 0;
    switch (style) {
    case MH_X509_NAME_RFC4514:
    case MH_X509_NAME_TEXT:
        name_text(n, style == MH_X509_NAME_RFC4514, out, cap);
        return 0;
    case MH_X509_NAME_DN: {
        int rc = name_dn(n, out, cap);
        if (rc)
            out[0] = 0;
        return rc;
    }
    }
    return MH_ERR_INVALID_ARG;
}

int mh_x509_name_format_der(const uint8_t *der, size_t len, enum mh_x509_name_style style,
                            char *out, size_t cap)
{
    mh_x509_name *n = calloc(1, sizeof *n);
    int rc = MH_ERR_NOMEM;
    if (n) {
        rc = mh_x509_name_parse(n, der, len);
        rc = rc ? MH_ERR_PARSE : mh_x509_name_format(n, style, out, cap);
        free(n);
    }
    if (rc && out && cap)
        out[0] = 0;
    return rc;
}

void mh_x509_name_short(const mh_x509_name *n, char *out, size_t cap)
{
    static const uint8_t cn[] = {0x55, 0x04, 0x03};
    for (int i = (int)n->n_attrs - 1; i >= 0; i--) {
        const mh_x509_attr *a = &n->attrs[i];
        if (a->oid.len == 3 && memcmp(a->oid.p, cn, 3) == 0) {
            sbuf b = {out, cap, 0, false};
            if (cap == 0)
                return;
            out[0] = 0;
            sb_attr(&b, a);
            return;
        }
    }
    mh_x509_name_str(n, out, cap);
}

void mh_x509_date_str(int64_t t, char *out, size_t cap)
{
    int64_t z = (t >= 0 ? t : t - 86399) / 86400 + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t y = yoe + era * 400;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int64_t d = doy - (153 * mp + 2) / 5 + 1;
    int64_t m = mp < 10 ? mp + 3 : mp - 9;
    y += m <= 2;
    snprintf(out, cap, "%04lld-%02lld-%02lld", (long long)y, (long long)m, (long long)d);
}

static const struct {
    uint8_t oid[10];
    uint8_t len;
    const char *name;
} oid_names[] = {
    {{0x55, 0x1d, 0x20, 0x00}, 4, "anyPolicy"},
    {{0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x01}, 8, "serverAuth"},
    {{0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x02}, 8, "clientAuth"},
    {{0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x03}, 8, "codeSigning"},
    {{0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x04}, 8, "emailProtection"},
    {{0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x08}, 8, "timeStamping"},
    {{0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x09}, 8, "OCSPSigning"},
    {{0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x24}, 8, "documentSigning"},
    {{0x55, 0x1d, 0x25, 0x00}, 4, "anyExtendedKeyUsage"},
    {{0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x30, 0x01}, 8, "OCSP"},
    {{0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x30, 0x02}, 8, "caIssuers"},
};

void mh_x509_oid_str(const mh_x509_span *oid, bool named, char *out, size_t cap)
{
    size_t pos = 0;
    if (cap == 0)
        return;
    out[0] = 0;
    if (named) {
        for (size_t i = 0; i < sizeof oid_names / sizeof oid_names[0]; i++) {
            if (oid->len == oid_names[i].len && memcmp(oid->p, oid_names[i].oid, oid->len) == 0) {
                snprintf(out, cap, "%s", oid_names[i].name);
                return;
            }
        }
    }
    uint64_t v = 0;
    bool first = true;
    for (size_t i = 0; i < oid->len; i++) {
        if (v > (UINT64_MAX >> 7)) {
            snprintf(out, cap, "(oid too long)");
            return;
        }
        v = v << 7 | (oid->p[i] & 0x7fu);
        if (oid->p[i] & 0x80)
            continue;
        int n;
        if (first) {
            unsigned a = v < 40 ? 0 : v < 80 ? 1 : 2;
            n = snprintf(out + pos, cap - pos, "%u.%llu", a, (unsigned long long)(v - 40u * a));
            first = false;
        } else {
            n = snprintf(out + pos, cap - pos, ".%llu", (unsigned long long)v);
        }
        if (n < 0 || (size_t)n >= cap - pos)
            return;
        pos += (size_t)n;
        v = 0;
    }
}

/* ---- general names ------------------------------------------------------ */

int mh_x509_gn_next(mh_der *d, mh_x509_gn *gn)
{
    mh_der_elem e;
    if (mh_der_empty(d) && !d->failed)
        return MH_ERR_NOT_FOUND;
    if (mh_der_next(d, &e))
        return MH_ERR_PARSE;
    if ((e.tag & 0xc0) != MH_DER_CONTEXT)
        return MH_ERR_PARSE;
    unsigned t = e.tag & 0x1f;
    bool constructed = (e.tag & MH_DER_CONSTRUCTED) != 0;
    gn->type = (uint8_t)t;
    gn->val.p = e.val;
    gn->val.len = e.len;
    switch (t) {
    case MH_GN_OTHER:
    case MH_GN_X400:
    case MH_GN_EDI:
        /* quirk (docs/x509.md): names mohur does not interpret are taken
         * with any content (qualified CAs put national identifiers in
         * otherNames in many shapes) */
        break;
    case MH_GN_DIRNAME: {
        mh_der in;
        mh_der_elem nm;
        if (!constructed)
            return MH_ERR_PARSE;
        mh_der_enter(&in, &e);
        if (mh_der_expect(&in, MH_DER_SEQUENCE, &nm) || !mh_der_done(&in))
            return MH_ERR_PARSE;
        gn->val.p = nm.raw;
        gn->val.len = nm.raw_len;
        break;
    }
    case MH_GN_EMAIL:
    case MH_GN_DNS:
    case MH_GN_URI:
        if (constructed)
            return MH_ERR_PARSE;
        for (size_t i = 0; i < e.len; i++)
            if (e.val[i] >= 0x80)
                return MH_ERR_PARSE; /* IA5String */
        break;
    case MH_GN_IP:
    case MH_GN_RID:
        if (constructed)
            return MH_ERR_PARSE;
        break;
    default:
        return MH_ERR_PARSE;
    }
    return 0;
}
