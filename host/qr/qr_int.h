/* qr_int.h - internal to host/qr. */
#ifndef MH_QR_INT_H
#define MH_QR_INT_H

#include <stdint.h>

#include <qrencode.h>

/* What QRcode_encodeString(text, 0, level, QR_MODE_8, 1) makes, module for
 * module, with the mask chosen faster (qr_mask.c): 0 with *modules
 * (width * width bytes, 1 = dark, malloc'd); -1 with errno set as
 * libqrencode sets it (ERANGE: too long); 1 when libqrencode lacks the
 * entry points this needs (the caller then calls QRcode_encodeString). */
int mh_qr_encode_fast(const char *text, QRecLevel level, int *version, int *width,
                      uint8_t **modules);

#endif
