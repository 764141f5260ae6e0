/*
 * ledgerd.c - mohurd's ledger process: the only writer of the ledger. It
 * opens the appliance without a token (MH_APP_NO_TOKEN), with keys whose
 * private operations go to the signer process, and runs the same services
 * as the CLI for the front's requests: mh_app_issue (a rendered kind from
 * its template first), mh_app_revoke, mh_batch_run. It signs checkpoints
 * (through the signer) and exports the C2SP tiles the front serves.
 */
#define _GNU_SOURCE
#include "mohurd.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "mh_app.h"
#include "mh_batch.h"
#include "mh_doc.h"
#include "mh_ledger.h"

#define TPL_MAX 16
#define BATCH_MAX 64

typedef struct rkey {
    char label[MHD_LABEL_MAX + 1];
    uint8_t purpose;
} rkey;

typedef struct tpl {
    char kind[MHD_KIND_MAX + 1];
    char issuer[MHD_ID_MAX + 1];
    mh_template *t;
    mh_pdf_font font;
    bool has_font;
} tpl;

typedef struct batch {
    mhd_batch_state st;
    char roster[1200];
    mh_kind *kind;
    char issuer[MHD_ID_MAX + 1];
    char issuer_name[256];
    char requester[MHD_REQUESTER_MAX + 1];
} batch;

static struct G {
    mhd_conf *c;
    mh_app *app;
    pthread_rwlock_t lock; /* requests read, reload and stop write */
    mhd_pool signer;
    pthread_mutex_t keys_lock;
    bool keys_ok;
    char keys_problem[300];
    rkey reg, tsa, iss[MH_APP_ISSUERS_MAX];
    mh_app_issuer_info info[MH_APP_ISSUERS_MAX];
    size_t nissuers;
    mh_app_signer *signers[MH_APP_ISSUERS_MAX];
    char origin[300];
    char tiles[1200], batches[1200];
    uint64_t checkpoint_size;
    atomic_bool stopping;
    pthread_mutex_t tpl_lock;
    tpl tpls[TPL_MAX];
    pthread_mutex_t batch_lock;
    batch *b[BATCH_MAX];
    uint32_t nbatch;
    bool batch_running;
    volatile sig_atomic_t batch_stop;
    atomic_ullong signatures, sign_errors;
} G;

/* ---- signing through the signer --------------------------------------------- */

/* The mh_signer sign of every key the ledger process holds: the signer
 * process signs, if its permit table and its read of the ledger allow. The
 * flow's request (mh_app_remote_call) names the issue entry the signature
 * is for; the entry names the issuer and kind the permit is asked for. */
static int remote_sign(const mh_signer *self, mbedtls_md_type_t md, const uint8_t *in,
                       size_t in_len, bool message, enum mh_sig_enc enc, uint8_t *sig, size_t cap,
                       size_t *sig_len)
{
    static _Thread_local mhd_msg m;
    const mh_app_remote_call *call = self->ctx;
    const rkey *k = call->ctx;
    const mh_app_request *rq = call->request;
    mhd_sign_req q;
    mh_ledger_entry e;
    memset(&q, 0, sizeof q);
    if (!rq || !rq->has_entry)
        return mh_err_set(MH_ERR_PERMISSION,
                          "a signature without its ledger entry is never asked for");
    if (message || in_len > sizeof q.hash)
        return mh_err_set(MH_ERR_KEY_TYPE, "the signer process signs digests only");
    int rc = mh_ledger_get(mh_app_ledger(G.app), rq->entry_index, &e);
    if (rc)
        return rc;
    q.purpose = k->purpose;
    snprintf(q.key, sizeof q.key, "%s", k->label);
    snprintf(q.issuer, sizeof q.issuer, "%s", e.issuer);
    snprintf(q.kind, sizeof q.kind, "%s", e.kind);
    q.log_index = rq->entry_index;
    q.md = (uint8_t)md;
    q.alg = (uint8_t)self->alg;
    q.enc = (uint8_t)enc;
    memcpy(q.hash, in, in_len);
    q.hash_len = in_len;
    rc = mhd_pool_call(&G.signer, MHD_M_SIGN_REQ, &q, -1, &m, 120000);
    if (rc == 0 && m.fd >= 0)
        close(m.fd);
    if (rc) {
        atomic_fetch_add(&G.sign_errors, 1);
        /* a signer that stops or hangs is a token that cannot sign now
         * (503), not an internal error */
        return mh_err_set(rc == MH_ERR_CANCELLED ? MH_ERR_TOKEN_BUSY : MH_ERR_TOKEN_FAILED,
                          "the signer process did not answer (%s); the signature was not made",
                          rc == MH_ERR_CANCELLED ? "timeout" : "it stopped");
    }
    if (m.type == MHD_M_ERROR) {
        mhd_error er;
        atomic_fetch_add(&G.sign_errors, 1);
        if (mhd_ipc_decode(m.type, m.buf, m.len, &er) != 0)
            return MH_ERR_INTERNAL;
        /* the signer's own code (a wrong PIN, a removed token, a refusal) */
        return mh_err_set(er.code < 0 ? er.code : MH_ERR_INTERNAL, "the signer process: %s",
                          er.message);
    }
    mhd_sign_ok ok;
    if (m.type != MHD_M_SIGN_OK || mhd_ipc_decode(m.type, m.buf, m.len, &ok) != 0 ||
        ok.sig_len > cap)
        return MH_ERR_INTERNAL;
    memcpy(sig, ok.sig, ok.sig_len);
    *sig_len = ok.sig_len;
    atomic_fetch_add(&G.signatures, 1);
    return MH_OK;
}

static int fetch_cert(const char *label, uint8_t **der, size_t *len)
{
    static mhd_msg m;
    mhd_key_req q;
    mhd_key *k = NULL;
    memset(&q, 0, sizeof q);
    snprintf(q.label, sizeof q.label, "%s", label);
    int rc = mhd_pool_call(&G.signer, MHD_M_KEY_REQ, &q, -1, &m, 20000);
    if (rc)
        return rc;
    if (m.fd >= 0)
        close(m.fd);
    if (m.type == MHD_M_ERROR) {
        mhd_error e;
        if (mhd_ipc_decode(m.type, m.buf, m.len, &e) == 0)
            mh_err_set(MH_ERR_KEY_NOT_FOUND, "%s", e.message);
        return MH_ERR_KEY_NOT_FOUND;
    }
    if (!(k = malloc(sizeof *k)))
        return MH_ERR_NOMEM;
    if (m.type != MHD_M_KEY || mhd_ipc_decode(m.type, m.buf, m.len, k) != 0 ||
        strcmp(k->label, label) != 0 || !(*der = malloc(k->cert_len ? k->cert_len : 1))) {
        free(k);
        return MH_ERR_PARSE;
    }
    memcpy(*der, k->cert, k->cert_len);
    *len = k->cert_len;
    free(k);
    return MH_OK;
}

/* The appliance's keys and each issuer's signer, from the certificates the
 * signer process read from the token. Called with G.lock held for writing
 * (or before serving). */
