#!/usr/bin/env bash
# log_cli.sh - `mohur log` end to end through the real binary, with Go's
# golang.org/x/mod/sumdb/tlog and note as the independent checker of the
# proofs, the tiles and the checkpoint mohur writes (tests/ledger/gocheck).
set -u
. "$(dirname "$0")/../cli/lib.sh"

L="$W/ledger"
ORIGIN="registry.example.az/log"

# ---- the Go checker, built offline from Debian's golang-golang-x-mod-dev
GO_OK=0
if command -v go >/dev/null && [ -d /usr/share/gocode/src/golang.org/x/mod/sumdb/tlog ]; then
    if (cd "$GOCHECK_SRC" && GOCACHE="$W/gocache" GO111MODULE=off GOPATH=/usr/share/gocode \
        go build -o "$W/gocheck" .) >"$W/gobuild.log" 2>&1; then
        GO_OK=1
        pass "gocheck built with golang.org/x/mod/sumdb/tlog"
    else
        cat "$W/gobuild.log" >&2
        fail "building the Go checker"
    fi
else
    echo "NOTE: golang-go or golang-golang-x-mod-dev is missing (scripts/deps.sh test);" \
        "the independent Go check is SKIPPED" >&2
fi
G="$W/gocheck"

# ---- init, append, get
expect 3 "info before init says there is no ledger" log info --ledger "$L"
err_has "log init" "the error says how to create one"
expect 0 "init" log init --ledger "$L"
expect 0 "synthetic appends" log append --ledger "$L" --synthetic 1500
out_has "0..1499" "indexes 0..1499"
D=$(printf 'notary act 1' | sha256sum | cut -c1-64)
expect 0 "append an issue entry" log append --ledger "$L" --type issue --id AZ-NOT-1 \
    --kind notary-act --issuer "Notary Aliyeva" --digest "$D" --length 12 --time 1767225600
out_has "^1500$" "its index is 1500"
expect 3 "the same id again is refused" log append --ledger "$L" --type issue --id AZ-NOT-1 \
    --kind notary-act --issuer x --digest "$D"
err_has "already in the ledger" "and says why"
expect 2 "a bad digest is a usage error" log append --ledger "$L" --type issue --id X \
    --kind k --issuer i --digest abcd
expect 0 "get by id: valid" log get --ledger "$L" --id AZ-NOT-1
out_has "status: valid" "status valid"
expect 0 "revoke" log append --ledger "$L" --type revoke --id AZ-NOT-1 --issuer Registry \
    --reason 4
out_has "^1501$" "revoke index 1501"
expect 0 "get by id: revoked" log get --ledger "$L" --id AZ-NOT-1 --json
out_has '"status":"revoked"' "status revoked in JSON"
out_has '"revoke_reason":4' "with its reason"
expect 0 "get by digest" log get --ledger "$L" --digest "$D"
out_has "index: 1500" "finds the issue entry"
expect 3 "unknown id" log get --ledger "$L" --id nope
out_has "status: unknown" "status unknown"

# ---- checkpoint: body from mohur, signed by Go's note package, stored
expect 0 "checkpoint body" log checkpoint --ledger "$L" --origin "$ORIGIN" --body \
    --out "$W/body"
grep -q "^1502$" "$W/body" || fail "body has the size"
if [ $GO_OK = 1 ]; then
    check "Go makes an Ed25519 note key" "$G" keygen "$ORIGIN" "$W/skey" "$W/vkey"
    check "Go signs the checkpoint" "$G" sign "$W/skey" "$W/body" "$W/note"
else
    # a stand-in signature line; only the Go check verifies signatures
    { cat "$W/body"; printf '\n\xe2\x80\x94 %s AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=\n' "$ORIGIN"; } >"$W/note"
fi
expect 0 "store the signed checkpoint" log checkpoint --ledger "$L" --note "$W/note"
out_has "checkpoint #0" "as number 0"
sed 's/^1502$/1503/' "$W/note" >"$W/note.bad"
expect 1 "a checkpoint for a size the log does not have is refused" log checkpoint \
    --ledger "$L" --note "$W/note.bad"
expect 0 "info" log info --ledger "$L"
out_has "size: 1502" "info size"
out_has "checkpoint: #0, $ORIGIN, size 1502" "info checkpoint"

