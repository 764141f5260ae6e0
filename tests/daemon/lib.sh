# lib.sh - helpers for mohurd's tests: real processes, real sockets, on
# loopback only, nothing left running (each mohurd runs in a session of its
# own and the EXIT trap kills that whole process group).
#
#   init_state             a fresh appliance in $MOHUR_STATE_DIR (mohur init)
#   conf KEY VALUE         a line in the test's mohurd.conf
#   start_mohurd [ARGS]    starts mohurd on 127.0.0.1:$PORT and the local
#                          socket, waits for its "ready" line
#   stop_mohurd            SIGTERM, waits, checks exit status 0
#   api METHOD PATH [curl args]   sets CODE, the body in $BODY; every call
#                          is recorded in $W/observed for the OpenAPI check
#   token ROLE [args]      creates an API token, prints it
#   pass / fail / check    as tests/cli/lib.sh
set -u

: "${MOHUR:?set MOHUR}" "${MOHURD:?set MOHURD}"
SOFTHSM_MODULE=${SOFTHSM_MODULE:-/usr/lib/softhsm/libsofthsm2.so}
[ -e "$SOFTHSM_MODULE" ] || { echo "SKIP: SoftHSM2 is not installed" >&2; exit 77; }
command -v curl >/dev/null || { echo "SKIP: curl is not installed" >&2; exit 77; }

W=$(mktemp -d "${TMPDIR:-/tmp}/mohurd-test.XXXXXX") || exit 1
chmod 755 "$W"
export MOHUR_STATE_DIR=$W/state
unset MOHUR_MODULE_DIRS SOFTHSM2_CONF
BODY=$W/body
CODE=0
CHECKS=0
PGS=()
: >"$W/observed"

cleanup() {
    local pg
    for pg in "${PGS[@]}"; do kill -TERM -- "-$pg" 2>/dev/null; done
    for pg in "${PGS[@]}"; do
        for _ in $(seq 50); do kill -0 -- "-$pg" 2>/dev/null || break; sleep 0.1; done
        kill -KILL -- "-$pg" 2>/dev/null
    done
    if [ -n "${KEEP:-}" ]; then echo "kept $W" >&2; else rm -rf "$W"; fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

pass() {
    CHECKS=$((CHECKS + 1))
    printf 'ok %3d - %s\n' "$CHECKS" "$*"
}

fail() {
    CHECKS=$((CHECKS + 1))
    printf 'FAIL %3d - %s\n' "$CHECKS" "$*" >&2
    [ -s "$BODY" ] && { echo "---- last body:" >&2; head -c 2000 "$BODY" >&2; echo >&2; }
    [ -s "$W/mohurd.err" ] && { echo "---- mohurd's log (end):" >&2; tail -n 30 "$W/mohurd.err" >&2; }
    exit 1
}

check() {
    local what=$1
    shift
    if "$@" >"$W/check.out" 2>&1; then
        pass "$what"
    else
        echo "---- output of: $*" >&2
        head -c 3000 "$W/check.out" >&2
        fail "$what"
    fi
}

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

init_state() {
    "$MOHUR" init --json >"$W/init.out" 2>&1 || { cat "$W/init.out" >&2; fail "mohur init"; }
    : >"$MOHUR_STATE_DIR/mohurd.conf"
}

conf() {
    echo "$1 $2" >>"$MOHUR_STATE_DIR/mohurd.conf"
}

PORT=${PORT:-$(free_port)}

start_mohurd() {
    : >"$W/mohurd.err"
    setsid "$MOHURD" --state "$MOHUR_STATE_DIR" --listen "127.0.0.1:$PORT" "$@" \
        >"$W/mohurd.out" 2>>"$W/mohurd.err" </dev/null &
    MPID=$!
    PGS+=("$MPID")
    local i
    for i in $(seq 300); do
        grep -q "^mohurd: ready" "$W/mohurd.err" 2>/dev/null && break
        kill -0 "$MPID" 2>/dev/null || fail "mohurd exited before it was ready"
        sleep 0.1
    done
    grep -q "^mohurd: ready" "$W/mohurd.err" || fail "mohurd did not say it was ready in 30 s"
    # the ledger has its keys when /readyz says so
    for i in $(seq 100); do
        [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/readyz")" = 200 ] && return 0
        sleep 0.1
    done
    fail "mohurd did not become ready (/readyz)"
}

stop_mohurd() {
    kill -TERM "$MPID"
    local rc=0
    wait "$MPID" || rc=$?
    [ "$rc" -eq 0 ] || fail "mohurd exited with $rc on SIGTERM (expected 0)"
    pass "mohurd stopped with exit status 0 on SIGTERM"
    # no child died but those a test killed (SIGKILL), no sanitizer report
    if grep -E 'msg="child died; restarting"' "$W/mohurd.err" | grep -qv 'signal=9 '; then
        grep 'child died' "$W/mohurd.err" >&2
        fail "a child of mohurd died that no test killed"
    fi
    if grep -qE "ERROR: (Address|Leak)Sanitizer|runtime error:" "$W/mohurd.err"; then
        grep -A20 -E "ERROR: (Address|Leak)Sanitizer|runtime error:" "$W/mohurd.err" | head -60 >&2
        fail "a sanitizer report in mohurd's log"
    fi
    pass "no child died unasked, no sanitizer report"
}

# the pid of a child by role (front, ledger, signer), from its log line
child_pid() {
    grep "msg=started child=$1 " "$W/mohurd.err" | tail -n 1 | sed 's/.*child_pid=\([0-9]*\).*/\1/'
}

api() {
    local method=$1 path=$2
    shift 2
    CODE=$(curl -s -o "$BODY" -w '%{http_code}' -X "$method" "http://127.0.0.1:$PORT$path" "$@")
    echo "$method ${path%%\?*} $CODE" >>"$W/observed"
}

expect_code() {
    local want=$1 what=$2
    shift 2
    api "$@"
    [ "$CODE" = "$want" ] || fail "$what: HTTP $CODE, expected $want ($1 $2)"
    pass "$what ($want)"
}

jget() {
    python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); 
for k in sys.argv[2].split("."): d = d[int(k)] if isinstance(d, list) else d.get(k)
print("" if d is None else (str(d).lower() if isinstance(d, bool) else d))' "$BODY" "$1"
}

body_has() {
    grep -q -e "$1" "$BODY" || fail "$2: the body lacks '$1'"
    pass "$2"
}

token() {
    local role=$1
    shift
    "$MOHUR" api-token create --name "test $role" --role "$role" "$@" --json >"$W/tok.json" 2>"$W/tok.err" ||
        { cat "$W/tok.err" >&2; fail "api-token create $role $*"; }
    python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["token"])' "$W/tok.json"
}

auth() {
    echo "Authorization: Bearer $1"
}
