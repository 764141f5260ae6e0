/* doc_internal.h - shared between the files of host/doc. */
#ifndef MH_DOC_INTERNAL_H
#define MH_DOC_INTERNAL_H

#include "mh_doc.h"

/* Strict UTF-8 to code points; MH_ERR_PARSE on bad UTF-8, MH_ERR_TOO_LARGE
 * past cap. */
int mh_doc_utf8_decode(const char *s, uint32_t *out, size_t cap, size_t *n);

/* The characters documents may contain (the embedded font covers them). */
bool mh_doc_in_repertoire(uint32_t c);

/* Finishes a PDF libharu made (pdfa.c): a correct ToUnicode for its UTF-8
 * font and, when pdfa, the PDF/A-2b structure (XMP with the PDF/A
 * identification and title, an sRGB OutputIntent). Deterministic; *pdf is
 * replaced (malloc'd). */
int mh_doc_pdf_finish(uint8_t **pdf, size_t *len, bool pdfa, const char *title) MH_WARN_UNUSED;

#endif
