/*
 * mh_app.h - the appliance: its state directory and configuration, and the
 * single-document flows (issue = record + receipt + sign, revoke, verify).
 * The one public header of host/app. docs/flows.md describes the state
 * directory, the configuration and every flow.
 *
 * An mh_app is opened on a state directory made by mh_app_init() (the CLI's
 * `mohur init`). Opened for signing, it holds the ledger for writing (group
 * commit), the CA database, and the appliance token logged in once from
 * pins/user.pin. Opened read-only (MH_APP_READ_ONLY), it reads the ledger
 * and the trust files only: a verifier needs no PIN.
 *
 * Every function returns 0 or a negative MH_ERR_* code and leaves a sentence
 * for mh_err_message() that says what went wrong and what to do.
 */
#ifndef MH_APP_H
#define MH_APP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mh_common.h"
#include "mh_doc.h"
#include "mh_ledger.h"
#include "mh_pdf.h"

/* ---- the state directory ------------------------------------------------ */

#define MH_APP_ISSUERS_MAX 16
#define MH_APP_ID_MAX 64 /* registry and issuer ids */

typedef struct mh_app_issuer_opt {
    const char *id;   /* e.g. "bdu" */
    const char *name; /* display name, UTF-8 */
} mh_app_issuer_opt;

typedef struct mh_app_init_opts {
    const char *registry_id; /* NULL: "AZ-DEMO" */
    const char *verify_host; /* NULL: "verify.mohur.test" */
    /* Issuers to add or rename: a default id (bdu, agency, notary) renames
     * that issuer; another id adds an organisation seal (EC P-256) with no
     * kinds yet (edit config.json to give it some). */
    const mh_app_issuer_opt *issuers;
    size_t nissuers;
    /* The group that may verify without root (a name or a number): the
     * configuration, certificates, CRL and ledger are shared with it (read;
     * the ledger's lock file read-write), never the token, PINs or CA.
     * NULL: "mohur" when that group exists, else nobody. Applied on every
     * run, so an existing state can be shared later. */
    const char *group;
} mh_app_init_opts;

/* Provisions the state directory (created 0700 when missing): the embedded
 * SoftHSM2 token with random PINs in pins/, the keys, the root CA with a
 * certificate per key (stored on the token and in certs/), a first CRL, the
 * ledger, the trust files and config.json. Idempotent: when config.json
 * exists and says the same (registry, host, issuer names), nothing changes
 * and *created is false; when it says something else, MH_ERR_ALREADY_EXISTS.
 * A failed init removes what it made (the token included). */
int mh_app_init(const char *state_dir, const mh_app_init_opts *o, bool *created) MH_WARN_UNUSED;

/* ---- opening ------------------------------------------------------------ */

typedef struct mh_app mh_app;

#define MH_APP_READ_ONLY 1u /* verify only: no token, no PIN, ledger read-only */

/* Loads config.json, opens the ledger for writing with group commit, the CA
 * db, the token (logs in from pins/user.pin via pin-source, once). */
int mh_app_open(const char *state_dir, mh_app **out) MH_WARN_UNUSED;
/* The same with flags (MH_APP_READ_ONLY). */
int mh_app_open_ex(const char *state_dir, unsigned flags, mh_app **out) MH_WARN_UNUSED;
void mh_app_close(mh_app *a);

/* What the configuration says. */
const char *mh_app_registry_id(const mh_app *a);
const char *mh_app_verify_host(const mh_app *a);
/* The kinds directory in use (mh_kinds_dir()). */
const char *mh_app_kinds_dir(const mh_app *a);
/* The ledger (for lookups; the app owns it). */
mh_ledger *mh_app_ledger(mh_app *a);

typedef struct mh_app_issuer_info {
    char id[MH_APP_ID_MAX + 1];
    char name[256];
    char key_label[64];
    char profile[16]; /* "seal", "notary" */
    size_t nkinds;
    char kinds[8][40];
} mh_app_issuer_info;
/* The configured issuers (n of them, up to cap into out). */
int mh_app_issuers(const mh_app *a, mh_app_issuer_info *out, size_t cap, size_t *n) MH_WARN_UNUSED;

/* A certificate file, PEM or DER, to DER (malloc'd). */
int mh_app_cert_file(const char *path, uint8_t **der, size_t *len) MH_WARN_UNUSED;

/* Registers another certificate for an issuer (e.g. the notary's USB
 * token's): it must chain to the root, be current and not revoked, and be
 * fit to sign documents. Written to certs/ (its name in rel) and added to
 * config.json's issuers[].certs. */
