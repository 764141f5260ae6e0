#!/usr/bin/env bash
# daemon_bench.sh - mohurd's speed beside its peers, in one run, on loopback
# (docs/performance.md records the figures and this command):
#   1. GET /V/<receipt> with keep-alive (wrk) against nginx serving a static
#      file of the same size: requests/s, p50/p99, and mohurd's RSS under load
#   2. issuance through the API (one document per request, 16 at once as the
#      CLI batch's 16 workers on 2 cores, mohurd's default channels; and
#      the API's batch route) against the CLI's batch on the same machine,
#      diplomas from the same kind of roster, SoftHSM2 keys; in rounds,
#      interleaved, each figure the median of its rounds
#   bench/daemon_bench.sh [seconds] [documents] [rounds]
#      (default 10 s per request run, 3000 diplomas a batch, 3 rounds)
# Uses build-bench/ (RelWithDebInfo), made if missing.
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD
secs=${1:-10}
ndocs=${2:-3000}
rounds=${3:-3}
for t in wrk nginx curl python3; do
    command -v $t >/dev/null || { echo "daemon_bench: $t is needed (scripts/deps.sh test)" >&2; exit 1; }
done
if [ ! -x build-bench/host/daemon/mohurd ]; then
    cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
    nice cmake --build build-bench -j2 --target mohur mohurd >/dev/null
fi
MOHUR=$top/build-bench/host/mohur
MOHURD=$top/build-bench/host/daemon/mohurd
W=$(mktemp -d /tmp/mohurd-bench.XXXXXX)
chmod 755 "$W"
PGS=()
cleanup() {
    for pg in "${PGS[@]}"; do kill -TERM -- "-$pg" 2>/dev/null || true; done
    sleep 0.5
    for pg in "${PGS[@]}"; do kill -KILL -- "-$pg" 2>/dev/null || true; done
    rm -rf "$W"
}
trap cleanup EXIT
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
export MOHUR_STATE_DIR=$W/state
"$MOHUR" init >/dev/null
TOK=$("$MOHUR" api-token create --name bench --role admin --rate 1000000 2>/dev/null)
P=$(port)
start() {
    setsid "$MOHURD" --state "$MOHUR_STATE_DIR" --listen "127.0.0.1:$P" >"$W/mohurd.out" 2>"$W/mohurd.err" &
    MPID=$!
    PGS+=("$MPID")
    for _ in $(seq 100); do
        [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$P/readyz")" = 200 ] && return
        sleep 0.1
    done
    echo "mohurd did not start" >&2; exit 1
}
start
echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "== mohurd $("$MOHURD" --version | cut -d' ' -f2), threads 2 (default); nginx $(nginx -v 2>&1 | cut -d/ -f2), 1 and 2 workers; wrk -t1 -c50 -d${secs}s"

