/*
 * signer.c - mohurd's signer process: the only one that loads a PKCS#11
 * module and holds a PIN (logged in once from pins/user.pin by hsm/, the
 * PIN in one locked stack buffer, wiped after C_Login; all of this
 * process's memory is locked and it cannot dump core). Its peer is the
 * ledger process; it answers four requests and nothing else:
 *
 *   SIGN  a digest-sized hash, for a purpose its permit table allows:
 *         DOCUMENT with the issuer's configured key, for a kind the issuer
 *         may issue; RECEIPT with the registry key; TIMESTAMP with the TSA
 *         key; and only for an issue entry the ledger has accepted (read
 *         here, read-only): the entry at the request's log index is an
 *         issue entry of that issuer and kind, in force (not voided or
 *         revoked), and for DOCUMENT it names this key's certificate.
 *   NOTE  a checkpoint body whose size and root are the ledger's own.
 *   KEY   the certificate stored next to a configured key.
 *   PING  is the token there?
 *
 * Any other message kills the conversation: the process exits and the
 * parent restarts both it and the ledger process.
 */
#define _GNU_SOURCE
#include "mohurd.h"

#include <errno.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "mh_app.h"
#include "mh_ledger.h"

static struct S {
    mhd_conf *c;
    mh_app *app;
    pthread_rwlock_t lock;
    mh_app_issuer_info info[MH_APP_ISSUERS_MAX];
    size_t n;
    mh_app_signer *signers[MH_APP_ISSUERS_MAX];
    uint8_t fp[MH_APP_ISSUERS_MAX][32];
    char origin[300];
    atomic_ullong signatures, errors, refused;
} S;

static int open_all(void)
{
    int rc = mh_app_open_ex(S.c->state_dir, MH_APP_KEYS_ONLY, &S.app);
    if (rc)
        return rc;
    if (S.c->origin[0])
        snprintf(S.origin, sizeof S.origin, "%s", S.c->origin);
    else
        snprintf(S.origin, sizeof S.origin, "%s/log", mh_app_verify_host(S.app));
    if (mh_app_issuers(S.app, S.info, MH_APP_ISSUERS_MAX, &S.n) != 0)
        S.n = 0;
    if (S.n > MH_APP_ISSUERS_MAX)
        S.n = MH_APP_ISSUERS_MAX;
    for (size_t i = 0; i < S.n; i++) {
        /* the same checks as the CLI's signer: path, CRL, CA database,
         * the issuer's registered certificates */
        const char *uri = NULL; /* the appliance token, or another (issuer_key) */
        for (size_t k = 0; k < S.c->nissuer_keys; k++)
            if (strcmp(S.c->issuer_keys[k].issuer, S.info[i].id) == 0)
                uri = S.c->issuer_keys[k].uri;
        rc = mh_app_signer_open(S.app, S.info[i].id, uri, &S.signers[i]);
        if (rc) {
            mhd_log(MHD_LOG_WARN, "an issuer's key cannot sign: refusing it", "issuer=%s error=%s",
                    mhd_q(S.info[i].id), mhd_q(mh_err_message(rc)));
            S.signers[i] = NULL;
            continue;
        }
        mh_app_signer_fp(S.signers[i], S.fp[i]);
    }
    return MH_OK;
}

static void close_all(void)
{
    for (size_t i = 0; i < MH_APP_ISSUERS_MAX; i++) {
        mh_app_signer_close(S.signers[i]);
        S.signers[i] = NULL;
    }
    mh_app_close(S.app);
    S.app = NULL;
    S.n = 0;
}

static bool has_kind(const mh_app_issuer_info *in, const char *kind)
{
    for (size_t i = 0; i < in->nkinds && i < 8; i++)
        if (strcmp(in->kinds[i], kind) == 0)
            return true;
    return false;
}

