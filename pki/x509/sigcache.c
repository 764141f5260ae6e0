/* sigcache.c - a bounded cache of certificate and CRL signatures that
 * verified (pki_x509.h, mh_x509_sigcache_*), for a server that validates
 * paths from the same authorities again and again.
 *
 * What is cached is one fact: "this signature over these bytes verifies
 * with this key under this algorithm". The key of an entry is SHA-256 over
 * a domain label and, each with its length, the issuer's whole
 * SubjectPublicKeyInfo, the whole signature AlgorithmIdentifier, the
 * signature bytes and the SHA-256 of the signed bytes (the TBSCertificate
 * or TBSCertList): every input of the check, so a hit means a fresh check
 * of the same inputs would pass (short of a SHA-256 collision). Only
 * successes are stored. Nothing else is: validity times, names,
 * constraints, policies, key usage and revocation are decided afresh on
 * every validation, so a revoked or expired certificate is refused however
 * often its signature was seen.
 *
 * The table is set-associative (4 ways, the bucket taken from the digest,
 * which is uniform), fixed in size once set, replaced round-robin within a
 * bucket, behind one mutex (a lookup is a few hundred nanoseconds against
 * tens of microseconds for a verification). Off until
 * mh_x509_sigcache_set() gives it a size. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/sha256.h>

#include "pki_x509.h"
#include "x509_ext.h"

#define WAYS 4
#define LABEL "mohur x509 signature cache v1"

struct bucket {
    uint8_t key[WAYS][32];
    uint8_t used; /* bit i: way i holds a key */
    uint8_t next; /* the way replaced next */
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct bucket *table;
static size_t nbuckets;
static uint64_t hits, misses, stored;

static size_t bucket_of(const uint8_t key[32])
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = (v << 8) | key[i];
    return (size_t)(v % nbuckets);
}

int mh_x509_sigcache_set(size_t entries)
{
    struct bucket *t = NULL, *old;
    size_t nb = 0;
    if (entries > MH_X509_SIGCACHE_MAX)
        return MH_ERR_INVALID_ARG;
    if (entries) {
        nb = (entries + WAYS - 1) / WAYS;
        t = calloc(nb, sizeof *t);
        if (!t)
            return MH_ERR_NOMEM;
    }
    pthread_mutex_lock(&lock);
    old = table;
    table = t;
    nbuckets = nb;
    hits = misses = stored = 0;
    pthread_mutex_unlock(&lock);
    free(old);
    return 0;
}

void mh_x509_sigcache_stats_get(mh_x509_sigcache_stats *out)
{
    memset(out, 0, sizeof *out);
    pthread_mutex_lock(&lock);
    out->capacity = nbuckets * WAYS;
    for (size_t b = 0; b < nbuckets; b++)
        for (unsigned w = 0; w < WAYS; w++)
            out->entries += ((unsigned)table[b].used >> w) & 1u;
    out->hits = hits;
    out->misses = misses;
    out->stored = stored;
    pthread_mutex_unlock(&lock);
}

bool mh_x509_sigcache_on(void)
{
    pthread_mutex_lock(&lock);
    bool on = table != NULL;
    pthread_mutex_unlock(&lock);
    return on;
}

static void put_len(mbedtls_sha256_context *c, size_t len)
{
    uint8_t b[8];
    for (int i = 0; i < 8; i++)
        b[i] = (uint8_t)((uint64_t)len >> (56 - 8 * i));
    mbedtls_sha256_update_ret(c, b, sizeof b);
}

static void put(mbedtls_sha256_context *c, const uint8_t *p, size_t len)
{
    put_len(c, len);
    if (len)
        mbedtls_sha256_update_ret(c, p, len);
}

void mh_x509_sigcache_key(const mh_x509_span *spki, const mh_x509_span *alg,
                          const uint8_t tbs_sha256[32], const mh_x509_span *sig, uint8_t key[32])
{
    mbedtls_sha256_context c;
    mbedtls_sha256_init(&c);
    mbedtls_sha256_starts_ret(&c, 0);
    put(&c, (const uint8_t *)LABEL, sizeof LABEL - 1);
    put(&c, spki->p, spki->len);
    put(&c, alg->p, alg->len);
    put(&c, sig->p, sig->len);
    put(&c, tbs_sha256, 32);
    mbedtls_sha256_finish_ret(&c, key);
    mbedtls_sha256_free(&c);
}

bool mh_x509_sigcache_lookup(const uint8_t key[32])
{
    bool hit = false;
    pthread_mutex_lock(&lock);
    if (table) {
        const struct bucket *b = &table[bucket_of(key)];
        for (unsigned w = 0; w < WAYS && !hit; w++)
            hit = (((unsigned)b->used >> w) & 1u) && memcmp(b->key[w], key, 32) == 0;
        if (hit)
            hits++;
        else
            misses++;
    }
    pthread_mutex_unlock(&lock);
    return hit;
}

void mh_x509_sigcache_store(const uint8_t key[32])
{
    pthread_mutex_lock(&lock);
    if (table) {
        struct bucket *b = &table[bucket_of(key)];
        bool have = false;
        for (unsigned w = 0; w < WAYS && !have; w++)
            have = (((unsigned)b->used >> w) & 1u) && memcmp(b->key[w], key, 32) == 0;
        if (!have) {
            unsigned w = b->next;
            memcpy(b->key[w], key, 32);
            b->used = (uint8_t)(b->used | (1u << w));
            b->next = (uint8_t)((w + 1) % WAYS);
            stored++;
        }
    }
    pthread_mutex_unlock(&lock);
}
