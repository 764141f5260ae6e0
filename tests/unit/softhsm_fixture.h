/* softhsm_fixture.h - a throwaway SoftHSM2 token store per test run. */
#ifndef MH_SOFTHSM_FIXTURE_H
#define MH_SOFTHSM_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct fixture {
    char dir[256];
    char conf[300];
    char pinfile[300];
    char badpinfile[300];
};

static inline void fx_write(const char *path, const char *text, mode_t mode)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        perror(path);
        exit(2);
    }
    fputs(text, f);
    fclose(f);
    chmod(path, mode);
}

/* Makes DIR/tokens and DIR/softhsm2.conf and points SOFTHSM2_CONF at it. */
static inline void fx_setup(struct fixture *fx)
{
    snprintf(fx->dir, sizeof fx->dir, "/tmp/mh-test-XXXXXX");
    if (!mkdtemp(fx->dir)) {
        perror("mkdtemp");
        exit(2);
    }
    char tokens[300];
    snprintf(tokens, sizeof tokens, "%s/tokens", fx->dir);
    mkdir(tokens, 0700);
    snprintf(fx->conf, sizeof fx->conf, "%s/softhsm2.conf", fx->dir);
    char text[512];
    snprintf(text, sizeof text,
             "directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n", tokens);
    fx_write(fx->conf, text, 0600);
    setenv("SOFTHSM2_CONF", fx->conf, 1);
    snprintf(fx->pinfile, sizeof fx->pinfile, "%s/pin", fx->dir);
    fx_write(fx->pinfile, "1234\n", 0600);
    snprintf(fx->badpinfile, sizeof fx->badpinfile, "%s/badpin", fx->dir);
    fx_write(fx->badpinfile, "9999\n", 0600);
}

static inline void fx_teardown(struct fixture *fx)
{
    char cmd[400];
    if (fx->dir[0] && strncmp(fx->dir, "/tmp/mh-test-", 13) == 0) {
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", fx->dir);
        if (system(cmd) != 0)
            fprintf(stderr, "could not remove %s\n", fx->dir);
    }
}

#endif
