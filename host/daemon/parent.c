/*
 * parent.c - mohurd's main and its parent process: reads the configuration,
 * binds the listeners (or takes them from systemd), forks and re-execs each
 * child, hands out the channels between them, restarts a child that dies
 * (with backoff), reloads on SIGHUP (a new front takes over the listeners,
 * the old one drains), drains and stops on SIGTERM. It never reads a
 * request: its only input is READY from its children.
 */
#define _GNU_SOURCE
#include "mohurd.h"

#include "mh_app.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netdb.h>
#include <pwd.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#define DRAIN_MAX 16

#ifndef MH_VERSION
#define MH_VERSION "unknown"
#endif

typedef struct kid {
    enum mhd_role role;
    const char *name;
    pid_t pid;
    int chan;
    bool ready;
    unsigned quick_deaths;
    bool replacing; /* stopped to start again at once (the follower on a reload) */
    struct timespec started;
    struct timespec restart_at; /* when to start again (pid 0) */
} kid;

static char self_exe[1024];
static int argc_saved;
static char **argv_saved;
/* --listen on the command line: they replace the configuration's, at a
 * reload too */
static const char *listen_args[MHD_LISTEN_MAX];
static size_t nlisten_args;

typedef struct parent {
    mhd_conf *c;
    int lfd[MHD_LISTEN_MAX];
    size_t nl;
    kid kids[5]; /* by role: 1 front, 2 ledger, 3 signer, 4 follower (when configured) */
    /* fronts replaced by a reload, finishing what they took: each keeps
     * its channel to us until it is reaped (a front replaced before it said
     * it was ready must still be able to say so, or it would exit with the
     * requests it had accepted) */
    struct {
        pid_t pid;
        int chan;
    } draining[DRAIN_MAX];
    bool stopping, reloading, notified;
    bool reload_queued;  /* a reload asked while the last one's front starts */
    size_t from_systemd; /* listeners systemd passed (socket activation) */
} parent;

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static double ts_s(const struct timespec *t)
{
    return (double)t->tv_sec + (double)t->tv_nsec / 1e9;
}

/* ---- listeners ------------------------------------------------------------ */

static int bind_tcp(const mhd_listen *l, int *out)
{
    struct addrinfo hints, *res = NULL;
    char port[8];
    memset(&hints, 0, sizeof hints);
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    snprintf(port, sizeof port, "%u", l->port);
    int e = getaddrinfo(l->host, port, &hints, &res);
    if (e != 0) {
        mh_err_set(MH_ERR_INVALID_ARG, "listen %s: %s", l->spec, gai_strerror(e));
        return MH_ERR_INVALID_ARG;
    }
    int fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    int one = 1;
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
        (res->ai_family == AF_INET6 &&
         setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one) != 0) ||
        bind(fd, res->ai_addr, res->ai_addrlen) != 0 || listen(fd, 1024) != 0) {
        mh_err_set(MH_ERR_IO, "listen %s: %s", l->spec, strerror(errno));
        if (fd >= 0)
            close(fd);
        freeaddrinfo(res);
        return MH_ERR_IO;
    }
    freeaddrinfo(res);
    *out = fd;
    return MH_OK;
}

static int bind_unix(const mhd_listen *l, int *out)
{
    struct sockaddr_un sa;
    struct stat st;
    memset(&sa, 0, sizeof sa);
    sa.sun_family = AF_UNIX;
    if (strlen(l->path) >= sizeof sa.sun_path) {
        mh_err_set(MH_ERR_TOO_LARGE, "listen %s: the path is too long", l->spec);
        return MH_ERR_TOO_LARGE;
    }
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", l->path);
    /* a socket left by an earlier run: is anybody serving on it? */
    if (lstat(l->path, &st) == 0) {
        if (!S_ISSOCK(st.st_mode)) {
            mh_err_set(MH_ERR_ALREADY_EXISTS, "listen %s: %s exists and is not a socket", l->spec,
                       l->path);
            return MH_ERR_ALREADY_EXISTS;
        }
        int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (probe >= 0 && connect(probe, (struct sockaddr *)&sa, sizeof sa) == 0) {
            close(probe);
            mh_err_set(MH_ERR_ALREADY_EXISTS, "listen %s: another mohurd is serving there",
                       l->spec);
            return MH_ERR_ALREADY_EXISTS;
        }
        if (probe >= 0)
            close(probe);
        unlink(l->path);
    }
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    mode_t old = umask(l->local ? 0177 : 0111);
    int b = fd < 0 ? -1 : bind(fd, (struct sockaddr *)&sa, sizeof sa);
    umask(old);
    if (fd < 0 || b != 0 || listen(fd, 1024) != 0) {
        mh_err_set(MH_ERR_IO, "listen %s: %s", l->spec, strerror(errno));
        if (fd >= 0)
            close(fd);
        return MH_ERR_IO;
    }
    *out = fd;
    return MH_OK;
}

