#!/usr/bin/env bash
# ops.sh - running mohurd as operators do: the systemd unit passes
# `systemd-analyze verify` (there is no systemd as PID 1 here, so it is
# verified, not started), the configuration file is checked (errors named
# with their line), SIGHUP reloads without dropping a keep-alive connection,
# the man page renders, and nginx with the shipped snippet proxies to mohurd
# on a Unix socket.
. "$(dirname "$0")/lib.sh"
SRC=${MOHUR_SRC:?}
DIST=$SRC/host/daemon/dist

init_state
# ---- the unit --------------------------------------------------------------
if command -v systemd-analyze >/dev/null; then
    mkdir -p "$W/man/man8"
    # the page as installed: what mohurd --man writes
    "$MOHURD" --man "$W/man/man8" || fail "mohurd --man writes its page"
    cmp -s "$W/man/man8/mohurd.8" "$DIST/mohurd.8" || fail "mohurd --man writes dist/mohurd.8"
    sed "s#/usr/sbin/mohurd#$MOHURD#g" "$SRC/host/daemon/systemd/mohurd.service" >"$W/mohurd.service"
    MANPATH=$W/man systemd-analyze verify "$W/mohurd.service" >"$W/sa.out" 2>&1 ||
        { cat "$W/sa.out" >&2; fail "systemd-analyze verify mohurd.service"; }
    pass "systemd-analyze verify accepts mohurd.service (its man page found)"
    for k in Type=notify ProtectSystem=strict PrivateTmp=yes NoNewPrivileges=yes \
        RestrictAddressFamilies= CapabilityBoundingSet= SystemCallFilter= ExecReload=; do
        grep -q "^$k" "$SRC/host/daemon/systemd/mohurd.service" || fail "the unit sets $k"
    done
    pass "the unit has the hardening options (ProtectSystem, PrivateTmp, NoNewPrivileges, ...)"
    sed -i "s#^ExecStart=.*#ExecStart=/nonexistent/mohurd#" "$W/mohurd.service"
    ! MANPATH=$W/man systemd-analyze verify "$W/mohurd.service" >/dev/null 2>&1 ||
        fail "systemd-analyze verify refuses a broken unit (the check can fail)"
    pass "a broken unit is refused (the check can fail)"
else
    echo "NOTE: systemd-analyze is not installed; the unit is not verified"
fi
man -l "$DIST/mohurd.8" >"$W/man.out" 2>&1 && grep -q "SIGHUP" "$W/man.out" || fail "the man page renders"
pass "mohurd(8) renders"

# ---- the configuration -----------------------------------------------------
cp "$DIST/mohurd.conf.example" "$W/example.conf"
check "the example configuration is valid" "$MOHURD" --state "$MOHUR_STATE_DIR" --config "$W/example.conf" --check-config
printf 'threads 2\nthreds 3\n' >"$W/bad.conf"
"$MOHURD" --state "$MOHUR_STATE_DIR" --config "$W/bad.conf" --check-config >/dev/null 2>"$W/bad.err"
[ $? = 2 ] && grep -q "bad.conf:2: .*unknown setting 'threds'" "$W/bad.err" || { cat "$W/bad.err" >&2; fail "a typo is an error with its line"; }
pass "a misspelt key is refused with its file and line"
printf 'timeout 0\n' >"$W/bad.conf"
"$MOHURD" --state "$MOHUR_STATE_DIR" --config "$W/bad.conf" --check-config >/dev/null 2>"$W/bad.err"
[ $? = 2 ] && grep -q "timeout must be a number from 1" "$W/bad.err" || fail "an out-of-range value is refused"
pass "an out-of-range value is refused"
"$MOHURD" --state "$MOHUR_STATE_DIR" --listen "localhost" --check-config >/dev/null 2>&1 && fail "a listener without a port"
pass "a listener without a port is refused"
"$MOHURD" --state "$W/nowhere" >/dev/null 2>"$W/nw.err"
[ $? = 2 ] && grep -q "mohur init" "$W/nw.err" || fail "a missing state directory says to run mohur init"
pass "a missing state directory says to run 'mohur init'"

# ---- SIGHUP: a keep-alive client keeps its connection -------------------------------
TOK=$(token auditor)
ISS=$(token issuer --issuer agency)
conf rate 100000 # the reload storm below issues as fast as it can
SOCK=$W/http.sock
start_mohurd --listen "unix:$SOCK"
python3 - "$PORT" "$TOK" "$MPID" >"$W/ka.out" 2>&1 <<'PY' || { cat "$W/ka.out" >&2; fail "a keep-alive connection across SIGHUP"; }
import http.client, os, signal, sys, time
port, tok, pid = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
def get():
    c.request("GET", "/api/v1/whoami", headers={"Authorization": "Bearer " + tok})
    r = c.getresponse(); r.read(); return r.status, r.getheader("Connection")
