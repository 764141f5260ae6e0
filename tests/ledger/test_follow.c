/* test_follow.c - the follower's library calls on a real ledger exported to
 * a directory mirror, with checkpoints signed by an in-process ECDSA P-256
 * log key (mbedTLS): mh_follow_update (audit, trusted state, revocations),
 * mh_follow_check_receipt (the call mohur verify --qr makes) for a matching
 * receipt, another document, another kind, a revoke entry, an index beyond
 * the trusted checkpoint, an unknown registry, a rewritten bundle; growth
 * and an incremental update; a configuration with errors. Network-free:
 * ledger_multihost runs the same over HTTP between hosts, with witnesses. */
#define _GNU_SOURCE /* nftw */
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <sys/stat.h>

#include <cmocka.h>
#include <mbedtls/ecdsa.h>
#include <mbedtls/pk.h>
#include <mbedtls/sha256.h>

#include "mh_ledger.h"
#include "mh_pki.h"
#include "../common/test_signer.h"

#define ORIGIN "edu.example.az/log"

static char tmpl[] = "/tmp/mohur-follow-test.XXXXXX";
static char dir[64];

struct signer {
    mbedtls_ecdsa_context key;
    uint8_t id[4];
    const mh_signer *sg; /* the same key as an mh_signer */
};

static int ledger_sign(void *ctx, const char *body, size_t body_len, char *note, size_t cap,
                       size_t *note_len)
{
    struct signer *s = ctx;
    return mh_note_sign(body, body_len, ORIGIN, MH_NOTE_ECDSA, s->id, s->sg, note, cap, note_len);
}

static void entry(mh_ledger_entry *e, uint64_t n)
{
    memset(e, 0, sizeof *e);
    e->type = MH_LEDGER_ISSUE;
    snprintf(e->doc_id, sizeof e->doc_id, "AZ-EDU-%llu", (unsigned long long)n);
    snprintf(e->kind, sizeof e->kind, "diploma");
    snprintf(e->issuer, sizeof e->issuer, "Baku State University");
    mh_merkle_leaf_hash((const uint8_t *)e->doc_id, strlen(e->doc_id), e->digest);
    e->doc_len = 1000 + n;
    memset(e->signer_fp, 0xab, sizeof e->signer_fp);
    e->time = 1767225600u + n;
}

/* Every file of a tree an hour older (as if the last update were that long
 * ago). */
static int age_one(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
    (void)ftw;
    struct timespec t[2] = {{sb->st_atime - 3600, 0}, {sb->st_mtime - 3600, 0}};
    if (type == FTW_F)
        assert_int_equal(utimensat(AT_FDCWD, path, t, AT_SYMLINK_NOFOLLOW), 0);
    return 0;
}

/* The partial tiles (NAME.p/WIDTH) of a copy: counted in partials; a
 * superseded one (its full tile there, or a wider one beside it) counted
 * in superseded. */
static size_t partials, superseded;
static int partial_one(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
    (void)sb;
    char pdir[4096], full[4096];
    if (type != FTW_F || ftw->base < 3 || strncmp(path + ftw->base - 3, ".p/", 3) != 0)
        return 0;
    partials++;
    snprintf(pdir, sizeof pdir, "%.*s", (int)ftw->base - 1, path);
    snprintf(full, sizeof full, "%.*s", (int)ftw->base - 3, path);
    struct stat fs;
    unsigned long long w = strtoull(path + ftw->base, NULL, 10);
    bool wider = false;
    DIR *d = opendir(pdir);
    struct dirent *e;
    while (d && (e = readdir(d)))
        if (e->d_name[0] != '.' && strtoull(e->d_name, NULL, 10) > w)
            wider = true;
    if (d)
        closedir(d);
    if (stat(full, &fs) == 0 || wider)
        superseded++;
    return 0;
}

static void grow(mh_ledger *l, uint64_t from, uint64_t n, struct signer *s, const char *mirror)
{
    mh_ledger_entry *es = calloc(n, sizeof *es);
    mh_ledger_export_stats st;
    assert_non_null(es);
    for (uint64_t i = 0; i < n; i++)
        entry(&es[i], from + i);
    assert_int_equal(mh_ledger_append(l, es, n, NULL), 0);
    free(es);
    assert_int_equal(mh_ledger_checkpoint_sign(l, ORIGIN, ledger_sign, s, NULL), 0);
    assert_int_equal(mh_ledger_export_tiles(l, mirror, &st), 0);
}

