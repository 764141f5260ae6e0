/* sandbox.c - what each of mohurd's processes gives up, in stages (signify's
 * pledge calls, OpenSSH's sandbox-seccomp-filter.c): no core files and not
 * dumpable from the start; the front drops to an unprivileged user; then a
 * seccomp filter per role. libseccomp checks the architecture first. */
#define _GNU_SOURCE
#include "mohurd.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/landlock.h>
#include <sys/syscall.h>

#include <seccomp.h>

#if defined(__SANITIZE_ADDRESS__)
#define MHD_SANITIZER_BUILD 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define MHD_SANITIZER_BUILD 1
#endif
#endif

int mhd_harden(void)
{
    struct rlimit no_core = {0, 0};
    if (setrlimit(RLIMIT_CORE, &no_core) != 0 || prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0 ||
        prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
        mh_err_set(MH_ERR_INTERNAL, "hardening the process failed: %s", strerror(errno));
        return MH_ERR_INTERNAL;
    }
    return MH_OK;
}

int mhd_drop_user(const char *user)
{
    if (geteuid() != 0)
        return MH_OK; /* nothing to drop: the sandbox still applies */
    struct passwd *pw = getpwnam(user);
    if (!pw || pw->pw_uid == 0) {
        mh_err_set(MH_ERR_NOT_FOUND,
                   "the user '%s' for the front process does not exist (or is root); set "
                   "'user' in the configuration",
                   user);
        return MH_ERR_NOT_FOUND;
    }
    uid_t uid = pw->pw_uid;
    gid_t gid = pw->pw_gid;
    if (setgroups(0, NULL) != 0 || setresgid(gid, gid, gid) != 0 || setresuid(uid, uid, uid) != 0) {
        mh_err_set(MH_ERR_PERMISSION, "dropping privileges to '%s' failed: %s", user,
                   strerror(errno));
        return MH_ERR_PERMISSION;
    }
    if (setuid(0) == 0 || seteuid(0) == 0) {
        mh_err_set(MH_ERR_INTERNAL, "root could be regained after dropping privileges");
        return MH_ERR_INTERNAL;
    }
    return MH_OK;
}

void mhd_close_from(int from)
{
    if (close_range((unsigned)from, ~0u, 0) != 0)
        for (int fd = from; fd < 4096; fd++)
            close(fd);
}

#ifndef LANDLOCK_ACCESS_FS_TRUNCATE
#define LANDLOCK_ACCESS_FS_TRUNCATE (1ULL << 14)
#endif

int mhd_landlock_prepare(const char *const *dirs, size_t ndirs, const char *const *files,
                         size_t nfiles, int *ruleset)
{
    return mhd_landlock_prepare_rw(dirs, ndirs, files, nfiles, NULL, ruleset);
}

int mhd_landlock_prepare_rw(const char *const *dirs, size_t ndirs, const char *const *files,
                            size_t nfiles, const char *wdir, int *ruleset)
{
    *ruleset = -1;
    long abi = syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);
    if (abi < 1) {
        mhd_log(MHD_LOG_WARN,
                "Landlock is not available: the file system is confined by the process's "
                "user and seccomp only",
                NULL);
        return MH_OK;
    }
    struct landlock_ruleset_attr ra;
    memset(&ra, 0, sizeof ra);
    ra.handled_access_fs =
        LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_READ_FILE |
        LANDLOCK_ACCESS_FS_READ_DIR | LANDLOCK_ACCESS_FS_REMOVE_DIR |
        LANDLOCK_ACCESS_FS_REMOVE_FILE | LANDLOCK_ACCESS_FS_MAKE_CHAR |
        LANDLOCK_ACCESS_FS_MAKE_DIR | LANDLOCK_ACCESS_FS_MAKE_REG | LANDLOCK_ACCESS_FS_MAKE_SOCK |
        LANDLOCK_ACCESS_FS_MAKE_FIFO | LANDLOCK_ACCESS_FS_MAKE_BLOCK | LANDLOCK_ACCESS_FS_MAKE_SYM;
    if (abi >= 2)
        ra.handled_access_fs |= LANDLOCK_ACCESS_FS_REFER;
    if (abi >= 3)
        ra.handled_access_fs |= LANDLOCK_ACCESS_FS_TRUNCATE;
    int rs = (int)syscall(SYS_landlock_create_ruleset, &ra, sizeof ra, 0);
    if (rs < 0) {
        mh_err_set(MH_ERR_INTERNAL, "Landlock: the ruleset cannot be made: %s", strerror(errno));
        return MH_ERR_INTERNAL;
    }
    for (size_t i = 0; i < ndirs + nfiles + (wdir ? 1 : 0); i++) {
        bool dir = i < ndirs || i == ndirs + nfiles, w = i == ndirs + nfiles;
        const char *p = w ? wdir : dir ? dirs[i] : files[i - ndirs];
        int fd = open(p, O_PATH | O_CLOEXEC);
        if (fd < 0)
            continue; /* nothing there: nothing to allow */
        /* the writable directory: files and directories made, written,
         * truncated, renamed (within it) and removed; nothing else */
        __u64 wr = LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_MAKE_REG |
                   LANDLOCK_ACCESS_FS_MAKE_DIR | LANDLOCK_ACCESS_FS_REMOVE_FILE |
                   LANDLOCK_ACCESS_FS_REMOVE_DIR | (abi >= 2 ? LANDLOCK_ACCESS_FS_REFER : 0) |
                   (abi >= 3 ? LANDLOCK_ACCESS_FS_TRUNCATE : 0);
        struct landlock_path_beneath_attr pb = {
            .allowed_access = LANDLOCK_ACCESS_FS_READ_FILE |
                              (dir ? LANDLOCK_ACCESS_FS_READ_DIR : 0) | (w ? wr : 0),
            .parent_fd = fd,
        };
        long r = syscall(SYS_landlock_add_rule, rs, LANDLOCK_RULE_PATH_BENEATH, &pb, 0);
        close(fd);
        if (r != 0) {
            mh_err_set(MH_ERR_INTERNAL, "Landlock: %s cannot be allowed: %s", p, strerror(errno));
            close(rs);
            return MH_ERR_INTERNAL;
        }
    }
    *ruleset = rs;
    return MH_OK;
}