static int bind_all(parent *p)
{
    int n = sd_listen_fds(1);
    size_t from_systemd = n > 0 ? (size_t)n : 0;
    p->from_systemd = from_systemd;
    for (size_t i = 0; i < p->c->nlisten; i++) {
        const mhd_listen *l = &p->c->listen[i];
        int rc;
        if (i < from_systemd && !l->local) {
            p->lfd[i] = SD_LISTEN_FDS_START + (int)i;
            fcntl(p->lfd[i], F_SETFD, FD_CLOEXEC);
            fcntl(p->lfd[i], F_SETFL, fcntl(p->lfd[i], F_GETFL) | O_NONBLOCK);
            rc = MH_OK;
        } else {
            rc = l->kind == MHD_LISTEN_UNIX ? bind_unix(l, &p->lfd[i]) : bind_tcp(l, &p->lfd[i]);
        }
        if (rc)
            return rc;
        p->nl = i + 1;
    }
    return MH_OK;
}

/* ---- children -------------------------------------------------------------- */

static const char *role_name(enum mhd_role r)
{
    return r == MHD_ROLE_FRONT    ? "front"
           : r == MHD_ROLE_LEDGER ? "ledger"
           : r == MHD_ROLE_SIGNER ? "signer"
                                  : "follower";
}

static int spawn(parent *p, enum mhd_role role)
{
    kid *k = &p->kids[role];
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
        mh_err_set(MH_ERR_IO, "socketpair: %s", strerror(errno));
        return MH_ERR_IO;
    }
    pid_t pid = fork();
    if (pid < 0) {
        close(sv[0]);
        close(sv[1]);
        mh_err_set(MH_ERR_IO, "fork: %s", strerror(errno));
        return MH_ERR_IO;
    }
    if (pid == 0) {
        /* the child: its parent channel on fd 3, the front's listeners on
         * 4..; nothing else crosses the exec */
        sigset_t all;
        sigemptyset(&all);
        sigprocmask(SIG_SETMASK, &all, NULL);
        int hi[MHD_LISTEN_MAX + 1], nhi = 0;
        hi[nhi++] = fcntl(sv[1], F_DUPFD_CLOEXEC, 64);
        if (role == MHD_ROLE_FRONT)
            for (size_t i = 0; i < p->nl; i++)
                hi[nhi++] = fcntl(p->lfd[i], F_DUPFD_CLOEXEC, 64);
        for (int i = 0; i < nhi; i++)
            if (hi[i] < 0 || dup2(hi[i], MHD_PARENT_FD + i) < 0)
                _exit(127);
        mhd_close_from(MHD_PARENT_FD + nhi);
        char *args[64];
        int a = 0;
        args[a++] = (char *)"mohurd";
        args[a++] = (char *)"--child";
        args[a++] = (char *)role_name(role);
        /* the same options the parent had, so the child's configuration
         * is the same */
        for (int i = 1; i < argc_saved && a < 60; i++)
            args[a++] = argv_saved[i];
        args[a] = NULL;
        execv(self_exe, args);
        _exit(127);
    }
    close(sv[1]);
    k->role = role;
    k->name = role_name(role);
    k->pid = pid;
    k->chan = sv[0];
    k->ready = false;
    clock_gettime(CLOCK_MONOTONIC, &k->started);
    mhd_log(MHD_LOG_INFO, "started", "child=%s child_pid=%ld", k->name, (long)pid);
    return MH_OK;
}

/* Channels between two live children: `n` socketpairs, one end each. */
static void connect_pair(parent *p, enum mhd_role a, enum mhd_role b)
{
    kid *ka = &p->kids[a], *kb = &p->kids[b];
    if (!ka->pid || !kb->pid)
        return;
    for (unsigned s = 0; s < p->c->channels; s++) {
        int sv[2];
        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0)
            return;
        mhd_connect ca = {(uint8_t)b, s}, cb = {(uint8_t)a, s};
        if (mhd_ipc_send(ka->chan, MHD_M_CONNECT, 0, &ca, sv[0]) != 0 ||
            mhd_ipc_send(kb->chan, MHD_M_CONNECT, 0, &cb, sv[1]) != 0)
            mh_err_clear();
        close(sv[0]);
        close(sv[1]);
    }
}

static void connect_new(parent *p, enum mhd_role r)
{
    if (r == MHD_ROLE_FRONT || r == MHD_ROLE_LEDGER)
        connect_pair(p, MHD_ROLE_FRONT, MHD_ROLE_LEDGER);
    if (r == MHD_ROLE_LEDGER || r == MHD_ROLE_SIGNER)
        connect_pair(p, MHD_ROLE_LEDGER, MHD_ROLE_SIGNER);
}

