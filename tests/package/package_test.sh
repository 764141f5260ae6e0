#!/usr/bin/env bash
# package_test.sh DEB - the Debian package on a clean Debian 12: installed
# with apt in a debootstrap chroot of its own (made as
# ../shared/tools/fresh-debian.sh makes one, in its own directory), then
# 'mohur init' and the demo flow against the installed files only (kinds
# from /usr/share/mohur, the man pages, the completion), a verify as a
# non-root member of the group 'mohur', and a purge that leaves nothing but
# what policy says (the system user and group, the state's backup).
# Needs root; the base system is cached (MOHUR_PKGTEST_CACHE).
set -u
deb=$(readlink -f "${1:?usage: package_test.sh DEB}")
[ -f "$deb" ] || { echo "package_test: no $deb" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "SKIP: package_test needs root (chroot, apt)"; exit 77; }
CACHE=${MOHUR_PKGTEST_CACHE:-/var/cache/mohur-pkgtest/bookworm-minbase.tar}
ROOT=${MOHUR_PKGTEST_ROOT:-/var/tmp/mohur-pkgtest-root.$$}
case "$ROOT" in /tmp/fresh-root*) echo "package_test: not the lead's chroot" >&2; exit 2 ;; esac

CHECKS=0
pass() { CHECKS=$((CHECKS + 1)); printf 'ok %3d - %s\n' "$CHECKS" "$*"; }
fail() { CHECKS=$((CHECKS + 1)); printf 'FAIL %3d - %s\n' "$CHECKS" "$*" >&2; exit 1; }

cleanup() {
    # end whatever the tests started inside the chroot, then unmount it
    local p pids=()
    for p in /proc/[0-9]*; do
        [ "$(readlink "$p/root" 2>/dev/null)" = "$ROOT" ] && pids+=("${p#/proc/}")
    done
    [ ${#pids[@]} -gt 0 ] && { kill -KILL "${pids[@]}" 2>/dev/null; sleep 1; }
    umount -R -l "$ROOT/proc" "$ROOT/dev" "$ROOT/sys" 2>/dev/null
    umount -l "$ROOT" 2>/dev/null
    rm -rf --one-file-system "$ROOT"
}
trap cleanup EXIT

command -v debootstrap >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null; } ||
    fail "debootstrap cannot be installed"
mirror=$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null)
[ -n "$mirror" ] || mirror=$(awk '/^deb /{print $2; exit}' /etc/apt/sources.list 2>/dev/null)
if [ ! -f "$CACHE" ]; then
    mkdir -p "$(dirname "$CACHE")" "$ROOT"
    debootstrap --variant=minbase bookworm "$ROOT" "$mirror" >"$ROOT.debootstrap.log" 2>&1 ||
        fail "debootstrap (see $ROOT.debootstrap.log)"
    tar -C "$ROOT" -cf "$CACHE.tmp" . && mv "$CACHE.tmp" "$CACHE"
    rm -f "$ROOT.debootstrap.log"
    rm -rf --one-file-system "$ROOT"
fi
mkdir -p "$ROOT" && tar -C "$ROOT" -xf "$CACHE" || fail "unpacking the base system"
rm -f "$ROOT/etc/apt/sources.list"
cp /etc/apt/sources.list.d/*.sources "$ROOT/etc/apt/sources.list.d/" 2>/dev/null
cp /etc/apt/sources.list "$ROOT/etc/apt/" 2>/dev/null
cp /etc/resolv.conf "$ROOT/etc/resolv.conf"
mount --bind "$ROOT" "$ROOT"
mount -t proc proc "$ROOT/proc"
mount --rbind /sys "$ROOT/sys"
mount --rbind /dev "$ROOT/dev"
pass "a clean Debian 12 chroot in $ROOT"

# in the chroot, as root (or as USER with IN_AS=user)
in_root() {
    chroot "$ROOT" /usr/bin/env -i HOME=/root PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 \
        DEBIAN_FRONTEND=noninteractive /bin/bash -c "$1" </dev/null
}

cp "$deb" "$ROOT/root/"
name=$(basename "$deb")
in_root "apt-get update -qq >/dev/null && apt-get install -y -qq --no-install-recommends ./root/$name >/root/apt.log 2>&1" ||
    { tail -20 "$ROOT/root/apt.log" >&2; fail "apt-get install ./$name"; }
pass "apt installs the package and its dependencies"
in_root 'dpkg -s mohur | grep -q "^Status: install ok installed"' || fail "dpkg says installed"
in_root 'getent group mohur && getent passwd mohur | grep -q "/usr/sbin/nologin"' >/dev/null ||
    fail "the system user and group 'mohur'"
pass "the system user and group mohur"
in_root '[ "$(stat -c "%U:%G %a" /var/lib/mohur)" = "root:mohur 750" ]' || fail "/var/lib/mohur root:mohur 0750"
pass "/var/lib/mohur made root:mohur 0750"
in_root 'test -x /usr/bin/mohur && test -f /usr/share/mohur/kinds/diploma.json && test -f /usr/share/man/man1/mohur-issue.1.gz && test -f /usr/share/bash-completion/completions/mohur' ||
    fail "the files in FHS places"
in_root 'bash -n /usr/share/bash-completion/completions/mohur && zcat /usr/share/man/man1/mohur-docs-list.1.gz | grep -q "^\.SH OPTIONS"' ||
    fail "completion parses; man page has its options"
in_root 'zcat /usr/share/man/man1/mohur-issue.1.gz | grep -q "\\\\-\\\\-roster"' || fail "man page of issue names --roster"
pass "binary, kinds, man pages, completion installed"

# ---- the demo flow against the installed files ----------------------------------
flow='set -e
export MOHUR_STATE_DIR=/var/lib/mohur
cd /root
mohur init >init.out
mohur kinds | grep -q diploma
mohur issue --kind diploma --roster /usr/share/doc/mohur/examples/graduates.csv --out /root/diplomas --no-progress >issue.out
mohur sign /usr/share/doc/mohur/examples/notary-act.pdf --kind notary-act --issuer notary \
    --fields /usr/share/doc/mohur/examples/notary-act.json --out /root/act.signed.pdf >sign.out
n=$(ls /root/diplomas/*.pdf | wc -l)
[ "$n" -ge 1 ]
for f in /root/diplomas/*.pdf; do mohur verify "$f" >/dev/null; done
mohur verify /root/act.signed.pdf | grep -q "^VALID"
mohur docs list | grep -q "documents$"
id=$(mohur docs list --kind diploma --json | sed -n "s/.*\"id\":\"\([^\"]*\)\".*/\1/p" | head -1)
mohur docs reprint "$id" --out /root/copy.pdf >/dev/null
mohur verify /root/copy.pdf | grep -q "^VALID"
mohur revoke "$id" --reason superseded >/dev/null
mohur verify /root/copy.pdf | grep -q "^REVOKED" || [ $? -eq 1 ]
echo flow-ok'
in_root "$flow" >"$ROOT/root/flow.log" 2>&1
grep -q flow-ok "$ROOT/root/flow.log" || { cat "$ROOT/root/flow.log" >&2; fail "init, issue, sign, verify, docs, revoke"; }
pass "mohur init and the demo flow on the installed files"