int mh_app_issuer_add_cert(mh_app *a, const char *issuer_id, const uint8_t *der, size_t len,
                           char *rel, size_t rel_cap) MH_WARN_UNUSED;
/* The certificates registered for an issuer (pointers into a; up to cap),
 * their number in *n. */
int mh_app_issuer_certs(const mh_app *a, const char *issuer_id, const uint8_t **der, size_t *len,
                        size_t cap, size_t *n) MH_WARN_UNUSED;

/* Publishes the root's CRL from the CA database (every revocation and
 * hold, none lifted): signed with the root key on the token, next update
 * after `days`, written to certs/root.crl (DER, what signing and verifying
 * read) and certs/root.crl.pem, atomically. Signing already refuses a
 * revoked or held certificate from the database; verifiers learn it here. */
int mh_app_crl_publish(mh_app *a, unsigned days, uint64_t *number, size_t *nrevoked) MH_WARN_UNUSED;

/* ---- signers ------------------------------------------------------------ */

/* A signing key on a token + its certificate chain, checked against the
 * issuer policy. */
typedef struct mh_app_signer mh_app_signer;

/* issuer_id: an issuer of config.json (its name, its kinds). key_uri: NULL
 * for the issuer's configured key on the appliance token, or a key on
 * another token (a notary's USB token), whose PIN is asked once (the URI's
 * pin-source, the PIN pad, or the terminal prompt). The key's certificate
 * (stored next to it on the token) must chain to the appliance's root CA
 * and be valid now. Thread-safe to use once opened. */
int mh_app_signer_open(mh_app *a, const char *issuer_id, const char *key_uri,
                       mh_app_signer **out) MH_WARN_UNUSED;
void mh_app_signer_close(mh_app_signer *s);
/* May this signer issue documents of kind k (the issuer policy)? */
bool mh_app_signer_may_issue(const mh_app_signer *s, const mh_kind *k);

/* ---- field values ------------------------------------------------------- */

#define MH_APP_FIELDS_MAX 32
#define MH_APP_FIELDS_FILE_MAX ((size_t)64 * 1024)

typedef struct mh_app_fields {
    size_t n;
    mh_field_value v[MH_APP_FIELDS_MAX];
    char *store[MH_APP_FIELDS_MAX * 2]; /* owned copies */
} mh_app_fields;

/* Adds "ID=VALUE"; a field already given is refused (MH_ERR_INVALID_ARG). */
int mh_app_fields_add(mh_app_fields *f, const char *id_eq_value) MH_WARN_UNUSED;
/* Reads a JSON object of strings {"name": "...", ...} (at most
 * MH_APP_FIELDS_FILE_MAX bytes); a field already given is refused. */
int mh_app_fields_read(mh_app_fields *f, const char *path) MH_WARN_UNUSED;
void mh_app_fields_free(mh_app_fields *f);

/* ---- issuing ------------------------------------------------------------ */

/* Where the QR stamp goes, chosen by the signer (mohur sign --stamp
 * page,x,y[,size]): the QR square's lower-left corner in points from the
 * page's lower-left corner as displayed, and its side (0: the kind's). */
typedef struct mh_app_stamp {
    unsigned page; /* 1-based */
    double x, y, size;
} mh_app_stamp;

/* Who asked for a flow, and what the flow learns on the way that the
 * signatures it makes are for (mohurd passes one with each request; the
 * CLI passes none). */
/* Longest signed attributes a flow shows (the DER SET; what pki/cms makes
 * is under 2.5 KB: its signing-certificate-v2 refuses an issuer name above
 * about 1.8 KB). */
#define MH_APP_SATTRS_MAX 4096

/* What a signature of the issuer's key covers, so that a key outside the
 * appliance is shown what it signs (mohurd's 202, docs/daemon.md): the
 * flow fills it right before it asks for the signature, and the far side
 * (mh_app_remote_call's request) reads it while it is asked. prepared =
 * the first document_length bytes of the document given to the flow ||
 * appended; the signed attributes' message-digest is the SHA-256 of
 * prepared's /ByteRange for a PDF, the digest of the whole document for a
 * detached CAdES signature (no appended bytes, no byte range); and the
 * digest signed is the hash of signed_attrs. */
typedef struct mh_app_tbs {
    bool ready; /* filled for the signature being asked (else nothing is) */
    uint8_t signed_attrs[MH_APP_SATTRS_MAX]; /* DER, tag 0x31 */
    size_t signed_attrs_len;
    size_t document_length;  /* 0 for a document mohur rendered from fields */
    const uint8_t *appended; /* PDF: the update, /Contents empty; valid while asked */
    size_t appended_len;
    bool pdf;
    size_t byte_range[4]; /* PDF: the new signature's /ByteRange */
} mh_app_tbs;

