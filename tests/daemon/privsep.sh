#!/usr/bin/env bash
# privsep.sh - privilege separation proven on the running processes: the
# front runs as nobody with seccomp and no new privileges, holds no key,
# token, PIN or writable ledger descriptor, and its sandbox refuses (EPERM,
# EACCES, or kills) opening the PKCS#11 module, reading the PINs, writing the
# ledger or any file, a network socket and exec; only the signer maps the
# PKCS#11 module, and its memory is locked; no process can dump core; the
# signer's permit table (test_signer) refuses what it does not allow.
. "$(dirname "$0")/lib.sh"

init_state
echo "decision" >"$W/d.txt"
"$MOHUR" sign "$W/d.txt" --kind court-decision --issuer agency --field case=C-1 \
    --field court="Baku court" --field date=2026-12-01 >/dev/null 2>"$W/sign.err" ||
    { cat "$W/sign.err" >&2; fail "an entry to sign for"; }
start_mohurd
FRONT=$(child_pid front)
LEDGER=$(child_pid ledger)
SIGNER=$(child_pid signer)
[ -n "$FRONT" ] && [ -n "$LEDGER" ] && [ -n "$SIGNER" ] || fail "the three children are in the log"

status() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }
[ "$(status "$FRONT" Uid)" = "$(id -u nobody)" ] || fail "the front runs as nobody"
pass "the front runs as nobody (uid $(id -u nobody))"
for p in "$FRONT" "$LEDGER" "$SIGNER"; do
    [ "$(status "$p" Seccomp)" = 2 ] || fail "process $p has a seccomp filter"
    [ "$(status "$p" NoNewPrivs)" = 1 ] || fail "process $p has no_new_privs"
    grep -q "^Max core file size *0 *0" "/proc/$p/limits" || fail "process $p cannot dump core"
done
pass "front, ledger and signer: seccomp filter, no_new_privs, no core files"
[ "$(status "$FRONT" CapEff)" = 0000000000000000 ] || fail "the front has no capability"
pass "the front has no capability"
if grep -q libasan "/proc/$SIGNER/maps"; then
    # AddressSanitizer turns mlockall into a no-op: nothing to see here
    echo "NOTE: a sanitizer build: its mlockall does nothing, the lock is checked in the normal build"
else
    [ "$(status "$SIGNER" VmLck | tr -d ' ')" != "" ] && [ "$(status "$SIGNER" VmLck)" != 0 ] ||
        fail "the signer's memory is locked"
    pass "the signer's memory is locked ($(status "$SIGNER" VmLck) kB)"
fi

# who maps the PKCS#11 module, who holds what
grep -q softhsm "/proc/$SIGNER/maps" || fail "the signer maps the PKCS#11 module"
! grep -q softhsm "/proc/$FRONT/maps" || fail "the front maps the PKCS#11 module"
! grep -q softhsm "/proc/$LEDGER/maps" || fail "the ledger process maps the PKCS#11 module"
pass "only the signer has the PKCS#11 module loaded"
fds() { for f in /proc/$1/fd/*; do readlink "$f"; done 2>/dev/null; }
fds "$FRONT" >"$W/front.fds"
fds "$LEDGER" >"$W/ledger.fds"
fds "$SIGNER" >"$W/signer.fds"
grep -E "/pins/|/tokens/" "$W/front.fds" "$W/ledger.fds" && fail "a PIN or token file is open outside the signer"
pass "no process but the signer touches pins/ or tokens/"
for f in /proc/$FRONT/fd/*; do
    case $(readlink "$f") in
    */ledger/data.mdb)
        flags=$(awk '/^flags:/ { print $2 }' "/proc/$FRONT/fdinfo/${f##*/}")
        [ $((8#$flags & 3)) -eq 0 ] || fail "the front holds the ledger's data file writable"
        ;;
    */ca/* | */api-tokens.lock) fail "the front holds $(readlink "$f")" ;;
    esac
done
pass "the front holds the ledger's data read-only, and no CA database"
n=$(grep -c "^socket:" "$W/signer.fds")
tcp=$(awk 'NR > 1 { print $10 }' /proc/net/tcp /proc/net/tcp6 | sort -u)
for s in $(grep "^socket:" "$W/signer.fds" "$W/ledger.fds" | sed 's/.*\[\([0-9]*\)\]/\1/'); do
    echo "$tcp" | grep -qx "$s" && fail "the signer or ledger process holds a TCP socket"
done
pass "the signer ($n sockets) and the ledger process hold no TCP socket: only their channels"

# the front's sandbox, on the real setup path (mohurd --sandbox-probe)
probe() {
    local what=$1 want=$2
    "$MOHURD" --state "$MOHUR_STATE_DIR" --listen "127.0.0.1:1" --sandbox-probe "$what" \
        >"$W/probe.out" 2>"$W/probe.err"
    local rc=$?
    case $want in
    killed)
        [ "$rc" -eq $((128 + 31)) ] || fail "probe $what: expected the seccomp kill (SIGSYS), got $rc"
        pass "the front's sandbox kills on $what (SIGSYS)"
        ;;
    *)
        [ "$rc" -eq 0 ] && grep -q "result=denied.*$want" "$W/probe.out" ||
            { cat "$W/probe.out" "$W/probe.err" >&2; fail "probe $what: expected $want"; }
        pass "the front cannot $3 ($(sed 's/.*errno=//; s/.*detail=//' "$W/probe.out" | head -c 80))"
        ;;
    esac
}
probe pin EACCES "read the PIN file"
probe ledger EPERM "open the ledger for writing (seccomp)"
probe write EPERM "create a file anywhere, even in /tmp (seccomp)"
probe tokens EACCES "open the token store"
probe socket EPERM "open a network socket (seccomp)"
probe module "" "load the PKCS#11 module (no executable mappings)"
if python3 -c 'import ctypes, sys; sys.exit(0 if ctypes.CDLL(None, use_errno=True).syscall(444, None, 0, 1) > 0 else 1)' 2>/dev/null; then
    probe etc EACCES "open a world-readable file outside the kinds and tiles (Landlock)"
else
    echo "NOTE: the kernel has no Landlock: the front is confined by its user and seccomp"
fi
probe exec killed
"$MOHURD" --state "$MOHUR_STATE_DIR" --sandbox-probe write >/dev/null 2>&1
[ ! -e /tmp/mohurd-probe ] || fail "the probe wrote a file"

stop_mohurd
check "the signer's permit table" "$TEST_SIGNER" "$MOHURD" "$MOHUR_STATE_DIR" 0 agency court-decision
echo "privsep: all $CHECKS checks passed"