# ---- proofs: mohur verifies, Go verifies, tampered ones fail both
for i in 0 1 255 256 1000 1499 1500 1501; do
    expect 0 "prove inclusion of $i" log prove --ledger "$L" --index $i --out "$W/p$i"
    expect 0 "get raw entry $i" log get --ledger "$L" --index $i --raw "$W/e$i"
    expect 0 "mohur verifies inclusion of $i" log verify --proof "$W/p$i" --entry "$W/e$i" \
        --checkpoint "$W/note"
    [ $GO_OK = 1 ] && check "Go verifies inclusion of $i" "$G" inclusion "$W/p$i" "$W/e$i"
done
expect 1 "another entry's proof does not verify" log verify --proof "$W/p0" --entry "$W/e1"
[ $GO_OK = 1 ] && check_not "nor with Go" "$G" inclusion "$W/p0" "$W/e1"
awk 'NR==3{ $0 = (substr($0,1,1)=="A" ? "B" : "A") substr($0,2) } {print}' "$W/p1000" \
    >"$W/p1000.bad"
expect 1 "a changed proof hash does not verify" log verify --proof "$W/p1000.bad" \
    --entry "$W/e1000"
[ $GO_OK = 1 ] && check_not "nor with Go" "$G" inclusion "$W/p1000.bad" "$W/e1000"
for pair in "1 1502" "7 8" "256 1502" "1000 1501" "1500 1502" "1502 1502"; do
    set -- $pair
    expect 0 "prove consistency $1 -> $2" log prove --ledger "$L" --from $1 --to $2 \
        --out "$W/c$1"
    expect 0 "mohur verifies consistency $1 -> $2" log verify --proof "$W/c$1"
    [ $GO_OK = 1 ] && check "Go verifies consistency $1 -> $2" "$G" consistency "$W/c$1"
done
sed '2s/^old 256 ./old 256 A/' "$W/c256" >"$W/c256.bad"
if cmp -s "$W/c256" "$W/c256.bad"; then sed '2s/^old 256 ./old 256 B/' "$W/c256" >"$W/c256.bad"; fi
expect 1 "a consistency proof against another old root fails" log verify --proof "$W/c256.bad"
[ $GO_OK = 1 ] && check_not "nor with Go" "$G" consistency "$W/c256.bad"
expect 1 "a consistency proof checked against another checkpoint fails" log verify \
    --proof "$W/c1000" --checkpoint "$W/note"
expect 2 "prove needs --index or --from" log prove --ledger "$L"

# ---- static tiles, Go reads them, the auditor checks them
M="$W/mirror"
expect 0 "export tiles" log export-tiles --ledger "$L" --out "$M"
out_has "exported 1502 entries" "export size"
[ -f "$M/tile/0/005.p/222" ] || fail "partial tile 0/005.p/222 exists"
[ -f "$M/tile/1/000.p/5" ] || fail "level-1 tile 1/000.p/5 exists"
[ -f "$M/tile/entries/004" ] || fail "full entry bundle 004 exists"
pass "tile layout per C2SP tlog-tiles"
[ $GO_OK = 1 ] && check "Go verifies checkpoint, tiles and every record" "$G" tiles "$M" "$W/vkey"
expect 0 "audit the mirror" log audit "$M" --state "$W/audit.state"
out_has "1502 entries" "audit size"
grep -q "^size 1502$" "$W/audit.state" || fail "audit state records the trusted size"
grep -q "^edge 1 " "$W/audit.state" || fail "audit state records the right edge"
grep -q "^checkpoint " "$W/audit.state" || fail "audit state records the checkpoint trusted"
expect 0 "audit again: nothing new" log audit "$M" --state "$W/audit.state" --json
out_has '"entries_checked":0' "nothing new is re-checked"

# grow the log, export again (incremental), audit against the trusted state
expect 0 "more appends" log append --ledger "$L" --synthetic 300 --prefix more-
expect 0 "checkpoint body 2" log checkpoint --ledger "$L" --origin "$ORIGIN" --body \
    --out "$W/body2"
if [ $GO_OK = 1 ]; then
    check "Go signs checkpoint 2" "$G" sign "$W/skey" "$W/body2" "$W/note2"
else
    { cat "$W/body2"; printf '\n\xe2\x80\x94 %s AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=\n' "$ORIGIN"; } >"$W/note2"
