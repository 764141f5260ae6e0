#!/usr/bin/env bash
# extkey.sh - a first signature with the issuer's key outside the
# appliance, through mohurd: a notary whose key is on a token on the
# notary's own machine issues an act while mohurd holds the ledger. mohurd
# makes the act, its entry and its receipt, and asks the client for the
# signature of a digest (202); the signature comes back and the act is
# delivered. Honest paths: `mohur sign --key` on a second token while mohurd
# runs (checked by mohur verify, pdfsig and openssl), and the API with a
# software key. Every way it could lie or leak is refused: nothing but the
# digest leaves before the signature; a signature that does not verify with
# the certificate's key (garbage, another key, another digest), one that
# comes too late, one sent by another credential, a replay, a certificate
# not registered for the issuer, a CA certificate, a revoked certificate,
# malformed requests. A refused certificate writes nothing; a failed
# signature voids its entry (never VALID). And the key's side signs only
# what it is shown: a fake mohurd that lies about what is signed is refused.
. "$(dirname "$0")/lib.sh"
SRC=${MOHUR_SRC:?}
command -v openssl >/dev/null || { echo "SKIP: openssl is not installed" >&2; exit 77; }

init_state
S=$MOHUR_STATE_DIR
pin="?pin-source=file:$S/pins/user.pin"
ROOTKEY="pkcs11:token=mohur;object=root;type=private$pin"
serial_of() { openssl x509 -in "$1" -noout -serial | sed 's/^serial=//'; }
sw_cert() { # NAME SUBJECT -> $W/NAME.key, $W/NAME.pem (certified by the appliance's CA)
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$W/$1.key" 2>/dev/null &&
        openssl pkey -in "$W/$1.key" -pubout -out "$W/$1.pub" || fail "openssl genpkey $1"
    "$MOHUR" ca issue --profile notary --subject "$2" --pubkey "$W/$1.pub" --key "$ROOTKEY" \
        --out "$W/$1.pem" >/dev/null || fail "ca issue $1"
}

# the notary's own token (a second token: in real life a USB token on the
# notary's machine), its key certified by the appliance's CA and registered
pin_file() { printf '%s' "$2" >"$1" && chmod 600 "$1"; }
pin_file "$W/usb.so" 87654321
pin_file "$W/usb.pin" 246810
"$MOHUR" token init --label notary-usb --so-pin-file "$W/usb.so" --pin-file "$W/usb.pin" >/dev/null ||
    fail "token init notary-usb"
USB="pkcs11:token=notary-usb"
"$MOHUR" key generate --token "$USB?pin-source=file:$W/usb.pin" --type ec-p256 --label aysel >/dev/null ||
    fail "key generate on the notary's token"
"$MOHUR" ca issue --profile notary --subject "CN=Aysel Həsənova,O=Notariat,C=AZ" --key "$ROOTKEY" \
    --pubkey-from "$USB;object=aysel?pin-source=file:$W/usb.pin" --out "$W/aysel.pem" >/dev/null ||
    fail "ca issue aysel"
"$MOHUR" key import-cert --key "$USB;object=aysel;type=private?pin-source=file:$W/usb.pin" \
    --cert "$W/aysel.pem" >/dev/null || fail "import-cert aysel"
"$MOHUR" issuer add-cert --issuer notary --cert "$W/aysel.pem" >/dev/null || fail "register aysel"
# a software key registered for the notary (the API client below signs with it)
sw_cert nigar "CN=Nigar Məmmədova,C=AZ"
"$MOHUR" issuer add-cert --issuer notary --cert "$W/nigar.pem" >/dev/null || fail "register nigar"
# certified but not registered for the notary; and one registered, then revoked
sw_cert other "CN=Other Person,C=AZ"
sw_cert gone "CN=Revoked Notary,C=AZ"
"$MOHUR" issuer add-cert --issuer notary --cert "$W/gone.pem" >/dev/null || fail "register gone"
"$MOHUR" ca revoke "$(serial_of "$W/gone.pem")" --reason keyCompromise >/dev/null || fail "ca revoke"
"$MOHUR" ca crl --publish >/dev/null || fail "ca crl --publish"
openssl x509 -in "$S/certs/root.crt" -inform "$(head -c 5 "$S/certs/root.crt" | grep -q -- ----- && echo PEM || echo DER)" \
    -out "$W/root.pem" || fail "the root certificate"

