/*
 * mh_qr.h - QR symbols for receipts: encode a text (libqrencode) and draw it
 * as PNG (libpng), SVG, or PDF content-stream operators.
 *
 * The encoder picks the compact modes by itself: a text of upper-case
 * letters, digits and " $%*+-./:" (a receipt URL) is coded in alphanumeric
 * mode, anything else in byte mode (UTF-8). Every drawing has the 4-module
 * quiet zone the QR standard asks for, painted white, so a symbol placed on
 * a coloured background still scans.
 */
#ifndef MH_QR_H
#define MH_QR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mh_common.h"

#define MH_QR_API __attribute__((visibility("default")))

#define MH_QR_QUIET 4       /* modules of white border on each side */
#define MH_QR_TEXT_MAX 4096 /* longest text we encode (version 40 holds 4296) */
#define MH_QR_SCALE_MAX 64  /* pixels per module in PNG/SVG */

/* Error correction: L 7%, M 15% (the default), Q 25%, H 30% recoverable. */
enum mh_qr_level { MH_QR_LEVEL_L = 0, MH_QR_LEVEL_M, MH_QR_LEVEL_Q, MH_QR_LEVEL_H };

typedef struct mh_qr {
    int version; /* 1-40 */
    int width;   /* modules per side, without the quiet zone */
    enum mh_qr_level level;
    uint8_t *modules; /* width*width bytes, row by row from the top; 1 = dark */
} mh_qr;

/* "L", "M", "Q", "H" (either case); false when unknown. */
MH_QR_API bool mh_qr_level_from_name(const char *name, enum mh_qr_level *level);
MH_QR_API char mh_qr_level_name(enum mh_qr_level level);

/* Encodes a NUL-terminated text in the smallest symbol at `level`, no larger
 * than max_version (0: up to 40). A text that does not fit is
 * MH_ERR_TOO_LARGE with a sentence saying how long it is. Free with
 * mh_qr_free. */
MH_QR_API int mh_qr_encode(const char *text, enum mh_qr_level level, int max_version,
                           mh_qr *qr) MH_WARN_UNUSED;
MH_QR_API void mh_qr_free(mh_qr *qr);
/* Will a text of len QR-alphanumeric characters fit a symbol of at most
 * max_version (0: 40) at level? Exactly what mh_qr_encode says of a text of
 * len 'A's (a text that mixes in digits never needs more): 0, or
 * MH_ERR_TOO_LARGE with the same sentence. *version (may be NULL) gets the
 * version. The answer is remembered per length and level for the process
 * (thread-safe), so checking the fit of every document of a batch encodes
 * once, not once per document. */
MH_QR_API int mh_qr_alnum_fits(size_t len, enum mh_qr_level level, int max_version,
                               int *version) MH_WARN_UNUSED;
/* The module at column x, row y (0-based, row 0 at the top). */
MH_QR_API bool mh_qr_dark(const mh_qr *qr, int x, int y);

/* A PNG file in memory: 8-bit grayscale, `scale` pixels per module (1 to
 * MH_QR_SCALE_MAX), quiet zone included. *png is malloc'd. */
MH_QR_API int mh_qr_png(const mh_qr *qr, unsigned scale, uint8_t **png, size_t *len) MH_WARN_UNUSED;
/* An SVG document: a white square and one black path (a sub-path per run of
 * dark modules in a row), shape-rendering="crispEdges", `scale` user units
 * per module. *svg is malloc'd and NUL-terminated. */
MH_QR_API int mh_qr_svg(const mh_qr *qr, unsigned scale, char **svg, size_t *len) MH_WARN_UNUSED;
/* PDF content-stream operators that draw the symbol in a square of side
 * `size` points whose lower-left corner is (x, y) in the current user space,
 * quiet zone included: "q", a white square, then one black fill of all
 * rectangles (one per run of dark modules in a row), "Q". The graphics state
 * is saved and restored, so the caller's colours are untouched. Writes into
 * buf (cap bytes, NUL-terminated) and sets *len (without the NUL);
 * MH_ERR_BUFFER_TOO_SMALL when it does not fit (mh_qr_pdf_ops_max gives a
 * size that always does). */
MH_QR_API int mh_qr_pdf_ops(const mh_qr *qr, double x, double y, double size, char *buf, size_t cap,
                            size_t *len) MH_WARN_UNUSED;
MH_QR_API size_t mh_qr_pdf_ops_max(const mh_qr *qr);

#endif
