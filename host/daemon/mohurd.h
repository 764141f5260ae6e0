/*
 * mohurd.h - internal header of the daemon (docs/daemon.md).
 *
 * Four processes, split by what they hold (OpenSSH privsep, OpenBSD
 * proc.c): the parent (configuration, listeners, children; never parses a
 * request), the front (HTTP; unprivileged, seccomp; the ledger read-only),
 * the ledger (the only ledger writer; issues, revokes, batches, checkpoints,
 * tiles; its keys sign in the signer) and the signer (the only process with
 * PKCS#11 and PINs; signs what its permit table allows). The parent re-execs
 * each child (`mohurd --child ROLE`, the parent channel on fd 3) and hands
 * out the channels between them (MHD_M_CONNECT).
 */
#ifndef MHD_MOHURD_H
#define MHD_MOHURD_H

#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ipc.h"
#include "mh_common.h"

#define MHD_PARENT_FD 3  /* a child's channel to the parent */
#define MHD_LISTEN_FD0 4 /* the front's listeners: 4, 5, ... */
#define MHD_LISTEN_MAX 8
#define MHD_CHANNELS_MAX 32

/* ---- configuration (conf.c) ---------------------------------------------- */

enum mhd_listen_kind { MHD_LISTEN_TCP = 0, MHD_LISTEN_UNIX = 1 };

typedef struct mhd_listen {
    char spec[300]; /* as given: "127.0.0.1:8080", "unix:/run/mohurd.sock", "tls:[::]:443" */
    enum mhd_listen_kind kind;
    bool tls;
    bool local; /* the CLI's socket: peer credentials map to admin */
    char host[256];
    unsigned port;
    char path[256];
} mhd_listen;

typedef struct mhd_conf {
    char state_dir[1024];
    char config_path[1024];
    size_t nlisten;
    mhd_listen listen[MHD_LISTEN_MAX];
    bool local_socket; /* STATE/mohurd.sock for the CLI (default on) */
    char user[64];     /* the front's user when started as root */
    unsigned threads;  /* the front's thread pool */
    unsigned channels; /* IPC channels front-ledger and ledger-signer */
    unsigned conn_limit, per_ip_limit, timeout;
    size_t max_body; /* uploads (PDFs, rosters) */
    size_t max_json; /* other JSON bodies */
    char tls_cert[1024], tls_key[1024], tls_client_ca[1024];
    unsigned rate;                /* default requests/s of a credential */
    unsigned public_rate;         /* uncached verifications/s per client address (0: off) */
    unsigned checkpoint_interval; /* seconds between checkpoints (0: never) */
    unsigned ext_timeout;         /* seconds a client has to send an external key's signature */
    char origin[256];             /* the log's origin line */
    char public_host[256];        /* the page judges receipts at this host ("": Host) */
    int log_level;                /* 0 error .. 3 debug */
    bool log_requests;
    char pid_file[1024];
    /* an issuer's key on another token than the appliance's (a notary's USB
     * token): the signer opens it with this PKCS#11 URI (its pin-source) */
    size_t nissuer_keys;
    struct {
        char issuer[65];
        char uri[1024];
    } issuer_keys[16];
    /* witnesses whose cosignatures of the log's checkpoints are accepted
     * (their cosignature/v1 verifier keys) */
    size_t nwitnesses;
    char witnesses[8][512];
    unsigned verify_cache; /* entries of the front's verdict cache (0: off) */
    unsigned cache_ttl;    /* seconds a cached verdict lives */
    /* other registries this appliance follows (docs/daemon.md, "The
     * follower"): the verifier configuration (mohur verify --follow's JSON;
     * "": none), the follower's state and local copy (default STATE/follow),
     * seconds between its updates */
    char follow_config[1024];
    char follow_state[1024];
    unsigned follow_interval;
} mhd_conf;

/* Defaults, then the file (conf->config_path, if set), then the command
 * line's --listen (which replaces the file's). */
void mhd_conf_defaults(mhd_conf *c);
int mhd_conf_load(mhd_conf *c, const char *path) MH_WARN_UNUSED;
int mhd_conf_add_listen(mhd_conf *c, const char *spec) MH_WARN_UNUSED;
/* Fills in what depends on the state directory (socket path, origin). */
int mhd_conf_finish(mhd_conf *c) MH_WARN_UNUSED;

