/*
 * mh_ledger.h - the ledger: an append-only RFC 9162 transparency log of
 * issue and revoke entries, kept in one LMDB environment with its indexes,
 * its subtree hashes (so a proof takes O(log n) reads), its signed
 * checkpoints and their witness cosignatures. See docs/ledger.md.
 *
 * One writer process at a time (a lock file, refused at once with
 * MH_ERR_LEDGER_LOCKED), any number of readers in any process. Within the
 * writer process, several threads may append at once: mh_ledger_submit()
 * queues an entry and one writer thread commits each batch in one LMDB
 * transaction and one sync (group commit). Every append returns only after
 * its transaction is durable; a failed transaction changes nothing.
 *
 * Every function returns 0 or a negative MH_ERR_* code and leaves a sentence
 * for mh_err_message() when it knows more.
 */
#ifndef MH_LEDGER_H
#define MH_LEDGER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mh_common.h"

#define MH_LEDGER_API __attribute__((visibility("default")))

#define MH_LEDGER_HASH_LEN 32
#define MH_LEDGER_ID_MAX 128       /* document id, bytes of UTF-8 */
#define MH_LEDGER_KIND_MAX 64      /* document kind */
#define MH_LEDGER_ISSUER_MAX 256   /* issuer name */
#define MH_LEDGER_ENTRY_MAX 1024   /* an encoded entry */
#define MH_LEDGER_REQUESTER_MAX 64 /* who asked (mohurd's attribution) */
#define MH_LEDGER_NOTE_MAX 8192    /* a signed checkpoint with its signatures */
#define MH_LEDGER_ORIGIN_MAX 255   /* a checkpoint origin line */
#define MH_LEDGER_TILE_HEIGHT 8    /* C2SP tlog-tiles: 256 hashes a tile */

typedef struct mh_ledger mh_ledger;

typedef struct mh_ledger_opts {
    size_t map_size;      /* LMDB map size in bytes; 0: 1 GiB */
    size_t grow_step;     /* grow the map by this much when full; 0: never */
    bool read_only;       /* a reader: no lock file, no writes */
    bool create;          /* create the ledger if the directory has none */
    bool group_commit;    /* start the writer thread for mh_ledger_submit() */
    unsigned batch_max;   /* entries per group commit; 0: 4096 */
    unsigned check_depth; /* entries re-hashed at open; 0: 256 */
} mh_ledger_opts;

enum mh_ledger_type {
    MH_LEDGER_ISSUE = 1,
    MH_LEDGER_REVOKE = 2,
    /* The issue entry revoked_index was recorded but its document was never
     * delivered (signing failed after the entry). A ledger fact, not a
     * revocation: the document id is free again, and the next issue entry
     * under the same id is the document in circulation. */
    MH_LEDGER_VOID = 3,
};

/* One entry. Text fields are NUL-terminated UTF-8. An issue entry has the
 * document's id, kind, issuer, SHA-256 digest and length, the signer
 * certificate's SHA-256 fingerprint, the time (Unix seconds) and, when
 * has_claims, the digest of the receipt's claims (mh_receipt_claims_digest:
 * everything the receipt says but its log index), so a receipt can be
 * compared with the entry without the entry holding the printed fields
 * (the ledger's entries are published as tiles). A revoke entry has the id
 * of the revoked document, the issuer (who revoked), the signer
 * fingerprint, the time, the reason (RFC 5280 CRLReason code, 0-10) and the
 * log index of the issue entry it revokes (filled in by the ledger). A
 * void entry has the id, the issuer, the signer fingerprint, the time and
 * the voided issue entry's index (filled in by the ledger). */
typedef struct mh_ledger_entry {
    enum mh_ledger_type type;
    char doc_id[MH_LEDGER_ID_MAX + 1];
    char kind[MH_LEDGER_KIND_MAX + 1];
    char issuer[MH_LEDGER_ISSUER_MAX + 1];
    uint8_t digest[MH_LEDGER_HASH_LEN];
    uint64_t doc_len;
    uint8_t signer_fp[MH_LEDGER_HASH_LEN];
    uint64_t time;
    unsigned reason;
    uint64_t revoked_index;
    bool has_claims;
    uint8_t claims[MH_LEDGER_HASH_LEN];
    /* optional, any type: who asked for this entry (mohurd's API client,
     * e.g. "token:<id>", "cert:<id>", "uid:0"); "" when not recorded */
    char requester[MH_LEDGER_REQUESTER_MAX + 1];
} mh_ledger_entry;

/* The current status of a document (index by document id): its latest
 * issue entry; voided when that entry was voided (then the id may be issued
 * again). */
typedef struct mh_ledger_status {
    uint64_t issue_index;
    uint64_t issue_time;
    uint8_t digest[MH_LEDGER_HASH_LEN];
    bool revoked;
    uint64_t revoke_index;
    uint64_t revoke_time;
    unsigned reason;
    bool voided;
    uint64_t void_index;
} mh_ledger_status;

/* ---- entries: canonical encoding (deterministic CBOR) ------------------- */

