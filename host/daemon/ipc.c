/*
 * ipc.c - mohurd's message codec and transport (ipc.h). The payload of each
 * type is described by a schema (field kind, offset in the struct,
 * capacity); one encoder and one decoder walk the schemas, so no message
 * has a hand-written parser.
 */
#define _GNU_SOURCE
#include "ipc.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- the schemas -------------------------------------------------------- */

enum fk { F_END = 0, F_U8, F_U32, F_U64, F_I32, F_STR, F_BYTES };

typedef struct field {
    enum fk kind;
    size_t off;
    size_t cap;    /* F_STR: the array's size (NUL included); F_BYTES: its size */
    size_t lenoff; /* F_BYTES: where its size_t length lives */
} field;

#define U8(s, m)                                                                                   \
    {                                                                                              \
        F_U8, offsetof(s, m), 0, 0                                                                 \
    }
#define U32(s, m)                                                                                  \
    {                                                                                              \
        F_U32, offsetof(s, m), 0, 0                                                                \
    }
#define U64(s, m)                                                                                  \
    {                                                                                              \
        F_U64, offsetof(s, m), 0, 0                                                                \
    }
#define I32(s, m)                                                                                  \
    {                                                                                              \
        F_I32, offsetof(s, m), 0, 0                                                                \
    }
#define STR(s, m)                                                                                  \
    {                                                                                              \
        F_STR, offsetof(s, m), sizeof(((s *)0)->m), 0                                              \
    }
#define BYTES(s, m, l)                                                                             \
    {                                                                                              \
        F_BYTES, offsetof(s, m), sizeof(((s *)0)->m), offsetof(s, l)                               \
    }
#define END                                                                                        \
    {                                                                                              \
        F_END, 0, 0, 0                                                                             \
    }

static const field f_connect[] = {U8(mhd_connect, peer), U32(mhd_connect, slot), END};
static const field f_ready[] = {U8(mhd_ready, role), U32(mhd_ready, pid), END};
static const field f_empty[] = {END};
static const field f_health[] = {U8(mhd_health, ledger_ok),
                                 U8(mhd_health, signer_ok),
                                 U8(mhd_health, token_ok),
                                 U64(mhd_health, size),
                                 U64(mhd_health, signatures),
                                 U64(mhd_health, sign_errors),
                                 U64(mhd_health, checkpoint_size),
                                 STR(mhd_health, problem),
                                 END};
static const field f_issue_req[] = {STR(mhd_issue_req, requester),
                                    STR(mhd_issue_req, issuer),
                                    STR(mhd_issue_req, kind),
                                    STR(mhd_issue_req, doc_id),
                                    STR(mhd_issue_req, fields),
                                    U8(mhd_issue_req, has_doc),
                                    BYTES(mhd_issue_req, cert, cert_len),
                                    END};
static const field f_extsig_need[] = {STR(mhd_extsig_need, session),
                                      U8(mhd_extsig_need, md),
                                      U8(mhd_extsig_need, alg),
                                      BYTES(mhd_extsig_need, hash, hash_len),
                                      U32(mhd_extsig_need, expires),
                                      BYTES(mhd_extsig_need, sattrs, sattrs_len),
                                      U8(mhd_extsig_need, flags),
                                      U64(mhd_extsig_need, doc_len),
                                      U64(mhd_extsig_need, byte_range[0]),
                                      U64(mhd_extsig_need, byte_range[1]),
                                      U64(mhd_extsig_need, byte_range[2]),
                                      U64(mhd_extsig_need, byte_range[3]),
                                      END};
static const field f_extsig_req[] = {STR(mhd_extsig_req, requester), STR(mhd_extsig_req, session),
                                     BYTES(mhd_extsig_req, sig, sig_len), END};
static const field f_issue_ok[] = {STR(mhd_issue_ok, doc_id),
                                   U64(mhd_issue_ok, log_index),
                                   STR(mhd_issue_ok, url),
                                   U32(mhd_issue_ok, qr_version),
                                   U8(mhd_issue_ok, flags),
                                   U32(mhd_issue_ok, nout),
                                   U64(mhd_issue_ok, out_len[0]),
                                   U64(mhd_issue_ok, out_len[1]),
                                   U64(mhd_issue_ok, out_len[2]),
                                   U64(mhd_issue_ok, out_len[3]),
                                   END};