fi
expect 0 "store checkpoint 2" log checkpoint --ledger "$L" --note "$W/note2"
expect 0 "export again" log export-tiles --ledger "$L" --out "$M"
out_has "10 kept" "the 10 full tiles and bundles already there are kept"
[ $GO_OK = 1 ] && check "Go verifies the grown mirror" "$G" tiles "$M" "$W/vkey"
cp "$W/audit.state" "$W/audit.state.1502"
expect 0 "audit: consistent with what was trusted" log audit "$M" --state "$W/audit.state"
out_has "consistent with the 1502 entries trusted before" "audit consistency"
out_has "checked 300 new entries" "only the 300 new entries are checked"
# incremental: bundles 5..7 (3), tiles 0/5,0/6 (full) 0/7.p, 1/000.p (partial), the
# checkpoint: about 8 files, not the 20 a full audit reads
FILES=$(sed -n 's/.*fetched \([0-9]*\) files.*/\1/p' "$OUT")
[ "$FILES" -le 9 ] || fail "the incremental audit fetched $FILES files"
pass "the incremental audit fetched $FILES files"
expect 0 "a full audit from nothing" log audit "$M" --json
out_has '"entries_checked":1802' "streams every entry"

# the same mirror served by a web server on loopback, audited by URL
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
python3 -m http.server --bind 127.0.0.1 --directory "$M" "$PORT" >"$W/http.log" 2>&1 &
HTTP_PID=$!
trap 'kill $HTTP_PID 2>/dev/null; cleanup' EXIT
for _ in $(seq 50); do
    python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$PORT/checkpoint')" \
        2>/dev/null && break
    sleep 0.1
done
cp "$W/audit.state" "$W/audit.state.url"
expect 0 "audit the mirror over http" log audit "http://127.0.0.1:$PORT/" --state "$W/audit.state.url"
out_has "1802 entries" "audit over http: size"
out_has "consistent with the 1802 entries trusted before" "audit over http: consistency"
expect 3 "a mirror URL that serves nothing" log audit "http://127.0.0.1:$PORT/nothing/" \
    --state "$W/audit.state.url"
err_has "HTTP 404" "and says what the server answered"
expect 2 "a URL of another scheme is not a mirror" log audit "ftp://127.0.0.1:$PORT/"

# a rewritten mirror: one entry changed in a bundle. A full audit finds it;
# an incremental one finds what changed since the state it starts from
# (what earlier audits checked is not fetched again), and a failed audit
# leaves the state as it was.
cp "$W/audit.state" "$W/audit.state.before"
printf '\x01' | dd of="$M/tile/entries/002" bs=1 seek=50 conv=notrunc status=none
expect 1 "a full audit detects a rewritten entry bundle" log audit "$M"
err_has "rewritten" "and says the mirror was rewritten"
expect 1 "a full audit over http detects the rewritten bundle" log audit "http://127.0.0.1:$PORT/"
printf '\x01' | dd of="$M/tile/entries/006" bs=1 seek=50 conv=notrunc status=none
cp "$W/audit.state.1502" "$W/audit.state.x"
expect 1 "an incremental audit detects a rewritten new bundle" log audit "$M" \
    --state "$W/audit.state.x"
err_has "rewritten" "and says the mirror was rewritten"
cmp -s "$W/audit.state.x" "$W/audit.state.1502" || fail "state unchanged after a failed audit"
pass "trusted state unchanged"
printf '\x00' | dd of="$M/tile/0/005" bs=1 seek=40 conv=notrunc status=none
expect 1 "an incremental audit detects a rewritten tile shared with the trusted tree" \
    log audit "$M" --state "$W/audit.state.x"
[ $GO_OK = 1 ] && check_not "Go also rejects the rewritten mirror" "$G" tiles "$M" "$W/vkey"

# a forked log: a different ledger with the same first entries then others
L2="$W/ledger2"
M2="$W/mirror2"
expect 0 "init fork" log init --ledger "$L2"
expect 0 "fork appends" log append --ledger "$L2" --synthetic 1000
expect 0 "fork appends other entries" log append --ledger "$L2" --synthetic 900 --prefix evil-
expect 0 "fork body" log checkpoint --ledger "$L2" --origin "$ORIGIN" --body --out "$W/fbody"
{ cat "$W/fbody"; printf '\n\xe2\x80\x94 %s AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=\n' "$ORIGIN"; } >"$W/fnote"
expect 0 "fork checkpoint" log checkpoint --ledger "$L2" --note "$W/fnote"
expect 0 "fork export" log export-tiles --ledger "$L2" --out "$M2"
expect 1 "audit detects the fork" log audit "$M2" --state "$W/audit.state" \
    --evidence "$W/evidence"