/* "issue", "revoke", "void" ("?" for anything else). */
MH_LEDGER_API const char *mh_ledger_type_name(enum mh_ledger_type t);

/* Encodes an entry (checked first: fields present for its type, lengths,
 * UTF-8). */
MH_LEDGER_API int mh_ledger_entry_encode(const mh_ledger_entry *e, uint8_t *buf, size_t cap,
                                         size_t *len);
/* Decodes an entry, refusing anything but the canonical encoding. */
MH_LEDGER_API int mh_ledger_entry_decode(const uint8_t *buf, size_t len,
                                         mh_ledger_entry *e) MH_WARN_UNUSED;

/* ---- opening ------------------------------------------------------------ */

/* Opens the ledger in directory `dir` (created with opts->create). Opening
 * checks the stored root against the subtree hashes and re-hashes the last
 * entries; a damaged ledger is refused with MH_ERR_LEDGER_CORRUPT. A second
 * writer process gets MH_ERR_LEDGER_LOCKED. opts may be NULL (defaults). */
MH_LEDGER_API int mh_ledger_open(const char *dir, const mh_ledger_opts *opts, mh_ledger **out);
/* Stops the writer thread (after it committed what was queued) and closes. */
MH_LEDGER_API void mh_ledger_close(mh_ledger *l);

/* ---- appending ---------------------------------------------------------- */

/* Appends n entries in one transaction, all or none: the first invalid
 * entry (an issue for an id already issued, a revoke of an unknown or
 * revoked document, a malformed field) fails the whole batch. On success
 * idx[i] (if idx is not NULL) is entry i's log index. Returns after the
 * commit is durable. MH_ERR_LEDGER_FULL when the map is full and may not
 * grow, MH_ERR_DISK_FULL when the disk is; the ledger is then unchanged. */
MH_LEDGER_API int mh_ledger_append(mh_ledger *l, const mh_ledger_entry *e, size_t n, uint64_t *idx);
/* Group commit: queues one entry for the writer thread and waits for the
 * commit of its batch. Entries of other callers in the same batch do not
 * affect this one's validity. Needs opts.group_commit. Thread-safe. */
MH_LEDGER_API int mh_ledger_submit(mh_ledger *l, const mh_ledger_entry *e, uint64_t *idx);

/* ---- reading ------------------------------------------------------------ */

/* The tree size and root of the latest commit. */
MH_LEDGER_API int mh_ledger_size(mh_ledger *l, uint64_t *size, uint8_t root[MH_LEDGER_HASH_LEN]);
/* The root of the tree of the first `size` entries (size <= current). */
MH_LEDGER_API int mh_ledger_root_at(mh_ledger *l, uint64_t size, uint8_t root[MH_LEDGER_HASH_LEN]);
MH_LEDGER_API int mh_ledger_get(mh_ledger *l, uint64_t index, mh_ledger_entry *e);
/* The stored canonical bytes of an entry. */
MH_LEDGER_API int mh_ledger_get_raw(mh_ledger *l, uint64_t index, uint8_t *buf, size_t cap,
                                    size_t *len);
MH_LEDGER_API int mh_ledger_lookup_id(mh_ledger *l, const char *doc_id, mh_ledger_status *st);
/* The indexes of the issue entries with this document digest, in log order:
 * up to cap of them into idx, and their total count in *count. */
MH_LEDGER_API int mh_ledger_lookup_digest(mh_ledger *l, const uint8_t digest[MH_LEDGER_HASH_LEN],
                                          uint64_t *idx, size_t cap, size_t *count);

/* ---- proofs (RFC 9162), O(log n) reads each ----------------------------- */

/* Up to 64 hashes. size 0 means the current size. */
MH_LEDGER_API int mh_ledger_prove_inclusion(mh_ledger *l, uint64_t index, uint64_t size,
                                            uint8_t proof[][MH_LEDGER_HASH_LEN], size_t cap,
                                            size_t *n);
MH_LEDGER_API int mh_ledger_prove_consistency(mh_ledger *l, uint64_t size1, uint64_t size2,
                                              uint8_t proof[][MH_LEDGER_HASH_LEN], size_t cap,
                                              size_t *n);
/* The stored hash of the complete subtree (level, index). */
MH_LEDGER_API int mh_ledger_subtree_hash(mh_ledger *l, unsigned level, uint64_t index,
                                         uint8_t out[MH_LEDGER_HASH_LEN]);

/* ---- checkpoints (C2SP tlog-checkpoint, signed notes) ------------------- */

/* The checkpoint body for the tree of `size` entries (0: current):
 * "<origin>\n<size>\n<base64 root>\n", NUL-terminated in buf. */
MH_LEDGER_API int mh_ledger_checkpoint_body(mh_ledger *l, const char *origin, uint64_t size,
                                            char *buf, size_t cap, size_t *len);
/* Parses a checkpoint body (the text of a signed note before its blank
 * line): origin, size, root. Strict: exactly one decimal size without
 * leading zeros, a 32-byte root in canonical base64. */