/* The permit table, then the ledger. 0, or MH_ERR_PERMISSION with why. */
static int permit(const mhd_sign_req *q, size_t *issuer_index)
{
    const mh_app_issuer_info *in = NULL;
    size_t i;
    for (i = 0; i < S.n; i++)
        if (strcmp(S.info[i].id, q->issuer) == 0) {
            in = &S.info[i];
            break;
        }
    const mbedtls_md_info_t *md = mbedtls_md_info_from_type((mbedtls_md_type_t)q->md);
    if (!md ||
        (q->md != MBEDTLS_MD_SHA256 && q->md != MBEDTLS_MD_SHA384 && q->md != MBEDTLS_MD_SHA512) ||
        mbedtls_md_get_size(md) != q->hash_len) {
        mh_err_set(MH_ERR_PERMISSION,
                   "refused: only SHA-256/384/512 digests of their own size are signed");
        return MH_ERR_PERMISSION;
    }
    if (!in || !has_kind(in, q->kind)) {
        mh_err_set(MH_ERR_PERMISSION, "refused: issuer '%s' may not issue kind '%s'", q->issuer,
                   q->kind);
        return MH_ERR_PERMISSION;
    }
    switch (q->purpose) {
    case MHD_P_DOCUMENT:
        if (strcmp(q->key, in->key_label) != 0 || !S.signers[i]) {
            mh_err_set(MH_ERR_PERMISSION, "refused: key '%s' is not issuer '%s''s signing key",
                       q->key, q->issuer);
            return MH_ERR_PERMISSION;
        }
        break;
    case MHD_P_RECEIPT:
        if (strcmp(q->key, mh_app_key_label(S.app, MH_APP_KEY_REGISTRY)) != 0) {
            mh_err_set(MH_ERR_PERMISSION,
                       "refused: receipts are signed with the registry key only");
            return MH_ERR_PERMISSION;
        }
        break;
    case MHD_P_TIMESTAMP: {
        const char *tsa = mh_app_key_label(S.app, MH_APP_KEY_TSA);
        if (!tsa[0] || strcmp(q->key, tsa) != 0) {
            mh_err_set(MH_ERR_PERMISSION, "refused: timestamps are signed with the TSA key only");
            return MH_ERR_PERMISSION;
        }
        break;
    }
    default:
        mh_err_set(MH_ERR_PERMISSION, "refused: no such purpose");
        return MH_ERR_PERMISSION;
    }
    /* the ledger accepted the entry this signature is for */
    mh_ledger *l = mh_app_ledger(S.app);
    mh_ledger_entry e;
    mh_ledger_status st;
    if (mh_ledger_get(l, q->log_index, &e) != 0 || e.type != MH_LEDGER_ISSUE ||
        strcmp(e.issuer, q->issuer) != 0 || strcmp(e.kind, q->kind) != 0) {
        mh_err_set(MH_ERR_PERMISSION,
                   "refused: the ledger has no issue entry %llu of issuer '%s', kind '%s'",
                   (unsigned long long)q->log_index, q->issuer, q->kind);
        return MH_ERR_PERMISSION;
    }
    if (mh_ledger_lookup_id(l, e.doc_id, &st) != 0 || st.issue_index != q->log_index || st.voided ||
        st.revoked) {
        mh_err_set(MH_ERR_PERMISSION,
                   "refused: entry %llu is not in force (voided, revoked or superseded)",
                   (unsigned long long)q->log_index);
        return MH_ERR_PERMISSION;
    }
    if (q->purpose == MHD_P_DOCUMENT && mh_ct_memcmp(e.signer_fp, S.fp[i], 32) != 0) {
        mh_err_set(MH_ERR_PERMISSION, "refused: entry %llu names another signing certificate",
                   (unsigned long long)q->log_index);
        return MH_ERR_PERMISSION;
    }
    *issuer_index = i;
    return MH_OK;
}

static void reply_error(int ch, uint32_t id, int rc)
{
    mhd_error e;
    memset(&e, 0, sizeof e);
    e.code = rc ? rc : MH_ERR_INTERNAL;
    snprintf(e.message, sizeof e.message, "%s", mh_err_message(e.code));
    if (mhd_ipc_send(ch, MHD_M_ERROR, id, &e, -1) != 0)
        mh_err_clear();
}

static void h_sign(int ch, const mhd_msg *m)
{
    mhd_sign_req q;
    mhd_sign_ok ok;
    size_t i = 0;
    int rc = mhd_ipc_decode(m->type, m->buf, m->len, &q);
    if (rc == 0 && (rc = permit(&q, &i)) != 0) {
        atomic_fetch_add(&S.refused, 1);
        mhd_log(MHD_LOG_WARN, "signature refused",
                "purpose=%u key=%s issuer=%s kind=%s index=%llu "
                "why=%s",
                (unsigned)q.purpose, mhd_q(q.key), mhd_q(q.issuer), mhd_q(q.kind),
                (unsigned long long)q.log_index, mhd_q(mh_err_message(rc)));
    }
    if (rc == 0) {
        /* the token's own signer for the key the permit named; the
         * algorithm asked for must be the one the key makes */
        const mh_signer *k =
            q.purpose == MHD_P_DOCUMENT
                ? mh_app_signer_key(S.signers[i])
                : mh_app_key_signer(S.app, q.purpose == MHD_P_RECEIPT ? MH_APP_KEY_REGISTRY
                                                                      : MH_APP_KEY_TSA);
        memset(&ok, 0, sizeof ok);
        if (!k)
            rc = mh_err_set(MH_ERR_KEY_NOT_FOUND, "the signer holds no usable key '%s'", q.key);
        else if (q.alg != (uint8_t)k->alg || q.enc > MH_SIG_RAW)
            rc = mh_err_set(MH_ERR_KEY_TYPE, "key '%s' makes %s signatures, not what was asked",
                            q.key, mh_sig_alg_name(k->alg));
        else
            rc = mh_signer_sign(k, (mbedtls_md_type_t)q.md, q.hash, q.hash_len,
                                (enum mh_sig_enc)q.enc, ok.sig, sizeof ok.sig, &ok.sig_len);
        if (rc)
            atomic_fetch_add(&S.errors, 1);
    }
    if (rc) {
        reply_error(ch, m->id, rc);
        return;
    }
    atomic_fetch_add(&S.signatures, 1);
    if (mhd_ipc_send(ch, MHD_M_SIGN_OK, m->id, &ok, -1) != 0)
        mh_err_clear();
}

