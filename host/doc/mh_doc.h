/*
 * mh_doc.h - document kinds and rendering.
 *
 * A kind is configuration, not code: a JSON file in the kinds directory
 * (kinds/ in the source tree, $MOHUR_KINDS_DIR or /usr/share/mohur/kinds
 * installed) names the kind in Azerbaijani, Russian and English, lists its
 * fields (which are printed, which go into the receipt), who signs it, and
 * for rendered kinds the page layout. See docs/documents.md.
 *
 * Rendering: mh_template_build() draws the fixed part of a kind's page
 * once with libharu, with an embedded subset of a TrueType font that covers
 * Azerbaijani Latin, Russian and Azerbaijani Cyrillic; mh_template_render()
 * then makes each document from it by appending the fields as one
 * incremental update that reuses the embedded font, thousands of times
 * faster than laying out a new PDF each time. A rendered document is a
 * complete PDF on its own; signing adds its own update after it.
 */
#ifndef MH_DOC_H
#define MH_DOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mh_common.h"

enum mh_lang { MH_LANG_AZ = 0, MH_LANG_RU = 1, MH_LANG_EN = 2, MH_LANG_N = 3 };

#define MH_KIND_MAX_FIELDS 16
#define MH_KIND_MAX_PARTIES 4
#define MH_KIND_MAX_TEXTS 8

enum mh_align { MH_ALIGN_LEFT, MH_ALIGN_CENTER, MH_ALIGN_RIGHT };

typedef struct mh_kind_field {
    char id[32];
    char label[MH_LANG_N][96];
    bool required, printed, receipt, is_date;
    unsigned max; /* characters */
} mh_kind_field;

typedef struct mh_kind_slot {
    int field; /* index into fields */
    double x, y, size, width;
    enum mh_align align;
    bool label;     /* print the field's three labels above it */
    unsigned lines; /* wrap into at most this many lines (default 1) */
    bool middle;    /* valign "middle": wrapped lines centred on y (else from y down) */
} mh_kind_slot;

typedef struct mh_kind_text {
    char text[256]; /* "{issuer}" is replaced by the issuer's name */
    double x, y, size;
    enum mh_align align;
} mh_kind_text;

typedef struct mh_kind {
    char id[40];
    unsigned code; /* short number used in receipts */
    char names[MH_LANG_N][96];
    bool rendered; /* false: the document is a PDF brought by the signer */
    size_t nfields;
    mh_kind_field fields[MH_KIND_MAX_FIELDS];
    size_t nparties;
    struct {
        char role[32], profile[32];
        bool optional;
    } parties[MH_KIND_MAX_PARTIES];
    /* layout */
    double page_w, page_h;
    double border_inset, border_width, inner_inset, inner_width;
    size_t ntexts;
    mh_kind_text texts[MH_KIND_MAX_TEXTS];
    size_t nslots;
    mh_kind_slot slots[MH_KIND_MAX_FIELDS];
    unsigned stamp_page;
    bool stamp_new_page; /* layout.stamp.page "end": on a verification page added at the end */
    double stamp_x, stamp_y, stamp_size;
    /* where the later parties sign (parties[1..]): a rectangle each on the
     * stamp's page, prepared as an empty signature field by the first
     * signature (layout.signatures; default: stacked above the stamp) */
    double party_rect[MH_KIND_MAX_PARTIES][4];     /* x, y, w, h; [0] unused */
    bool party_rect_explicit[MH_KIND_MAX_PARTIES]; /* given by the layout (else derived
                                                      from the stamp's place) */
    /* the receipt's QR code: the largest version allowed and the error
     * correction level (qr: {"max_version": N, "level": "L|M|Q|H"}) */
    unsigned qr_max_version; /* 1-40; 0: no limit */
    char qr_level;           /* 'L', 'M', 'Q' or 'H' */
} mh_kind;

/* The kinds directory: $MOHUR_KINDS_DIR, else the first of
 * /usr/share/mohur/kinds and the source tree's kinds/ that exists. */
const char *mh_kinds_dir(void);
/* Loads DIR/ID.json, checking every value; errors name the file and key. */
int mh_kind_load(const char *dir, const char *id, mh_kind *k) MH_WARN_UNUSED;
/* Reads every kind file of dir into memory once; mh_kind_load(dir, ...)
 * then reads them from there (mohurd's front, which cannot read the
 * directory once it dropped root: the kinds may sit in a tree only root
 * may enter). Not thread-safe: call before threads start. */
int mh_kinds_preload(const char *dir) MH_WARN_UNUSED;
/* The ids of all kinds in dir (NUL-separated into buf), count in *n. */
int mh_kind_list(const char *dir, char *buf, size_t cap, size_t *n) MH_WARN_UNUSED;
int mh_kind_field_index(const mh_kind *k, const char *id);