typedef struct mh_app_request {
    /* in: who asked (mohurd: the API client), recorded in every ledger
     * entry the flow writes (mh_ledger_entry.requester); NULL or "": no one
     * named */
    const char *requester;
    /* optional out: what the issuer's signature covers, for a key outside
     * the appliance (filled while it is asked; NULL: not wanted) */
    mh_app_tbs *tbs;
    /* out: the log index of the issue entry the flow's signatures are for
     * (a new entry, the one re-made, or the document co-signed), set before
     * the first signature; a remote key's signer checks it against the
     * ledger before it signs */
    uint64_t entry_index;
    bool has_entry;
} mh_app_request;

/* An issue's outputs in memory: the signed PDF (n 1), or the .p7s, the
 * QR as PNG and as SVG and the receipt URL with its newline (n 4), in that
 * order. mh_app_outputs_free frees them. */
#define MH_APP_OUTPUTS_MAX 4
typedef struct mh_app_outputs {
    size_t n;
    uint8_t *data[MH_APP_OUTPUTS_MAX];
    size_t len[MH_APP_OUTPUTS_MAX];
} mh_app_outputs;
void mh_app_outputs_free(mh_app_outputs *o);

typedef struct mh_app_issue_req {
    const mh_kind *kind;
    /* NULL: derived: "<issuer>/<kind>/<number field>" (the field "number",
     * "act" or "case"), or a random id when the kind has none */
    const char *doc_id;
    const mh_field_value *fields;
    size_t nfields;
    /* the original document (a rendered or supplied PDF, or any file) */
    const uint8_t *doc;
    size_t doc_len;
    mh_app_signer *signer;
    /* PDF: the signed PDF; other files: OUT.p7s, OUT.qr.png, OUT.qr.svg,
     * OUT.receipt (the URL) -- all written to temp files and renamed at the
     * end. NULL when out_mem is given. */
    const char *out_path;
    /* instead of out_path: the outputs are left here, in memory, once the
     * issue succeeded (mohurd hands them to its front; nothing touches the
     * disk but the ledger and the index) */
    mh_app_outputs *out_mem;
    int64_t time; /* 0: now */
    /* doc was rendered by mohur from a kind's template (mh_template_render),
     * so the PDF signer may skip its full check of outside PDFs */
    bool rendered;
    /* optional: a font the document already carries, for the stamp's
     * caption (batch issuance passes its template's); NULL: the
     * appliance's own stamp font is embedded */
    const mh_pdf_font *stamp_font;
    /* optional: the PDF already open (mh_app_issue_precheck's), so it is
     * parsed once; the caller closes it after mh_app_issue. Use it from the
     * thread that opened it (its memory budget is that thread's). */
    mh_pdf_document *pdf;
    /* optional: the stamp's place instead of the kind's layout.stamp */
    const mh_app_stamp *stamp;
    /* optional: who asked, and where the flow tells its remote keys what
     * they sign for (mohurd) */
    mh_app_request *request;
} mh_app_issue_req;

typedef struct mh_app_issue_res {
    char doc_id[129];
    uint64_t log_index;
    char url[1024];
    unsigned qr_version;
    /* the ledger already had this document with the same digest: re-made
     * from that entry, no new entry */
    bool resumed;
    bool pdf; /* the output is a signed PDF (else .p7s + QR files) */
    /* on failure: a new ledger entry was voided (doc_id, log_index set; url
     * is the receipt made for it, if any, which verifies as voided) */
    bool voided;
    /* a party signed a document already issued: no entry, no new receipt
     * (doc_id, log_index and url are the document's) */
    bool cosigned;
} mh_app_issue_res;

/* Largest document mh_app_issue takes. */
#define MH_APP_DOC_MAX ((size_t)200 << 20)

/* THREAD-SAFE. The steps (docs/flows.md; the rules are docs/trust.md):
 * check (fields against the kind, the kind's source, the issuer's right to
 * the kind with one of its registered certificates, the id in the issuer's
 * namespace); record (a new ledger entry with the signer's fingerprint and
 * the receipt's claims digest; or the entry already there for the same
 * number when digest, issuer, kind, signer and claims are the same:
 * resumed; anything else under that number is MH_ERR_ALREADY_EXISTS);
 * receipt (made from what the entry records, signed by the registry key,
 * its QR within the kind's limit); sign (PDF: a certification signature
 * with the QR stamp and an empty signature field for each later party; a
 * .p7s + QR files otherwise); commit (outputs renamed into place). If
 * anything after a new entry fails, a void entry records that the document
 * was never delivered, and no output is left behind; the number stays free.
 * A PDF that already carries a mohur signature is co-signed instead
 * (mh_app_cosign). */