static int start(parent *p, enum mhd_role r)
{
    int rc = spawn(p, r);
    if (rc == 0)
        connect_new(p, r);
    return rc;
}

static bool following(const parent *p)
{
    return p->c->follow_config[0] != 0;
}

static bool all_ready(parent *p)
{
    for (int r = MHD_ROLE_FRONT; r <= MHD_ROLE_FOLLOWER; r++)
        if ((r != MHD_ROLE_FOLLOWER || following(p)) && (!p->kids[r].pid || !p->kids[r].ready))
            return false;
    return true;
}

static void ready_line(parent *p)
{
    char where[1024] = "";
    for (size_t i = 0; i < p->c->nlisten; i++) {
        size_t l = strlen(where);
        snprintf(where + l, sizeof where - l, "%s%s", i ? " " : "", p->c->listen[i].spec);
    }
    if (!p->notified) {
        /* the line operators and tests wait for */
        fprintf(stderr, "mohurd: ready: listening on %s\n", where);
        fflush(stderr);
    }
    mhd_log(MHD_LOG_INFO, "ready", "listen=%s", mhd_q(where));
    sd_notify(0, "READY=1\nSTATUS=serving");
    p->notified = true;
}

static void reload(parent *p);

static void child_message(parent *p, kid *k)
{
    static mhd_msg m;
    int rc = mhd_ipc_recv(k->chan, &m, 0);
    if (rc == MH_ERR_CANCELLED)
        return;
    if (rc == MH_ERR_IO) {
        close(k->chan);
        k->chan = -1;
        return;
    }
    static const mhd_permit permits[] = {{MHD_M_READY, false, false}};
    mhd_ready rd;
    if (rc || !mhd_ipc_permitted(permits, 1, &m) || mhd_ipc_decode(m.type, m.buf, m.len, &rd)) {
        if (m.fd >= 0)
            close(m.fd);
        mhd_log(MHD_LOG_ERROR, "protocol violation: killing the child", "child=%s type=%u", k->name,
                (unsigned)m.type);
        kill(k->pid, SIGKILL);
        return;
    }
    k->ready = true;
    mhd_log(MHD_LOG_INFO, "child ready", "child=%s", k->name);
    if (p->reloading && k->role == MHD_ROLE_FRONT) {
        /* the new front serves: the old ones drain and go */
        for (int i = 0; i < DRAIN_MAX; i++)
            if (p->draining[i].pid)
                kill(p->draining[i].pid, SIGTERM);
        p->reloading = false;
        if (p->reload_queued && !p->stopping)
            reload(p);
    }
    if (all_ready(p) && !p->stopping)
        ready_line(p);
}

static void reaped(parent *p, pid_t pid, int st)
{
    for (int i = 0; i < DRAIN_MAX; i++)
        if (p->draining[i].pid == pid) {
            p->draining[i].pid = 0;
            if (p->draining[i].chan >= 0)
                close(p->draining[i].chan);
            p->draining[i].chan = -1;
            mhd_log(MHD_LOG_INFO, "old front drained", "child_pid=%ld", (long)pid);
            if (p->reload_queued && !p->reloading && !p->stopping)
                reload(p);
            return;
        }
    for (int r = MHD_ROLE_FRONT; r <= MHD_ROLE_FOLLOWER; r++) {
        kid *k = &p->kids[r];
        if (k->pid != pid)
            continue;
        char how[64];
        if (WIFSIGNALED(st))
            snprintf(how, sizeof how, "signal=%d", WTERMSIG(st));
        else
            snprintf(how, sizeof how, "status=%d", WEXITSTATUS(st));
        k->pid = 0;
        k->ready = false;
        if (k->chan >= 0)
            close(k->chan);
        k->chan = -1;
        if (p->stopping || (r == MHD_ROLE_FOLLOWER && (k->replacing || !following(p)))) {
            /* a follower replaced on a reload starts again now; one no
             * longer configured does not */
            mhd_log(MHD_LOG_INFO, "child stopped", "child=%s %s", k->name, how);
            if (!p->stopping && k->replacing && following(p))
                clock_gettime(CLOCK_MONOTONIC, &k->restart_at);
            k->replacing = false;
            return;
        }
        /* backoff: 100 ms doubling for each death within 10 s of its start,
         * at most 5 s */
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (ts_s(&now) - ts_s(&k->started) < 10.0)
            k->quick_deaths++;
        else
            k->quick_deaths = 0;
        unsigned shift = k->quick_deaths > 6 ? 6 : k->quick_deaths;
        double delay = 0.1 * (double)(1u << shift);
        if (delay > 5.0)
            delay = 5.0;
        double at = ts_s(&now) + delay;
        k->restart_at.tv_sec = (time_t)at;
        k->restart_at.tv_nsec = (long)((at - (double)(time_t)at) * 1e9);
        mhd_log(MHD_LOG_WARN, "child died; restarting", "child=%s %s delay_ms=%.0f%s", k->name, how,
                delay * 1000,
                WIFEXITED(st) && WEXITSTATUS(st) >= MHD_EXIT_BAD_PARENT &&
                        WEXITSTATUS(st) <= MHD_EXIT_BAD_SIGNER
                    ? " reason=protocol"
                    : "");
        /* a child that saw its peer break the protocol: the peer goes too */
        int culprit = !WIFEXITED(st)                           ? 0
                      : WEXITSTATUS(st) == MHD_EXIT_BAD_FRONT  ? MHD_ROLE_FRONT
                      : WEXITSTATUS(st) == MHD_EXIT_BAD_LEDGER ? MHD_ROLE_LEDGER
                      : WEXITSTATUS(st) == MHD_EXIT_BAD_SIGNER ? MHD_ROLE_SIGNER
                                                               : 0;
        if (culprit && p->kids[culprit].pid) {
            mhd_log(MHD_LOG_ERROR, "killing the peer that broke the protocol", "child=%s",
                    role_name((enum mhd_role)culprit));
            kill(p->kids[culprit].pid, SIGKILL);
        }
        sd_notify(0, "STATUS=restarting a child");
        return;
    }
}