err_has "forked" "and says the log forked"
err_has "FORK EVIDENCE" "and shows the evidence"
grep -q "^1802$" "$W/evidence" || fail "the evidence holds the trusted checkpoint"
grep -q "^1900$" "$W/evidence" || fail "and the forked one"
pass "fork evidence: both checkpoints"
# a rollback: the mirror serves an older checkpoint than the one trusted
M4="$W/mirror-rollback"
cp -r "$M" "$M4"
cp "$W/note" "$M4/checkpoint"
expect 1 "audit detects a rollback" log audit "$M4" --state "$W/audit.state" \
    --evidence "$W/evidence2"
err_has "rolled back" "and says so"
grep -q "^1502$" "$W/evidence2" || fail "the rollback evidence holds the older checkpoint"
pass "rollback evidence"

# ---- the registry key on a token signs checkpoints (ECDSA P-256, type 0x02)
init_token Seal
TOK="pkcs11:token=Seal?pin-source=file:$W/user.pin"
expect 0 "generate the registry key (P-256)" key generate --token "$TOK" --type ec-p256 \
    --label registry
KEY="pkcs11:token=Seal;object=registry?pin-source=file:$W/user.pin"
expect 0 "sign a checkpoint with the token" log checkpoint --ledger "$L" --origin "$ORIGIN" \
    --key "$KEY" --vkey-out "$W/vkey.ecdsa"
out_has "signed and stored checkpoint #2" "stored as number 2"
expect 0 "write it" log checkpoint --ledger "$L" --out "$W/ck.ecdsa"
expect 0 "mohur verifies the ECDSA checkpoint with its vkey" log verify \
    --checkpoint "$W/ck.ecdsa" --vkey "$W/vkey.ecdsa"
out_has "signature OK" "signature OK"
# openssl checks the same signature independently: body, key from the token
expect 0 "export the public key" key export --key "$KEY" --out "$W/reg.pem"
python3 - "$W/ck.ecdsa" "$W" <<'PY' || fail "split the note"
import base64, sys
note = open(sys.argv[1], 'rb').read()
body, sigs = note.split(b'\n\n', 1)
line = sigs.split(b'\n')[0]
sig = base64.b64decode(line.split(b' ')[2])
open(sys.argv[2] + '/ck.body', 'wb').write(body + b'\n')
open(sys.argv[2] + '/ck.sig', 'wb').write(sig[4:])
PY
check "openssl verifies the checkpoint's ECDSA signature" openssl dgst -sha256 \
    -verify "$W/reg.pem" -signature "$W/ck.sig" "$W/ck.body"
sed 's/^1802$/1801/' "$W/ck.ecdsa" >"$W/ck.bad"
expect 1 "a changed checkpoint does not verify" log verify --checkpoint "$W/ck.bad" \
    --vkey "$W/vkey.ecdsa"
if [ $GO_OK = 1 ]; then
    expect 1 "a checkpoint signed by another key is refused" log verify \
        --checkpoint "$W/note" --vkey "$W/vkey.ecdsa"
fi

# Ed25519 on the token (type 0x01): Go's note package verifies it
expect 0 "generate an Ed25519 registry key" key generate --token "$TOK" --type ed25519 \
    --label registry-ed
expect 0 "sign a checkpoint with Ed25519" log checkpoint --ledger "$L" --origin "$ORIGIN" \
    --key "pkcs11:token=Seal;object=registry-ed?pin-source=file:$W/user.pin" \
    --vkey-out "$W/vkey.ed"
M3="$W/mirror3"
expect 0 "export with the Ed25519 checkpoint" log export-tiles --ledger "$L" --out "$M3"
[ $GO_OK = 1 ] && check "Go verifies the token's Ed25519 checkpoint and the tiles" "$G" tiles \
    "$M3" "$W/vkey.ed"
expect 0 "audit with the log's key" log audit "$M3" --vkey "$W/vkey.ed"
expect 1 "audit with another key fails" log audit "$M3" --vkey "$W/vkey.ecdsa"

