/* mh_fw.h - the offline verifier's core: trust list, revocation snapshot,
 * the QR line, and the verdict. Freestanding C11 with no heap and no I/O:
 * the same files build for the Cortex-M4 image and for the host (unit
 * tests, fuzz targets, the host runner). It verifies receipts only through
 * pki's receipt API (mh_receipt_verify) and pki/sig, so whatever the
 * receipt format gains, the firmware gets by rebuilding. docs/offline.md
 * gives the formats; firmware/README.md the device.
 *
 * Every blob (trust list, snapshot) is a slot image: a 4-byte big-endian
 * length, then that many bytes of a COSE_Sign1 (pki_receipt.h,
 * mh_cose_sign1), then anything (erased flash). Parsed values point into
 * the slot, which must stay mapped (it is flash). */
#ifndef MH_FW_H
#define MH_FW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pki_der.h"
#include "pki_sig.h"
#include "pki_cbor.h"
#include "pki_receipt.h"

#define MH_FW_KEYS_MAX 16                   /* registry keys in a trust list */
#define MH_FW_TL_MAX 4096                   /* bytes of a trust list */
#define MH_FW_SNAP_MAX ((size_t)48 * 1024)  /* bytes of a snapshot */
#define MH_FW_REVOKED_MAX 4000              /* entries of a snapshot */
#define MH_FW_LINE_MAX (MH_RECEIPT_URL_MAX) /* characters of a QR line */
#define MH_FW_HOST_MAX 253

/* The types written in the payloads, so one cannot pass for the other. */
#define MH_FW_TL_TYPE "mohur-trust-list/1"
#define MH_FW_SNAP_TYPE "mohur-status-snapshot/1"

/* One registry key of a trust list. Texts are spans into the slot. */
typedef struct mh_fw_tl_key {
    mh_receipt_str registry; /* the registry (log) id it signs for */
    mh_receipt_str host;     /* the host its QR codes name */
    uint64_t not_before;     /* receipts issued in [not_before, not_after] */
    uint64_t not_after;
} mh_fw_tl_key;

typedef struct mh_fw_trust {
    uint64_t seq;              /* rollback protection: never lower than seen */
    uint64_t issued_at;        /* when the list was made */
    uint64_t snapshot_max_age; /* seconds after which a snapshot is stale */
    size_t nkeys;
    mh_receipt_key keys[MH_FW_KEYS_MAX]; /* for mh_receipt_verify */
    mh_fw_tl_key meta[MH_FW_KEYS_MAX];
} mh_fw_trust;

/* The kid of the trust-list signing key burnt into the image (point: 65
 * bytes, 04 || X || Y). */
int mh_fw_tl_signer(const uint8_t *point, size_t len, mh_receipt_key *key) MH_WARN_UNUSED;

/* Reads and verifies a trust-list slot: signed by signer, of the right
 * type, seq >= min_seq (else MH_ERR_LEDGER_FORK: a rollback), 1 to 16 keys
 * on P-256 with not_before <= not_after. On failure *t is zeroed and a
 * sentence is left (mh_err_message). */
int mh_fw_trust_load(const mh_receipt_key *signer, const uint8_t *slot, size_t slot_len,
                     uint64_t min_seq, mh_fw_trust *t) MH_WARN_UNUSED;

/* A revocation snapshot: the registry's signed list of revoked log
 * indices as of a tree size (the checkpoint it was made at). */
typedef struct mh_fw_snapshot {
    mh_receipt_str registry;
    uint64_t tree_size; /* entries 0 .. tree_size-1 are covered */
    const uint8_t *root;
    uint64_t made_at;
    size_t nrevoked;
    const uint8_t *list; /* the CBOR array of [index, date, reason], checked */
    size_t list_len;
    size_t key_index; /* the trust-list key that signed it */
} mh_fw_snapshot;

/* Reads and verifies a snapshot slot against the trust list: signed by a
 * key of the trust list for the snapshot's registry, of the right type,
 * revoked indices strictly increasing and below tree_size, reasons 0-10.
 * On failure *s is zeroed. */
int mh_fw_snapshot_load(const mh_fw_trust *t, const uint8_t *slot, size_t slot_len,
                        mh_fw_snapshot *s) MH_WARN_UNUSED;

/* Is log index idx revoked? *date and *reason when it is. */
int mh_fw_snapshot_find(const mh_fw_snapshot *s, uint64_t idx, bool *revoked, uint64_t *date,
                        unsigned *reason) MH_WARN_UNUSED;

/* Takes one scanned line apart: trailing CR/LF dropped, at most
 * MH_FW_LINE_MAX characters, "HTTPS://HOST/V/BASE32" (pki's URL rules),
 * the receipt into out (cap >= MH_RECEIPT_MAX). */
int mh_fw_line_parse(const char *line, size_t len, mh_receipt_str *host, uint8_t *out, size_t cap,
                     size_t *out_len) MH_WARN_UNUSED;

