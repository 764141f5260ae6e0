/*
 * mh_batch.h - batch issuance: documents from a roster, as a pipeline.
 *
 * mh_batch_run() reads the rows of a roster (CSV or JSON, host/doc), checks
 * each against the kind, renders it from a template built once, and issues
 * it with mh_app_issue() (ledger entry, receipt, QR stamp, PAdES signature,
 * output renamed into place) on several worker threads at once, so that
 * rendering, signing, the ledger's group commits and file writes overlap.
 *
 * Each row's document id comes from the row itself ("<issuer>/<kind>/<the
 * number field>"), so a re-run maps every row to the same id and file:
 *   - the output file is there and begins with exactly the bytes this row
 *     renders to (a signed PDF is the original plus incremental updates):
 *     skipped, counted as already issued;
 *   - the ledger has the id with the same digest but the file is missing:
 *     re-made by mh_app_issue from that entry (no new ledger entry);
 *   - the id is known with other contents: a conflict, reported for that
 *     row;
 *   - the id was voided (its signing failed after the ledger entry, e.g.
 *     the token was pulled out): the ledger never issues an id twice, so
 *     the row is issued under "<id>#2" (then "#3", ... up to 9 tries); the
 *     printed number stays the same, the file name too;
 *   - the id was revoked by an operator: reported for that row.
 * A bad row is reported with its line number and does not stop the others.
 * A fatal problem (the token removed, the PIN locked, the ledger or the disk
 * failing) stops the batch: documents in flight finish or are voided by
 * mh_app_issue, nothing half-written is left behind.
 */
#ifndef MH_BATCH_H
#define MH_BATCH_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "mh_app.h"
#include "mh_doc.h"

#define MH_BATCH_MAX_JOBS 64
#define MH_BATCH_BAD_LINES 20 /* bad rows whose line numbers are kept */

/* One row's outcome, for a caller that reports rows one by one. */
typedef struct mh_batch_row {
    unsigned long line; /* CSV line (the row's first), or JSON row number */
    const char *id;     /* the document id, or NULL when the row had none */
    const char *file;   /* the output file, or NULL */
    const char *url;    /* the receipt URL when the row was (re-)made, else NULL */
    /* "issued", "already issued", "re-made", "bad", "conflict", "voided",
     * "failed" */
    const char *result;
    const char *reason; /* why it was not issued (a sentence), else NULL */
} mh_batch_row;

typedef struct mh_batch_opts {
    const mh_kind *kind;
    const char *roster;      /* path of the roster (.csv or .json) */
    const char *issuer_id;   /* the issuer ("bdu"): first part of document ids */
    const char *issuer_name; /* printed on the document (the template) */
    const char *font_path;   /* NULL: the default font */
    const char *out_dir;     /* where DIR/<id made safe>.pdf go */
    mh_app *app;             /* NULL: render only (the benchmark's ceiling) */
    mh_app_signer *signer;
    const char *requester; /* who asked (mohurd), recorded in each entry; NULL: none */
    unsigned jobs;         /* worker threads; 0: eight per core */
    int progress;          /* 1: a progress bar (a terminal), 0: a line every 10%, -1: none */
    FILE *log;             /* row errors and progress go here (NULL: stderr) */
    int64_t time;          /* issue time for every document; 0: now */
    /* Set to non-zero (e.g. by a SIGINT handler) to stop: documents in
     * flight are finished, no new ones are started. */
    volatile sig_atomic_t *stop;
    /* Optional: called once per row when its outcome is known, from any
     * worker thread but one call at a time. */
    void (*on_row)(void *ctx, const mh_batch_row *row);
    void *row_ctx;
} mh_batch_opts;

typedef struct mh_batch_stats {
    size_t rows;        /* rows in the roster */
    size_t issued;      /* new ledger entries with their files */
    size_t already;     /* already issued, file present: skipped */
    size_t remade;      /* in the ledger, file missing: re-made */
    size_t rendered;    /* render-only mode: documents rendered */
    size_t bad;         /* rows that are bad (fields, rendering, duplicates); the
                           rows not issued are bad + conflicts + voided + failed */
    size_t conflicts;   /* ids issued before with other contents */
    size_t voided;      /* failed after the ledger entry: voided */
    size_t failed;      /* other failures (fatal ones included) */
    size_t not_started; /* rows left when the batch stopped */
    uint64_t bytes;     /* bytes of rendered documents */
    unsigned long bad_lines[MH_BATCH_BAD_LINES];
    size_t nbad_lines;
    double seconds;
    unsigned jobs;
    bool interrupted;    /* stopped by opts.stop */
    int fatal;           /* 0, or the error that stopped the batch */
    char fatal_msg[512]; /* its sentence */
} mh_batch_stats;

/* What a run made (issued + re-made) per second of it; 0 when it did not
 * run. And its time in milliseconds. The CLI and mohurd report both. */
double mh_batch_rate(const mh_batch_stats *st);
unsigned long long mh_batch_elapsed_ms(const mh_batch_stats *st);

/* Runs a batch. Returns 0 when the batch ran through (rows may still have
 * failed: see the stats), or an error that prevented or stopped it (opening
 * the roster, building the template, the out directory, a fatal token or
 * ledger problem: then st->fatal and st->fatal_msg say what). */
int mh_batch_run(const mh_batch_opts *o, mh_batch_stats *st) MH_WARN_UNUSED;

/* The file name (without directory) for a document id: letters, digits, '-'
 * and '.' kept, '/' as '_', every other byte as "+XX" (so distinct ids give
 * distinct names), ".pdf" appended; a name too long is cut and ends in a
 * hash of the id. */
int mh_batch_file_name(const char *doc_id, char *buf, size_t cap) MH_WARN_UNUSED;

#endif