# an RSA key registered for the notary too (PKCS#1 v1.5)
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$W/rsa.key" 2>/dev/null &&
    openssl pkey -in "$W/rsa.key" -pubout -out "$W/rsa.pub" || fail "openssl genpkey rsa"
"$MOHUR" ca issue --profile notary --subject "CN=Rasim Rzayev,C=AZ" --pubkey "$W/rsa.pub" --key "$ROOTKEY" \
    --out "$W/rsa.pem" >/dev/null || fail "ca issue rsa"
NOTARY=$(token notary --issuer notary)
NOTARY2=$(token notary --issuer notary)
AUDITOR=$(token auditor)
SLOW=$(token notary --issuer notary --rate 1)
conf external_sign_timeout 3
start_mohurd

# ---- the CLI: mohur sign --key with the notary's own token, while mohurd runs ---
python3 "$SRC/tests/app/mkpdf.py" "$W/act1.pdf" "Notary act 1/2026" || fail "mkpdf"
"$MOHUR" sign "$W/act1.pdf" --kind notary-act --issuer notary \
    --key "$USB;object=aysel;type=private?pin-source=file:$W/usb.pin" \
    --field act=1/2026 --field title="Power of attorney" --field date=2026-12-06 \
    --out "$W/act1.signed.pdf" --json >"$W/act1.json" 2>"$W/act1.err" ||
    { cat "$W/act1.err" >&2; fail "mohur sign --key (a first signature) while mohurd runs"; }
grep -q 'key=external' "$W/mohurd.err" || fail "the act went through mohurd (its log says key=external)"
pass "mohur sign --key makes a first signature through mohurd with the notary's own token"
check "the act verifies (mohur verify)" "$MOHUR" verify "$W/act1.signed.pdf"
"$MOHUR" verify "$W/act1.signed.pdf" --json >"$W/v1.json" 2>&1
python3 - "$W/v1.json" <<'PY' || fail "the act's signer is the notary's own certificate"
import json, sys
v = json.load(open(sys.argv[1]))
s = json.dumps(v, ensure_ascii=False)
assert v.get("verdict", v.get("code")) in ("valid", "VALID") or '"valid"' in s, s[:300]
assert "Aysel" in s, "the signer is not named: " + s[:400]
PY
pass "the verdict names the signer of the notary's own certificate"
if command -v pdfsig >/dev/null; then
    pdfsig "$W/act1.signed.pdf" >"$W/pdfsig.out" 2>&1
    grep -q "Signature is Valid" "$W/pdfsig.out" && grep -q "Aysel" "$W/pdfsig.out" ||
        { cat "$W/pdfsig.out" >&2; fail "pdfsig: the act's signature is valid and the notary's"; }
    pass "pdfsig: the signature is valid and by the notary's certificate"
fi
python3 - "$W/act1.signed.pdf" "$W/act1.p7s" "$W/act1.content" <<'PY' || fail "extracting the CMS"
import re, sys
d = open(sys.argv[1], "rb").read()
m = list(re.finditer(rb"/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]", d))[0]
a, b, c, e = map(int, m.groups())
open(sys.argv[3], "wb").write(d[a:a + b] + d[c:c + e])
hexs = d[a + b + 1:c - 1].rstrip(b"0")
if len(hexs) % 2: hexs += b"0"
open(sys.argv[2], "wb").write(bytes.fromhex(hexs.decode()))
PY
openssl cms -verify -binary -inform DER -in "$W/act1.p7s" -content "$W/act1.content" -CAfile "$W/root.pem" \
    -purpose any -out /dev/null >"$W/ossl.out" 2>&1 || { cat "$W/ossl.out" >&2; fail "openssl cms -verify"; }
