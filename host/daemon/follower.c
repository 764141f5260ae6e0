/*
 * follower.c - mohurd's follower process (docs/daemon.md, "The follower"):
 * the only one of mohurd's processes that reaches the network. At its start
 * and every follow_interval seconds it brings every registry of the
 * verifier configuration up to date (mh_follow_update: each mirror's
 * checkpoint signed by the log key and cosigned by the quorum of witnesses,
 * the new part audited) and keeps a local copy of what the front needs to
 * prove their entries offline (MH_FOLLOW_COPY). It holds no ledger, no
 * token, no PIN and no channel but its parent's; it runs as the
 * unprivileged user, may write only in the follow state (Landlock) and
 * cannot start a program or change its user (seccomp).
 */
#define _GNU_SOURCE
#include "mohurd.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "mh_ledger.h"

#define EVIDENCE_MAX (3 * MH_LEDGER_NOTE_MAX)

/* One pass over every registry; false when a signal asks to stop. */
static bool update_all(mh_follow *f, char *ev, int sfd)
{
    for (size_t i = 0; i < mh_follow_count(f); i++) {
        const char *id = mh_follow_id(f, i);
        mh_follow_status s;
        size_t evl = 0;
        struct pollfd pf = {sfd, POLLIN, 0};
        if (poll(&pf, 1, 0) > 0)
            return false;
        memset(&s, 0, sizeof s);
        int rc = mh_follow_update(f, id, &s, ev, EVIDENCE_MAX, &evl);
        if (rc == MH_OK) {
            mhd_log(MHD_LOG_INFO, "follow update",
                    "registry=%s size=%llu new_entries=%llu files=%llu bytes=%llu seconds=%.3f "
                    "witnesses=%zu",
                    mhd_q(id), (unsigned long long)s.size, (unsigned long long)s.new_entries,
                    (unsigned long long)s.files_fetched, (unsigned long long)s.bytes_fetched,
                    s.seconds, s.witnesses);
        } else if (rc == MH_ERR_LEDGER_FORK) {
            /* loudly: two checkpoints of one log that cannot both be true
             * (kept in the follow state as <hash>.fork-<time>.txt), each
             * line of the evidence a line of the log */
            mhd_log(MHD_LOG_ERROR,
                    "FORK: a followed registry's log contradicts the one trusted; nothing new "
                    "from it is believed, its receipts are answered with an error; the evidence "
                    "is kept in the follow state",
                    "registry=%s error=%s", mhd_q(id), mhd_q(mh_err_message(rc)));
            ev[evl < EVIDENCE_MAX ? evl : EVIDENCE_MAX - 1] = 0;
            for (char *line = ev, *nl; evl && *line; line = nl + 1) {
                if ((nl = strchr(line, '\n')))
                    *nl = 0;
                mhd_log(MHD_LOG_ERROR, "FORK evidence", "registry=%s line=%s", mhd_q(id),
                        mhd_q(line));
                if (!nl)
                    break;
            }
        } else {
            mhd_log(MHD_LOG_WARN, "follow update failed; the copy trusted before stays",
                    "registry=%s error=%s", mhd_q(id), mhd_q(mh_err_message(rc)));
        }
        mh_err_clear();
    }
    return true;
}

