#!/bin/bash
# ca_e2e.sh - `mohur ca ...` end to end through the real binary, with a
# throwaway SoftHSM2 token, and OpenSSL as the independent checker of every
# certificate and CRL mohur writes.

# shellcheck source=tests/cli/lib.sh
. "${MOHUR_SRC:-$(dirname "$0")/../..}/tests/cli/lib.sh"

command -v openssl >/dev/null || { echo "SKIP: openssl not installed" >&2; exit 77; }
command -v python3 >/dev/null || { echo "SKIP: python3 not installed" >&2; exit 77; }

PINF="$W/user.pin"
K() { echo "pkcs11:token=CaTest;object=$1?pin-source=file:$PINF"; }
TOKP="pkcs11:token=CaTest?pin-source=file:$PINF"
ROOT="$W/root"
ISS="$W/issuing"
RROOT="$W/rsaroot"

# ---- help ------------------------------------------------------------------
expect 0 "mohur ca --help" ca --help
for c in init issue revoke crl list; do
    expect 0 "mohur ca $c --help" ca $c --help
    out_has "^Usage: mohur ca $c" "ca $c help has usage"
    out_has "Example" "ca $c help has an example"
done
expect 3 "ca list without a CA" ca list --ca "$W/none"
err_has "mohur ca init" "missing CA says how to make one"

# ---- keys --------------------------------------------------------------------
init_token CaTest
for k in root iss notary seal registry tsa tls azname runame; do
    expect 0 "key $k" key generate --token "$TOKP" --type ec-p256 --label "$k"
done
expect 0 "key rsaroot" key generate --token "$TOKP" --type rsa-2048 --label rsaroot

# ---- CAs -----------------------------------------------------------------------
expect 0 "root CA (EC P-256)" ca init --ca "$ROOT" --key "$(K root)" \
    --subject "CN=Mohur Test Root,O=Mohur,C=AZ" --crl-url http://ca.example.az/root.crl \
    --aia-url http://ca.example.az/root.crt
expect 2 "a second init in the same directory is refused" ca init --ca "$ROOT" \
    --key "$(K root)" --subject "CN=again"
err_has "already holds a CA" "double init explained"
expect 0 "issuing CA under the root" ca init --ca "$ISS" --parent-ca "$ROOT" --key "$(K iss)" \
    --subject "CN=Mohur Test Issuing,O=Mohur,C=AZ" --path-len 0 \
    --permit-dns example.az --permit-email example.az --policy issuing=1.3.6.1.4.1.99999.9 \
    --crl-url http://ca.example.az/issuing.crl --aia-url http://ca.example.az/issuing.crt \
    --policy notary=1.3.6.1.4.1.99999.1
expect 0 "RSA root CA" ca init --ca "$RROOT" --key "$(K rsaroot)" \
    --subject "CN=Mohur RSA Root,O=Mohur,C=AZ" --days 3650

