/* log.c - logfmt lines on stderr (journald keeps them): "ts=... level=...
 * proc=... pid=... msg=... key=value ...". Never a PIN or a token. */
#include "mohurd.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static const char *proc_name = "parent";
static int max_level = MHD_LOG_INFO;

void mhd_log_init(const char *proc, int level)
{
    proc_name = proc;
    max_level = level;
}

const char *mhd_q(const char *s)
{
    static _Thread_local char buf[4][600];
    static _Thread_local unsigned n;
    char *o = buf[n++ % 4];
    size_t k = 0;
    bool quote = s[0] == 0;
    for (const char *p = s; *p; p++)
        if (*p == ' ' || *p == '"' || *p == '=' || (unsigned char)*p < 0x21)
            quote = true;
    if (quote)
        o[k++] = '"';
    for (const char *p = s; *p && k < sizeof buf[0] - 8; p++) {
        unsigned char c = (unsigned char)*p;
        if (c == '"' || c == '\\') {
            o[k++] = '\\';
            o[k++] = (char)c;
        } else if (c < 0x20 || c == 0x7f) {
            k += (size_t)snprintf(o + k, 5, "\\x%02x", c);
        } else {
            o[k++] = (char)c;
        }
    }
    if (quote)
        o[k++] = '"';
    o[k] = 0;
    return o;
}

void mhd_log(int level, const char *msg, const char *kvfmt, ...)
{
    static const char *const names[] = {"error", "warn", "info", "debug"};
    char line[2048], ts[40];
    struct timeval tv;
    struct tm tm;
    if (level > max_level)
        return;
    gettimeofday(&tv, NULL);
    gmtime_r(&tv.tv_sec, &tm);
    strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S", &tm);
    int n = snprintf(line, sizeof line, "ts=%s.%03ldZ level=%s proc=%s pid=%ld msg=%s", ts,
                     (long)(tv.tv_usec / 1000),
                     names[level < 0   ? 0
                           : level > 3 ? 3
                                       : level],
                     proc_name, (long)getpid(), mhd_q(msg));
    if (n < 0)
        return;
    size_t k = (size_t)n < sizeof line ? (size_t)n : sizeof line - 1;
    if (kvfmt && kvfmt[0] && k + 2 < sizeof line) {
        va_list ap;
        va_start(ap, kvfmt);
        line[k++] = ' ';
        int m = vsnprintf(line + k, sizeof line - k, kvfmt, ap);
        va_end(ap);
        if (m > 0)
            k += (size_t)m < sizeof line - k ? (size_t)m : sizeof line - k - 1;
    }
    if (k + 1 >= sizeof line)
        k = sizeof line - 2;
    line[k++] = '\n';
    /* one write: lines from threads and processes do not interleave */
    ssize_t w = write(STDERR_FILENO, line, k);
    (void)w;
}
