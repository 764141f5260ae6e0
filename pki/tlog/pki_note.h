/* pki_note.h - part of mh_pki.h: C2SP signed notes, tlog-checkpoints and
 * tlog-cosignatures (c2sp.org/signed-note, /tlog-checkpoint,
 * /tlog-cosignature). No allocation and no I/O: the firmware reuses them.
 *
 * A signed note is its text (UTF-8, ending in a newline, no control
 * characters but newline), a blank line, and one or more signature lines
 *     "\u2014 <name> <base64(key ID (4 bytes) || signature)>\n"
 * A verifier key ("vkey") is "<name>+<8 hex digits key ID>+<base64(type ||
 * key)>". Supported types:
 *   0x01 Ed25519: signature over the text; key ID = SHA-256(name || 0x0A ||
 *        0x01 || 32-byte key)[:4]
 *   0x02 ECDSA P-256: ASN.1 DER ECDSA over SHA-256(text); the key is the
 *        SubjectPublicKeyInfo DER; key ID = SHA-256(SPKI)[:4]
 *   0x04 cosignature/v1 (timestamped Ed25519, tlog-cosignature): the
 *        signature is 8-byte big-endian time || 64-byte Ed25519 signature over
 *        "cosignature/v1\ntime <time>\n" || text; key ID = SHA-256(name ||
 *        0x0A || 0x04 || key)[:4]
 *   0x05 RFC 6962 STH (static-ct-api): the text must be a checkpoint of
 *        exactly three lines whose origin is the key name; the signature is
 *        8-byte time || TLS DigitallySigned(SHA-256, ECDSA, DER) over the
 *        RFC 6962 TreeHeadSignature; the key is an ECDSA P-256 SPKI; key ID =
 *        SHA-256(name || 0x0A || 0x05 || SHA-256(SPKI))[:4]
 *
 * Errors: malformed notes, checkpoints and keys are MH_ERR_PARSE (sizes over
 * the caps MH_ERR_TOO_LARGE); a note with no signature by a known key is
 * MH_ERR_NOT_FOUND; a signature by a known key (same name and key ID) that
 * does not verify is MH_ERR_VERIFY_FAILED. mh_err_message() says which. */
#ifndef MH_PKI_NOTE_H
#define MH_PKI_NOTE_H

#include "pki_base.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MH_NOTE_MAX_TEXT (1u << 20) /* bytes of note text */
#define MH_NOTE_MAX_SIGS 100        /* signature lines per note */
#define MH_NOTE_MAX_NAME 255        /* bytes of a key name */
#define MH_NOTE_MAX_KEY 128         /* bytes of a key (an SPKI for ECDSA) */
#define MH_NOTE_MAX_SIG 512         /* decoded bytes of one signature line */
#define MH_NOTE_MAX_VKEY 512        /* characters of a vkey */
#define MH_NOTE_MAX_LINE (MH_NOTE_MAX_NAME + 8 + (MH_NOTE_MAX_SIG + 2) / 3 * 4)

#define MH_NOTE_ED25519 0x01
#define MH_NOTE_ECDSA 0x02
#define MH_NOTE_COSIG 0x04
#define MH_NOTE_RFC6962 0x05

/* A parsed verifier key (self-contained: copies of the name and key). */
typedef struct mh_note_vkey {
    char name[MH_NOTE_MAX_NAME + 1]; /* NUL-terminated */
    size_t name_len;
    uint8_t id[4];
    uint8_t type;
    uint8_t key[MH_NOTE_MAX_KEY];
    size_t key_len;
} mh_note_vkey;

/* What mh_note_verify found for one key. */
typedef struct mh_note_status {
    bool verified;
    uint64_t time; /* the signed timestamp for types 0x04 and 0x05 */
} mh_note_status;

/* Parses "<name>+<hex id>+<base64(type || key)>" strictly: a valid name (no
 * spaces, no '+'), exactly 8 lower- or upper-case hex digits that equal the
 * key ID computed from the key, canonical base64, a supported type and a key
 * that is valid for it (an ECDSA SPKI must be a P-256 point on the curve). */
MH_PKI_API int mh_note_vkey_parse(const char *vkey, size_t len, mh_note_vkey *out) MH_WARN_UNUSED;

/* The key ID for (name, type, key); key is the 32-byte Ed25519 key for types
 * 0x01 and 0x04 and the SPKI DER for 0x02 and 0x05. */
MH_PKI_API int mh_note_keyid(const char *name, size_t name_len, uint8_t type, const uint8_t *key,
                             size_t key_len, uint8_t id[4]) MH_WARN_UNUSED;

/* Formats a vkey (NUL-terminated; *out_len without the NUL) from a name, a
 * type and its key (32 bytes for 0x01 and 0x04, an SPKI for 0x02/0x05). */
MH_PKI_API int mh_note_vkey_format(const char *name, uint8_t type, const uint8_t *key,
                                   size_t key_len, char *out, size_t cap,
                                   size_t *out_len) MH_WARN_UNUSED;

/* Checks a note's syntax (text, blank line, 1..100 well-formed signature
 * lines, caps) without verifying anything; *text_len is the length of the
 * signed text (it ends in its newline). */
MH_PKI_API int mh_note_parse(const char *note, size_t len, size_t *text_len) MH_WARN_UNUSED;

/* Verifies a signed note against known keys. 0 when at least one key's
 * signature verifies; signatures by unknown keys are ignored; a signature by
 * a known key that does not verify is an error. status (may be NULL) has
 * nkeys entries and says which keys verified. text_len (may be NULL) as in
 * mh_note_parse. At most MH_NOTE_MAX_SIGS keys. */
