#!/usr/bin/env bash
# api.sh - every route of mohurd's API, good and bad, through the real
# daemon on loopback: status codes and bodies, the authorisation matrix
# (role x route), oversized bodies refused before they are read, slow
# clients, malformed JSON, paths outside the API, rate limits, attribution
# in the ledger, the tiles audited by `mohur log audit`, and at the end the
# server checked against docs/openapi.yaml.
. "$(dirname "$0")/lib.sh"
SRC=${MOHUR_SRC:?}

init_state
conf checkpoint_interval 1
conf timeout 2
conf per_ip_limit 16
conf max_body 2097152
conf max_json 65536
conf threads 4
conf public_rate 2
conf public_host verify.mohur.test

# a witness (cosignature/v1, Ed25519 by openssl), trusted in mohurd.conf
openssl genpkey -algorithm ed25519 -out "$W/wit.pem" 2>/dev/null || fail "witness key"
openssl pkey -in "$W/wit.pem" -pubout -outform DER -out "$W/wit.pub" 2>/dev/null
python3 - "$W" <<'PY'
import base64, hashlib, sys
w = sys.argv[1]
pub = open(w + '/wit.pub', 'rb').read()[-32:]
name = b'witness.example.org'
keyid = hashlib.sha256(name + b'\n' + b'\x04' + pub).digest()[:4]
open(w + '/wit.vkey', 'w').write('%s+%s+%s' % (name.decode(), keyid.hex(), base64.b64encode(b'\x04' + pub).decode()))
PY
conf witness "$(cat "$W/wit.vkey")"

# a notary's certificate whose key stays outside the appliance (extkey.sh)
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$W/ext.key" 2>/dev/null &&
    openssl pkey -in "$W/ext.key" -pubout -out "$W/ext.pub" || fail "openssl genpkey"
"$MOHUR" ca issue --profile notary --subject "CN=External Notary,C=AZ" --pubkey "$W/ext.pub" \
    --key "pkcs11:token=mohur;object=root;type=private?pin-source=file:$MOHUR_STATE_DIR/pins/user.pin" \
    --out "$W/ext.pem" >/dev/null || fail "ca issue (external notary)"
"$MOHUR" issuer add-cert --issuer notary --cert "$W/ext.pem" >/dev/null || fail "issuer add-cert"

ADMIN=$(token admin)
AUDITOR=$(token auditor)
AGENCY=$(token issuer --issuer agency)
AGENCY_CERTS=$(token issuer --issuer agency --kind court-decision)
BDU=$(token issuer --issuer bdu)
NOTARY=$(token notary --issuer notary)
SLOW=$(token auditor --rate 2)
REVOKED=$(token auditor)
REVOKED_ID=$(echo "$REVOKED" | cut -d_ -f2)
"$MOHUR" api-token revoke "$REVOKED_ID" >/dev/null || fail "api-token revoke"
"$MOHUR" api-token list >"$W/list" || fail "api-token list"
grep -q "REVOKED" "$W/list" && ! grep -q "mht_" "$W/list" && pass "api-token list shows the revoked one and no secret"
grep -q "$(echo "$ADMIN" | cut -d_ -f3)" "$MOHUR_STATE_DIR/api-tokens.json" && fail "a token's secret is stored"
pass "tokens are stored hashed only"

start_mohurd
H="http://127.0.0.1:$PORT"

# ---- public routes --------------------------------------------------------
expect_code 200 "healthz" GET /healthz
expect_code 200 "readyz" GET /readyz
[ "$(jget ready)" = true ] || fail "readyz says ready"
expect_code 404 "no checkpoint before the first entry" GET /checkpoint
expect_code 404 "no checkpoint in the API either" GET /api/v1/log/checkpoint
expect_code 404 "no tile yet" GET /tile/0/000
expect_code 404 "a path outside the API" GET /etc/passwd
expect_code 404 "a path outside the API (v2)" GET /api/v2/documents
expect_code 404 "a traversal" GET "/tile/../../pins/user.pin" --path-as-is
expect_code 405 "a wrong method" POST /healthz
expect_code 405 "DELETE is not a method of the API" DELETE /api/v1/documents
expect_code 400 "a receipt that is not base32" GET /V/not-a-receipt
check "431 for a 40 KB header" python3 "$SRC/tests/daemon/rawhttp.py" bigheader "$PORT"