/* Verdicts; the values are also the device's exit codes on the emulator. */
enum mh_fw_verdict {
    MH_FW_VALID = 0,
    MH_FW_FORGED = 1,       /* the signature does not verify (altered or forged) */
    MH_FW_REVOKED = 2,      /* genuine, revoked (reason, date) */
    MH_FW_UNKNOWN_KEY = 3,  /* no key of the trust list (or no trust list) */
    MH_FW_KEY_VALIDITY = 4, /* signed outside the key's validity period */
    MH_FW_MALFORMED = 5,    /* not a receipt line */
    MH_FW_STALE = 6,        /* genuine, but revocation could not be checked */
    MH_FW_FAULT = 7         /* the device itself failed (memory) */
};

/* What the device knows at a scan. Either pointer may be NULL (not
 * loaded); *_why then says why, for the screen. */
typedef struct mh_fw_state {
    const mh_fw_trust *trust;
    const char *trust_why;
    const mh_fw_snapshot *snap;
    const char *snap_why;
    uint64_t now; /* the device clock, seconds since 1970 UTC */
} mh_fw_state;

typedef struct mh_fw_result {
    enum mh_fw_verdict verdict;
    char why[160];       /* one line: what decided the verdict */
    bool decoded;        /* r holds the claims (verified or not) */
    mh_receipt r;        /* spans into the caller's receipt buffer */
    mh_receipt_str host; /* as the QR names it */
    bool host_mismatch;  /* the QR names another host than the trust list */
    const mh_fw_tl_key *key;
    uint64_t revoked_at;
    unsigned reason;
} mh_fw_result;

/* One scan: parse, verify the receipt against the trust list, check the
 * key's validity, then revocation in the snapshot. buf (cap >=
 * MH_RECEIPT_MAX) holds the decoded receipt, which res->r points into.
 * Never VALID unless every check ran and passed. */
void mh_fw_verify_line(const mh_fw_state *st, const char *line, size_t len, uint8_t *buf,
                       size_t cap, mh_fw_result *res);

/* The screen: calls out(ctx, line) for each NUL-terminated line of the
 * verdict (verdict word, why, claims, printed fields, the snapshot's date). */
typedef void (*mh_fw_print_fn)(void *ctx, const char *line);
void mh_fw_render(const mh_fw_state *st, const mh_fw_result *res, mh_fw_print_fn out, void *ctx);

/* "VALID", "FORGED", ... */
const char *mh_fw_verdict_name(enum mh_fw_verdict v);
/* RFC 5280 CRLReason name of a code 0-10. */
const char *mh_fw_reason_name(unsigned reason);
/* "YYYY-MM-DD HH:MM UTC" of a Unix time, into buf (cap >= 21). */
void mh_fw_format_time(uint64_t t, char *buf, size_t cap);

/* ---- the device: boot and the scan loop, shared by the board and the
 * host runner ------------------------------------------------------------ */

/* Accumulates characters from the UART into lines. A line longer than
 * MH_FW_LINE_MAX is kept cut, with its true length counted, so the verdict
 * can say it was too long; the rest of it is dropped up to its newline. */
typedef struct mh_fw_linebuf {
    char buf[MH_FW_LINE_MAX + 1];
    size_t len;  /* characters stored */
    size_t seen; /* characters of the line, stored or not */
} mh_fw_linebuf;

/* Adds one character; true when it ended a line (the line is buf[0..len),
 * seen its full length); the next call starts a new line. */
bool mh_fw_linebuf_put(mh_fw_linebuf *lb, char ch);
void mh_fw_linebuf_reset(mh_fw_linebuf *lb);

typedef struct mh_fw_device {
    mh_receipt_key signer; /* the burnt-in trust-list signing key */
    mh_fw_trust trust;
    mh_fw_snapshot snap;
    char trust_why[160];
    char snap_why[160];
    mh_fw_state st;
    uint8_t receipt[MH_RECEIPT_MAX];
    mh_fw_result res;
} mh_fw_device;

/* Boot: the burnt-in key, the trust-list slot (refused below min_seq, the
 * highest sequence this device accepted), the snapshot slot. Prints what
 * was loaded or why not. Never fails: a device without a trust list says
 * UNKNOWN REGISTRY KEY to every scan. */
void mh_fw_device_boot(mh_fw_device *d, const uint8_t *tl_key, size_t tl_key_len,
                       const uint8_t *tl_slot, size_t tl_len, uint64_t min_seq,
                       const uint8_t *snap_slot, size_t snap_len, mh_fw_print_fn out, void *ctx);
/* One scanned line (its full length as seen: longer than the text when it
 * was cut) at time now: verdict on the screen, and returned. */
enum mh_fw_verdict mh_fw_device_scan(mh_fw_device *d, const char *line, size_t len, size_t seen,
                                     uint64_t now, mh_fw_print_fn out, void *ctx);

#endif