RC_CRT="$ROOT/ca.crt"
IC_CRT="$ISS/ca.crt"
check "root is self-signed and verifies" openssl verify -CAfile "$RC_CRT" "$RC_CRT"
check "issuing CA verifies under root" openssl verify -CAfile "$RC_CRT" "$IC_CRT"
check "RSA root verifies" openssl verify -CAfile "$RROOT/ca.crt" "$RROOT/ca.crt"
openssl x509 -in "$RC_CRT" -noout -text >"$W/root.txt"
check "root: critical CA:TRUE" grep -A1 "Basic Constraints: critical" "$W/root.txt"
check "root: CA:TRUE" grep -q "CA:TRUE" "$W/root.txt"
check "root: keyCertSign, cRLSign (critical)" grep -A1 "Key Usage: critical" "$W/root.txt"
check "root: Certificate Sign, CRL Sign" grep -q "Certificate Sign, CRL Sign" "$W/root.txt"
check "root: SKI" grep -q "Subject Key Identifier" "$W/root.txt"
check_not "root: no EKU" grep -q "Extended Key Usage" "$W/root.txt"
openssl x509 -in "$IC_CRT" -noout -text >"$W/iss.txt"
check "issuing: pathlen:0" grep -q "CA:TRUE, pathlen:0" "$W/iss.txt"
check "issuing: name constraints critical" grep -q "Name Constraints: critical" "$W/iss.txt"
check "issuing: permitted DNS" grep -q "DNS:example.az" "$W/iss.txt"
check "issuing: permitted email" grep -q "email:example.az" "$W/iss.txt"
check "issuing: anyPolicy" grep -q "X509v3 Any Policy" "$W/iss.txt"
check "issuing: root's CRL DP" grep -q "URI:http://ca.example.az/root.crl" "$W/iss.txt"
check "issuing: root's AIA" grep -q "CA Issuers - URI:http://ca.example.az/root.crt" "$W/iss.txt"
check "issuing: AKI = root SKI" bash -c "test \"\$(grep -A1 'Subject Key Identifier' '$W/root.txt' | tail -1 | tr -d ' ')\" = \"\$(grep -A1 'Authority Key Identifier' '$W/iss.txt' | tail -1 | tr -d ' ' | sed 's/^keyid://')\""
check "RSA root signs with sha256WithRSAEncryption" bash -c \
    "openssl x509 -in '$RROOT/ca.crt' -noout -text | grep -q 'sha256WithRSAEncryption'"

# ---- one certificate of every profile -------------------------------------------
openssl ecparam -name prime256v1 -genkey -noout -out "$W/csr.key" 2>/dev/null
openssl req -new -key "$W/csr.key" -subj "/CN=CSR Notary/O=Notariat/C=AZ" \
    -addext "basicConstraints=critical,CA:TRUE" -out "$W/notary.csr" 2>/dev/null
openssl ec -in "$W/csr.key" -pubout -out "$W/reg.pub" 2>/dev/null

expect 0 "notary from a CSR" ca issue --ca "$ISS" --profile notary --csr "$W/notary.csr" \
    --out "$W/notary.crt"
NOTARY_SERIAL=$(cat "$OUT")
expect 0 "seal from a token key" ca issue --ca "$ISS" --profile seal \
    --subject "CN=BDU Seal,O=Bakı Dövlət Universiteti,C=AZ" --pubkey-from "$(K seal)" \
    --out "$W/seal.crt" --json
check "issue --json is valid" python3 -m json.tool "$OUT"
expect 0 "registry from a public key file" ca issue --ca "$ISS" --profile registry \
    --subject "CN=Registry,O=Mohur,C=AZ" --pubkey "$W/reg.pub" --out "$W/registry.crt"
expect 0 "tsa" ca issue --ca "$ISS" --profile tsa --subject "CN=Mohur TSA,O=Mohur,C=AZ" \
    --pubkey-from "$(K tsa)" --out "$W/tsa.crt"
expect 0 "tls" ca issue --ca "$ISS" --profile tls --subject "CN=sign.example.az" \
    --dns sign.example.az --ip 192.0.2.10 --pubkey-from "$(K tls)" --out "$W/tls.crt"
expect 0 "a certificate under the RSA root" ca issue --ca "$RROOT" --profile registry \
    --subject "CN=RSA-signed registry" --pubkey-from "$(K registry)" --out "$W/rsa-ee.crt"
check "RSA-issued certificate verifies" openssl verify -CAfile "$RROOT/ca.crt" "$W/rsa-ee.crt"

for p in notary seal registry tsa tls; do
    check "$p verifies (root + untrusted issuing)" \
        openssl verify -CAfile "$RC_CRT" -untrusted "$IC_CRT" "$W/$p.crt"
    openssl x509 -in "$W/$p.crt" -noout -text >"$W/$p.txt"
    check "$p: critical CA:FALSE" grep -q "CA:FALSE" "$W/$p.txt"
    check "$p: SKI and AKI" grep -q "Authority Key Identifier" "$W/$p.txt"
    check "$p: CRL DP" grep -q "URI:http://ca.example.az/issuing.crl" "$W/$p.txt"
    check "$p: AIA" grep -q "CA Issuers - URI:http://ca.example.az/issuing.crt" "$W/$p.txt"
    check "$p: serial is 16 bytes" bash -c \
        "openssl x509 -in '$W/$p.crt' -noout -serial | grep -Eq '^serial=[4-7][0-9A-F]{31}\$'"
