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
#include "mh_pki.h"

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
    /* Group commit batches by count and by time: once an entry is queued,
     * the writer waits for more until as many are queued as the last batch
     * held (the submitters it acknowledged have come back), batch_max are
     * queued, or batch_delay_us passed since the first (and never longer
     * than a commit has been taking, at least 50 us); then it commits them
     * all in one transaction. 0: 1000 us; MH_LEDGER_NO_DELAY: commit
     * whatever is queued at once. */
    unsigned batch_delay_us;
} mh_ledger_opts;

#define MH_LEDGER_NO_DELAY UINT32_MAX

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

/* What group commit did since open: batches committed, entries in them,
 * time spent committing (the LMDB transaction with its syncs) and waiting
 * for batches to fill. */
typedef struct mh_ledger_gc_stats {
    uint64_t batches, entries;
    double commit_seconds, wait_seconds;
} mh_ledger_gc_stats;
MH_LEDGER_API void mh_ledger_gc_stats_get(mh_ledger *l, mh_ledger_gc_stats *st);

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

/* ---- witnesses (C2SP tlog-witness) --------------------------------------- */

typedef struct mh_ledger_push_result {
    unsigned status;       /* the witness's last HTTP status */
    uint64_t size;         /* the checkpoint pushed */
    uint64_t witness_size; /* what the witness holds now */
    uint64_t cosig_time;   /* the cosignature's timestamp */
    char line[1024];       /* the cosignature line kept */
} mh_ledger_push_result;

/* Sends stored checkpoint seq (UINT64_MAX: the latest) to the witness at
 * url (its submission prefix; POST url/add-checkpoint) with a consistency
 * proof from the size the witness cosigned last (it says which with 409),
 * verifies the cosignature with the witness's key (type 0x04) and keeps it
 * beside the checkpoint. A witness refusing the checkpoint as a fork is
 * MH_ERR_LEDGER_FORK. */
MH_LEDGER_API int mh_ledger_push(mh_ledger *l, uint64_t seq, const char *url,
                                 const mh_note_vkey *witness, mh_ledger_push_result *r);

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

/* ---- auditing a mirror, incrementally ---------------------------------- */

/* What an auditor trusts: the last checkpoint it checked, with the right
 * edge of that tree (the hashes of the complete subtrees of size's binary
 * decomposition, edge[b] for each set bit b of size): 64 hashes at most,
 * whatever the size. From it an audit fetches only what is new. */
typedef struct mh_audit_state {
    uint64_t size; /* 0: nothing trusted yet */
    uint8_t root[MH_LEDGER_HASH_LEN];
    bool has_edge; /* false: a state of the old format, size and root only */
    uint8_t edge[64][MH_LEDGER_HASH_LEN];
    char origin[MH_LEDGER_ORIGIN_MAX + 1]; /* "" until the first audit */
    char note[MH_LEDGER_NOTE_MAX + 1];     /* the signed checkpoint trusted */
    size_t note_len;
} mh_audit_state;

typedef struct mh_audit_result {
    char origin[MH_LEDGER_ORIGIN_MAX + 1];
    uint64_t old_size; /* what was trusted before */
    uint64_t size;     /* the mirror's checkpoint */
    uint8_t root[MH_LEDGER_HASH_LEN];
    uint64_t entries_checked; /* leaves recomputed from entry bundles */
    uint64_t tiles_checked;   /* hash tiles compared with them */
    uint64_t files_fetched, bytes_fetched;
    double seconds;
    /* the mirror's checkpoint as served (with a fork or a rollback, it and
     * the state's note are the evidence: two checkpoints of one origin that
     * cannot both be true) */
    char note[MH_LEDGER_NOTE_MAX + 1];
    size_t note_len;
    bool fork; /* the checkpoint contradicts the trusted one */
} mh_audit_result;

/* Audits the mirror at `where` (a directory written by export-tiles, or
 * the same served at an http:// or https:// URL) against st: reads its
 * checkpoint, which must be signed by one of keys (nkeys > 0; with 0 the
 * caller checks res->note), and of st's origin; then fetches only the
 * entry bundles from st->size on, recomputes each new leaf and every new
 * hash above it (in memory bounded by the tree height: the right edge and
 * one tile per tile level), compares them with the hash tiles served, checks
 * the parts of the trusted tree the new tiles share against the trusted
 * edge, and the root against the checkpoint. The root matching proves the
 * new tree extends the trusted one. An audit from nothing streams the
 * whole log the same way, in the same memory. On success st is the new
 * checkpoint. A rollback, a fork or a rewrite is MH_ERR_LEDGER_FORK with a
 * sentence saying where; st is unchanged and res->fork says whether the
 * two checkpoints are the evidence. */