int mh_app_issue(mh_app *a, const mh_app_issue_req *r, mh_app_issue_res *res) MH_WARN_UNUSED;

/* What can be checked before the appliance is opened (no PIN): whether the
 * document will be co-signed (a PDF with a mohur signature), and for a
 * first signature the kind, its source and the fields. A PDF is opened and
 * *pdf (NULL for other files) is given to the caller, to pass on in the
 * request and close afterwards (mh_pdf_close). */
int mh_app_issue_precheck(const mh_app_issue_req *r, bool *cosign,
                          mh_pdf_document **pdf) MH_WARN_UNUSED;

/* A party signs a document already issued: it must verify as VALID; the
 * signer must be the kind's next party (by position) and not have signed
 * it already; r->kind, when given, must be the document's kind; no fields
 * or id may be given (they come from the ledger). The signature fills the
 * field the first signature prepared; no ledger entry, no new receipt. */
int mh_app_cosign(mh_app *a, const mh_app_issue_req *r, mh_app_issue_res *res) MH_WARN_UNUSED;

/* THREAD-SAFE. Co-signing with a key on another machine (mohurd's
 * /api/v1/cosign routes; the party's token never leaves its owner), in
 * three steps with no key of the appliance used and no state kept between
 * them:
 * 1. mh_app_cosign_prepare: the checks of mh_app_cosign, with the party's
 *    certificate; the document with the party's prepared field filled by an
 *    empty signature, and the SHA-256 of its /ByteRange; when 0 is now;
 * 2. the party signs those bytes: a detached CMS (`mohur cms sign --pdf`,
 *    or any PAdES signer);
 * 3. mh_app_cosign_embed: the same document, certificate and time again,
 *    and the CMS. The prepared document is made again (every check again)
 *    and the CMS put in; the result is given only when it verifies VALID as
 *    a whole, its last signature covering the whole file and made with that
 *    certificate (v is that verdict). `when` must lie within the last
 *    MH_APP_COSIGN_TTL seconds. */
#define MH_APP_COSIGN_TTL 3600
#define MH_APP_COSIGN_SKEW 300
typedef struct mh_app_cosign_prep {
    uint8_t *pdf; /* the prepared document (malloc'd) */
    size_t len;
    uint8_t digest[32]; /* SHA-256 of the bytes the party signs */
    int64_t when;       /* the signing time it was prepared with */
    size_t position;    /* the party's place among the kind's (1..) */
    char role[32];      /* the kind's name for it */
    char doc_id[129];
    char url[1024];
} mh_app_cosign_prep;
int mh_app_cosign_prepare(mh_app *a, const uint8_t *doc, size_t len, const uint8_t *cert,
                          size_t cert_len, int64_t when, mh_app_cosign_prep *out) MH_WARN_UNUSED;
void mh_app_cosign_prep_free(mh_app_cosign_prep *p);
struct mh_app_verdict;
int mh_app_cosign_embed(mh_app *a, const uint8_t *doc, size_t len, const uint8_t *cert,
                        size_t cert_len, int64_t when, const uint8_t *cms, size_t cms_len,
                        uint8_t **out, size_t *out_len, struct mh_app_verdict *v) MH_WARN_UNUSED;

/* The "issuer" named in the void entry mohur writes when signing failed
 * after the ledger entry. */
#define MH_APP_VOID_ISSUER "mohur-void"

/* Voids issue entry `index` when it is still in force: its signing was
 * interrupted (mohurd's ledger process stopped while an external key's
 * signature was awaited) and nothing was delivered. *voided: whether a
 * void entry was written (false: the entry was voided or revoked already,
 * or is not an issue entry in force). req: who asked (may be NULL). */
int mh_app_void_unfinished(mh_app *a, uint64_t index, const mh_app_request *req,
                           bool *voided) MH_WARN_UNUSED;

/* Entries whose issuer's signature is awaited (a key outside the
 * appliance): mohurd's ledger process keeps a mark, ext-<index>, in this
 * directory of the state (mode 0711) from when it asks for the signature
 * until the issue ends, signed or voided. While the mark is there the
 * receipt is the appliance's but the document is not issued yet: its
 * verdict is UNKNOWN ("NOT ISSUED YET"), never VALID. */
#define MH_APP_PENDING_DIR "pending"
/* Makes the directory (mode 0711: looked into by name, never listed by
 * others) in the state directory; mohurd's parent, before any child. */