static mh_receipt_claims claims_for(uint64_t n, const char *registry, uint8_t digest[32])
{
    mh_ledger_entry e;
    mh_receipt_claims c;
    entry(&e, n);
    memcpy(digest, e.digest, 32);
    memset(&c, 0, sizeof c);
    c.registry.ptr = registry;
    c.registry.len = strlen(registry);
    c.log_index = n;
    c.kind.ptr = "diploma";
    c.kind.len = 7;
    c.digest = digest;
    c.digest_len = 16; /* receipts may carry the first 16 bytes */
    c.doc_len = e.doc_len;
    return c;
}

/* A log key: the signer, its mbedTLS pk (to free) and its vkey. */
static void signer_init(struct signer *s, mbedtls_pk_context *pk, char *vkey, size_t cap)
{
    uint8_t spki_buf[200];
    size_t vl;
    mbedtls_ecdsa_init(&s->key);
    mbedtls_pk_init(pk);
    assert_int_equal(mbedtls_ecdsa_genkey(&s->key, MBEDTLS_ECP_DP_SECP256R1, mh_rng_mbedtls, NULL),
                     0);
    assert_int_equal(mbedtls_pk_setup(pk, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY)), 0);
    assert_int_equal(mbedtls_ecp_copy(&mbedtls_pk_ec(*pk)->Q, &s->key.Q), 0);
    assert_int_equal(mbedtls_mpi_copy(&mbedtls_pk_ec(*pk)->d, &s->key.d), 0);
    assert_int_equal(mbedtls_ecp_group_copy(&mbedtls_pk_ec(*pk)->grp, &s->key.grp), 0);
    s->sg = test_signer(pk);
    int spl = mbedtls_pk_write_pubkey_der(pk, spki_buf, sizeof spki_buf);
    assert_true(spl > 0);
    const uint8_t *spki = spki_buf + sizeof spki_buf - spl;
    assert_int_equal(mh_note_keyid(ORIGIN, strlen(ORIGIN), MH_NOTE_ECDSA, spki, (size_t)spl, s->id),
                     0);
    assert_int_equal(mh_note_vkey_format(ORIGIN, MH_NOTE_ECDSA, spki, (size_t)spl, vkey, cap, &vl),
                     0);
}