MH_LEDGER_API int mh_audit_mirror(const char *where, mh_audit_state *st, const mh_note_vkey *keys,
                                  size_t nkeys, mh_audit_result *res);

/* As mh_audit_mirror, calling each(ctx, index, entry, len) for every new
 * entry checked, in log order (a follower keeps its revocations so); a
 * non-zero return stops the audit with that code. What it saw counts only
 * once the audit returns 0. */
typedef int (*mh_audit_entry_fn)(void *ctx, uint64_t index, const uint8_t *entry, size_t len);
MH_LEDGER_API int mh_audit_mirror_each(const char *where, mh_audit_state *st,
                                       const mh_note_vkey *keys, size_t nkeys,
                                       mh_audit_entry_fn each, void *ctx, mh_audit_result *res);

/* The state file: text, "mohur-audit-state@v1" then origin, size, root,
 * edge and checkpoint lines (the old one-line "trusted SIZE ROOT" is read
 * too: the next audit then streams the log once). A missing file is an
 * empty state. Written atomically. */
MH_LEDGER_API int mh_audit_state_load(const char *path, mh_audit_state *st);
MH_LEDGER_API int mh_audit_state_save(const char *path, const mh_audit_state *st);

/* Fork evidence as text: the reason, then both checkpoints. */
MH_LEDGER_API int mh_audit_evidence(const mh_audit_state *st, const mh_audit_result *res,
                                    const char *reason, char *out, size_t cap, size_t *len);

/* The older interface, kept for its callers: an audit of a directory
 * against a trusted size and root (streams the whole log). */
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

MH_LEDGER_API int mh_ledger_audit_dir(const char *dir, mh_ledger_audit *a, char *note, size_t cap,
                                      size_t *note_len);

/* ---- following many logs (a verifier) ------------------------------------ */

/* A verifier's configuration (JSON) names the registries it follows:
 *   {"registries": [{"id": "AZ-EDU",                 the receipts' registry id
 *                    "vkey": "<log vkey>",            its origin is the key name
 *                    "origin": "...",                 (optional: another origin)
 *                    "mirror": "https://.../",        its tiles (or a directory)
 *                    "witnesses": ["<vkey>", ...],    cosignature/v1 keys
 *                    "quorum": 2,                     default: all of them
 *                    "max_age": 86400}]}              seconds until stale
 * and its state directory keeps, per registry, the auditor's state, the
 * time of the last good update and the revocations its audits saw. */
#define MH_FOLLOW_ID_MAX 64

typedef struct mh_follow mh_follow;

typedef struct mh_follow_status {
    char id[MH_FOLLOW_ID_MAX + 1];
    char origin[MH_LEDGER_ORIGIN_MAX + 1];
    uint64_t size; /* the trusted checkpoint (0: none yet) */
    uint8_t root[MH_LEDGER_HASH_LEN];
    uint64_t checked_at;  /* the last good update, Unix seconds (0: never) */
    uint64_t cosigned_at; /* the oldest cosignature among the witnesses */
    size_t witnesses;     /* how many of them cosigned the trusted checkpoint */
    size_t quorum;
    uint64_t max_age;
    bool stale; /* no good update for max_age seconds */
    /* the last update */
    uint64_t new_entries, files_fetched, bytes_fetched;
    double seconds;
    /* why the last update failed, as recorded in the state ("" when it
     * succeeded), when, and whether it was a fork or a rollback */
    char last_error[512];
    uint64_t failed_at;
    bool fork;
} mh_follow_status;

MH_LEDGER_API int mh_follow_open(const char *config, const char *state_dir, mh_follow **f);
/* mh_follow_open with flags:
 * MH_FOLLOW_COPY: each update also keeps a local copy of the registry's
 *   mirror in the state directory (<hash of origin>.tiles/: the checkpoint,
 *   tiles and entry bundles of the trusted tree; fetched into a stage and
 *   installed file by file with rename only once the audit passed, before
 *   the new checkpoint is trusted), so it can be proven from offline.
 * MH_FOLLOW_LOCAL: no network and nothing written: entries are proven from
 *   that local copy, the state is only read, mh_follow_update refuses
 *   (mohurd's front; its follower process updates). */