# a verifier: a member of the group, not root
in_root 'useradd -m -G mohur clerk && cp /root/act.signed.pdf /home/clerk/ && chown clerk /home/clerk/act.signed.pdf' ||
    fail "a user in the group mohur"
in_root 'cd /home/clerk && setpriv --reuid=clerk --regid=clerk --init-groups env HOME=/home/clerk MOHUR_STATE_DIR=/var/lib/mohur mohur verify act.signed.pdf' \
    >"$ROOT/root/clerk.out" 2>&1 || { cat "$ROOT/root/clerk.out" >&2; fail "verify as clerk"; }
grep -q "^VALID" "$ROOT/root/clerk.out" || fail "clerk sees VALID"
pass "a non-root member of the group mohur verifies: VALID"
in_root 'setpriv --reuid=clerk --regid=clerk --init-groups env MOHUR_STATE_DIR=/var/lib/mohur cat /var/lib/mohur/pins/user.pin' \
    >/dev/null 2>&1 && fail "the clerk must not read the PINs"
pass "the clerk cannot read the PINs"
in_root 'setpriv --reuid=clerk --regid=clerk --init-groups env MOHUR_STATE_DIR=/var/lib/mohur mohur docs list' \
    >"$ROOT/root/clerk.out" 2>&1 && fail "the clerk must not read the private index"
grep -q "private to the appliance's owner" "$ROOT/root/clerk.out" || { cat "$ROOT/root/clerk.out" >&2; fail "the clerk is told why"; }
pass "the index stays private to the appliance's owner"
in_root 'sh /etc/cron.daily/mohur' || fail "the daily job runs"
pass "the daily job (archive retention) runs"

# ---- remove and purge ---------------------------------------------------------------------
in_root 'apt-get remove -y -qq mohur >/dev/null 2>&1' || fail "apt-get remove"
in_root 'test ! -e /usr/bin/mohur && test ! -e /usr/share/mohur && test -f /var/lib/mohur/config.json && test -f /etc/cron.daily/mohur' ||
    fail "remove: the program gone, the state and the conffile kept"
pass "remove keeps the state and the conffile"
in_root 'apt-get purge -y -qq mohur >/dev/null 2>&1' || fail "apt-get purge"
in_root 'test ! -e /var/lib/mohur && test ! -e /etc/cron.daily/mohur && ! dpkg -s mohur >/dev/null 2>&1' ||
    fail "purge: the state directory and the conffile gone"
in_root 'ls /var/backups/mohur-state-*.tar >/dev/null && [ "$(stat -c %a /var/backups/mohur-state-*.tar)" = 600 ]' ||
    fail "purge keeps the state as a private backup tar"
left=$(in_root 'find / -xdev \( -path /proc -o -path /sys -o -path /dev -o -path /root -o -path /home -o -path /var/backups -o -path /etc/apt \) -prune -o -name "*mohur*" -print' | grep -v '^/var/lib/dpkg\|^/var/cache/apt\|^/var/log' || true)
[ -z "$left" ] || fail "purge left: $left"
pass "purge leaves nothing but the user, the group and the state's backup"

left=0
for p in /proc/[0-9]*; do
    [ "$(readlink "$p/root" 2>/dev/null)" = "$ROOT" ] && { left=$((left + 1)); echo "left running: $(tr '\0' ' ' <"$p/cmdline")" >&2; }
done
[ "$left" = 0 ] || fail "$left processes left running in the chroot"
pass "no process left running"
echo "package_test: $CHECKS passed, 0 failed"
