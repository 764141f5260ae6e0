#!/usr/bin/env bash
# witness.sh - `mohur witness serve` (C2SP tlog-witness) over loopback with
# its Ed25519 key on a SoftHSM2 token, and `mohur log push`: cosigning, the
# consistency proof path (409, then 200), cosignatures kept beside the
# checkpoint and carried by proofs, k-of-n quorum checks, and refusals: a
# fork, a rollback, an unknown log, a forged signature, a malformed and an
# oversized request, each with the status the protocol asks for and, for a
# fork or a rollback, the log's signed request kept as evidence.
set -u
. "$(dirname "$0")/../cli/lib.sh"

ORIGIN="registry.example.az/log"
L="$W/ledger"
WPID=""
WRC=0
stop_witness() {
    if [ -n "$WPID" ]; then
        kill -TERM "$WPID" 2>/dev/null
        wait "$WPID" 2>/dev/null
        WRC=$?
        WPID=""
    fi
}
trap 'stop_witness; cleanup' EXIT

init_token Seal
TOK="pkcs11:token=Seal?pin-source=file:$W/user.pin"
expect 0 "registry key (P-256)" key generate --token "$TOK" --type ec-p256 --label registry
expect 0 "witness key (Ed25519)" key generate --token "$TOK" --type ed25519 --label witness
KEY="pkcs11:token=Seal;object=registry?pin-source=file:$W/user.pin"
WKEY="pkcs11:token=Seal;object=witness?pin-source=file:$W/user.pin"
WNAME="witness.example.az/w1"

expect 0 "witness vkey" witness vkey --key "$WKEY" --name "$WNAME" --out "$W/w.vkey"
grep -q "^$WNAME+[0-9a-f]\{8\}+" "$W/w.vkey" || fail "the witness vkey names the witness"

expect 0 "init" log init --ledger "$L"
expect 0 "appends" log append --ledger "$L" --synthetic 1000
expect 0 "checkpoint 0" log checkpoint --ledger "$L" --origin "$ORIGIN" --key "$KEY" \
    --vkey-out "$W/log.vkey"

# the witness, on a free loopback port
run witness serve --help
setsid "$MOHUR" witness serve --key "$WKEY" --name "$WNAME" --log "$W/log.vkey" \
    --state "$W/wstate" --listen 127.0.0.1:0 --port-file "$W/wport" \
    >"$W/witness.log" 2>&1 </dev/null &
WPID=$!
for _ in $(seq 300); do [ -s "$W/wport" ] && break; sleep 0.1; done
[ -s "$W/wport" ] || { cat "$W/witness.log" >&2; fail "the witness started"; }
PORT=$(cat "$W/wport")
URL="http://127.0.0.1:$PORT"
pass "the witness listens on port $PORT"
expect 7 "a second witness process on the same state is refused" witness serve --key "$WKEY" \
    --name "$WNAME" --log "$W/log.vkey" --state "$W/wstate" --listen 127.0.0.1:0
err_has "in use by another witness" "and says why"

expect 0 "push checkpoint 0 (the witness has nothing yet)" log push --ledger "$L" \
    --witness-url "$URL" --witness "$W/w.vkey"
out_has "cosigned the checkpoint of 1000 entries" "cosigned"
expect 0 "the checkpoint carries the cosignature" log checkpoint --ledger "$L" --out "$W/ck0"
grep -q "^— $WNAME " "$W/ck0" || fail "cosignature line present"
pass "cosignature kept beside the checkpoint"
expect 0 "log verify: the log's key and 1 of 1 witnesses" log verify --checkpoint "$W/ck0" \
    --vkey "$W/log.vkey" --witness "$W/w.vkey" --quorum 1
out_has "witnesses: 1 of 1 cosigned" "quorum met"

# a second witness key the checkpoint lacks: 2 of 2 fails, 1 of 2 passes
expect 0 "another Ed25519 key" key generate --token "$TOK" --type ed25519 --label w2
expect 0 "its vkey" witness vkey --key "pkcs11:token=Seal;object=w2?pin-source=file:$W/user.pin" \
    --name witness.example.org/w2 --out "$W/w2.vkey"
expect 1 "2 of 2 witnesses: not met" log verify --checkpoint "$W/ck0" --witness "$W/w.vkey" \
    --witness "$W/w2.vkey"
err_has "quorum NOT met" "says so"
expect 0 "1 of 2 witnesses: met" log verify --checkpoint "$W/ck0" --witness "$W/w.vkey" \
    --witness "$W/w2.vkey" --quorum 1

# the log grows: the witness answers 409 with its size, the log sends a proof
expect 0 "more appends" log append --ledger "$L" --synthetic 777 --prefix more-
expect 0 "checkpoint 1" log checkpoint --ledger "$L" --origin "$ORIGIN" --key "$KEY"
expect 0 "push checkpoint 1 with a consistency proof 1000 -> 1777" log push --ledger "$L" \
    --witness-url "$URL" --witness "$W/w.vkey"
