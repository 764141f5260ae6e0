/* test_crash.c - crash safety with real processes: crash_writer appends
 * continuously (group commit, 4 threads) and is killed with SIGKILL at
 * random moments, 30 times. After each kill the ledger is reopened (with
 * its checks) and: every acknowledged entry is there with its content, the
 * size covers the last acknowledgement, every entry is whole (it decodes and
 * the id index points at it: nothing unacknowledged is half there), and the
 * root recomputed from all entries equals the stored root.
 *   test_crash PATH_TO_CRASH_WRITER */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "mh_ledger.h"
#include "mh_pki.h"

#define KILLS 30

static int failures;

#define CHECK(cond, ...)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "FAIL: " __VA_ARGS__);                                                 \
            fputc('\n', stderr);                                                                   \
            failures++;                                                                            \
            goto out;                                                                              \
        }                                                                                          \
    } while (0)

/* RFC 9162 MTH by its definition, over leaf hashes. */
static void mth(uint8_t (*lv)[32], uint64_t n, uint8_t out[32])
{
    uint64_t k = 1;
    uint8_t a[32], b[32];
    if (n == 0) {
        mh_merkle_empty_root(out);
        return;
    }
    if (n == 1) {
        memcpy(out, lv[0], 32);
        return;
    }
    while (k * 2 < n)
        k *= 2;
    mth(lv, k, a);
    mth(lv + k, n - k, b);
    mh_merkle_node_hash(a, b, out);
}

static int check(const char *dir, const char *ackpath, uint64_t *acked, uint64_t *entries)
{
    mh_ledger *l = NULL;
    uint64_t size = 0, maxack = 0, n = 0;
    uint8_t root[32], ref[32], buf[MH_LEDGER_ENTRY_MAX];
    uint8_t(*lv)[32] = NULL;
    FILE *f = NULL;
    char line[256];
    size_t len;
    int rc = mh_ledger_open(dir, NULL, &l);
    CHECK(rc == 0, "reopen after kill: %s", mh_err_message(rc));
    CHECK(mh_ledger_size(l, &size, root) == 0, "size");
    lv = calloc(size ? size : 1, 32);
    for (uint64_t i = 0; i < size; i++) {
        mh_ledger_entry e;
        mh_ledger_status st;
        CHECK(mh_ledger_get_raw(l, i, buf, sizeof buf, &len) == 0, "entry %llu missing",
              (unsigned long long)i);
        mh_merkle_leaf_hash(buf, len, lv[i]);
        CHECK(mh_ledger_entry_decode(buf, len, &e) == 0, "entry %llu not whole",
              (unsigned long long)i);
        CHECK(mh_ledger_lookup_id(l, e.doc_id, &st) == 0 && st.issue_index == i,
              "index of entry %llu inconsistent", (unsigned long long)i);
    }
    mth(lv, size, ref);
    CHECK(memcmp(ref, root, 32) == 0, "stored root differs from the root of all entries");
    f = fopen(ackpath, "r");
    if (f) {
        while (fgets(line, sizeof line, f)) {
            unsigned long long idx;
            char id[200];
            mh_ledger_entry e;
            if (!strchr(line, '\n') || sscanf(line, "%llu %199s", &idx, id) != 2)
                continue; /* a line cut by the kill: not acknowledged */
            n++;
            if (idx + 1 > maxack)
                maxack = idx + 1;
            CHECK(idx < size, "acknowledged entry %llu lost (size %llu)", idx,
                  (unsigned long long)size);
            CHECK(mh_ledger_get(l, idx, &e) == 0 && strcmp(e.doc_id, id) == 0,
                  "acknowledged entry %llu is not %s", idx, id);
        }
    }
    CHECK(size >= maxack, "size below the last acknowledgement");
    *acked = n;
    *entries = size;
out:
    if (f)
        fclose(f);
    free(lv);
    mh_ledger_close(l);
    return failures;
}

int main(int argc, char **argv)
{
    char tmpl[] = "/tmp/mohur-crash.XXXXXX", dir[300], ack[300], cmd[400];
    char *root;
    mh_ledger *l = NULL;
    mh_ledger_opts o = {.create = true};
    uint64_t acked = 0, entries = 0;
    unsigned seed = (unsigned)time(NULL) ^ (unsigned)getpid();
    struct timespec t0, t1;

    if (argc != 2)
        return 2;
    root = mkdtemp(tmpl);
    if (!root)
        return 2;
    snprintf(dir, sizeof dir, "%s/ledger", root);
    snprintf(ack, sizeof ack, "%s/acks", root);
    if (mh_ledger_open(dir, &o, &l) != 0)
        return 2;
    mh_ledger_close(l);
    printf("crash test: seed %u\n", seed);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int k = 0; k < KILLS && !failures; k++) {
        pid_t pid = fork();
        int status;
        if (pid == 0) {
            execl(argv[1], argv[1], dir, ack, (char *)NULL);
            _exit(127);
        }
        seed = seed * 1103515245u + 12345u;
        usleep(50000 + (seed >> 8) % 400000);
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
        if (!WIFSIGNALED(status)) {
            fprintf(stderr, "FAIL: the writer exited by itself (status %d)\n", status);
            failures++;
            break;
        }
        check(dir, ack, &acked, &entries);
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    printf("crash test: %d kills, %llu acknowledged appends, %llu entries, %d failures, %.1f s\n",
           KILLS, (unsigned long long)acked, (unsigned long long)entries, failures,
           (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
    if (!failures && acked == 0) {
        fprintf(stderr, "FAIL: nothing was acknowledged; the test proved nothing\n");
        failures++;
    }
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", root);
    return failures ? 1 : 0;
}