static void wait_gone(pid_t pid, double secs)
{
    double until = now_s() + secs;
    while (pid > 0 && kill(pid, 0) == 0 && now_s() < until) {
        int st;
        if (waitpid(pid, &st, WNOHANG) == pid)
            return;
        usleep(20000);
    }
    if (pid > 0 && kill(pid, 0) == 0) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
    }
}

static void stop_all(parent *p)
{
    p->stopping = true;
    sd_notify(0, "STOPPING=1");
    mhd_log(MHD_LOG_INFO, "stopping: draining", NULL);
    /* the front first (it stops taking requests and finishes those in
     * flight), then the ledger (it finishes its own), then the signer */
    for (int i = 0; i < DRAIN_MAX; i++)
        if (p->draining[i].pid)
            kill(p->draining[i].pid, SIGTERM);
    if (p->kids[MHD_ROLE_FRONT].pid)
        kill(p->kids[MHD_ROLE_FRONT].pid, SIGTERM);
    /* the follower stops between two registries (or its fetch times out) */
    if (p->kids[MHD_ROLE_FOLLOWER].pid)
        kill(p->kids[MHD_ROLE_FOLLOWER].pid, SIGTERM);
    for (int i = 0; i < DRAIN_MAX; i++)
        wait_gone(p->draining[i].pid, (double)p->c->timeout + 30);
    wait_gone(p->kids[MHD_ROLE_FOLLOWER].pid, 70);
    wait_gone(p->kids[MHD_ROLE_FRONT].pid, (double)p->c->timeout + 30);
    static const enum mhd_role order[] = {MHD_ROLE_LEDGER, MHD_ROLE_SIGNER};
    for (size_t i = 0; i < 2; i++) {
        pid_t pid = p->kids[order[i]].pid;
        if (pid) {
            kill(pid, SIGTERM);
            wait_gone(pid, 60);
        }
    }
    for (size_t i = 0; i < p->c->nlisten; i++)
        if (p->c->listen[i].kind == MHD_LISTEN_UNIX)
            unlink(p->c->listen[i].path);
    if (p->c->pid_file[0])
        unlink(p->c->pid_file);
    mhd_log(MHD_LOG_INFO, "stopped", NULL);
}

static bool drain_slot_free(const parent *p)
{
    for (int i = 0; i < DRAIN_MAX; i++)
        if (!p->draining[i].pid)
            return true;
    return false;
}

/* The follow state: made by the parent, owned by the user the follower
 * runs as (it writes there; the front, the same user, reads), mode 700;
 * what an earlier follower or root left there is handed to that user. */
static uid_t follow_uid;
static gid_t follow_gid;

static int give(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return lchown(path, follow_uid, follow_gid) == 0 ? 0 : -1;
}