MH_LEDGER_API int mh_ledger_checkpoint_parse(const char *note, size_t len, char *origin,
                                             size_t origin_cap, uint64_t *size,
                                             uint8_t root[MH_LEDGER_HASH_LEN]) MH_WARN_UNUSED;

/* Signs a note body: writes the complete signed note (body, blank line,
 * signature lines) into note. The CLI signs with the registry key on the
 * token; the daemon's signer process does it over IPC. */
typedef int (*mh_ledger_sign_fn)(void *ctx, const char *body, size_t body_len, char *note,
                                 size_t cap, size_t *note_len);

/* Builds the checkpoint of the current tree, has `sign` sign it, checks the
 * result still carries the same body, and stores it (every published
 * checkpoint is kept). *seq is its sequence number (0, 1, ...). */
MH_LEDGER_API int mh_ledger_checkpoint_sign(mh_ledger *l, const char *origin,
                                            mh_ledger_sign_fn sign, void *ctx, uint64_t *seq);
/* Stores a signed checkpoint made elsewhere, after checking that its size
 * and root are those of this ledger. */
MH_LEDGER_API int mh_ledger_checkpoint_store(mh_ledger *l, const char *note, size_t len,
                                             uint64_t *seq);
/* A stored checkpoint by sequence number (UINT64_MAX: the latest), with its
 * cosignature lines appended to its signature lines, NUL-terminated. */
MH_LEDGER_API int mh_ledger_checkpoint_get(mh_ledger *l, uint64_t seq, char *note, size_t cap,
                                           size_t *len, uint64_t *seq_out);

/* Verifies one cosignature line ("— <name> <base64>\n") against a
 * checkpoint note: 0 when it is a valid signature of a trusted witness. */
typedef int (*mh_ledger_cosig_verify_fn)(void *ctx, const char *note, size_t note_len,
                                         const char *line, size_t line_len);
/* Accepts a witness cosignature (C2SP tlog-cosignature) for checkpoint seq:
 * verify must accept it; then it is stored beside the checkpoint (one per
 * witness name and key id; a repeat is MH_ERR_ALREADY_EXISTS). */
MH_LEDGER_API int mh_ledger_cosign_add(mh_ledger *l, uint64_t seq, const char *line, size_t len,
                                       mh_ledger_cosig_verify_fn verify, void *ctx);

/* ---- static export (C2SP tlog-tiles) and the mirror auditor ------------- */

typedef struct mh_ledger_export_stats {
    uint64_t size;    /* tree size exported (the latest checkpoint's) */
    uint64_t tiles;   /* tile files written */
    uint64_t bundles; /* entry bundles written */
    uint64_t skipped; /* full tiles and bundles already there */
} mh_ledger_export_stats;

/* Writes tile/<L>/<N>[.p/<W>], tile/entries/<N>[.p/<W>] and checkpoint
 * (last, atomically) under dir for the latest stored checkpoint. Full tiles
 * already present are kept (they never change), so a second export writes
 * only what is new. MH_ERR_NOT_FOUND when no checkpoint was signed yet. */
MH_LEDGER_API int mh_ledger_export_tiles(mh_ledger *l, const char *dir, mh_ledger_export_stats *st);

typedef struct mh_ledger_audit {
    /* in: what the auditor trusted before (size 0: nothing yet) */
    uint64_t trusted_size;
    uint8_t trusted_root[MH_LEDGER_HASH_LEN];
    /* out */
    char origin[MH_LEDGER_ORIGIN_MAX + 1];
    uint64_t size;
    uint8_t root[MH_LEDGER_HASH_LEN];
    uint64_t tiles_checked;
    uint64_t entries_checked;
} mh_ledger_audit;

/* Audits a mirror directory: reads its checkpoint (the caller verifies the
 * checkpoint's signature: it is returned in note), recomputes every leaf
 * from the entry bundles and every tile from the one below, checks them
 * against the tiles served and the root against the checkpoint, and checks
 * the tree is consistent with the trusted size and root. A mismatch is
 * MH_ERR_LEDGER_FORK with a sentence saying where. Mirrors of up to 2^22
 * entries. */
MH_LEDGER_API int mh_ledger_audit_dir(const char *dir, mh_ledger_audit *a, char *note, size_t cap,
                                      size_t *note_len);

/* Copies a mirror served over http:// or https:// (the checkpoint, then
 * every entry bundle and tile it implies) into the existing directory dir,
 * for mh_ledger_audit_dir. Timeouts, size caps on every file, http(s) only.
 * *size is the checkpoint's tree size. */
MH_LEDGER_API int mh_ledger_mirror_fetch(const char *url, const char *dir, uint64_t *size);

/* Tile paths: "tile/<L>/<N>" or with ".p/<W>" for a partial tile of width
 * w (0 < w < 256; 0 or 256 means full); level -1 is the entry bundles. */
MH_LEDGER_API int mh_ledger_tile_path(int level, uint64_t n, unsigned w, char *buf, size_t cap);

#endif