# ---- 1. the public verification route -------------------------------------------
JSON='{"kind":"official-certificate","issuer":"agency","fields":{"holder":"Aysel Quliyeva","subject":"Residence","statement":"Lives in Baku.","date":"2026-12-01","number":"B-1"}}'
URL=$(curl -s -H "Authorization: Bearer $TOK" --data-binary "$JSON" "http://127.0.0.1:$P/api/v1/documents" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["url"])')
VPATH=/${URL#HTTPS://*/}
curl -s "http://127.0.0.1:$P$VPATH" -o "$W/page.html"
SIZE=$(stat -c %s "$W/page.html")
mkdir -p "$W/nginx/root/V" "$W/nginx/tmp"
cp "$W/page.html" "$W/nginx/root/V/page.html"
NP=$(port)
cat >"$W/nginx/nginx.conf" <<NG
worker_processes 1;
pid $W/nginx/nginx.pid;
error_log $W/nginx/error.log;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path $W/nginx/tmp/body;
    proxy_temp_path $W/nginx/tmp/proxy;
    fastcgi_temp_path $W/nginx/tmp/fastcgi;
    uwsgi_temp_path $W/nginx/tmp/uwsgi;
    scgi_temp_path $W/nginx/tmp/scgi;
    server { listen 127.0.0.1:$NP; root $W/nginx/root; default_type text/html; }
}
NG
setsid nginx -p "$W/nginx" -c "$W/nginx/nginx.conf" -g 'daemon off;' >/dev/null 2>&1 &
PGS+=("$!")
sleep 0.5
curl -sf -o /dev/null "http://127.0.0.1:$NP/V/page.html" || { echo "nginx did not serve" >&2; exit 1; }
rss_kb() { local t=0; for p in $(pgrep -g "$MPID"); do t=$((t + $(awk '/^VmRSS/ { print $2 }' "/proc/$p/status" 2>/dev/null || echo 0))); done; echo $t; }
front_pid=$(grep "msg=started child=front " "$W/mohurd.err" | tail -n 1 | sed 's/.*child_pid=\([0-9]*\).*/\1/')
rss0=$(rss_kb)
wrk_run() { wrk -t1 -c50 -d"${secs}s" --latency "$1" 2>&1; }
# warm both, then measure side by side
wrk -t1 -c50 -d2s "http://127.0.0.1:$P$VPATH" >/dev/null 2>&1
wrk -t1 -c50 -d2s "http://127.0.0.1:$NP/V/page.html" >/dev/null 2>&1
( peak=0; while kill -0 "$MPID" 2>/dev/null; do r=$(rss_kb); [ "$r" -gt "$peak" ] && peak=$r && echo "$peak" >"$W/rss.peak"; sleep 0.2; done ) &
RSSW=$!
wrk_run "http://127.0.0.1:$P$VPATH" >"$W/wrk.mohurd"
kill "$RSSW" 2>/dev/null || true
wrk_run "http://127.0.0.1:$NP/V/page.html" >"$W/wrk.nginx"
sed -i 's/^worker_processes 1;/worker_processes 2;/' "$W/nginx/nginx.conf"
kill -HUP "$(cat "$W/nginx/nginx.pid")"
sleep 1
wrk_run "http://127.0.0.1:$NP/V/page.html" >"$W/wrk.nginx2"
rps() { awk '/^Requests\/sec/ { print $2 }' "$1"; }
lat() { awk -v p="$2" '$1 == p { print $2 }' "$1"; }
m=$(rps "$W/wrk.mohurd"); n=$(rps "$W/wrk.nginx")
echo
echo "GET /V/<receipt> (HTML, $SIZE bytes), keep-alive, same run:"
printf '  %-8s %10s req/s   p50 %-8s p99 %-8s\n' mohurd "$m" "$(lat "$W/wrk.mohurd" 50%)" "$(lat "$W/wrk.mohurd" 99%)"
printf '  %-8s %10s req/s   p50 %-8s p99 %-8s\n' nginx "$n" "$(lat "$W/wrk.nginx" 50%)" "$(lat "$W/wrk.nginx" 99%)"
printf '  %-8s %10s req/s   p50 %-8s p99 %-8s (2 workers)\n' nginx "$(rps "$W/wrk.nginx2")" "$(lat "$W/wrk.nginx2" 50%)" "$(lat "$W/wrk.nginx2" 99%)"
python3 -c "import sys; m,n,n2=map(float,sys.argv[1:]); print('  ratio mohurd/nginx: %.2f (1 worker), %.2f (2 workers) (target >= 0.35)' % (m / n, m / n2))" "$m" "$n" "$(rps "$W/wrk.nginx2")"
grep -E "Non-2xx|Socket errors" "$W/wrk.mohurd" || true
echo "  mohurd RSS (all 4 processes): idle $((rss0 / 1024)) MiB, peak under load $(( $(cat "$W/rss.peak" 2>/dev/null || echo 0) / 1024 )) MiB"
# the same with the verdict cache off: every request verifies the receipt
# (ES256 with mbedTLS, the ledger lookup) in the front
printf 'verify_cache 0\npublic_rate 0\n' >>"$MOHUR_STATE_DIR/mohurd.conf"
kill -HUP "$MPID"
sleep 2
wrk -t1 -c50 -d2s "http://127.0.0.1:$P$VPATH" >/dev/null 2>&1
wrk_run "http://127.0.0.1:$P$VPATH" >"$W/wrk.nocache"
printf '  %-8s %10s req/s   p50 %-8s p99 %-8s (verdict cache and public_rate off: a full verification per request)\n' mohurd "$(rps "$W/wrk.nocache")" "$(lat "$W/wrk.nocache" 50%)" "$(lat "$W/wrk.nocache" 99%)"
grep -E "Non-2xx" "$W/wrk.nocache" && echo "  (the line above is not a clean measurement)" || true
sed -i '/^verify_cache 0$/d; /^public_rate 0$/d' "$MOHUR_STATE_DIR/mohurd.conf"
kill -HUP "$MPID"
sleep 2

