/*
 * mh_app_web.h - what the public verification page (host/web) needs from
 * the appliance beyond mh_app.h: the registry keys as SubjectPublicKeyInfo
 * (shown on the page and embedded in the offline verifier, so a browser
 * can check a receipt's signature itself), and the page's verdict of a
 * receipt URL with the signer the ledger entry names checked now. A second
 * header of host/app (as mh_batch.h is); implemented in web_data.c.
 */
#ifndef MH_APP_WEB_H
#define MH_APP_WEB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mh_app.h"

/* A P-256 SubjectPublicKeyInfo in DER is always 91 bytes. */
#define MH_APP_WEB_SPKI_LEN 91

typedef struct mh_app_web_key {
    uint8_t kid[MH_RECEIPT_KID_LEN]; /* SHA-256(spki)[:8], the receipt's kid */
    uint8_t spki[MH_APP_WEB_SPKI_LEN];
} mh_app_web_key;

/* The keys this registry trusts for receipts (config.json
 * trust.registry_certs), up to cap of them; their number in *n. */
int mh_app_web_registry_keys(const mh_app *a, mh_app_web_key *out, size_t cap,
                             size_t *n) MH_WARN_UNUSED;

/* The document signer the ledger entry names, as the page shows it. */
typedef struct mh_app_web_signer {
    bool known; /* the entry's certificate is registered for the issuer */
    char subject[256];
    char issuer[256]; /* who certified it (this registry's root CA) */
    char root[256];   /* the root CA's subject */
    int64_t not_before, not_after;
    bool path_ok;     /* chains to the root at the issue time, not revoked by the current CRL */
    bool rev_unknown; /* the CRL is missing, unreadable or out of date */
    char reason[384]; /* why not, when not path_ok */
    uint8_t fp[32];   /* SHA-256 of the certificate */
} mh_app_web_signer;

/* The verification page's verdict of a receipt URL (the QR text as the
 * browser asked for it): mh_app_verify_qr(), which decides everything
 * (docs/trust.md: for a receipt alone, the signer its ledger entry names is
 * checked at the issue time against a CRL current now), and, in *s (may be
 * NULL), that signer as the page shows it. Returns 0 when a verdict was
 * reached. */
int mh_app_web_verify(mh_app *a, const char *url, mh_app_verdict *v,
                      mh_app_web_signer *s) MH_WARN_UNUSED;

#endif