static int follow_dir(const mhd_conf *c)
{
    if (!c->follow_config[0])
        return MH_OK;
    if (mkdir(c->follow_state, 0700) != 0 && errno != EEXIST) {
        mh_err_set(MH_ERR_IO, "the follow state %s cannot be made: %s", c->follow_state,
                   strerror(errno));
        return MH_ERR_IO;
    }
    if (geteuid() != 0)
        return MH_OK;
    struct passwd *pw = getpwnam(c->user);
    if (!pw || pw->pw_uid == 0) {
        mh_err_set(MH_ERR_NOT_FOUND, "the user '%s' does not exist (or is root); set 'user'",
                   c->user);
        return MH_ERR_NOT_FOUND;
    }
    follow_uid = pw->pw_uid;
    follow_gid = pw->pw_gid;
    /* once it is the user's, root (without CAP_DAC_OVERRIDE under
     * systemd) may not look inside: only a directory still root's is given
     * away, with what is in it (CAP_CHOWN) */
    struct stat sb;
    if (stat(c->follow_state, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
        mh_err_set(MH_ERR_IO, "the follow state %s is not a directory", c->follow_state);
        return MH_ERR_IO;
    }
    if (sb.st_uid == follow_uid)
        return MH_OK;
    if (chmod(c->follow_state, 0700) != 0 || nftw(c->follow_state, give, 16, FTW_PHYS) != 0) {
        mh_err_set(MH_ERR_IO, "the follow state %s cannot be given to '%s': %s", c->follow_state,
                   c->user, strerror(errno));
        return MH_ERR_IO;
    }
    return MH_OK;
}

/* On a reload the follower follows the configuration as it is now: it is
 * replaced (it reads the verifier configuration again), started or stopped. */
static void follow_reload(parent *p, const mhd_conf *fresh)
{
    kid *k = &p->kids[MHD_ROLE_FOLLOWER];
    snprintf(p->c->follow_config, sizeof p->c->follow_config, "%s", fresh->follow_config);
    snprintf(p->c->follow_state, sizeof p->c->follow_state, "%s", fresh->follow_state);
    p->c->follow_interval = fresh->follow_interval;
    if (following(p) && follow_dir(p->c) != 0) {
        mhd_log(MHD_LOG_ERROR, "reload: the follow state cannot be made; no follower", "error=%s",
                mhd_q(mh_err_message(MH_ERR_IO)));
        p->c->follow_config[0] = 0;
    }
    if (k->pid) {
        k->replacing = true;
        kill(k->pid, SIGTERM);
    } else if (following(p)) {
        clock_gettime(CLOCK_MONOTONIC, &k->restart_at);
    }
}

/* The listeners of a new configuration: one already open under the same
 * spec keeps its socket (no connection to it is refused during a reload);
 * a new one is bound now, so a reload that cannot bind it is refused
 * whole. Those that are gone are closed once the new front has them not
 * (the old front keeps its own copies while it drains). */
static int rebind(parent *p, const mhd_conf *fresh, int *nfd, bool *bound)
{
    for (size_t i = 0; i < fresh->nlisten; i++) {
        const mhd_listen *l = &fresh->listen[i];
        int rc;
        nfd[i] = -1;
        bound[i] = false;
        for (size_t j = 0; j < p->nl && nfd[i] < 0; j++)
            if (strcmp(p->c->listen[j].spec, l->spec) == 0 && p->c->listen[j].local == l->local)
                nfd[i] = p->lfd[j];
        if (nfd[i] >= 0)
            continue;
        if (p->from_systemd && !l->local)
            rc = mh_err_set(MH_ERR_INVALID_ARG,
                            "listen %s: the listeners come from systemd's sockets (mohurd.socket); "
                            "change them there",
                            l->spec);
        else
            rc = l->kind == MHD_LISTEN_UNIX ? bind_unix(l, &nfd[i]) : bind_tcp(l, &nfd[i]);
        if (rc) {
            for (size_t k = 0; k < i; k++)
                if (bound[k]) {
                    close(nfd[k]);
                    if (fresh->listen[k].kind == MHD_LISTEN_UNIX)
                        unlink(fresh->listen[k].path);
                }
            return rc;
        }
        bound[i] = true;
    }
    return MH_OK;
}

static void listeners_take(parent *p, const mhd_conf *fresh, const int *nfd)
{
    for (size_t j = 0; j < p->nl; j++) {
        bool kept = false;
        for (size_t i = 0; i < fresh->nlisten; i++)
            kept = kept || nfd[i] == p->lfd[j];
        if (kept)
            continue;
        mhd_log(MHD_LOG_INFO, "listener closed", "listen=%s", mhd_q(p->c->listen[j].spec));
        close(p->lfd[j]);
        if (p->c->listen[j].kind == MHD_LISTEN_UNIX)
            unlink(p->c->listen[j].path);
    }
    for (size_t i = 0; i < fresh->nlisten; i++) {
        bool old = false;
        for (size_t j = 0; j < p->nl; j++)
            old = old || nfd[i] == p->lfd[j];
        if (!old)
            mhd_log(MHD_LOG_INFO, "listener opened", "listen=%s", mhd_q(fresh->listen[i].spec));
    }
    memcpy(p->lfd, nfd, fresh->nlisten * sizeof *nfd);
    memcpy(p->c->listen, fresh->listen, fresh->nlisten * sizeof *fresh->listen);
    p->c->nlisten = fresh->nlisten;
    p->nl = fresh->nlisten;
}

static void reload(parent *p)
{
    /* one front starts at a time: a reload asked while the last one's front
     * is not serving yet (two `mohur api-token create` in a row) runs when
     * it is, so that front is never replaced before it has said it is
     * ready, and the second change is read by a front started after it */
    if (p->reloading || !drain_slot_free(p)) {
        p->reload_queued = true;
        mhd_log(MHD_LOG_INFO, "reload queued until the last one is done", NULL);
        return;
    }
    p->reload_queued = false;
    mhd_conf fresh;
    mhd_conf_defaults(&fresh);
    int rc = 0;
    if (p->c->config_path[0])
        rc = mhd_conf_load(&fresh, p->c->config_path);
    /* the listeners as the children will read them: the command line's
     * replace the file's */
    if (!rc && nlisten_args) {
        fresh.nlisten = 0;
        for (size_t i = 0; i < nlisten_args && !rc; i++)
            rc = mhd_conf_add_listen(&fresh, listen_args[i]);
    }
    if (!rc && fresh.nlisten == 0 && !fresh.local_socket)
        rc = mhd_conf_add_listen(&fresh, "127.0.0.1:8080");
    if (!rc) {
        /* what depends on the state directory, and the follower's configuration checked */
        snprintf(fresh.state_dir, sizeof fresh.state_dir, "%s", p->c->state_dir);
        rc = mhd_conf_finish(&fresh);
    }
    if (rc) {
        mhd_log(MHD_LOG_ERROR, "reload refused: the configuration has an error; still serving",
                "error=%s", mhd_q(mh_err_message(rc)));
        return;
    }
    int nfd[MHD_LISTEN_MAX];
    bool bound[MHD_LISTEN_MAX];
    if ((rc = rebind(p, &fresh, nfd, bound)) != 0) {
        mhd_log(MHD_LOG_ERROR, "reload refused: a listener cannot be opened; still serving",
                "error=%s", mhd_q(mh_err_message(rc)));
        return;
    }
    listeners_take(p, &fresh, nfd);
    sd_notify(0, "RELOADING=1");
    mhd_log(MHD_LOG_INFO, "reloading", NULL);
    mhd_empty e = {0};
    for (int r = MHD_ROLE_LEDGER; r <= MHD_ROLE_SIGNER; r++)
        if (p->kids[r].chan >= 0 && mhd_ipc_send(p->kids[r].chan, MHD_M_RELOAD, 0, &e, -1) != 0)
            mh_err_clear();
    /* a new front with the new configuration; the old one drains once the
     * new one is ready, so no connection is dropped */
    kid *f = &p->kids[MHD_ROLE_FRONT];
    if (f->pid) {
        for (int i = 0; i < DRAIN_MAX; i++)
            if (!p->draining[i].pid) {
                p->draining[i].pid = f->pid;
                p->draining[i].chan = f->chan;
                break;
            }
        f->chan = -1;
        f->pid = 0;
    }
    p->reloading = true;
    if (start(p, MHD_ROLE_FRONT) != 0)
        mhd_log(MHD_LOG_ERROR, "reload: the new front did not start", "error=%s",
                mhd_q(mh_err_message(MH_ERR_IO)));
    follow_reload(p, &fresh);
}

static int run(parent *p)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGCHLD);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    sigprocmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    int sfd = signalfd(-1, &set, SFD_CLOEXEC);
    if (sfd < 0)
        return MH_ERR_IO;
    /* the signer first: the ledger asks it for its keys */
    if (start(p, MHD_ROLE_SIGNER) || start(p, MHD_ROLE_LEDGER) || start(p, MHD_ROLE_FRONT) ||
        (following(p) && start(p, MHD_ROLE_FOLLOWER)))
        return MH_ERR_IO;
    for (;;) {
        struct pollfd pf[5];
        int np = 0, who[5];
        pf[np].fd = sfd;
        pf[np].events = POLLIN;
        who[np++] = 0;
        for (int r = MHD_ROLE_FRONT; r <= MHD_ROLE_FOLLOWER; r++)
            if (p->kids[r].pid && p->kids[r].chan >= 0) {
                pf[np].fd = p->kids[r].chan;
                pf[np].events = POLLIN;
                who[np++] = r;
            }
        int timeout = 200;
        if (poll(pf, (nfds_t)np, timeout) < 0 && errno != EINTR)
            return MH_ERR_IO;
        if (pf[0].revents & POLLIN) {
            struct signalfd_siginfo si;
            while (read(sfd, &si, sizeof si) == (ssize_t)sizeof si) {
                if (si.ssi_signo == SIGCHLD) {
                    int st;
                    pid_t pid;
                    while ((pid = waitpid(-1, &st, WNOHANG)) > 0)
                        reaped(p, pid, st);
                } else if (si.ssi_signo == SIGHUP) {
                    reload(p);
                } else {
                    stop_all(p);
                    close(sfd);
                    return MH_OK;
                }
                break;
            }
        }
        for (int i = 1; i < np; i++)
            if (pf[i].revents & (POLLIN | POLLHUP | POLLERR))
                child_message(p, &p->kids[who[i]]);
        /* restarts that are due */
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        for (int r = MHD_ROLE_FRONT; r <= MHD_ROLE_FOLLOWER; r++) {
            kid *k = &p->kids[r];
            if (r == MHD_ROLE_FOLLOWER && !following(p))
                k->restart_at.tv_sec = 0;
            if (!k->pid && k->restart_at.tv_sec && ts_s(&now) >= ts_s(&k->restart_at)) {
                k->restart_at.tv_sec = 0;
                if (start(p, (enum mhd_role)r) != 0)
                    mhd_log(MHD_LOG_ERROR, "restart failed", "child=%s",
                            role_name((enum mhd_role)r));
            }
        }
    }
}