static const field f_error[] = {I32(mhd_error, code), STR(mhd_error, message),
                                U8(mhd_error, voided), STR(mhd_error, url), END};
static const field f_revoke_req[] = {STR(mhd_revoke_req, requester), STR(mhd_revoke_req, doc_id),
                                     U32(mhd_revoke_req, reason), END};
static const field f_revoke_ok[] = {U64(mhd_revoke_ok, revoke_index), U64(mhd_revoke_ok, time),
                                    U32(mhd_revoke_ok, reason), END};
static const field f_batch_req[] = {STR(mhd_batch_req, requester), STR(mhd_batch_req, issuer),
                                    STR(mhd_batch_req, kind),      STR(mhd_batch_req, out_dir),
                                    U8(mhd_batch_req, json),       END};
static const field f_batch_poll[] = {U32(mhd_batch_poll, id), END};
static const field f_batch_state[] = {
    U32(mhd_batch_state, id),         U8(mhd_batch_state, state),
    U64(mhd_batch_state, rows),       U64(mhd_batch_state, issued),
    U64(mhd_batch_state, already),    U64(mhd_batch_state, remade),
    U64(mhd_batch_state, bad),        U64(mhd_batch_state, conflicts),
    U64(mhd_batch_state, voided),     U64(mhd_batch_state, failed),
    I32(mhd_batch_state, fatal),      U64(mhd_batch_state, elapsed_ms),
    U64(mhd_batch_state, per_second), STR(mhd_batch_state, message),
    STR(mhd_batch_state, out_dir),    END};
static const field f_cosig_req[] = {STR(mhd_cosig_req, requester), U64(mhd_cosig_req, seq),
                                    STR(mhd_cosig_req, line), END};
static const field f_sign_req[] = {U8(mhd_sign_req, purpose),
                                   STR(mhd_sign_req, key),
                                   STR(mhd_sign_req, issuer),
                                   STR(mhd_sign_req, kind),
                                   U64(mhd_sign_req, log_index),
                                   U8(mhd_sign_req, md),
                                   U8(mhd_sign_req, alg),
                                   U8(mhd_sign_req, enc),
                                   BYTES(mhd_sign_req, hash, hash_len),
                                   END};
static const field f_sign_ok[] = {BYTES(mhd_sign_ok, sig, sig_len), END};
static const field f_note_req[] = {STR(mhd_note_req, body), END};
static const field f_note_ok[] = {STR(mhd_note_ok, note), END};
static const field f_key_req[] = {STR(mhd_key_req, label), END};
static const field f_key[] = {STR(mhd_key, label), BYTES(mhd_key, cert, cert_len), END};
static const field f_pong[] = {U8(mhd_pong, token_ok), U64(mhd_pong, signatures),
                               U64(mhd_pong, errors), END};

/* What the client is shown before it signs: a digest of one of the hashes,
 * signed attributes that are one DER SET with a definite length filling
 * them, only known flags; a PDF's byte range starts at 0, its gap (the
 * /Contents) lies after the client's own bytes, and every value is below
 * 2^40 (so no sum overflows); without a PDF no byte range. */
static bool c_extsig_need(const void *msg)
{
    const mhd_extsig_need *n = msg;
    const uint64_t *br = n->byte_range;
    const uint64_t big = (uint64_t)1 << 40;
    if (n->hash_len != 32 && n->hash_len != 48 && n->hash_len != 64)
        return false;
    if (n->sattrs_len < 2 || n->sattrs[0] != 0x31 || (n->flags & ~MHD_TBS_PDF) != 0 ||
        n->doc_len >= big)
        return false;
    /* the SET's length: short form, or long form in one or two bytes */
    size_t hdr = 2, len = n->sattrs[1];
    if (len == 0x81 || len == 0x82) {
        size_t k = len & 0x7f;
        if (n->sattrs_len < 2 + k)
            return false;
        len = 0;
        for (size_t i = 0; i < k; i++)
            len = (len << 8) | n->sattrs[2 + i];
        hdr = 2 + k;
        if (len < (k == 1 ? 0x80u : 0x100u)) /* DER: the shortest form */
            return false;
    } else if (len >= 0x80) {
        return false;
    }
    if (hdr + len != n->sattrs_len)
        return false;
    if (!(n->flags & MHD_TBS_PDF))
        return (br[0] | br[1] | br[2] | br[3]) == 0;
    for (size_t i = 0; i < 4; i++)
        if (br[i] >= big)
            return false;
    return br[0] == 0 && br[1] >= n->doc_len && br[1] > 0 && br[0] + br[1] < br[2] && br[3] > 0;
}