openssl cms -cmsout -print -inform DER -in "$W/act1.p7s" | grep -q "Aysel\|A.*ysel" ||
    openssl pkcs7 -inform DER -in "$W/act1.p7s" -print_certs | grep -q "Aysel" || fail "the CMS carries Aysel's certificate"
pass "openssl cms -verify: the act's signature chains to the appliance's root"

# ---- the API: the honest path with a software key --------------------------------
req() { # N [FILE] -> $W/reqN.json
    python3 -c 'import base64,json,sys; print(json.dumps({"kind": "notary-act", "issuer": "notary", "fields": {"act": sys.argv[2], "title": "Power of attorney", "date": "2026-12-06"}, "document": base64.b64encode(open(sys.argv[1],"rb").read()).decode()}))' \
        "${2:-$W/act$1.pdf}" "$1/2026" >"$W/req$1.json"
}
mkact() { python3 "$SRC/tests/app/mkpdf.py" "$W/act$1.pdf" "Notary act $1/2026" || fail "mkpdf"; req "$1"; }
client() { # N CERT MODE [KEY] [TOKEN2] -> $W/cl.json
    OBSERVED=$W/observed python3 "$SRC/tests/daemon/extkey_client.py" "$PORT" "$NOTARY" "$W/req$1.json" "$W/$2.pem" "$3" \
        ${4:+"$W/$4.key"} ${5:+"$5"} >"$W/cl.json" 2>"$W/cl.err" || { cat "$W/cl.err" >&2; fail "the API client ($3)"; }
}
jq_() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1]))
for k in sys.argv[2].split("."): d = d.get(k) if isinstance(d, dict) else None
print("" if d is None else d)' "$W/cl.json" "$1"; }
status_of() { # DOC-ID -> status word
    api GET "/api/v1/documents/$1" -H "$(auth "$NOTARY")"
    python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get("status"))' "$BODY"
}

# The client (extkey_client.py) checks every 202 before it signs, as a
# notary's client must: it makes the prepared content again from the
# document it sent and the appended bytes, and the byte range, the
# message-digest in the signed attributes and the digest must all follow
# from it (and forged 202s must fail that check); else it does not sign.
no_receipt() { # KIND (pdf | cades): the 202 names no receipt and no URL
    python3 - "$W/cl.json" "$1" <<'PY' || fail "the 202 carries what is signed and no receipt, document or URL member"
import json, sys
cl = json.load(open(sys.argv[1]))
f = cl["first"]["body"]
assert cl["checked"] == sys.argv[2], cl.get("checked")
assert set(f) <= {"session", "sign", "expires_in", "next"}, f
sign = dict(f["sign"])
assert set(sign) == {"digest", "digest_algorithm", "signature_algorithm", "format", "signed_attributes",
                     "content"}, sign
# base64 may spell anything by chance: the rest must not name a receipt
sign.pop("digest"), sign.pop("signed_attributes")
s = json.dumps({**f, "sign": sign})
assert "/V/" not in s and "url" not in s.lower() and "receipt" not in s and "files" not in f, s
if sys.argv[2] == "cades":
    assert set(f["sign"]["content"]) == {"document_length"}, f["sign"]["content"]
else:
    assert set(f["sign"]["content"]) == {"document_length", "appended", "byte_range"}, f["sign"]["content"]
assert f["sign"]["signature_algorithm"] in ("ecdsa", "rsa-pkcs1-v1_5") and len(f["sign"]["digest"]) == 44, f
PY
}

