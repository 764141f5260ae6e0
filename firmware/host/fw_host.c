/* fw_host.c - the firmware's core on the host: the same boot and scan as
 * the Cortex-M4 image (firmware/core), with files for the flash slots and
 * stdin for the camera's UART. The tests run every vector through this and
 * through the emulator and expect the same screen and exit code.
 *
 *   mohur-fw-host --tl-key FILE --trust-list FILE --snapshot FILE
 *                 [--min-seq N] [--now UNIXTIME]  < line
 *
 * Exit code: the verdict (mh_fw.h: 0 valid, 1 forged, 2 revoked, 3 unknown
 * registry key, 4 key outside its validity, 5 malformed, 6 snapshot stale,
 * 7 device fault); 64 for a usage error. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mh_fw.h"

#define USAGE_EXIT 64

static void print_line(void *ctx, const char *line)
{
    (void)ctx;
    printf("%s\n", line);
}

/* A whole file of at most cap bytes into a static-lifetime buffer; an
 * absent file is an empty slot. */
static int slurp(const char *path, uint8_t *buf, size_t cap, size_t *len)
{
    *len = 0;
    if (!path)
        return 0;
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "mohur-fw-host: %s: %s\n", path, strerror(errno));
        return -1;
    }
    *len = fread(buf, 1, cap, f);
    int extra = fgetc(f);
    fclose(f);
    if (extra != EOF) {
        fprintf(stderr, "mohur-fw-host: %s is larger than its slot (%zu bytes)\n", path, cap);
        return -1;
    }
    return 0;
}

static int num(const char *s, uint64_t *v)
{
    char *end;
    errno = 0;
    unsigned long long x = strtoull(s, &end, 10);
    if (errno || end == s || *end || s[0] == '-')
        return -1;
    *v = x;
    return 0;
}

int main(int argc, char **argv)
{
    static uint8_t key[256], tl[MH_FW_TL_MAX + 4], snap[MH_FW_SNAP_MAX + 4];
    static mh_fw_device dev;
    static mh_fw_linebuf lb;
    const char *key_path = NULL, *tl_path = NULL, *snap_path = NULL;
    uint64_t min_seq = 0, now = (uint64_t)time(NULL);
    size_t kl, tll, sl;

    /* options come in pairs: NAME VALUE */
    for (int i = 1; i < argc; i += 2) {
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v)
            goto usage;
        if (strcmp(argv[i], "--tl-key") == 0)
            key_path = v;
        else if (strcmp(argv[i], "--trust-list") == 0)
            tl_path = v;
        else if (strcmp(argv[i], "--snapshot") == 0)
            snap_path = v;
        else if (strcmp(argv[i], "--min-seq") == 0) {
            if (num(v, &min_seq))
                goto usage;
        } else if (strcmp(argv[i], "--now") == 0) {
            if (num(v, &now))
                goto usage;
        } else
            goto usage;
    }
    if (slurp(key_path, key, sizeof key, &kl) || slurp(tl_path, tl, sizeof tl, &tll) ||
        slurp(snap_path, snap, sizeof snap, &sl))
        return USAGE_EXIT;
    if (!key_path)
        memset(key, 0, kl = 65); /* nothing burnt in */
    mh_fw_device_boot(&dev, key, kl, tl, tll, min_seq, snap, sl, print_line, NULL);
    mh_fw_linebuf_reset(&lb);
    int ch;
    bool any = false;
    while ((ch = getchar()) != EOF) {
        any = true;
        if (mh_fw_linebuf_put(&lb, (char)ch))
            break;
    }
    if (!any) {
        printf("VERDICT: MALFORMED\nwhy: no line was scanned\n");
        return MH_FW_MALFORMED;
    }
    if (ch == EOF)
        lb.buf[lb.len] = '\0';
    enum mh_fw_verdict v = mh_fw_device_scan(&dev, lb.buf, lb.len, lb.seen, now, print_line, NULL);
    fflush(stdout);
    return (int)v;
usage:
    fprintf(stderr, "usage: mohur-fw-host --tl-key FILE --trust-list FILE --snapshot FILE "
                    "[--min-seq N] [--now UNIXTIME] < line\n");
    return USAGE_EXIT;
}
