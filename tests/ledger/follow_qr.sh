#!/usr/bin/env bash
# follow_qr.sh - `mohur verify --qr --follow`: a verifier with no appliance
# of its own checks receipts from two registries it follows, each through
# its log's static tiles (a mirror directory): valid, revoked (seen after
# the mirror was updated), altered document, a receipt whose printed field
# was changed (the log's claims digest says no), an unknown registry, a
# wrong receipt key, a stale copy of the log when its mirror is gone (exit
# 9), a rolled-back mirror (a fork: no verdict but an error), and the same
# answers in --json.
set -u
. "$(dirname "$0")/../cli/lib.sh"
command -v openssl >/dev/null || { echo "SKIP: openssl is not installed" >&2; exit 77; }

# two appliances, each its own registry, host and log
make_registry() { # NAME ID HOST
    local st="$W/$1"
    MOHUR_STATE_DIR=$st "$MOHUR" init --registry "$2" --host "$3" >/dev/null 2>&1 || fail "init $1"
    echo "$st"
}
A=$(make_registry a AZ-EDU edu.verify.test)
B=$(make_registry b AZ-NOT notary.verify.test)
sign_txt() { # STATE NAME CASE
    printf 'decision %s\n' "$3" >"$W/$2.txt"
    MOHUR_STATE_DIR=$1 "$MOHUR" sign "$W/$2.txt" --kind court-decision --issuer agency \
        --field case="$3" --field court=Baku --field date=2026-12-01 --out "$W/$2" >/dev/null 2>&1 ||
        fail "sign $2"
}
publish() { # STATE ORIGIN MIRROR -> vkey in MIRROR.vkey
    local pin="?pin-source=file:$1/pins/user.pin"
    SOFTHSM2_CONF=$1/softhsm2.conf MOHUR_STATE_DIR=$1 "$MOHUR" log checkpoint --origin "$2" \
        --key "pkcs11:token=mohur;object=registry;type=private$pin" --vkey-out "$3.vkey" \
        >/dev/null 2>"$W/ck.err" || { cat "$W/ck.err" >&2; fail "checkpoint $2"; }
    MOHUR_STATE_DIR=$1 "$MOHUR" log export-tiles --out "$3" >/dev/null 2>&1 || fail "export $2"
}
sign_txt "$A" a1 C-1
sign_txt "$A" a2 C-2
sign_txt "$B" b1 N-1
# a signed PDF: its receipt names the bytes before mohur's signature
python3 "${MOHUR_SRC:?}/tests/app/mkpdf.py" "$W/p1.pdf" "Court decision P-1" || fail "mkpdf"
MOHUR_STATE_DIR=$A "$MOHUR" sign "$W/p1.pdf" --kind court-decision --issuer agency \
    --field case=P-1 --field court=Baku --field date=2026-12-01 --out "$W/p1.signed.pdf" \
    --json >"$W/p1.json" 2>&1 || fail "sign p1.pdf"
P1URL=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["url"])' "$W/p1.json")
publish "$A" edu.verify.test/log "$W/mirror-a"
publish "$B" notary.verify.test/log "$W/mirror-b"
spki() { openssl x509 -in "$1/certs/registry.crt" -noout -pubkey | openssl pkey -pubin -outform DER | base64 -w0; }
cat >"$W/follow.json" <<EOF
{"registries": [
  {"id": "AZ-EDU", "vkey": "$(cat "$W/mirror-a.vkey")", "mirror": "$W/mirror-a", "max_age": 3600},
  {"id": "AZ-NOT", "vkey": "$(cat "$W/mirror-b.vkey")", "mirror": "$W/mirror-b", "max_age": 3600,
   "receipt_keys": ["$(spki "$B")"]}
]}
EOF
F=(--follow "$W/follow.json" --follow-state "$W/ver")
# the verifier has no appliance: nothing under MOHUR_STATE_DIR
export MOHUR_STATE_DIR=$W/none