static void follow(void **state)
{
    struct signer s;
    mbedtls_pk_context pk;
    uint8_t spki_buf[200], dg[32];
    char vkey[MH_NOTE_MAX_VKEY], ledger[128], mirror[128], cfg[128], stdir[128], json[2048];
    size_t vl;
    mh_ledger *l = NULL;
    mh_ledger_opts o = {.create = true};
    mh_follow *f = NULL;
    mh_follow_status st;
    mh_follow_entry *fe = calloc(1, sizeof *fe);
    mh_receipt_claims c;
    FILE *fp;
    (void)state;

    mbedtls_ecdsa_init(&s.key);
    mbedtls_pk_init(&pk);
    assert_int_equal(mbedtls_ecdsa_genkey(&s.key, MBEDTLS_ECP_DP_SECP256R1, mh_rng_mbedtls, NULL),
                     0);
    assert_int_equal(mbedtls_pk_setup(&pk, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY)), 0);
    assert_int_equal(mbedtls_ecp_copy(&mbedtls_pk_ec(pk)->Q, &s.key.Q), 0);
    assert_int_equal(mbedtls_mpi_copy(&mbedtls_pk_ec(pk)->d, &s.key.d), 0);
    assert_int_equal(mbedtls_ecp_group_copy(&mbedtls_pk_ec(pk)->grp, &s.key.grp), 0);
    s.sg = test_signer(&pk);
    int spl = mbedtls_pk_write_pubkey_der(&pk, spki_buf, sizeof spki_buf);
    assert_true(spl > 0);
    const uint8_t *spki = spki_buf + sizeof spki_buf - spl;
    assert_int_equal(mh_note_keyid(ORIGIN, strlen(ORIGIN), MH_NOTE_ECDSA, spki, (size_t)spl, s.id),
                     0);
    assert_int_equal(
        mh_note_vkey_format(ORIGIN, MH_NOTE_ECDSA, spki, (size_t)spl, vkey, sizeof vkey, &vl), 0);

    snprintf(ledger, sizeof ledger, "%s/ledger", dir);
    snprintf(mirror, sizeof mirror, "%s/mirror", dir);
    snprintf(cfg, sizeof cfg, "%s/follow.json", dir);
    snprintf(stdir, sizeof stdir, "%s/state", dir);
    assert_int_equal(mh_ledger_open(ledger, &o, &l), 0);
    grow(l, 0, 1000, &s, mirror);
    {
        /* revoke document 7 */
        mh_ledger_entry r;
        memset(&r, 0, sizeof r);
        r.type = MH_LEDGER_REVOKE;
        snprintf(r.doc_id, sizeof r.doc_id, "AZ-EDU-7");
        snprintf(r.issuer, sizeof r.issuer, "Registry");
        memset(r.signer_fp, 0xab, sizeof r.signer_fp);
        r.time = 1767300000u;
        r.reason = 4;
        assert_int_equal(mh_ledger_append(l, &r, 1, NULL), 0);
        grow(l, 1001, 299, &s, mirror);
    }

    /* a configuration with errors is refused with a sentence */
    fp = fopen(cfg, "w");
    fprintf(fp, "{\"registries\": [{\"id\": \"AZ-EDU\", \"mirror\": \"%s\"}]}", mirror);
    fclose(fp);
    assert_int_equal(mh_follow_open(cfg, stdir, &f), MH_ERR_PARSE);
    assert_non_null(strstr(mh_err_message(MH_ERR_PARSE), "vkey"));

    snprintf(json, sizeof json,
             "{\"registries\": [{\"id\": \"AZ-EDU\", \"vkey\": \"%s\", \"mirror\": \"%s\", "
             "\"max_age\": 3600}]}",
             vkey, mirror);
    fp = fopen(cfg, "w");
    fputs(json, fp);
    fclose(fp);
    assert_int_equal(mh_follow_open(cfg, stdir, &f), 0);
    assert_int_equal(mh_follow_count(f), 1);

    /* nothing trusted yet */
    c = claims_for(5, "AZ-EDU", dg);
    assert_int_equal(mh_follow_check_receipt(f, &c, fe), MH_ERR_NOT_FOUND);

    assert_int_equal(mh_follow_update(f, "AZ-EDU", &st, NULL, 0, NULL), 0);
    assert_int_equal(st.size, 1300);
    assert_int_equal(st.new_entries, 1300);
    assert_false(st.stale);

    /* the receipt's entry, proven in the trusted tree */
    assert_int_equal(mh_follow_check_receipt(f, &c, fe), 0);
    assert_true(fe->included);
    assert_false(fe->revoked);
    assert_string_equal(fe->entry.doc_id, "AZ-EDU-5");
    assert_int_equal(fe->status.size, 1300);
    /* another document's digest, another length, another kind */
    dg[3] ^= 1;
    assert_int_equal(mh_follow_check_receipt(f, &c, fe), MH_ERR_VERIFY_FAILED);
    dg[3] ^= 1;
    c.doc_len++;
    assert_int_equal(mh_follow_check_receipt(f, &c, fe), MH_ERR_VERIFY_FAILED);
    c.doc_len--;
    c.kind.ptr = "transcript";
    c.kind.len = 10;
    assert_int_equal(mh_follow_check_receipt(f, &c, fe), MH_ERR_VERIFY_FAILED);
    /* the revoked document: included, and revoked by entry 1000 */
    c = claims_for(7, "AZ-EDU", dg);
    assert_int_equal(mh_follow_check_receipt(f, &c, fe), 0);
    assert_true(fe->revoked);
    assert_int_equal(fe->revoke_index, 1000);
    assert_int_equal(fe->reason, 4);
    /* the revoke entry itself is no receipt's entry */
    c = claims_for(1000, "AZ-EDU", dg);
    assert_int_equal(mh_follow_check_receipt(f, &c, fe), MH_ERR_VERIFY_FAILED);
    /* beyond the trusted checkpoint; an unknown registry (by id or origin) */
    c = claims_for(1300, "AZ-EDU", dg);
    assert_int_equal(mh_follow_check_receipt(f, &c, fe), MH_ERR_NOT_FOUND);
    c = claims_for(5, "AZ-NOT", dg);
    assert_int_equal(mh_follow_check_receipt(f, &c, fe), MH_ERR_NOT_FOUND);
    c = claims_for(5, ORIGIN, dg);
    assert_int_equal(mh_follow_check_receipt(f, &c, fe), 0);

    /* growth: an incremental update fetches what is new */
    grow(l, 1300, 700, &s, mirror);
    assert_int_equal(mh_follow_update(f, "AZ-EDU", &st, NULL, 0, NULL), 0);
    assert_int_equal(st.size, 2000);
    assert_int_equal(st.new_entries, 700);
    c = claims_for(1999, "AZ-EDU", dg);
    assert_int_equal(mh_follow_check_receipt(f, &c, fe), 0);

    /* a void entry (never delivered) and an entry recording the receipt's
     * claims digest (what the issuing flow writes) */
    {
        mh_ledger_entry v, e;
        mh_ledger_export_stats xs;
        memset(&v, 0, sizeof v);
        v.type = MH_LEDGER_VOID;
        snprintf(v.doc_id, sizeof v.doc_id, "AZ-EDU-9");
        snprintf(v.issuer, sizeof v.issuer, "Registry");
        memset(v.signer_fp, 0xab, sizeof v.signer_fp);
        v.time = 1767300001u;
        assert_int_equal(mh_ledger_append(l, &v, 1, NULL), 0); /* index 2000 */
        entry(&e, 2001);
        c = claims_for(2001, "AZ-EDU", dg);
        c.issued_at = 1767225600u;
        c.issuer.ptr = "BSU";
        c.issuer.len = 3;
        c.host.ptr = "verify.example.az";
        c.host.len = 17;
        e.has_claims = true;
        assert_int_equal(mh_receipt_claims_digest(&c, e.claims), 0);
        assert_int_equal(mh_ledger_append(l, &e, 1, NULL), 0); /* index 2001 */
        assert_int_equal(mh_ledger_checkpoint_sign(l, ORIGIN, ledger_sign, &s, NULL), 0);
        assert_int_equal(mh_ledger_export_tiles(l, mirror, &xs), 0);
        assert_int_equal(mh_follow_update(f, "AZ-EDU", &st, NULL, 0, NULL), 0);
        assert_int_equal(st.size, 2002);
        assert_int_equal(mh_follow_check_receipt(f, &c, fe), 0);
        c.issued_at++; /* a receipt saying something else than its entry */
        assert_int_equal(mh_follow_check_receipt(f, &c, fe), MH_ERR_VERIFY_FAILED);
        c = claims_for(9, "AZ-EDU", dg);
        assert_int_equal(mh_follow_check_receipt(f, &c, fe), MH_ERR_VERIFY_FAILED);
        assert_true(fe->voided);
        assert_non_null(strstr(mh_err_message(MH_ERR_VERIFY_FAILED), "voided"));
    }

    /* the local copy: a follower keeping one (mohurd's follower process),
     * and a reader with no network (mohurd's front) proving entries from
     * it alone, the mirror gone */
    {
        mh_follow *fc = NULL, *fl = NULL, *fo = NULL;
        char st2[160], away[160];
        snprintf(st2, sizeof st2, "%s/state2", dir);
        snprintf(away, sizeof away, "%s/mirror.away", dir);
        assert_int_equal(mh_follow_open_ex(cfg, st2, MH_FOLLOW_COPY, &fc), 0);
        assert_int_equal(mh_follow_update(fc, "AZ-EDU", &st, NULL, 0, NULL), 0);
        assert_int_equal(st.size, 2002);
        assert_int_equal(mh_follow_open_ex(cfg, st2, MH_FOLLOW_LOCAL, &fl), 0);
        assert_true(mh_follow_has(fl, "AZ-EDU", 6));
        assert_false(mh_follow_has(fl, "AZ-NOT", 6));
        assert_int_equal(mh_follow_update(fl, "AZ-EDU", &st, NULL, 0, NULL), MH_ERR_INVALID_ARG);
        assert_int_equal(rename(mirror, away), 0);
        c = claims_for(5, "AZ-EDU", dg);
        assert_int_equal(mh_follow_check_receipt(fl, &c, fe), 0);
        assert_string_equal(fe->status.last_error, "");
        c = claims_for(1999, "AZ-EDU", dg);
        assert_int_equal(mh_follow_check_receipt(fl, &c, fe), 0);
        c = claims_for(7, "AZ-EDU", dg);
        assert_int_equal(mh_follow_check_receipt(fl, &c, fe), 0);
        assert_true(fe->revoked);
        /* an update that fails is recorded for the reader; the copy stays */
        assert_int_not_equal(mh_follow_update(fc, "AZ-EDU", &st, NULL, 0, NULL), 0);
        assert_int_equal(mh_follow_status_get(fl, "AZ-EDU", &st), 0);
        assert_true(st.last_error[0] != 0);
        assert_false(st.fork);
        assert_int_equal(mh_follow_check_receipt(fl, &c, fe), 0);
        assert_int_equal(rename(away, mirror), 0);
        /* growth: only what is new is fetched, and the copy follows */
        grow(l, 2002, 300, &s, mirror);
        assert_int_equal(mh_follow_update(fc, "AZ-EDU", &st, NULL, 0, NULL), 0);
        assert_int_equal(st.size, 2302);
        assert_int_equal(st.new_entries, 300);
        assert_int_equal(mh_follow_status_get(fl, "AZ-EDU", &st), 0);
        assert_string_equal(st.last_error, "");
        /* the state of a follower that kept no copy: the copy is made once */
        assert_int_equal(mh_follow_open_ex(cfg, stdir, MH_FOLLOW_COPY, &fo), 0);
        assert_int_equal(mh_follow_update(fo, "AZ-EDU", &st, NULL, 0, NULL), 0);
        assert_int_equal(st.size, 2302);
        mh_follow_close(fo);
        assert_int_equal(mh_follow_open_ex(cfg, stdir, MH_FOLLOW_LOCAL, &fo), 0);
        assert_int_equal(rename(mirror, away), 0);
        c = claims_for(2301, "AZ-EDU", dg);
        assert_int_equal(mh_follow_check_receipt(fl, &c, fe), 0);
        assert_int_equal(mh_follow_check_receipt(fo, &c, fe), 0);
        c = claims_for(3, "AZ-EDU", dg);
        assert_int_equal(mh_follow_check_receipt(fo, &c, fe), 0);
        c = claims_for(2302, "AZ-EDU", dg);
        assert_int_equal(mh_follow_check_receipt(fo, &c, fe), MH_ERR_NOT_FOUND);
        assert_int_equal(rename(away, mirror), 0);
        mh_follow_close(fo);
        mh_follow_close(fl);
        mh_follow_close(fc);
    }

    /* superseded partial tiles leave the copy once a newer checkpoint is
     * trusted (when they are over a minute old: a reader that took the
     * previous checkpoint still finds its tiles), and the copy still
     * proves every entry */
    {
        mh_follow *fc = NULL, *fl = NULL;
        char st2[160], away[160];
        snprintf(st2, sizeof st2, "%s/state2", dir);
        snprintf(away, sizeof away, "%s/mirror.away", dir);
        partials = superseded = 0;
        assert_int_equal(nftw(st2, partial_one, 16, FTW_PHYS), 0);
        /* the updates so far left superseded ones (younger than a minute) */
        size_t before = partials;
        assert_true(superseded > 0);
        assert_int_equal(nftw(st2, age_one, 16, FTW_PHYS), 0);
        grow(l, 2302, 98, &s, mirror); /* tile 8 is full now, level 1 wider */
        assert_int_equal(mh_follow_open_ex(cfg, st2, MH_FOLLOW_COPY, &fc), 0);
        assert_int_equal(mh_follow_update(fc, "AZ-EDU", &st, NULL, 0, NULL), 0);
        assert_int_equal(st.size, 2400);
        partials = superseded = 0;
        assert_int_equal(nftw(st2, partial_one, 16, FTW_PHYS), 0);
        assert_int_equal(superseded, 0);
        assert_true(partials > 0 && partials <= before);
        assert_int_equal(mh_follow_open_ex(cfg, st2, MH_FOLLOW_LOCAL, &fl), 0);
        assert_int_equal(rename(mirror, away), 0);
        uint64_t idx[] = {5, 2100, 2301, 2399};
        for (size_t i = 0; i < sizeof idx / sizeof idx[0]; i++) {
            c = claims_for(idx[i], "AZ-EDU", dg);
            assert_int_equal(mh_follow_check_receipt(fl, &c, fe), 0);
        }
        assert_int_equal(rename(away, mirror), 0);
        mh_follow_close(fl);
        mh_follow_close(fc);
    }

    /* a forged trusted state (what a taken-over process beside mohurd's
     * front could write): the state and the copy of another tree, one the
     * log never signed, holding an entry beyond the real log. Signed by
     * another key, or carrying the log's genuine checkpoint with the
     * forged root and edge: either way nothing is proven from it */
    {
        struct signer s2;
        mbedtls_pk_context pk2;
        char vkey2[MH_NOTE_MAX_VKEY], ledger2[160], mirror2[160], cfg2[160], st2[160], st3[160];
        char cmd[1200];
        mh_ledger *l2 = NULL;
        mh_follow *f3 = NULL, *fl = NULL;
        signer_init(&s2, &pk2, vkey2, sizeof vkey2);
        snprintf(ledger2, sizeof ledger2, "%s/ledger2", dir);
        snprintf(mirror2, sizeof mirror2, "%s/mirror2", dir);
        snprintf(cfg2, sizeof cfg2, "%s/follow2.json", dir);
        snprintf(st2, sizeof st2, "%s/state2", dir);
        snprintf(st3, sizeof st3, "%s/state3", dir);
        assert_int_equal(mh_ledger_open(ledger2, &o, &l2), 0);
        grow(l2, 0, 2600, &s2, mirror2);
        fp = fopen(cfg2, "w");
        fprintf(fp,
                "{\"registries\": [{\"id\": \"AZ-EDU\", \"vkey\": \"%s\", \"mirror\": \"%s\"}]}",
                vkey2, mirror2);
        fclose(fp);
        assert_int_equal(mh_follow_open_ex(cfg2, st3, MH_FOLLOW_COPY, &f3), 0);
        assert_int_equal(mh_follow_update(f3, "AZ-EDU", &st, NULL, 0, NULL), 0);
        assert_int_equal(st.size, 2600);
        mh_follow_close(f3);
        /* the genuine state first: entry 2500 is beyond what the log signed */
        assert_int_equal(mh_follow_open_ex(cfg, st2, MH_FOLLOW_LOCAL, &fl), 0);
        c = claims_for(2500, "AZ-EDU", dg);
        assert_int_equal(mh_follow_check_receipt(fl, &c, fe), MH_ERR_NOT_FOUND);
        c = claims_for(5, "AZ-EDU", dg);
        assert_int_equal(mh_follow_check_receipt(fl, &c, fe), 0);
        /* keep the genuine checkpoint line, then put the forged state and
         * copy in place (same origin: the same file names) */
        snprintf(cmd, sizeof cmd,
                 "grep -h '^checkpoint ' %s/*.audit > %s/genuine.ck && cp -a %s/. %s/", st2, dir,
                 st3, st2);
        assert_int_equal(system(cmd), 0);
        c = claims_for(2500, "AZ-EDU", dg);
        assert_int_equal(mh_follow_check_receipt(fl, &c, fe), MH_ERR_LEDGER_FORK);
        assert_non_null(strstr(mh_err_message(MH_ERR_LEDGER_FORK), "not what the log signed"));
        c = claims_for(5, "AZ-EDU", dg);
        assert_int_equal(mh_follow_check_receipt(fl, &c, fe), MH_ERR_LEDGER_FORK);
        /* the log's own checkpoint with the forged root and edge */
        snprintf(cmd, sizeof cmd,
                 "for a in %s/*.audit; do sed -i '/^checkpoint /d' \"$a\" && cat %s/genuine.ck >> "
                 "\"$a\"; done",
                 st2, dir);
        assert_int_equal(system(cmd), 0);
        c = claims_for(2500, "AZ-EDU", dg);
        assert_int_equal(mh_follow_check_receipt(fl, &c, fe), MH_ERR_LEDGER_FORK);
        mh_follow_close(fl);
        mh_ledger_close(l2);
        mbedtls_pk_free(&pk2);
        mbedtls_ecdsa_free(&s2.key);
    }

    /* a mirror that rewrites a trusted entry: the proof fails */
    {
        char path[256];
        snprintf(path, sizeof path, "%s/tile/entries/000", mirror);
        fp = fopen(path, "r+b");
        assert_non_null(fp);
        fseek(fp, 40, SEEK_SET);
        fputc('X', fp);
        fclose(fp);
        c = claims_for(0, "AZ-EDU", dg);
        assert_int_equal(mh_follow_check_receipt(f, &c, fe), MH_ERR_LEDGER_FORK);
        c = claims_for(600, "AZ-EDU", dg);
        assert_int_equal(mh_follow_check_receipt(f, &c, fe), 0); /* other bundles are fine */
    }

    mh_follow_close(f);
    mh_ledger_close(l);
    mbedtls_pk_free(&pk);
    mbedtls_ecdsa_free(&s.key);
    free(fe);
}

static int setup(void **state)
{
    (void)state;
    if (!mkdtemp(tmpl))
        return -1;
    snprintf(dir, sizeof dir, "%s", tmpl);
    return 0;
}

static int teardown(void **state)
{
    char cmd[128];
    (void)state;
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(follow),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
