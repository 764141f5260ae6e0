/*
 * batch.c - batch issuance from a roster: a reader, a bounded queue and
 * worker threads that render and issue (see mh_batch.h).
 *
 * The calling thread reads the roster and hands rows to the workers through
 * a bounded queue, so memory stays flat for any roster size. Each worker
 * renders its row from the shared template and calls mh_app_issue(), which
 * is thread-safe and group-commits ledger entries; while one worker waits
 * for a commit or a token, the others render and sign. A progress thread
 * redraws the bar at most ten times a second.
 */
#include "app_int.h"
#include "mh_batch.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <mbedtls/sha256.h>

#include "mh_ledger.h"

#define QUEUE_CAP 256
#define ROW_BYTES_MAX (64u * 1024) /* all values of one row together */
#define NAME_MAX_SAFE 200          /* longest file name we make */

struct job {
    unsigned long line;
    size_t n;
    mh_field_value v[MH_ROSTER_MAX_COLS];
    char id[MH_LEDGER_ID_MAX + 1];
    char *buf; /* the strings of v, one allocation */
};

struct batch {
    const mh_batch_opts *o;
    mh_batch_stats *st;
    mh_template *tpl;
    /* the template's own font, for the stamps' captions */
    mh_pdf_font stamp_font;
    bool have_stamp_font;
    FILE *log;
    bool tty;
    /* queue */
    pthread_mutex_t mu;
    pthread_cond_t not_empty, not_full, tick;
    struct job *q[QUEUE_CAP];
    size_t qhead, qlen, qcap;
    bool eof;
    bool stopping; /* fatal error or interrupt: start nothing new */
    bool progress_done;
    /* progress */
    size_t done, errors;
    struct timespec t0;
    bool bar_shown;
    unsigned last_decile;
};

/* ---- helpers ------------------------------------------------------------ */

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static double since(const struct batch *b)
{
    return now_s() - ((double)b->t0.tv_sec + (double)b->t0.tv_nsec / 1e9);
}

static bool stop_requested(const struct batch *b)
{
    return b->o->stop && *b->o->stop;
}

int mh_batch_file_name(const char *doc_id, char *buf, size_t cap)
{
    static const char hex[] = "0123456789ABCDEF";
    if (!doc_id || !buf || cap < NAME_MAX_SAFE + 8)
        return MH_ERR_INVALID_ARG;
    size_t o = 0;
    const unsigned char *p = (const unsigned char *)doc_id;
    bool cut = false;
    for (size_t i = 0; p[i]; i++) {
        unsigned char c = p[i];
        if (o + 4 > NAME_MAX_SAFE - 20) {
            cut = true;
            break;
        }
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            c == '-' || (c == '.' && o > 0)) {
            buf[o++] = (char)c;
        } else if (c == '/') {
            buf[o++] = '_';
        } else {
            buf[o++] = '+';
            buf[o++] = hex[c >> 4];
            buf[o++] = hex[c & 15];
        }
    }
    if (o == 0) {
        mh_err_set(MH_ERR_INVALID_ARG, "a document id is empty");
        return MH_ERR_INVALID_ARG;
    }
    if (cut) {
        /* a long id: keep its start, add a hash of all of it */
        uint8_t h[32];
        if (mbedtls_sha256_ret((const unsigned char *)doc_id, strlen(doc_id), h, 0) != 0)
            return MH_ERR_INTERNAL;
        buf[o++] = '~';
        for (size_t i = 0; i < 8; i++) {
            buf[o++] = hex[h[i] >> 4];
            buf[o++] = hex[h[i] & 15];
        }
    }
    memcpy(buf + o, ".pdf", 5);
    return 0;
}

/* ---- messages and the progress bar -------------------------------------- */

static void clear_bar_locked(struct batch *b)
{
    if (b->bar_shown) {
        fputs("\r\033[K", b->log);
        b->bar_shown = false;
    }
}