expect 0 "a receipt of registry AZ-EDU is valid in its log" verify --qr "$(cat "$W/a1.receipt")" "${F[@]}"
out_has "^VALID: agency/court-decision/C-1" "says VALID with the document id"
out_has "registry AZ-EDU, log entry 0" "names the registry and the log entry"
out_has "Log: edu.verify.test/log, trusted up to 3 entries" "shows the checkpoint it trusts"
out_has "signature:  by a key of its registry" "the receipt's signature checked with the registry's log key (no receipt_keys configured)"
expect 0 "a receipt of registry AZ-NOT, with its receipt key checked" verify --qr "$(cat "$W/b1.receipt")" "${F[@]}"
out_has "by a key of its registry" "the receipt's own signature checked"
expect 0 "with the document" verify --qr "$(cat "$W/a2.receipt")" --doc "$W/a2.txt" "${F[@]}"
out_has "the same bytes the receipt names" "the document compared"
# a signed PDF: its original bytes match, but what was appended after them
# (the signatures, or an update an attacker added) cannot be checked by a
# verifier without the registry's CA: never VALID
expect 8 "a signed PDF with the follower: not VALID, its signatures unchecked" verify --qr "$P1URL" \
    --doc "$W/p1.signed.pdf" "${F[@]}"
out_has "^UNKNOWN: agency/court-decision/P-1" "says the later updates cannot be checked here"
printf '%%%%EOF\n%% an update added later\n' | cat "$W/p1.signed.pdf" - >"$W/p1.appended.pdf"
expect 8 "the same PDF with an update appended" verify --qr "$P1URL" --doc "$W/p1.appended.pdf" "${F[@]}"
python3 - "$W/p1.signed.pdf" "$W/p1.altered.pdf" <<'PY'
import sys
d = bytearray(open(sys.argv[1], "rb").read())
i = d.index(b"Court decision P-1")
d[i + 17] = ord("7")
open(sys.argv[2], "wb").write(d)
PY
expect 1 "a signed PDF whose original bytes were changed" verify --qr "$P1URL" --doc "$W/p1.altered.pdf" "${F[@]}"
out_has "^ALTERED" "says ALTERED"
expect 0 "the receipt alone (no file) is VALID" verify --qr "$P1URL" "${F[@]}"
printf 'decision C-9\n' >"$W/a2.altered.txt"
expect 1 "an altered document" verify --qr "$(cat "$W/a2.receipt")" --doc "$W/a2.altered.txt" "${F[@]}"
out_has "^ALTERED" "says ALTERED"

python3 - "$W/follow.json" "$W/only-a.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["registries"] = [r for r in c["registries"] if r["id"] == "AZ-EDU"]
json.dump(c, open(sys.argv[2], "w"))
PY
expect 8 "a registry the verifier does not follow" verify --qr "$(cat "$W/b1.receipt")" \
    --follow "$W/only-a.json" --follow-state "$W/ver2"
out_has "does not follow" "says it does not follow that registry"
python3 - "$W/follow.json" "$W/wrongkey.json" "$(spki "$A")" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
for r in c["registries"]:
    if r["id"] == "AZ-NOT":
        r["receipt_keys"] = [sys.argv[3]]
json.dump(c, open(sys.argv[2], "w"))
PY
expect 1 "a receipt not signed by the registry's configured key" verify --qr "$(cat "$W/b1.receipt")" \
    --follow "$W/wrongkey.json" --follow-state "$W/ver3"
out_has "^FORGED" "says FORGED"

# a printed field changed in the receipt (re-encoded, signature kept): the
# log's claims digest does not match (AZ-EDU: no receipt key configured)
python3 - "$(cat "$W/a1.receipt")" >"$W/a1.forged" <<'PY'
import base64, sys
url = sys.argv[1]
head, b32 = url.rsplit("/", 1)
pad = "=" * (-len(b32) % 8)
raw = bytearray(base64.b32decode(b32 + pad))
i = raw.find(b"C-1")
assert i > 0
raw[i + 2] = ord("7")
print(head + "/" + base64.b32encode(bytes(raw)).decode().rstrip("="))
PY
expect 1 "a receipt whose printed field was changed" verify --qr "$(cat "$W/a1.forged")" "${F[@]}"
out_has "^FORGED" "says FORGED (the log recorded other claims)"