mkact 2
client 2 nigar good nigar
# the stamp shown carries the receipt's URL: while the signature is awaited
# the public route says NOT ISSUED YET (JSON and page, not cached), then VALID
python3 - "$W/cl.json" <<'PY' || fail "the receipt shown before the signature: never valid while awaited"
import json, sys
cl = json.load(open(sys.argv[1]))
p, a = cl["while_pending"], cl["after"]
assert p["status"] == 200 and p["verdict"] == "unknown" and "NOT ISSUED YET" in p["sentence"], p
assert p["ledger_status"] == "pending" and p["status_route"] == "pending", p
assert a["ledger_status"] == "valid" and a["status_route"] == "valid", a
assert p["page_status"] == 200 and p["page_pending"], p
assert a["verdict"] == "valid" and not a["page_pending"], a
PY
pass "the receipt in the stamp shown: NOT ISSUED YET while the signature is awaited (JSON, page, status route: pending), VALID after"
[ "$(jq_ first.status)" = 202 ] || fail "the first answer is 202 (sign this digest): $(cat "$W/cl.json")"
[ "$(jq_ first.body.sign.signature_algorithm)" = ecdsa ] || fail "an ECDSA certificate: 202 asking for ECDSA"
no_receipt pdf
pass "the 202 shows what is signed (the prepared PDF's update, its byte range, the signed attributes: checked by the client before it signs; forged ones refused) and names no receipt"
[ "$(jq_ second.status)" = 201 ] || fail "the signature gives the act: $(cat "$W/cl.json")"
pass "the signature sent back: 201 with the signed act"
check "the act signed through the API verifies" "$MOHUR" verify "$W/req2.json.signed.pdf"

# an RSA key outside the appliance (PKCS#1 v1.5)
# registered while mohurd runs: the command tells mohurd to reload
"$MOHUR" issuer add-cert --issuer notary --cert "$W/rsa.pem" >/dev/null 2>"$W/addcert.err" || fail "register rsa"
grep -q "mohurd (pid [0-9]*) reloads its issuers" "$W/addcert.err" || fail "issuer add-cert tells mohurd to reload"
mkact 10
for i in $(seq 50); do
    client 10 rsa good rsa
    [ "$(jq_ first.status)" = 403 ] || break
    sleep 0.2
done
[ "$(jq_ first.status)" = 202 ] && [ "$(jq_ first.body.sign.signature_algorithm)" = rsa-pkcs1-v1_5 ] ||
    fail "an RSA certificate: 202 asking for PKCS#1 v1.5 ($(cat "$W/cl.json"))"
[ "$(jq_ second.status)" = 201 ] || fail "an RSA signature gives the act: $(cat "$W/cl.json")"
no_receipt pdf
check "the act signed with an RSA key outside the appliance verifies" "$MOHUR" verify "$W/req10.json.signed.pdf"

pass "a certificate registered while mohurd runs is taken after the reload the command asks for"

# any other file: a detached CAdES signature of the document itself (no
# appended bytes, no byte range; message-digest is the document's hash)
printf 'Notary act 16/2026\nnot a PDF: signed as CAdES, detached\n' >"$W/act16.txt"
req 16 "$W/act16.txt"
client 16 nigar good nigar
[ "$(jq_ first.status)" = 202 ] || fail "a file that is not a PDF: 202 first ($(cat "$W/cl.json"))"
no_receipt cades
[ "$(jq_ second.status)" = 201 ] || fail "a file that is not a PDF: its CAdES signature given ($(cat "$W/cl.json"))"
pass "a file that is not a PDF: the 202 shows the signed attributes over the document's own hash (checked by the client), then 201"
"$MOHUR" ca crl --publish >/dev/null 2>"$W/crl.err" || { cat "$W/crl.err" >&2; fail "ca crl --publish while mohurd runs"; }
grep -q "reloads the CRL" "$W/crl.err" || fail "ca crl --publish tells mohurd to reload"
pass "ca crl --publish works while mohurd runs (the ledger is not needed) and mohurd reloads the CRL"

# ---- what must not work --------------------------------------------------------------
for c in other root gone; do
    mkact "3$c"
    client "3$c" "$c" good nigar
    st=$(jq_ first.status)
    case "$st" in 400 | 403 | 409 | 422) ;; *) fail "certificate '$c' refused before anything is made (HTTP $st)" ;; esac
    api GET "/api/v1/documents/notary/notary-act/3$c/2026" -H "$(auth "$NOTARY")"
    [ "$CODE" = 404 ] || fail "certificate '$c': nothing is written to the ledger (status HTTP $CODE)"
