/* qr.c - QR symbols: libqrencode for the code, libpng, SVG and PDF operators
 * for the drawing. */
#include "mh_qr.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <png.h>
#include <qrencode.h>

#include "qr_int.h"

bool mh_qr_level_from_name(const char *name, enum mh_qr_level *level)
{
    static const char names[] = "LMQH";
    if (!name || !name[0] || name[1])
        return false;
    for (int i = 0; i < 4; i++) {
        if (name[0] == names[i] || name[0] == names[i] + ('a' - 'A')) {
            *level = (enum mh_qr_level)i;
            return true;
        }
    }
    return false;
}

char mh_qr_level_name(enum mh_qr_level level)
{
    return (level >= MH_QR_LEVEL_L && level <= MH_QR_LEVEL_H) ? "LMQH"[level] : '?';
}

int mh_qr_encode(const char *text, enum mh_qr_level level, int max_version, mh_qr *qr)
{
    int ret = MH_ERR_INTERNAL;
    QRcode *code = NULL;
    QRecLevel ql;
    size_t n;

    if (!qr)
        return MH_ERR_INVALID_ARG;
    memset(qr, 0, sizeof *qr);
    if (!text || max_version < 0 || max_version > 40)
        return MH_ERR_INVALID_ARG;
    switch (level) {
    case MH_QR_LEVEL_L:
        ql = QR_ECLEVEL_L;
        break;
    case MH_QR_LEVEL_M:
        ql = QR_ECLEVEL_M;
        break;
    case MH_QR_LEVEL_Q:
        ql = QR_ECLEVEL_Q;
        break;
    case MH_QR_LEVEL_H:
        ql = QR_ECLEVEL_H;
        break;
    default:
        return MH_ERR_INVALID_ARG;
    }
    n = strnlen(text, MH_QR_TEXT_MAX + 1);
    if (n == 0) {
        mh_err_set(MH_ERR_INVALID_ARG, "nothing to put in the QR code: the text is empty");
        return MH_ERR_INVALID_ARG;
    }
    if (n > MH_QR_TEXT_MAX) {
        mh_err_set(MH_ERR_TOO_LARGE, "the text is too long for a QR code (more than %d characters)",
                   MH_QR_TEXT_MAX);
        return MH_ERR_TOO_LARGE;
    }
    /* QR_MODE_8 as the hint with case sensitivity: libqrencode splits the
     * text into alphanumeric, numeric and byte segments as they fit best.
     * The mask is chosen by qr_mask.c (the same one, faster) when
     * libqrencode has the entry points it needs. */
    int version = 0, width = 0;
    uint8_t *mods = NULL;
    errno = 0;
    int fast = mh_qr_encode_fast(text, ql, &version, &width, &mods);
    if (fast == 1) {
        errno = 0;
        code = QRcode_encodeString(text, 0, ql, QR_MODE_8, 1);
        if (code) {
            version = code->version;
            width = code->width;
        }
    }
    if (fast == -1 || (fast == 1 && !code)) {
        if (errno == ERANGE) {
            mh_err_set(MH_ERR_TOO_LARGE,
                       "the text (%zu characters) is too long for any QR code at error "
                       "level %c; shorten it or use a lower level",
                       n, mh_qr_level_name(level));
            ret = MH_ERR_TOO_LARGE;
        } else if (errno == ENOMEM) {
            ret = MH_ERR_NOMEM;
        } else {
            mh_err_set(MH_ERR_INTERNAL, "libqrencode could not encode the text (%s)",
                       strerror(errno));
            ret = MH_ERR_INTERNAL;
        }
        goto out;
    }
    if (max_version && version > max_version) {
        mh_err_set(MH_ERR_TOO_LARGE,
                   "the text (%zu characters) needs a QR code of version %d at level %c, "
                   "larger than the limit of version %d; shorten the printed fields or "
                   "the host name",
                   n, version, mh_qr_level_name(level), max_version);
        ret = MH_ERR_TOO_LARGE;
        goto out;
    }
    if (width <= 0 || width > 177) {
        ret = MH_ERR_INTERNAL;
        goto out;
    }
    if (mods) {
        qr->modules = mods;
        mods = NULL;
    } else {
        qr->modules = malloc((size_t)width * (size_t)width);
        if (!qr->modules) {
            ret = MH_ERR_NOMEM;
            goto out;
        }
        for (size_t i = 0; i < (size_t)width * (size_t)width; i++)
            qr->modules[i] = code->data[i] & 1u;
    }
    qr->version = version;
    qr->width = width;
    qr->level = level;
    ret = 0;
out:
    free(mods);
    if (code)
        QRcode_free(code);
    return ret;
}