typedef struct schema {
    const char *name;
    const field *fields;
    size_t size;
    bool (*check)(const void *msg); /* optional: the values, once decoded */
} schema;

static const schema schemas[MHD_M_TYPE_MAX_] = {
    [MHD_M_CONNECT] = {"connect", f_connect, sizeof(mhd_connect), NULL},
    [MHD_M_READY] = {"ready", f_ready, sizeof(mhd_ready), NULL},
    [MHD_M_RELOAD] = {"reload", f_empty, sizeof(mhd_empty), NULL},
    [MHD_M_HEALTH_REQ] = {"health-req", f_empty, sizeof(mhd_empty), NULL},
    [MHD_M_ISSUE_REQ] = {"issue-req", f_issue_req, sizeof(mhd_issue_req), NULL},
    [MHD_M_REVOKE_REQ] = {"revoke-req", f_revoke_req, sizeof(mhd_revoke_req), NULL},
    [MHD_M_BATCH_REQ] = {"batch-req", f_batch_req, sizeof(mhd_batch_req), NULL},
    [MHD_M_BATCH_POLL] = {"batch-poll", f_batch_poll, sizeof(mhd_batch_poll), NULL},
    [MHD_M_COSIG_REQ] = {"cosig-req", f_cosig_req, sizeof(mhd_cosig_req), NULL},
    [MHD_M_EXTSIG_REQ] = {"extsig-req", f_extsig_req, sizeof(mhd_extsig_req), NULL},
    [MHD_M_EXTSIG_NEED] = {"extsig-need", f_extsig_need, sizeof(mhd_extsig_need), c_extsig_need},
    [MHD_M_HEALTH] = {"health", f_health, sizeof(mhd_health), NULL},
    [MHD_M_ISSUE_OK] = {"issue-ok", f_issue_ok, sizeof(mhd_issue_ok), NULL},
    [MHD_M_REVOKE_OK] = {"revoke-ok", f_revoke_ok, sizeof(mhd_revoke_ok), NULL},
    [MHD_M_BATCH_STATE] = {"batch-state", f_batch_state, sizeof(mhd_batch_state), NULL},
    [MHD_M_OK] = {"ok", f_empty, sizeof(mhd_empty), NULL},
    [MHD_M_ERROR] = {"error", f_error, sizeof(mhd_error), NULL},
    [MHD_M_SIGN_REQ] = {"sign-req", f_sign_req, sizeof(mhd_sign_req), NULL},
    [MHD_M_NOTE_REQ] = {"note-req", f_note_req, sizeof(mhd_note_req), NULL},
    [MHD_M_KEY_REQ] = {"key-req", f_key_req, sizeof(mhd_key_req), NULL},
    [MHD_M_PING] = {"ping", f_empty, sizeof(mhd_empty), NULL},
    [MHD_M_SIGN_OK] = {"sign-ok", f_sign_ok, sizeof(mhd_sign_ok), NULL},
    [MHD_M_NOTE_OK] = {"note-ok", f_note_ok, sizeof(mhd_note_ok), NULL},
    [MHD_M_KEY] = {"key", f_key, sizeof(mhd_key), NULL},
    [MHD_M_PONG] = {"pong", f_pong, sizeof(mhd_pong), NULL},
};

static const schema *schema_of(uint8_t type)
{
    if (type >= MHD_M_TYPE_MAX_ || !schemas[type].fields)
        return NULL;
    return &schemas[type];
}

size_t mhd_ipc_struct_size(uint8_t type)
{
    const schema *s = schema_of(type);
    return s ? s->size : 0;
}

const char *mhd_ipc_type_name(uint8_t type)
{
    const schema *s = schema_of(type);
    return s ? s->name : "unknown";
}

/* ---- the cursor ----------------------------------------------------------- */

typedef struct cur {
    const uint8_t *p;
    size_t n, off;
    bool err;
} cur;

static const uint8_t *take(cur *c, size_t n)
{
    if (c->err || n > c->n - c->off) {
        c->err = true;
        return NULL;
    }
    const uint8_t *r = c->p + c->off;
    c->off += n;
    return r;
}

