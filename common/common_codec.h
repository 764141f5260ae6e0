/* common_codec.h - part of mh_common.h: strict base64 and base32.
 *
 * Each decoder takes exactly one encoding of a byte string and refuses the
 * rest (a character outside the alphabet, a length an encoder cannot
 * produce, non-zero padding bits), so a value read back is the value
 * written. No allocation, no I/O (the firmware compiles base32.c). */
#ifndef MH_COMMON_CODEC_H
#define MH_COMMON_CODEC_H

#include <stddef.h>
#include <stdint.h>

/* ---- base64 (RFC 4648 section 4: standard alphabet, padded) ---- */

/* Characters of the encoding of len bytes (without a NUL). */
size_t mh_base64_encoded_len(size_t len);
/* Writes the encoding and a NUL; cap must exceed the encoded length.
 * *olen (may be NULL) gets the length without the NUL. */
int mh_base64_encode(const uint8_t *in, size_t len, char *out, size_t cap, size_t *olen);
/* Strict decode: whole 4-character groups, '=' only at the end, zero
 * padding bits, no white space. MH_ERR_PARSE or MH_ERR_TOO_LARGE (more
 * than cap bytes). */
int mh_base64_decode(const char *in, size_t len, uint8_t *out, size_t cap, size_t *olen);

/* ---- base32 (RFC 4648 section 6: upper case, no padding) ---- */

/* Characters of the encoding of len bytes (without a NUL). */
size_t mh_base32_encoded_len(size_t len);
/* Writes the encoding and a NUL into out (cap must exceed the encoded
 * length); *olen (may be NULL) gets the length without the NUL. */
int mh_base32_encode(const uint8_t *in, size_t len, char *out, size_t cap, size_t *olen);
/* Strict decode: only A-Z and 2-7, a length an encoder can produce, zero
 * padding bits. MH_ERR_PARSE (with a sentence) or MH_ERR_BUFFER_TOO_SMALL. */
int mh_base32_decode(const char *in, size_t len, uint8_t *out, size_t cap, size_t *olen);

#endif