done
pass "a certificate not registered for the issuer, a CA certificate, a revoked one: refused at once, nothing written"

n=4
for mode in garbage otherkey otherdigest; do
    mkact "$n"
    client "$n" nigar "$mode" "$([ "$mode" = otherkey ] && echo other || echo nigar)"
    [ "$(jq_ first.status)" = 202 ] || fail "$mode: 202 first"
    st=$(jq_ second.status)
    [ "$st" != 200 ] && [ "$st" != 201 ] || fail "a $mode signature gave a document"
    [ "$(jq_ second.body.voided)" = True ] || fail "$mode: the entry is voided ($(cat "$W/cl.json"))"
    [ "$(status_of "notary/notary-act/$n/2026")" = voided ] || fail "$mode: the document's status is voided"
    pass "a signature that is $mode: refused (HTTP $st), the entry voided, no act"
    n=$((n + 1))
done
grep -q "does not verify with the certificate's key" "$W/cl.json" || fail "the refusal says why"

mkact 7
client 7 nigar late:5 nigar
st=$(jq_ second.status)
[ "$st" = 404 ] || fail "a signature after the timeout: HTTP $st ($(cat "$W/cl.json"))"
for i in $(seq 30); do [ "$(status_of notary/notary-act/7/2026)" = voided ] && break; sleep 0.2; done
[ "$(status_of notary/notary-act/7/2026)" = voided ] || fail "the late act is voided"
pass "a signature later than external_sign_timeout: 404, the entry voided"

mkact 8
client 8 nigar stranger nigar "$NOTARY2"
[ "$(jq_ stranger.status)" = 404 ] || fail "another credential continues the session: HTTP $(jq_ stranger.status)"
[ "$(jq_ second.status)" = 201 ] || fail "the session's own credential still can after that"
pass "another credential cannot continue a session (404); its own still can"

mkact 9
client 9 nigar twice nigar
[ "$(jq_ second.status)" = 201 ] && [ "$(jq_ again.status)" = 404 ] || fail "a replayed signature: $(cat "$W/cl.json")"
pass "a signature sent again after the act was made: 404"

client 2 nigar good nigar
[ "$(jq_ first.status)" = 202 ] && [ "$(jq_ second.status)" = 200 ] && [ "$(jq_ second.body.resumed)" = True ] ||
    fail "the same request again: a signature asked again, then 200 (resumed): $(cat "$W/cl.json")"
no_receipt pdf
pass "the same act asked again resumes: 202, then 200 with the same document"
check "the resumed act verifies" "$MOHUR" verify "$W/req2.json.signed.pdf"

expect_code 403 "an auditor cannot send a signature" POST /api/v1/documents/signature -H "$(auth "$AUDITOR")" \
    -H 'Content-Type: application/json' --data-binary '{"session":"00","signature":"AAAA"}'
for i in 1 2 3 4 5; do
    api POST /api/v1/documents/signature -H "$(auth "$SLOW")" -H 'Content-Type: application/json' \
        --data-binary '{"session":"00","signature":"AAAA"}'
    [ "$CODE" = 429 ] && break
done
[ "$CODE" = 429 ] || fail "a credential over its rate: 429 (HTTP $CODE)"
pass "a credential over its rate: 429"
# one credential may have 4 signatures waiting; a fifth waits its turn (503)
for n in 11 12 13 14 15; do
    mkact "$n"
    python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); r["certificate"]=open(sys.argv[2]).read(); print(json.dumps(r))' \
        "$W/req$n.json" "$W/nigar.pem" >"$W/req$n.c.json"
    api POST /api/v1/documents -H "$(auth "$NOTARY2")" -H 'Content-Type: application/json' --data-binary @"$W/req$n.c.json"
    echo "$CODE" >>"$W/five.codes"