int mhd_follower_main(mhd_conf *c)
{
    int rc;
    mh_follow *f = NULL;
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    sigprocmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    int sfd = signalfd(-1, &set, SFD_CLOEXEC);
    umask(022); /* the copy's directories; state files are made 0600 */
    /* the follow state by a descriptor opened now: the user may not pass
     * through the directories above it (a state directory of mode 700) */
    char state[64];
    int dfd = open(c->follow_state, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0) {
        mh_err_set(MH_ERR_IO, "the follow state %s cannot be opened: %s", c->follow_state,
                   strerror(errno));
        return MH_ERR_IO;
    }
    snprintf(state, sizeof state, "/proc/self/fd/%d", dfd);
    /* while everything can be read: the configuration, libcurl */
    if ((rc = mh_follow_open_ex(c->follow_config, state, MH_FOLLOW_COPY, &f)) != 0)
        return rc;
    if (mh_mirror_preload() != 0) {
        /* a directory mirror needs no curl: said, and carried on */
        mhd_log(MHD_LOG_WARN, "libcurl cannot be loaded: only directory mirrors can be followed",
                "error=%s", mhd_q(mh_err_message(MH_ERR_UNSUPPORTED)));
        mh_err_clear();
    }
    /* what HTTPS and name resolution read, and the follow state to write
     * (the parent made it, owned by the user) */
    /* /proc/self: this process's own entries only (the rule is made on
     * /proc/<pid>), for what reads them at exit (LeakSanitizer) */
    const char *dirs[] = {"/etc/ssl",
                          "/usr/share/ca-certificates",
                          "/etc/ca-certificates",
                          "/usr/lib/ssl",
                          "/usr/lib",
                          "/lib",
                          "/proc/self"};
    const char *files[] = {"/etc/resolv.conf", "/etc/hosts",     "/etc/nsswitch.conf",
                           "/etc/gai.conf",    "/etc/host.conf", "/etc/localtime",
                           "/dev/null",        "/dev/urandom"};
    int ll = -1;
    if ((rc = mhd_landlock_prepare_rw(dirs, sizeof dirs / sizeof dirs[0], files,
                                      sizeof files / sizeof files[0], c->follow_state, &ll)) != 0 ||
        (rc = mhd_drop_user(c->user)) != 0 || (rc = mhd_landlock_apply(ll)) != 0 ||
        (rc = mhd_seccomp(MHD_ROLE_FOLLOWER)) != 0) {
        mh_follow_close(f);
        return rc;
    }
    mhd_ready rd = {MHD_ROLE_FOLLOWER, (uint32_t)getpid()};
    if ((rc = mhd_ipc_send(MHD_PARENT_FD, MHD_M_READY, 0, &rd, -1)) != 0) {
        mh_follow_close(f);
        return rc;
    }
    mhd_log(MHD_LOG_INFO, "following", "registries=%zu interval=%u user=%s", mh_follow_count(f),
            c->follow_interval, mhd_q(c->user));
    char *ev = malloc(EVIDENCE_MAX);
    if (!ev) {
        mh_follow_close(f);
        return MH_ERR_NOMEM;
    }
    static mhd_msg m;
    rc = MH_OK;
    for (bool go = true; go;) {
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        if (!update_all(f, ev, sfd))
            break;
        /* the next pass an interval after this one began */
        for (;;) {
            clock_gettime(CLOCK_MONOTONIC, &t1);
            double left = (double)c->follow_interval - (double)(t1.tv_sec - t0.tv_sec) -
                          (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
            if (left <= 0)
                break;
            struct pollfd pf[2] = {{MHD_PARENT_FD, POLLIN, 0}, {sfd, POLLIN, 0}};
            if (poll(pf, 2, (int)(left * 1000) + 1) < 0 && errno != EINTR) {
                go = false;
                break;
            }
            if (pf[1].revents & POLLIN) {
                /* SIGTERM, SIGINT: stop; SIGHUP: the parent restarts this
                 * process on a reload, so nothing to do here */
                struct signalfd_siginfo si;
                if (read(sfd, &si, sizeof si) == (ssize_t)sizeof si && si.ssi_signo != SIGHUP) {
                    go = false;
                    break;
                }
            }
            if (pf[0].revents & (POLLIN | POLLHUP)) {
                /* the parent sends this process nothing: its going away
                 * ends it, anything else breaks the protocol */
                int r = mhd_ipc_recv(MHD_PARENT_FD, &m, 0);
                if (r != MH_ERR_IO) {
                    if (m.fd >= 0)
                        close(m.fd);
                    mhd_log(MHD_LOG_ERROR, "protocol violation from the parent", "type=%s",
                            mhd_ipc_type_name(m.type));
                    rc = MH_ERR_PARSE;
                }
                go = false;
                break;
            }
        }
    }
    mhd_log(MHD_LOG_INFO, "follower stopped", NULL);
    free(ev);
    mh_follow_close(f);
    return rc;
}