int mh_app_pending_prepare(const char *state_dir) MH_WARN_UNUSED;
/* Marks entry index as awaiting its issuer's signature, durably (the
 * file and the directory fsync'd) before anything of it leaves. */
int mh_app_pending_mark(mh_app *a, uint64_t index) MH_WARN_UNUSED;
/* The issue ended (signed and committed, or voided): the mark goes. */
void mh_app_pending_clear(mh_app *a, uint64_t index);
/* The marked entries (a ledger process stopped while they waited), at
 * most cap of them; returns how many. */
size_t mh_app_pending_list(mh_app *a, uint64_t *index, size_t cap);
/* Whether entry index waits for its issuer's signature. A mark that cannot
 * be looked for (anything but "no such file") counts as waiting. */
bool mh_app_entry_pending(const mh_app *a, uint64_t index);

/* Appends a revoke entry (reason: an RFC 5280 CRLReason code, 0-10, not 7)
 * and returns the new status. MH_ERR_NOT_FOUND for an unknown id,
 * MH_ERR_ALREADY_EXISTS when already revoked. req (may be NULL): who
 * asked, recorded in the entry. */
int mh_app_revoke(mh_app *a, const char *doc_id, unsigned reason, const mh_app_request *req,
                  mh_ledger_status *st) MH_WARN_UNUSED;

/* The RFC 5280 name of a reason code ("keyCompromise", ...). */
const char *mh_app_reason_name(unsigned reason);
/* -1 when unknown. */
int mh_app_reason_from_name(const char *name);

/* ---- verifying ---------------------------------------------------------- */

enum mh_app_verdict_code {
    MH_APP_VALID = 0, /* signatures, receipt and ledger all agree */
    MH_APP_REVOKED,   /* genuine, but revoked (reason, date) */
    MH_APP_VOIDED,    /* recorded, but its signing failed: never issued */
    MH_APP_ALTERED,   /* signed bytes changed, or the digest differs */
    MH_APP_FORGED,    /* a signature or receipt that is not from this registry,
                         or one the trust policy does not allow */
    MH_APP_UNKNOWN,   /* a valid receipt whose document the ledger does not know */
    MH_APP_NOT_MOHUR, /* no mohur signature or receipt found */
    MH_APP_ERROR,     /* the input could not be read */
    /* everything else checks out, but the signer's revocation status
     * cannot be known: the CRL is missing, unreadable or out of date */
    MH_APP_REV_UNKNOWN
};

#define MH_APP_SIGS_MAX 8

typedef struct mh_app_sig_detail {
    char signer[256];  /* subject of the signer's certificate */
    bool integrity;    /* the bytes it covers are unchanged and the CMS verifies */
    bool covers_whole; /* it covers the whole file (PDF) */
    bool later_ok;     /* later updates only added signatures (PDF) */
    bool path_ok;      /* the signer's certificate chains to the root CA */
    char path_reason[384];
    int64_t signed_at; /* signing-time (CMS) or 0 */
    bool has_timestamp;
    int64_t timestamp;
    char detail[256];    /* one line about what failed, else empty */
    uint8_t cert_fp[32]; /* SHA-256 of the signer's certificate (0s: none) */
    bool policy_ok;      /* the trust policy allows this signer here */
    char role[32];       /* the kind's party it signed as ("issuer", "party") */
} mh_app_sig_detail;

typedef struct mh_app_verdict {
    enum mh_app_verdict_code code;
    char sentence[512]; /* one line a person understands */
    /* signatures */
    size_t nsigs;
    mh_app_sig_detail sigs[MH_APP_SIGS_MAX];
    /* the receipt */
    bool has_receipt;
    bool receipt_sig_ok;    /* signed by a trusted registry key */
    bool receipt_digest_ok; /* its digest and length match the original bytes */
    bool digest_checked;    /* there was a document to compare */
    char url[1024];
    char registry[MH_APP_ID_MAX + 1];
    char issuer[MH_APP_ID_MAX + 1];
    char issuer_name[256];
    char kind[40];
    uint64_t log_index;
    uint64_t issued_at;
    uint64_t doc_len;
    size_t nfields;
    char field_key[8][33];
    char field_val[8][201];
    /* the host the QR opens, and whether the receipt was issued for it */
    char qr_host[MH_RECEIPT_HOST_MAX + 1];
    char signed_host[MH_RECEIPT_HOST_MAX + 1];
    bool host_mismatch;
    /* the ledger */
    bool ledger_checked;
    bool ledger_known;
    char doc_id[129];
    mh_ledger_status status;
    bool voided;
    /* the entry waits for its issuer's signature (mh_app_entry_pending):
     * UNKNOWN for now; a cache must not keep this verdict */
    bool pending;
    /* a receipt checked alone: the signer the ledger entry names (its
     * registered certificate), and why it could not be trusted, if not */
    char signer_subject[256];
    char signer_problem[400];
    /* the appliance's CRL: current (next update in the future), or why not */
    bool crl_current;
    int64_t crl_this_update, crl_next_update;
    char crl_problem[200];
    /* checked by a verifier following the registry's log (no appliance:
     * mh_app_verify_followed): the checkpoint it trusts and its freshness */
    bool followed;
    uint64_t follow_size, follow_checked_at, follow_cosigned_at, follow_max_age;
    size_t follow_witnesses, follow_quorum;
    bool follow_stale;
    char follow_origin[256];
    char follow_update[300]; /* why the update before the check failed ("" if it did not) */
} mh_app_verdict;

