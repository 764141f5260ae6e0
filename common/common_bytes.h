/* common_bytes.h - part of mh_common.h: byte spans, byte order, hex.
 *
 * Spans name bytes that live elsewhere (a parsed input, a caller's buffer);
 * they never own them. The byte-order helpers are the one place mohur reads
 * and writes big-endian integers (ledger keys, the CA database, signed-note
 * timestamps, the firmware's state page). Nothing here allocates. */
#ifndef MH_COMMON_BYTES_H
#define MH_COMMON_BYTES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A span of bytes inside something else (never owned). */
typedef struct mh_span {
    const uint8_t *p;
    size_t len;
} mh_span;

static inline uint16_t mh_be16_get(const uint8_t *p)
{
    return (uint16_t)((unsigned)p[0] << 8 | p[1]);
}

static inline uint32_t mh_be32_get(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline uint64_t mh_be64_get(const uint8_t *p)
{
    return (uint64_t)mh_be32_get(p) << 32 | mh_be32_get(p + 4);
}

static inline void mh_be16_put(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static inline void mh_be32_put(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static inline void mh_be64_put(uint8_t *p, uint64_t v)
{
    mh_be32_put(p, (uint32_t)(v >> 32));
    mh_be32_put(p + 4, (uint32_t)v);
}

/* The value of one hex digit (either case), or -1. */
int mh_hexval(int c);
/* Strict hex to bytes: exactly 2 * n hex digits (either case), nothing
 * else. MH_ERR_PARSE or MH_ERR_BUFFER_TOO_SMALL; *olen (may be NULL) gets
 * the byte count. */
int mh_hex_decode(const char *hex, size_t len, uint8_t *out, size_t cap, size_t *olen);
/* Lower-case hex and a NUL; out needs 2 * len + 1 bytes (a shorter cap
 * truncates at a whole byte and still terminates). */
void mh_hex_encode(const uint8_t *in, size_t len, char *out, size_t cap);

#endif