# ---- authentication -------------------------------------------------------------
expect_code 401 "whoami without a token" GET /api/v1/whoami
grep -q "Bearer" <(curl -s -D - -o /dev/null "$H/api/v1/whoami") && pass "401 says WWW-Authenticate: Bearer"
expect_code 401 "a token never issued" GET /api/v1/whoami -H "$(auth mht_0123456789abcdef_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa)"
expect_code 401 "a revoked token" GET /api/v1/whoami -H "$(auth "$REVOKED")"
expect_code 401 "a token with one letter changed" GET /api/v1/whoami -H "$(auth "${ADMIN%?}x")"
expect_code 401 "Basic is not a scheme of mohurd" GET /api/v1/whoami -H "Authorization: Basic YTpi"
expect_code 200 "whoami as admin" GET /api/v1/whoami -H "$(auth "$ADMIN")"
[ "$(jget role)" = admin ] || fail "whoami says admin"
expect_code 200 "whoami as an issuer" GET /api/v1/whoami -H "$(auth "$AGENCY")"
[ "$(jget issuer)" = agency ] || fail "whoami says issuer agency"
CODE=$(curl -s -o "$BODY" -w '%{http_code}' --unix-socket "$MOHUR_STATE_DIR/mohurd.sock" http://x/api/v1/whoami)
[ "$CODE" = 200 ] && [ "$(jget requester)" = "uid:$(id -u)" ] || fail "the local socket maps root to admin"
pass "the local socket: peer credentials (uid $(id -u)) are admin"

# ---- the authorisation matrix: role x route (403 where the role may not) --------
ISSUE_JSON='{"kind":"official-certificate","issuer":"agency","fields":{"holder":"Əli Həsənov","subject":"No criminal record","statement":"The holder has no criminal record.","date":"2026-12-01","number":"AG-1"}}'
declare -A T=([admin]=$ADMIN [auditor]=$AUDITOR [issuer]=$AGENCY [notary]=$NOTARY)
# route -> roles allowed (the rest get 403)
matrix() {
    local role=$1 tok=$2 want iss=agency
    [ "$role" = notary ] && iss=notary
    for r in "GET /metrics admin,auditor" "GET /api/v1/whoami admin,auditor,issuer,notary" \
        "POST /api/v1/documents admin,issuer,notary" "POST /api/v1/batches admin,issuer" \
        "GET /api/v1/batches/999 admin,auditor,issuer" "POST /api/v1/verify admin,auditor,issuer,notary" \
        "POST /api/v1/documents/$iss/some-kind/NONE/revoke admin,issuer,notary" \
        "POST /api/v1/cosign/prepare admin,issuer,notary" "POST /api/v1/cosign/embed admin,issuer,notary"; do
        set -- $r
        case ",$3," in *",$role,"*) want=allowed ;; *) want=403 ;; esac
        if [ "$1" = POST ]; then
            api "$1" "$2" -H "$(auth "$tok")" -H 'Content-Type: application/json' --data-binary '{}'
        else
            api "$1" "$2" -H "$(auth "$tok")"
        fi
        if [ "$want" = 403 ]; then
            [ "$CODE" = 403 ] || fail "matrix: $role on $1 $2 got $CODE, expected 403"
        else
            case $CODE in 401 | 403) fail "matrix: $role on $1 $2 got $CODE, expected to pass auth" ;; esac
        fi
    done
    pass "authorisation matrix: role $role"
}
for role in admin auditor issuer notary; do matrix "$role" "${T[$role]}"; done
expect_code 200 "metrics as auditor" GET /metrics -H "$(auth "$AUDITOR")"
body_has "mohurd_http_requests_total" "metrics: request counters"
body_has "mohurd_token_present 1" "metrics: the token is present"
expect_code 403 "metrics as an issuer" GET /metrics -H "$(auth "$AGENCY")"
expect_code 401 "metrics without a token" GET /metrics