static void load_keys(void)
{
    uint8_t *der = NULL;
    size_t len = 0;
    int rc;
    pthread_mutex_lock(&G.keys_lock);
    if (G.keys_ok || !mhd_pool_up(&G.signer)) {
        pthread_mutex_unlock(&G.keys_lock);
        return;
    }
    snprintf(G.reg.label, sizeof G.reg.label, "%s", mh_app_key_label(G.app, MH_APP_KEY_REGISTRY));
    G.reg.purpose = MHD_P_RECEIPT;
    if ((rc = fetch_cert(G.reg.label, &der, &len)) != 0 ||
        (rc = mh_app_set_remote_key(G.app, MH_APP_KEY_REGISTRY, der, len,
                                    &(mh_signer){.sign = remote_sign, .ctx = &G.reg})) != 0) {
        snprintf(G.keys_problem, sizeof G.keys_problem, "the registry key: %s", mh_err_message(rc));
        free(der);
        pthread_mutex_unlock(&G.keys_lock);
        mhd_log(MHD_LOG_WARN, "keys not loaded", "problem=%s", mhd_q(G.keys_problem));
        return;
    }
    free(der);
    der = NULL;
    const char *tsa = mh_app_key_label(G.app, MH_APP_KEY_TSA);
    if (tsa[0]) {
        snprintf(G.tsa.label, sizeof G.tsa.label, "%s", tsa);
        G.tsa.purpose = MHD_P_TIMESTAMP;
        if ((rc = fetch_cert(tsa, &der, &len)) != 0 ||
            (rc = mh_app_set_remote_key(G.app, MH_APP_KEY_TSA, der, len,
                                        &(mh_signer){.sign = remote_sign, .ctx = &G.tsa})) != 0)
            mhd_log(MHD_LOG_WARN, "the TSA key is not usable: signatures are B-B", "error=%s",
                    mhd_q(mh_err_message(rc)));
        free(der);
        der = NULL;
    }
    if (mh_app_issuers(G.app, G.info, MH_APP_ISSUERS_MAX, &G.nissuers) != 0)
        G.nissuers = 0;
    if (G.nissuers > MH_APP_ISSUERS_MAX)
        G.nissuers = MH_APP_ISSUERS_MAX;
    for (size_t i = 0; i < G.nissuers; i++) {
        mh_app_signer_close(G.signers[i]);
        G.signers[i] = NULL;
        snprintf(G.iss[i].label, sizeof G.iss[i].label, "%s", G.info[i].key_label);
        G.iss[i].purpose = MHD_P_DOCUMENT;
        if ((rc = fetch_cert(G.info[i].key_label, &der, &len)) != 0 ||
            (rc = mh_app_signer_open_remote(G.app, G.info[i].id, der, len,
                                            &(mh_signer){.sign = remote_sign, .ctx = &G.iss[i]},
                                            &G.signers[i])) != 0)
            mhd_log(MHD_LOG_WARN, "an issuer cannot sign", "issuer=%s error=%s",
                    mhd_q(G.info[i].id), mhd_q(mh_err_message(rc)));
        free(der);
        der = NULL;
    }
    G.keys_ok = true;
    G.keys_problem[0] = 0;
    pthread_mutex_unlock(&G.keys_lock);
    mhd_log(MHD_LOG_INFO, "keys loaded from the signer", "issuers=%zu", G.nissuers);
}

static mh_app_signer *signer_of(const char *issuer, const mh_app_issuer_info **info)
{
    for (size_t i = 0; i < G.nissuers; i++)
        if (strcmp(G.info[i].id, issuer) == 0) {
            *info = &G.info[i];
            return G.signers[i];
        }
    return NULL;
}

/* ---- checkpoints and tiles ------------------------------------------------------ */

static int note_sign(void *ctx, const char *body, size_t body_len, char *note, size_t cap,
                     size_t *note_len)
{
    static mhd_msg m;
    mhd_note_req *q = calloc(1, sizeof *q);
    mhd_note_ok *ok = calloc(1, sizeof *ok);
    int rc = MH_ERR_NOMEM;
    (void)ctx;
    if (!q || !ok)
        goto out;
    rc = MH_ERR_TOO_LARGE;
    if (body_len >= sizeof q->body)
        goto out;
    memcpy(q->body, body, body_len);
    if ((rc = mhd_pool_call(&G.signer, MHD_M_NOTE_REQ, q, -1, &m, 30000)) != 0)
        goto out;
    if (m.fd >= 0)
        close(m.fd);
    rc = MH_ERR_PERMISSION;
    if (m.type != MHD_M_NOTE_OK || mhd_ipc_decode(m.type, m.buf, m.len, ok) != 0)
        goto out;
    size_t n = strlen(ok->note);
    rc = MH_ERR_BUFFER_TOO_SMALL;
    if (n + 1 > cap)
        goto out;
    memcpy(note, ok->note, n + 1);
    *note_len = n;
    rc = MH_OK;
out:
    free(q);
    free(ok);
    return rc;
}

static void checkpoint_now(void)
{
    uint64_t size = 0, seq = 0;
    uint8_t root[32];
    mh_ledger_export_stats st;
    pthread_rwlock_rdlock(&G.lock);
    mh_ledger *l = G.app ? mh_app_ledger(G.app) : NULL;
    if (l && G.keys_ok && mh_ledger_size(l, &size, root) == 0 && size > G.checkpoint_size) {
        int rc = mh_ledger_checkpoint_sign(l, G.origin, note_sign, NULL, &seq);
        if (rc == 0)
            rc = mh_ledger_export_tiles(l, G.tiles, &st);
        if (rc == 0) {
            G.checkpoint_size = size;
            mhd_log(MHD_LOG_DEBUG, "checkpoint", "size=%llu seq=%llu", (unsigned long long)size,
                    (unsigned long long)seq);
        } else {
            mhd_log(MHD_LOG_WARN, "checkpoint failed", "error=%s", mhd_q(mh_err_message(rc)));
        }
    }
    pthread_rwlock_unlock(&G.lock);
}

static void *checkpointer(void *arg)
{
    (void)arg;
    unsigned every = G.c->checkpoint_interval;
    while (!G.stopping && every) {
        for (unsigned i = 0; i < every * 10 && !G.stopping; i++)
            usleep(100000);
        if (!G.stopping)
            checkpoint_now();
    }
    return NULL;
}

/* ---- requests -------------------------------------------------------------------- */

/* Earlier versions wrote an issue's outputs into STATE/spool and read them
 * back; they are kept in memory now. What such a version left there was
 * never handed back (the same request gets it again, resumed): removed. */
static void spool_remove(const char *state_dir)
{
    char path[1200];
    snprintf(path, sizeof path, "%s/spool", state_dir);
    DIR *d = opendir(path);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d)))
        if (e->d_name[0] != '.')
            unlinkat(dirfd(d), e->d_name, 0);
    closedir(d);
    rmdir(path);
}

static void send_error(int ch, uint32_t id, int code, bool voided, const char *url)
{
    mhd_error e;
    memset(&e, 0, sizeof e);
    e.code = code ? code : MH_ERR_INTERNAL;
    snprintf(e.message, sizeof e.message, "%s", mh_err_message(e.code));
    e.voided = voided;
    if (url)
        snprintf(e.url, sizeof e.url, "%s", url);
    if (mhd_ipc_send(ch, MHD_M_ERROR, id, &e, -1) != 0)
        mh_err_clear();
}

static int template_for(const mh_kind *k, const mh_app_issuer_info *info, tpl **out)
{
    int rc = MH_OK;
    pthread_mutex_lock(&G.tpl_lock);
    for (size_t i = 0; i < TPL_MAX; i++)
        if (G.tpls[i].t && strcmp(G.tpls[i].kind, k->id) == 0 &&
            strcmp(G.tpls[i].issuer, info->id) == 0) {
            *out = &G.tpls[i];
            pthread_mutex_unlock(&G.tpl_lock);
            return MH_OK;
        }
    size_t slot = 0;
    while (slot < TPL_MAX && G.tpls[slot].t)
        slot++;
    if (slot == TPL_MAX) {
        slot = 0; /* many kinds and issuers: start over */
        for (size_t i = 0; i < TPL_MAX; i++) {
            mh_template_free(G.tpls[i].t);
            memset(&G.tpls[i], 0, sizeof G.tpls[i]);
        }
    }
    tpl *t = &G.tpls[slot];
    if ((rc = mh_template_build(k, info->name, NULL, &t->t)) == 0) {
        long obj;
        const uint16_t *w;
        size_t nw;
        snprintf(t->kind, sizeof t->kind, "%s", k->id);
        snprintf(t->issuer, sizeof t->issuer, "%s", info->id);
        if (mh_template_font(t->t, &obj, &w, &nw) == 0) {
            memset(&t->font, 0, sizeof t->font);
            t->font.existing_obj = obj;
            t->font.width = w;
            t->font.nwidth = nw;
            t->has_font = true;
        }
        *out = t;
    }
    pthread_mutex_unlock(&G.tpl_lock);
    return rc;
}

