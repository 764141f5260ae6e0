/* ca_name.c - DN strings to DER Names and back, dotted OIDs, times
 * (pki_ca.h). We write the Name ourselves rather than use
 * mbedtls_x509_string_to_names: that one folds repeated attribute types
 * into one (two OU= become one), has no multi-valued RDNs, escapes only ','
 * and caps values at 256 bytes without telling which attribute failed. */
#define MH_CA_INTERNAL
#include <string.h>

#include "pki_der.h"
#include "pki_sig.h"
#include "pki_ed25519.h"
#include "pki_x509.h"
#include "pki_ca.h"

#define ATTR_MAX 32     /* attributes in one Name */
#define VALUE_MAX 256   /* bytes of one value */
#define ATV_DER_MAX 300 /* one encoded AttributeTypeAndValue */

struct attr_type {
    const char *name;
    const char *alias;
    const char *oid; /* DER contents */
    size_t oid_len;
    uint8_t tag;      /* string type we write */
    size_t max_chars; /* upper bound from RFC 5280 Appendix A */
};

#define O(s) s, sizeof(s) - 1
static const struct attr_type types[] = {
    {"CN", "commonName", O("\x55\x04\x03"), MH_DER_UTF8_STRING, 64},
    {"C", "countryName", O("\x55\x04\x06"), MH_DER_PRINTABLE_STRING, 2},
    {"O", "organizationName", O("\x55\x04\x0a"), MH_DER_UTF8_STRING, 64},
    {"OU", "organizationalUnitName", O("\x55\x04\x0b"), MH_DER_UTF8_STRING, 64},
    {"L", "localityName", O("\x55\x04\x07"), MH_DER_UTF8_STRING, 128},
    {"ST", "stateOrProvinceName", O("\x55\x04\x08"), MH_DER_UTF8_STRING, 128},
    {"street", "streetAddress", O("\x55\x04\x09"), MH_DER_UTF8_STRING, 128},
    {"serialNumber", "SERIALNUMBER", O("\x55\x04\x05"), MH_DER_PRINTABLE_STRING, 64},
    {"title", "T", O("\x55\x04\x0c"), MH_DER_UTF8_STRING, 64},
    {"GN", "givenName", O("\x55\x04\x2a"), MH_DER_UTF8_STRING, 64},
    {"SN", "surname", O("\x55\x04\x04"), MH_DER_UTF8_STRING, 64},
    {"organizationIdentifier", NULL, O("\x55\x04\x61"), MH_DER_UTF8_STRING, 64},
    {"emailAddress", "E", O("\x2a\x86\x48\x86\xf7\x0d\x01\x09\x01"), MH_DER_IA5_STRING, 255},
    {"DC", "domainComponent", O("\x09\x92\x26\x89\x93\xf2\x2c\x64\x01\x19"), MH_DER_IA5_STRING, 63},
    {"UID", "userId", O("\x09\x92\x26\x89\x93\xf2\x2c\x64\x01\x01"), MH_DER_UTF8_STRING, 256},
};
#undef O
#define N_TYPES (sizeof types / sizeof types[0])

static bool ieq(const char *a, size_t alen, const char *b)
{
    size_t blen = strlen(b);
    if (alen != blen)
        return false;
    for (size_t i = 0; i < alen; i++) {
        char x = a[i], y = b[i];
        if (x >= 'a' && x <= 'z')
            x = (char)(x - 32);
        if (y >= 'a' && y <= 'z')
            y = (char)(y - 32);
        if (x != y)
            return false;
    }
    return true;
}

/* ---- UTF-8 ---------------------------------------------------------------- */

/* Counts the characters of strict UTF-8 (no overlongs, surrogates or
 * control characters); -1 when invalid. */
static long utf8_chars(const uint8_t *s, size_t len)
{
    long n = 0;
    size_t i = 0;
    while (i < len) {
        uint32_t cp = mh_utf8_next(s, len, &i);
        if (cp == MH_UTF8_BAD || cp < 0x20 || (cp >= 0x7f && cp < 0xa0))
            return -1;
        n++;
    }
    return n;
}

static bool printable_char(uint8_t c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           strchr(" '()+,-./:=?", c) != NULL;
}

/* ---- OIDs ----------------------------------------------------------------- */

