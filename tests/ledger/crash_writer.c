/* crash_writer.c - helper of test_crash: appends forever from 4 threads
 * through group commit and, after each append is acknowledged (committed),
 * writes "<index> <document id>\n" to the acknowledgement file. The test
 * kills it with SIGKILL at random moments.
 *   crash_writer LEDGER_DIR ACK_FILE */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mh_ledger.h"

static mh_ledger *ledger;
static int ack_fd;

static void *run(void *arg)
{
    int t = (int)(intptr_t)arg;
    for (unsigned long n = 0;; n++) {
        mh_ledger_entry e;
        uint64_t idx;
        char line[200];
        memset(&e, 0, sizeof e);
        e.type = MH_LEDGER_ISSUE;
        snprintf(e.doc_id, sizeof e.doc_id, "k-%ld-%d-%lu", (long)getpid(), t, n);
        snprintf(e.kind, sizeof e.kind, "act");
        snprintf(e.issuer, sizeof e.issuer, "Notary %d", t);
        memset(e.digest, (int)(n & 0xff), sizeof e.digest);
        e.doc_len = n;
        e.time = (uint64_t)time(NULL);
        int rc = mh_ledger_submit(ledger, &e, &idx);
        if (rc) {
            fprintf(stderr, "crash_writer: %s\n", mh_err_message(rc));
            exit(2);
        }
        int k = snprintf(line, sizeof line, "%llu %s\n", (unsigned long long)idx, e.doc_id);
        if (write(ack_fd, line, (size_t)k) != k)
            exit(3);
    }
    return NULL;
}

int main(int argc, char **argv)
{
    mh_ledger_opts o;
    pthread_t th[4];
    int rc;
    if (argc != 3)
        return 2;
    memset(&o, 0, sizeof o);
    o.group_commit = true;
    /* the killed predecessor's lock goes with it; LMDB's own lock may need
     * a moment */
    for (int tries = 0;; tries++) {
        rc = mh_ledger_open(argv[1], &o, &ledger);
        if (rc != MH_ERR_LEDGER_LOCKED || tries > 500)
            break;
        usleep(10000);
    }
    if (rc) {
        fprintf(stderr, "crash_writer: %s\n", mh_err_message(rc));
        return 2;
    }
    ack_fd = open(argv[2], O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (ack_fd < 0)
        return 2;
    for (int i = 0; i < 4; i++)
        pthread_create(&th[i], NULL, run, (void *)(intptr_t)i);
    for (int i = 0; i < 4; i++)
        pthread_join(th[i], NULL);
    return 0;
}