assert get()[0] == 200
os.kill(pid, signal.SIGHUP)
time.sleep(0.5)
status, conn = get()  # the old front answers on the same connection, then asks to reconnect
assert status == 200, status
print("after SIGHUP: %d on the same connection (Connection: %s)" % (status, conn))
PY
pass "SIGHUP: a keep-alive request in flight is answered ($(cat "$W/ka.out"))"
for i in $(seq 50); do grep -q 'msg="old front drained"' "$W/mohurd.err" && break; sleep 0.1; done
grep -q 'msg="old front drained"' "$W/mohurd.err" || fail "the old front drained"
expect_code 200 "the new front serves" GET /api/v1/whoami -H "$(auth "$TOK")"
[ "$(grep -c '^mohurd: ready' "$W/mohurd.err")" = 1 ] || fail "one ready line"
pass "reload: the new front serves, the old one drained and left"

# ---- reloads in quick succession while requests run -----------------------------------
# Two reloads a few milliseconds apart (two `mohur api-token create` in a
# row) used to replace a front before it had said it was ready: it exited
# with the requests it had taken. Issues go through the ledger and the
# signer; every one must be answered.
python3 "$SRC/tests/daemon/reload_storm.py" "$PORT" "$ISS" "$MPID" 10 >"$W/storm.out" 2>&1 ||
    { cat "$W/storm.out" >&2; fail "requests during double reloads"; }
pass "double reloads while issuing: every request answered ($(head -n 1 "$W/storm.out"))"
grep -q "exiting error" "$W/mohurd.err" && { grep "exiting error" "$W/mohurd.err" >&2; fail "a front exited with an error during the reloads"; }
pass "no front exited with an error during the reloads"
T1=$(token auditor)
T2=$(token auditor) # made a few milliseconds after the first: two reloads
for t in "$T1" "$T2"; do
    for i in $(seq 50); do
        api GET /api/v1/whoami -H "$(auth "$t")"
        [ "$CODE" = 200 ] && break
        sleep 0.1
    done
    [ "$CODE" = 200 ] || fail "a token made during two quick reloads works (HTTP $CODE)"
done
pass "both tokens of two api-token create in a row work (the queued reload read the second)"

# ---- nginx with the shipped snippet, to mohurd's Unix socket --------------------------
if command -v nginx >/dev/null; then
    NPORT=$(free_port)
    mkdir -p "$W/nginx/tmp"
    chmod 777 "$W/nginx/tmp"
    sed -e "s#unix:/run/mohurd/http.sock#unix:$SOCK#" -e "s#listen 80;#listen 127.0.0.1:$NPORT;#" \
        "$DIST/nginx-mohurd.conf" >"$W/nginx/mohurd.conf"
    cat >"$W/nginx/nginx.conf" <<NG
worker_processes 1;
pid $W/nginx/nginx.pid;
error_log $W/nginx/error.log;
events { worker_connections 256; }
http {
    access_log off;
    client_body_temp_path $W/nginx/tmp/body;
    proxy_temp_path $W/nginx/tmp/proxy;
    fastcgi_temp_path $W/nginx/tmp/fastcgi;
    uwsgi_temp_path $W/nginx/tmp/uwsgi;
    scgi_temp_path $W/nginx/tmp/scgi;
    include $W/nginx/mohurd.conf;
}
NG
    setsid nginx -p "$W/nginx" -c "$W/nginx/nginx.conf" -g 'daemon off;' >"$W/nginx/out" 2>&1 &
    PGS+=("$!")
    for i in $(seq 50); do curl -s -o /dev/null "http://127.0.0.1:$NPORT/healthz" && break; sleep 0.1; done
    N="http://127.0.0.1:$NPORT"
    [ "$(curl -s -o "$BODY" -w '%{http_code}' "$N/healthz")" = 200 ] || { cat "$W/nginx/error.log" >&2; fail "nginx -> mohurd: healthz"; }
    pass "nginx with nginx-mohurd.conf reaches mohurd on its Unix socket"
    ADMIN=$(token admin)
    for i in $(seq 50); do [ "$(curl -s -o /dev/null -w '%{http_code}' -H "$(auth "$ADMIN")" "$N/api/v1/whoami")" = 200 ] && break; sleep 0.1; done
    JSON='{"kind":"official-certificate","issuer":"agency","fields":{"holder":"Aysel","subject":"Residence","statement":"Lives in Baku.","date":"2026-12-01","number":"NG-1"}}'
    CODE=$(curl -s -o "$BODY" -w '%{http_code}' -H "$(auth "$ADMIN")" --data-binary "$JSON" "$N/api/v1/documents")
    [ "$CODE" = 201 ] || fail "issuing through nginx ($CODE)"
    RP=$(jget url | sed 's#^HTTPS://[^/]*##')
    CODE=$(curl -s -o "$BODY" -w '%{http_code}' "$N$RP?format=json")
    [ "$CODE" = 200 ] && [ "$(jget verdict)" = valid ] || fail "verifying through nginx"
    pass "issue and the public verification route through nginx"
    CODE=$(curl -s -o /dev/null -w '%{http_code}' -H "$(auth "$ADMIN")" -H 'Content-Type: application/pdf' \
        -H 'Content-Length: 90000000' -X POST "$N/api/v1/verify" --max-time 5 || true)
    [ "$CODE" = 413 ] || fail "nginx refuses a body over its limit ($CODE)"
    pass "nginx refuses an oversized body (413) as mohurd would"
    CODE=$(curl -s -o /dev/null -w '%{http_code}' "$N/api/v1/whoami")
    [ "$CODE" = 401 ] || fail "through nginx, no token is 401 (the proxy is not a local admin) ($CODE)"
    pass "through nginx a client without a token is not admin (401)"
    kill -TERM "$(cat "$W/nginx/nginx.pid")"
