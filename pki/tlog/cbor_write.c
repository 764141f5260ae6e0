/* cbor_write.c - deterministic CBOR writer (shortest-form heads, definite
 * lengths) into a caller buffer. See pki_cbor.h. */
#include <string.h>

#include "pki_der.h"
#include "pki_sig.h"
#include "pki_ed25519.h"
#include "pki_merkle.h"
#include "pki_cbor.h"
#include "pki_note.h"
#include "pki_receipt.h"

void mh_cbor_w_init(mh_cbor_w *w, uint8_t *buf, size_t cap)
{
    w->buf = buf;
    w->cap = buf ? cap : 0;
    w->len = 0;
    w->overflow = false;
}

int mh_cbor_w_finish(const mh_cbor_w *w, size_t *len)
{
    if (w->overflow) {
        if (len)
            *len = 0;
        return MH_ERR_BUFFER_TOO_SMALL;
    }
    if (len)
        *len = w->len;
    return MH_OK;
}

static void put(mh_cbor_w *w, const void *p, size_t n)
{
    if (w->overflow)
        return;
    if (n > w->cap - w->len) {
        w->overflow = true;
        return;
    }
    if (n)
        memcpy(w->buf + w->len, p, n);
    w->len += n;
}

/* A head in its shortest form (RFC 8949 4.2.1). */
static void head(mh_cbor_w *w, unsigned major, uint64_t v)
{
    uint8_t b[9];
    size_t n;
    uint8_t m = (uint8_t)(major << 5);

    if (v < 24) {
        b[0] = (uint8_t)(m | v);
        n = 1;
    } else if (v <= 0xff) {
        b[0] = (uint8_t)(m | 24);
        b[1] = (uint8_t)v;
        n = 2;
    } else if (v <= 0xffff) {
        b[0] = (uint8_t)(m | 25);
        b[1] = (uint8_t)(v >> 8);
        b[2] = (uint8_t)v;
        n = 3;
    } else if (v <= 0xffffffffu) {
        b[0] = (uint8_t)(m | 26);
        for (int i = 0; i < 4; i++)
            b[1 + i] = (uint8_t)(v >> (24 - 8 * i));
        n = 5;
    } else {
        b[0] = (uint8_t)(m | 27);
        for (int i = 0; i < 8; i++)
            b[1 + i] = (uint8_t)(v >> (56 - 8 * i));
        n = 9;
    }
    put(w, b, n);
}

void mh_cbor_put_uint(mh_cbor_w *w, uint64_t v)
{
    head(w, MH_CBOR_UINT, v);
}

void mh_cbor_put_negint(mh_cbor_w *w, uint64_t n)
{
    head(w, MH_CBOR_NEGINT, n);
}

void mh_cbor_put_int(mh_cbor_w *w, int64_t v)
{
    if (v >= 0)
        head(w, MH_CBOR_UINT, (uint64_t)v);
    else
        head(w, MH_CBOR_NEGINT, (uint64_t)(-(v + 1)));
}

void mh_cbor_put_bytes(mh_cbor_w *w, const uint8_t *p, size_t len)
{
    head(w, MH_CBOR_BYTES, len);
    put(w, p, len);
}

void mh_cbor_put_text(mh_cbor_w *w, const char *s, size_t len)
{
    head(w, MH_CBOR_TEXT, len);
    put(w, s, len);
}

void mh_cbor_put_array(mh_cbor_w *w, uint64_t n)
{
    head(w, MH_CBOR_ARRAY, n);
}

void mh_cbor_put_map(mh_cbor_w *w, uint64_t n)
{
    head(w, MH_CBOR_MAP, n);
}

void mh_cbor_put_tag(mh_cbor_w *w, uint64_t tag)
{
    head(w, MH_CBOR_TAG, tag);
}

void mh_cbor_put_bool(mh_cbor_w *w, bool v)
{
    head(w, MH_CBOR_SIMPLE, v ? MH_CBOR_TRUE : MH_CBOR_FALSE);
}

void mh_cbor_put_null(mh_cbor_w *w)
{
    head(w, MH_CBOR_SIMPLE, MH_CBOR_NULL);
}

void mh_cbor_put_raw(mh_cbor_w *w, const uint8_t *p, size_t len)
{
    put(w, p, len);
}
