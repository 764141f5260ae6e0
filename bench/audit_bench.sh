#!/usr/bin/env bash
# audit_bench.sh - what an audit of a tile mirror costs, full and
# incremental, in files and bytes fetched and time, beside a full audit of
# the same mirror in the same run (the peer: what every audit cost before).
#   bench/audit_bench.sh MOHUR N [DIR]
# Builds a ledger of N entries (synthetic), exports it, audits it from
# nothing (streaming, constant memory), then appends 100,000 and 1,000
# entries, exports again (incrementally) and audits incrementally, from a
# directory and over HTTP on loopback. Reports peak memory (max RSS) too.
set -euo pipefail
MOHUR=$1
N=$2
D=${3:-$(mktemp -d /var/tmp/mh-audit.XXXXXX)}
mkdir -p "$D"
O="bench.example/log"
SIG=$'\xe2\x80\x94'" $O AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE="
HPID=""
trap '[ -n "$HPID" ] && kill $HPID 2>/dev/null; rm -rf "$D"' EXIT

t() { /usr/bin/time -f "%e s, max RSS %M KiB" "$@"; }
checkpoint() {
    "$MOHUR" log checkpoint --ledger "$D/l" --origin "$O" --body --out "$D/body"
    { cat "$D/body"; printf '\n%s\n' "$SIG"; } >"$D/note"
    "$MOHUR" log checkpoint --ledger "$D/l" --note "$D/note" >/dev/null
}
audit() { # audit WHAT ARGS...: one line of figures
    local what=$1
    shift
    /usr/bin/time -o "$D/time" -f "%e %M" "$MOHUR" log audit "$@" --json >"$D/out"
    python3 - "$what" "$D/out" "$D/time" <<'PY'
import json, sys
r = json.load(open(sys.argv[2]))
e, rss = open(sys.argv[3]).read().split()
print("%-44s %9d entries checked, %6d files, %12d bytes, %7.3f s audit (%s s process), max RSS %s KiB"
      % (sys.argv[1], r["entries_checked"], r["files_fetched"], r["bytes_fetched"],
         r["milliseconds"] / 1000.0, e, rss))
PY
}

echo "audit_bench: $N entries in $D ($(date -u +%F), load $(cut -d' ' -f1 /proc/loadavg))"
"$MOHUR" log init --ledger "$D/l" --map-size 65536 >/dev/null
t "$MOHUR" log append --ledger "$D/l" --synthetic "$N" --map-size 65536 >/dev/null 2>"$D/tm" || true
echo "append $N: $(tail -1 "$D/tm")"
checkpoint
echo "export-tiles (all): $( { t "$MOHUR" log export-tiles --ledger "$D/l" --out "$D/m" >/dev/null; } 2>&1)"
echo "mirror: $(du -sb "$D/m" | cut -f1) bytes, $(find "$D/m" -type f | wc -l) files"
audit "full audit from nothing (directory)" "$D/m" --state "$D/state"
for add in 100000 1000; do
    "$MOHUR" log append --ledger "$D/l" --synthetic $add --prefix "n$add-" --map-size 65536 >/dev/null
    checkpoint
    echo "export-tiles (+$add): $( { t "$MOHUR" log export-tiles --ledger "$D/l" --out "$D/m" >/dev/null; } 2>&1)"
    cp "$D/state" "$D/state.http"
    audit "incremental audit, +$add (directory)" "$D/m" --state "$D/state"
    PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    python3 -m http.server --bind 127.0.0.1 --directory "$D/m" "$PORT" >/dev/null 2>&1 &
    HPID=$!
    for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$PORT/checkpoint" && break; sleep 0.05; done
    audit "incremental audit, +$add (http, loopback)" "http://127.0.0.1:$PORT/" --state "$D/state.http"
    kill $HPID
    wait $HPID 2>/dev/null || true
    HPID=""
    audit "peer: full audit of the same mirror" "$D/m"
done
echo "ledger: $(du -sb "$D/l" | cut -f1) bytes"