# ---- issuing ------------------------------------------------------------------------
expect_code 401 "issue without a token" POST /api/v1/documents -H 'Content-Type: application/json' --data-binary "$ISSUE_JSON"
expect_code 403 "issue as an auditor" POST /api/v1/documents -H "$(auth "$AUDITOR")" --data-binary "$ISSUE_JSON"
expect_code 403 "issue as another issuer" POST /api/v1/documents -H "$(auth "$BDU")" --data-binary "$ISSUE_JSON"
expect_code 403 "issue a kind the credential may not" POST /api/v1/documents -H "$(auth "$AGENCY_CERTS")" --data-binary "$ISSUE_JSON"
expect_code 400 "malformed JSON" POST /api/v1/documents -H "$(auth "$AGENCY")" --data-binary '{"kind": "official-cert'
expect_code 400 "JSON that is not an object" POST /api/v1/documents -H "$(auth "$AGENCY")" --data-binary '["kind"]'
expect_code 400 "no kind" POST /api/v1/documents -H "$(auth "$AGENCY")" --data-binary '{"issuer":"agency"}'
expect_code 400 "a field that is not a string" POST /api/v1/documents -H "$(auth "$AGENCY")" --data-binary '{"kind":"official-certificate","fields":{"holder":1}}'
expect_code 400 "a required field missing" POST /api/v1/documents -H "$(auth "$AGENCY")" --data-binary '{"kind":"official-certificate","fields":{"holder":"A"}}'
expect_code 400 "an unknown kind" POST /api/v1/documents -H "$(auth "$AGENCY")" --data-binary '{"kind":"passport","fields":{}}'
expect_code 201 "issue an official certificate as the agency" POST /api/v1/documents -H "$(auth "$AGENCY")" --data-binary "$ISSUE_JSON"
DOC=$(jget doc_id)
URL=$(jget url)
[ "$DOC" = agency/official-certificate/AG-1 ] || fail "the document id is the issuer's number ($DOC)"
python3 -c 'import json,sys,base64; open(sys.argv[2],"wb").write(base64.b64decode(json.load(open(sys.argv[1]))["files"]["pdf"]))' "$BODY" "$W/cert.pdf"
check "mohur verify says VALID for what the API issued" "$MOHUR" verify "$W/cert.pdf"
if command -v pdfsig >/dev/null; then
    pdfsig "$W/cert.pdf" >"$W/pdfsig.out" 2>&1
    grep -q "Signature is Valid" "$W/pdfsig.out" && pass "pdfsig: the signature is valid" || fail "pdfsig"
fi
expect_code 200 "the same request again is resumed (200, same document)" POST /api/v1/documents -H "$(auth "$AGENCY")" --data-binary "$ISSUE_JSON"
[ "$(jget resumed)" = true ] && [ "$(jget doc_id)" = "$DOC" ] || fail "resumed, same id"
expect_code 409 "the same number with other contents" POST /api/v1/documents -H "$(auth "$AGENCY")" --data-binary "${ISSUE_JSON/No criminal record/Other}"
# a supplied kind: the notary's act (a PDF), and a court decision (any file: CAdES)
python3 "$SRC/tests/app/mkpdf.py" "$W/act.pdf" "Notary act 17/2026" || fail "mkpdf"
ACT_JSON=$(python3 -c 'import json,base64,sys; print(json.dumps({"kind":"notary-act","fields":{"act":"17/2026","title":"Power of attorney","date":"2026-12-02"},"document":base64.b64encode(open(sys.argv[1],"rb").read()).decode()}))' "$W/act.pdf")
expect_code 201 "a notary signs an act it brings (PDF)" POST /api/v1/documents -H "$(auth "$NOTARY")" --data-binary "$ACT_JSON"
python3 -c 'import json,sys,base64; open(sys.argv[2],"wb").write(base64.b64decode(json.load(open(sys.argv[1]))["files"]["pdf"]))' "$BODY" "$W/act.signed.pdf"
check "the act verifies" "$MOHUR" verify "$W/act.signed.pdf"
echo "decision text" >"$W/decision.txt"
DEC_JSON=$(python3 -c 'import json,base64,sys; print(json.dumps({"kind":"court-decision","issuer":"agency","fields":{"case":"C-9","court":"Baku court","date":"2026-12-03"},"document":base64.b64encode(open(sys.argv[1],"rb").read()).decode()}))' "$W/decision.txt")
expect_code 201 "a court decision (any file: detached CAdES + QR files)" POST /api/v1/documents -H "$(auth "$AGENCY_CERTS")" --data-binary "$DEC_JSON"
python3 - "$BODY" "$W/decision.txt" <<'PY' || fail "the detached outputs"
import json, sys, base64
d = json.load(open(sys.argv[1]))["files"]
for k, ext in (("p7s", ".p7s"), ("qr_png", ".qr.png"), ("qr_svg", ".qr.svg"), ("receipt", ".receipt")):
    open(sys.argv[2] + ext, "wb").write(base64.b64decode(d[k]))
PY
check "the court decision verifies with its .p7s and receipt" "$MOHUR" verify "$W/decision.txt"
if command -v openssl >/dev/null; then
    check "openssl cms accepts the .p7s" openssl cms -verify -binary -inform DER -in "$W/decision.txt.p7s" \
        -content "$W/decision.txt" -CAfile "$MOHUR_STATE_DIR/certs/root.crt" -purpose any -out /dev/null