static int fields_from_json(const char *text, mh_app_fields *f)
{
    json_error_t je;
    json_t *o = json_loads(text, JSON_REJECT_DUPLICATES, &je);
    const char *k;
    json_t *v;
    int rc = MH_OK;
    if (!json_is_object(o)) {
        json_decref(o);
        mh_err_set(MH_ERR_PARSE, "the fields are not a JSON object");
        return MH_ERR_PARSE;
    }
    json_object_foreach(o, k, v)
    {
        char *kv = NULL;
        if (!json_is_string(v) || asprintf(&kv, "%s=%s", k, json_string_value(v)) < 0) {
            rc = MH_ERR_PARSE;
            mh_err_set(MH_ERR_PARSE, "field '%.40s' is not a string", k);
            break;
        }
        rc = mh_app_fields_add(f, kv);
        free(kv);
        if (rc)
            break;
    }
    json_decref(o);
    return rc;
}

/* What an issue ends with: the outputs (ok, in the memfd ofd) or an
 * error with its sentence (kept, for an issue that ends in another thread
 * than the one that answers). */
typedef struct issue_out {
    int rc;
    mhd_issue_ok ok;
    int ofd;
    char message[MHD_MSG_MAX + 1];
    bool voided;
    char url[MHD_URL_MAX + 1];
} issue_out;

static void send_issue_out(int ch, uint32_t id, issue_out *o)
{
    if (o->rc == 0) {
        if (mhd_ipc_send(ch, MHD_M_ISSUE_OK, id, &o->ok, o->ofd) != 0)
            mh_err_clear();
    } else {
        mhd_error e;
        memset(&e, 0, sizeof e);
        e.code = o->rc;
        snprintf(e.message, sizeof e.message, "%s", o->message);
        e.voided = o->voided;
        snprintf(e.url, sizeof e.url, "%s", o->url);
        if (mhd_ipc_send(ch, MHD_M_ERROR, id, &e, -1) != 0)
            mh_err_clear();
    }
    if (o->ofd >= 0)
        close(o->ofd);
    o->ofd = -1;
}

/* The outputs of an issue (in memory), into one sealed memfd for the
 * front (o->ok, o->ofd). */
static int outputs_handed(const mh_app_outputs *out, const mh_app_issue_res *res, issue_out *o)
{
    int rc, ofd = -1;
    mhd_issue_ok *ok = &o->ok;
    memset(ok, 0, sizeof *ok);
    if (out->n > MHD_OUT_MAX)
        return MH_ERR_INTERNAL;
    for (size_t i = 0; i < out->n; i++)
        ok->out_len[i] = out->len[i];
    if ((rc = mhd_memfd_fromv("mohur-out", (const uint8_t *const *)out->data, out->len, out->n,
                              &ofd)) != 0)
        return mh_err_set(rc,
                          "document '%s' was issued (log index %llu) but its files could not be "
                          "handed back; ask again: the same request returns it",
                          res->doc_id, (unsigned long long)res->log_index);
    snprintf(ok->doc_id, sizeof ok->doc_id, "%s", res->doc_id);
    snprintf(ok->url, sizeof ok->url, "%s", res->url);
    ok->log_index = res->log_index;
    ok->qr_version = res->qr_version;
    ok->flags = (uint8_t)((res->resumed ? MHD_ISSUE_RESUMED : 0) | (res->pdf ? MHD_ISSUE_PDF : 0) |
                          (res->cosigned ? MHD_ISSUE_COSIGNED : 0));
    ok->nout = (uint32_t)out->n;
    o->ofd = ofd;
    return MH_OK;
}

/* One issue, from a decoded request and its document (taken: freed
 * here). ext: the issuer's key outside the appliance (NULL: the key on the
 * appliance token). */
static void issue_do(const mhd_issue_req *q, uint8_t *doc, size_t doc_len, mh_app_signer *ext,
                     issue_out *o)
{
    mh_kind *k = calloc(1, sizeof *k);
    mh_app_fields fields;
    mh_app_issue_res res;
    uint8_t *rendered = NULL;
    mh_app_outputs out = {0};
    int rc;
    const mh_pdf_font *font = NULL;
    mh_app_tbs *tbs = NULL;

    memset(o, 0, sizeof *o);
    o->ofd = -1;
    memset(&fields, 0, sizeof fields);
    memset(&res, 0, sizeof res);
    if (!k) {
        rc = MH_ERR_NOMEM;
        goto out;
    }
    if (!G.keys_ok) {
        mh_err_set(MH_ERR_TOKEN_BUSY,
                   "mohurd's ledger process is starting: the signer has not given it its keys "
                   "yet; try again shortly");
        rc = MH_ERR_TOKEN_BUSY;
        goto out;
    }
    const mh_app_issuer_info *info = NULL;
    mh_app_signer *s = signer_of(q->issuer, &info);
    if (ext)
        s = ext;
    if (!info) {
        mh_err_set(MH_ERR_NOT_FOUND, "no issuer '%s' is configured on this appliance", q->issuer);
        rc = MH_ERR_NOT_FOUND;
        goto out;
    }
    if (!s) {
        mh_err_set(MH_ERR_KEY_NOT_FOUND,
                   "issuer '%s' cannot sign now (its key or certificate is not usable: see "
                   "mohurd's log)",
                   q->issuer);
        rc = MH_ERR_KEY_NOT_FOUND;
        goto out;
    }
    if ((rc = mh_kind_load(mh_kinds_dir(), q->kind, k)) != 0) {
        if (rc == MH_ERR_NOT_FOUND)
            rc = MH_ERR_INVALID_ARG;
        goto out;
    }
    if ((rc = fields_from_json(q->fields, &fields)) != 0)
        goto out;
    bool made = false;
    if (k->rendered) {
        tpl *t = NULL;
        if (doc) {
            mh_err_set(MH_ERR_INVALID_ARG,
                       "a %s is made by mohur from its fields: send no document",
                       k->names[MH_LANG_EN]);
            rc = MH_ERR_INVALID_ARG;
            goto out;
        }
        if ((rc = mh_kind_check(k, fields.v, fields.n)) != 0 ||
            (rc = template_for(k, info, &t)) != 0 ||
            (rc = mh_template_render(t->t, fields.v, fields.n, &rendered, &doc_len)) != 0)
            goto out;
        doc = rendered;
        rendered = NULL;
        made = true;
        font = t->has_font ? &t->font : NULL;
    } else if (!doc) {
        mh_err_set(MH_ERR_INVALID_ARG, "a %s is supplied by its issuer: send the document",
                   k->names[MH_LANG_EN]);
        rc = MH_ERR_INVALID_ARG;
        goto out;
    }
    mh_app_issue_req r;
    memset(&r, 0, sizeof r);
    r.kind = k;
    r.doc_id = q->doc_id[0] ? q->doc_id : NULL;
    r.fields = fields.v;
    r.nfields = fields.n;
    r.doc = doc;
    r.doc_len = doc_len;
    r.signer = s;
    r.out_mem = &out; /* handed to the front in a memfd: never on disk */
    r.rendered = made;
    r.stamp_font = font;
    /* who asked (recorded in the entry); the flow tells the remote keys
     * which entry their signatures are for */
    /* a key outside the appliance is shown what it signs (ext_sign) */
    if (ext && !(tbs = calloc(1, sizeof *tbs))) {
        rc = MH_ERR_NOMEM;
        goto out;
    }
    mh_app_request rq = {.requester = q->requester, .tbs = tbs};
    r.request = &rq;
    rc = mh_app_issue(G.app, &r, &res);
    if (rc)
        goto out;
    if ((rc = outputs_handed(&out, &res, o)) != 0)
        goto out;
    mhd_log(MHD_LOG_INFO, "issued", "doc_id=%s log_index=%llu resumed=%d who=%s%s",
            mhd_q(res.doc_id), (unsigned long long)res.log_index, res.resumed, mhd_q(q->requester),
            ext ? " key=external" : "");
out:
    o->rc = rc;
    if (rc) {
        mhd_log(MHD_LOG_INFO, "issue refused or failed", "error=%s voided=%d",
                mhd_q(mh_err_message(rc)), res.voided);
        snprintf(o->message, sizeof o->message, "%s", mh_err_message(rc));
        o->voided = res.voided;
        if (res.voided)
            snprintf(o->url, sizeof o->url, "%s", res.url);
    }
    mh_app_fields_free(&fields);
    mh_app_outputs_free(&out);
    free(doc);
    free(rendered);
    free(k);
    free(tbs);
}

