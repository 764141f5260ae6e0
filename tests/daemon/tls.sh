#!/usr/bin/env bash
# tls.sh - HTTPS on the public listener (libmicrohttpd with GnuTLS) with a
# certificate of mohur's tls profile, HSTS, and TLS client certificates from
# mohur's CA mapped to roles (mohur api-token create --cert); checked with
# curl and openssl s_client as independent clients.
. "$(dirname "$0")/lib.sh"
command -v openssl >/dev/null || { echo "SKIP: openssl is not installed" >&2; exit 77; }

init_state
S=$MOHUR_STATE_DIR
K="pkcs11:token=mohur;object=root;type=private?pin-source=file:$S/pins/user.pin"
key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }
key "$W/srv.key"
openssl req -new -key "$W/srv.key" -subj /CN=localhost -out "$W/srv.csr" || fail "server CSR"
"$MOHUR" ca issue --key "$K" --profile tls --csr "$W/srv.csr" --dns localhost --ip 127.0.0.1 \
    --out "$W/srv.crt" >/dev/null || fail "a server certificate of the tls profile"
key "$W/cli.key"
openssl req -new -key "$W/cli.key" -subj "/CN=Test Notary/O=Notariat" -out "$W/cli.csr"
"$MOHUR" ca issue --key "$K" --profile notary --csr "$W/cli.csr" --out "$W/cli.crt" >/dev/null ||
    fail "a client certificate from mohur's CA"
key "$W/other.key"
openssl req -new -key "$W/other.key" -subj "/CN=Unregistered/O=Notariat" -out "$W/other.csr"
"$MOHUR" ca issue --key "$K" --profile notary --csr "$W/other.csr" --out "$W/other.crt" >/dev/null
openssl req -x509 -new -key "$W/other.key" -subj "/CN=Self signed" -days 2 -out "$W/self.crt" 2>/dev/null
"$MOHUR" api-token create --name "notary's certificate" --role notary --issuer notary \
    --cert "$W/cli.crt" >/dev/null || fail "registering the client certificate"
pass "server and client certificates from mohur's CA; the client's registered as a notary"

TPORT=$(free_port)
conf tls_cert "$W/srv.crt"
conf tls_key "$W/srv.key"
start_mohurd --listen "tls:127.0.0.1:$TPORT"
U="https://localhost:$TPORT"
R=(--resolve "localhost:$TPORT:127.0.0.1" --cacert "$S/certs/root.crt")
CODE=$(curl -s "${R[@]}" -D "$W/h" -o "$BODY" -w '%{http_code}' "$U/healthz")
[ "$CODE" = 200 ] || fail "HTTPS /healthz ($CODE)"
pass "HTTPS: curl trusts mohurd's certificate through mohur's root CA"
grep -qi "^Strict-Transport-Security: max-age=31536000" "$W/h" || fail "HSTS on HTTPS"
pass "HSTS on HTTPS"
curl -s -D "$W/h2" -o /dev/null "http://127.0.0.1:$PORT/healthz"
! grep -qi "Strict-Transport-Security" "$W/h2" || fail "no HSTS on plain HTTP"
pass "no HSTS on the plain loopback listener"
echo | openssl s_client -connect "127.0.0.1:$TPORT" -servername localhost -CAfile "$S/certs/root.crt" \
    -verify_return_error >"$W/sc" 2>&1 || { cat "$W/sc" >&2; fail "openssl s_client verifies the chain"; }
grep -q "Verify return code: 0 (ok)" "$W/sc" || fail "s_client: verify ok"
pass "openssl s_client verifies the chain (return code 0)"
CODE=$(curl -s "${R[@]}" -o "$BODY" -w '%{http_code}' --cert "$W/cli.crt" --key "$W/cli.key" "$U/api/v1/whoami")
[ "$CODE" = 200 ] && [ "$(jget role)" = notary ] && [ "$(jget via)" = certificate ] ||
    fail "the registered client certificate is the notary ($CODE)"
pass "a registered client certificate authenticates as its role (notary)"
CODE=$(curl -s "${R[@]}" -o "$BODY" -w '%{http_code}' "$U/api/v1/whoami")
[ "$CODE" = 401 ] || fail "no certificate, no token: 401 ($CODE)"
pass "no client certificate: 401"
CODE=$(curl -s "${R[@]}" -o "$BODY" -w '%{http_code}' --cert "$W/other.crt" --key "$W/other.key" "$U/api/v1/whoami")
[ "$CODE" = 401 ] || fail "a certificate from the CA that is not registered: 401 ($CODE)"
pass "a certificate from mohur's CA that is not registered: 401"
CODE=$(curl -s "${R[@]}" -o "$BODY" -w '%{http_code}' --cert "$W/self.crt" --key "$W/other.key" "$U/api/v1/whoami" || true)
case $CODE in 000 | 401) pass "a self-signed client certificate: refused ($CODE)" ;; *) fail "self-signed client certificate got $CODE" ;; esac
python3 "$MOHUR_SRC/tests/app/mkpdf.py" "$W/act.pdf" "Act over TLS"
ACT_JSON=$(python3 -c 'import json,base64,sys; print(json.dumps({"kind":"notary-act","fields":{"act":"3/2026","title":"Will","date":"2026-12-02"},"document":base64.b64encode(open(sys.argv[1],"rb").read()).decode()}))' "$W/act.pdf")
CODE=$(curl -s "${R[@]}" -o "$BODY" -w '%{http_code}' --cert "$W/cli.crt" --key "$W/cli.key" \
    -H 'Content-Type: application/json' --data-binary "$ACT_JSON" "$U/api/v1/documents")
[ "$CODE" = 201 ] || fail "the notary signs over HTTPS with its certificate ($CODE)"
ID=$(echo "$(jget url)" | sed 's/.*\/V\///')
"$LEDGER_WHO" "$S/ledger" | grep -q " issue notary/notary-act/3/2026 cert:" || fail "attributed to the certificate"
pass "a document issued over HTTPS with a client certificate, attributed to it in the ledger"
CODE=$(curl -s "${R[@]}" -o "$BODY" -w '%{http_code}' "$U/V/$ID?format=json")
[ "$CODE" = 200 ] && [ "$(jget verdict)" = valid ] || fail "GET /V/ over HTTPS"
pass "the public verification route over HTTPS: valid"
stop_mohurd
echo "tls: all $CHECKS checks passed"