/* ---- logs (log.c): logfmt lines on stderr ------------------------------- */

enum { MHD_LOG_ERROR = 0, MHD_LOG_WARN = 1, MHD_LOG_INFO = 2, MHD_LOG_DEBUG = 3 };
void mhd_log_init(const char *proc, int level);
void mhd_log(int level, const char *msg, const char *kvfmt, ...) MH_PRINTF(3, 4);
/* A logfmt value: quoted and escaped when needed (thread-local buffers, a
 * few at a time). */
const char *mhd_q(const char *s);

/* ---- sandbox.c ---------------------------------------------------------- */

/* What every process does first: no core files, not dumpable, no new
 * privileges. */
int mhd_harden(void) MH_WARN_UNUSED;
/* Drops to `user` (when root): groups, gid, uid; then checks root cannot
 * be regained. */
int mhd_drop_user(const char *user) MH_WARN_UNUSED;
/* The seccomp filter of a role (front: no new files or executable memory,
 * no new network sockets, no exec; ledger and signer: no network, no
 * exec; follower: network, no exec, no user changes). */
int mhd_seccomp(enum mhd_role role) MH_WARN_UNUSED;
/* Landlock (when the kernel has it): a ruleset that lets only these
 * directories and files be opened, for reading (made while the paths can
 * still be reached; -1 without Landlock), then applied for good. */
int mhd_landlock_prepare(const char *const *dirs, size_t ndirs, const char *const *files,
                         size_t nfiles, int *ruleset) MH_WARN_UNUSED;
/* The same, and wdir (may be NULL) where files may also be made, written,
 * renamed and removed. */
int mhd_landlock_prepare_rw(const char *const *dirs, size_t ndirs, const char *const *files,
                            size_t nfiles, const char *wdir, int *ruleset) MH_WARN_UNUSED;
int mhd_landlock_apply(int ruleset) MH_WARN_UNUSED;
/* Closes every descriptor from `from` up (close_range). */
void mhd_close_from(int from);

/* ---- the processes ----------------------------------------------------- */

int mhd_parent_main(mhd_conf *c);
int mhd_front_main(mhd_conf *c, size_t nlisten);
int mhd_follower_main(mhd_conf *c);
int mhd_ledger_main(mhd_conf *c);
int mhd_signer_main(mhd_conf *c);
/* --sandbox-probe WHAT: the front's sandbox, then one forbidden act. */
int mhd_front_probe(mhd_conf *c, const char *what);

/* ---- a pool of channels to one peer (chan.c) ----------------------------- */

/* Channels arrive from the parent (MHD_M_CONNECT) and are replaced when the
 * peer is restarted (a new generation); a caller borrows one for one
 * request and its reply. */
typedef struct mhd_pool {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int fd[MHD_CHANNELS_MAX];
    bool busy[MHD_CHANNELS_MAX];
    bool dead[MHD_CHANNELS_MAX];
    uint32_t gen[MHD_CHANNELS_MAX];
    size_t n;
    uint32_t next_id;
} mhd_pool;

void mhd_pool_init(mhd_pool *p);
/* Puts a channel in slot (closing what was there). */
void mhd_pool_set(mhd_pool *p, uint32_t slot, int fd);
/* One request and its reply (reply->fd: a descriptor that came with it).
 * MH_ERR_IO when the peer is gone, MH_ERR_CANCELLED on the timeout. The
 * reply must be one of the types in ok (or MHD_M_ERROR). */
int mhd_pool_call(mhd_pool *p, uint8_t type, const void *msg, int fd, mhd_msg *reply,
                  int timeout_ms) MH_WARN_UNUSED;
/* Is at least one live channel there? */
bool mhd_pool_up(mhd_pool *p);

/* Exit statuses of a child that saw its peer break the protocol: the
 * parent kills that peer too (OpenSSH's monitor: anything unexpected is
 * fatal). */
#define MHD_EXIT_BAD_FRONT 71
#define MHD_EXIT_BAD_LEDGER 72
#define MHD_EXIT_BAD_SIGNER 73
#define MHD_EXIT_BAD_PARENT 70

/* Maps an MH_ERR_* to an HTTP status. */
int mhd_http_status(int err);

#endif