else
    echo "NOTE: nginx is not installed; the snippet is not tested"
fi
stop_mohurd

# ---- SIGHUP re-reads the configuration's listeners ---------------------------------
# (listeners given with --listen replace the file's and stay: start_mohurd
# uses them, so this mohurd is started without)
P1=$(free_port)
P2=$(free_port)
P3=$(free_port)
cp "$MOHUR_STATE_DIR/mohurd.conf" "$W/saved.conf"
{ cat "$W/saved.conf"; echo "listen 127.0.0.1:$P1"; echo "listen 127.0.0.1:$P2"; } >"$MOHUR_STATE_DIR/mohurd.conf"
: >"$W/mohurd.err"
setsid "$MOHURD" --state "$MOHUR_STATE_DIR" >"$W/mohurd.out" 2>>"$W/mohurd.err" </dev/null &
MPID=$!
PGS+=("$MPID")
for i in $(seq 300); do grep -q "^mohurd: ready" "$W/mohurd.err" && break; sleep 0.1; done
code() { curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://127.0.0.1:$1/healthz"; }
[ "$(code "$P1")" = 200 ] && [ "$(code "$P2")" = 200 ] || fail "mohurd serves on the configuration's two listeners"
# P2 kept, P1 gone, P3 new; a keep-alive client on P2 across the reload
{ cat "$W/saved.conf"; echo "listen 127.0.0.1:$P2"; echo "listen 127.0.0.1:$P3"; } >"$MOHUR_STATE_DIR/mohurd.conf"
python3 - "$P2" "$MPID" >"$W/ka2.out" 2>&1 <<'PY' || { cat "$W/ka2.out" >&2; fail "a keep-alive client on a kept listener"; }
import http.client, os, signal, sys, time
port, pid = int(sys.argv[1]), int(sys.argv[2])
c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
c.request("GET", "/healthz"); r = c.getresponse(); r.read(); assert r.status == 200
os.kill(pid, signal.SIGHUP)
time.sleep(0.5)
c.request("GET", "/healthz"); r = c.getresponse(); r.read(); assert r.status == 200, r.status
PY
for i in $(seq 50); do [ "$(code "$P3")" = 200 ] && break; sleep 0.1; done
[ "$(code "$P3")" = 200 ] || fail "the new listener serves after SIGHUP"
for i in $(seq 100); do [ "$(code "$P1")" = 000 ] && break; sleep 0.1; done
[ "$(code "$P1")" = 000 ] || fail "the removed listener is closed once the old front drained"
[ "$(code "$P2")" = 200 ] || fail "the kept listener still serves"
grep -qF "msg=\"listener opened\" listen=127.0.0.1:$P3" "$W/mohurd.err" &&
    grep -qF "msg=\"listener closed\" listen=127.0.0.1:$P1" "$W/mohurd.err" || fail "the log names the listeners opened and closed"
pass "SIGHUP: a new listener opened, a removed one closed, a kept one served throughout"
# a listener that cannot be bound: the reload is refused whole, nothing changes
python3 -c 'import socket,sys,time; s=socket.socket(); s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(); time.sleep(30)' "$P1" &
HOLD=$!
sleep 0.3
{ cat "$W/saved.conf"; echo "listen 127.0.0.1:$P1"; } >"$MOHUR_STATE_DIR/mohurd.conf"
kill -HUP "$MPID"
for i in $(seq 50); do grep -q "reload refused: a listener cannot be opened" "$W/mohurd.err" && break; sleep 0.1; done
grep -q "reload refused: a listener cannot be opened" "$W/mohurd.err" || fail "a listener in use refuses the reload"
[ "$(code "$P2")" = 200 ] && [ "$(code "$P3")" = 200 ] || fail "after a refused reload the listeners are unchanged"
kill "$HOLD" 2>/dev/null
wait "$HOLD" 2>/dev/null
pass "a listener that cannot be bound: the reload is refused, still serving on the old ones"
cp "$W/saved.conf" "$MOHUR_STATE_DIR/mohurd.conf"
stop_mohurd
echo "ops: all $CHECKS checks passed"