/* mh_qr_alnum_fits: the version of len 'A's per level, 0 when unknown,
 * 255 when it fits no version */
static pthread_mutex_t alnum_lock = PTHREAD_MUTEX_INITIALIZER;
static uint8_t alnum_version[4][MH_QR_TEXT_MAX + 1];

int mh_qr_alnum_fits(size_t len, enum mh_qr_level level, int max_version, int *version)
{
    if (level < MH_QR_LEVEL_L || level > MH_QR_LEVEL_H || len == 0 || max_version < 0 ||
        max_version > 40)
        return MH_ERR_INVALID_ARG;
    if (len > MH_QR_TEXT_MAX) {
        mh_err_set(MH_ERR_TOO_LARGE, "the text is too long for a QR code (more than %d characters)",
                   MH_QR_TEXT_MAX);
        return MH_ERR_TOO_LARGE;
    }
    pthread_mutex_lock(&alnum_lock);
    unsigned v = alnum_version[level][len];
    pthread_mutex_unlock(&alnum_lock);
    if (v == 0) {
        char *text = malloc(len + 1);
        mh_qr qr;
        if (!text)
            return MH_ERR_NOMEM;
        memset(text, 'A', len);
        text[len] = '\0';
        int rc = mh_qr_encode(text, level, 0, &qr);
        free(text);
        if (rc == MH_ERR_TOO_LARGE)
            v = 255;
        else if (rc)
            return rc;
        else
            v = (unsigned)qr.version;
        mh_qr_free(&qr);
        pthread_mutex_lock(&alnum_lock);
        alnum_version[level][len] = (uint8_t)v;
        pthread_mutex_unlock(&alnum_lock);
    }
    if (version)
        *version = v == 255 ? 0 : (int)v;
    if (v == 255) {
        mh_err_set(MH_ERR_TOO_LARGE,
                   "the text (%zu characters) is too long for any QR code at error "
                   "level %c; shorten it or use a lower level",
                   len, mh_qr_level_name(level));
        return MH_ERR_TOO_LARGE;
    }
    if (max_version && (int)v > max_version) {
        mh_err_set(MH_ERR_TOO_LARGE,
                   "the text (%zu characters) needs a QR code of version %u at level %c, "
                   "larger than the limit of version %d; shorten the printed fields or "
                   "the host name",
                   len, v, mh_qr_level_name(level), max_version);
        return MH_ERR_TOO_LARGE;
    }
    return 0;
}

void mh_qr_free(mh_qr *qr)
{
    if (!qr)
        return;
    free(qr->modules);
    memset(qr, 0, sizeof *qr);
}

bool mh_qr_dark(const mh_qr *qr, int x, int y)
{
    if (!qr || !qr->modules || x < 0 || y < 0 || x >= qr->width || y >= qr->width)
        return false;
    return qr->modules[(size_t)y * (size_t)qr->width + (size_t)x] != 0;
}

static bool qr_valid(const mh_qr *qr)
{
    return qr && qr->modules && qr->width > 0 && qr->width <= 177;
}

/* ---- PNG ----------------------------------------------------------------- */

struct png_mem {
    uint8_t *buf;
    size_t len, cap;
    bool nomem;
};

static void png_mem_write(png_structp png, png_bytep data, png_size_t n)
{
    struct png_mem *m = png_get_io_ptr(png);
    if (m->nomem)
        return;
    if (n > SIZE_MAX / 2 - m->len) {
        m->nomem = true;
        return;
    }
    if (m->len + n > m->cap) {
        size_t ncap = m->cap ? m->cap : 4096;
        while (ncap < m->len + n)
            ncap *= 2;
        uint8_t *nb = realloc(m->buf, ncap);
        if (!nb) {
            m->nomem = true;
            return;
        }
        m->buf = nb;
        m->cap = ncap;
    }
    memcpy(m->buf + m->len, data, n);
    m->len += n;
}

static void png_mem_flush(png_structp png)
{
    (void)png;
}

/* The libpng part alone: everything it may longjmp over is owned by the
 * caller, so nothing here needs to survive a longjmp in a register. */
static int png_run(png_structp png, png_infop info, const mh_qr *qr, unsigned scale, uint8_t *row,
                   struct png_mem *m)
{
    const size_t side = ((size_t)qr->width + 2 * MH_QR_QUIET) * scale;

