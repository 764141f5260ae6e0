/*
 * revoke.c - revoking a document: a revoke entry in the ledger.
 */
#include "app_int.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include <mbedtls/sha256.h>

static const char *const reason_names[] = {
    "unspecified",   "keyCompromise",        "cACompromise",    "affiliationChanged",
    "superseded",    "cessationOfOperation", "certificateHold", NULL,
    "removeFromCRL", "privilegeWithdrawn",   "aACompromise"};

const char *mh_app_reason_name(unsigned reason)
{
    if (reason < sizeof reason_names / sizeof reason_names[0] && reason_names[reason])
        return reason_names[reason];
    return "unknown";
}

int mh_app_reason_from_name(const char *name)
{
    if (!name)
        return -1;
    for (size_t i = 0; i < sizeof reason_names / sizeof reason_names[0]; i++)
        if (reason_names[i] && strcmp(reason_names[i], name) == 0)
            return (int)i;
    return -1;
}

int mh_app_revoke(mh_app *a, const char *doc_id, unsigned reason, const mh_app_request *req,
                  mh_ledger_status *st)
{
    int rc;
    mh_ledger_status cur;
    mh_ledger_entry e;
    uint64_t idx = 0;

    if (a->flags & (MH_APP_READ_ONLY | MH_APP_KEYS_ONLY)) {
        mh_err_set(MH_ERR_INVALID_ARG,
                   "the appliance was opened for verifying only; open it for signing to revoke");
        return MH_ERR_INVALID_ARG;
    }
    if (!doc_id || !doc_id[0] || strlen(doc_id) > MH_LEDGER_ID_MAX) {
        mh_err_set(MH_ERR_INVALID_ARG, "a document id is 1 to %d bytes", MH_LEDGER_ID_MAX);
        return MH_ERR_INVALID_ARG;
    }
    if (reason > 10 || reason == 7) {
        mh_err_set(MH_ERR_INVALID_ARG,
                   "revocation reason %u is not an RFC 5280 reason code (0-6, 8-10)", reason);
        return MH_ERR_INVALID_ARG;
    }
    rc = mh_ledger_lookup_id(a->ledger, doc_id, &cur);
    if (rc == MH_ERR_NOT_FOUND) {
        mh_err_set(rc,
                   "no document '%.128s' is in this appliance's ledger; check the id (mohur "
                   "verify shows it)",
                   doc_id);
        return rc;
    }
    if (rc)
        return rc;
    if (cur.revoked) {
        mh_err_set(MH_ERR_ALREADY_EXISTS,
                   "document '%.128s' is already revoked (reason %s, log index %llu)", doc_id,
                   mh_app_reason_name(cur.reason), (unsigned long long)cur.revoke_index);
        return MH_ERR_ALREADY_EXISTS;
    }
    memset(&e, 0, sizeof e);
    e.type = MH_LEDGER_REVOKE;
    snprintf(e.doc_id, sizeof e.doc_id, "%s", doc_id);
    snprintf(e.issuer, sizeof e.issuer, "%s", a->registry);
    mbedtls_sha256_ret(a->regkeys[0].point, sizeof a->regkeys[0].point, e.signer_fp, 0);
    e.time = (uint64_t)time(NULL);
    e.reason = reason;
    if (req && req->requester)
        snprintf(e.requester, sizeof e.requester, "%s", req->requester);
    if ((rc = mh_ledger_submit(a->ledger, &e, &idx)) != 0)
        return rc;
    if (st)
        return mh_ledger_lookup_id(a->ledger, doc_id, st);
    return MH_OK;
}
