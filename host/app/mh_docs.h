/*
 * mh_docs.h - what was issued: the private index beside the ledger, and the
 * everyday commands over it (mohur docs list|search|show|export|reprint|
 * reindex|prune). docs/documents.md says what the index holds and why.
 *
 * The ledger is the truth about documents (id, kind, issuer, time, digest,
 * status) but holds no printed fields: its entries are published as tiles,
 * and an entry only carries a digest of the receipt's claims. The index is
 * an LMDB environment in STATE/index (mode 0700, never shared with the
 * verifiers' group) that keeps, per document id, the printed fields, the
 * output file, the receipt URL and, when the archive is on, where the
 * archived copy is. mh_app_issue() records every delivered document through
 * mh_docs_note_issued(); a lost index is rebuilt from the signed documents
 * (mh_docs_reindex_file: each is verified against the ledger first).
 *
 * Every function returns 0 or a negative MH_ERR_* code with a sentence for
 * mh_err_message().
 */
#ifndef MH_DOCS_H
#define MH_DOCS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mh_app.h"

#define MH_DOCS_FIELDS_MAX 16
#define MH_DOCS_TEXT_MAX 8192 /* all printed values of one document */

typedef struct mh_docs_record {
    char doc_id[MH_LEDGER_ID_MAX + 1];
    uint64_t log_index;
    uint64_t issued_at; /* the ledger entry's time (Unix seconds, UTC) */
    char kind[MH_LEDGER_KIND_MAX + 1];
    char issuer[MH_APP_ID_MAX + 1];
    /* the status now: "valid", "revoked" or "voided" */
    const char *status;
    unsigned reason;     /* revoked: the RFC 5280 reason code */
    uint64_t revoked_at; /* revoked or voided: when */
    /* from the index (false: the document was issued before the index
     * existed or the index was lost: run 'mohur docs reindex') */
    bool indexed;
    bool rendered; /* made by mohur from the kind's template */
    char file[1024];
    char url[1024];
    char archive[256]; /* the archived copy, relative to the state; "" none */
    size_t nfields;
    const char *field_key[MH_DOCS_FIELDS_MAX];
    const char *field_val[MH_DOCS_FIELDS_MAX];
    char text[MH_DOCS_TEXT_MAX]; /* the strings field_key/val point into */
} mh_docs_record;

typedef struct mh_docs_filter {
    const char *kind;   /* NULL: any */
    const char *issuer; /* NULL: any */
    /* "valid", "revoked", "voided", "any"; NULL: valid and revoked (a voided
     * document was never delivered) */
    const char *status;
    int64_t from, to; /* issue time, inclusive; 0: open */
    /* a text the id or a printed field contains, without regard to case
     * (Latin, Azerbaijani and Cyrillic letters; I, ı, İ and i are one) */
    const char *text;
} mh_docs_filter;

/* Calls cb for every issue entry of the ledger that passes f, in log order;
 * a non-zero return of cb stops the walk and is returned. */
int mh_docs_query(mh_app *a, const mh_docs_filter *f, int (*cb)(void *ctx, const mh_docs_record *r),
                  void *ctx) MH_WARN_UNUSED;
/* One document by id (MH_ERR_NOT_FOUND when the ledger does not know it). */
int mh_docs_get(mh_app *a, const char *doc_id, mh_docs_record *r) MH_WARN_UNUSED;
/* True when r passes f (what mh_docs_query applies). */
bool mh_docs_match(const mh_docs_record *r, const mh_docs_filter *f);

/* THE HOOK of the issue flow: after a document was delivered (outputs in
 * place), records its printed fields, file and URL in the index and, when
 * the archive is on (config.json "archive"), a copy of a supplied document's
 * signed output. Never fails the issue: a document the index missed shows
 * in 'mohur docs list' without its fields until 'mohur docs reindex'. */
void mh_docs_note_issued(mh_app *a, const mh_app_issue_req *r, const mh_app_issue_res *res);

/* Rebuilds the index record of one signed document (a PDF, or a file with
 * its .p7s and .receipt): it must verify against this appliance (VALID or
 * REVOKED); its receipt's printed fields are recorded. */
int mh_docs_reindex_file(mh_app *a, const char *path, mh_docs_record *r) MH_WARN_UNUSED;

typedef struct mh_docs_reprint_res {
    bool resigned; /* re-made: a new signature over the same original bytes */
    bool copied;   /* the archived copy: the same bytes as delivered */
    char out[1024];
    char url[1024];
} mh_docs_reprint_res;

/* Makes a document again by its id (docs/documents.md): a rendered one is
 * rendered again from its indexed fields, which must give the original
 * bytes the ledger names, and signed again (same receipt claims, a new
 * signature: mh_app_issue re-makes it from its entry); a supplied one is
 * copied from the archive. key_uri: the key that issued it when not the
 * issuer's appliance key. The appliance must be open for signing for a
 * rendered document. */
int mh_docs_reprint(mh_app *a, const char *doc_id, const char *key_uri, const char *out_path,
                    mh_docs_reprint_res *res) MH_WARN_UNUSED;

/* The archive's settings (config.json "archive": {"keep_days": N}). */
bool mh_docs_archive_enabled(mh_app *a, unsigned *keep_days);
/* Removes archived copies older than the retention (keep_days after the
 * issue), and of voided documents. */
int mh_docs_prune(mh_app *a, int64_t now, size_t *removed) MH_WARN_UNUSED;

/* "valid", "revoked", "voided". */
const char *mh_docs_status_name(const mh_ledger_status *st);

#endif