int mh_ca_oid_encode(const char *dotted, uint8_t *out, size_t cap, size_t *len)
{
    /* Each arc as decimal digits; divided by 128 repeatedly (arcs of any
     * size, as 2.25.<UUID> needs). */
    uint8_t digits[48], b128[48];
    size_t o = 0, arc = 0;
    const char *p = dotted;
    unsigned first = 0;

    if (!dotted || !*dotted)
        return MH_ERR_INVALID_ARG;
    while (*p) {
        size_t nd = 0;
        while (*p >= '0' && *p <= '9') {
            if (nd == sizeof digits)
                return MH_ERR_INVALID_ARG;
            digits[nd++] = (uint8_t)(*p++ - '0');
        }
        if (nd == 0 || (nd > 1 && digits[0] == 0) || (*p && *p != '.') || (*p == '.' && !p[1]))
            return MH_ERR_INVALID_ARG;
        if (*p == '.')
            p++;
        if (arc == 0) {
            if (nd != 1 || digits[0] > 2)
                return MH_ERR_INVALID_ARG;
            first = digits[0];
            arc++;
            continue;
        }
        if (arc == 1) {
            /* 40*first + second, done in decimal */
            if (first < 2 && (nd > 2 || (nd == 2 && digits[0] * 10 + digits[1] > 39)))
                return MH_ERR_INVALID_ARG;
            unsigned carry = first * 40;
            for (size_t i = nd; i-- > 0 && carry;) {
                unsigned v = digits[i] + carry % 10;
                carry /= 10;
                carry += v / 10;
                digits[i] = (uint8_t)(v % 10);
            }
            while (carry) {
                if (nd == sizeof digits)
                    return MH_ERR_INVALID_ARG;
                memmove(digits + 1, digits, nd++);
                digits[0] = (uint8_t)(carry % 10);
                carry /= 10;
            }
        }
        arc++;
        /* decimal -> base 128, least significant first */
        size_t nb = 0;
        bool zero;
        do {
            unsigned rem = 0;
            zero = true;
            for (size_t i = 0; i < nd; i++) {
                unsigned v = rem * 10 + digits[i];
                digits[i] = (uint8_t)(v / 128);
                rem = v % 128;
                if (digits[i])
                    zero = false;
            }
            if (nb == sizeof b128)
                return MH_ERR_INVALID_ARG;
            b128[nb++] = (uint8_t)rem;
        } while (!zero);
        if (cap - o < nb)
            return MH_ERR_BUFFER_TOO_SMALL;
        for (size_t i = nb; i-- > 0;)
            out[o++] = (uint8_t)(b128[i] | (i ? 0x80 : 0));
        if (o > cap)
            return MH_ERR_BUFFER_TOO_SMALL;
    }
    if (arc < 2)
        return MH_ERR_INVALID_ARG;
    *len = o;
    return 0;
}

/* ---- times ---------------------------------------------------------------- */

/* Civil date from days since 1970 (H. Hinnant's algorithm). */
int mh_ca_time_format(int64_t t, char out[16])
{
    /* 1950-01-01 .. 9999-12-31 23:59:59 */
    if (t < -631152000LL || t > 253402300799LL)
        return MH_ERR_INVALID_ARG;
    int64_t days = t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
    int64_t secs = t - days * 86400;
    int64_t y;
    unsigned m, d;
    mh_der_civil_from_days(days, &y, &m, &d);
    /* formatted aside: GCC cannot see that every part has its width */
    char tmp[64];
    int n = snprintf(tmp, sizeof tmp, "%04d%02u%02u%02u%02u%02uZ", (int)y, m, d,
                     (unsigned)(secs / 3600), (unsigned)(secs / 60 % 60), (unsigned)(secs % 60));
    if (n != 15)
        return MH_ERR_INVALID_ARG;
    memcpy(out, tmp, 16);
    return 0;
}

/* ---- DN string to DER ----------------------------------------------------- */

struct atv {
    size_t rdn;
    uint8_t der[ATV_DER_MAX];
    size_t len;
};

/* Encodes one AttributeTypeAndValue into a->der (written at its start). */
static int atv_encode(const char *tname, size_t tlen, const uint8_t *val, size_t vlen,
                      struct atv *a)
{
    const struct attr_type *ty = NULL;
    uint8_t oid[64];
    size_t oid_len = 0;
    uint8_t tag = MH_DER_UTF8_STRING;
    size_t max_chars = VALUE_MAX;
    char tbuf[64];