static void h_note(int ch, const mhd_msg *m)
{
    static _Thread_local mhd_note_req q;
    static _Thread_local mhd_note_ok ok;
    char origin[MH_LEDGER_ORIGIN_MAX + 1];
    uint64_t size = 0;
    uint8_t root[32], have[32];
    size_t nl = 0;
    int rc = mhd_ipc_decode(m->type, m->buf, m->len, &q);
    if (rc == 0 && (mh_ledger_checkpoint_parse(q.body, strlen(q.body), origin, sizeof origin, &size,
                                               root) != 0 ||
                    strcmp(origin, S.origin) != 0 ||
                    mh_ledger_root_at(mh_app_ledger(S.app), size, have) != 0 ||
                    mh_ct_memcmp(root, have, 32) != 0)) {
        mh_err_set(MH_ERR_PERMISSION,
                   "refused: the checkpoint is not this ledger's (origin, size and root)");
        rc = MH_ERR_PERMISSION;
        atomic_fetch_add(&S.refused, 1);
    }
    if (rc == 0)
        rc =
            mh_app_sign_note(S.app, S.origin, q.body, strlen(q.body), ok.note, sizeof ok.note, &nl);
    if (rc) {
        reply_error(ch, m->id, rc);
        return;
    }
    atomic_fetch_add(&S.signatures, 1);
    if (mhd_ipc_send(ch, MHD_M_NOTE_OK, m->id, &ok, -1) != 0)
        mh_err_clear();
}

static void h_key(int ch, const mhd_msg *m)
{
    mhd_key_req q;
    static _Thread_local mhd_key k;
    uint8_t *der = NULL;
    size_t len = 0;
    int rc = mhd_ipc_decode(m->type, m->buf, m->len, &q);
    if (rc == 0) {
        rc = MH_ERR_KEY_NOT_FOUND;
        if (strcmp(q.label, mh_app_key_label(S.app, MH_APP_KEY_REGISTRY)) == 0)
            rc = mh_app_key_cert(S.app, MH_APP_KEY_REGISTRY, &der, &len);
        else if (q.label[0] && strcmp(q.label, mh_app_key_label(S.app, MH_APP_KEY_TSA)) == 0)
            rc = mh_app_key_cert(S.app, MH_APP_KEY_TSA, &der, &len);
        else
            for (size_t i = 0; i < S.n; i++)
                if (strcmp(q.label, S.info[i].key_label) == 0 && S.signers[i])
                    rc = mh_app_signer_cert(S.signers[i], &der, &len);
        if (rc == MH_ERR_KEY_NOT_FOUND)
            mh_err_set(rc, "the signer holds no usable key '%s'", q.label);
    }
    if (rc == 0 && len > sizeof k.cert)
        rc = MH_ERR_TOO_LARGE;
    if (rc) {
        free(der);
        reply_error(ch, m->id, rc);
        return;
    }
    memset(&k, 0, sizeof k);
    snprintf(k.label, sizeof k.label, "%s", q.label);
    memcpy(k.cert, der, len);
    k.cert_len = len;
    free(der);
    if (mhd_ipc_send(ch, MHD_M_KEY, m->id, &k, -1) != 0)
        mh_err_clear();
}