static uint64_t get_be(cur *c, size_t n)
{
    const uint8_t *b = take(c, n);
    uint64_t v = 0;
    if (!b)
        return 0;
    for (size_t i = 0; i < n; i++)
        v = (v << 8) | b[i];
    return v;
}

typedef struct wcur {
    uint8_t *p;
    size_t cap, off;
    bool err;
} wcur;

static void put(wcur *w, const void *src, size_t n)
{
    if (w->err || n > w->cap - w->off) {
        w->err = true;
        return;
    }
    memcpy(w->p + w->off, src, n);
    w->off += n;
}

static void put_be(wcur *w, uint64_t v, size_t n)
{
    uint8_t b[8];
    for (size_t i = 0; i < n; i++)
        b[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
    put(w, b, n);
}

int mhd_ipc_encode(uint8_t type, const void *msg, uint8_t *out, size_t cap, size_t *len)
{
    const schema *s = schema_of(type);
    wcur w = {out, cap, 0, false};
    if (!s)
        return MH_ERR_INVALID_ARG;
    const uint8_t *base = msg;
    for (const field *f = s->fields; f->kind != F_END; f++) {
        const uint8_t *at = base + f->off;
        switch (f->kind) {
        case F_U8:
            put_be(&w, *at, 1);
            break;
        case F_U32: {
            uint32_t v;
            memcpy(&v, at, 4);
            put_be(&w, v, 4);
            break;
        }
        case F_I32: {
            int32_t v;
            memcpy(&v, at, 4);
            put_be(&w, (uint32_t)v, 4);
            break;
        }
        case F_U64: {
            uint64_t v;
            memcpy(&v, at, 8);
            put_be(&w, v, 8);
            break;
        }
        case F_STR: {
            size_t n = strnlen((const char *)at, f->cap);
            if (n >= f->cap || n > 0xffff) {
                w.err = true;
                break;
            }
            put_be(&w, n, 2);
            put(&w, at, n);
            break;
        }
        case F_BYTES: {
            size_t n;
            memcpy(&n, base + f->lenoff, sizeof n);
            if (n > f->cap || n > 0xffff) {
                w.err = true;
                break;
            }
            put_be(&w, n, 2);
            put(&w, at, n);
            break;
        }
        case F_END:
            break;
        }
    }
    if (w.err) {
        mh_err_set(MH_ERR_TOO_LARGE, "an IPC message of type %s does not fit its limits", s->name);
        return MH_ERR_TOO_LARGE;
    }
    *len = w.off;
    return MH_OK;
}

int mhd_ipc_decode(uint8_t type, const uint8_t *payload, size_t len, void *msg)
{
    const schema *s = schema_of(type);
    cur c = {payload, len, 0, false};
    if (!s || len > MHD_IPC_MAX)
        return MH_ERR_PARSE;
    uint8_t *base = msg;
    memset(base, 0, s->size);
    for (const field *f = s->fields; f->kind != F_END && !c.err; f++) {
        uint8_t *at = base + f->off;
        switch (f->kind) {
        case F_U8:
            *at = (uint8_t)get_be(&c, 1);
            break;
        case F_U32: {
            uint32_t v = (uint32_t)get_be(&c, 4);
            memcpy(at, &v, 4);
            break;
        }
        case F_I32: {
            int32_t v = (int32_t)(uint32_t)get_be(&c, 4);
            memcpy(at, &v, 4);
            break;
        }
        case F_U64: {
            uint64_t v = get_be(&c, 8);
            memcpy(at, &v, 8);
            break;
        }
        case F_STR: {
            size_t n = (size_t)get_be(&c, 2);
            const uint8_t *p = c.err ? NULL : take(&c, n);
            /* room for the NUL; no NUL inside */
            if (!p || n >= f->cap || memchr(p, 0, n)) {
                c.err = true;
                break;
            }
            memcpy(at, p, n);
            at[n] = 0;
            break;
        }
        case F_BYTES: {
            size_t n = (size_t)get_be(&c, 2);
            const uint8_t *p = c.err ? NULL : take(&c, n);
            if (!p || n > f->cap) {
                c.err = true;
                break;
            }
            memcpy(at, p, n);
            memcpy(base + f->lenoff, &n, sizeof n);
            break;
        }
        case F_END:
            break;
        }
    }
    if (c.err || c.off != c.n || (s->check && !s->check(base))) {
        memset(base, 0, s->size);
        mh_err_set(MH_ERR_PARSE, "a malformed IPC message of type %s", s->name);
        return MH_ERR_PARSE;
    }
    return MH_OK;
}

int mhd_ipc_parse(const uint8_t *dgram, size_t n, uint8_t *type, uint32_t *id,
                  const uint8_t **payload, size_t *len)
{
    cur c = {dgram, n, 0, false};
    uint8_t t = (uint8_t)get_be(&c, 1);
    uint8_t r1 = (uint8_t)get_be(&c, 1);
    uint16_t r2 = (uint16_t)get_be(&c, 2);
    uint32_t i = (uint32_t)get_be(&c, 4);
    uint32_t l = (uint32_t)get_be(&c, 4);
    if (c.err || r1 || r2 || !schema_of(t) || l > MHD_IPC_MAX || l != n - c.off)
        return MH_ERR_PARSE;
    *type = t;
    *id = i;
    *payload = dgram + c.off;
    *len = l;
    return MH_OK;
}

/* ---- transport ------------------------------------------------------------- */

int mhd_ipc_send(int sock, uint8_t type, uint32_t id, const void *msg, int fd)
{
    static _Thread_local uint8_t buf[MHD_IPC_HDR + MHD_IPC_MAX];
    size_t len = 0;
    int rc = mhd_ipc_encode(type, msg, buf + MHD_IPC_HDR, MHD_IPC_MAX, &len);
    if (rc)
        return rc;
    wcur w = {buf, MHD_IPC_HDR, 0, false};
    put_be(&w, type, 1);
    put_be(&w, 0, 1);
    put_be(&w, 0, 2);
    put_be(&w, id, 4);
    put_be(&w, len, 4);
    struct iovec iov = {buf, MHD_IPC_HDR + len};
    struct msghdr mh;
    union {
        char b[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } ctl;
    memset(&mh, 0, sizeof mh);
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    if (fd >= 0) {
        memset(&ctl, 0, sizeof ctl);
        mh.msg_control = ctl.b;
        mh.msg_controllen = sizeof ctl.b;
        struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
        cm->cmsg_level = SOL_SOCKET;
        cm->cmsg_type = SCM_RIGHTS;
        cm->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(cm), &fd, sizeof fd);
    }
    for (;;) {
        ssize_t r = sendmsg(sock, &mh, MSG_NOSIGNAL);
        if (r >= 0)
            return (size_t)r == iov.iov_len ? MH_OK : MH_ERR_IO;
        if (errno == EINTR)
            continue;
        mh_err_set(MH_ERR_IO, "the peer process is gone (%s)", strerror(errno));
        return MH_ERR_IO;
    }
}

int mhd_ipc_recv(int sock, mhd_msg *m, int timeout_ms)
{
    static _Thread_local uint8_t buf[MHD_IPC_HDR + MHD_IPC_MAX + 1];
    union {
        char b[CMSG_SPACE(sizeof(int) * 4)];
        struct cmsghdr align;
    } ctl;
    m->fd = -1;
    if (timeout_ms >= 0) {
        struct pollfd p = {sock, POLLIN, 0};
        int r;
        do
            r = poll(&p, 1, timeout_ms);
        while (r < 0 && errno == EINTR);
        if (r == 0)
            return MH_ERR_CANCELLED;
        if (r < 0)
            return MH_ERR_IO;
    }
    struct iovec iov = {buf, sizeof buf};
    struct msghdr mh;
    memset(&mh, 0, sizeof mh);
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    mh.msg_control = ctl.b;
    mh.msg_controllen = sizeof ctl.b;
    ssize_t r;
    do
        r = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
    while (r < 0 && errno == EINTR);
    if (r <= 0) {
        mh_err_set(MH_ERR_IO, "the peer process is gone");
        return MH_ERR_IO;
    }
    /* every descriptor that came is ours to close, whatever happens */
    int fds[4], nfd = 0;
    for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
        if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
            continue;
        size_t k = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (size_t i = 0; i < k && nfd < 4; i++)
            memcpy(&fds[nfd++], CMSG_DATA(cm) + i * sizeof(int), sizeof(int));
    }
    const uint8_t *payload;
    size_t len;
    bool bad = (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) != 0 || nfd > 1 ||
               mhd_ipc_parse(buf, (size_t)r, &m->type, &m->id, &payload, &len) != 0;
    if (bad) {
        for (int i = 0; i < nfd; i++)
            close(fds[i]);
        mh_err_set(MH_ERR_PARSE, "a malformed IPC message (%zd bytes)", r);
        return MH_ERR_PARSE;
    }
    memcpy(m->buf, payload, len);
    m->len = len;
    m->fd = nfd ? fds[0] : -1;
    return MH_OK;
}