int mhd_landlock_apply(int ruleset)
{
    if (ruleset < 0)
        return MH_OK; /* no Landlock in this kernel */
    int rc = MH_OK;
    if (syscall(SYS_landlock_restrict_self, ruleset, 0) != 0) {
        mh_err_set(MH_ERR_INTERNAL, "Landlock: the restriction cannot be applied: %s",
                   strerror(errno));
        rc = MH_ERR_INTERNAL;
    }
    close(ruleset);
    return rc;
}

#define RULE(ctx, act, name, ...) (seccomp_rule_add(ctx, act, SCMP_SYS(name), __VA_ARGS__) == 0)

int mhd_seccomp(enum mhd_role role)
{
    /* everything not named here is allowed; what a compromised process
     * would need to escape is killed or refused */
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
    bool ok = ctx != NULL;
    static const int kill[] = {
        SCMP_SYS(execve),
        SCMP_SYS(execveat),
#ifndef MHD_SANITIZER_BUILD
        /* (LeakSanitizer stops the world with ptrace at exit: the sanitizer
         * build lets it) */
        SCMP_SYS(ptrace),
#endif
        SCMP_SYS(process_vm_readv),
        SCMP_SYS(process_vm_writev),
        SCMP_SYS(kexec_load),
        SCMP_SYS(init_module),
        SCMP_SYS(finit_module),
        SCMP_SYS(delete_module),
        SCMP_SYS(mount),
        SCMP_SYS(umount2),
        SCMP_SYS(pivot_root),
        SCMP_SYS(chroot),
        SCMP_SYS(bpf),
        SCMP_SYS(perf_event_open),
        SCMP_SYS(unshare),
        SCMP_SYS(setns),
        SCMP_SYS(keyctl),
        SCMP_SYS(add_key),
        SCMP_SYS(request_key),
        SCMP_SYS(userfaultfd),
        SCMP_SYS(personality),
        SCMP_SYS(swapon),
        SCMP_SYS(swapoff),
        SCMP_SYS(reboot),
        SCMP_SYS(acct),
        SCMP_SYS(iopl),
        SCMP_SYS(ioperm),
    };
    for (size_t i = 0; ok && i < sizeof kill / sizeof kill[0]; i++)
        ok = seccomp_rule_add(ctx, SCMP_ACT_KILL_PROCESS, kill[i], 0) == 0;
    /* no new network sockets (Unix sockets stay: pcscd, p11-kit) */
    /* (every field named: libseccomp's SCMP_A0 leaves datum_b to the
     * compiler, which clang warns of) */
    const struct scmp_arg_cmp not_unix = {
        .arg = 0, .op = SCMP_CMP_NE, .datum_a = AF_UNIX, .datum_b = 0};
    /* (the follower alone reaches the registries it follows) */
    if (role != MHD_ROLE_FOLLOWER)
        ok = ok && RULE(ctx, SCMP_ACT_ERRNO(EPERM), socket, 1, not_unix);
    if (role == MHD_ROLE_FOLLOWER) {
        /* no user or group changes, no new processes, no signals to others;
         * its files are Landlock's (the follow state only) */
        static const int ids[] = {SCMP_SYS(setuid),    SCMP_SYS(setgid),    SCMP_SYS(setreuid),
                                  SCMP_SYS(setregid),  SCMP_SYS(setresuid), SCMP_SYS(setresgid),
                                  SCMP_SYS(setgroups), SCMP_SYS(setfsuid),  SCMP_SYS(setfsgid)};
        for (size_t i = 0; ok && i < sizeof ids / sizeof ids[0]; i++)
            ok = seccomp_rule_add(ctx, SCMP_ACT_KILL_PROCESS, ids[i], 0) == 0;
        static const int no[] = {SCMP_SYS(fork),      SCMP_SYS(vfork),  SCMP_SYS(kill),
                                 SCMP_SYS(tgkill),    SCMP_SYS(chmod),  SCMP_SYS(fchmodat),
                                 SCMP_SYS(chown),     SCMP_SYS(fchown), SCMP_SYS(lchown),
                                 SCMP_SYS(fchownat),  SCMP_SYS(mknod),  SCMP_SYS(mknodat),
                                 SCMP_SYS(link),      SCMP_SYS(linkat), SCMP_SYS(symlink),
                                 SCMP_SYS(symlinkat), SCMP_SYS(bind),   SCMP_SYS(listen)};
        for (size_t i = 0; ok && i < sizeof no / sizeof no[0]; i++)
            ok = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), no[i], 0) == 0;
    }
    if (role == MHD_ROLE_FRONT) {
        uint32_t eperm = SCMP_ACT_ERRNO(EPERM);
        /* no user or group changes any more */
        static const int ids[] = {SCMP_SYS(setuid),    SCMP_SYS(setgid),    SCMP_SYS(setreuid),
                                  SCMP_SYS(setregid),  SCMP_SYS(setresuid), SCMP_SYS(setresgid),
                                  SCMP_SYS(setgroups), SCMP_SYS(setfsuid),  SCMP_SYS(setfsgid)};
        for (size_t i = 0; ok && i < sizeof ids / sizeof ids[0]; i++)
            ok = seccomp_rule_add(ctx, SCMP_ACT_KILL_PROCESS, ids[i], 0) == 0;
        /* files are opened for reading only: no writing, creating,
         * truncating; nothing in the filesystem changes */
        static const unsigned wflags[] = {O_WRONLY, O_RDWR, O_CREAT, O_TRUNC, O_APPEND, O_TMPFILE};
        for (size_t i = 0; ok && i < sizeof wflags / sizeof wflags[0]; i++)
            ok = RULE(ctx, eperm, openat, 1, SCMP_A2(SCMP_CMP_MASKED_EQ, wflags[i], wflags[i])) &&
                 RULE(ctx, eperm, open, 1, SCMP_A1(SCMP_CMP_MASKED_EQ, wflags[i], wflags[i]));
        /* openat2 hides its flags in a struct: callers fall back to openat */
        ok = ok && RULE(ctx, SCMP_ACT_ERRNO(ENOSYS), openat2, 0);
        static const int fs[] = {
            SCMP_SYS(creat),     SCMP_SYS(mkdir),  SCMP_SYS(mkdirat), SCMP_SYS(unlink),
            SCMP_SYS(unlinkat),  SCMP_SYS(rmdir),  SCMP_SYS(rename),  SCMP_SYS(renameat),
            SCMP_SYS(renameat2), SCMP_SYS(link),   SCMP_SYS(linkat),  SCMP_SYS(symlink),
            SCMP_SYS(symlinkat), SCMP_SYS(chmod),  SCMP_SYS(fchmod),  SCMP_SYS(fchmodat),
            SCMP_SYS(chown),     SCMP_SYS(fchown), SCMP_SYS(lchown),  SCMP_SYS(fchownat),
            SCMP_SYS(truncate),  SCMP_SYS(mknod),  SCMP_SYS(mknodat), SCMP_SYS(utimensat),
            SCMP_SYS(connect),   SCMP_SYS(bind),   SCMP_SYS(listen),  SCMP_SYS(socketpair),
            SCMP_SYS(fork),      SCMP_SYS(vfork),  SCMP_SYS(kill),    SCMP_SYS(tgkill),
        };
        for (size_t i = 0; ok && i < sizeof fs / sizeof fs[0]; i++)
            ok = seccomp_rule_add(ctx, eperm, fs[i], 0) == 0;
        /* no executable memory: no code can be loaded (a PKCS#11 module) */
        ok = ok && RULE(ctx, eperm, mmap, 1, SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, PROT_EXEC)) &&
             RULE(ctx, eperm, mprotect, 1, SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, PROT_EXEC)) &&
             RULE(ctx, eperm, pkey_mprotect, 1, SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, PROT_EXEC));
    }
    ok = ok && seccomp_load(ctx) == 0;
    seccomp_release(ctx);
    if (!ok) {
        mh_err_set(MH_ERR_INTERNAL, "the seccomp filter could not be installed");
        return MH_ERR_INTERNAL;
    }
    return MH_OK;
}