fi
python3 - "$PORT" "$AGENCY" <<'PY' && pass "413 before the body is read (issue, 100 MB announced)" || fail "413 before reading"
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(("POST /api/v1/documents HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nContent-Length: 104857600\r\n\r\n" % sys.argv[2]).encode())
s.settimeout(5); d = s.recv(200)
sys.exit(0 if d.startswith(b"HTTP/1.1 413") else 1)
PY
head -c 3000000 /dev/zero >"$W/big"
expect_code 413 "issue: a body over max_body" POST /api/v1/documents -H "$(auth "$AGENCY")" -H 'Content-Type: application/json' --data-binary @"$W/big"

# ---- an issuer's key outside the appliance: 202, the digest (extkey.sh does the rest) ----
python3 "$SRC/tests/app/mkpdf.py" "$W/ext.pdf" "Notary act X-1" || fail "mkpdf"
python3 -c 'import base64,json,sys; print(json.dumps({"kind": "notary-act", "issuer": "notary", "fields": {"act": "X-1", "title": "T", "date": "2026-12-06"}, "document": base64.b64encode(open(sys.argv[1],"rb").read()).decode(), "certificate": open(sys.argv[2]).read()}))' \
    "$W/ext.pdf" "$W/ext.pem" >"$W/ext.json"
expect_code 202 "an issue with the notary's key outside the appliance asks for a signature" \
    POST /api/v1/documents -H "$(auth "$NOTARY")" -H 'Content-Type: application/json' --data-binary @"$W/ext.json"
SESS=$(jget session)
[ "$(jget sign.digest_algorithm)" = sha256 ] && [ -n "$SESS" ] || fail "the 202 names a session and a SHA-256 digest"
api POST /api/v1/documents/signature -H "$(auth "$NOTARY")" -H 'Content-Type: application/json' \
    --data-binary "{\"session\":\"$SESS\",\"signature\":\"$(head -c 64 /dev/urandom | base64 -w0)\"}"
[ "$CODE" = 400 ] && [ "$(jget voided)" = true ] || fail "a signature that is not the key's voids the entry (HTTP $CODE)"
pass "a signature that is not the certificate key's: 400, the entry voided"

# ---- the public verification route ------------------------------------------------------
RPATH=${URL#HTTPS://*/}
expect_code 200 "GET /V/<receipt> (JSON)" GET "/$RPATH" -H 'Accept: application/json'
[ "$(jget verdict)" = valid ] || fail "the verdict is valid"
pass "the verdict is valid"
expect_code 200 "GET /V/<receipt> (the page, host/web)" GET "/$RPATH" -H 'Accept-Language: en'
body_has 'class="verdict v-valid"' "the page names the verdict"
body_has "Əli Həsənov" "the HTML shows the printed holder (UTF-8)"
grep -q "Content-Security-Policy: default-src 'none'" <(curl -s -D - -o /dev/null "$H/$RPATH") && pass "the page has its strict CSP" || fail "CSP header"
expect_code 200 "the page's landing page" GET /
expect_code 200 "the offline verifier" GET /offline.html
curl -s -D "$W/ah" -o /dev/null "$H/assets/mohur.css"
ETAG=$(awk 'tolower($1) == "etag:" { print $2 }' "$W/ah" | tr -d '\r')
expect_code 200 "an asset of the page" GET /assets/mohur.css
expect_code 304 "an asset not modified (If-None-Match)" GET /assets/mohur.css -H "If-None-Match: $ETAG"
expect_code 404 "an asset that is not there" GET /assets/nope.css
FORGED=$(python3 -c 'import sys; p=sys.argv[1]; i=len(p)//2; print(p[:i]+("A" if p[i]!="A" else "B")+p[i+1:])' "$RPATH")
expect_code 200 "a receipt with one character changed" GET "/$FORGED?format=json"
case $(jget verdict) in forged | error | not-mohur | unknown) pass "it is not valid ($(jget verdict))" ;; *) fail "a changed receipt is not valid" ;; esac

