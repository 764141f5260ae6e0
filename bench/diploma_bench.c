/*
 * diploma_bench.c - diplomas per second end to end, beside the ceiling, in
 * one run:
 *   ceiling:    the same roster rendered alone (template fill-in, bytes in
 *               memory) by the same pipeline on the same number of threads;
 *   end to end: render + ledger entry (group commit) + receipt + QR +
 *               PAdES signature with SoftHSM2 + the file renamed into place,
 *               on a throwaway state directory made by mh_app_init (what
 *               `mohur init` does).
 * Targets (issue 5): at least 300 diplomas/s on 2 cores, at least 0.6 of
 * the ceiling.
 *
 *   diploma_bench [-n ROWS] [-j THREADS] [-d DIR]
 * DIR (default: a new directory under $TMPDIR or /tmp) holds the state and
 * the output; it is removed at the end unless given.
 */
#define _XOPEN_SOURCE 700
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mh_app.h"
#include "mh_batch.h"

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *f)
{
    (void)sb;
    (void)flag;
    (void)f;
    return remove(p);
}

static const char *first[] = {"Əli",   "Aysel", "Rəşad", "Günay",  "Elçin", "Səbinə",
                              "Тимур", "Лейла", "Orxan", "Nərmin", "Фарид", "Ülviyyə"};
static const char *last[] = {"Məmmədov",  "Həsənova",  "Quliyev",  "Əliyeva", "Иванов",
                             "Гусейнова", "İsmayılov", "Şükürova", "Bağırov", "Нәсибова"};
static const char *prog[] = {
    "Kompüter elmləri", "Beynəlxalq münasibətlər", "Физика", "Hüquqşünaslıq", "Tarix",
    "Математика"};

static int write_roster(const char *path, unsigned n)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    fputs("name,degree,programme,date,number,national_id\n", f);
    for (unsigned i = 0; i < n; i++)
        fprintf(f, "\"%s %s\",Bakalavr,\"%s\",2025-06-%02u,BDU-%07u,AZE%08u\n", first[i % 12],
                last[(i / 12) % 10], prog[i % 6], 1 + i % 28, i, 10000000 + i);
    return fclose(f);
}

/* CPU seconds (user + system) of this process so far. */
static double cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

/* CPU seconds in the kernel only (file creation, fsync, page faults). */
static double sys_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static double last_cpu, last_sys;