done
check "notary: digitalSignature + nonRepudiation" grep -q "Digital Signature, Non Repudiation" "$W/notary.txt"
check "notary: documentSigning EKU" grep -q "1.3.6.1.5.5.7.3.36" "$W/notary.txt"
check "notary: configured policy" grep -q "Policy: 1.3.6.1.4.1.99999.1" "$W/notary.txt"
check_not "notary: CSR's extensions ignored" grep -q "CA:TRUE" "$W/notary.txt"
check "notary: subject from the CSR" bash -c "openssl x509 -in '$W/notary.crt' -noout -subject -nameopt utf8,sep_comma_plus | grep -q 'CN=CSR Notary,O=Notariat,C=AZ'"
check "seal: digitalSignature + nonRepudiation" grep -q "Digital Signature, Non Repudiation" "$W/seal.txt"
check "seal: default seal policy" grep -q "Policy: 2.25.186651835885251225168219634582827975517.1.2" "$W/seal.txt"
check "registry: digitalSignature only" bash -c "grep -A1 'Key Usage: critical' '$W/registry.txt' | tail -1 | grep -qx ' *Digital Signature'"
check_not "registry: no EKU" grep -q "Extended Key Usage" "$W/registry.txt"
check "tsa: critical timeStamping EKU" grep -A1 "Extended Key Usage: critical" "$W/tsa.txt"
check "tsa: Time Stamping only" bash -c "grep -A1 'Extended Key Usage: critical' '$W/tsa.txt' | tail -1 | grep -qx ' *Time Stamping'"
check "tsa: openssl accepts it for timestamping" openssl verify -purpose timestampsign \
    -CAfile "$RC_CRT" -untrusted "$IC_CRT" "$W/tsa.crt"
check "tls: serverAuth" grep -q "TLS Web Server Authentication" "$W/tls.txt"
check "tls: SAN" grep -q "DNS:sign.example.az, IP Address:192.0.2.10" "$W/tls.txt"
check "tls: openssl accepts it as a server" openssl verify -purpose sslserver \
    -CAfile "$RC_CRT" -untrusted "$IC_CRT" "$W/tls.crt"

# refusals
expect 2 "tls without a DNS name" ca issue --ca "$ISS" --profile tls --subject "CN=x" \
    --pubkey-from "$(K tls)"
err_has "DNS name" "tls without SAN explained"
expect 2 "seal without O=" ca issue --ca "$ISS" --profile seal --subject "CN=x,C=AZ" \
    --pubkey-from "$(K seal)"
err_has "O=" "seal without O explained"
expect 2 "bad DN" ca issue --ca "$ISS" --profile notary --subject "CN=a=b" --pubkey-from "$(K seal)"
expect 2 "unknown profile" ca issue --ca "$ISS" --profile root --subject "CN=x" --pubkey-from "$(K seal)"
# name constraints are enforced by an independent verifier
expect 0 "tls outside the permitted subtree (mohur issues what it is told)" ca issue \
    --ca "$ISS" --profile tls --subject "CN=evil.com" --dns evil.com --pubkey-from "$(K tls)" \
    --out "$W/evil.crt"
check_not "openssl refuses it: name constraints" openssl verify -CAfile "$RC_CRT" \
    -untrusted "$IC_CRT" "$W/evil.crt"

# ---- forged CSR -------------------------------------------------------------------
openssl req -in "$W/notary.csr" -outform DER -out "$W/notary.csr.der" 2>/dev/null
python3 - "$W/notary.csr.der" "$W/forged.csr" <<'EOF'
import sys
d = bytearray(open(sys.argv[1], "rb").read())
d[-1] ^= 0x01  # the last byte of the signature
open(sys.argv[2], "wb").write(d)
EOF
expect 1 "a forged CSR is refused" ca issue --ca "$ISS" --profile notary --csr "$W/forged.csr" \
    --out "$W/forged.crt"
