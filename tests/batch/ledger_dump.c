/*
 * ledger_dump.c - prints every entry of a ledger, one line each, for the
 * batch tests to count with awk:
 *   <index> issue <doc_id> <digest hex> <doc_len>
 *   <index> revoke <doc_id> <reason> <revoked index>
 * Opens the ledger read-only (real LMDB files), so it can run beside a
 * writer.
 */
#include <stdio.h>
#include <stdlib.h>

#include "mh_ledger.h"

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: ledger_dump LEDGER-DIR\n");
        return 2;
    }
    mh_ledger_opts o = {.read_only = true};
    mh_ledger *l = NULL;
    int rc = mh_ledger_open(argv[1], &o, &l);
    if (rc) {
        fprintf(stderr, "ledger_dump: %s\n", mh_err_message(rc));
        return 1;
    }
    uint64_t size = 0;
    uint8_t root[MH_LEDGER_HASH_LEN];
    rc = mh_ledger_size(l, &size, root);
    for (uint64_t i = 0; !rc && i < size; i++) {
        mh_ledger_entry e;
        rc = mh_ledger_get(l, i, &e);
        if (rc)
            break;
        if (e.type == MH_LEDGER_ISSUE) {
            printf("%llu issue %s ", (unsigned long long)i, e.doc_id);
            for (size_t k = 0; k < sizeof e.digest; k++)
                printf("%02x", e.digest[k]);
            printf(" %llu\n", (unsigned long long)e.doc_len);
        } else if (e.type == MH_LEDGER_VOID) {
            printf("%llu void %s %llu\n", (unsigned long long)i, e.doc_id,
                   (unsigned long long)e.revoked_index);
        } else {
            printf("%llu revoke %s %u %llu\n", (unsigned long long)i, e.doc_id, e.reason,
                   (unsigned long long)e.revoked_index);
        }
    }
    if (rc)
        fprintf(stderr, "ledger_dump: %s\n", mh_err_message(rc));
    mh_ledger_close(l);
    return rc ? 1 : 0;
}
