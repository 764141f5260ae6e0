/* qr_mask.c - the QR mask choice, faster (qr_int.h).
 *
 * libqrencode chooses among the eight masks by building each masked
 * symbol and scoring it module by module (ISO/IEC 18004 penalty rules as
 * libqrencode implements them); that was a sixth of issuing a diploma.
 * Here libqrencode encodes with mask 0 (QRcode_encodeMask, exported by
 * libqrencode 4 for its tests and listed in Debian's symbols file since
 * 3.2.0, looked up with dlsym so a library without it only costs the
 * speed), the data modules are unmasked, and the same scores are computed
 * on rows and columns held as bit sets: the same mask wins, so the symbol
 * is the one QRcode_encodeString makes, module for module (the receipt
 * tests compare them over thousands of texts).
 *
 * Scores (libqrencode's, per symbol): for every row and column, a run of
 * k >= 5 same-colour modules costs 3 + (k - 5); a dark:light:dark:light:dark
 * run pattern 1:1:3:1:1 costs 40 when the run before it or after it is
 * light and at least four times the unit (or it touches the symbol's edge
 * where libqrencode's run list says so); each 2x2 block of one colour
 * costs 3; the dark share, rounded to a percent, costs 10 per 5 points
 * away from 50. The lowest total wins, the first of equals. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <qrencode.h>

#include "qr_int.h"

#define WMAX 177
#define WORDS 3 /* 177 bits */

typedef QRcode *(*encode_mask_fn)(QRinput *input, int mask);
typedef int (*split_fn)(const char *string, QRinput *input, QRencodeMode hint, int casesensitive);

static pthread_once_t once = PTHREAD_ONCE_INIT;
static encode_mask_fn encode_mask;
static split_fn split;

/* The mask patterns as bit sets: row y of mask m (bit x set where m flips
 * module (x, y)) is pat_row[m][y % 12], and column x is pat_col[m][x % 12]
 * (every mask's formula repeats every 12 modules in x and in y). */
static uint64_t pat_row[8][12][3], pat_col[8][12][3];

static int mask_bit(int m, int x, int y);

static void resolve(void)
{
    for (int m = 0; m < 8; m++)
        for (int k = 0; k < 12; k++)
            for (int i = 0; i < 3 * 64; i++) {
                if (mask_bit(m, i, k))
                    pat_row[m][k][i >> 6] |= (uint64_t)1 << (i & 63);
                if (mask_bit(m, k, i))
                    pat_col[m][k][i >> 6] |= (uint64_t)1 << (i & 63);
            }
    *(void **)&encode_mask = dlsym(RTLD_DEFAULT, "QRcode_encodeMask");
    *(void **)&split = dlsym(RTLD_DEFAULT, "Split_splitStringToQRinput");
    if (!encode_mask || !split) {
        encode_mask = NULL;
        split = NULL;
    }
}

/* Is module (x, y) flipped by mask m (ISO/IEC 18004 table 10)? */
static int mask_bit(int m, int x, int y)
{
    switch (m) {
    case 0:
        return ((x + y) & 1) == 0;
    case 1:
        return (y & 1) == 0;
    case 2:
        return (x % 3) == 0;
    case 3:
        return ((x + y) % 3) == 0;
    case 4:
        return (((y / 2) + (x / 3)) & 1) == 0;
    case 5:
        return (((x * y) & 1) + (x * y) % 3) == 0;
    case 6:
        return ((((x * y) & 1) + (x * y) % 3) & 1) == 0;
    default:
        return ((((x * y) % 3) + ((x + y) & 1)) & 1) == 0;
    }
}

typedef struct {
    uint64_t w[WORDS];
} bits;

static inline void bset(bits *b, int i)
{
    b->w[i >> 6] |= (uint64_t)1 << (i & 63);
}

static inline int bget(const bits *b, int i)
{
    return (int)((b->w[i >> 6] >> (i & 63)) & 1u);
}