/* Verifies a file: a PDF (its signatures and the receipt in mohur's
 * signature), or any file with its detached .p7s (p7s_path NULL: PATH.p7s;
 * the receipt from PATH.receipt when present). Returns 0 when a verdict was
 * reached (v->code says which, MH_APP_ERROR included), else an error. */
int mh_app_verify_file(mh_app *a, const char *path, const char *p7s_path,
                       mh_app_verdict *v) MH_WARN_UNUSED;
/* Verifies a scanned QR text (the receipt URL), and the document against it
 * when doc_path is given. */
int mh_app_verify_qr(mh_app *a, const char *qr_text, const char *doc_path,
                     mh_app_verdict *v) MH_WARN_UNUSED;
/* A verifier following many registries' logs (no appliance of its own;
 * docs/scale.md): the receipt of a QR text from any registry the
 * configuration (mh_follow_open's JSON) names, checked in that registry's
 * log. First the follower is brought up to date (mh_follow_update: the
 * mirror's checkpoint signed by the log key and cosigned by the quorum of
 * witnesses, the new part audited); if that fails the trusted state is
 * used and the reason shown. Then the receipt's entry must be proven in
 * the trusted tree and record the receipt's document, kind and claims
 * digest (so the log vouches for every printed field); with "receipt_keys"
 * (base64 SPKIs) for the registry in the configuration the receipt's own
 * ES256 signature must verify too. doc_path: a document to compare (a PDF
 * by the bytes the receipt names, its original; its signatures are not
 * checked here: the registry's CA is not this verifier's). A checkpoint
 * older than the registry's max_age gives MH_APP_REV_UNKNOWN (a revocation
 * since then cannot be seen); a fork shown by the mirror is MH_APP_ERROR
 * with the evidence kept in the follower's state. */
int mh_app_verify_followed(const char *config, const char *state_dir, const char *qr_text,
                           const char *doc_path, mh_app_verdict *v) MH_WARN_UNUSED;
/* The same with the configuration opened once (mohurd's front keeps it
 * open): local: offline, for mohurd's front, whose follower process
 * updates the logs and keeps a local copy of their tiles in state_dir
 * (mh_follow_open_ex, MH_FOLLOW_COPY); entries are proven from that copy,
 * the state is only read, and the follower's last failure is shown as the
 * update that failed (a fork it saw is MH_APP_ERROR). The configuration is
 * read at open (its receipt keys too): later it may be out of reach. A
 * handle opened local may be used by several threads at once. */
typedef struct mh_app_follow mh_app_follow;
int mh_app_follow_open(const char *config, const char *state_dir, bool local,
                       mh_app_follow **out) MH_WARN_UNUSED;
void mh_app_follow_close(mh_app_follow *h);
/* Its registries' states (mh_follow_status_get), for metrics. */
mh_follow *mh_app_follow_log(mh_app_follow *h);
/* Is qr_text a receipt of another registry than a's (a may be NULL)? Those
 * are the follower's to judge. */
bool mh_app_follow_takes(const mh_app *a, const mh_app_follow *h, const char *qr_text);
int mh_app_verify_follow(mh_app_follow *h, const char *qr_text, const char *doc_path,
                         mh_app_verdict *v) MH_WARN_UNUSED;
/* "valid", "revoked", "voided", "altered", "forged", "unknown",
 * "not-mohur", "error", "revocation-unknown". */
const char *mh_app_verdict_name(enum mh_app_verdict_code c);

/* ---- for mohurd: keys in another process, input in memory, credentials -- */

