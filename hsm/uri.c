/* uri.c - RFC 7512 PKCS#11 URIs: parsing and printing. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hsm_internal.h"

#define URI_MAX 4096

enum attr_kind { A_STR, A_ID, A_TYPE, A_SLOTID };

struct attr {
    const char *name;
    enum attr_kind kind;
    size_t off; /* offset of the char * field, for A_STR */
    bool query;
};

#define S(n, field, q)                                                                             \
    {                                                                                              \
        n, A_STR, offsetof(mh_p11_uri, field), q                                                   \
    }
static const struct attr attrs[] = {
    S("token", token, false),
    S("manufacturer", manufacturer, false),
    S("serial", serial, false),
    S("model", model, false),
    S("library-manufacturer", library_manufacturer, false),
    S("library-description", library_description, false),
    S("library-version", library_version, false),
    S("slot-description", slot_description, false),
    S("slot-manufacturer", slot_manufacturer, false),
    {"slot-id", A_SLOTID, 0, false},
    S("object", object, false),
    {"type", A_TYPE, 0, false},
    {"id", A_ID, 0, false},
    S("module-name", module_name, true),
    S("module-path", module_path, true),
    S("pin-source", pin_source, true),
};
#undef S

static const char *const type_names[] = {
    [MH_P11_TYPE_PRIVATE] = "private", [MH_P11_TYPE_PUBLIC] = "public",
    [MH_P11_TYPE_CERT] = "cert",       [MH_P11_TYPE_SECRET] = "secret-key",
    [MH_P11_TYPE_DATA] = "data",
};

/* Percent-decodes [s, s+n) into a new buffer; *outlen excludes the NUL. */
static int pct_decode(const char *s, size_t n, char **out, size_t *outlen)
{
    char *d = malloc(n + 1);
    if (!d)
        return MH_ERR_NOMEM;
    size_t j = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '%') {
            int hi = i + 1 < n ? mh_hexval((unsigned char)s[i + 1]) : -1;
            int lo = i + 2 < n ? mh_hexval((unsigned char)s[i + 2]) : -1;
            if (hi < 0 || lo < 0) {
                free(d);
                mh_err_set(MH_ERR_URI, "the PKCS#11 URI has a bad percent-encoding near '%.*s'",
                           (int)(n - i > 8 ? 8 : n - i), s + i);
                return MH_ERR_URI;
            }
            d[j++] = (char)(hi << 4 | lo);
            i += 2;
        } else {
            d[j++] = s[i];
        }
    }
    d[j] = '\0';
    *out = d;
    *outlen = j;
    return 0;
}

static char **str_field(mh_p11_uri *u, const struct attr *a)
{
    return (char **)(void *)((char *)u + a->off);
}

static int set_attr(mh_p11_uri *u, const char *name, size_t nlen, const char *val, size_t vlen,
                    bool query)
{
    const struct attr *a = NULL;
    for (size_t i = 0; i < sizeof attrs / sizeof attrs[0]; i++) {
        if (strlen(attrs[i].name) == nlen && memcmp(attrs[i].name, name, nlen) == 0) {
            a = &attrs[i];
            break;
        }
    }
    if (nlen == 9 && memcmp(name, "pin-value", 9) == 0) {
        mh_err_set(MH_ERR_PIN_IN_URI, "%s", mh_strerror(MH_ERR_PIN_IN_URI));
        return MH_ERR_PIN_IN_URI;
    }
    if (!a) {
        if (query)
            return 0; /* RFC 7512: unknown query attributes are ignored */
        mh_err_set(MH_ERR_URI, "the PKCS#11 URI has an unknown attribute '%.*s'",
                   (int)(nlen > 40 ? 40 : nlen), name);
        return MH_ERR_URI;
    }
    if (a->query != query) {
        mh_err_set(MH_ERR_URI, "in a PKCS#11 URI, '%s' belongs %s", a->name,
                   a->query ? "after '?' (query part)" : "before '?' (path part)");
        return MH_ERR_URI;
    }
    char *v = NULL;
    size_t len = 0;
    int rc = pct_decode(val, vlen, &v, &len);
    if (rc)
        return rc;
    rc = MH_ERR_URI;
    switch (a->kind) {
    case A_STR: {
        char **f = str_field(u, a);
        if (*f)
            goto dup;
        if (memchr(v, '\0', len)) {
            mh_err_set(rc, "the PKCS#11 URI attribute '%s' contains a NUL byte", a->name);
            goto out;
        }
        *f = v;
        v = NULL;
        break;
    }
    case A_ID:
        if (u->has_id)
            goto dup;
        if (len == 0 || len > MH_P11_ID_MAX) {
            mh_err_set(rc, "the PKCS#11 URI's id must be 1 to %d bytes", MH_P11_ID_MAX);
            goto out;
        }
        memcpy(u->id, v, len);
        u->id_len = len;
        u->has_id = true;
        break;
    case A_TYPE: {
        if (u->type != MH_P11_TYPE_ANY)
            goto dup;
        for (size_t t = 1; t < sizeof type_names / sizeof type_names[0]; t++) {
            if (strcmp(v, type_names[t]) == 0)
                u->type = (enum mh_p11_objtype)t;
        }
        if (u->type == MH_P11_TYPE_ANY) {
            mh_err_set(rc,
                       "the PKCS#11 URI's type must be private, public, cert, secret-key or data");
            goto out;
        }
        break;
    }
    case A_SLOTID: {
        if (u->has_slot_id)
            goto dup;
        char *end = NULL;
        errno = 0;
        unsigned long n = strtoul(v, &end, 10);
        if (!len || errno || *end || v[0] == '-' || v[0] == '+') {
            mh_err_set(rc, "the PKCS#11 URI's slot-id must be a decimal number");
            goto out;
        }
        u->slot_id = n;
        u->has_slot_id = true;
        break;
    }
    }
    rc = 0;
    goto out;
dup:
    mh_err_set(rc, "the PKCS#11 URI gives '%s' twice", a->name);
out:
    free(v);
    return rc;
}

