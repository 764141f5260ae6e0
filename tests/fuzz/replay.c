/* replay.c - runs a fuzz target over files, without libFuzzer:
 *   fuzz_x DIR-or-FILE... [--testdata DIR --list FILE]
 * --list names files (one per line, relative to --testdata) to add; a
 * missing testdata folder is reported and those files are skipped. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int runs;

static int run_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "replay: cannot open %s\n", path);
        return 1;
    }
    size_t cap = 1 << 16, n = 0;
    uint8_t *buf = malloc(cap);
    for (;;) {
        if (n == cap) {
            if (cap >= (64u << 20)) {
                fprintf(stderr, "replay: %s is too large\n", path);
                break;
            }
            cap *= 2;
            uint8_t *b = realloc(buf, cap);
            if (!b)
                break;
            buf = b;
        }
        size_t r = fread(buf + n, 1, cap - n, f);
        if (r == 0)
            break;
        n += r;
    }
    fclose(f);
    /* an exact-size copy, so ASan sees reads past the end */
    uint8_t *exact = malloc(n ? n : 1);
    memcpy(exact, buf, n);
    free(buf);
    LLVMFuzzerTestOneInput(exact, n);
    free(exact);
    runs++;
    return 0;
}

static int run_path(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return 0; /* no seeds yet */
    if (!S_ISDIR(st.st_mode))
        return run_file(path);
    DIR *d = opendir(path);
    if (!d)
        return 1;
    struct dirent *e;
    int rc = 0;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char p[4096];
        snprintf(p, sizeof p, "%s/%s", path, e->d_name);
        rc |= run_path(p);
    }
    closedir(d);
    return rc;
}

int main(int argc, char **argv)
{
    const char *testdata = NULL, *list = NULL;
    int rc = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--testdata") == 0 && i + 1 < argc)
            testdata = argv[++i];
        else if (strcmp(argv[i], "--list") == 0 && i + 1 < argc)
            list = argv[++i];
        else
            rc |= run_path(argv[i]);
    }
    FILE *l = list ? fopen(list, "r") : NULL;
    if (l) {
        struct stat st;
        if (!testdata || stat(testdata, &st) != 0) {
            fprintf(stderr, "replay: NOTE: ../shared/testdata is absent; its seeds are skipped\n");
        } else {
            char line[2048];
            while (fgets(line, sizeof line, l)) {
                line[strcspn(line, "\r\n")] = '\0';
                if (!line[0] || line[0] == '#')
                    continue;
                char p[4096];
                snprintf(p, sizeof p, "%s/%s", testdata, line);
                rc |= run_path(p);
            }
        }
        fclose(l);
    }
    printf("replay: %d inputs, no crash\n", runs);
    return rc;
}