static void h_issue_external(int ch, const mhd_msg *m, mhd_issue_req *q, uint8_t *doc,
                             size_t doc_len);

static void h_issue(int ch, const mhd_msg *m)
{
    mhd_issue_req *q = calloc(1, sizeof *q);
    uint8_t *doc = NULL;
    size_t doc_len = 0;
    issue_out o;
    int rc = MH_ERR_NOMEM, fd = m->fd;
    if (!q)
        goto fail;
    if ((rc = mhd_ipc_decode(m->type, m->buf, m->len, q)) != 0)
        goto fail;
    if (fd >= 0) {
        rc = mhd_memfd_read(fd, MH_APP_DOC_MAX, &doc, &doc_len);
        fd = -1;
        if (rc)
            goto fail;
    }
    if (q->cert_len) {
        h_issue_external(ch, m, q, doc, doc_len); /* takes q and doc */
        return;
    }
    issue_do(q, doc, doc_len, NULL, &o);
    send_issue_out(ch, m->id, &o);
    free(q);
    return;
fail:
    if (fd >= 0)
        close(fd);
    send_error(ch, m->id, rc, false, NULL);
    free(doc);
    free(q);
}

/* ---- a first signature with the issuer's key outside the appliance --------------
 *
 * A notary whose key is on a USB token on the notary's own machine issues
 * through mohurd: the request carries the notary's certificate, and the
 * flow runs here in a thread of its own, exactly as with the appliance's
 * keys (check, entry, receipt, stamp, signature, commit), except that the
 * signature is asked of the client: the front answers 202 with the digest,
 * the client signs it with its token and sends it back, and the flow goes
 * on. Nothing leaves before the signature: the client sees a digest, never
 * the receipt or the stamped document; a signature that does not verify
 * with the certificate's key, or none within external_sign_timeout
 * seconds, stops the flow and voids its entry (as a failing token does). */

#define XS_MAX 32
#define XS_PER_CLIENT 4 /* sessions one credential may have waiting */

enum xs_state { XS_FREE = 0, XS_RUNNING, XS_NEED, XS_SIGNED, XS_DONE };

typedef struct xsess {
    enum xs_state state;
    char id[MHD_SESSION_HEX + 1];
    char requester[MHD_REQUESTER_MAX + 1];
    bool told;        /* the client was sent the current digest */
    unsigned waiters; /* channel threads waiting to answer its client */
    mhd_extsig_need need;
    int need_fd; /* the sealed memfd of need's appended bytes (MHD_TBS_PDF), or -1 */
    uint8_t sig[512];
    size_t sig_len;
    issue_out res;
    mhd_issue_req *q;
    uint8_t *doc;
    size_t doc_len;
    mh_app_signer *signer;
    bool marked; /* pending/ext-<entry_index> names its entry */
    uint64_t entry_index;
    pthread_cond_t cond;
} xsess;

static pthread_mutex_t XL = PTHREAD_MUTEX_INITIALIZER;
static xsess XS[XS_MAX];

static void xs_free(xsess *x)
{
    if (x->res.ofd >= 0)
        close(x->res.ofd);
    if (x->need_fd >= 0)
        close(x->need_fd);
    free(x->q);
    free(x->doc);
    pthread_cond_destroy(&x->cond);
    memset(x, 0, sizeof *x);
}

_Static_assert(MHD_SATTRS_MAX >= MH_APP_SATTRS_MAX, "the IPC carries every signed attributes");

/* The flow's signature: the digest goes to the client (through the channel
 * thread waiting in xs_answer) with what it covers (the flow's mh_app_tbs:
 * the signed attributes, the prepared content's appended bytes in a sealed
 * memfd, the byte range), so the client sees what it signs; the signature
 * comes back in h_extsig. */
static int ext_sign(const mh_signer *self, mbedtls_md_type_t md, const uint8_t *in, size_t in_len,
                    bool message, enum mh_sig_enc enc, uint8_t *sig, size_t cap, size_t *sig_len)
{
    const mh_app_remote_call *call = self->ctx;
    xsess *x = call->ctx;
    const mh_app_request *rq = call->request;
    uint8_t got[512];
    size_t got_len;
    if (!rq || !rq->has_entry)
        return mh_err_set(MH_ERR_PERMISSION,
                          "a signature without its ledger entry is never asked for");
    if (message || in_len > sizeof x->need.hash)
        return mh_err_set(MH_ERR_KEY_TYPE, "an external key signs digests only");
    const mh_app_tbs *t = rq->tbs;
    if (!t || !t->ready || t->signed_attrs_len > sizeof x->need.sattrs ||
        (t->pdf && (!t->appended || !t->appended_len)))
        return mh_err_set(MH_ERR_INTERNAL, "the flow did not say what its signature covers; "
                                           "nothing was asked of the client");
    if (!x->marked) {
        /* an entry now waits for a signature from outside: until the flow
         * ends verifiers say NOT ISSUED YET, and should this process stop
         * first, the next one voids it */
        int mrc = mh_app_pending_mark(G.app, rq->entry_index);
        if (mrc)
            return mrc;
        x->marked = true;
        x->entry_index = rq->entry_index;
    }
    /* the appended bytes travel as a memfd (a PDF update: the stamp, perhaps
     * a font, tens of KB or more) */
    int afd = -1;
    if (t->pdf) {
        int rc = mhd_memfd_from("mohur-tbs", t->appended, t->appended_len, &afd);
        if (rc)
            return rc;
    }
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += G.c->ext_timeout;
    pthread_mutex_lock(&XL);
    x->need.md = (uint8_t)md;
    x->need.alg = (uint8_t)self->alg;
    memcpy(x->need.hash, in, in_len);
    x->need.hash_len = in_len;
    x->need.expires = G.c->ext_timeout;
    memcpy(x->need.sattrs, t->signed_attrs, t->signed_attrs_len);
    x->need.sattrs_len = t->signed_attrs_len;
    x->need.flags = t->pdf ? MHD_TBS_PDF : 0;
    x->need.doc_len = t->document_length;
    for (size_t i = 0; i < 4; i++)
        x->need.byte_range[i] = t->pdf ? t->byte_range[i] : 0;
    if (x->need_fd >= 0)
        close(x->need_fd);
    x->need_fd = afd;
    x->state = XS_NEED;
    x->told = false;
    pthread_cond_broadcast(&x->cond);
    int w = 0;
    while (x->state == XS_NEED && !G.stopping && w != ETIMEDOUT)
        w = pthread_cond_timedwait(&x->cond, &XL, &until);
    bool signed_ = x->state == XS_SIGNED;
    got_len = x->sig_len;
    memcpy(got, x->sig, got_len);
    x->state = XS_RUNNING;
    if (x->need_fd >= 0) { /* never sent (no client waited) */
        close(x->need_fd);
        x->need_fd = -1;
    }
    pthread_mutex_unlock(&XL);
    if (!signed_)
        return mh_err_set(MH_ERR_CANCELLED,
                          G.stopping ? "mohurd is stopping; the signature was not made"
                                     : "the signature did not come back within %u seconds; the "
                                       "document was not issued",
                          G.c->ext_timeout);
    /* the client sends what its token makes: ECDSA as r || s */
    if (self->alg == MH_SIG_ECDSA && enc == MH_SIG_DER) {
        if (mh_ecdsa_raw_to_der(got, got_len, sig, cap, sig_len) != 0) {
            mh_err_clear();
            return mh_err_set(MH_ERR_VERIFY_FAILED,
                              "the signature that came back is not an ECDSA signature (r || s)");
        }
        return MH_OK;
    }
    if (got_len > cap)
        return mh_err_set(MH_ERR_VERIFY_FAILED, "the signature that came back is too long");
    memcpy(sig, got, got_len);
    *sig_len = got_len;
    return MH_OK;
}