/* The 15 format bits of (level, mask), BCH(15,5) with the fixed pattern. */
static unsigned format_bits(QRecLevel level, int mask)
{
    static const unsigned ecl[4] = {1, 0, 3, 2}; /* L, M, Q, H */
    unsigned data = (ecl[level] << 3) | (unsigned)mask, v = data << 10;
    for (int i = 14; i >= 10; i--)
        if (v & (1u << i))
            v ^= 0x537u << (i - 10);
    return ((data << 10) | v) ^ 0x5412u;
}

/* Where libqrencode writes the format bits: bit i of the format (from the
 * least significant) goes to two modules. */
static void format_pos(int w, int i, int xy[2][2])
{
    if (i < 8) {
        xy[0][0] = w - 1 - i;
        xy[0][1] = 8;
        xy[1][0] = 8;
        xy[1][1] = i < 6 ? i : i + 1;
    } else {
        int j = i - 8;
        xy[0][0] = 8;
        xy[0][1] = w - 7 + j;
        xy[1][0] = j == 0 ? 7 : 6 - j;
        xy[1][1] = 8;
    }
}

/* The penalty of the runs of one line (bits of length w), as libqrencode's
 * run list scores it: the list starts with a -1 when the line starts
 * dark, so that dark runs sit at odd indices. */
static int line_score(const bits *line, int w)
{
    int run[WMAX + 2], n = 0, demerit = 0;
    int first = bget(line, 0);
    if (first)
        run[n++] = -1;
    int start = 0;
    /* transitions: bit x set when module x differs from module x + 1 */
    for (int wi = 0; wi < WORDS && wi * 64 < w - 1; wi++) {
        uint64_t cur = line->w[wi];
        uint64_t next = (cur >> 1) | (wi + 1 < WORDS ? line->w[wi + 1] << 63 : 0);
        uint64_t t = cur ^ next;
        int lim = w - 1 - wi * 64; /* transitions x = 0 .. w-2 */
        if (lim < 64)
            t &= ((uint64_t)1 << lim) - 1;
        while (t) {
            int x = wi * 64 + __builtin_ctzll(t);
            run[n++] = x + 1 - start;
            start = x + 1;
            t &= t - 1;
        }
    }
    run[n++] = w - start;
    for (int i = 0; i < n; i++) {
        if (run[i] >= 5)
            demerit += 3 + (run[i] - 5);
        if ((i & 1) && i >= 3 && i < n - 2 && run[i] % 3 == 0) {
            int f = run[i] / 3;
            if (run[i - 2] == f && run[i - 1] == f && run[i + 1] == f && run[i + 2] == f) {
                if (i == 3 || run[i - 3] >= 4 * f)
                    demerit += 40;
                else if (i + 4 >= n || run[i + 3] >= 4 * f)
                    demerit += 40;
            }
        }
    }
    return demerit;
}

/* 2x2 blocks of one colour between rows a and b. */
static int block_score(const bits *a, const bits *b, int w)
{
    int count = 0;
    for (int wi = 0; wi < WORDS && wi * 64 < w - 1; wi++) {
        uint64_t s = ~(a->w[wi] ^ b->w[wi]); /* vertical pairs equal */
        uint64_t an = (a->w[wi] >> 1) | (wi + 1 < WORDS ? a->w[wi + 1] << 63 : 0);
        uint64_t bn = (b->w[wi] >> 1) | (wi + 1 < WORDS ? b->w[wi + 1] << 63 : 0);
        uint64_t sn = ~(an ^ bn);
        uint64_t h = ~(b->w[wi] ^ bn); /* horizontal pair equal */
        uint64_t m = s & sn & h;
        int lim = w - 1 - wi * 64;
        if (lim < 64)
            m &= ((uint64_t)1 << lim) - 1;
        count += __builtin_popcountll(m);
    }
    return 3 * count;
}