    for (size_t i = 0; i < N_TYPES && !ty; i++)
        if (ieq(tname, tlen, types[i].name) || (types[i].alias && ieq(tname, tlen, types[i].alias)))
            ty = &types[i];
    snprintf(tbuf, sizeof tbuf, "%.*s", (int)(tlen > 40 ? 40 : tlen), tname);
    if (ty) {
        memcpy(oid, ty->oid, ty->oid_len);
        oid_len = ty->oid_len;
        tag = ty->tag;
        max_chars = ty->max_chars;
    } else if (tlen > 0 && tlen < sizeof tbuf && tname[0] >= '0' && tname[0] <= '2') {
        if (mh_ca_oid_encode(tbuf, oid, sizeof oid, &oid_len) != 0) {
            mh_err_set(MH_ERR_INVALID_ARG, "the name attribute type '%s' is not a valid OID", tbuf);
            return MH_ERR_INVALID_ARG;
        }
    } else {
        mh_err_set(MH_ERR_INVALID_ARG,
                   "unknown name attribute '%s': use CN, C, O, OU, L, ST, street, serialNumber, "
                   "title, GN, SN, DC, UID, emailAddress, organizationIdentifier or a dotted OID",
                   tbuf);
        return MH_ERR_INVALID_ARG;
    }
    if (vlen == 0) {
        mh_err_set(MH_ERR_INVALID_ARG, "the name attribute %s has an empty value", tbuf);
        return MH_ERR_INVALID_ARG;
    }
    if (vlen > VALUE_MAX) {
        mh_err_set(MH_ERR_INVALID_ARG, "the value of %s is longer than %d bytes", tbuf, VALUE_MAX);
        return MH_ERR_INVALID_ARG;
    }
    long chars = utf8_chars(val, vlen);
    if (chars < 0) {
        mh_err_set(MH_ERR_INVALID_ARG,
                   "the value of %s is not valid UTF-8 text (or has control characters)", tbuf);
        return MH_ERR_INVALID_ARG;
    }
    if ((size_t)chars > max_chars) {
        mh_err_set(MH_ERR_INVALID_ARG,
                   "the value of %s has %ld characters; at most %zu are allowed (RFC 5280)", tbuf,
                   chars, max_chars);
        return MH_ERR_INVALID_ARG;
    }
    if (tag == MH_DER_PRINTABLE_STRING) {
        for (size_t i = 0; i < vlen; i++) {
            if (!printable_char(val[i])) {
                mh_err_set(MH_ERR_INVALID_ARG,
                           "the value of %s may only use A-Z, a-z, 0-9, space and '()+,-./:=? "
                           "(PrintableString)",
                           tbuf);
                return MH_ERR_INVALID_ARG;
            }
        }
        if (ty && ty->max_chars == 2) {
            if (vlen != 2 || val[0] < 'A' || val[0] > 'Z' || val[1] < 'A' || val[1] > 'Z') {
                mh_err_set(MH_ERR_INVALID_ARG,
                           "C= must be a two-letter ISO 3166 country code in capitals, e.g. C=AZ");
                return MH_ERR_INVALID_ARG;
            }
        }
    } else if (tag == MH_DER_IA5_STRING) {
        for (size_t i = 0; i < vlen; i++) {
            if (val[i] >= 0x80) {
                mh_err_set(MH_ERR_INVALID_ARG, "the value of %s must be ASCII", tbuf);
                return MH_ERR_INVALID_ARG;
            }
        }
    }
    mh_derw w;
    mh_derw_init(&w, a->der, sizeof a->der);
    const uint8_t *end = w.p;
    mh_derw_tlv(&w, tag, val, vlen);
    mh_derw_tlv(&w, MH_DER_OID, oid, oid_len);
    mh_derw_wrap(&w, MH_DER_SEQUENCE, end);
    if (w.failed)
        return MH_ERR_BUFFER_TOO_SMALL;
    a->len = mh_derw_len(&w, end);
    memmove(a->der, w.p, a->len);
    return 0;
}

static int der_cmp(const struct atv *x, const struct atv *y)
{
    size_t n = x->len < y->len ? x->len : y->len;
    int c = memcmp(x->der, y->der, n); /* DER SET OF ordering, not crypto */
    if (c)
        return c;
    return x->len < y->len ? -1 : x->len > y->len;
}