static void *ext_flow(void *arg)
{
    xsess *x = arg;
    issue_out o;
    pthread_rwlock_rdlock(&G.lock);
    issue_do(x->q, x->doc, x->doc_len, x->signer, &o); /* takes doc */
    x->doc = NULL;
    if (x->marked) /* signed and committed, or voided by the flow: nothing to redo */
        mh_app_pending_clear(G.app, x->entry_index);
    mh_app_signer_close(x->signer);
    x->signer = NULL;
    pthread_rwlock_unlock(&G.lock);
    pthread_mutex_lock(&XL);
    x->res = o;
    x->state = XS_DONE;
    pthread_cond_broadcast(&x->cond);
    if (x->waiters == 0) /* nobody will answer with it (the client went) */
        xs_free(x);
    pthread_mutex_unlock(&XL);
    return NULL;
}

/* Waits (XL held; released here) for the session's next step and answers
 * the client with it: the digest to sign, or how the issue ended. */
static void xs_answer(int ch, uint32_t id, xsess *x)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += 590; /* under the front's 600 s */
    x->waiters++;
    int w = 0;
    while (!(x->state == XS_NEED && !x->told) && x->state != XS_DONE && w != ETIMEDOUT)
        w = pthread_cond_timedwait(&x->cond, &XL, &until);
    x->waiters--;
    if (x->state == XS_NEED && !x->told) {
        mhd_extsig_need *n = malloc(sizeof *n);
        if (!n) {
            pthread_mutex_unlock(&XL);
            send_error(ch, id, MH_ERR_NOMEM, false, NULL);
            return;
        }
        *n = x->need;
        int fd = x->need_fd; /* sent once: the session's client is told once */
        x->need_fd = -1;
        x->told = true;
        pthread_mutex_unlock(&XL);
        if (mhd_ipc_send(ch, MHD_M_EXTSIG_NEED, id, n, fd) != 0)
            mh_err_clear();
        if (fd >= 0)
            close(fd);
        free(n);
        return;
    }
    if (x->state == XS_DONE) {
        issue_out o = x->res;
        x->res.ofd = -1;
        xs_free(x);
        pthread_mutex_unlock(&XL);
        send_issue_out(ch, id, &o);
        return;
    }
    pthread_mutex_unlock(&XL);
    mh_err_set(MH_ERR_TOKEN_BUSY, "the document is still being issued; send the same request "
                                  "again in a moment (it resumes, nothing is issued twice)");
    send_error(ch, id, MH_ERR_TOKEN_BUSY, false, NULL);
}

static void h_issue_external(int ch, const mhd_msg *m, mhd_issue_req *q, uint8_t *doc,
                             size_t doc_len)
{
    xsess *x = NULL;
    uint8_t rnd[MHD_SESSION_HEX / 2];
    int rc;
    pthread_mutex_lock(&XL);
    unsigned mine = 0;
    for (size_t i = 0; i < XS_MAX; i++) {
        if (XS[i].state == XS_FREE && !x)
            x = &XS[i];
        else if (XS[i].state != XS_FREE && strcmp(XS[i].requester, q->requester) == 0)
            mine++;
    }
    if (mine >= XS_PER_CLIENT) {
        pthread_mutex_unlock(&XL);
        mh_err_set(MH_ERR_TOKEN_BUSY,
                   "this credential already has %d signatures waiting; send them first",
                   XS_PER_CLIENT);
        rc = MH_ERR_TOKEN_BUSY;
        goto fail;
    }
    if (!x) {
        pthread_mutex_unlock(&XL);
        mh_err_set(MH_ERR_TOKEN_BUSY,
                   "%d signatures with keys outside the appliance are already waiting; try "
                   "again shortly",
                   XS_MAX);
        rc = MH_ERR_TOKEN_BUSY;
        goto fail;
    }
    if (getrandom(rnd, sizeof rnd, 0) != (ssize_t)sizeof rnd) {
        pthread_mutex_unlock(&XL);
        mh_err_set(MH_ERR_INTERNAL, "no randomness for a session id");
        rc = MH_ERR_INTERNAL;
        goto fail;
    }
    memset(x, 0, sizeof *x);
    x->state = XS_RUNNING;
    x->res.ofd = -1;
    x->need_fd = -1;
    pthread_cond_init(&x->cond, NULL);
    for (size_t i = 0; i < sizeof rnd; i++)
        snprintf(x->id + 2 * i, 3, "%02x", rnd[i]);
    snprintf(x->need.session, sizeof x->need.session, "%s", x->id);
    snprintf(x->requester, sizeof x->requester, "%s", q->requester);
    x->q = q;
    x->doc = doc;
    x->doc_len = doc_len;
    q = NULL;
    doc = NULL;
    pthread_mutex_unlock(&XL);

    mh_signer far = {.sign = ext_sign, .ctx = x, .name = "the client's key"};
    if (!G.keys_ok) {
        mh_err_set(MH_ERR_TOKEN_BUSY,
                   "mohurd's ledger process is starting: the signer has not given it its keys "
                   "yet; try again shortly");
        rc = MH_ERR_TOKEN_BUSY;
    } else {
        rc = mh_app_signer_open_external(G.app, x->q->issuer, x->q->cert, x->q->cert_len, &far,
                                         &x->signer);
    }
    pthread_t th;
    pthread_attr_t at;
    pthread_attr_init(&at);
    pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
    if (rc == 0 && pthread_create(&th, &at, ext_flow, x) != 0) {
        mh_err_set(MH_ERR_INTERNAL, "no thread for the issue");
        rc = MH_ERR_INTERNAL;
    }
    pthread_attr_destroy(&at);
    if (rc) {
        mhd_log(MHD_LOG_INFO, "issue refused", "error=%s key=external", mhd_q(mh_err_message(rc)));
        send_error(ch, m->id, rc, false, NULL);
        pthread_mutex_lock(&XL);
        mh_app_signer_close(x->signer);
        xs_free(x);
        pthread_mutex_unlock(&XL);
        return;
    }
    pthread_mutex_lock(&XL);
    xs_answer(ch, m->id, x);
    return;
fail:
    send_error(ch, m->id, rc, false, NULL);
    free(q);
    free(doc);
}