typedef struct mh_field_value {
    const char *id;
    const char *value; /* UTF-8 */
} mh_field_value;

/* Checks values against the kind: every required field present, no unknown
 * field, lengths within max, dates as YYYY-MM-DD, valid UTF-8 without
 * control characters. The error sentence names the field. */
int mh_kind_check(const mh_kind *k, const mh_field_value *v, size_t n) MH_WARN_UNUSED;

/* ---- rendering ---------------------------------------------------------- */

typedef struct mh_template mh_template;

/* Draws the fixed part of kind k's page (border, titles, labels, issuer)
 * with the TrueType font at font_path (NULL: DejaVu Serif). */
int mh_template_build(const mh_kind *k, const char *issuer, const char *font_path,
                      mh_template **out) MH_WARN_UNUSED;
/* Makes one document: the template plus the field values. *pdf is
 * malloc'd. Thread-safe: a template may be shared by many threads. A
 * character the font cannot print is refused with a sentence naming it. */
int mh_template_render(const mh_template *t, const mh_field_value *v, size_t n, uint8_t **pdf,
                       size_t *len) MH_WARN_UNUSED;
/* The font object every document made from t carries (its object number
 * and widths by code point), so that later updates (the stamp) can draw
 * with it without embedding another font. MH_ERR_NOT_FOUND if unknown. */
int mh_template_font(const mh_template *t, long *obj, const uint16_t **width,
                     size_t *nwidth) MH_WARN_UNUSED;
/* The template's bytes (e.g. to store it). */
const uint8_t *mh_template_bytes(const mh_template *t, size_t *len);
void mh_template_free(mh_template *t);

/* ---- a font for the stamp ------------------------------------------------ */

/* The objects of an embedded TrueType subset (Type0 font, CIDFontType2,
 * descriptor, FontFile2, ToUnicode, CIDToGIDMap) that covers the document
 * repertoire, as PDF text ready to be written into another file: object 0
 * is the Type0 font; in each dictionary "@n@" stands for a reference to
 * object n of the kit. Character codes are Unicode code points in two
 * bytes (libharu's UTF-8 CID encoding). The signing code draws the stamp's
 * caption with it, so Azerbaijani and Cyrillic names print. */
#define MH_FONT_KIT_MAX_OBJ 16
#define MH_FONT_KIT_NWIDTH 0x2200

typedef struct mh_font_kit {
    size_t nobj;
    char *dict[MH_FONT_KIT_MAX_OBJ];
    uint8_t *stream[MH_FONT_KIT_MAX_OBJ]; /* as stored (still filtered), or NULL */
    size_t stream_len[MH_FONT_KIT_MAX_OBJ];
    uint16_t width[MH_FONT_KIT_NWIDTH]; /* 1/1000 em by code point; 0: not in the font */
} mh_font_kit;

/* font_path NULL: DejaVu Sans. */
int mh_font_kit_build(const char *font_path, mh_font_kit **out) MH_WARN_UNUSED;
void mh_font_kit_free(mh_font_kit *k);

/* ---- rosters ------------------------------------------------------------ */

/* A roster: the rows of documents to issue, from CSV (RFC 4180, UTF-8, a
 * header row naming the fields) or JSON (an array of objects of strings).
 * Rows are read one at a time; a bad row is reported with its line number
 * and does not stop the others. */
typedef struct mh_roster mh_roster;

#define MH_ROSTER_MAX_COLS 32

typedef struct mh_roster_row {
    unsigned long line; /* first line of the row in the file (CSV), or index (JSON) */
    size_t n;
    mh_field_value v[MH_ROSTER_MAX_COLS];
} mh_roster_row;

/* Opens FILE as CSV or JSON (by its extension: .csv, .json). Size cap
 * 512 MiB. */
int mh_roster_open(const char *path, mh_roster **out) MH_WARN_UNUSED;
/* Reads the next row into *row (valid until the next call). Returns 0, 1 at
 * the end, or an error for this row only (the error sentence names the
 * line); the next call goes on with the next row. */
int mh_roster_next(mh_roster *r, mh_roster_row *row) MH_WARN_UNUSED;
/* Rows in the file (counted once on open), for progress. */
/* Binds the header to kind k (CSV; JSON keys row by row): a header or key
 * names a field by its id, ignoring ASCII case and spaces around it
 * ("Name", " NAME " are "name"). A CSV column that is no field of the kind,
 * a field named twice, or a required field without a column is refused
 * whole (MH_ERR_PARSE), before any row. */
int mh_roster_bind(mh_roster *r, const mh_kind *k) MH_WARN_UNUSED;
size_t mh_roster_count(const mh_roster *r);
void mh_roster_close(mh_roster *r);

#endif