bool mhd_ipc_permitted(const mhd_permit *table, size_t n, const mhd_msg *m)
{
    for (size_t i = 0; i < n; i++) {
        if (table[i].type != m->type)
            continue;
        if (table[i].fd_optional)
            return true;
        return table[i].with_fd == (m->fd >= 0);
    }
    return false;
}

/* ---- memfds ----------------------------------------------------------------- */

int mhd_memfd_from(const char *name, const void *buf, size_t len, int *fd)
{
    const uint8_t *p = buf;
    return mhd_memfd_fromv(name, &p, &len, 1, fd);
}

int mhd_memfd_fromv(const char *name, const uint8_t *const *part, const size_t *len, size_t n,
                    int *fd)
{
    int f = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
    *fd = -1;
    if (f < 0) {
        mh_err_set(MH_ERR_IO, "memfd_create: %s", strerror(errno));
        return MH_ERR_IO;
    }
    for (size_t i = 0; i < n; i++) {
        size_t done = 0;
        while (done < len[i]) {
            ssize_t w = write(f, part[i] + done, len[i] - done);
            if (w < 0 && errno == EINTR)
                continue;
            if (w <= 0) {
                int e = errno;
                close(f);
                mh_err_set(e == ENOSPC ? MH_ERR_DISK_FULL : MH_ERR_IO, "writing a memfd: %s",
                           strerror(e));
                return e == ENOSPC ? MH_ERR_DISK_FULL : MH_ERR_IO;
            }
            done += (size_t)w;
        }
    }
    /* the receiver reads what we wrote, nothing else: sealed */
    if (fcntl(f, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) != 0) {
        close(f);
        return MH_ERR_IO;
    }
    *fd = f;
    return MH_OK;
}

