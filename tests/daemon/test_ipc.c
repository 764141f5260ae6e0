/*
 * test_ipc.c - the checks MHD_M_EXTSIG_NEED's decoder makes beyond the
 * schema (host/daemon/ipc.c c_extsig_need): what the front is told about a
 * signature a client's key is to make must have the shape the 202
 * promises (docs/daemon.md), or it is refused like any malformed message.
 * An honest message of each kind (a PDF, a detached CAdES signature)
 * decodes back exactly; each forgery is refused. And the memfds that
 * carry documents between the processes (mhd_memfd_fromv, _read, _map).
 */
#define _GNU_SOURCE
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "ipc.h"

static int checks, failed;

static void ok(int cond, const char *what)
{
    checks++;
    if (!cond) {
        failed++;
        fprintf(stderr, "FAIL %3d - %s\n", checks, what);
    } else {
        printf("ok %3d - %s\n", checks, what);
    }
}

/* The documents that come in a memfd (the outputs of an issue, mapped by
 * the front): only a sealed memfd within the cap is taken, read or mapped,
 * and either way its bytes come back exactly. */
static void memfd_checks(void)
{
    static uint8_t doc[200000];
    for (size_t i = 0; i < sizeof doc; i++)
        doc[i] = (uint8_t)(i * 31 + 7);
    int fd = -1;
    mhd_map m;
    uint8_t *b = NULL;
    size_t n = 0;
    ok(mhd_memfd_from("t", doc, sizeof doc, &fd) == 0 && mhd_memfd_map(fd, sizeof doc, &m) == 0 &&
           m.len == sizeof doc && memcmp(m.p, doc, sizeof doc) == 0,
       "a sealed memfd is mapped with its bytes");
    mhd_map_free(&m);
    const uint8_t *parts[] = {doc, doc + 1000, doc};
    size_t lens[] = {1000, sizeof doc - 1000, 0};
    ok(mhd_memfd_fromv("t", parts, lens, 3, &fd) == 0 &&
           mhd_memfd_read(fd, sizeof doc, &b, &n) == 0 && n == sizeof doc && memcmp(b, doc, n) == 0,
       "a memfd of parts reads back as their bytes one after the other");
    free(b);
    ok(mhd_memfd_from("t", doc, sizeof doc, &fd) == 0 &&
           mhd_memfd_map(fd, sizeof doc - 1, &m) == MH_ERR_TOO_LARGE && !m.p,
       "a memfd over the cap is refused");
    ok(mhd_memfd_from("t", doc, 0, &fd) == 0 && mhd_memfd_map(fd, 10, &m) == 0 && m.len == 0,
       "an empty memfd maps to nothing");
    mhd_map_free(&m);
    int raw = memfd_create("t", MFD_CLOEXEC);
    ok(raw >= 0 && write(raw, doc, 100) == 100 && mhd_memfd_map(raw, sizeof doc, &m) != 0 && !m.p,
       "an unsealed memfd is refused (its bytes could change under the reader)");
}

/* A plausible message: a SET of 300 bytes (long form), SHA-256. */
static void honest(mhd_extsig_need *n, bool pdf)
{
    memset(n, 0, sizeof *n);
    snprintf(n->session, sizeof n->session, "%032x", 7u);
    n->md = 6;
    n->alg = 1;
    n->hash_len = 32;
    memset(n->hash, 0xab, 32);
    n->expires = 120;
    n->sattrs_len = 304;
    n->sattrs[0] = 0x31;
    n->sattrs[1] = 0x82;
    n->sattrs[2] = 0x01;
    n->sattrs[3] = 0x2c; /* 300 */
    n->doc_len = 1000;
    if (pdf) {
        n->flags = MHD_TBS_PDF;
        n->byte_range[0] = 0;
        n->byte_range[1] = 1200;
        n->byte_range[2] = 1200 + 32770;
        n->byte_range[3] = 900;
    }
}

/* Encodes n and decodes it again: 0 when the decoder takes it. */
static int roundtrip(const mhd_extsig_need *n, mhd_extsig_need *back)
{
    static uint8_t buf[MHD_IPC_MAX];
    size_t len = 0;
    if (mhd_ipc_encode(MHD_M_EXTSIG_NEED, n, buf, sizeof buf, &len) != 0)
        return -1;
    return mhd_ipc_decode(MHD_M_EXTSIG_NEED, buf, len, back);
}

/* The forgeries, in the order of main's table. */
static void forge(mhd_extsig_need *m, size_t i)
{
    switch (i) {
    case 0:
        m->hash_len = 20;
        break;
    case 1:
        m->sattrs_len = 0;
        break;
    case 2:
        m->sattrs[0] = 0x30;
        break;
    case 3:
        m->sattrs_len = 303;
        break;
    case 4: /* 124 bytes in the two-byte form */
        m->sattrs[1] = 0x82;
        m->sattrs[2] = 0;
        m->sattrs[3] = 0x7c;
        m->sattrs_len = 128;
        break;
    case 5:
        m->sattrs[1] = 0x80;
        break;
    case 6:
        m->flags = 2;
        break;
    case 7:
        m->byte_range[1] = 5;
        break;
    case 8:
        m->byte_range[0] = 1;
        break;
    case 9:
        m->byte_range[1] = 999;
        break;
    case 10:
        m->byte_range[2] = m->byte_range[1];
        break;
    case 11:
        m->byte_range[3] = 0;
        break;
    case 12:
        m->byte_range[3] = (uint64_t)1 << 40;
        break;
    default:
        m->doc_len = (uint64_t)1 << 40;
        break;
    }
}

int main(void)
{
    static mhd_extsig_need n, back;
    for (int pdf = 0; pdf < 2; pdf++) {
        honest(&n, pdf);
        ok(roundtrip(&n, &back) == 0 && back.sattrs_len == n.sattrs_len &&
               memcmp(back.sattrs, n.sattrs, n.sattrs_len) == 0 && back.doc_len == n.doc_len &&
               memcmp(back.byte_range, n.byte_range, sizeof n.byte_range) == 0 &&
               back.flags == n.flags,
           pdf ? "an honest PDF's need decodes back exactly"
               : "an honest CAdES need decodes back exactly");
    }

    static const struct {
        const char *what;
        bool pdf;
    } bad[] = {
        {"a digest of 20 bytes", false},
        {"no signed attributes", false},
        {"signed attributes that are a SEQUENCE", false},
        {"a SET whose length is not what came", false},
        {"a SET length in a non-minimal form", false},
        {"an indefinite length", false},
        {"an unknown flag", false},
        {"a CAdES need with a byte range", false},
        {"a byte range not from 0", true},
        {"a gap inside the client's document", true},
        {"a byte range without a gap", true},
        {"an empty second range", true},
        {"a byte range past 2^40", true},
        {"a document length past 2^40", true},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        honest(&n, bad[i].pdf);
        forge(&n, i);
        char what[200];
        snprintf(what, sizeof what, "refused: %s", bad[i].what);
        ok(roundtrip(&n, &back) != 0 && back.sattrs_len == 0, what);
    }
    memfd_checks();
    printf("test_ipc: %d checks, %d failed\n", checks, failed);
    return failed ? 1 : 0;
}