static void h_extsig(int ch, const mhd_msg *m)
{
    mhd_extsig_req *r = calloc(1, sizeof *r);
    xsess *x = NULL;
    int rc = MH_ERR_NOMEM;
    if (!r || (rc = mhd_ipc_decode(m->type, m->buf, m->len, r)) != 0)
        goto fail;
    pthread_mutex_lock(&XL);
    for (size_t i = 0; i < XS_MAX && !x; i++) {
        unsigned d = XS[i].state == XS_FREE;
        for (size_t j = 0; j < MHD_SESSION_HEX + 1; j++)
            d |= (unsigned)(XS[i].id[j] ^ r->session[j]);
        if (d == 0 && strcmp(XS[i].requester, r->requester) == 0)
            x = &XS[i];
    }
    if (!x || x->state != XS_NEED || !x->told) {
        pthread_mutex_unlock(&XL);
        rc = x ? MH_ERR_INVALID_ARG : MH_ERR_NOT_FOUND;
        mh_err_set(rc,
                   x ? "this signing session is not waiting for a signature now"
                     : "no such signing session: it ended (a signature must come back within %u "
                       "seconds, or the document is not issued), or it was started by another "
                       "credential; send the document again",
                   G.c->ext_timeout);
        goto fail;
    }
    memcpy(x->sig, r->sig, r->sig_len);
    x->sig_len = r->sig_len;
    x->state = XS_SIGNED;
    pthread_cond_broadcast(&x->cond);
    free(r);
    xs_answer(ch, m->id, x);
    return;
fail:
    send_error(ch, m->id, rc, false, NULL);
    free(r);
}

/* Stopping: waiting flows give up now (their entries are voided). */
static void xs_stop(void)
{
    pthread_mutex_lock(&XL);
    for (size_t i = 0; i < XS_MAX; i++)
        if (XS[i].state != XS_FREE)
            pthread_cond_broadcast(&XS[i].cond);
    pthread_mutex_unlock(&XL);
}

static void h_revoke(int ch, const mhd_msg *m)
{
    mhd_revoke_req q;
    mh_ledger_status st;
    int rc = mhd_ipc_decode(m->type, m->buf, m->len, &q);
    if (rc == 0) {
        mh_app_request rq = {.requester = q.requester};
        rc = mh_app_revoke(G.app, q.doc_id, q.reason, &rq, &st);
    }
    if (rc) {
        send_error(ch, m->id, rc, false, NULL);
        return;
    }
    mhd_revoke_ok ok = {st.revoke_index, st.revoke_time, st.reason};
    mhd_log(MHD_LOG_INFO, "revoked", "doc_id=%s who=%s", mhd_q(q.doc_id), mhd_q(q.requester));
    if (mhd_ipc_send(ch, MHD_M_REVOKE_OK, m->id, &ok, -1) != 0)
        mh_err_clear();
}

static void h_health(int ch, const mhd_msg *m)
{
    static _Thread_local mhd_msg pm;
    mhd_health h;
    uint8_t root[32];
    memset(&h, 0, sizeof h);
    h.ledger_ok = G.app && mh_ledger_size(mh_app_ledger(G.app), &h.size, root) == 0;
    h.checkpoint_size = G.checkpoint_size;
    mhd_empty e = {0};
    mhd_pong p;
    if (mhd_pool_call(&G.signer, MHD_M_PING, &e, -1, &pm, 3000) == 0 && pm.type == MHD_M_PONG &&
        mhd_ipc_decode(pm.type, pm.buf, pm.len, &p) == 0) {
        h.signer_ok = G.keys_ok;
        h.token_ok = p.token_ok;
        h.signatures = p.signatures;
        h.sign_errors = p.errors;
    }
    snprintf(h.problem, sizeof h.problem, "%s",
             !h.ledger_ok   ? "the ledger cannot be read"
             : !G.keys_ok   ? (G.keys_problem[0] ? G.keys_problem : "the signer is not up")
             : !h.signer_ok ? "the signer does not answer"
             : !h.token_ok  ? "the token does not answer (removed?)"
                            : "");
    if (mhd_ipc_send(ch, MHD_M_HEALTH, m->id, &h, -1) != 0)
        mh_err_clear();
}

/* A FILE whose lines become the batch's progress message. */
static ssize_t progress_write(void *cookie, const char *buf, size_t size)
{
    batch *b = cookie;
    size_t n = size < sizeof b->st.message - 1 ? size : sizeof b->st.message - 1;
    pthread_mutex_lock(&G.batch_lock);
    memcpy(b->st.message, buf, n);
    b->st.message[n] = 0;
    while (n && (b->st.message[n - 1] == '\n' || b->st.message[n - 1] == '\r'))
        b->st.message[--n] = 0;
    pthread_mutex_unlock(&G.batch_lock);
    return (ssize_t)size;
}

static void *run_batch(void *arg)
{
    batch *b = arg;
    mh_batch_stats st;
    const mh_app_issuer_info *info = NULL;
    cookie_io_functions_t io = {NULL, progress_write, NULL, NULL};
    FILE *log = fopencookie(b, "w", io);
    if (log)
        setvbuf(log, NULL, _IOLBF, 0);
    memset(&st, 0, sizeof st);
    pthread_rwlock_rdlock(&G.lock);
    mh_app_signer *s = signer_of(b->issuer, &info);
    int rc = MH_ERR_KEY_NOT_FOUND;
    if (s && info) {
        mh_batch_opts o;
        memset(&o, 0, sizeof o);
        o.kind = b->kind;
        o.roster = b->roster;
        o.issuer_id = b->issuer;
        o.issuer_name = info->name;
        o.out_dir = b->st.out_dir;
        o.app = G.app;
        o.signer = s;
        o.requester = b->requester;
        o.progress = 0;
        o.log = log;
        o.stop = &G.batch_stop;
        rc = mh_batch_run(&o, &st);
    } else {
        mh_err_set(rc, "issuer '%s' cannot sign now", b->issuer);
    }
    pthread_rwlock_unlock(&G.lock);
    if (log)
        fclose(log);
    pthread_mutex_lock(&G.batch_lock);
    b->st.rows = st.rows;
    b->st.issued = st.issued;
    b->st.already = st.already;
    b->st.remade = st.remade;
    b->st.bad = st.bad;
    b->st.conflicts = st.conflicts;
    b->st.voided = st.voided;
    b->st.failed = st.failed + st.not_started;
    b->st.elapsed_ms = mh_batch_elapsed_ms(&st);
    b->st.per_second = (uint64_t)mh_batch_rate(&st);
    b->st.fatal = rc;
    b->st.state = rc == 0 ? 2 : 3;
    snprintf(b->st.message, sizeof b->st.message, "%s",
             rc ? (st.fatal_msg[0] ? st.fatal_msg : mh_err_message(rc)) : "done: see the counts");
    G.batch_running = false;
    pthread_mutex_unlock(&G.batch_lock);
    mhd_log(MHD_LOG_INFO, "batch finished", "id=%u issued=%llu failed=%llu error=%s",
            (unsigned)b->st.id, (unsigned long long)st.issued,
            (unsigned long long)(st.failed + st.voided), mhd_q(rc ? mh_err_message(rc) : "-"));
    return NULL;
}