int mhd_parent_main(mhd_conf *c)
{
    parent p;
    memset(&p, 0, sizeof p);
    p.c = c;
    for (int r = 0; r < 5; r++)
        p.kids[r].chan = -1;
    for (int i = 0; i < DRAIN_MAX; i++)
        p.draining[i].chan = -1;
    int rc = bind_all(&p);
    if (rc)
        return rc;
    /* the tiles the ledger process exports and the front serves: made
     * before either starts (the front cannot look into the state
     * directory once it has dropped its privileges) */
    char tiles[1100];
    snprintf(tiles, sizeof tiles, "%s/tiles", c->state_dir);
    if (mkdir(tiles, 0755) != 0 && errno != EEXIST) {
        mh_err_set(MH_ERR_IO, "%s cannot be made: %s", tiles, strerror(errno));
        return MH_ERR_IO;
    }
    /* the marks of entries whose issuer's signature is awaited: the front,
     * as nobody, looks for them (mh_app_entry_pending) but lists nothing */
    if ((rc = mh_app_pending_prepare(c->state_dir)) != 0)
        return rc;
    if ((rc = follow_dir(c)) != 0)
        return rc;
    if (c->pid_file[0]) {
        char b[32];
        int n = snprintf(b, sizeof b, "%ld\n", (long)getpid());
        if (mh_file_write_atomic(c->pid_file, b, (size_t)n, 0644) != 0)
            mh_err_clear();
    }
    mhd_log(MHD_LOG_INFO, "starting", "version=%s state_dir=%s", MH_VERSION, mhd_q(c->state_dir));
    rc = run(&p);
    for (size_t i = 0; i < p.nl; i++)
        close(p.lfd[i]);
    return rc;
}