static int run(const mh_batch_opts *o, const char *what, mh_batch_stats *st)
{
    double c0 = cpu_s(), s0 = sys_s();
    int rc = mh_batch_run(o, st);
    last_cpu = cpu_s() - c0;
    last_sys = sys_s() - s0;
    if (rc) {
        fprintf(stderr, "diploma_bench: %s: %s\n", what, mh_err_message(rc));
        return rc;
    }
    size_t bad = st->bad + st->conflicts + st->voided + st->failed;
    if (bad) {
        fprintf(stderr, "diploma_bench: %s: %zu rows failed\n", what, bad);
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    unsigned n = 3000, jobs = 0;
    const char *dir_arg = NULL;
    int ch, ret = 1;
    while ((ch = getopt(argc, argv, "n:j:d:")) != -1) {
        char *end = NULL;
        unsigned long v = 0;
        if (ch == 'n' || ch == 'j') {
            v = strtoul(optarg, &end, 10);
            if (!end || *end || v < 1 || v > 10000000) {
                fprintf(stderr, "diploma_bench: -%c wants a positive number\n", ch);
                return 2;
            }
        }
        if (ch == 'n')
            n = (unsigned)v;
        else if (ch == 'j')
            jobs = (unsigned)v;
        else if (ch == 'd')
            dir_arg = optarg;
        else {
            fprintf(stderr, "usage: diploma_bench [-n ROWS] [-j THREADS] [-d DIR]\n");
            return 2;
        }
    }
    char dir[512], state[600], roster[600], out[600];
    if (dir_arg) {
        snprintf(dir, sizeof dir, "%s", dir_arg);
        if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
            perror(dir);
            return 1;
        }
    } else {
        const char *t = getenv("TMPDIR");
        snprintf(dir, sizeof dir, "%s/diploma-bench.XXXXXX", t && *t ? t : "/tmp");
        if (!mkdtemp(dir)) {
            perror("mkdtemp");
            return 1;
        }
    }
    snprintf(state, sizeof state, "%s/state", dir);
    snprintf(roster, sizeof roster, "%s/roster.csv", dir);
    snprintf(out, sizeof out, "%s/out", dir);
    mh_app *app = NULL;
    mh_app_signer *signer = NULL;
    mh_kind *kind = calloc(1, sizeof *kind);
    mh_app_issuer_info is[MH_APP_ISSUERS_MAX];
    size_t nis = 0;
    const char *issuer_name = NULL;
    bool created = false;
    int rc;

    if (!kind || write_roster(roster, n) != 0 || mkdir(out, 0700) != 0) {
        fprintf(stderr, "diploma_bench: cannot prepare %s\n", dir);
        goto out;
    }
    printf("diploma_bench: %u diplomas, state in %s\n", n, state);
    fflush(stdout);
    if ((rc = mh_app_init(state, NULL, &created)) != 0 || (rc = mh_app_open(state, &app)) != 0 ||
        (rc = mh_kind_load(mh_app_kinds_dir(app), "diploma", kind)) != 0 ||
        (rc = mh_app_issuers(app, is, MH_APP_ISSUERS_MAX, &nis)) != 0 ||
        (rc = mh_app_signer_open(app, "bdu", NULL, &signer)) != 0) {
        fprintf(stderr, "diploma_bench: setting up: %s\n", mh_err_message(rc));
        goto out;
    }
    for (size_t i = 0; i < nis && i < MH_APP_ISSUERS_MAX; i++)
        if (strcmp(is[i].id, "bdu") == 0)
            issuer_name = is[i].name;
    if (!issuer_name) {
        fprintf(stderr, "diploma_bench: no issuer 'bdu'\n");
        goto out;
    }

    mh_batch_opts o = {
        .kind = kind,
        .roster = roster,
        .issuer_id = "bdu",
        .issuer_name = issuer_name,
        .out_dir = out,
        .jobs = jobs,
        .progress = -1,
    };
    mh_batch_stats ceil_st, e2e_st;
    /* (a) the ceiling: rendering alone, same pipeline and threads */
    if (run(&o, "rendering alone", &ceil_st))
        goto out;
    double ceil_cpu = last_cpu;
    /* (b) end to end */
    o.app = app;
    o.signer = signer;
    if (run(&o, "end to end", &e2e_st))
        goto out;
    double e2e_cpu = last_cpu, e2e_sys = last_sys;
    if (e2e_st.issued != n) {
        fprintf(stderr, "diploma_bench: %zu of %u issued\n", e2e_st.issued, n);
        goto out;
    }
    double c = (double)ceil_st.rendered / ceil_st.seconds;
    double e = (double)e2e_st.issued / e2e_st.seconds;
    printf("threads: %u, cores online: %ld\n", e2e_st.jobs, sysconf(_SC_NPROCESSORS_ONLN));
    printf("rendering alone (ceiling): %8.0f diplomas/s  (%zu in %.2f s, %.1f KiB each)\n", c,
           ceil_st.rendered, ceil_st.seconds,
           (double)ceil_st.bytes / (double)ceil_st.rendered / 1024.0);
    printf("end to end:                %8.0f diplomas/s  (%zu in %.2f s)\n", e, e2e_st.issued,
           e2e_st.seconds);
    /* on a shared machine wall time depends on the others: CPU time per
     * diploma, and the rate it would give on idle cores, say more */
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    double per_c = ceil_cpu / (double)ceil_st.rendered, per_e = e2e_cpu / (double)e2e_st.issued;
    printf("CPU per diploma: rendering %.3f ms, end to end %.3f ms; on %ld idle cores: "
           "%.0f/s and %.0f/s\n",
           per_c * 1e3, per_e * 1e3, cores, (double)cores / per_c, (double)cores / per_e);
    printf("  of which in the kernel: %.3f ms (file creation, fsync, page faults)\n",
           e2e_sys / (double)e2e_st.issued * 1e3);
    printf("ratio end to end / ceiling: %.3f   (targets: >= 300/s %s, >= 0.6 %s)\n", e / c,
           e >= 300 ? "met" : "MISSED", e / c >= 0.6 ? "met" : "MISSED");
    ret = 0;
out:
    mh_app_signer_close(signer);
    mh_app_close(app);
    free(kind);
    if (!dir_arg)
        nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    return ret;
}