int mh_qr_encode_fast(const char *text, QRecLevel level, int *version, int *width,
                      uint8_t **modules)
{
    pthread_once(&once, resolve);
    if (!encode_mask)
        return 1; /* not available: the caller encodes the usual way */
    QRinput *input = QRinput_new2(0, level);
    if (!input)
        return -1;
    if (split(text, input, QR_MODE_8, 1) < 0) {
        int e = errno;
        QRinput_free(input);
        errno = e;
        return -1;
    }
    QRcode *code = encode_mask(input, 0);
    int e = errno;
    QRinput_free(input);
    if (!code) {
        errno = e;
        return -1;
    }
    int w = code->width, ret = -1;
    if (w <= 0 || w > WMAX) {
        QRcode_free(code);
        errno = EINVAL;
        return -1;
    }
    /* the frame without a mask: data modules unmasked, format modules
     * light (as libqrencode's frame has them before masking) */
    /* seven sets of w lines (30 KB at version 40): on the heap, not on a
     * server thread's stack */
    bits *all = calloc(7 * (size_t)w, sizeof(bits));
    if (!all) {
        QRcode_free(code);
        errno = ENOMEM;
        return -1;
    }
    bits *frow = all, *drow = all + w, *fcol = all + 2 * w, *dcol = all + 3 * w;
    bits *rows = all + 4 * w, *cols = all + 5 * w, *best_rows = all + 6 * w;
    const unsigned char *d = code->data;
    for (int y = 0; y < w; y++) {
        for (int x = 0; x < w; x++) {
            unsigned char v = d[y * w + x];
            int dark = v & 1, data = !(v & 0x80);
            if (data) {
                dark ^= mask_bit(0, x, y);
                bset(&drow[y], x);
                bset(&dcol[x], y);
            }
            if (dark) {
                bset(&frow[y], x);
                bset(&fcol[x], y);
            }
        }
    }
    int fxy[15][2][2];
    for (int i = 0; i < 15; i++) {
        format_pos(w, i, fxy[i]);
        for (int k = 0; k < 2; k++) {
            int x = fxy[i][k][0], y = fxy[i][k][1];
            frow[y].w[x >> 6] &= ~((uint64_t)1 << (x & 63));
            fcol[x].w[y >> 6] &= ~((uint64_t)1 << (y & 63));
        }
    }
    int best = -1, best_score = 0;
    for (int m = 0; m < 8; m++) {
        for (int y = 0; y < w; y++) {
            const uint64_t *p = pat_row[m][y % 12], *q = pat_col[m][y % 12];
            for (int k = 0; k < WORDS; k++) {
                rows[y].w[k] = frow[y].w[k] ^ (p[k] & drow[y].w[k]);
                cols[y].w[k] = fcol[y].w[k] ^ (q[k] & dcol[y].w[k]);
            }
        }
        unsigned fb = format_bits(level, m);
        for (int i = 0; i < 15; i++) {
            if (!((fb >> i) & 1u))
                continue;
            for (int k = 0; k < 2; k++) {
                int x = fxy[i][k][0], y = fxy[i][k][1];
                bset(&rows[y], x);
                bset(&cols[x], y);
            }
        }
        int blacks = 0, score = 0;
        for (int y = 0; y < w; y++)
            for (int k = 0; k < WORDS; k++)
                blacks += __builtin_popcountll(rows[y].w[k]);
        int w2 = w * w;
        int ratio = (200 * blacks + w2) / w2 / 2;
        score = (abs(ratio - 50) / 5) * 10;
        for (int y = 1; y < w; y++)
            score += block_score(&rows[y - 1], &rows[y], w);
        for (int y = 0; y < w; y++)
            score += line_score(&rows[y], w);
        for (int x = 0; x < w; x++)
            score += line_score(&cols[x], w);
        if (best < 0 || score < best_score) {
            best = m;
            best_score = score;
            memcpy(best_rows, rows, sizeof(bits) * (size_t)w);
        }
    }
    uint8_t *out = malloc((size_t)w * (size_t)w);
    if (!out) {
        errno = ENOMEM;
        goto out;
    }
    for (int y = 0; y < w; y++)
        for (int x = 0; x < w; x++)
            out[y * w + x] = (uint8_t)bget(&best_rows[y], x);
    *version = code->version;
    *width = w;
    *modules = out;
    ret = 0;
out:
    free(all);
    QRcode_free(code);
    return ret;
}