    if (setjmp(png_jmpbuf(png)))
        return MH_ERR_INTERNAL;
    png_set_write_fn(png, m, png_mem_write, png_mem_flush);
    png_set_IHDR(png, info, (png_uint_32)side, (png_uint_32)side, 8, PNG_COLOR_TYPE_GRAY,
                 PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    for (size_t py = 0; py < side; py++) {
        int my = (int)(py / scale) - MH_QR_QUIET;
        for (size_t px = 0; px < side; px++) {
            int mx = (int)(px / scale) - MH_QR_QUIET;
            row[px] = mh_qr_dark(qr, mx, my) ? 0 : 255;
        }
        png_write_row(png, row);
    }
    png_write_end(png, info);
    return 0;
}

int mh_qr_png(const mh_qr *qr, unsigned scale, uint8_t **out, size_t *len)
{
    int ret = MH_ERR_INTERNAL;
    png_structp png = NULL;
    png_infop info = NULL;
    uint8_t *row = NULL;
    struct png_mem m = {NULL, 0, 0, false};

    if (!out || !len)
        return MH_ERR_INVALID_ARG;
    *out = NULL;
    *len = 0;
    if (!qr_valid(qr) || scale < 1 || scale > MH_QR_SCALE_MAX)
        return MH_ERR_INVALID_ARG;
    row = malloc(((size_t)qr->width + 2 * MH_QR_QUIET) * scale);
    png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    if (png)
        info = png_create_info_struct(png);
    if (!row || !png || !info) {
        ret = MH_ERR_NOMEM;
        goto out;
    }
    ret = png_run(png, info, qr, scale, row, &m);
    if (ret == 0 && m.nomem)
        ret = MH_ERR_NOMEM;
    if (ret)
        goto out;
    *out = m.buf; /* transferred */
    *len = m.len;
    m.buf = NULL;
out:
    if (png)
        png_destroy_write_struct(&png, info ? &info : NULL);
    free(row);
    free(m.buf);
    return ret;
}

/* ---- a small growing text buffer (SVG) ------------------------------------ */

struct text {
    char *buf;
    size_t len, cap;
    int err;
};

static void text_add(struct text *t, const char *fmt, ...) MH_PRINTF(2, 3);

static void text_add(struct text *t, const char *fmt, ...)
{
    va_list ap;
    char tmp[256];
    int n;

    if (t->err)
        return;
    va_start(ap, fmt);
    n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof tmp) {
        t->err = MH_ERR_INTERNAL;
        return;
    }
    if (t->len + (size_t)n + 1 > t->cap) {
        size_t ncap = t->cap ? t->cap * 2 : 4096;
        while (ncap < t->len + (size_t)n + 1)
            ncap *= 2;
        char *nb = realloc(t->buf, ncap);
        if (!nb) {
            t->err = MH_ERR_NOMEM;
            return;
        }
        t->buf = nb;
        t->cap = ncap;
    }
    memcpy(t->buf + t->len, tmp, (size_t)n + 1);
    t->len += (size_t)n;
}

int mh_qr_svg(const mh_qr *qr, unsigned scale, char **out, size_t *len)
{
    struct text t = {NULL, 0, 0, 0};
    int side;

    if (!out || !len)
        return MH_ERR_INVALID_ARG;
    *out = NULL;
    *len = 0;
    if (!qr_valid(qr) || scale < 1 || scale > MH_QR_SCALE_MAX)
        return MH_ERR_INVALID_ARG;
    side = qr->width + 2 * MH_QR_QUIET;
    text_add(&t,
             "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
             "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" "
             "width=\"%u\" height=\"%u\" viewBox=\"0 0 %d %d\" "
             "shape-rendering=\"crispEdges\">\n",
             (unsigned)side * scale, (unsigned)side * scale, side, side);
    text_add(&t, "<rect x=\"0\" y=\"0\" width=\"%d\" height=\"%d\" fill=\"#ffffff\"/>\n", side,
             side);
    text_add(&t, "<path fill=\"#000000\" d=\"");
    for (int y = 0; y < qr->width; y++) {
        for (int x = 0; x < qr->width;) {
            if (!mh_qr_dark(qr, x, y)) {
                x++;
                continue;
            }
            int run = 1;
            while (x + run < qr->width && mh_qr_dark(qr, x + run, y))
                run++;
            text_add(&t, "M%d %dh%dv1h-%dz", x + MH_QR_QUIET, y + MH_QR_QUIET, run, run);
            x += run;
        }
    }
    text_add(&t, "\"/>\n</svg>\n");
    if (t.err) {
        free(t.buf);
        return t.err;
    }
    *out = t.buf; /* transferred */
    *len = t.len;
    return 0;
}

/* ---- PDF operators -------------------------------------------------------- */