int mh_ca_name_encode(const char *dn, uint8_t *der, size_t cap, size_t *len)
{
    struct atv atvs[ATTR_MAX];
    size_t n = 0, rdn = 0;
    const char *p = dn;
    uint8_t val[VALUE_MAX + 1];

    if (!dn || !*dn) {
        mh_err_set(MH_ERR_INVALID_ARG, "the name is empty: give it as \"CN=...,O=...,C=AZ\"");
        return MH_ERR_INVALID_ARG;
    }
    if (strlen(dn) > MH_CA_DN_MAX) {
        mh_err_set(MH_ERR_INVALID_ARG, "the name is longer than %d bytes", MH_CA_DN_MAX);
        return MH_ERR_INVALID_ARG;
    }
    for (;;) {
        while (*p == ' ')
            p++;
        const char *t = p;
        while (*p && *p != '=' && *p != ',' && *p != '+')
            p++;
        size_t tlen = (size_t)(p - t);
        while (tlen && t[tlen - 1] == ' ')
            tlen--;
        if (*p != '=' || tlen == 0) {
            mh_err_set(MH_ERR_INVALID_ARG,
                       "the name is not of the form \"CN=...,O=...,C=AZ\" (near '%.20s'); escape "
                       "',', '+', '=' and '\\' in values with '\\'",
                       t);
            return MH_ERR_INVALID_ARG;
        }
        p++;
        size_t vlen = 0;
        while (*p && *p != ',' && *p != '+') {
            uint8_t c = (uint8_t)*p++;
            if (c == '=') {
                mh_err_set(MH_ERR_INVALID_ARG,
                           "an '=' in a name value must be escaped as '\\=' (near '%.20s')", t);
                return MH_ERR_INVALID_ARG;
            }
            if (c == '\\') {
                if (mh_hexval(p[0]) >= 0 && mh_hexval(p[1]) >= 0) {
                    c = (uint8_t)(mh_hexval(p[0]) << 4 | mh_hexval(p[1]));
                    p += 2;
                } else if (*p && strchr(",+=\\\";<># ", *p)) {
                    c = (uint8_t)*p++;
                } else {
                    mh_err_set(MH_ERR_INVALID_ARG,
                               "a '\\' in a name must be followed by one of , + = \\ \" ; < > # "
                               "space, or two hex digits (near '%.20s')",
                               t);
                    return MH_ERR_INVALID_ARG;
                }
            }
            if (vlen == VALUE_MAX) {
                mh_err_set(MH_ERR_INVALID_ARG, "a value in the name is longer than %d bytes",
                           VALUE_MAX);
                return MH_ERR_INVALID_ARG;
            }
            val[vlen++] = c;
        }
        if (n == ATTR_MAX) {
            mh_err_set(MH_ERR_INVALID_ARG, "the name has more than %d attributes", ATTR_MAX);
            return MH_ERR_INVALID_ARG;
        }
        int ret = atv_encode(t, tlen, val, vlen, &atvs[n]);
        if (ret)
            return ret;
        atvs[n++].rdn = rdn;
        if (!*p)
            break;
        if (*p == ',')
            rdn++;
        p++;
        if (!*p) {
            mh_err_set(MH_ERR_INVALID_ARG, "the name ends with a separator");
            return MH_ERR_INVALID_ARG;
        }
    }

    /* Sort each RDN's attributes (DER SET OF), then write backwards. */
    for (size_t i = 1; i < n; i++) {
        for (size_t j = i;
             j > 0 && atvs[j - 1].rdn == atvs[j].rdn && der_cmp(&atvs[j - 1], &atvs[j]) > 0; j--) {
            struct atv tmp = atvs[j];
            atvs[j] = atvs[j - 1];
            atvs[j - 1] = tmp;
        }
    }
    mh_derw w;
    mh_derw_init(&w, der, cap);
    const uint8_t *end = w.p;
    size_t i = n;
    while (i > 0) {
        size_t r = atvs[i - 1].rdn;
        const uint8_t *set = w.p;
        while (i > 0 && atvs[i - 1].rdn == r) {
            mh_derw_raw(&w, atvs[i - 1].der, atvs[i - 1].len);
            i--;
        }
        mh_derw_wrap(&w, MH_DER_SET, set);
    }
    mh_derw_wrap(&w, MH_DER_SEQUENCE, end);
    if (w.failed)
        return MH_ERR_BUFFER_TOO_SMALL;
    *len = mh_derw_len(&w, end);
    memmove(der, w.p, *len);
    return 0;
}

bool mh_ca_name_has_org(const uint8_t *der, size_t len)
{
    mh_der d, rd, sd, ad;
    mh_der_elem name, set, atv, oid;

    mh_der_init(&d, der, len);
    if (mh_der_expect(&d, MH_DER_SEQUENCE, &name))
        return false;
    mh_der_enter(&rd, &name);
    while (!mh_der_empty(&rd) && mh_der_expect(&rd, MH_DER_SET, &set) == 0) {
        mh_der_enter(&sd, &set);
        while (!mh_der_empty(&sd) && mh_der_expect(&sd, MH_DER_SEQUENCE, &atv) == 0) {
            mh_der_enter(&ad, &atv);
            if (mh_der_expect(&ad, MH_DER_OID, &oid) == 0 &&
                mh_der_oid_is(&oid, (const uint8_t *)"\x55\x04\x0a", 3))
                return true;
        }
    }
    return false;
}
