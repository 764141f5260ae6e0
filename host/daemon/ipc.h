/*
 * ipc.h - the messages mohurd's processes send each other (docs/daemon.md).
 *
 * Every process pair talks over socketpair(AF_UNIX, SOCK_SEQPACKET): one
 * datagram is one message, so a message is never split or merged. On the
 * wire: a 12-byte header {u8 type, u8 0, u16 0, u32 request id, u32 payload
 * length} and the payload, at most MHD_IPC_MAX bytes. A message may carry
 * one file descriptor (SCM_RIGHTS): a sealed memfd with a document, or a
 * channel the parent hands out. Big data (documents, signed outputs) always
 * travels as a memfd, never in the payload.
 *
 * The payload of each type is a fixed sequence of fields (a schema in
 * ipc.c): u8, u32, u64, i32 in big-endian, text as u16 length + bytes (no
 * NUL, at most the field's capacity), bytes as u16 length + bytes. The
 * decoder is a bounds-checked cursor that must consume the payload exactly;
 * anything else is MH_ERR_PARSE. Each receiver also keeps a permit table
 * (which types it takes from which peer, and whether with a descriptor):
 * anything not in it is fatal for the receiver, as in OpenSSH's monitor.
 *
 * This is the only code that reads IPC input; tests/fuzz/fuzz_ipc.c fuzzes
 * mhd_ipc_parse() and every decoder.
 */
#ifndef MHD_IPC_H
#define MHD_IPC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mh_common.h"

#define MHD_IPC_HDR 12
#define MHD_IPC_MAX (64 * 1024)

/* Who is at the other end of a channel. */
enum mhd_role {
    MHD_ROLE_PARENT = 0,
    MHD_ROLE_FRONT = 1,
    MHD_ROLE_LEDGER = 2,
    MHD_ROLE_SIGNER = 3,
    MHD_ROLE_FOLLOWER = 4, /* no channel but the parent's */
};

enum mhd_msg_type {
    MHD_M_NONE = 0,
    /* parent <-> every child */
    MHD_M_CONNECT = 1, /* parent -> child: a channel to a peer (fd) */
    MHD_M_READY = 2,   /* child -> parent: serving */
    MHD_M_RELOAD = 3,  /* parent -> ledger, signer: re-read config, CRL, trust */
    /* front -> ledger */
    MHD_M_HEALTH_REQ = 10,
    MHD_M_ISSUE_REQ = 11, /* + memfd with the document, unless rendered */
    MHD_M_REVOKE_REQ = 12,
    MHD_M_BATCH_REQ = 13, /* + memfd with the roster */
    MHD_M_BATCH_POLL = 14,
    MHD_M_COSIG_REQ = 15,
    MHD_M_EXTSIG_REQ = 16, /* the signature an MHD_M_EXTSIG_NEED asked for */
    /* ledger -> front */
    MHD_M_HEALTH = 20,
    MHD_M_ISSUE_OK = 21, /* + memfd with the outputs */
    MHD_M_REVOKE_OK = 22,
    MHD_M_BATCH_STATE = 23,
    MHD_M_OK = 24,
    MHD_M_ERROR = 25,       /* any reply */
    MHD_M_EXTSIG_NEED = 26, /* reply to an issue with an external key: sign this */
    /* ledger -> signer */
    MHD_M_SIGN_REQ = 30,
    MHD_M_NOTE_REQ = 31,
    MHD_M_KEY_REQ = 32,
    MHD_M_PING = 33,
    /* signer -> ledger */
    MHD_M_SIGN_OK = 40,
    MHD_M_NOTE_OK = 41,
    MHD_M_KEY = 42,
    MHD_M_PONG = 43,
    MHD_M_TYPE_MAX_ = 44
};

/* What a signature is for (MHD_M_SIGN_REQ.purpose): the signer's permit
 * table says which key may sign for which purpose. */
enum mhd_purpose {
    MHD_P_DOCUMENT = 1,  /* an issuer's key: the document's CMS signature */
    MHD_P_RECEIPT = 2,   /* the registry key: a receipt */
    MHD_P_TIMESTAMP = 3, /* the TSA key: an RFC 3161 token */
};

#define MHD_REQUESTER_MAX 64
#define MHD_ID_MAX 64
#define MHD_KIND_MAX 40
#define MHD_DOCID_MAX 128
#define MHD_FIELDS_MAX (32 * 1024)
#define MHD_MSG_MAX 512
#define MHD_URL_MAX 1023
#define MHD_LABEL_MAX 63
#define MHD_OUT_MAX 4
#define MHD_NOTE_BODY_MAX 1024
#define MHD_NOTE_MAX 8192
#define MHD_CERT_MAX 8192
#define MHD_PATH_MAX 1023

typedef struct mhd_connect {
    uint8_t peer; /* enum mhd_role */
    uint32_t slot;
} mhd_connect;

typedef struct mhd_ready {
    uint8_t role;
    uint32_t pid;
} mhd_ready;

typedef struct mhd_empty {
    uint8_t unused;
} mhd_empty;