# ---- 2. issuance: API (per document, and batches) vs the CLI batch ------------------------
# Rounds, interleaved (CLI batch, API per request, API batch route), so that
# the machine's drift falls on all three alike; each figure is the median of
# its rounds, and the CLI batch runs on its own appliance (no mohurd) while
# mohurd sits idle. Every round issues new numbers.
roster() { # roster FILE ROUND
    python3 - "$1" "$ndocs" "$2" <<'PY'
import sys
n, k = int(sys.argv[2]), sys.argv[3]
rows = ["name,degree,programme,date,number"] + ["Məzun %d,Bakalavr,Fizika,2026-06-30,R%s-%05d" % (i, k, i) for i in range(n)]
open(sys.argv[1], "w").write("\n".join(rows) + "\n")
PY
}
# CPU ticks of each mohurd process by role ("front 1234" lines)
cpu_ticks() {
    local p role
    for p in $(pgrep -g "$MPID"); do
        role=$(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | sed -n 's/.*--child \([a-z]*\).*/\1/p')
        awk -v r="${role:-parent}" '{ print r, $14 + $15 }' "/proc/$p/stat" 2>/dev/null || true
    done
}
STATE_API=$MOHUR_STATE_DIR
STATE_CLI=$W/state2
MOHUR_STATE_DIR=$STATE_CLI "$MOHUR" init >/dev/null
: >"$W/rounds"
for k in $(seq "$rounds"); do
    roster "$W/roster$k.csv" "$k"
    # the CLI batch, directly, on its own appliance
    mkdir -p "$W/cli-out$k"
    MOHUR_STATE_DIR=$STATE_CLI "$MOHUR" issue --kind diploma --roster "$W/roster$k.csv" --issuer bdu \
        --out "$W/cli-out$k" --no-progress --json >"$W/cli$k.json"
    cli=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["issued"] == int(sys.argv[2]), d; print("%.1f" % d["per_second"])' "$W/cli$k.json" "$ndocs")
    # one diploma per request, 16 connections at once (wrk runs the client
    # in C): the CLI batch has 16 workers, mohurd 16 channels
    cpu_ticks >"$W/cpu.before$k"
    RUN=$k TOK=$TOK wrk -t1 -c16 -d"${secs}s" --latency -s bench/daemon_issue.lua "http://127.0.0.1:$P" >"$W/wrk.issue$k" 2>&1
    cpu_ticks >"$W/cpu.after$k"
    api=$(rps "$W/wrk.issue$k")
    bad=$(awk '/Non-2xx/ { print $5 }' "$W/wrk.issue$k")
    # the API's batch route
    # the request in a file: a roster of thousands of rows is longer than
    # one command-line argument may be (128 KiB)
    python3 -c 'import json,sys; json.dump({"kind": "diploma", "issuer": "bdu", "roster": open(sys.argv[1]).read()}, open(sys.argv[2], "w"))' \
        "$W/roster$k.csv" "$W/batch$k.req"
    # its rate is the run's own (elapsed_ms of mh_batch_run, as the CLI's
    # per_second): polled slowly, so that the polling takes no CPU from it
    BID=$(curl -s -H "Authorization: Bearer $TOK" --data-binary "@$W/batch$k.req" \
        "http://127.0.0.1:$P/api/v1/batches" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
    sleep 0.5
    while curl -s -H "Authorization: Bearer $TOK" "http://127.0.0.1:$P/api/v1/batches/$BID" >"$W/batch$k.json" &&
        grep -q '"state":"running"' "$W/batch$k.json"; do sleep 0.25; done
    batch=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["issued"] == int(sys.argv[2]), d; print("%.1f" % d["per_second"])' "$W/batch$k.json" "$ndocs")
    echo "$k $cli $api $batch ${bad:-0} $(lat "$W/wrk.issue$k" 99%)" >>"$W/rounds"
done
echo
echo "Issuance of diplomas (rendered, PAdES B-T: receipt, signature and timestamp in the signer; SoftHSM2),"
echo "$rounds rounds interleaved; CLI and batch route $ndocs diplomas a round, per request ${secs} s with wrk -c16:"
python3 - "$W/rounds" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
for k, cli, api, batch, bad, p99 in rows:
    print("  round %s: CLI batch %8s/s   API per request %8s/s (non-2xx %s, p99 %s)   API batch route %8s/s   ratios %.2f %.2f"
          % (k, cli, api, bad, p99, batch, float(api) / float(cli), float(batch) / float(cli)))
med = lambda i: statistics.median(float(r[i]) for r in rows)
c, a, b = med(1), med(2), med(3)
print("  CLI batch (mohur issue, direct):             %.1f diplomas/s (median)" % c)
print("  API, one per request, 16 connections (wrk):  %.1f diplomas/s (median)" % a)
print("  API batch route (POST /api/v1/batches):      %.1f diplomas/s (median)" % b)
print("  ratio API/CLI (medians): per request %.2f, batch %.2f (target >= 0.8)" % (a / c, b / c))
PY
kill -TERM "$MPID"; wait "$MPID" || true
# where a diploma's CPU goes through the API, per process (the ticks of the
# per-request runs over the documents they made)
python3 - "$W" "$rounds" "$secs" "$(getconf CLK_TCK)" <<'PY'
import sys
W, rounds, secs, hz = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
def load(p):
    d = {}
    for line in open(p):
        r, t = line.split()
        d[r] = d.get(r, 0) + int(t)
    return d
tot, docs = {}, 0.0
for k in range(1, rounds + 1):
    b, a = load("%s/cpu.before%d" % (W, k)), load("%s/cpu.after%d" % (W, k))
    for r in a:
        tot[r] = tot.get(r, 0) + a[r] - b.get(r, 0)
    rate = [l.split() for l in open(W + "/rounds")][k - 1][2]
    docs += float(rate) * secs
parts = ["%s %.2f ms" % (r, tot[r] / hz / docs * 1000) for r in sorted(tot) if r != "parent"]
print("  CPU per diploma through the API (per request): " + ", ".join(parts))
PY
