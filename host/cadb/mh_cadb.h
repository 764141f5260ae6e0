/*
 * mh_cadb.h - the certificate authority's durable database (LMDB).
 *
 * One LMDB environment per CA, in <ca dir>/db/, with four named databases:
 *   config   text key -> value: the CA certificate (DER), the key's PKCS#11
 *            URI (never a PIN), its subject, CRL/AIA URLs, policy OIDs,
 *            validity defaults, the parent's chain, the next CRL number
 *   certs    serial (raw INTEGER bytes) -> issued certificate record
 *   revoked  serial -> revocation time and reason
 *   crls     CRL number (8 bytes big-endian) -> CRL (DER)
 * Every change is one committed (fsync'd) write transaction: after a crash
 * the database holds either all of a change or none of it. docs/ca.md
 * gives the record layouts.
 */
#ifndef MH_CADB_H
#define MH_CADB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mh_common.h"
#include "mh_pki.h"

typedef struct mh_cadb mh_cadb;

/* Opens the database of the CA in dir; with create, makes dir (0700) and
 * the database when missing. Without create, a missing database is
 * MH_ERR_NOT_FOUND with a sentence that says to run `mohur ca init`. */
int mh_cadb_open(const char *dir, bool create, mh_cadb **out) MH_WARN_UNUSED;
void mh_cadb_close(mh_cadb *db);

typedef struct mh_cadb_kv {
    const char *key;
    const void *val;
    size_t len;
} mh_cadb_kv;

/* Writes the CA's configuration in one transaction and sets the next CRL
 * number to 1. Refuses (MH_ERR_ALREADY_EXISTS) when the database already
 * holds a CA ("ca_cert"). */
int mh_cadb_init(mh_cadb *db, const mh_cadb_kv *kv, size_t n) MH_WARN_UNUSED;
/* Reads a configuration value; *val is malloc'd with a NUL after it. */
int mh_cadb_get(mh_cadb *db, const char *key, uint8_t **val, size_t *len) MH_WARN_UNUSED;

#define MH_CADB_SUBJECT_MAX 1024

typedef struct mh_cadb_cert {
    uint8_t serial[20];
    size_t serial_len;
    int profile; /* enum mh_ca_profile */
    int64_t not_before, not_after, issued_at;
    char subject[MH_CADB_SUBJECT_MAX];
    uint8_t *der; /* malloc'd when read */
    size_t der_len;
    bool revoked;
    int64_t revoked_at;
    int reason;
} mh_cadb_cert;

/* Records an issued certificate. A serial already recorded is refused
 * (MH_ERR_ALREADY_EXISTS): no serial is ever issued twice. */
int mh_cadb_cert_add(mh_cadb *db, const mh_cadb_cert *c) MH_WARN_UNUSED;
/* One certificate by serial (MH_ERR_NOT_FOUND if none); free c->der. */
int mh_cadb_cert_get(mh_cadb *db, const uint8_t *serial, size_t len,
                     mh_cadb_cert *c) MH_WARN_UNUSED;
/* Every certificate in serial order, with revocation status. */
int mh_cadb_cert_list(mh_cadb *db, mh_cadb_cert **out, size_t *n) MH_WARN_UNUSED;
void mh_cadb_cert_list_free(mh_cadb_cert *list, size_t n);

/* Revokes an issued certificate. Unknown serial: MH_ERR_NOT_FOUND;
 * already revoked: MH_ERR_ALREADY_EXISTS; both with a sentence. A
 * certificate on hold (certificateHold) may be revoked for another reason
 * (RFC 5280 5.3.1). */
int mh_cadb_revoke(mh_cadb *db, const uint8_t *serial, size_t len, int64_t when,
                   int reason) MH_WARN_UNUSED;
/* The revoked certificates as CRL entries (malloc'd; free()). */
/* Lifts a hold: the certificate is no longer listed (the next full CRL
 * omits it, RFC 5280's removeFromCRL for a complete CRL). Only a hold can be
 * lifted: a revoked certificate gives MH_ERR_PERMISSION; one not listed,
 * MH_ERR_NOT_FOUND. */
int mh_cadb_release(mh_cadb *db, const uint8_t *serial, size_t len) MH_WARN_UNUSED;
int mh_cadb_revoked(mh_cadb *db, mh_crl_entry **out, size_t *n) MH_WARN_UNUSED;

/* The number the next CRL must carry. */
int mh_cadb_crl_next(mh_cadb *db, uint64_t *number) MH_WARN_UNUSED;
/* Stores a CRL and advances the next number, in one transaction. Refuses a
 * number other than the next one (another process issued a CRL first). */
int mh_cadb_crl_store(mh_cadb *db, uint64_t number, const uint8_t *der, size_t len) MH_WARN_UNUSED;
/* The newest CRL (MH_ERR_NOT_FOUND if none yet); *der is malloc'd. */
int mh_cadb_crl_latest(mh_cadb *db, uint64_t *number, uint8_t **der, size_t *len) MH_WARN_UNUSED;

#endif
