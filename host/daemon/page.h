/* page.h - what GET /V/<receipt> shows a browser. THE PLACE FOR ISSUE 12:
 * the verification page (languages, the local file check, WebCrypto)
 * replaces page.c behind this one function; the JSON answer is
 * mh_app_verdict_json and does not change. */
#ifndef MHD_PAGE_H
#define MHD_PAGE_H

#include <stddef.h>

#include "mh_app.h"

/* A plain HTML summary of a verdict (malloc'd): the verdict, its sentence,
 * and only what the QR already shows (issuer, kind, number, the printed
 * fields in the receipt, the date, the log index). */
int mhd_page_verdict(const mh_app_verdict *v, char **html, size_t *len) MH_WARN_UNUSED;

#endif