/* ---- main ------------------------------------------------------------------------ */

extern const unsigned char mhd_man_page[];
extern const size_t mhd_man_page_len;

/* mohurd --man DIR: writes mohurd(8) into DIR (for packaging). */
static int write_man(const char *dir)
{
    char path[1100];
    if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
        fprintf(stderr, "mohurd: %s: %s\n", dir, strerror(errno));
        return 1;
    }
    snprintf(path, sizeof path, "%s/mohurd.8", dir);
    int rc = mh_file_write_atomic(path, mhd_man_page, mhd_man_page_len, 0644);
    if (rc) {
        fprintf(stderr, "mohurd: %s\n", mh_err_message(rc));
        return 1;
    }
    return 0;
}

static const char usage[] =
    "mohurd - the mohur appliance daemon (docs/daemon.md, mohurd(8))\n"
    "\n"
    "Usage: mohurd [--state DIR] [--config FILE] [--listen ADDR]... [--check-config]\n"
    "\n"
    "Options:\n"
    "  --state DIR      the appliance made by 'mohur init' (default $MOHUR_STATE_DIR,\n"
    "                   else /var/lib/mohur)\n"
    "  --config FILE    the configuration (default STATE/mohurd.conf when it exists)\n"
    "  --listen ADDR    HOST:PORT, [IPv6]:PORT, tls:HOST:PORT or unix:PATH; repeat for\n"
    "                   more (replaces the configuration's listeners)\n"
    "  --check-config   check the configuration and exit\n"
    "  --man DIR        write the manual page mohurd(8) into DIR\n"
    "  --version        print the version\n"
    "  -h, --help       show this help\n"
    "\n"
    "It stays in the foreground, logs logfmt lines on stderr, prints 'mohurd: ready'\n"
    "and notifies systemd when it serves; SIGHUP reloads, SIGTERM drains and stops.\n";