# ---- status and revoke ---------------------------------------------------------------------
expect_code 200 "status as admin" GET "/api/v1/documents/$DOC" -H "$(auth "$ADMIN")"
[ "$(jget status)" = valid ] || fail "status valid"
expect_code 200 "status as an auditor" GET "/api/v1/documents/$DOC" -H "$(auth "$AUDITOR")"
expect_code 200 "status as its issuer" GET "/api/v1/documents/$DOC" -H "$(auth "$AGENCY")"
expect_code 403 "status as another issuer" GET "/api/v1/documents/$DOC" -H "$(auth "$BDU")"
expect_code 404 "status of an unknown document" GET "/api/v1/documents/agency/official-certificate/NOPE" -H "$(auth "$ADMIN")"
expect_code 401 "status without a token" GET "/api/v1/documents/$DOC"
expect_code 403 "revoke as another issuer" POST "/api/v1/documents/$DOC/revoke" -H "$(auth "$BDU")" --data-binary '{"reason":"superseded"}'
expect_code 400 "revoke with an unknown reason" POST "/api/v1/documents/$DOC/revoke" -H "$(auth "$AGENCY")" --data-binary '{"reason":"boredom"}'
expect_code 400 "revoke with malformed JSON" POST "/api/v1/documents/$DOC/revoke" -H "$(auth "$AGENCY")" --data-binary '{"reason":'
expect_code 401 "revoke without a token" POST "/api/v1/documents/$DOC/revoke" --data-binary '{"reason":"superseded"}'
head -c 70000 /dev/zero | tr '\0' ' ' >"$W/big70k"
expect_code 413 "revoke: a body over max_json" POST "/api/v1/documents/$DOC/revoke" -H "$(auth "$AGENCY")" --data-binary @"$W/big70k"
expect_code 404 "revoke an unknown document" POST "/api/v1/documents/agency/official-certificate/NOPE/revoke" -H "$(auth "$AGENCY")" --data-binary '{"reason":"superseded"}'
expect_code 200 "revoke as its issuer" POST "/api/v1/documents/$DOC/revoke" -H "$(auth "$AGENCY")" --data-binary '{"reason":"superseded"}'
expect_code 409 "revoke twice" POST "/api/v1/documents/$DOC/revoke" -H "$(auth "$ADMIN")" --data-binary '{"reason":"superseded"}'
sleep 1.2 # the public bucket (public_rate 2) fills again after the GETs above
expect_code 200 "GET /V/ after the revocation" GET "/$RPATH?format=json"
[ "$(jget verdict)" = revoked ] || fail "the verdict is revoked now (the cache follows the ledger)"
pass "the verdict is revoked now"

# ---- verify uploads ----------------------------------------------------------------------------
expect_code 200 "verify a PDF upload" POST /api/v1/verify -H "$(auth "$AUDITOR")" -H 'Content-Type: application/pdf' --data-binary @"$W/act.signed.pdf"
[ "$(jget verdict)" = valid ] || fail "the uploaded act is valid"
expect_code 200 "verify a receipt text" POST /api/v1/verify -H "$(auth "$AUDITOR")" -H 'Content-Type: application/json' --data-binary "{\"receipt\":\"$URL\"}"
[ "$(jget verdict)" = revoked ] || fail "the receipt says revoked"
V_JSON=$(python3 -c 'import json,base64,sys; print(json.dumps({"document":base64.b64encode(open(sys.argv[1],"rb").read()).decode(),"signature":base64.b64encode(open(sys.argv[1]+".p7s","rb").read()).decode(),"receipt":open(sys.argv[1]+".receipt").read().strip()}))' "$W/decision.txt")
expect_code 200 "verify a file + .p7s + receipt" POST /api/v1/verify -H "$(auth "$AUDITOR")" -H 'Content-Type: application/json' --data-binary "$V_JSON"
[ "$(jget verdict)" = valid ] || fail "the court decision with its .p7s is valid"
cp "$W/act.signed.pdf" "$W/altered.pdf"
python3 -c 'import sys; p=sys.argv[1]; d=bytearray(open(p,"rb").read()); i=d.find(b"Notary act"); d[i]=ord("n"); open(p,"wb").write(d)' "$W/altered.pdf"
expect_code 200 "verify an altered PDF" POST /api/v1/verify -H "$(auth "$AUDITOR")" -H 'Content-Type: application/pdf' --data-binary @"$W/altered.pdf"
[ "$(jget verdict)" = altered ] || fail "the altered act is altered ($(jget verdict))"
expect_code 415 "verify: an unknown content type" POST /api/v1/verify -H "$(auth "$AUDITOR")" -H 'Content-Type: text/plain' --data-binary 'x'
expect_code 400 "verify: malformed JSON" POST /api/v1/verify -H "$(auth "$AUDITOR")" -H 'Content-Type: application/json' --data-binary '{"receipt":'
expect_code 401 "verify without a token" POST /api/v1/verify -H 'Content-Type: application/pdf' --data-binary @"$W/act.signed.pdf"
expect_code 413 "verify: a body over max_body" POST /api/v1/verify -H "$(auth "$AUDITOR")" -H 'Content-Type: application/pdf' --data-binary @"$W/big"