static void *serve_ledger(void *arg)
{
    int ch = (int)(intptr_t)arg;
    mhd_msg *m = malloc(sizeof *m);
    static const mhd_permit permits[] = {
        {MHD_M_SIGN_REQ, false, false},
        {MHD_M_NOTE_REQ, false, false},
        {MHD_M_KEY_REQ, false, false},
        {MHD_M_PING, false, false},
    };
    while (m) {
        int rc = mhd_ipc_recv(ch, m, -1);
        if (rc == MH_ERR_IO)
            break;
        if (rc || !mhd_ipc_permitted(permits, sizeof permits / sizeof permits[0], m)) {
            /* the ledger process asked for something it may never ask:
             * stop talking to it at all */
            mhd_log(MHD_LOG_ERROR, "protocol violation by the ledger process: stopping", "type=%s",
                    mhd_q(rc ? "malformed" : mhd_ipc_type_name(m->type)));
            exit(MHD_EXIT_BAD_LEDGER);
        }
        pthread_rwlock_rdlock(&S.lock);
        switch (m->type) {
        case MHD_M_SIGN_REQ:
            h_sign(ch, m);
            break;
        case MHD_M_NOTE_REQ:
            h_note(ch, m);
            break;
        case MHD_M_KEY_REQ:
            h_key(ch, m);
            break;
        case MHD_M_PING: {
            mhd_pong p = {mh_app_token_ok(S.app), atomic_load(&S.signatures),
                          atomic_load(&S.errors)};
            if (mhd_ipc_send(ch, MHD_M_PONG, m->id, &p, -1) != 0)
                mh_err_clear();
            break;
        }
        }
        pthread_rwlock_unlock(&S.lock);
    }
    free(m);
    close(ch);
    return NULL;
}

int mhd_signer_main(mhd_conf *c)
{
    int rc;
    static mhd_msg m;
    memset(&S, 0, sizeof S);
    S.c = c;
    pthread_rwlock_init(&S.lock, NULL);
    /* every page of this process stays in RAM: the PIN is read into a stack
     * buffer by hsm/ and the token's session state lives here */
    if (mlockall(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT) != 0)
        mhd_log(MHD_LOG_WARN, "memory could not be locked (raise LimitMEMLOCK)", "error=%s",
                mhd_q(strerror(errno)));
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    sigprocmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    int sfd = signalfd(-1, &set, SFD_CLOEXEC);
    if ((rc = open_all()) != 0)
        return rc;
    if ((rc = mhd_seccomp(MHD_ROLE_SIGNER)) != 0)
        return rc;
    mhd_ready rd = {MHD_ROLE_SIGNER, (uint32_t)getpid()};
    if ((rc = mhd_ipc_send(MHD_PARENT_FD, MHD_M_READY, 0, &rd, -1)) != 0)
        return rc;
    mhd_log(MHD_LOG_INFO, "serving", "issuers=%zu", S.n);
    static const mhd_permit permits[] = {{MHD_M_CONNECT, true, false},
                                         {MHD_M_RELOAD, false, false}};
    for (;;) {
        struct pollfd pf[2] = {{MHD_PARENT_FD, POLLIN, 0}, {sfd, POLLIN, 0}};
        if (poll(pf, 2, -1) < 0 && errno != EINTR)
            break;
        if (pf[1].revents & POLLIN) {
            struct signalfd_siginfo si;
            if (read(sfd, &si, sizeof si) == (ssize_t)sizeof si && si.ssi_signo != SIGHUP)
                break;
        }
        if (!(pf[0].revents & (POLLIN | POLLHUP)))
            continue;
        rc = mhd_ipc_recv(MHD_PARENT_FD, &m, 0);
        if (rc == MH_ERR_IO)
            break;
        mhd_connect cn;
        if (rc || !mhd_ipc_permitted(permits, 2, &m) ||
            (m.type == MHD_M_CONNECT &&
             (mhd_ipc_decode(m.type, m.buf, m.len, &cn) != 0 || cn.peer != MHD_ROLE_LEDGER))) {
            mhd_log(MHD_LOG_ERROR, "protocol violation from the parent", NULL);
            exit(MHD_EXIT_BAD_PARENT);
        }
        if (m.type == MHD_M_RELOAD) {
            pthread_rwlock_wrlock(&S.lock);
            close_all();
            rc = open_all();
            pthread_rwlock_unlock(&S.lock);
            if (rc) {
                mhd_log(MHD_LOG_ERROR, "reload failed", "error=%s", mhd_q(mh_err_message(rc)));
                return rc;
            }
            mhd_log(MHD_LOG_INFO, "reloaded", NULL);
            continue;
        }
        pthread_t th;
        pthread_attr_t at;
        pthread_attr_init(&at);
        pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
        if (pthread_create(&th, &at, serve_ledger, (void *)(intptr_t)m.fd) != 0)
            close(m.fd);
        pthread_attr_destroy(&at);
    }
    pthread_rwlock_wrlock(&S.lock);
    close_all();
    pthread_rwlock_unlock(&S.lock);
    return MH_OK;
}