typedef struct mhd_health {
    uint8_t ledger_ok;
    uint8_t signer_ok;
    uint8_t token_ok;
    uint64_t size;
    uint64_t signatures;
    uint64_t sign_errors;
    uint64_t checkpoint_size;
    char problem[MHD_MSG_MAX + 1];
} mhd_health;

typedef struct mhd_issue_req {
    char requester[MHD_REQUESTER_MAX + 1];
    char issuer[MHD_ID_MAX + 1];
    char kind[MHD_KIND_MAX + 1];
    char doc_id[MHD_DOCID_MAX + 1];  /* "" : derived */
    char fields[MHD_FIELDS_MAX + 1]; /* a JSON object of strings */
    uint8_t has_doc;                 /* a memfd comes with it */
    /* the issuer's certificate whose key is outside the appliance (a
     * notary's USB token): the ledger process asks the client for each
     * signature (MHD_M_EXTSIG_NEED); empty: the key on the appliance */
    uint8_t cert[MHD_CERT_MAX];
    size_t cert_len;
} mhd_issue_req;

/* An issue with an external key waits for a signature: the client signs
 * hash (made with md) with its key and sends it back in an
 * MHD_M_EXTSIG_REQ naming the session, within expires seconds. With it,
 * what the client needs to see what it signs (mh_app_tbs): the signed
 * attributes (whose hash is hash), and the prepared content: the first
 * doc_len bytes of the document the client sent, then (MHD_TBS_PDF) the
 * bytes of the sealed memfd that comes with the message, signed over
 * byte_range. Without MHD_TBS_PDF (a detached CAdES signature of the
 * document) no memfd comes and byte_range is all 0. The decoder checks
 * the shape: a hash size, attributes that are a DER SET, a byte range
 * that starts at 0 and has a gap. */
#define MHD_SESSION_HEX 32
#define MHD_SATTRS_MAX 4096 /* MH_APP_SATTRS_MAX */
#define MHD_TBS_PDF 1u
typedef struct mhd_extsig_need {
    char session[MHD_SESSION_HEX + 1];
    uint8_t md;  /* mbedtls_md_type_t */
    uint8_t alg; /* enum mh_sig_alg: the certificate's key */
    uint8_t hash[64];
    size_t hash_len;
    uint32_t expires;
    uint8_t sattrs[MHD_SATTRS_MAX];
    size_t sattrs_len;
    uint8_t flags; /* MHD_TBS_* */
    uint64_t doc_len;
    uint64_t byte_range[4];
} mhd_extsig_need;

typedef struct mhd_extsig_req {
    char requester[MHD_REQUESTER_MAX + 1];
    char session[MHD_SESSION_HEX + 1];
    uint8_t sig[512]; /* ECDSA as r || s; RSA PKCS#1 v1.5 */
    size_t sig_len;
} mhd_extsig_req;

typedef struct mhd_issue_ok {
    char doc_id[MHD_DOCID_MAX + 1];
    uint64_t log_index;
    char url[MHD_URL_MAX + 1];
    uint32_t qr_version;
    uint8_t flags; /* MHD_ISSUE_* */
    uint32_t nout;
    uint64_t out_len[MHD_OUT_MAX]; /* pdf; or p7s, png, svg */
} mhd_issue_ok;

#define MHD_ISSUE_RESUMED 1u
#define MHD_ISSUE_PDF 2u
#define MHD_ISSUE_COSIGNED 4u

typedef struct mhd_error {
    int32_t code; /* MH_ERR_* */
    char message[MHD_MSG_MAX + 1];
    uint8_t voided;
    char url[MHD_URL_MAX + 1]; /* the receipt made for a voided issue */
} mhd_error;

typedef struct mhd_revoke_req {
    char requester[MHD_REQUESTER_MAX + 1];
    char doc_id[MHD_DOCID_MAX + 1];
    uint32_t reason;
} mhd_revoke_req;

typedef struct mhd_revoke_ok {
    uint64_t revoke_index;
    uint64_t time;
    uint32_t reason;
} mhd_revoke_ok;

typedef struct mhd_batch_req {
    char requester[MHD_REQUESTER_MAX + 1];
    char issuer[MHD_ID_MAX + 1];
    char kind[MHD_KIND_MAX + 1];
    char out_dir[MHD_PATH_MAX + 1]; /* "": the state dir's batches/<id> */
    uint8_t json;                   /* the roster is JSON (else CSV) */
} mhd_batch_req;

typedef struct mhd_batch_poll {
    uint32_t id;
} mhd_batch_poll;

typedef struct mhd_batch_state {
    uint32_t id;
    uint8_t state; /* 1 running, 2 done, 3 failed */
    uint64_t rows, issued, already, remade, bad, conflicts, voided, failed;
    int32_t fatal;
    uint64_t elapsed_ms; /* the run's own time (mh_batch_run), once ended */
    uint64_t per_second; /* issued + re-made per second of it */
    char message[MHD_MSG_MAX + 1];
    char out_dir[MHD_PATH_MAX + 1];
} mhd_batch_state;