out_has "1777 entries" "cosigned 1777"
expect 0 "push it again (same size, same root)" log push --ledger "$L" \
    --witness-url "$URL" --witness "$W/w.vkey"

# a proof bundle carries the cosigned checkpoint
expect 0 "prove inclusion" log prove --ledger "$L" --index 1500 --out "$W/p1500"
expect 0 "entry" log get --ledger "$L" --index 1500 --raw "$W/e1500"
expect 0 "the proof verifies with the witness quorum" log verify --proof "$W/p1500" \
    --entry "$W/e1500" --vkey "$W/log.vkey" --witness "$W/w.vkey" --quorum 1
out_has "witnesses: 1 of 1" "the proof's checkpoint is cosigned"

# a rollback: the log (or someone with its key) pushes the old checkpoint 0
expect 1 "pushing an older checkpoint is refused" log push --ledger "$L" --seq 0 \
    --witness-url "$URL" --witness "$W/w.vkey"
err_has "already cosigned a larger tree" "the log is told the witness holds more"
ls "$W/wstate/evidence/" | grep -q . || fail "rollback evidence kept"
grep -l "rollback" "$W/wstate/evidence/"* >/dev/null || fail "the evidence says rollback"
pass "rollback refused, evidence kept"

# a fork: another ledger, same origin and key, same first 1000 entries
L2="$W/fork"
expect 0 "fork init" log init --ledger "$L2"
expect 0 "fork appends" log append --ledger "$L2" --synthetic 1000
expect 0 "fork other entries" log append --ledger "$L2" --synthetic 900 --prefix evil-
expect 0 "fork checkpoint signed with the log's key" log checkpoint --ledger "$L2" \
    --origin "$ORIGIN" --key "$KEY"
N0=$(ls "$W/wstate/evidence/" | wc -l)
expect 1 "the witness refuses to cosign the fork" log push --ledger "$L2" \
    --witness-url "$URL" --witness "$W/w.vkey"
err_has "fork" "and says it is a fork"
N1=$(ls "$W/wstate/evidence/" | wc -l)
[ "$N1" -gt "$N0" ] || fail "fork evidence kept"
grep -l "^1900$" "$W/wstate/evidence/"* >/dev/null || fail "the evidence holds the forked checkpoint"
grep -l "^1777$" "$W/wstate/evidence/"* >/dev/null || fail "and the one cosigned before"
pass "fork refused, evidence with both checkpoints kept"
expect 0 "the honest log still gets cosigned" log push --ledger "$L" \
    --witness-url "$URL" --witness "$W/w.vkey"

# the protocol's answers to bad requests
http() { # http STATUS WHAT BODYFILE
    local code
    code=$(curl -s -o "$W/resp" -w '%{http_code}' --data-binary @"$3" "$URL/add-checkpoint")
    [ "$code" = "$1" ] || { cat "$W/resp" >&2; fail "$2: HTTP $code, expected $1"; }
    pass "$2: HTTP $1"
}
printf 'hello\n' >"$W/bad1"
http 400 "a malformed request" "$W/bad1"
{ printf 'old 0\n\n'; cat "$W/ck0"; } | sed "s|^$ORIGIN\$|other.example/log|" >"$W/bad2"
http 404 "an unknown log" "$W/bad2"
{ printf 'old 1777\n\n'; sed 's/^1000$/1001/' "$W/ck0"; } >"$W/bad3"
http 403 "a checkpoint whose signature does not verify" "$W/bad3"
{ printf 'old 5\n\n'; cat "$W/ck0"; } >"$W/bad4"
http 409 "a stale old size" "$W/bad4"
grep -q "^1777$" "$W/resp" || fail "409 says the size the witness holds"
head -c 70000 /dev/zero | tr '\0' 'a' >"$W/big"
http 413 "a request over 64 KiB" "$W/big"
code=$(curl -s -o /dev/null -w '%{http_code}' "$URL/add-checkpoint")
[ "$code" = 405 ] || fail "GET is refused (HTTP $code)"
pass "GET: HTTP 405"

# the record survives a restart
stop_witness
setsid "$MOHUR" witness serve --key "$WKEY" --name "$WNAME" --log "$W/log.vkey" \
    --state "$W/wstate" --listen "127.0.0.1:$PORT" >"$W/witness2.log" 2>&1 </dev/null &
WPID=$!
for _ in $(seq 300); do
    curl -s -o /dev/null "$URL/" 2>/dev/null && break
    sleep 0.1
done
expect 1 "after a restart the fork is still refused" log push --ledger "$L2" \
    --witness-url "$URL" --witness "$W/w.vkey"
stop_witness
[ "$WRC" = 0 ] || { cat "$W/witness2.log" >&2; fail "the witness stops on SIGTERM (exit $WRC)"; }
grep -q "stopped" "$W/witness2.log" || fail "the witness says it stopped"
pass "the witness stops cleanly on SIGTERM"
echo "witness: $CHECKS checks passed"
echo "$CHECKS passed, 0 failed"