# ---- a witness cosigns (cosignature/v1, Ed25519 by openssl)
openssl genpkey -algorithm ed25519 -out "$W/wit.pem" 2>/dev/null || fail "witness key"
openssl pkey -in "$W/wit.pem" -pubout -outform DER -out "$W/wit.pub" 2>/dev/null
expect 0 "the latest checkpoint" log checkpoint --ledger "$L" --out "$W/ck.latest"
python3 - "$W" <<'PY' || fail "witness message"
import base64, hashlib, struct, sys
w = sys.argv[1]
pub = open(w + '/wit.pub', 'rb').read()[-32:]
name = b'witness.example.org'
keyid = hashlib.sha256(name + b'\n' + b'\x04' + pub).digest()[:4]
open(w + '/wit.vkey', 'w').write('%s+%s+%s\n' % (name.decode(), keyid.hex(),
                                 base64.b64encode(b'\x04' + pub).decode()))
body = open(w + '/ck.latest', 'rb').read().split(b'\n\n', 1)[0] + b'\n'
t = 1767225600
open(w + '/wit.msg', 'wb').write(b'cosignature/v1\ntime %d\n' % t + body)
open(w + '/wit.meta', 'wb').write(name + b' ' + base64.b64encode(keyid + struct.pack('>Q', t)))
PY
openssl pkeyutl -sign -rawin -inkey "$W/wit.pem" -in "$W/wit.msg" -out "$W/wit.sig" ||
    fail "witness signs"
python3 - "$W" <<'PY' || fail "witness line"
import base64, sys
w = sys.argv[1]
name, pre = open(w + '/wit.meta', 'rb').read().split(b' ')
sig = base64.b64decode(pre) + open(w + '/wit.sig', 'rb').read()
open(w + '/wit.line', 'wb').write('\u2014 '.encode() + name + b' ' + base64.b64encode(sig) + b'\n')
PY
expect 0 "accept the witness cosignature" log cosign --ledger "$L" --cosig "$W/wit.line" \
    --witness "$W/wit.vkey"
out_has "verified and stored" "verified and stored"
expect 3 "the same cosignature twice is refused" log cosign --ledger "$L" \
    --cosig "$W/wit.line" --witness "$W/wit.vkey"
# flip one bit of the signature itself (flipping a base64 character could
# make the line malformed instead of forged)
python3 -c "
import base64
line = open('$W/wit.line', 'rb').read().rstrip(b'\\n')
head, b64 = line.rsplit(b' ', 1)
raw = bytearray(base64.b64decode(b64))
raw[-10] ^= 1
open('$W/wit.bad', 'wb').write(head + b' ' + base64.b64encode(bytes(raw)) + b'\\n')"
expect 1 "a forged cosignature is refused" log cosign --ledger "$L" --cosig "$W/wit.bad" \
    --witness "$W/wit.vkey"
expect 1 "a cosignature of another checkpoint is refused" log cosign --ledger "$L" --seq 0 \
    --cosig "$W/wit.line" --witness "$W/wit.vkey"
expect 0 "the checkpoint now carries the cosignature" log checkpoint --ledger "$L"
out_has "witness.example.org" "cosignature line present"

# ---- storage errors: a second writer is refused while another holds the ledger
flock -n "$L/writer.lock" sleep 3 &
HOLDER=$!
sleep 0.3
expect 7 "a second writer is refused" log append --ledger "$L" --synthetic 1
err_has "another process" "and says another process has it open for writing"
expect 0 "readers are not blocked" log info --ledger "$L"
wait $HOLDER
expect 0 "writing works again once it is gone" log append --ledger "$L" --synthetic 1 \
    --prefix after-

# a tiny map fills up: a clear error and nothing changes; --grow lets it grow
L3="$W/ledger3"
expect 0 "init a 1 MiB ledger" log init --ledger "$L3" --map-size 1
expect 7 "filling the map is refused clearly" log append --ledger "$L3" --map-size 1 \
    --synthetic 20000
err_has "map is full" "the error says the map is full"
expect 0 "info after a full map" log info --ledger "$L3" --json
SIZE3=$(sed 's/.*"size":\([0-9]*\).*/\1/' "$OUT")
expect 0 "with --grow the same appends succeed" log append --ledger "$L3" --map-size 1 \
    --grow 4 --synthetic 20000 --prefix grown-
expect 0 "info after growth" log info --ledger "$L3" --json
out_has "\"size\":$((SIZE3 + 20000))" "size grew by exactly 20000"

expect 0 "help" log --help
echo "ledger CLI: $CHECKS checks passed (Go independent check: $([ $GO_OK = 1 ] && echo on || echo SKIPPED))"