/* mh_app_open_ex flags beside MH_APP_READ_ONLY. mohurd's ledger process
 * opens for signing with MH_APP_NO_TOKEN: the ledger for writing and the CA
 * database, but no token; its keys are injected (mh_app_set_remote_key,
 * mh_app_signer_open_remote) and sign in the signer process. The signer
 * process opens with MH_APP_KEYS_ONLY: the token and the CA database, the
 * ledger read-only (it checks entries, it never writes them). */
#define MH_APP_NO_TOKEN 2u
#define MH_APP_KEYS_ONLY 4u

/* The appliance's own keys. */
enum mh_app_key_role { MH_APP_KEY_REGISTRY = 1, MH_APP_KEY_TSA = 2 };

/* A key whose signatures are made elsewhere (mohurd: in the signer
 * process) is given as an mh_signer, `remote`: its sign and ctx are used,
 * its algorithm and public key are taken from the key's certificate (what
 * the key implies: ECDSA, RSA PKCS#1 v1.5, Ed25519). A flow signs with a
 * copy of it whose ctx points to an mh_app_remote_call: remote's own ctx
 * and the flow's request (NULL outside one), so that the far side can
 * check what the signature is for before it signs. */
typedef struct mh_app_remote_call {
    void *ctx;                     /* remote->ctx */
    const mh_app_request *request; /* the flow's (entry_index set), or NULL */
} mh_app_remote_call;

/* The key labels config.json names (registry, TSA: "" when none). */
const char *mh_app_key_label(const mh_app *a, enum mh_app_key_role role);
/* (MH_APP_NO_TOKEN) The registry or TSA key: its certificate (as the
 * signer process read it from the token) and where its signatures are
 * made. The TSA's is optional: without it signatures are B-B. */
int mh_app_set_remote_key(mh_app *a, enum mh_app_key_role role, const uint8_t *cert, size_t len,
                          const mh_signer *remote) MH_WARN_UNUSED;
/* (MH_APP_NO_TOKEN) An issuer's signer whose key is elsewhere: cert is the
 * certificate stored next to the key (the signer process opened it with
 * mh_app_signer_open, which checked the CA database); it is checked here
 * again against the path, the CRL and the issuer policy. */
int mh_app_signer_open_remote(mh_app *a, const char *issuer_id, const uint8_t *cert, size_t len,
                              const mh_signer *remote, mh_app_signer **out) MH_WARN_UNUSED;

/* (MH_APP_NO_TOKEN) An issuer's signer whose key is outside the appliance:
 * a notary's USB token on the notary's own machine (mohurd's first
 * signature with an external key). As mh_app_signer_open_remote (the
 * path, the CRL, the issuer's registered certificates), and every
 * signature far->sign returns is verified with the certificate's key over
 * the digest asked for before the flow uses it (MH_ERR_VERIFY_FAILED
 * otherwise; the flow then voids its entry). far->ctx is passed to
 * far->sign as an mh_app_remote_call's ctx, with the flow's request. */
int mh_app_signer_open_external(mh_app *a, const char *issuer_id, const uint8_t *cert, size_t len,
                                const mh_signer *far, mh_app_signer **out) MH_WARN_UNUSED;

/* (MH_APP_KEYS_ONLY, the signer process) The certificate of an appliance
 * key or of a signer (malloc'd copy), and their mh_signers (the token's):
 * the far side of a remote key. NULL when the key is not there. */
int mh_app_key_cert(mh_app *a, enum mh_app_key_role role, uint8_t **der,
                    size_t *len) MH_WARN_UNUSED;
const mh_signer *mh_app_key_signer(const mh_app *a, enum mh_app_key_role role);
int mh_app_signer_cert(const mh_app_signer *s, uint8_t **der, size_t *len) MH_WARN_UNUSED;
const mh_signer *mh_app_signer_key(const mh_app_signer *s);
/* The SHA-256 of a signer's certificate (what ledger entries record). */
void mh_app_signer_fp(const mh_app_signer *s, uint8_t fp[32]);
/* Builds the stamp's caption font now (otherwise made on first use), for
 * a process that cannot read /usr/share/fonts later (mohurd's front). */
void mh_app_stamp_font_load(mh_app *a);
/* Is the appliance token there and answering? */
bool mh_app_token_ok(mh_app *a);
/* Signs a checkpoint note body with the registry key (C2SP signed note,
 * ECDSA P-256), named `origin`: the mh_ledger_sign_fn of the signer. */
int mh_app_sign_note(mh_app *a, const char *origin, const char *body, size_t body_len, char *note,
                     size_t cap, size_t *note_len) MH_WARN_UNUSED;

/* What to verify, all in memory (mohurd's uploads). Exactly one of: a PDF
 * (doc, no p7s); any file with its detached signature (doc + p7s, and the
 * receipt URL from its .receipt file or the QR in qr_text); a receipt text
 * alone (qr_text), optionally with the document (doc) to compare. */