static void h_batch(int ch, const mhd_msg *m)
{
    mhd_batch_req q;
    batch *b = NULL;
    uint8_t *roster = NULL;
    size_t rlen = 0;
    char dir[1300];
    int rc = mhd_ipc_decode(m->type, m->buf, m->len, &q);
    int fd = m->fd;
    if (rc == 0) {
        rc = mhd_memfd_read(fd, (size_t)256 << 20, &roster, &rlen);
        fd = -1;
    }
    if (rc)
        goto fail;
    const mh_app_issuer_info *info = NULL;
    if (!G.keys_ok) {
        mh_err_set(MH_ERR_TOKEN_BUSY, "mohurd's ledger process is starting; try again shortly");
        rc = MH_ERR_TOKEN_BUSY;
        goto fail;
    }
    if (!signer_of(q.issuer, &info) && !info) {
        mh_err_set(MH_ERR_NOT_FOUND, "no issuer '%s' is configured on this appliance", q.issuer);
        rc = MH_ERR_NOT_FOUND;
        goto fail;
    }
    rc = MH_ERR_NOMEM;
    if (!(b = calloc(1, sizeof *b)) || !(b->kind = calloc(1, sizeof *b->kind)))
        goto fail;
    if ((rc = mh_kind_load(mh_kinds_dir(), q.kind, b->kind)) != 0) {
        rc = rc == MH_ERR_NOT_FOUND ? MH_ERR_INVALID_ARG : rc;
        goto fail;
    }
    pthread_mutex_lock(&G.batch_lock);
    if (G.batch_running || G.nbatch >= BATCH_MAX) {
        pthread_mutex_unlock(&G.batch_lock);
        mh_err_set(MH_ERR_ALREADY_EXISTS,
                   G.batch_running ? "a batch is running; poll it and start the next one after it"
                                   : "too many batches since mohurd started; restart it");
        rc = MH_ERR_ALREADY_EXISTS;
        goto fail;
    }
    b->st.id = ++G.nbatch;
    pthread_mutex_unlock(&G.batch_lock);
    snprintf(dir, sizeof dir, "%s/%u", G.batches, (unsigned)b->st.id);
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        rc = MH_ERR_IO;
        goto fail;
    }
    snprintf(b->roster, sizeof b->roster, "%s/roster.%s", dir, q.json ? "json" : "csv");
    if ((rc = mh_file_write_atomic(b->roster, roster, rlen, 0600)) != 0)
        goto fail;
    if (q.out_dir[0])
        snprintf(b->st.out_dir, sizeof b->st.out_dir, "%s", q.out_dir);
    else
        snprintf(b->st.out_dir, sizeof b->st.out_dir, "%s/out", dir);
    if (!q.out_dir[0] && mkdir(b->st.out_dir, 0700) != 0 && errno != EEXIST) {
        rc = MH_ERR_IO;
        goto fail;
    }
    snprintf(b->issuer, sizeof b->issuer, "%s", q.issuer);
    snprintf(b->requester, sizeof b->requester, "%s", q.requester);
    b->st.state = 1;
    snprintf(b->st.message, sizeof b->st.message, "started");
    pthread_mutex_lock(&G.batch_lock);
    G.b[b->st.id - 1] = b;
    G.batch_running = true;
    G.batch_stop = 0;
    mhd_batch_state snap = b->st;
    pthread_mutex_unlock(&G.batch_lock);
    pthread_t th;
    pthread_attr_t at;
    pthread_attr_init(&at);
    pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
    if (pthread_create(&th, &at, run_batch, b) != 0) {
        pthread_attr_destroy(&at);
        pthread_mutex_lock(&G.batch_lock);
        G.batch_running = false;
        b->st.state = 3;
        pthread_mutex_unlock(&G.batch_lock);
        rc = MH_ERR_INTERNAL;
        free(roster);
        send_error(ch, m->id, rc, false, NULL);
        return;
    }
    pthread_attr_destroy(&at);
    free(roster);
    mhd_log(MHD_LOG_INFO, "batch started", "id=%u kind=%s issuer=%s who=%s", (unsigned)snap.id,
            mhd_q(q.kind), mhd_q(q.issuer), mhd_q(q.requester));
    if (mhd_ipc_send(ch, MHD_M_BATCH_STATE, m->id, &snap, -1) != 0)
        mh_err_clear();
    return;
fail:
    if (fd >= 0)
        close(fd);
    free(roster);
    if (b)
        free(b->kind);
    free(b);
    send_error(ch, m->id, rc, false, NULL);
}

static void h_batch_poll(int ch, const mhd_msg *m)
{
    mhd_batch_poll q;
    mhd_batch_state snap;
    if (mhd_ipc_decode(m->type, m->buf, m->len, &q) != 0 || q.id == 0 || q.id > BATCH_MAX) {
        mh_err_set(MH_ERR_NOT_FOUND, "no such batch");
        send_error(ch, m->id, MH_ERR_NOT_FOUND, false, NULL);
        return;
    }
    pthread_mutex_lock(&G.batch_lock);
    batch *b = G.b[q.id - 1];
    if (b)
        snap = b->st;
    pthread_mutex_unlock(&G.batch_lock);
    if (!b) {
        mh_err_set(MH_ERR_NOT_FOUND, "no such batch");
        send_error(ch, m->id, MH_ERR_NOT_FOUND, false, NULL);
        return;
    }
    if (mhd_ipc_send(ch, MHD_M_BATCH_STATE, m->id, &snap, -1) != 0)
        mh_err_clear();
}

static void h_cosig(int ch, const mhd_msg *m)
{
    mhd_cosig_req q;
    const char *keys[8];
    char name[300] = "";
    int rc = mhd_ipc_decode(m->type, m->buf, m->len, &q);
    for (size_t i = 0; i < G.c->nwitnesses && i < 8; i++)
        keys[i] = G.c->witnesses[i];
    if (rc == 0)
        rc = mh_app_witness_cosign(G.app, q.seq, q.line, strlen(q.line), keys, G.c->nwitnesses,
                                   name, sizeof name);
    if (rc) {
        send_error(ch, m->id, rc, false, NULL);
        return;
    }
    mhd_log(MHD_LOG_INFO, "witness cosignature stored", "witness=%s", mhd_q(name));
    mhd_empty e = {0};
    if (mhd_ipc_send(ch, MHD_M_OK, m->id, &e, -1) != 0)
        mh_err_clear();
}

/* One thread per channel from the front. */
static void *serve_front(void *arg)
{
    int ch = (int)(intptr_t)arg;
    mhd_msg *m = malloc(sizeof *m);
    static const mhd_permit permits[] = {
        {MHD_M_HEALTH_REQ, false, false}, {MHD_M_ISSUE_REQ, false, true},
        {MHD_M_REVOKE_REQ, false, false}, {MHD_M_BATCH_REQ, true, false},
        {MHD_M_BATCH_POLL, false, false}, {MHD_M_COSIG_REQ, false, false},
        {MHD_M_EXTSIG_REQ, false, false},
    };
    while (m) {
        int rc = mhd_ipc_recv(ch, m, -1);
        if (rc == MH_ERR_IO)
            break;
        if (rc || !mhd_ipc_permitted(permits, sizeof permits / sizeof permits[0], m)) {
            mhd_log(MHD_LOG_ERROR, "protocol violation by the front: stopping", "type=%s",
                    mhd_ipc_type_name(rc ? 0 : m->type));
            exit(MHD_EXIT_BAD_FRONT);
        }
        if (G.stopping && m->type != MHD_M_HEALTH_REQ) {
            if (m->fd >= 0)
                close(m->fd);
            mh_err_set(MH_ERR_IO, "mohurd is stopping; try again when it is back");
            send_error(ch, m->id, MH_ERR_IO, false, NULL);
            continue;
        }
        pthread_rwlock_rdlock(&G.lock);
        switch (m->type) {
        case MHD_M_HEALTH_REQ:
            h_health(ch, m);
            break;
        case MHD_M_ISSUE_REQ:
            h_issue(ch, m);
            break;
        case MHD_M_REVOKE_REQ:
            h_revoke(ch, m);
            break;
        case MHD_M_BATCH_REQ:
            h_batch(ch, m);
            break;
        case MHD_M_BATCH_POLL:
            h_batch_poll(ch, m);
            break;
        case MHD_M_COSIG_REQ:
            h_cosig(ch, m);
            break;
        case MHD_M_EXTSIG_REQ:
            h_extsig(ch, m);
            break;
        }
        pthread_rwlock_unlock(&G.lock);
    }
    free(m);
    close(ch);
    return NULL;
}