done
[ "$(tr '\n' ' ' <"$W/five.codes")" = "202 202 202 202 503 " ] || fail "five sessions of one credential: $(tr '\n' ' ' <"$W/five.codes")"
pass "one credential: four signatures may wait, the fifth is refused (503)"
# the ledger process killed while they wait: the next one voids their entries
LPID=$(child_pid ledger)
kill -KILL "$LPID"
for i in $(seq 100); do
    [ "$(grep -c 'interrupted while its signature was awaited: voided' "$W/mohurd.err")" -ge 4 ] && break
    sleep 0.1
done
[ "$(grep -c 'interrupted while its signature was awaited: voided' "$W/mohurd.err")" -ge 4 ] ||
    fail "the restarted ledger process voids the four interrupted issues"
for i in $(seq 100); do [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/readyz")" = 200 ] && break; sleep 0.1; done
for n in 11 12 13 14; do
    [ "$(status_of "notary/notary-act/$n/2026")" = voided ] || fail "act $n, interrupted, is voided"
done
pass "the ledger process killed while signatures were awaited: the restarted one voided their entries"
expect_code 400 "a certificate that is not base64 or PEM" POST /api/v1/documents -H "$(auth "$NOTARY")" \
    -H 'Content-Type: application/json' --data-binary '{"kind":"notary-act","issuer":"notary","fields":{},"certificate":"!!"}'
expect_code 400 "a signature request without a session" POST /api/v1/documents/signature -H "$(auth "$NOTARY")" \
    -H 'Content-Type: application/json' --data-binary '{"signature":"AAAA"}'
expect_code 400 "a signature of more than 512 bytes" POST /api/v1/documents/signature -H "$(auth "$NOTARY")" \
    -H 'Content-Type: application/json' --data-binary "{\"session\":\"00\",\"signature\":\"$(head -c 600 /dev/zero | base64 -w0)\"}"
expect_code 404 "a session nobody started" POST /api/v1/documents/signature -H "$(auth "$NOTARY")" \
    -H 'Content-Type: application/json' --data-binary "{\"session\":\"$(printf '0%.0s' $(seq 32))\",\"signature\":\"AAAA\"}"
expect_code 401 "no credential" POST /api/v1/documents/signature -H 'Content-Type: application/json' \
    --data-binary '{"session":"00","signature":"AAAA"}'

check "the server matches docs/openapi.yaml (issuing with an external key)" python3 "$SRC/tests/daemon/openapi_check.py" \
    "$SRC/docs/openapi.yaml" "$W/observed" --only /api/v1/documents/signature
stop_mohurd

