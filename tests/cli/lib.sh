# lib.sh - helpers for the end-to-end tests of the `mohur` command-line tool.
#
# Source it from a test script. It makes a throwaway SoftHSM2 token store in
# a temporary directory (its own SOFTHSM2_CONF), removed on exit, and gives:
#
#   run ARGS...            runs $MOHUR with no terminal (so a PIN prompt can
#                          never hang), stdin from /dev/null; sets RC and
#                          leaves stdout in $OUT, stderr in $ERR (files)
#   expect RC WHAT ARGS... runs mohur, fails unless the exit code is RC
#   pass WHAT / fail WHAT  report one check; fail exits non-zero
#   out_has / err_has / out_lacks / err_lacks PATTERN WHAT
#   pin_file PATH PIN      writes a PIN file (mode 600)
#   init_token LABEL       initialises a token with `mohur token init` and
#                          PIN files $W/so.pin and $W/user.pin
#
# $MOHUR is the binary under test (ctest sets it).

set -u

: "${MOHUR:?set MOHUR to the mohur binary}"
[ -x "$MOHUR" ] || { echo "FAIL: $MOHUR is not an executable" >&2; exit 1; }

SOFTHSM_MODULE=${SOFTHSM_MODULE:-/usr/lib/softhsm/libsofthsm2.so}
[ -e "$SOFTHSM_MODULE" ] || { echo "SKIP: SoftHSM2 is not installed" >&2; exit 77; }

W=$(mktemp -d "${TMPDIR:-/tmp}/mohur-cli.XXXXXX") || exit 1
cleanup() {
    rm -rf "$W"
}
trap cleanup EXIT

mkdir -p "$W/tokens"
cat >"$W/softhsm2.conf" <<EOF
directories.tokendir = $W/tokens
objectstore.backend = file
log.level = ERROR
EOF
export SOFTHSM2_CONF="$W/softhsm2.conf"
# Keep the appliance's own state (and its SoftHSM2 store) out of the test.
export MOHUR_STATE_DIR="$W/no-state"
unset MOHUR_MODULE_DIRS

OUT="$W/stdout"
ERR="$W/stderr"
RC=0
CHECKS=0

pass() {
    CHECKS=$((CHECKS + 1))
    printf 'ok %3d - %s\n' "$CHECKS" "$*"
}

show_output() {
    if [ -s "$OUT" ]; then
        echo "---- stdout of the last mohur run:" >&2
        head -c 4000 "$OUT" >&2
    fi
    if [ -s "$ERR" ]; then
        echo "---- stderr of the last mohur run:" >&2
        head -c 4000 "$ERR" >&2
    fi
}

fail() {
    CHECKS=$((CHECKS + 1))
    printf 'FAIL %3d - %s\n' "$CHECKS" "$*" >&2
    show_output
    exit 1
}

# setsid: no controlling terminal, so mh_hsm_prompt_tty cannot open /dev/tty.
run() {
    setsid -w "$MOHUR" "$@" </dev/null >"$OUT" 2>"$ERR"
    RC=$?
}

# expect CODE WHAT ARGS...
expect() {
    local want=$1 what=$2
    shift 2
    run "$@"
    if [ "$RC" -ne "$want" ]; then
        fail "$what: exit code $RC, expected $want (mohur $*)"
    fi
    pass "$what (exit $want)"
}

out_has() {
    grep -q -e "$1" "$OUT" || fail "$2: stdout lacks '$1'"
    pass "$2"
}

err_has() {
    grep -q -i -e "$1" "$ERR" || fail "$2: stderr lacks '$1'"
    pass "$2"
}

out_lacks() {
    ! grep -q -e "$1" "$OUT" || fail "$2: stdout contains '$1'"
    pass "$2"
}

err_lacks() {
    ! grep -q -e "$1" "$ERR" || fail "$2: stderr contains '$1'"
    pass "$2"
}

# check WHAT COMMAND...: passes when the command succeeds.
check() {
    local what=$1
    shift
    if "$@" >"$W/check.out" 2>&1; then
        pass "$what"
    else
        echo "---- output of: $*" >&2
        head -c 4000 "$W/check.out" >&2
        fail "$what"
    fi
}

# check_not WHAT COMMAND...: passes when the command fails.
check_not() {
    local what=$1
    shift
    if "$@" >"$W/check.out" 2>&1; then
        echo "---- output of: $*" >&2
        head -c 4000 "$W/check.out" >&2
        fail "$what (it succeeded)"
    else
        pass "$what"
    fi
}

pin_file() {
    (umask 077 && printf '%s\n' "$2" >"$1")
}

# init_token LABEL: prints nothing; the URI is in $OUT.
init_token() {
    [ -f "$W/so.pin" ] || pin_file "$W/so.pin" 87654321
    [ -f "$W/user.pin" ] || pin_file "$W/user.pin" 246810
    expect 0 "token init '$1'" token init --label "$1" --so-pin-file "$W/so.pin" \
        --pin-file "$W/user.pin"
}