/* The size of a sealed memfd (only one: its size and bytes cannot change
 * under us), at most cap. */
static int memfd_size(int fd, size_t cap, size_t *n)
{
    struct stat st;
    int seals = fcntl(fd, F_GET_SEALS);
    if (seals < 0 || !(seals & F_SEAL_WRITE) || !(seals & F_SEAL_SHRINK) || fstat(fd, &st) != 0 ||
        !S_ISREG(st.st_mode))
        return mh_err_set(MH_ERR_PARSE, "the document did not come as a sealed memfd");
    if ((uint64_t)st.st_size > cap)
        return mh_err_set(MH_ERR_TOO_LARGE, "the document is larger than %zu bytes", cap);
    *n = (size_t)st.st_size;
    return MH_OK;
}

int mhd_memfd_map(int fd, size_t cap, mhd_map *m)
{
    size_t n = 0;
    int ret = memfd_size(fd, cap, &n);
    memset(m, 0, sizeof *m);
    if (ret == 0 && n) {
        void *p = mmap(NULL, n, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
        if (p == MAP_FAILED)
            ret = mh_err_set(MH_ERR_NOMEM, "the document cannot be mapped: %s", strerror(errno));
        else {
            m->p = p;
            m->len = n;
        }
    }
    close(fd);
    if (ret == 0 && !m->p)
        m->p = (const uint8_t *)""; /* empty: nothing mapped */
    return ret;
}

void mhd_map_free(mhd_map *m)
{
    if (m->len)
        munmap((void *)(uintptr_t)m->p, m->len);
    memset(m, 0, sizeof *m);
}

int mhd_memfd_read(int fd, size_t cap, uint8_t **buf, size_t *len)
{
    int ret;
    uint8_t *b = NULL;
    *buf = NULL;
    *len = 0;
    size_t n = 0, got = 0;
    if ((ret = memfd_size(fd, cap, &n)) != 0)
        goto out;
    ret = MH_ERR_PARSE;
    b = malloc(n + 1);
    if (!b) {
        ret = MH_ERR_NOMEM;
        goto out;
    }
    while (got < n) {
        ssize_t r = pread(fd, b + got, n - got, (off_t)got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            ret = MH_ERR_IO;
            goto out;
        }
        got += (size_t)r;
    }
    b[n] = 0;
    *buf = b;
    *len = n;
    b = NULL;
    ret = MH_OK;
out:
    free(b);
    close(fd);
    return ret;
}
