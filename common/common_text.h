/* common_text.h - part of mh_common.h: UTF-8.
 *
 * The one UTF-8 decoder: strict (shortest form only, no surrogates, at most
 * U+10FFFF), as RFC 3629 asks. Callers that must carry on over bad bytes
 * (comparing names, drawing text) decide what a bad byte stands for; the
 * decoder only says it is bad. No allocation, no I/O (the firmware
 * compiles it). */
#ifndef MH_COMMON_TEXT_H
#define MH_COMMON_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MH_UTF8_BAD UINT32_MAX

/* Decodes the sequence at s[*i] (i < len). Returns its code point and
 * moves *i past it; for bytes that are not a strict UTF-8 sequence returns
 * MH_UTF8_BAD and moves *i one byte on, so a loop always advances. */
uint32_t mh_utf8_next(const uint8_t *s, size_t len, size_t *i);
/* True when s[0..len) is strict UTF-8. */
bool mh_utf8_valid(const uint8_t *s, size_t len);
/* Encodes a scalar value (not a surrogate, at most U+10FFFF) into out;
 * returns its length (1-4), or 0 for a value that is not one. */
size_t mh_utf8_put(uint32_t cp, uint8_t out[4]);

#endif