static int parse_part(mh_p11_uri *u, const char *s, size_t n, char sep, bool query)
{
    size_t i = 0;
    while (i < n) {
        size_t j = i;
        while (j < n && s[j] != sep)
            j++;
        if (j > i) {
            const char *eq = memchr(s + i, '=', j - i);
            if (!eq || eq == s + i) {
                mh_err_set(MH_ERR_URI, "the PKCS#11 URI has an attribute without a value: '%.*s'",
                           (int)(j - i > 40 ? 40 : j - i), s + i);
                return MH_ERR_URI;
            }
            size_t nlen = (size_t)(eq - (s + i));
            int rc = set_attr(u, s + i, nlen, eq + 1, j - i - nlen - 1, query);
            if (rc)
                return rc;
        }
        i = j + 1;
    }
    return 0;
}

int mh_p11_uri_parse(const char *text, mh_p11_uri *u)
{
    memset(u, 0, sizeof *u);
    if (!text)
        return MH_ERR_INVALID_ARG;
    size_t n = strnlen(text, URI_MAX + 1);
    if (n > URI_MAX) {
        mh_err_set(MH_ERR_URI, "the PKCS#11 URI is longer than %d characters", URI_MAX);
        return MH_ERR_URI;
    }
    if (n < 7 || strncasecmp(text, "pkcs11:", 7) != 0) {
        mh_err_set(MH_ERR_URI, "a PKCS#11 URI must start with 'pkcs11:' (for example "
                               "pkcs11:token=Seal;object=registry)");
        return MH_ERR_URI;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)text[i];
        if (c <= 0x20 || c >= 0x7f) {
            mh_err_set(MH_ERR_URI, "the PKCS#11 URI contains a space or a non-ASCII character; "
                                   "percent-encode it (e.g. %%20 for a space)");
            return MH_ERR_URI;
        }
    }
    const char *path = text + 7;
    const char *q = strchr(path, '?');
    size_t plen = q ? (size_t)(q - path) : n - 7;
    int rc = parse_part(u, path, plen, ';', false);
    if (!rc && q)
        rc = parse_part(u, q + 1, strlen(q + 1), '&', true);
    if (rc) {
        mh_p11_uri_free(u);
        return rc;
    }
    return 0;
}

void mh_p11_uri_free(mh_p11_uri *u)
{
    if (!u)
        return;
    for (size_t i = 0; i < sizeof attrs / sizeof attrs[0]; i++) {
        if (attrs[i].kind == A_STR)
            free(*str_field(u, &attrs[i]));
    }
    memset(u, 0, sizeof *u);
}

struct out {
    char *buf;
    size_t cap, len;
    bool overflow;
};

static void put(struct out *o, const char *s, size_t n)
{
    if (o->len + n >= o->cap) {
        o->overflow = true;
        return;
    }
    memcpy(o->buf + o->len, s, n);
    o->len += n;
    o->buf[o->len] = '\0';
}

static bool keep_char(unsigned char c, bool query)
{
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
        return true;
    if (strchr("-._~:[]@!$'()*+,", c))
        return true;
    return query && (c == '/' || c == '?');
}

static void put_enc(struct out *o, const uint8_t *s, size_t n, bool query, bool all)
{
    static const char hex[] = "0123456789ABCDEF";
    for (size_t i = 0; i < n; i++) {
        if (!all && keep_char(s[i], query)) {
            put(o, (const char *)&s[i], 1);
        } else {
            char e[3] = {'%', hex[s[i] >> 4], hex[s[i] & 15]};
            put(o, e, 3);
        }
    }
}

int mh_p11_uri_format(const mh_p11_uri *u, char *buf, size_t len)
{
    if (!buf || len == 0)
        return MH_ERR_BUFFER_TOO_SMALL;
    struct out o = {buf, len, 0, false};
    buf[0] = '\0';
    put(&o, "pkcs11:", 7);
    bool first = true, qfirst = true;
    for (size_t i = 0; i < sizeof attrs / sizeof attrs[0]; i++) {
        const struct attr *a = &attrs[i];
        char num[32];
        const uint8_t *v = NULL;
        size_t vlen = 0;
        bool all = false;
        switch (a->kind) {
        case A_STR: {
            const char *s = *(char *const *)(const void *)((const char *)u + a->off);
            if (s) {
                v = (const uint8_t *)s;
                vlen = strlen(s);
            }
            break;
        }
        case A_ID:
            if (u->has_id) {
                v = u->id;
                vlen = u->id_len;
                all = true;
            }
            break;
        case A_TYPE:
            if (u->type != MH_P11_TYPE_ANY) {
                v = (const uint8_t *)type_names[u->type];
                vlen = strlen(type_names[u->type]);
            }
            break;
        case A_SLOTID:
            if (u->has_slot_id) {
                snprintf(num, sizeof num, "%lu", u->slot_id);
                v = (const uint8_t *)num;
                vlen = strlen(num);
            }
            break;
        }
        if (!v)
            continue;
        if (a->query) {
            put(&o, qfirst ? "?" : "&", 1);
            qfirst = false;
        } else {
            if (!first)
                put(&o, ";", 1);
            first = false;
        }
        put(&o, a->name, strlen(a->name));
        put(&o, "=", 1);
        put_enc(&o, v, vlen, a->query, all);
    }
    if (o.overflow) {
        buf[0] = '\0';
        return MH_ERR_BUFFER_TOO_SMALL;
    }
    return 0;
}
