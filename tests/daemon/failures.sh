#!/usr/bin/env bash
# failures.sh - each of mohurd's children killed with SIGKILL under load:
# the parent restarts it (with backoff), requests in flight fail cleanly
# (an error status or a broken connection, never a 201 without its whole
# document), no acknowledged document is lost (every one is in the ledger,
# at the index the answer named, and verifies), nothing half-written is
# left (no temp file in the state directory, every file that came back is
# whole), and the same requests sent again complete without a duplicate.
. "$(dirname "$0")/lib.sh"
SRC=${MOHUR_SRC:?}

init_state
conf checkpoint_interval 1
TOK=$(token issuer --issuer agency --rate 100000)
start_mohurd
LG=$W/load
python3 "$SRC/tests/daemon/loadgen.py" "$PORT" "$TOK" official-certificate K 0 900 8 "$LG" &
LOAD=$!
kill_child() {
    local role=$1 pid
    pid=$(child_pid "$role")
    kill -KILL "$pid" || fail "killing the $role ($pid)"
    for i in $(seq 100); do
        [ "$(child_pid "$role")" != "$pid" ] && grep -q "msg=\"child ready\" child=$role" <(tail -n 50 "$W/mohurd.err") && break
        sleep 0.1
    done
    [ "$(child_pid "$role")" != "$pid" ] || fail "the parent restarted the $role"
    pass "the $role (pid $pid) killed with SIGKILL under load was restarted (pid $(child_pid "$role"))"
}
sleep 1.5
kill_child signer
sleep 1.5
kill_child ledger
sleep 1.5
kill_child front
wait "$LOAD"
kill -0 "$MPID" || fail "the parent survived"
grep -q 'msg="child died; restarting" child=signer signal=9' "$W/mohurd.err" &&
    grep -q 'msg="child died; restarting" child=ledger signal=9' "$W/mohurd.err" &&
    grep -q 'msg="child died; restarting" child=front signal=9' "$W/mohurd.err" || fail "each death is logged"
pass "each death logged with its signal, and the restart delay"
for i in $(seq 100); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/readyz")" = 200 ] && break
    sleep 0.1
done
expect_code 200 "ready again after the three restarts" GET /readyz

R=$LG/results.tsv
[ "$(wc -l <"$R")" = 900 ] || fail "900 answers recorded"
ok=$(awk -F'\t' '$2 == 201 || $2 == 200' "$R" | wc -l)
bad=$(awk -F'\t' '$2 != 201 && $2 != 200' "$R" | wc -l)
echo "  under the kills: $ok acknowledged, $bad failed ($(awk -F'\t' '$2 != 201 && $2 != 200 { print $2 }' "$R" | sort | uniq -c | tr '\n' ' '))"
[ "$bad" -gt 0 ] || fail "the kills made some requests fail (else the test proves nothing)"
awk -F'\t' '$2 != 201 && $2 != 200 && $2 != 0 && $2 != 502 && $2 != 503 && $2 != 504 { exit 1 }' "$R" ||
    fail "failed requests answered only 502, 503, 504 or a broken connection"
pass "the requests in flight failed cleanly (502/503/504 or a broken connection)"

"$LEDGER_WHO" "$MOHUR_STATE_DIR/ledger" >"$W/who"
# every acknowledged document: in the ledger at the index its answer named, in force
python3 - "$R" "$W/who" <<'PY' || fail "an acknowledged document is missing from the ledger"
import sys
entries = {}
status = {}
for line in open(sys.argv[2]):
    idx, typ, doc, who = line.split(" ", 3)
    if typ == "issue":
        entries[int(idx)] = doc
    status.setdefault(doc, []).append(typ)
missing = []
for line in open(sys.argv[1]):
    n, st, doc, idx, resumed, digest = line.rstrip("\n").split("\t")
    if st in ("200", "201"):
        if entries.get(int(idx)) != doc or status[doc][-1] != "issue":
            missing.append((doc, idx))