# the claims kept and the signature not the registry's (what anyone who
# asked for a document could write for an entry whose signing never
# finished): AZ-EDU has no receipt_keys, so its log key checks the receipt
python3 - "$(cat "$W/a1.receipt")" >"$W/a1.nosig" <<'PY'
import base64, sys
url = sys.argv[1]
head, b32 = url.rsplit("/", 1)
raw = bytearray(base64.b32decode(b32 + "=" * (-len(b32) % 8)))
raw[-1] ^= 0x01
raw[-20] ^= 0x80
print(head + "/" + base64.b32encode(bytes(raw)).decode().rstrip("="))
PY
expect 1 "a receipt with the log's claims but not the registry's signature" verify --qr "$(cat "$W/a1.nosig")" "${F[@]}"
out_has "^FORGED: the receipt was not signed by registry AZ-EDU's key" "says FORGED: not signed by the registry's (log) key"

# a revocation is seen once the mirror has it (the verifier updates first)
MOHUR_STATE_DIR=$A "$MOHUR" revoke agency/court-decision/C-2 --reason superseded >/dev/null 2>&1 ||
    fail "revoke C-2"
publish "$A" edu.verify.test/log "$W/mirror-a"
expect 1 "a revoked document, seen after the mirror's update" verify --qr "$(cat "$W/a2.receipt")" "${F[@]}"
out_has "^REVOKED: agency/court-decision/C-2" "says REVOKED"
out_has "trusted up to 4 entries" "the follower moved to the new checkpoint"

run verify --qr "$(cat "$W/a1.receipt")" "${F[@]}" --json
[ "$RC" = 0 ] || fail "--json exit $RC"
python3 - "$OUT" <<'PY' || fail "--json: verdict valid, the log's origin and size"
import json, sys
v = json.load(open(sys.argv[1]))
assert v["verdict"] == "valid", v
assert v["log"]["origin"] == "edu.verify.test/log" and v["log"]["size"] == 4, v["log"]
assert v["ledger"]["doc_id"] == "agency/court-decision/C-1", v["ledger"]
PY
pass "--json: the verdict, the ledger entry and the log's checkpoint"

# a rolled-back mirror (the older checkpoint again): a fork, no verdict
cp -a "$W/mirror-a" "$W/mirror-a.new"
rm -rf "$W/mirror-a"
mkdir -p "$W/mirror-a.old"
MOHUR_STATE_DIR=$A "$MOHUR" log checkpoint --seq 0 --out "$W/ck1" >/dev/null 2>&1 || fail "checkpoint 1"
cp -a "$W/mirror-a.new" "$W/mirror-a"
cp "$W/ck1" "$W/mirror-a/checkpoint"
expect 3 "a rolled-back mirror" verify --qr "$(cat "$W/a1.receipt")" "${F[@]}"
out_has "fork or a rollback" "says the mirror contradicts the trusted log"
rm -rf "$W/mirror-a"
cp -a "$W/mirror-a.new" "$W/mirror-a"

# the mirror serving no checkpoint (its tiles still there) and the copy
# older than max_age: revocation status unknown
cp -a "$W/mirror-a" "$W/nockpt"
rm -f "$W/nockpt/checkpoint"
python3 - "$W/follow.json" "$W/stale.json" "$W/nockpt" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
for r in c["registries"]:
    if r["id"] == "AZ-EDU":
        r["max_age"] = 1
        r["mirror"] = sys.argv[3]
json.dump(c, open(sys.argv[2], "w"))
PY
sleep 2
expect 9 "a copy of the log older than max_age, its mirror's checkpoint missing" verify \
    --qr "$(cat "$W/a1.receipt")" --follow "$W/stale.json" --follow-state "$W/ver"
out_has "^REVOCATION STATUS UNKNOWN" "says the revocation status is unknown"
out_has "update:     FAILED" "shows why the update failed"
# the mirror gone altogether: no verdict at all
rm -rf "$W/nockpt"
expect 3 "the mirror gone" verify --qr "$(cat "$W/a1.receipt")" --follow "$W/stale.json" --follow-state "$W/ver"
out_has "^ERROR: registry AZ-EDU's log" "says the log cannot be read"

# usage
expect 2 "--follow without --follow-state" verify --qr "$(cat "$W/a1.receipt")" --follow "$W/follow.json"
expect 2 "--follow with a FILE instead of a QR" verify "$W/a1.txt" "${F[@]}"
echo "follow_qr: $CHECKS checks passed"