typedef struct mhd_cosig_req {
    char requester[MHD_REQUESTER_MAX + 1];
    uint64_t seq;
    char line[MHD_NOTE_BODY_MAX + 1];
} mhd_cosig_req;

typedef struct mhd_sign_req {
    uint8_t purpose; /* enum mhd_purpose */
    char key[MHD_LABEL_MAX + 1];
    char issuer[MHD_ID_MAX + 1];
    char kind[MHD_KIND_MAX + 1];
    uint64_t log_index;
    uint8_t md;  /* mbedtls_md_type_t */
    uint8_t alg; /* enum mh_sig_alg: the key's own (ECDSA, RSA PKCS#1 v1.5, PSS) */
    uint8_t enc; /* enum mh_sig_enc: ECDSA as DER or r || s */
    uint8_t hash[64];
    size_t hash_len;
} mhd_sign_req;

typedef struct mhd_sign_ok {
    uint8_t sig[512];
    size_t sig_len;
} mhd_sign_ok;

typedef struct mhd_note_req {
    char body[MHD_NOTE_BODY_MAX + 1];
} mhd_note_req;

typedef struct mhd_note_ok {
    char note[MHD_NOTE_MAX + 1];
} mhd_note_ok;

typedef struct mhd_key_req {
    char label[MHD_LABEL_MAX + 1];
} mhd_key_req;

typedef struct mhd_key {
    char label[MHD_LABEL_MAX + 1];
    uint8_t cert[MHD_CERT_MAX];
    size_t cert_len;
} mhd_key;

typedef struct mhd_pong {
    uint8_t token_ok;
    uint64_t signatures;
    uint64_t errors;
} mhd_pong;

/* A received message: the header's fields and the payload. */
typedef struct mhd_msg {
    uint8_t type;
    uint32_t id;
    size_t len;
    int fd; /* -1: none */
    uint8_t buf[MHD_IPC_MAX];
} mhd_msg;

/* Checks a datagram's header (pure; fuzzed): the type is known, the
 * reserved bytes are 0, the length is the rest of the datagram and at most
 * MHD_IPC_MAX. */
int mhd_ipc_parse(const uint8_t *dgram, size_t n, uint8_t *type, uint32_t *id,
                  const uint8_t **payload, size_t *len) MH_WARN_UNUSED;

/* Encodes the struct of a type into its payload. */
int mhd_ipc_encode(uint8_t type, const void *msg, uint8_t *out, size_t cap,
                   size_t *len) MH_WARN_UNUSED;
/* Decodes a payload into the struct of its type (which the caller sized
 * by type: mhd_ipc_struct_size). Refuses anything but an exact fit, and
 * values a type's own check refuses (MHD_M_EXTSIG_NEED's). */
int mhd_ipc_decode(uint8_t type, const uint8_t *payload, size_t len, void *msg) MH_WARN_UNUSED;
size_t mhd_ipc_struct_size(uint8_t type);
const char *mhd_ipc_type_name(uint8_t type);

/* Sends one message (with fd >= 0 attached). Blocking; EINTR retried.
 * MH_ERR_IO when the peer is gone. */
int mhd_ipc_send(int sock, uint8_t type, uint32_t id, const void *msg, int fd) MH_WARN_UNUSED;
/* Receives one message: MH_ERR_IO when the peer closed or failed,
 * MH_ERR_PARSE for a malformed one (truncated, more than one descriptor,
 * a bad header). timeout_ms < 0 waits forever. MH_ERR_CANCELLED on a
 * timeout. */
int mhd_ipc_recv(int sock, mhd_msg *m, int timeout_ms) MH_WARN_UNUSED;

/* A permit table: which types a receiver takes, and with or without a
 * descriptor. */
typedef struct mhd_permit {
    uint8_t type;
    bool with_fd; /* the message must carry a descriptor (else must not) */
    bool fd_optional;
} mhd_permit;

/* Is m permitted by the table (n entries)? */
bool mhd_ipc_permitted(const mhd_permit *table, size_t n, const mhd_msg *m);

/* A sealed memfd holding the bytes (for documents sent to a peer). */
int mhd_memfd_from(const char *name, const void *buf, size_t len, int *fd) MH_WARN_UNUSED;
/* The same, of n parts one after the other. */
int mhd_memfd_fromv(const char *name, const uint8_t *const *part, const size_t *len, size_t n,
                    int *fd) MH_WARN_UNUSED;
/* Maps a sealed memfd sent by a peer (at most cap bytes) read-only, so
 * that a large answer is not copied; the descriptor is closed. */
typedef struct mhd_map {
    const uint8_t *p;
    size_t len;
} mhd_map;
int mhd_memfd_map(int fd, size_t cap, mhd_map *m) MH_WARN_UNUSED;
void mhd_map_free(mhd_map *m);
/* Reads a memfd sent by a peer (at most cap bytes) into a malloc'd buffer
 * with a NUL after the data. The descriptor is closed. */
int mhd_memfd_read(int fd, size_t cap, uint8_t **buf, size_t *len) MH_WARN_UNUSED;

#endif
