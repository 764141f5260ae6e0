/* receipt_url.c - the receipt's QR URL: "HTTPS://<HOST>/V/<BASE32>".
 *
 * Every character is in QR alphanumeric mode (0-9 A-Z space $ % * + - . / :),
 * which packs 11 bits per two characters instead of 16: that is why the
 * scheme and host are upper case (both are case-insensitive) and the
 * receipt is base32. No allocation, no I/O. */
#include "pki_der.h"
#include "pki_sig.h"
#include "pki_ed25519.h"
#include "pki_merkle.h"
#include "pki_cbor.h"
#include "pki_note.h"
#include "pki_receipt.h"

#include <string.h>

static const char url_scheme[] = "HTTPS://";
static const char url_path[] = "/V/";

static bool host_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.';
}

/* A DNS name (letters, digits, '-', '.', no empty label, no label starting
 * or ending with '-') with an optional ":port" (1-65535). */
static bool host_ok(const char *h, size_t len)
{
    size_t i = 0, label = 0;

    if (len == 0 || len > MH_RECEIPT_HOST_MAX)
        return false;
    for (; i < len && h[i] != ':'; i++) {
        if (!host_char(h[i]))
            return false;
        if (h[i] == '.') {
            if (label == 0 || h[i - 1] == '-')
                return false;
            label = 0;
        } else {
            if (label == 0 && h[i] == '-')
                return false;
            if (++label > 63)
                return false;
        }
    }
    if (label == 0 || h[i - 1] == '-')
        return false;
    if (i < len) {
        unsigned long port = 0;
        size_t digits = 0;
        for (i++; i < len; i++, digits++) {
            if (h[i] < '0' || h[i] > '9' || digits >= 5)
                return false;
            port = port * 10 + (unsigned long)(h[i] - '0');
        }
        if (digits == 0 || port == 0 || port > 65535 || h[len - digits] == '0')
            return false;
    }
    return true;
}

static char upper(char c)
{
    return (c >= 'a' && c <= 'z') ? (char)(c - 'a' + 'A') : c;
}

int mh_receipt_url(const char *host, const uint8_t *receipt, size_t len, char *out, size_t cap,
                   size_t *olen)
{
    size_t hlen, o = 0, blen = 0;
    int ret;

    if (!host || !receipt || !out)
        return MH_ERR_INVALID_ARG;
    hlen = strnlen(host, MH_RECEIPT_HOST_MAX + 1);
    if (!host_ok(host, hlen)) {
        mh_err_set(MH_ERR_INVALID_ARG,
                   "the verification host must be a DNS name (letters, digits, '-' and '.'), "
                   "optionally with :port, at most %d characters",
                   MH_RECEIPT_HOST_MAX);
        return MH_ERR_INVALID_ARG;
    }
    if (len == 0 || len > MH_RECEIPT_MAX)
        return MH_ERR_INVALID_ARG;
    if (cap < sizeof url_scheme - 1 + hlen + sizeof url_path - 1 + 1)
        return MH_ERR_BUFFER_TOO_SMALL;
    memcpy(out, url_scheme, sizeof url_scheme - 1);
    o = sizeof url_scheme - 1;
    for (size_t i = 0; i < hlen; i++)
        out[o++] = upper(host[i]);
    memcpy(out + o, url_path, sizeof url_path - 1);
    o += sizeof url_path - 1;
    ret = mh_base32_encode(receipt, len, out + o, cap - o, &blen);
    if (ret) {
        out[0] = '\0';
        return ret;
    }
    o += blen;
    if (olen)
        *olen = o;
    return 0;
}

int mh_receipt_url_parse(const char *url, size_t url_len, mh_receipt_str *host, uint8_t *out,
                         size_t cap, size_t *len)
{
    size_t i, h0;
    int ret;

    if (!url || !host || !out || !len)
        return MH_ERR_INVALID_ARG;
    host->ptr = NULL;
    host->len = 0;
    *len = 0;
    if (url_len > MH_RECEIPT_URL_MAX) {
        mh_err_set(MH_ERR_TOO_LARGE, "the text is %zu characters, longer than any receipt URL (%d)",
                   url_len, MH_RECEIPT_URL_MAX);
        return MH_ERR_TOO_LARGE;
    }
    for (i = 0; i < sizeof url_scheme - 1; i++) {
        if (i >= url_len || upper(url[i]) != url_scheme[i]) {
            mh_err_set(MH_ERR_PARSE, "this is not a receipt URL: it must start with HTTPS://");
            return MH_ERR_PARSE;
        }
    }
    h0 = i;
    while (i < url_len && url[i] != '/')
        i++;
    if (!host_ok(url + h0, i - h0)) {
        mh_err_set(MH_ERR_PARSE, "the receipt URL's host is not a valid host name");
        return MH_ERR_PARSE;
    }
    if (url_len - i < sizeof url_path - 1 || url[i] != '/' || url[i + 1] != 'V' ||
        url[i + 2] != '/') {
        mh_err_set(MH_ERR_PARSE, "this is not a receipt URL: the path must be /V/ and the receipt");
        return MH_ERR_PARSE;
    }
    host->ptr = url + h0;
    host->len = i - h0;
    i += sizeof url_path - 1;
    if (url_len - i > mh_base32_encoded_len(MH_RECEIPT_MAX)) {
        mh_err_set(MH_ERR_TOO_LARGE, "the receipt in the URL is longer than %d bytes",
                   MH_RECEIPT_MAX);
        return MH_ERR_TOO_LARGE;
    }
    ret = mh_base32_decode(url + i, url_len - i, out, cap, len);
    if (ret) {
        host->ptr = NULL;
        host->len = 0;
    }
    return ret;
}