err_has "forged" "forged CSR explained"
check_not "no certificate written for the forged CSR" test -e "$W/forged.crt"

# ---- Azerbaijani and Cyrillic names --------------------------------------------------
AZ="CN=Əli Həsənov ğıöüşç ƏĞİÖÜŞÇ,O=Ədliyyə Nazirliyi,L=Bakı,C=AZ"
RU="CN=Иван Петрович Сидоров,O=Министерство юстиции,C=RU"
expect 0 "Azerbaijani subject" ca issue --ca "$ISS" --profile notary --subject "$AZ" \
    --pubkey-from "$(K azname)" --out "$W/az.crt"
expect 0 "Cyrillic subject" ca issue --ca "$ISS" --profile notary --subject "$RU" \
    --pubkey-from "$(K runame)" --out "$W/ru.crt"
for n in az ru; do
    want=$([ $n = az ] && echo "$AZ" || echo "$RU")
    got=$(openssl x509 -in "$W/$n.crt" -noout -subject -nameopt utf8,sep_comma_plus | sed 's/^subject=//')
    if [ "$got" = "$want" ]; then pass "$n name round-trips through openssl"; else
        echo "want: $want" >&2; echo "got:  $got" >&2; fail "$n name round-trip"; fi
    check "$n name is UTF8String" bash -c "openssl asn1parse -in '$W/$n.crt' | grep -q UTF8STRING"
done
check "C is PrintableString" bash -c "openssl asn1parse -in '$W/az.crt' | grep -q 'PRINTABLESTRING   :AZ'"

# ---- CRLs and revocation --------------------------------------------------------------
expect 0 "root CRL" ca crl --ca "$ROOT" --out "$W/root.crl"
expect 0 "issuing CRL (empty)" ca crl --ca "$ISS" --out "$W/iss.crl"
openssl crl -in "$W/iss.crl" -noout -text >"$W/crl1.txt"
check "CRL v2" grep -q "Version 2" "$W/crl1.txt"
check "empty CRL has no entries" grep -q "No Revoked Certificates" "$W/crl1.txt"
check "CRL number 1" grep -A1 "CRL Number" "$W/crl1.txt"
check "CRL signed by the issuing CA" openssl crl -in "$W/iss.crl" -noout -CAfile "$IC_CRT"
cat "$W/root.crl" "$W/iss.crl" >"$W/crls.pem"
for p in notary seal registry tsa tls; do
    check "$p passes -crl_check_all" openssl verify -crl_check_all -CAfile "$RC_CRT" \
        -untrusted "$IC_CRT" -CRLfile "$W/crls.pem" "$W/$p.crt"
done

expect 0 "revoke the notary" ca revoke "$NOTARY_SERIAL" --reason keyCompromise --ca "$ISS"
expect 3 "revoking it again is refused" ca revoke "$NOTARY_SERIAL" --reason superseded --ca "$ISS"
err_has "already revoked" "double revoke explained"
expect 3 "revoking an unknown serial is refused" ca revoke 4000000000000000000000000000AB01 \
    --reason keyCompromise --ca "$ISS"
err_has "never issued" "unknown serial explained"
expect 2 "unknown reason" ca revoke "$NOTARY_SERIAL" --reason removeFromCRL --ca "$ISS"
SEAL_SERIAL=$(openssl x509 -in "$W/seal.crt" -noout -serial | sed 's/serial=//')
expect 0 "revoke the seal (unspecified)" ca revoke "$SEAL_SERIAL" --reason unspecified --ca "$ISS"
expect 0 "issuing CRL with two entries" ca crl --ca "$ISS" --out "$W/iss2.crl" --days 3
openssl crl -in "$W/iss2.crl" -noout -text >"$W/crl2.txt"
check "CRL lists the notary" grep -q "Serial Number: $NOTARY_SERIAL" "$W/crl2.txt"
check "CRL shows the reason" grep -q "Key Compromise" "$W/crl2.txt"
check "unspecified has no reasonCode" bash -c "test \$(grep -c 'CRL Reason Code' '$W/crl2.txt') -eq 1"
check "CRL number 2" bash -c "grep -A1 'CRL Number' '$W/crl2.txt' | tail -1 | grep -qx ' *2'"
check "CRL has AKI" grep -q "Authority Key Identifier" "$W/crl2.txt"
cat "$W/root.crl" "$W/iss2.crl" >"$W/crls2.pem"
run_verify() {
    openssl verify -crl_check -CAfile "$RC_CRT" -untrusted "$IC_CRT" -CRLfile "$W/iss2.crl" "$1"
}
check_not "revoked notary fails -crl_check" run_verify "$W/notary.crt"
run_verify "$W/notary.crt" >"$W/v.out" 2>&1
check "openssl says revoked" grep -q "certificate revoked" "$W/v.out"
check "tsa still passes -crl_check" run_verify "$W/tsa.crt"