# ---- batches --------------------------------------------------------------------------------------
ROSTER=$(python3 -c 'import json,sys; print(json.dumps(open(sys.argv[1]).read()))' "$SRC/samples/graduates.csv")
expect_code 400 "batch: malformed" POST /api/v1/batches -H "$(auth "$BDU")" --data-binary '{"kind":"diploma"}'
expect_code 403 "batch as an auditor" POST /api/v1/batches -H "$(auth "$AUDITOR")" --data-binary "{\"kind\":\"diploma\",\"roster\":$ROSTER}"
expect_code 403 "batch: a token may not choose out_dir" POST /api/v1/batches -H "$(auth "$BDU")" --data-binary "{\"kind\":\"diploma\",\"roster\":$ROSTER,\"out_dir\":\"/tmp\"}"
expect_code 401 "batch without a token" POST /api/v1/batches --data-binary "{\"kind\":\"diploma\",\"roster\":$ROSTER}"
expect_code 413 "batch: a body over max_body" POST /api/v1/batches -H "$(auth "$BDU")" -H 'Content-Type: application/json' --data-binary @"$W/big"
# 1,000 rows: long enough (about 1-3 s) that the second batch meets it running
python3 - "$SRC/samples/graduates.csv" "$W/roster200.csv" <<'PY'
import sys
rows = open(sys.argv[1]).read().splitlines()
out = [rows[0]] + ["Tələbə %d,Bakalavr,Fizika,2026-06-30,BIG-%04d" % (i, i) for i in range(1000)]
open(sys.argv[2], "w").write("\n".join(out) + "\n")
PY
BIG_ROSTER=$(python3 -c 'import json,sys; print(json.dumps(open(sys.argv[1]).read()))' "$W/roster200.csv")
expect_code 202 "batch as the university" POST /api/v1/batches -H "$(auth "$BDU")" --data-binary "{\"kind\":\"diploma\",\"roster\":$BIG_ROSTER}"
BID=$(jget id)
expect_code 409 "a second batch while one runs" POST /api/v1/batches -H "$(auth "$BDU")" --data-binary "{\"kind\":\"diploma\",\"roster\":$ROSTER}"
for i in $(seq 600); do
    api GET "/api/v1/batches/$BID" -H "$(auth "$BDU")"
    [ "$(jget state)" = running ] || break
    sleep 0.2
done
[ "$CODE" = 200 ] && [ "$(jget state)" = done ] && [ "$(jget issued)" = 1000 ] || fail "the batch issued 1000 diplomas"
pass "the batch issued 1000 diplomas ($(jget message))"
EL=$(jget elapsed_ms) PS=$(jget per_second)
D=$((${PS:-0} - 1000 * 1000 / ${EL:-1}))
[ "${EL:-0}" -gt 0 ] && [ "$PS" -gt 0 ] && [ "${D#-}" -le 1 ] || fail "the ended batch says how long it ran (elapsed_ms $EL, per_second $PS)"
pass "the ended batch says how long it ran: $EL ms, $PS diplomas/s"
ls "$MOHUR_STATE_DIR/batches/$BID/out" | grep -c '\.pdf$' | grep -qx 1000 || fail "1000 PDFs in the batch's out_dir"
check "a batch diploma verifies" "$MOHUR" verify "$MOHUR_STATE_DIR/batches/$BID/out/$(ls "$MOHUR_STATE_DIR/batches/$BID/out" | head -n 1)"
expect_code 200 "batch status as an auditor" GET "/api/v1/batches/$BID" -H "$(auth "$AUDITOR")"
expect_code 403 "batch status as a notary" GET "/api/v1/batches/$BID" -H "$(auth "$NOTARY")"
expect_code 404 "an unknown batch" GET "/api/v1/batches/77" -H "$(auth "$BDU")"
expect_code 401 "batch status without a token" GET "/api/v1/batches/$BID"
expect_code 202 "the same roster again (resume: nothing twice)" POST /api/v1/batches -H "$(auth "$BDU")" --data-binary "{\"kind\":\"diploma\",\"roster\":$BIG_ROSTER}"
BID2=$(jget id)
for i in $(seq 300); do
    api GET "/api/v1/batches/$BID2" -H "$(auth "$BDU")"
    [ "$(jget state)" = running ] || break
    sleep 0.2
done
[ "$(jget issued)" = 0 ] && [ "$(jget remade)" = 1000 ] || fail "the second run issued nothing new (issued $(jget issued), remade $(jget remade))"
pass "the same roster again made no new entry"