if missing:
    print("acknowledged but not in force in the ledger:", missing[:5])
    sys.exit(1)
PY
pass "every acknowledged document is in the ledger at the index it was given, in force"
for f in $(awk -F'\t' '$2 == 201 || $2 == 200 { print $1 }' "$R" | shuf -n 25 --random-source=<(yes)); do
    "$MOHUR" verify "$LG/$f.pdf" >/dev/null 2>&1 || fail "the acknowledged document $f verifies"
done
pass "25 acknowledged documents (sampled) verify whole"
# the outputs are handed over in memory: no spool, no temp file anywhere
[ ! -e "$MOHUR_STATE_DIR/spool" ] && [ -z "$(find "$MOHUR_STATE_DIR" -name '*.tmp.*' | head -n 1)" ] ||
    fail "nothing half-written is left in the state directory"
pass "nothing half-written is left in the state directory (no spool, no temp file)"

# the failed ones again: each completes; a document whose answer was lost
# is resumed from its entry, never issued twice
python3 "$SRC/tests/daemon/loadgen.py" "$PORT" "$TOK" official-certificate K 0 900 4 "$LG/again" >/dev/null
awk -F'\t' '$2 != 201 && $2 != 200 { exit 1 }' "$LG/again/results.tsv" || fail "every request sent again succeeds"
resumed=$(awk -F'\t' '$5 == "True"' "$LG/again/results.tsv" | wc -l)
pass "all 900 sent again complete ($resumed resumed from their entries)"
"$LEDGER_WHO" "$MOHUR_STATE_DIR/ledger" >"$W/who2"
python3 - "$W/who2" <<'PY' || fail "no document number is in force twice"
import sys
live = {}
for line in open(sys.argv[1]):
    idx, typ, doc, who = line.split(" ", 3)
    if typ == "issue":
        live[doc] = live.get(doc, 0) + 1
    elif typ == "void":
        live[doc] -= 1
dups = [d for d, c in live.items() if c != 1]
if len(live) != 900 or dups:
    print(len(live), dups[:5])
    sys.exit(1)
PY
pass "900 documents in force in the ledger, none twice (voided attempts are ledger facts)"
# backoff: a child that keeps dying soon after its start waits longer each time
deaths() { grep -c 'msg="child died; restarting" child=signer signal=9' "$W/mohurd.err"; }
for k in 1 2 3 4; do
    # the signer the log names last, as soon as it runs
    n=$(deaths)
    killed=false
    for i in $(seq 100); do
        pid=$(child_pid signer)
        if kill -KILL "$pid" 2>/dev/null; then
            killed=true
            break
        fi
        sleep 0.05
    done
    $killed || fail "killing the signer ($pid)"
    # its death logged, and its successor started
    for i in $(seq 200); do [ "$(deaths)" -gt "$n" ] && [ "$(child_pid signer)" != "$pid" ] && break; sleep 0.05; done
    [ "$(child_pid signer)" != "$pid" ] || fail "the signer was restarted after kill $k"
done
grep 'msg="child died; restarting" child=signer signal=9' "$W/mohurd.err" | tail -n 4 |
    sed 's/.*delay_ms=\([0-9]*\).*/\1/' >"$W/delays"
python3 -c 'import sys; d=[int(x) for x in open(sys.argv[1])]; sys.exit(0 if len(d) == 4 and all(b > a for a, b in zip(d, d[1:])) else 1)' "$W/delays" ||
    fail "the restart delays grow for a child that keeps dying ($(tr '\n' ' ' <"$W/delays"))"
pass "restart backoff: delays $(tr '\n' ' ' <"$W/delays")ms for a signer killed again right after each start"
for i in $(seq 100); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/readyz")" = 200 ] && break
    sleep 0.1
done
expect_code 200 "ready again after the backoff" GET /readyz
check "mohur log audit: the tiles served after the restarts" "$MOHUR" log audit "http://127.0.0.1:$PORT" --state "$W/audit"
stop_mohurd
echo "failures: all $CHECKS checks passed"