static void fmt_time(double s, char *buf, size_t cap)
{
    if (s < 0 || s > 360000) {
        snprintf(buf, cap, "--:--");
        return;
    }
    unsigned long t = (unsigned long)(s + 0.5);
    if (t >= 3600)
        snprintf(buf, cap, "%lu:%02lu:%02lu", t / 3600, (t / 60) % 60, t % 60);
    else
        snprintf(buf, cap, "%lu:%02lu", t / 60, t % 60);
}

static unsigned term_width(FILE *f)
{
    struct winsize ws;
    if (ioctl(fileno(f), TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 40)
        return ws.ws_col > 200 ? 200 : ws.ws_col;
    return 80;
}

/* Draws one line: a bar, done/total, rate, ETA, errors. */
static void draw_bar_locked(struct batch *b)
{
    size_t total = b->st->rows, done = b->done;
    double el = since(b);
    double rate = el > 0 ? (double)done / el : 0;
    char eta[32], text[160];
    fmt_time(rate > 0 && total >= done ? (double)(total - done) / rate : -1, eta, sizeof eta);
    int tn = snprintf(text, sizeof text, " %zu/%zu  %.0f/s  ETA %s  errors %zu", done, total, rate,
                      eta, b->errors);
    if (tn < 0)
        return;
    unsigned w = term_width(b->log);
    size_t barw = w > (unsigned)tn + 12 ? w - (unsigned)tn - 12 : 10;
    if (barw > 50)
        barw = 50;
    size_t fill = total ? (done > total ? barw : done * barw / total) : 0;
    char bar[64];
    for (size_t i = 0; i < barw; i++)
        bar[i] = i < fill ? '#' : '.';
    bar[barw] = '\0';
    unsigned pct = total ? (unsigned)(done >= total ? 100 : done * 100 / total) : 0;
    fprintf(b->log, "\r\033[K[%s] %3u%%%s", bar, pct, text);
    fflush(b->log);
    b->bar_shown = true;
}

/* Without a terminal: a line at every tenth of the roster. */
static void progress_line_locked(struct batch *b)
{
    if (!b->st->rows)
        return;
    unsigned d = (unsigned)(b->done * 10 / b->st->rows);
    if (d <= b->last_decile)
        return;
    b->last_decile = d;
    double el = since(b);
    fprintf(b->log, "issue: %zu/%zu done (%u%%), %.0f/s, %zu errors\n", b->done, b->st->rows,
            d * 10, el > 0 ? (double)b->done / el : 0.0, b->errors);
    fflush(b->log);
}

static void *progress_main(void *arg)
{
    struct batch *b = arg;
    pthread_mutex_lock(&b->mu);
    while (!b->progress_done) {
        struct timespec t;
        clock_gettime(CLOCK_REALTIME, &t);
        t.tv_nsec += 100 * 1000 * 1000;
        if (t.tv_nsec >= 1000000000L) {
            t.tv_sec++;
            t.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&b->tick, &b->mu, &t);
        if (b->progress_done)
            break;
        draw_bar_locked(b);
    }
    clear_bar_locked(b);
    pthread_mutex_unlock(&b->mu);
    return NULL;
}

static const char *result_name(const struct batch *b, const size_t *counter)
{
    const mh_batch_stats *st = b->st;
    if (counter == &st->issued)
        return "issued";
    if (counter == &st->already)
        return "already issued";
    if (counter == &st->remade)
        return "re-made";
    if (counter == &st->rendered)
        return "rendered";
    if (counter == &st->conflicts)
        return "conflict";
    if (counter == &st->voided)
        return "voided";
    if (counter == &st->failed)
        return "failed";
    return "bad";
}

/* Tells the caller about a row; b->mu held. */
static void report_row_locked(struct batch *b, unsigned long line, const char *id, const char *file,
                              const char *url, const size_t *counter, const char *reason)
{
    if (!b->o->on_row)
        return;
    mh_batch_row r = {line, id && id[0] ? id : NULL, file, url, result_name(b, counter), reason};
    b->o->on_row(b->o->row_ctx, &r);
}

/* One row's outcome (a line number of 0: not about a row). */
static void row_error(struct batch *b, unsigned long line, const char *id, size_t *counter,
                      const char *fmt, ...) MH_PRINTF(5, 6);
static void row_error(struct batch *b, unsigned long line, const char *id, size_t *counter,
                      const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    pthread_mutex_lock(&b->mu);
    report_row_locked(b, line, id, NULL, NULL, counter, msg);
    (*counter)++;
    b->done++;
    b->errors++;
    if (line && b->st->nbad_lines < MH_BATCH_BAD_LINES)
        b->st->bad_lines[b->st->nbad_lines++] = line;
    clear_bar_locked(b);
    /* the roster's own messages already start with "line N" */
    if (line && strncmp(msg, "line ", 5) != 0)
        fprintf(b->log, "line %lu: %s\n", line, msg);
    else
        fprintf(b->log, "%s\n", msg);
    fflush(b->log);
    if (b->o->progress == 0)
        progress_line_locked(b);
    pthread_mutex_unlock(&b->mu);
}

static void row_done(struct batch *b, const struct job *j, const char *file, const char *url,
                     size_t *counter, uint64_t bytes)
{
    pthread_mutex_lock(&b->mu);
    report_row_locked(b, j->line, j->id, file, url, counter, NULL);
    (*counter)++;
    b->done++;
    b->st->bytes += bytes;
    if (b->o->progress == 0)
        progress_line_locked(b);
    pthread_mutex_unlock(&b->mu);
}

/* A problem that every further row would meet: stop the batch. */
static bool is_fatal(int rc)
{
    switch (rc) {
    case MH_ERR_PARSE:
    case MH_ERR_DATA_INVALID:
    case MH_ERR_INVALID_ARG:
    case MH_ERR_TOO_LARGE:
    case MH_ERR_ALREADY_EXISTS:
    case MH_ERR_UNSUPPORTED:
        return false;
    default:
        return true;
    }
}

static void set_fatal(struct batch *b, int rc, const char *msg)
{
    pthread_mutex_lock(&b->mu);
    if (!b->st->fatal) {
        b->st->fatal = rc;
        snprintf(b->st->fatal_msg, sizeof b->st->fatal_msg, "%s", msg);
    }
    b->stopping = true;
    pthread_cond_broadcast(&b->not_full);
    pthread_cond_broadcast(&b->not_empty);
    pthread_mutex_unlock(&b->mu);
}

/* ---- one row ------------------------------------------------------------ */

/* True when the file at path begins with exactly doc (len bytes) and has
 * more after it: the signed form of this very document. */
static bool file_has_prefix(const char *path, const uint8_t *doc, size_t len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return false;
    bool same = false;
    struct stat sb;
    uint8_t *buf = NULL;
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) || (uint64_t)sb.st_size <= len)
        goto out;
    buf = malloc(len ? len : 1);
    if (!buf)
        goto out;
    size_t got = 0;
    while (got < len) {
        ssize_t r = read(fd, buf + got, len - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    same = got == len && memcmp(buf, doc, len) == 0;
out:
    free(buf);
    close(fd);
    return same;
}

static void issue_row(struct batch *b, struct job *j)
{
    const mh_batch_opts *o = b->o;
    mh_batch_stats *st = b->st;
    uint8_t *pdf = NULL;
    size_t len = 0;
    char name[NAME_MAX_SAFE + 8], path[4096];

    int rc = mh_template_render(b->tpl, j->v, j->n, &pdf, &len);
    if (rc) {
        row_error(b, j->line, j->id, &st->bad, "%s", mh_err_message(rc));
        goto out;
    }
    if (!o->app) { /* render only: the ceiling */
        row_done(b, j, NULL, NULL, &st->rendered, len);
        goto out;
    }
    if (!j->id[0]) {
        row_error(b, j->line, NULL, &st->bad, "the row has no number; every document needs one");
        goto out;
    }
    rc = mh_batch_file_name(j->id, name, sizeof name);
    if (!rc && (size_t)snprintf(path, sizeof path, "%s/%s", o->out_dir, name) >= sizeof path)
        rc = MH_ERR_TOO_LARGE;
    if (rc) {
        row_error(b, j->line, j->id, &st->bad, "the document id '%s' cannot be made a file name",
                  j->id);
        goto out;
    }
    if (file_has_prefix(path, pdf, len)) {
        row_done(b, j, path, NULL, &st->already, 0);
        goto out;
    }
    /* the id is the row's printed number; mh_app_issue decides whether it
     * is new, already issued with these contents (re-made), voided earlier
     * (issued again under the same number), or a conflict */
    const char *id = j->id;

    mh_app_request rq = {.requester = o->requester};
    mh_app_issue_req req = {
        .kind = o->kind,
        .doc_id = id,
        .fields = j->v,
        .nfields = j->n,
        .doc = pdf,
        .doc_len = len,
        .signer = o->signer,
        .out_path = path,
        .time = o->time,
        .rendered = true,
        .stamp_font = b->have_stamp_font ? &b->stamp_font : NULL,
        .request = &rq,
    };
    mh_app_issue_res res;
    memset(&res, 0, sizeof res);
    rc = mh_app_issue(o->app, &req, &res);
    if (rc == 0) {
        row_done(b, j, path, res.url, res.resumed ? &st->remade : &st->issued, len);
        goto out;
    }
    char msg[600];
    snprintf(msg, sizeof msg, "%s", mh_err_message(rc));
    if (rc == MH_ERR_ALREADY_EXISTS) {
        row_error(b, j->line, id, &st->conflicts, "%s", msg);
        goto out;
    }
    /* failed after the ledger entry? mh_app_issue voids it then */
    bool voided = res.voided;
    if (is_fatal(rc))
        set_fatal(b, rc, msg);
    row_error(b, j->line, id, voided ? &st->voided : (is_fatal(rc) ? &st->failed : &st->bad),
              "%s: %s%s", id, msg, voided ? " (its ledger entry was voided)" : "");
out:
    free(pdf);
}

static void job_free(struct job *j)
{
    if (j) {
        free(j->buf);
        free(j);
    }
}

static void *worker_main(void *arg)
{
    struct batch *b = arg;
    for (;;) {
        pthread_mutex_lock(&b->mu);
        while (!b->qlen && !b->eof && !b->stopping)
            pthread_cond_wait(&b->not_empty, &b->mu);
        if (!b->qlen || b->stopping || stop_requested(b)) {
            /* rows queued but never started stay for the re-run */
            while (b->qlen) {
                job_free(b->q[b->qhead]);
                b->qhead = (b->qhead + 1) % b->qcap;
                b->qlen--;
                b->st->not_started++;
            }
            pthread_cond_broadcast(&b->not_full);
            pthread_mutex_unlock(&b->mu);
            if (stop_requested(b) || b->stopping || b->eof)
                break;
            continue;
        }
        struct job *j = b->q[b->qhead];
        b->qhead = (b->qhead + 1) % b->qcap;
        b->qlen--;
        pthread_cond_signal(&b->not_full);
        pthread_mutex_unlock(&b->mu);
        issue_row(b, j);
        job_free(j);
    }
    return NULL;
}

/* ---- the reader: ids seen in this roster -------------------------------- */

struct idset {
    struct ent {
        char *id;
        unsigned long line;
    } * t;
    size_t cap, n;
};

static uint64_t fnv(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

/* 0 when new (remembered), 1 when seen before (*first = its line). */
static int idset_add(struct idset *s, const char *id, unsigned long line, unsigned long *first)
{
    if ((s->n + 1) * 2 > s->cap) {
        size_t ncap = s->cap ? s->cap * 2 : 1024;
        struct ent *nt = calloc(ncap, sizeof *nt);
        if (!nt)
            return MH_ERR_NOMEM;
        for (size_t i = 0; i < s->cap; i++) {
            if (!s->t[i].id)
                continue;
            size_t k = (size_t)(fnv(s->t[i].id) & (ncap - 1));
            while (nt[k].id)
                k = (k + 1) & (ncap - 1);
            nt[k] = s->t[i];
        }
        free(s->t);
        s->t = nt;
        s->cap = ncap;
    }
    size_t k = (size_t)(fnv(id) & (s->cap - 1));
    while (s->t[k].id) {
        if (strcmp(s->t[k].id, id) == 0) {
            *first = s->t[k].line;
            return 1;
        }
        k = (k + 1) & (s->cap - 1);
    }
    size_t l = strlen(id);
    char *c = malloc(l + 1);
    if (!c)
        return MH_ERR_NOMEM;
    memcpy(c, id, l + 1);
    s->t[k].id = c;
    s->t[k].line = line;
    s->n++;
    return 0;
}

static void idset_free(struct idset *s)
{
    for (size_t i = 0; i < s->cap; i++)
        free(s->t[i].id);
    free(s->t);
}

/* Copies a row into a job that outlives the roster's buffer. */
static int job_make(const mh_batch_opts *o, const mh_roster_row *row, struct job **out)
{
    *out = NULL;
    size_t total = 0;
    for (size_t i = 0; i < row->n; i++)
        total += strlen(row->v[i].id) + strlen(row->v[i].value) + 2;
    if (total > ROW_BYTES_MAX) {
        mh_err_set(MH_ERR_TOO_LARGE, "line %lu is longer than 64 KiB", row->line);
        return MH_ERR_TOO_LARGE;
    }
    struct job *j = calloc(1, sizeof *j);
    if (!j)
        return MH_ERR_NOMEM;
    j->buf = malloc(total ? total : 1);
    if (!j->buf) {
        free(j);
        return MH_ERR_NOMEM;
    }
    j->line = row->line;
    j->n = row->n;
    char *p = j->buf;
    const char *number = NULL;
    for (size_t i = 0; i < row->n; i++) {
        size_t a = strlen(row->v[i].id) + 1, c = strlen(row->v[i].value) + 1;
        memcpy(p, row->v[i].id, a);
        j->v[i].id = p;
        p += a;
        memcpy(p, row->v[i].value, c);
        j->v[i].value = p;
        p += c;
        if (strcmp(row->v[i].id, "number") == 0)
            number = j->v[i].value;
    }
    if (number && *number) {
        /* the printed number is the id: no path tricks, no look-alikes with
         * spaces, nothing a file name could not hold */
        char what[48];
        snprintf(what, sizeof what, "line %lu: the number", row->line);
        int rc = mh_app_policy_number(number, what, false);
        if (rc) {
            job_free(j);
            return rc;
        }
        int n = snprintf(j->id, sizeof j->id, "%s/%s/%s", o->issuer_id, o->kind->id, number);
        if (n < 0 || (size_t)n >= sizeof j->id) {
            job_free(j);
            mh_err_set(MH_ERR_TOO_LARGE,
                       "line %lu: the document id made from the number is longer than %d bytes",
                       row->line, MH_LEDGER_ID_MAX);
            return MH_ERR_TOO_LARGE;
        }
    }
    *out = j;
    return 0;
}

/* ---- the batch ---------------------------------------------------------- */

/* Removes "NAME.pdf.tmp.<pid>.<n>" files that mh_app_issue left when its
 * process was killed (SIGKILL, power loss) before renaming them into place.
 * Only files of processes that are gone: a live writer keeps its own. */
static void remove_stale_temps(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        const char *t = strstr(e->d_name, ".pdf.tmp.");
        if (!t)
            continue;
        char *end = NULL;
        errno = 0;
        long pid = strtol(t + 9, &end, 10);
        if (errno || !end || *end != '.' || pid <= 0 || pid > 0x3fffffff)
            continue;
        if (kill((pid_t)pid, 0) == 0 || errno != ESRCH)
            continue;
        unlinkat(dirfd(d), e->d_name, 0);
    }
    closedir(d);
}

/* Eight workers per core: a diploma spends more of its time waiting (its
 * file's fsync, the ledger's group commit, the index's, the token) than
 * computing, and more workers in flight also fill the group commits
 * (diploma_bench on 2 cores: 2 workers ~150/s, 8 ~500/s, 16 ~550-790/s,
 * 32 ~590-910/s; docs/performance.md). */
static unsigned default_jobs(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    n = n < 1 ? 8 : 8 * n;
    return n > MH_BATCH_MAX_JOBS ? MH_BATCH_MAX_JOBS : (unsigned)n;
}

int mh_batch_run(const mh_batch_opts *o, mh_batch_stats *st)
{
    int ret = MH_ERR_INVALID_ARG;
    struct batch b;
    memset(&b, 0, sizeof b);
    memset(st, 0, sizeof *st);
    mh_roster *r = NULL;
    struct idset ids = {0};
    pthread_t th[MH_BATCH_MAX_JOBS], prog;
    unsigned started = 0;
    bool prog_started = false, sync_init = false;

    if (!o || !o->kind || !o->roster || !o->issuer_id || !o->issuer_name ||
        (o->app && (!o->signer || !o->out_dir)))
        return MH_ERR_INVALID_ARG;
    b.o = o;
    b.st = st;
    b.log = o->log ? o->log : stderr;
    b.qcap = QUEUE_CAP;
    st->jobs = o->jobs ? o->jobs : default_jobs();
    if (st->jobs > MH_BATCH_MAX_JOBS)
        st->jobs = MH_BATCH_MAX_JOBS;
    if (mh_kind_field_index(o->kind, "number") < 0) {
        mh_err_set(MH_ERR_UNSUPPORTED,
                   "the kind '%s' has no 'number' field; batch issuance needs one, so that "
                   "every row has a document id that stays the same when the batch is re-run",
                   o->kind->id);
        ret = MH_ERR_UNSUPPORTED;
        goto out;
    }
    if (!o->kind->rendered) {
        mh_err_set(MH_ERR_UNSUPPORTED,
                   "the kind '%s' is not rendered by mohur (its PDFs are brought by the "
                   "signer); sign each with 'mohur sign'",
                   o->kind->id);
        ret = MH_ERR_UNSUPPORTED;
        goto out;
    }
    if (o->app) {
        struct stat sb;
        if (stat(o->out_dir, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
            mh_err_set(MH_ERR_IO, "the output directory %s does not exist; create it first",
                       o->out_dir);
            ret = MH_ERR_IO;
            goto out;
        }
        if (access(o->out_dir, W_OK) != 0) {
            mh_err_set(MH_ERR_PERMISSION, "the output directory %s is not writable", o->out_dir);
            ret = MH_ERR_PERMISSION;
            goto out;
        }
        remove_stale_temps(o->out_dir);
    }
    ret = mh_roster_open(o->roster, &r);
    if (!ret)
        ret = mh_roster_bind(r, o->kind);
    if (ret)
        goto out;
    st->rows = mh_roster_count(r);
    ret = mh_template_build(o->kind, o->issuer_name, o->font_path, &b.tpl);
    if (ret)
        goto out;
    {
        long fobj = 0;
        const uint16_t *fw = NULL;
        size_t nfw = 0;
        if (mh_template_font(b.tpl, &fobj, &fw, &nfw) == 0) {
            memset(&b.stamp_font, 0, sizeof b.stamp_font);
            b.stamp_font.existing_obj = fobj;
            b.stamp_font.width = fw;
            b.stamp_font.nwidth = nfw;
            b.have_stamp_font = true;
        }
    }

    pthread_mutex_init(&b.mu, NULL);
    pthread_cond_init(&b.not_empty, NULL);
    pthread_cond_init(&b.not_full, NULL);
    pthread_cond_init(&b.tick, NULL);
    sync_init = true;
    clock_gettime(CLOCK_MONOTONIC, &b.t0);
    if (o->progress > 0) {
        if (pthread_create(&prog, NULL, progress_main, &b) == 0)
            prog_started = true;
    }
    for (unsigned i = 0; i < st->jobs; i++) {
        if (pthread_create(&th[i], NULL, worker_main, &b) != 0)
            break;
        started++;
    }
    if (!started) {
        ret = MH_ERR_INTERNAL;
        mh_err_set(MH_ERR_INTERNAL, "no worker thread could be started");
        goto join;
    }

    size_t read_rows = 0;
    for (;;) {
        if (stop_requested(&b))
            break;
        pthread_mutex_lock(&b.mu);
        bool stopping = b.stopping;
        pthread_mutex_unlock(&b.mu);
        if (stopping)
            break;
        mh_roster_row row;
        mh_err_clear();
        int rc = mh_roster_next(r, &row);
        if (rc == 1)
            break;
        read_rows++;
        if (rc) {
            row_error(&b, row.line, NULL, &st->bad, "%s", mh_err_message(rc));
            continue;
        }
        struct job *j = NULL;
        rc = job_make(o, &row, &j);
        if (rc == MH_ERR_NOMEM) {
            set_fatal(&b, rc, mh_err_message(rc));
            break;
        }
        if (rc) {
            row_error(&b, row.line, NULL, &st->bad, "%s", mh_err_message(rc));
            continue;
        }
        if (j->id[0]) {
            unsigned long first = 0;
            rc = idset_add(&ids, j->id, j->line, &first);
            if (rc < 0) {
                job_free(j);
                set_fatal(&b, rc, mh_err_message(rc));
                break;
            }
            if (rc == 1) {
                row_error(&b, j->line, j->id, &st->bad,
                          "the number of this row is already used by line %lu; every document "
                          "needs its own number",
                          first);
                job_free(j);
                continue;
            }
        }
        pthread_mutex_lock(&b.mu);
        while (b.qlen == b.qcap && !b.stopping && !stop_requested(&b))
            pthread_cond_wait(&b.not_full, &b.mu);
        if (b.stopping || stop_requested(&b)) {
            st->not_started++;
            pthread_mutex_unlock(&b.mu);
            job_free(j);
            break;
        }
        b.q[(b.qhead + b.qlen) % b.qcap] = j;
        b.qlen++;
        pthread_cond_signal(&b.not_empty);
        pthread_mutex_unlock(&b.mu);
    }
    pthread_mutex_lock(&b.mu);
    b.eof = true;
    pthread_cond_broadcast(&b.not_empty);
    pthread_mutex_unlock(&b.mu);
    if (st->rows > read_rows)
        st->not_started += st->rows - read_rows;
    ret = 0;
join:
    for (unsigned i = 0; i < started; i++)
        pthread_join(th[i], NULL);
    if (prog_started) {
        pthread_mutex_lock(&b.mu);
        b.progress_done = true;
        pthread_cond_signal(&b.tick);
        pthread_mutex_unlock(&b.mu);
        pthread_join(prog, NULL);
    }
    st->interrupted = stop_requested(&b);
    if (st->fatal && !ret) {
        ret = st->fatal;
        mh_err_set(ret, "%s", st->fatal_msg);
    }
out:
    st->seconds = sync_init ? since(&b) : 0;
    if (sync_init) {
        pthread_cond_destroy(&b.tick);
        pthread_cond_destroy(&b.not_full);
        pthread_cond_destroy(&b.not_empty);
        pthread_mutex_destroy(&b.mu);
    }
    idset_free(&ids);
    mh_template_free(b.tpl);
    mh_roster_close(r);
    return ret;
}

double mh_batch_rate(const mh_batch_stats *st)
{
    return st->seconds > 0 ? (double)(st->issued + st->remade) / st->seconds : 0;
}

unsigned long long mh_batch_elapsed_ms(const mh_batch_stats *st)
{
    return (unsigned long long)(st->seconds * 1000.0 + 0.5);
}