int main(int argc, char **argv)
{
    mhd_conf c;
    const char *child = NULL, *probe = NULL;
    bool check = false;

    if (mhd_harden() != 0) {
        fprintf(stderr, "mohurd: %s\n", mh_err_message(MH_ERR_INTERNAL));
        return 1;
    }
    ssize_t sl = readlink("/proc/self/exe", self_exe, sizeof self_exe - 1);
    if (sl <= 0) {
        fprintf(stderr, "mohurd: /proc/self/exe cannot be read\n");
        return 1;
    }
    self_exe[sl] = 0;
    mhd_conf_defaults(&c);
    argc_saved = argc;
    argv_saved = argv;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        bool more = i + 1 < argc;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            fputs(usage, stdout);
            return 0;
        }
        if (strcmp(a, "--man") == 0 && more)
            return write_man(argv[i + 1]);
        if (strcmp(a, "--version") == 0) {
            printf("mohurd %s\n", MH_VERSION);
            return 0;
        }
        if (strcmp(a, "--check-config") == 0) {
            check = true;
        } else if (strcmp(a, "--state") == 0 && more) {
            snprintf(c.state_dir, sizeof c.state_dir, "%s", argv[++i]);
        } else if (strcmp(a, "--config") == 0 && more) {
            snprintf(c.config_path, sizeof c.config_path, "%s", argv[++i]);
        } else if (strcmp(a, "--listen") == 0 && more && nlisten_args < MHD_LISTEN_MAX - 1) {
            listen_args[nlisten_args++] = argv[++i];
        } else if (strcmp(a, "--child") == 0 && more && i == 1) {
            child = argv[++i];
            /* the rest are the parent's options */
            argc_saved = 0;
        } else if (strcmp(a, "--sandbox-probe") == 0 && more) {
            probe = argv[++i];
        } else {
            fprintf(stderr, "mohurd: unknown or incomplete option '%.40s'\nTry 'mohurd --help'.\n",
                    a);
            return 2;
        }
    }
    if (c.state_dir[0] && c.state_dir[0] != '/') {
        char cwd[512];
        char rel[1024];
        snprintf(rel, sizeof rel, "%s", c.state_dir);
        if (getcwd(cwd, sizeof cwd))
            snprintf(c.state_dir, sizeof c.state_dir, "%s/%s", cwd, rel);
    }
    if (!c.state_dir[0]) {
        const char *e = getenv("MOHUR_STATE_DIR");
        snprintf(c.state_dir, sizeof c.state_dir, "%s", e && e[0] ? e : "/var/lib/mohur");
    }
    if (!c.config_path[0]) {
        char p[1100];
        snprintf(p, sizeof p, "%s/mohurd.conf", c.state_dir);
        if (access(p, F_OK) == 0)
            snprintf(c.config_path, sizeof c.config_path, "%s", p);
    }
    int rc = 0;
    mhd_log_init(child ? child : "parent", MHD_LOG_INFO);
    if (c.config_path[0])
        rc = mhd_conf_load(&c, c.config_path);
    if (!rc && nlisten_args) {
        c.nlisten = 0;
        for (size_t i = 0; i < nlisten_args && !rc; i++)
            rc = mhd_conf_add_listen(&c, listen_args[i]);
    }
    if (!rc && c.nlisten == 0 && !c.local_socket)
        rc = mhd_conf_add_listen(&c, "127.0.0.1:8080");
    if (!rc)
        rc = mhd_conf_finish(&c);
    if (rc) {
        fprintf(stderr, "mohurd: %s\n", mh_err_message(rc));
        return 2;
    }
    mhd_log_init(child ? child : probe ? "front" : "parent", c.log_level);
    if (check) {
        printf("mohurd: the configuration is valid (%zu listeners, state %s)\n", c.nlisten,
               c.state_dir);
        return 0;
    }
    if (probe)
        return mhd_front_probe(&c, probe);
    if (child) {
        if (strcmp(child, "front") == 0)
            rc = mhd_front_main(&c, c.nlisten);
        else if (strcmp(child, "ledger") == 0)
            rc = mhd_ledger_main(&c);
        else if (strcmp(child, "signer") == 0)
            rc = mhd_signer_main(&c);
        else if (strcmp(child, "follower") == 0)
            rc = mhd_follower_main(&c);
        else
            rc = MH_ERR_INVALID_ARG;
        if (rc)
            mhd_log(MHD_LOG_ERROR, "exiting", "error=%s", mhd_q(mh_err_message(rc)));
        return rc == 0 ? 0 : 1;
    }
    if (access(c.state_dir, F_OK) != 0) {
        fprintf(stderr, "mohurd: %s does not exist: run 'mohur init' (with MOHUR_STATE_DIR=%s)\n",
                c.state_dir, c.state_dir);
        return 2;
    }
    rc = mhd_parent_main(&c);
    if (rc) {
        fprintf(stderr, "mohurd: %s\n", mh_err_message(rc));
        return 1;
    }
    return 0;
}