# ---- the log: checkpoint, proofs, tiles (audited), attribution ---------------------------------------
sleep 2.5
expect_code 200 "the C2SP checkpoint" GET /checkpoint
SIZE=$(sed -n 2p "$BODY")
[ "$SIZE" -ge 204 ] || fail "the checkpoint covers the entries ($SIZE)"
expect_code 200 "the checkpoint in the API" GET /api/v1/log/checkpoint
expect_code 200 "an inclusion proof" GET "/api/v1/log/proof/inclusion?index=0&size=$SIZE"
expect_code 400 "an inclusion proof past the end" GET "/api/v1/log/proof/inclusion?index=$SIZE"
expect_code 400 "an inclusion proof without index" GET "/api/v1/log/proof/inclusion"
expect_code 200 "a consistency proof" GET "/api/v1/log/proof/consistency?from=1&to=$SIZE"
expect_code 400 "a consistency proof from 0" GET "/api/v1/log/proof/consistency?from=0"
T0=/tile/0/000
[ "$SIZE" -lt 256 ] && T0="$T0.p/$SIZE"
expect_code 200 "a level-0 tile ($T0)" GET "$T0"
expect_code 200 "an entry bundle" GET "${T0/tile\/0/tile/entries}"
expect_code 404 "a tile that is not there" GET /tile/5/000
check "mohur log audit: the served tiles are the ledger" "$MOHUR" log audit "$H" --state "$W/audit.state"
# a witness cosigns the latest checkpoint (C2SP tlog-cosignature) through the API
curl -s "$H/api/v1/log/checkpoint" -o "$W/ck.latest"
python3 - "$W" <<'PY' || fail "the witness's message"
import base64, hashlib, struct, sys
w = sys.argv[1]
pub = open(w + '/wit.pub', 'rb').read()[-32:]
name = b'witness.example.org'
keyid = hashlib.sha256(name + b'\n' + b'\x04' + pub).digest()[:4]
body = open(w + '/ck.latest', 'rb').read().split(b'\n\n', 1)[0] + b'\n'
t = 1767225600
open(w + '/wit.msg', 'wb').write(b'cosignature/v1\ntime %d\n' % t + body)
open(w + '/wit.meta', 'wb').write(name + b' ' + base64.b64encode(keyid + struct.pack('>Q', t)))
PY
openssl pkeyutl -sign -rawin -inkey "$W/wit.pem" -in "$W/wit.msg" -out "$W/wit.sig" || fail "the witness signs"
python3 - "$W" <<'PY'
import base64, sys
w = sys.argv[1]
name, pre = open(w + '/wit.meta', 'rb').read().split(b' ')
sig = base64.b64decode(pre) + open(w + '/wit.sig', 'rb').read()
open(w + '/wit.line', 'wb').write('\u2014 '.encode() + name + b' ' + base64.b64encode(sig) + b'\n')
raw = bytearray(sig); raw[-10] ^= 1
open(w + '/wit.bad', 'wb').write('\u2014 '.encode() + name + b' ' + base64.b64encode(bytes(raw)) + b'\n')
PY
expect_code 400 "a forged cosignature (one bit)" POST /api/v1/log/cosignatures -H 'Content-Type: text/plain' --data-binary @"$W/wit.bad"
expect_code 400 "a cosignature line that is not one" POST /api/v1/log/cosignatures -H 'Content-Type: text/plain' --data-binary 'hello'
expect_code 404 "a cosignature of a checkpoint that does not exist" POST "/api/v1/log/cosignatures?seq=99999" -H 'Content-Type: text/plain' --data-binary @"$W/wit.line"
expect_code 413 "a cosignature body over max_json" POST /api/v1/log/cosignatures -H 'Content-Type: text/plain' --data-binary @"$W/big70k"
expect_code 201 "the witness's cosignature is verified and stored" POST /api/v1/log/cosignatures -H 'Content-Type: text/plain' --data-binary @"$W/wit.line"
expect_code 409 "the same cosignature twice" POST /api/v1/log/cosignatures -H 'Content-Type: text/plain' --data-binary @"$W/wit.line"
expect_code 200 "the checkpoint with its cosignature" GET /api/v1/log/checkpoint
body_has "witness.example.org" "the served checkpoint carries the witness's line"
"$LEDGER_WHO" "$MOHUR_STATE_DIR/ledger" >"$W/who" || fail "ledger_who"
AGENCY_ID=$(echo "$AGENCY" | cut -d_ -f2)
BDU_ID=$(echo "$BDU" | cut -d_ -f2)
grep -q "^0 issue agency/official-certificate/AG-1 token:$AGENCY_ID$" "$W/who" || fail "the issue entry names the agency's token"
grep -q " revoke agency/official-certificate/AG-1 token:$AGENCY_ID$" "$W/who" || fail "the revoke entry names who revoked"
[ "$(grep -c " issue bdu/diploma/BIG-.* token:$BDU_ID$" "$W/who")" = 1000 ] || fail "every batch entry names the university's token"
pass "every write is attributed in its ledger entry (issue, revoke, batch)"