typedef struct mh_app_verify_input {
    const uint8_t *doc;
    size_t doc_len;
    const uint8_t *p7s;
    size_t p7s_len;
    const char *qr_text;
    /* the registries this appliance follows (NULL: none): a receipt of
     * another registry than its own, alone or with its document, is judged
     * in that registry's log (mh_app_verify_follow) */
    mh_app_follow *follow;
} mh_app_verify_input;
/* The same verdicts as mh_app_verify_file and mh_app_verify_qr. */
int mh_app_verify_mem(mh_app *a, const mh_app_verify_input *in, mh_app_verdict *v) MH_WARN_UNUSED;

/* The one issuer of config.json that may issue kind_id (a request that
 * names none). MH_ERR_INVALID_ARG, saying so, when none or several may. */
int mh_app_issuer_for_kind(const mh_app *a, const char *kind_id,
                           mh_app_issuer_info *out) MH_WARN_UNUSED;

/* A witness's cosignature line ("\u2014 name base64") of stored checkpoint seq
 * (UINT64_MAX: the latest): verified with one of the trusted witnesses'
 * cosignature/v1 verifier keys (vkeys, text) and stored beside it. witness
 * gets the name of the witness that signed. MH_ERR_VERIFY_FAILED when no
 * trusted witness signed that checkpoint so; MH_ERR_ALREADY_EXISTS for a
 * repeat. */
#define MH_APP_WITNESSES_MAX 8
int mh_app_witness_cosign(mh_app *a, uint64_t seq, const char *line, size_t len,
                          const char *const *vkeys, size_t nvkeys, char *witness,
                          size_t cap) MH_WARN_UNUSED;

/* The verdict as one JSON object (malloc'd, NUL-terminated, no newline):
 * what `mohur verify --json` prints and mohurd answers. */
int mh_app_verdict_json(const mh_app_verdict *v, char **out, size_t *len) MH_WARN_UNUSED;

/* ---- API credentials (mohurd's clients; `mohur api-token`) --------------- */

#define MH_APP_CRED_MAX 256
#define MH_APP_CRED_FILE "api-tokens.json"

/* A client of the API: a bearer token (stored as the SHA-256 of its
 * secret) or a TLS client certificate of mohur's CA (stored as the SHA-256
 * of the certificate), with its role. */
typedef struct mh_app_credential {
    char id[17];                    /* 16 lower-case hex digits */
    char name[65];                  /* who it is for */
    char role[16];                  /* "admin", "issuer", "notary", "auditor" */
    char issuer[MH_APP_ID_MAX + 1]; /* issuer/notary: the issuer it acts for */
    size_t nkinds;                  /* issuer: the kinds it may issue (0: the issuer's all) */
    char kinds[8][40];
    bool is_cert;
    uint8_t hash[32];
    int64_t created;
    bool revoked;
    int64_t revoked_at;
    unsigned rate; /* requests per second it may make; 0: the daemon's default */
} mh_app_credential;

/* Is `role` one of the four, and does the rest fit it (an issuer for
 * issuer and notary, none for admin and auditor)? */
int mh_app_cred_check_role(const mh_app_credential *c) MH_WARN_UNUSED;
/* Adds a token credential (c: name, role, issuer, kinds, rate) to the state
 * directory's api-tokens.json; c->id and the secret ("mht_<id>_<secret>",
 * shown once, never stored) are filled in. */
int mh_app_cred_create(const char *state_dir, mh_app_credential *c, char *secret,
                       size_t cap) MH_WARN_UNUSED;
/* Adds a certificate credential (the DER certificate of a client). */
int mh_app_cred_add_cert(const char *state_dir, mh_app_credential *c, const uint8_t *der,
                         size_t len) MH_WARN_UNUSED;
/* Every credential (malloc'd array). A missing file is an empty list. */
int mh_app_cred_list(const char *state_dir, mh_app_credential **out, size_t *n) MH_WARN_UNUSED;
int mh_app_cred_revoke(const char *state_dir, const char *id) MH_WARN_UNUSED;
/* Finds the live credential a bearer token or a certificate belongs to
 * (constant-time comparison). MH_ERR_PERMISSION when none. */
int mh_app_cred_find_token(const mh_app_credential *list, size_t n, const char *token,
                           const mh_app_credential **who) MH_WARN_UNUSED;
int mh_app_cred_find_cert(const mh_app_credential *list, size_t n, const uint8_t *der, size_t len,
                          const mh_app_credential **who) MH_WARN_UNUSED;

#endif