# ---- the key signs only what it is shown: a mohurd that lies ---------------------
# A fake mohurd on the local socket (fake_mohurd.py) asks the notary's token,
# through `mohur sign --key`, for a signature shaped by a mode. Honest: the
# token signs. Every lie about what is signed: refused before the token
# signs, no signature sent, no file written.
KEYURI="$USB;object=aysel;type=private?pin-source=file:$W/usb.pin"
python3 "$SRC/tests/app/mkpdf.py" "$W/act9.pdf" "Notary act 9/2026" || fail "mkpdf"
printf 'Notary act 10/2026: a text the notary signs detached\n' >"$W/act10.txt"
fake_sign() { # MODE [FILE] -> the exit status of mohur sign; $W/fake.log: the paths asked
    local doc=${2:-$W/act9.pdf}
    : >"$W/fake.log"
    rm -f "$S/mohurd.sock" "$W/act9.signed.pdf" "$W/act9.signed.pdf.p7s"
    setsid python3 "$SRC/tests/daemon/fake_mohurd.py" "$S/mohurd.sock" "$1" "$W/fake.log" &
    local fpid=$! rc=0
    PGS+=("$fpid")
    for _ in $(seq 50); do [ -S "$S/mohurd.sock" ] && break; sleep 0.1; done
    "$MOHUR" sign "$doc" --kind notary-act --issuer notary --key "$KEYURI" \
        --field act=9/2026 --field title="Power of attorney" --field date=2026-12-06 \
        --out "$W/act9.signed.pdf" >"$W/fake.out" 2>"$W/fake.err" || rc=$?
    kill -TERM -- "-$fpid" 2>/dev/null
    wait "$fpid" 2>/dev/null
    rm -f "$S/mohurd.sock"
    return $rc
}
signatures_sent() { grep -c '^/api/v1/documents/signature$' "$W/fake.log"; }
fake_sign honest || { cat "$W/fake.err" >&2; fail "the honest fake: mohur sign --key refused"; }
[ "$(signatures_sent)" = 1 ] && [ -s "$W/act9.signed.pdf" ] || fail "the honest fake: one signature sent, the file written"
pass "shown the document sent with an update appended, the notary's token signs (the fake is honest)"
# each lie and the words that must name it (so it is refused for that
# reason): FILE LABEL SENT PHRASE MODE:WORDS... -> each refused with PHRASE
# and its WORDS, SENT signatures went back, no file written
lies_refused() {
    local doc=$1 label=$2 sent=$3 phrase=$4 lie mode
    shift 4
    for lie in "$@"; do
        mode=${lie%%:*}
        if fake_sign "$mode" "$doc"; then fail "a mohurd that lies ($label$mode): mohur sign --key succeeded"; fi
        grep -q "$phrase" "$W/fake.err" && grep -q "${lie#*:}" "$W/fake.err" ||
            { cat "$W/fake.err" >&2; fail "$label$mode: not refused for its lie (${lie#*:})"; }
        [ "$(signatures_sent)" = "$sent" ] && [ ! -e "$W/act9.signed.pdf" ] && [ ! -e "$W/act9.signed.pdf.p7s" ] ||
            fail "$label$mode: $sent signature(s) expected back, no file written"
        pass "a mohurd that lies ($label$mode): refused, $sent signature(s) made, nothing written (${lie#*:})"
    done
}
lies_refused "$W/act9.pdf" "" 0 "nothing was signed" "blind:did not show what it asks" \
    "other-digest:not that of the signed attributes" "other-doc:name other content" \
    "short:does not start with the whole document" "range:byte range does not cover" \
    "gap:more than hex digits" "backdated:signing time is not now"
fake_sign honest "$W/act10.txt" || { cat "$W/fake.err" >&2; fail "the honest fake, a text file: refused"; }
[ "$(signatures_sent)" = 1 ] && [ -s "$W/act9.signed.pdf.p7s" ] || fail "the honest fake (text): one signature, the .p7s written"
openssl cms -verify -binary -inform DER -in "$W/act9.signed.pdf.p7s" -content "$W/act10.txt" \
    -CAfile "$W/root.pem" -purpose any -out /dev/null 2>"$W/ossl.out" ||
    { cat "$W/ossl.out" >&2; fail "openssl: the token's signature over the attributes shown"; }
pass "shown a detached signature's attributes over the text file sent, the token signs (openssl verifies it)"
lies_refused "$W/act10.txt" "a text file, " 0 "nothing was signed" "other-doc:name other content" \
    "appended:bytes appended to a detached" "range:no PDF signed as one" \
    "backdated:signing time is not now"
# the signature went back, and mohurd returns something else: nothing written
lies_refused "$W/act9.pdf" "" 1 "not the one the key signed" \
    "made-altered:bytes outside the signature differ" "made-unsigned:no signature in it"
lies_refused "$W/act10.txt" "a text file, " 1 "not the one the key signed" "made-other:does not verify"
if fake_sign second; then fail "a second signature for one document was made"; fi
grep -q "second signature" "$W/fake.err" && [ "$(signatures_sent)" = 1 ] ||
    { cat "$W/fake.err" >&2; fail "a second signature for one document: not refused"; }
pass "a mohurd that asks for a second signature for one document: refused"
echo "extkey: $CHECKS checks passed"