# ---- rate limits, slow clients, connection limits --------------------------------------------------------
codes=""
for i in $(seq 10); do
    api GET /api/v1/whoami -H "$(auth "$SLOW")"
    codes="$codes $CODE"
done
case $codes in *429*) pass "a credential over its rate gets 429 ($codes)" ;; *) fail "no 429 for 10 quick requests at rate 2 ($codes)" ;; esac
# every authenticated route limits: a burst from a slow credential meets 429
burst() {
    local tok=$1 method=$2 path=$3 got=""
    for i in $(seq 12); do
        if [ "$method" = POST ]; then
            api "$method" "$path" -H "$(auth "$tok")" -H 'Content-Type: application/json' --data-binary '{}'
        else
            api "$method" "$path" -H "$(auth "$tok")"
        fi
        got="$got $CODE"
        [ "$CODE" = 429 ] && break
    done
    case $got in *429*) ;; *) fail "no 429 on $method $path ($got)" ;; esac
    sleep 1.2 # the bucket fills again
}
SLOWISS=$(token issuer --issuer agency --rate 1)
for i in $(seq 50); do api GET /api/v1/whoami -H "$(auth "$SLOWISS")"; [ "$CODE" = 200 ] && break; sleep 0.1; done
burst "$SLOW" GET /metrics
burst "$SLOW" POST /api/v1/verify
burst "$SLOW" GET "/api/v1/documents/$DOC"
burst "$SLOW" GET "/api/v1/batches/$BID"
burst "$SLOWISS" POST /api/v1/documents
burst "$SLOWISS" POST "/api/v1/documents/$DOC/revoke"
burst "$SLOWISS" POST /api/v1/batches
pass "every authenticated route answers 429 over the credential's rate"
# the public route: verdicts not cached are limited per client address
codes=""
python3 -c 'import sys; p=sys.argv[1]
for i in range(12): j=len(p)//3+i; print(p[:j]+("A" if p[j]!="A" else "B")+p[j+1:])' "$RPATH" >"$W/forged.list"
while read -r R2; do
    api GET "/$R2?format=json"
    codes="$codes $CODE"
done <"$W/forged.list"
case $codes in *429*) pass "GET /V/: uncached verifications over public_rate get 429 ($codes)" ;; *) fail "no 429 on the public route ($codes)" ;; esac
sleep 1.2
expect_code 200 "a second later, verifications are allowed again" GET "/$RPATH?format=json"
check "slow clients (slowloris) are closed after the timeout; others are served" python3 "$SRC/tests/daemon/rawhttp.py" slowloris "$PORT" 10 2
check "a body that stalls is closed after the timeout" python3 "$SRC/tests/daemon/rawhttp.py" slowbody "$PORT" 2
check "the per-address connection limit refuses one more" python3 "$SRC/tests/daemon/rawhttp.py" perip "$PORT" 16
check "413 before the body: verify" python3 "$SRC/tests/daemon/rawhttp.py" big "$PORT" /api/v1/verify 500000000 "$AUDITOR"
expect_code 200 "still healthy after all that" GET /healthz

# ---- reload (SIGHUP): a new token works without a restart, no connection dropped -----------------------------
NEWTOK=$(token auditor)
for i in $(seq 50); do
    api GET /api/v1/whoami -H "$(auth "$NEWTOK")"
    [ "$CODE" = 200 ] && break
    sleep 0.1
done
[ "$CODE" = 200 ] || fail "a token made while mohurd runs works after the reload"
pass "api-token create reloads mohurd (SIGHUP): the new token works"
grep -q "msg=\"old front drained\"" "$W/mohurd.err" || sleep 3
grep -q "msg=\"old front drained\"" "$W/mohurd.err" && pass "the old front drained and left" || fail "the old front did not leave"

stop_mohurd
check "the server matches docs/openapi.yaml (co-signing: cosign.sh; external keys: extkey.sh)" python3 "$SRC/tests/daemon/openapi_check.py" "$SRC/docs/openapi.yaml" "$W/observed" --except /api/v1/cosign/,/api/v1/documents/signature
echo "api: all $CHECKS checks passed"