#define MH_FOLLOW_COPY 1u
#define MH_FOLLOW_LOCAL 2u
MH_LEDGER_API int mh_follow_open_ex(const char *config, const char *state_dir, unsigned flags,
                                    mh_follow **f);
/* Loads what reaching an http(s) mirror needs (libcurl, its TLS library
 * initialised) now: a process about to confine itself (mohurd's follower)
 * calls it while those files can still be read. MH_ERR_UNSUPPORTED with a
 * sentence when libcurl is not installed (directory mirrors still work). */
MH_LEDGER_API int mh_mirror_preload(void);
/* Does the configuration name this registry (by id or origin)? */
MH_LEDGER_API bool mh_follow_has(const mh_follow *f, const char *id, size_t len);
/* The log's verifier key of a followed registry (by id or origin). */
MH_LEDGER_API int mh_follow_log_key(const mh_follow *f, const char *id, mh_note_vkey *key);
MH_LEDGER_API void mh_follow_close(mh_follow *f);
MH_LEDGER_API size_t mh_follow_count(const mh_follow *f);
MH_LEDGER_API const char *mh_follow_id(const mh_follow *f, size_t i);

/* What the follower trusts for a registry (by id or origin), without
 * fetching anything. */
MH_LEDGER_API int mh_follow_status_get(mh_follow *f, const char *id, mh_follow_status *st);

/* Brings one registry up to date: its mirror's checkpoint must be signed
 * by the log's key and cosigned by the quorum of its witnesses, and the
 * incremental audit (mh_audit_mirror) must pass; then it is trusted. A fork
 * or a rollback is MH_ERR_LEDGER_FORK, with the evidence (both
 * checkpoints) in evidence (may be NULL) and kept in the state directory;
 * the trusted state is unchanged and the other registries are unaffected. */
MH_LEDGER_API int mh_follow_update(mh_follow *f, const char *id, mh_follow_status *st,
                                   char *evidence, size_t evcap, size_t *evlen);

typedef struct mh_follow_entry {
    mh_follow_status status; /* the registry's trusted checkpoint, its freshness */
    bool included;           /* proven in that checkpoint's tree */
    mh_ledger_entry entry;
    uint8_t raw[MH_LEDGER_ENTRY_MAX];
    size_t raw_len;
    bool revoked; /* a revoke entry for it is in the trusted tree */
    bool voided;  /* a void entry for it: never delivered (revoke_index: the void entry) */
    uint64_t revoke_index, revoke_time;
    unsigned reason;
} mh_follow_entry;

/* What a verifier asks for a receipt: the registry named by the receipt's
 * registry id (or origin), and entry log_index of it, fetched from its
 * mirror and proven by an inclusion proof (built from the mirror's tiles)
 * against the checkpoint this verifier trusts. Fills out->entry (the
 * caller compares the document digest, kind and issuer with the receipt),
 * out->revoked, and out->status with the freshness (checked_at,
 * cosigned_at, stale). MH_ERR_NOT_FOUND: an unknown registry, or an index
 * beyond the trusted checkpoint (update the follower); MH_ERR_LEDGER_FORK:
 * the mirror serves something else than the trusted tree. */
MH_LEDGER_API int mh_follow_check_entry(mh_follow *f, const char *registry, size_t registry_len,
                                        uint64_t log_index, mh_follow_entry *out);

/* The call `mohur verify --qr` and mohurd make for a receipt whose COSE
 * signature they verified: mh_follow_check_entry for the receipt's
 * registry id and log index, then the entry must be an issue entry of the
 * receipt's document (digest, whole or its first 16 bytes, and length) and
 * kind, not voided, and, when the entry records the receipt's claims
 * digest (mh_receipt_claims_digest), that digest. MH_ERR_VERIFY_FAILED
 * with a sentence when it is not; out->revoked
 * and out->status (freshness: checked_at, cosigned_at, stale) for the
 * caller to show. The issuer's name is the caller's to compare (a receipt
 * carries the organisation's short id, the entry its name). */
MH_LEDGER_API int mh_follow_check_receipt(mh_follow *f, const mh_receipt_claims *c,
                                          mh_follow_entry *out);

/* Tile paths: "tile/<L>/<N>" or with ".p/<W>" for a partial tile of width
 * w (0 < w < 256; 0 or 256 means full); level -1 is the entry bundles. */
MH_LEDGER_API int mh_ledger_tile_path(int level, uint64_t n, unsigned w, char *buf, size_t cap);

#endif