# RSA CRL
expect 0 "RSA root CRL" ca crl --ca "$RROOT" --out "$W/rsa.crl"
check "RSA CRL verifies" openssl crl -in "$W/rsa.crl" -noout -CAfile "$RROOT/ca.crt"

# ---- the database survives a restart ----------------------------------------------------
expect 0 "ca list (new process)" ca list --ca "$ISS"
out_has "revoked" "list shows revoked"
out_has "$NOTARY_SERIAL" "list shows the notary's serial"
expect 0 "ca list --json" ca list --ca "$ISS" --json
check "list --json content" python3 - "$OUT" "$NOTARY_SERIAL" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
certs = d["certificates"]
assert len(certs) == 8, len(certs)
by = {c["serial"]: c for c in certs}
n = by[sys.argv[2]]
assert n["status"] == "revoked" and n["reason"] == "keyCompromise", n
assert n["profile"] == "notary"
assert sorted(c["profile"] for c in certs) == sorted(
    ["notary", "seal", "registry", "tsa", "tls", "tls", "notary", "notary"]), certs
assert d["ca"]["next_crl_number"] == 3
assert d["ca"]["kind"] == "issuing"
assert "pin-value" not in d["ca"]["key"]
EOF
expect 0 "root lists the issuing CA it certified" ca list --ca "$ROOT" --json
check "root's list has itself and the issuing CA" python3 -c "
import json,sys; d=json.load(open('$OUT')); p=sorted(c['profile'] for c in d['certificates'])
assert p==['issuing','root'], p"
check "lmdb file exists" test -s "$ISS/db/data.mdb"

# ---- a CA whose token key is missing ------------------------------------------------------
ls "$W/tokens" >"$W/tokens.before"
init_token GoneTok
expect 0 "key on the soon-gone token" key generate \
    --token "pkcs11:token=GoneTok?pin-source=file:$PINF" --type ec-p256 --label gone
expect 0 "CA on the soon-gone token" ca init --ca "$W/gone" \
    --key "pkcs11:token=GoneTok;object=gone?pin-source=file:$PINF" --subject "CN=Gone CA"
GONE_DIR=$(ls "$W/tokens" | grep -vxFf "$W/tokens.before")
[ -n "$GONE_DIR" ] && rm -rf "${W:?}/tokens/$GONE_DIR"
expect 4 "issuing without the CA's token" ca issue --ca "$W/gone" --profile registry \
    --subject "CN=x" --pubkey "$W/reg.pub" --out "$W/x.crt"
err_has "insert the token" "missing token explained"
check_not "no certificate written" test -e "$W/x.crt"
# the key deleted but the token there: a key of another CA given with --key
expect 4 "the wrong key for the CA" ca issue --ca "$ISS" --key "$(K tsa)" --profile registry \
    --subject "CN=x" --pubkey "$W/reg.pub" --out "$W/y.crt"
err_has "not the CA's key" "wrong key explained"
check_not "no certificate written for the wrong key" test -e "$W/y.crt"
expect 4 "a CA key that does not exist" ca crl --ca "$ISS" \
    --key "pkcs11:token=CaTest;object=nosuchkey?pin-source=file:$PINF"
err_has "insert the token" "missing key explained"

echo "ca_e2e: $CHECKS checks passed"
