/*
 * ledger_who.c - prints every ledger entry as "<index> <type> <doc_id>
 * <requester or ->", reading the real LMDB files read-only (beside a
 * running mohurd): what the daemon tests compare with the API's answers.
 */
#include <stdio.h>

#include "mh_ledger.h"

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: ledger_who LEDGER-DIR\n");
        return 2;
    }
    mh_ledger_opts o = {.read_only = true};
    mh_ledger *l = NULL;
    int rc = mh_ledger_open(argv[1], &o, &l);
    if (rc) {
        fprintf(stderr, "ledger_who: %s\n", mh_err_message(rc));
        return 1;
    }
    uint64_t size = 0;
    uint8_t root[MH_LEDGER_HASH_LEN];
    rc = mh_ledger_size(l, &size, root);
    for (uint64_t i = 0; !rc && i < size; i++) {
        mh_ledger_entry e;
        if ((rc = mh_ledger_get(l, i, &e)) != 0)
            break;
        printf("%llu %s %s %s\n", (unsigned long long)i, mh_ledger_type_name(e.type), e.doc_id,
               e.requester[0] ? e.requester : "-");
    }
    mh_ledger_close(l);
    if (rc) {
        fprintf(stderr, "ledger_who: %s\n", mh_err_message(rc));
        return 1;
    }
    return 0;
}