/* ---- the process -------------------------------------------------------------------- */

static int open_app(void)
{
    mh_app *a = NULL;
    int rc = mh_app_open_ex(G.c->state_dir, MH_APP_NO_TOKEN, &a);
    if (rc)
        return rc;
    G.app = a;
    G.keys_ok = false;
    if (G.c->origin[0])
        snprintf(G.origin, sizeof G.origin, "%s", G.c->origin);
    else
        snprintf(G.origin, sizeof G.origin, "%s/log", mh_app_verify_host(a));
    /* the latest checkpoint's size: nothing new, nothing to sign */
    char *note = malloc(MH_LEDGER_NOTE_MAX + 1);
    size_t nl = 0;
    uint64_t seq = 0, size = 0;
    uint8_t root[32];
    char origin[MH_LEDGER_ORIGIN_MAX + 1];
    if (note &&
        mh_ledger_checkpoint_get(mh_app_ledger(a), UINT64_MAX, note, MH_LEDGER_NOTE_MAX + 1, &nl,
                                 &seq) == 0 &&
        mh_ledger_checkpoint_parse(note, nl, origin, sizeof origin, &size, root) == 0 &&
        strcmp(origin, G.origin) == 0)
        G.checkpoint_size = size;
    free(note);
    return MH_OK;
}

static void close_app(void)
{
    for (size_t i = 0; i < MH_APP_ISSUERS_MAX; i++) {
        mh_app_signer_close(G.signers[i]);
        G.signers[i] = NULL;
    }
    G.nissuers = 0;
    mh_app_close(G.app);
    G.app = NULL;
    G.keys_ok = false;
}

/* An external key's signature was awaited when the last ledger process
 * stopped: each marked entry is voided, then its mark removed (while the
 * mark is there, verifiers say NOT ISSUED YET; mh_app_entry_pending). */
static void void_unfinished(void)
{
    uint64_t ix[64];
    size_t n = mh_app_pending_list(G.app, ix, 64);
    for (size_t i = 0; i < n; i++) {
        bool voided = false;
        mh_app_request rq = {.requester = "mohurd:restart"};
        if (mh_app_void_unfinished(G.app, ix[i], &rq, &voided) != 0) {
            mhd_log(MHD_LOG_ERROR, "an interrupted issue could not be voided",
                    "log_index=%llu error=%s", (unsigned long long)ix[i],
                    mhd_q(mh_err_message(MH_ERR_IO)));
            continue; /* the mark stays: the next start tries again */
        }
        if (voided)
            mhd_log(MHD_LOG_WARN, "an issue interrupted while its signature was awaited: voided",
                    "log_index=%llu", (unsigned long long)ix[i]);
        mh_app_pending_clear(G.app, ix[i]);
    }
}

int mhd_ledger_main(mhd_conf *c)
{
    int rc;
    static mhd_msg m;
    memset(&G, 0, sizeof G);
    G.c = c;
    pthread_rwlock_init(&G.lock, NULL);
    pthread_mutex_init(&G.keys_lock, NULL);
    pthread_mutex_init(&G.tpl_lock, NULL);
    pthread_mutex_init(&G.batch_lock, NULL);
    mhd_pool_init(&G.signer);
    umask(022); /* tiles are public; batches are made 0700 */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    sigprocmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    int sfd = signalfd(-1, &set, SFD_CLOEXEC);
    snprintf(G.tiles, sizeof G.tiles, "%s/tiles", c->state_dir);
    snprintf(G.batches, sizeof G.batches, "%s/batches", c->state_dir);
    if ((mkdir(G.batches, 0700) != 0 && errno != EEXIST) ||
        (mkdir(G.tiles, 0755) != 0 && errno != EEXIST)) {
        mh_err_set(MH_ERR_IO, "the state directory's batches or tiles cannot be made: %s",
                   strerror(errno));
        return MH_ERR_IO;
    }
    spool_remove(c->state_dir);
    if ((rc = open_app()) != 0)
        return rc;
    void_unfinished();
    if ((rc = mhd_seccomp(MHD_ROLE_LEDGER)) != 0)
        return rc;
    pthread_t cp;
    if (pthread_create(&cp, NULL, checkpointer, NULL) != 0)
        return MH_ERR_INTERNAL;
    mhd_ready rd = {MHD_ROLE_LEDGER, (uint32_t)getpid()};
    if ((rc = mhd_ipc_send(MHD_PARENT_FD, MHD_M_READY, 0, &rd, -1)) != 0)
        return rc;
    static const mhd_permit permits[] = {{MHD_M_CONNECT, true, false},
                                         {MHD_M_RELOAD, false, false}};
    for (;;) {
        struct pollfd pf[2] = {{MHD_PARENT_FD, POLLIN, 0}, {sfd, POLLIN, 0}};
        int timeout = G.keys_ok ? -1 : 500;
        if (poll(pf, 2, timeout) < 0 && errno != EINTR)
            break;
        if (!G.keys_ok) {
            pthread_rwlock_wrlock(&G.lock);
            load_keys();
            pthread_rwlock_unlock(&G.lock);
        }
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
            (m.type == MHD_M_CONNECT && mhd_ipc_decode(m.type, m.buf, m.len, &cn) != 0)) {
            mhd_log(MHD_LOG_ERROR, "protocol violation from the parent", NULL);
            exit(MHD_EXIT_BAD_PARENT);
        }
        if (m.type == MHD_M_RELOAD) {
            mhd_log(MHD_LOG_INFO, "reloading", NULL);
            pthread_rwlock_wrlock(&G.lock);
            close_app();
            rc = open_app();
            if (rc == 0)
                load_keys();
            pthread_rwlock_unlock(&G.lock);
            if (rc) {
                mhd_log(MHD_LOG_ERROR, "reload failed", "error=%s", mhd_q(mh_err_message(rc)));
                return rc;
            }
            continue;
        }
        if (cn.peer == MHD_ROLE_SIGNER) {
            mhd_pool_set(&G.signer, cn.slot, m.fd);
        } else if (cn.peer == MHD_ROLE_FRONT) {
            pthread_t th;
            pthread_attr_t at;
            pthread_attr_init(&at);
            pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
            if (pthread_create(&th, &at, serve_front, (void *)(intptr_t)m.fd) != 0)
                close(m.fd);
            pthread_attr_destroy(&at);
        } else {
            close(m.fd);
        }
    }
    /* stop: finish what is in flight, stop the batch between documents */
    G.stopping = true;
    G.batch_stop = 1;
    xs_stop();
    mhd_log(MHD_LOG_INFO, "stopping: finishing requests in flight", NULL);
    for (int i = 0; i < 600; i++) {
        pthread_mutex_lock(&G.batch_lock);
        bool running = G.batch_running;
        pthread_mutex_unlock(&G.batch_lock);
        if (!running)
            break;
        usleep(100000);
    }
    pthread_rwlock_wrlock(&G.lock);
    close_app();
    pthread_rwlock_unlock(&G.lock);
    mhd_log(MHD_LOG_INFO, "stopped", NULL);
    return MH_OK;
}
