/*
 * seam.c - the ledger process sees the entries its flows write.
 *
 * TEMPORARY SEAM (with host/app/pk_remote.c). mh_app_issue and
 * mh_app_revoke write their ledger entries themselves; mohurd links with
 * -Wl,--wrap=mh_ledger_submit,--wrap=mh_ledger_lookup_id so that, on the
 * thread doing the flow, (1) every entry records who asked (the API client,
 * mh_ledger_entry.requester) and (2) the log index of the issue entry a
 * signature is for is known, for the signer to check against the ledger
 * before it signs. When host/app takes a request context (the structure
 * issue's mh_signer and named steps), this file goes away.
 */
#include "mohurd.h"

#include <stdio.h>
#include <string.h>

#include "mh_ledger.h"

_Thread_local mhd_ctx mhd_cur;
mhd_ctx mhd_batch_ctx;

int __real_mh_ledger_submit(mh_ledger *l, const mh_ledger_entry *e, uint64_t *idx);
int __wrap_mh_ledger_submit(mh_ledger *l, const mh_ledger_entry *e, uint64_t *idx);
int __real_mh_ledger_lookup_id(mh_ledger *l, const char *doc_id, mh_ledger_status *st);
int __wrap_mh_ledger_lookup_id(mh_ledger *l, const char *doc_id, mh_ledger_status *st);

int __wrap_mh_ledger_submit(mh_ledger *l, const mh_ledger_entry *e, uint64_t *idx)
{
    mh_ledger_entry c = *e;
    const char *who = mhd_cur.requester[0] ? mhd_cur.requester : mhd_batch_ctx.requester;
    if (!c.requester[0] && who[0])
        snprintf(c.requester, sizeof c.requester, "%s", who);
    int rc = __real_mh_ledger_submit(l, &c, idx);
    if (rc == 0 && c.type == MH_LEDGER_ISSUE && idx) {
        mhd_cur.index = *idx;
        mhd_cur.have_index = true;
    }
    return rc;
}

int __wrap_mh_ledger_lookup_id(mh_ledger *l, const char *doc_id, mh_ledger_status *st)
{
    int rc = __real_mh_ledger_lookup_id(l, doc_id, st);
    /* an entry the flow will re-use (the same document again) */
    if (rc == 0 && !st->voided && !st->revoked) {
        mhd_cur.index = st->issue_index;
        mhd_cur.have_index = true;
    }
    return rc;
}