/* One rectangle is at most 4 numbers of "-32767.999 " plus "re\n". */
#define PDF_RECT_MAX 52

size_t mh_qr_pdf_ops_max(const mh_qr *qr)
{
    if (!qr_valid(qr))
        return 0;
    /* at most one run per two modules in a row, plus the frame */
    return ((size_t)qr->width * (size_t)(qr->width + 1) / 2 + 2) * PDF_RECT_MAX + 64;
}

/* Numbers in PDF syntax: fixed point with 3 decimals, never an exponent and
 * independent of the C locale's decimal separator. Written by hand (a QR
 * of version 11 is about a thousand rectangles of four numbers each, and
 * snprintf was a tenth of issuing a diploma); the same text as
 * "%s%lld.%03lld" of the value rounded to thousandths. Returns its length;
 * out needs 24 bytes. */
static size_t pdf_num(char *out, double v)
{
    long long milli = (long long)(v * 1000.0 + (v < 0 ? -0.5 : 0.5));
    char tmp[24];
    size_t n = 0, o = 0;
    unsigned long long u = milli < 0 ? 0ull - (unsigned long long)milli : (unsigned long long)milli;
    if (milli < 0)
        out[o++] = '-';
    for (int i = 0; i < 3; i++) {
        tmp[n++] = (char)('0' + (int)(u % 10));
        u /= 10;
    }
    do {
        tmp[n++] = (char)('0' + (int)(u % 10));
        u /= 10;
    } while (u);
    while (n > 3)
        out[o++] = tmp[--n];
    out[o++] = '.';
    while (n > 0)
        out[o++] = tmp[--n];
    return o;
}

/* Appends "A B C D re\n" (the numbers as pdf_num writes them). */
static int pdf_rect(char *buf, size_t cap, size_t *o, double a, double b, double c, double d)
{
    char t[4 * 24 + 8];
    size_t n = pdf_num(t, a);
    t[n++] = ' ';
    n += pdf_num(t + n, b);
    t[n++] = ' ';
    n += pdf_num(t + n, c);
    t[n++] = ' ';
    n += pdf_num(t + n, d);
    memcpy(t + n, " re\n", 4);
    n += 4;
    if (*o >= cap || n >= cap - *o)
        return MH_ERR_BUFFER_TOO_SMALL;
    memcpy(buf + *o, t, n);
    *o += n;
    buf[*o] = '\0';
    return 0;
}

static int pdf_lit(char *buf, size_t cap, size_t *o, const char *s)
{
    size_t n = strlen(s);
    if (*o >= cap || n >= cap - *o)
        return MH_ERR_BUFFER_TOO_SMALL;
    memcpy(buf + *o, s, n + 1);
    *o += n;
    return 0;
}

int mh_qr_pdf_ops(const mh_qr *qr, double x, double y, double size, char *buf, size_t cap,
                  size_t *len)
{
    int ret = MH_ERR_INTERNAL;
    size_t o = 0;
    double m;

    if (!buf || !len || !qr_valid(qr))
        return MH_ERR_INVALID_ARG;
    *len = 0;
    /* PDF implementations limit reals to about +-32767 */
    if (!(size > 0 && size <= 14400 && x >= -14400 && x <= 14400 && y >= -14400 && y <= 14400))
        return MH_ERR_INVALID_ARG;
    m = size / (double)(qr->width + 2 * MH_QR_QUIET);
    ret = pdf_lit(buf, cap, &o, "q\n1 g\n");
    if (ret == 0)
        ret = pdf_rect(buf, cap, &o, x, y, size, size);
    if (ret == 0)
        ret = pdf_lit(buf, cap, &o, "f\n0 g\n");
    for (int row = 0; ret == 0 && row < qr->width; row++) {
        /* row 0 is the top of the symbol; PDF's y axis points up */
        double ry = y + size - (double)(MH_QR_QUIET + row + 1) * m;
        const uint8_t *mod = qr->modules + (size_t)row * (size_t)qr->width;
        for (int col = 0; ret == 0 && col < qr->width;) {
            if (!mod[col]) {
                col++;
                continue;
            }
            int run = 1;
            while (col + run < qr->width && mod[col + run])
                run++;
            ret =
                pdf_rect(buf, cap, &o, x + (double)(MH_QR_QUIET + col) * m, ry, (double)run * m, m);
            col += run;
        }
    }
    if (ret == 0)
        ret = pdf_lit(buf, cap, &o, "f\nQ\n");
    if (ret) {
        buf[0] = '\0';
        return ret;
    }
    *len = o;
    return 0;
}