MH_PKI_API int mh_note_verify(const char *note, size_t len, const mh_note_vkey *keys, size_t nkeys,
                              mh_note_status *status, size_t *text_len) MH_WARN_UNUSED;

/* Writes the signed note: text (checked like a note text), the blank line,
 * and one signature line by key_name (type 0x01 or 0x02, key ID keyid),
 * signed by key (an Ed25519 signer for 0x01, over the text; an ECDSA P-256
 * signer for 0x02, over SHA-256 of the text, DER). The result is
 * NUL-terminated; *out_len excludes the NUL. The signer's errors pass
 * through unchanged. */
MH_PKI_API int mh_note_sign(const char *text, size_t text_len, const char *key_name,
                            uint8_t key_type, const uint8_t keyid[4], const mh_signer *key,
                            char *out, size_t cap, size_t *out_len) MH_WARN_UNUSED;

/* One signature line "\u2014 <name> <base64(keyid || sig)>\n", to append
 * to a signed note (NUL-terminated). */
MH_PKI_API int mh_note_sig_line(const char *name, const uint8_t keyid[4], const uint8_t *sig,
                                size_t sig_len, char *out, size_t cap,
                                size_t *out_len) MH_WARN_UNUSED;

/* ---- tlog-checkpoint ---- */

#define MH_CHECKPOINT_MAX_ORIGIN MH_NOTE_MAX_NAME

/* A checkpoint body: the origin line, the tree size in decimal, the root
 * hash in base64, then optional extension lines. The extension lines point
 * into the parsed text. */
typedef struct mh_checkpoint {
    char origin[MH_CHECKPOINT_MAX_ORIGIN + 1]; /* NUL-terminated */
    size_t origin_len;
    uint64_t size;
    uint8_t root[32];
    const char *ext; /* extension lines (each ending in a newline), or NULL */
    size_t ext_len;
} mh_checkpoint;

/* Parses a checkpoint body (a note's text, or a whole signed note: parsing
 * stops at the blank line). Strict: a non-empty origin without control
 * characters, a size without leading zeros that fits 64 bits, canonical
 * base64 of exactly 32 bytes, non-empty extension lines. */
MH_PKI_API int mh_checkpoint_parse(const char *text, size_t len, mh_checkpoint *cp) MH_WARN_UNUSED;

/* Formats a checkpoint body (NUL-terminated). ext may be NULL; otherwise it
 * is whole non-empty lines, each ending in a newline. */
MH_PKI_API int mh_checkpoint_format(const char *origin, uint64_t size, const uint8_t root[32],
                                    const char *ext, size_t ext_len, char *out, size_t cap,
                                    size_t *out_len) MH_WARN_UNUSED;

/* ---- tlog-cosignature (cosignature/v1, key type 0x04) ---- */

/* The message a witness signs: "cosignature/v1\ntime <time>\n" || text
 * (the checkpoint body). NUL-terminated; *out_len excludes the NUL. */
MH_PKI_API int mh_cosig_message(const char *text, size_t text_len, uint64_t time, uint8_t *out,
                                size_t cap, size_t *out_len) MH_WARN_UNUSED;

/* The cosignature line for a 64-byte Ed25519 signature of that message. */
MH_PKI_API int mh_cosig_line(const char *name, const uint8_t keyid[4], uint64_t time,
                             const uint8_t sig[64], char *out, size_t cap,
                             size_t *out_len) MH_WARN_UNUSED;

/* Verifies the cosignature of one witness (a type 0x04 vkey) on a signed
 * checkpoint; *time (may be NULL) gets the signed timestamp. The note's
 * other signatures are not checked here (use mh_note_verify with the log's
 * key). MH_ERR_NOT_FOUND when the witness did not cosign. */
MH_PKI_API int mh_cosig_verify(const char *note, size_t len, const mh_note_vkey *witness,
                               uint64_t *time) MH_WARN_UNUSED;

/* k-of-n: 0 when at least k of the n witnesses (type 0x04 keys; one
 * witness, by name, counts once) validly cosigned the checkpoint;
 * *count is how many did, *oldest (may be NULL) the oldest of their
 * cosignature times. MH_ERR_VERIFY_FAILED below the quorum. */
MH_PKI_API int mh_cosig_quorum(const char *note, size_t len, const mh_note_vkey *witnesses,
                               size_t n, size_t k, size_t *count, uint64_t *oldest) MH_WARN_UNUSED;

/* ---- tlog-witness (the add-checkpoint request body) ---- */

#define MH_WITNESS_MAX_REQUEST (64 * 1024)

/* Parses "old <size>\n", up to 63 base64 hash lines (a consistency proof),
 * an empty line, then a note: *note_off is where the note starts (the
 * caller parses and verifies it). Strict: decimal without leading zeros,
 * canonical base64 of exactly 32 bytes per line. */
MH_PKI_API int mh_witness_request_parse(const char *body, size_t len, uint64_t *old_size,
                                        uint8_t proof[][32], size_t cap, size_t *n,
                                        size_t *note_off) MH_WARN_UNUSED;
/* Formats such a request (NUL-terminated). */
MH_PKI_API int mh_witness_request_format(uint64_t old_size, const uint8_t (*proof)[32], size_t n,
                                         const char *note, size_t note_len, char *out, size_t cap,
                                         size_t *out_len) MH_WARN_UNUSED;

#endif
