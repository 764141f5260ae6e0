#!/bin/bash
# etsi_e2e.sh - validating anyone's signatures against a trust store
# (`cms verify`, `pdf verify` and `verify` with --trust; docs/validation.md).
# A foreign PKI is made with openssl at test time (a root, an issuing CA, a
# TSA, signers), with dates in the past where a case needs them; faketime
# moves the clock of the signers, the TSA and the CA for the time cases.
# Each case asserts the ETSI indication, the sub-indication and the exit
# status (0 TOTAL-PASSED, 1 TOTAL-FAILED, 10 INDETERMINATE).

# shellcheck source=tests/cli/lib.sh
. "${MOHUR_SRC:?}/tests/cli/lib.sh"

for t in openssl python3 faketime qpdf; do
    command -v $t >/dev/null || { echo "SKIP: $t is not installed" >&2; exit 77; }
done
PY=python3
$PY -c 'import pikepdf' 2>/dev/null || PY=/usr/bin/python3
$PY -c 'import pikepdf' 2>/dev/null || { echo "SKIP: python3-pikepdf is not installed" >&2; exit 77; }
PADES="$MOHUR_SRC/tests/validate/pades.py"
EDIT="$MOHUR_SRC/tests/validate/cmsedit.py"
# faketime with the ASan runtime (the sanitizer build)
FT=(env "ASAN_OPTIONS=${ASAN_OPTIONS:-}:verify_asan_link_order=0" faketime)

# past OFFSET COMMAND...: runs a command with the clock moved, e.g. '-3 hours'
# ('now': not moved)
past() {
    local off=$1
    shift
    if [ "$off" = now ]; then
        "$@"
    else
        "${FT[@]}" "$off" "$@"
    fi
}
# mohur_at OFFSET ARGS...: mohur with the clock moved (RC, $OUT, $ERR as run)
mohur_at() {
    local off=$1
    shift
    if [ "$off" = now ]; then
        run "$@"
        return
    fi
    "${FT[@]}" "$off" setsid -w "$MOHUR" "$@" </dev/null >"$OUT" 2>"$ERR"
    RC=$?
}
ts_of() { date -u -d "$1" +%Y%m%d%H%M%SZ; }
json() { # json EXPR: evaluates a Python expression over the JSON in $OUT (as j)
    python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$OUT" "$1"
}
# etsi WHAT CODE INDICATION [SUB] MOHUR-ARGS...: runs mohur and checks the
# exit status and the document's indication line
etsi() {
    local what=$1 code=$2 ind=$3 sub=$4
    shift 4
    expect "$code" "$what" "$@"
    local want="$ind"
    [ -n "$sub" ] && want="$ind / $sub"
    grep -q "^ETSI EN 319 102-1 validation of .*: $want\$" "$OUT" ||
        fail "$what: the report does not say $want"
    pass "$what: $want"
}

# ---- a foreign PKI: root -> issuing CA -> signers, TSA -------------------
cd "$W" || exit 1
mkdir -p root/new inter/new
touch root/index.txt inter/index.txt
echo 1000 >root/serial
echo 2000 >inter/serial
echo 01 >root/crlnumber
echo 01 >inter/crlnumber
cat >ca.cnf <<EOF
[ ca ]
default_ca = inter
[ root ]
dir = $W/root
database = \$dir/index.txt
new_certs_dir = \$dir/new
serial = \$dir/serial
crlnumber = \$dir/crlnumber
private_key = $W/root.key
certificate = $W/root.crt
default_md = sha256
policy = any
default_days = 3650
default_crl_days = 30
unique_subject = no
[ inter ]
dir = $W/inter
database = \$dir/index.txt
new_certs_dir = \$dir/new
serial = \$dir/serial
crlnumber = \$dir/crlnumber
private_key = $W/inter.key
certificate = $W/inter.crt
default_md = sha256
policy = any
default_days = 365
default_crl_days = 30
unique_subject = no
[ any ]
commonName = supplied
organizationName = optional
countryName = optional
[ v3_root ]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[ v3_inter ]
basicConstraints = critical,CA:TRUE,pathlen:0
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[ v3_signer ]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,nonRepudiation
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[ v3_enc ]
basicConstraints = critical,CA:FALSE
keyUsage = critical,keyEncipherment
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[ v3_tsa ]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = critical,timeStamping
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[ crl_ext ]
authorityKeyIdentifier = keyid
EOF
START=$(ts_of '-30 days')
key() { openssl ecparam -name prime256v1 -genkey -noout -out "$1.key" 2>/dev/null; }
csr() { openssl req -new -key "$1.key" -subj "$2" -out "$1.csr" 2>/dev/null; }
# issue NAME SUBJECT CA EXT [ENDDATE]
issue() {
    csr "$1" "$2"
    openssl ca -batch -config ca.cnf -name "$3" -in "$1.csr" -out "$1.crt" -extensions "$4" \
        -startdate "$START" ${5:+-enddate "$5"} -notext >"$1.log" 2>&1 ||
        { cat "$1.log" >&2; fail "issuing $1"; }
    openssl x509 -in "$1.crt" -outform DER -out "$1.der"
}
key root
csr root "/CN=Elsewhere Root CA/O=Elsewhere Trust Services/C=XX"
openssl ca -batch -config ca.cnf -name root -selfsign -keyfile root.key -in root.csr \
    -out root.crt -extensions v3_root -startdate "$START" -notext >root.log 2>&1 ||
    { cat root.log >&2; fail "making the root"; }
openssl x509 -in root.crt -outform DER -out root.der
key inter
issue inter "/CN=Elsewhere Issuing CA/O=Elsewhere Trust Services/C=XX" root v3_inter
for n in alice bob carol erin frank; do key $n; done
issue alice "/CN=Alice Aliyeva/C=XX" inter v3_signer
issue bob "/CN=Bob Bayramov/C=XX" inter v3_signer
issue carol "/CN=Carol Cavadova/C=XX" inter v3_signer
issue erin "/CN=Erin Eyvazova/C=XX" inter v3_signer
issue frank "/CN=Frank Fataliyev/C=XX" inter v3_enc
key dave
issue dave "/CN=Dave Davudov/C=XX" inter v3_signer "$(ts_of '-2 days')"
key tsa
issue tsa "/CN=Elsewhere TSA/O=Elsewhere Trust Services/C=XX" inter v3_tsa
cat tsa.crt inter.crt >tsa-chain.pem
# another root nobody here trusts
key other
openssl req -new -x509 -key other.key -subj "/CN=Other Root" -days 30 -out other.crt \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign \
    2>/dev/null || fail "making the other root"
# crls OFFSET: both CAs' CRLs as of that time (root.crl.der, inter.crl.der)
crls() {
    past "$1" openssl ca -batch -config ca.cnf -name root -gencrl -crlexts crl_ext \
        -out root.crl >crl.log 2>&1 &&
        past "$1" openssl ca -batch -config ca.cnf -name inter -gencrl -crlexts crl_ext \
            -out inter.crl >>crl.log 2>&1 || { cat crl.log >&2; fail "making the CRLs"; }
    openssl crl -in root.crl -outform DER -out root.crl.der
    openssl crl -in inter.crl -outform DER -out inter.crl.der
    cat root.crl inter.crl >crls.pem
}
crls '-4 hours'
cp root.crl.der root.crl.old.der
cp inter.crl.der inter.crl.old.der
pass "a foreign PKI: root, issuing CA, signers, a TSA, CRLs"

# an RFC 3161 TSA (openssl ts) for document timestamps
printf '01\n' >tsaserial
cat >ts.cnf <<EOF
[ tsa ]
default_tsa = tsa1
[ tsa1 ]
serial = $W/tsaserial
crypto_device = builtin
signer_digest = sha256
default_policy = 1.2.3.4.1
digests = sha256
accuracy = secs:1
ordering = yes
tsa_name = no
ess_cert_id_chain = no
ess_cert_id_alg = sha256
EOF
# doc_ts OFFSET RANGE TOKEN: a token over the bytes of RANGE made at that time
doc_ts() {
    openssl ts -query -data "$2" -sha256 -cert -no_nonce -out "$W/q.tsq" 2>/dev/null &&
        past "$1" openssl ts -reply -queryfile "$W/q.tsq" -signer tsa.crt -inkey tsa.key \
            -chain inter.crt -config ts.cnf -token_out -out "$3" 2>"$W/ts.err" ||
        { cat "$W/ts.err" >&2; fail "openssl ts: a document timestamp"; }
}
# pades_sign OFFSET IN OUT KEY [cms sign options]: a PAdES signature made at
# that time with a software key (prepare, sign the byte range, embed); the
# CMS carries the issuing CA's certificate
pades_sign() {
    local off=$1 in=$2 out=$3 k=$4
    shift 4
    expect 0 "prepare $(basename "$out")" pdf prepare --in "$in" --out "$out.prep" --invisible
    $PY "$PADES" range "$out.prep" "$out.range" || fail "the byte range of $out"
    mohur_at "$off" cms sign --key-file "$k.key" --cert "$k.crt" --chain inter.crt \
        --in "$out.range" --detached --out "$out.cms" "$@"
    [ "$RC" = 0 ] || fail "signing $(basename "$out") (exit $RC)"
    cp "$out.prep" "$out"
    $PY "$PADES" embed "$out" "$out.cms" || fail "embedding the CMS in $out"
    pass "$(basename "$out") signed by $k"
}
# ltv IN OUT OFFSET [pades.py ltv options]: a DSS and a document timestamp
# made at that time, by another tool, as a later incremental update
ltv() {
    local in=$1 out=$2 off=$3
    shift 3
    $PY "$PADES" ltv "$in" "$out" "$out.range" "$@" || fail "adding the DSS to $in"
    doc_ts "$off" "$out.range" "$out.tok"
    $PY "$PADES" embed "$out" "$out.tok" || fail "embedding the document timestamp"
    check "qpdf --check accepts $(basename "$out")" qpdf --check "$out"
}
$PY "$PADES" mkpdf doc.pdf || fail "making the document"
echo "a contract between Alice and Bob" >doc.txt

# ---- 1. PAdES B-LT made here: TOTAL-PASSED with only the root trusted --------
init_token EtsiTest
PINF="$W/user.pin"
KEY="pkcs11:token=EtsiTest;object=alice?pin-source=file:$PINF"
expect 0 "key generate" key generate --token "pkcs11:token=EtsiTest?pin-source=file:$PINF" \
    --type ec-p256 --label alice
expect 0 "key export" key export --key "$KEY" --out alice-tok.pub.pem
csr alice "/CN=Alice Aliyeva/C=XX"
printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,nonRepudiation\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n' >alice.ext
openssl x509 -req -in alice.csr -CA inter.crt -CAkey inter.key -set_serial 0x5001 -days 30 \
    -force_pubkey alice-tok.pub.pem -extfile alice.ext -out alice-tok.crt 2>/dev/null ||
    fail "issuing the token key's certificate"
expect 0 "mohur pdf sign (PAdES B-B) with a token key" pdf sign --in doc.pdf --out bb.pdf \
    --key "$KEY" --cert alice-tok.crt --caption "Alice Aliyeva" --page 1 --rect 300,40,220,80
etsi "B-B, only the root trusted: the issuing CA is nowhere" 10 INDETERMINATE \
    NO_CERTIFICATE_CHAIN_FOUND pdf verify bb.pdf --trust root.crt
ltv bb.pdf blt.pdf now --certs inter.der root.der --crls root.crl.der inter.crl.der
etsi "B-LT (DSS: chain and CRLs; a document timestamp): only the root trusted" 0 TOTAL-PASSED "" \
    pdf verify blt.pdf --trust root.crt
out_has "later changes: allowed (1 update: DSS 1 document timestamp)" "the DSS and timestamp are allowed"
out_has "proven by a document timestamp" "the signer is validated at the document timestamp's time"
out_has "<- .*CN=Elsewhere Issuing CA" "the path goes through the DSS's issuing CA"
out_has "revocation data: 0 CRLs given, 0 in the signatures, 2 in the DSS" "the DSS's CRLs are used"
expect 0 "B-LT as JSON" pdf verify blt.pdf --trust root.crt --json
[ "$(json 'j["etsi"]["indication"]')" = TOTAL-PASSED ] &&
    [ "$(json 'j["etsi"]["signatures"][0]["proof_of_existence"]')" = document-timestamp ] &&
    [ "$(json 'j["etsi"]["signatures"][1]["kind"]')" = document-timestamp ] &&
    [ "$(json 'j["etsi"]["signatures"][1]["indication"]')" = TOTAL-PASSED ] &&
    [ "$(json 'j["etsi"]["sub_indication"]')" = None ] || fail "the JSON report of the B-LT document"
pass "JSON: TOTAL-PASSED, the document timestamp as proof of existence"
etsi "mohur verify --trust (no appliance here): the report decides" 0 TOTAL-PASSED "" \
    verify blt.pdf --trust root.crt
etsi "mohur verify --etsi" 0 TOTAL-PASSED "" verify blt.pdf --trust root.crt --etsi
mkdir -p trustdir
cp root.crt trustdir/elsewhere.pem
echo "not a certificate" >trustdir/README
etsi "a trust store as a directory (other files skipped)" 0 TOTAL-PASSED "" \
    pdf verify blt.pdf --trust trustdir
printf -- '-----BEGIN CERTIFICATE-----\nMAMCAQE=\n-----END CERTIFICATE-----\n' >broken.pem
cat other.crt broken.pem root.crt >bundle.pem
etsi "a trust store as a bundle of two roots (and a certificate mohur cannot read)" 0 TOTAL-PASSED \
    "" pdf verify blt.pdf --trust bundle.pem
out_has "1 certificate of the trust store could not be read and was skipped" \
    "the unreadable certificate is said"
run pdf verify blt.pdf --trust broken.pem
[ "$RC" = 3 ] || fail "a trust store whose only certificate cannot be read: exit $RC"
err_has "none of its certificates can be read" "a trust store of unreadable certificates is refused"
etsi "no chain: a trust store with another root" 10 INDETERMINATE NO_CERTIFICATE_CHAIN_FOUND \
    pdf verify blt.pdf --trust other.crt
etsi "--trust repeated: the other root and ours" 0 TOTAL-PASSED "" \
    pdf verify blt.pdf --trust other.crt --trust root.crt
ltv bb.pdf blt-nocrl.pdf now --certs inter.der
etsi "a DSS without CRLs: revocation unknown" 10 INDETERMINATE TRY_LATER \
    pdf verify blt-nocrl.pdf --trust root.crt
etsi "... and with the CRLs given (--crl)" 0 TOTAL-PASSED "" \
    pdf verify blt-nocrl.pdf --trust root.crt --crl crls.pem
run pdf verify blt.pdf --trust "$W/nothing.pem"
[ "$RC" = 3 ] || fail "a trust store that is not there: exit $RC"
err_has "cannot be read" "a trust store that is not there is an input error"
run pdf verify blt.pdf --trust doc.txt
[ "$RC" = 3 ] || fail "a trust store with no certificate: exit $RC"
pass "a trust store with no certificate is an input error (exit 3)"
# the document timestamp's own signature broken: TOTAL-FAILED
python3 - blt.pdf blt-badts.pdf <<'PY' || fail "breaking the document timestamp"
import re, sys
d = bytearray(open(sys.argv[1], "rb").read())
m = list(re.finditer(rb"/Contents <([0-9a-fA-F]+)>", d))[-1]
raw = bytes.fromhex(m.group(1).decode())
n = raw[1] & 0x7f
ln = 2 + n + int.from_bytes(raw[2:2 + n], "big") if raw[1] & 0x80 else 2 + raw[1]
raw = bytearray(raw)
raw[ln - 1] ^= 1  # the last byte of the token: its signature
h = raw.hex().encode()
d[m.start(1):m.start(1) + len(h)] = h
open(sys.argv[2], "wb").write(d)
PY
expect 1 "a broken document timestamp fails pdf verify" pdf verify blt-badts.pdf
out_has "the document timestamp does not verify" "its problem is said"
etsi "a broken document timestamp: TOTAL-FAILED" 1 TOTAL-FAILED SIG_CRYPTO_FAILURE \
    pdf verify blt-badts.pdf --trust root.crt

# ---- 2. revocation after and before the document timestamp ------------------
pades_sign '-3 hours' doc.pdf bob.pdf bob
ltv bob.pdf bob-lt.pdf '-2 hours' --certs inter.der --crls root.crl.der inter.crl.der
past '-1 hour' openssl ca -batch -config ca.cnf -name inter -revoke bob.crt \
    -crl_reason keyCompromise >rev.log 2>&1 || { cat rev.log >&2; fail "revoking bob"; }
crls '-30 minutes'
etsi "revoked after the document timestamp: the signature stands" 0 TOTAL-PASSED "" \
    pdf verify bob-lt.pdf --trust root.crt --crl crls.pem
out_has "revocations after that time do not count" "the proof of existence is said"
etsi "the same signature without a document timestamp: revoked, no proof of existence" 10 \
    INDETERMINATE REVOKED_NO_POE pdf verify bob.pdf --trust root.crt --crl crls.pem
out_has "was revoked on" "the revocation date is said"
pades_sign '-3 hours' doc.pdf carol.pdf carol
past '-2 hours' openssl ca -batch -config ca.cnf -name inter -revoke carol.crt \
    -crl_reason keyCompromise >rev.log 2>&1 || { cat rev.log >&2; fail "revoking carol"; }
crls '-100 minutes'
ltv carol.pdf carol-lt.pdf '-1 hour' --certs inter.der --crls root.crl.der inter.crl.der
etsi "revoked before the document timestamp: REVOKED_NO_POE" 10 INDETERMINATE REVOKED_NO_POE \
    pdf verify carol-lt.pdf --trust root.crt
expect 10 "as JSON" pdf verify carol-lt.pdf --trust root.crt --json
[ "$(json 'j["etsi"]["signatures"][0]["sub_indication"]')" = REVOKED_NO_POE ] &&
    [ "$(json 'j["etsi"]["signatures"][1]["indication"]')" = TOTAL-PASSED ] ||
    fail "JSON: the signature REVOKED_NO_POE, the document timestamp valid"
pass "JSON: the signature REVOKED_NO_POE, its document timestamp TOTAL-PASSED"
crls '-1 minute'

# ---- 3. an expired signer, with and without a proof of existence ------------
# dave's certificate expired two days ago; he signed three days ago
crls '-60 hours'
cp crls.pem crls-dave.pem
mohur_at '-3 days' cms sign --key-file dave.key --cert dave.crt --chain inter.crt --in doc.txt \
    --detached --out dave-ts.p7s --tsa-key-file tsa.key --tsa-cert tsa-chain.pem
[ "$RC" = 0 ] || fail "dave signing with a timestamp three days ago"
mohur_at '-3 days' cms sign --key-file dave.key --cert dave.crt --chain inter.crt --in doc.txt \
    --detached --out dave.p7s
[ "$RC" = 0 ] || fail "dave signing three days ago"
etsi "expired signer, with a signature timestamp from when it was valid" 0 TOTAL-PASSED "" \
    cms verify --in dave-ts.p7s --content doc.txt --trust root.crt --crl crls-dave.pem
out_has "proven by its signature timestamp" "validated at the timestamp's time"
etsi "expired signer, no proof of existence" 10 INDETERMINATE OUT_OF_BOUNDS_NO_POE \
    cms verify --in dave.p7s --content doc.txt --trust root.crt --crl crls-dave.pem
out_has "expired on" "the expiry is said"
crls '-1 minute'
etsi "expired signer, only CRLs issued after it expired (which need not list it)" 10 \
    INDETERMINATE TRY_LATER cms verify --in dave-ts.p7s --content doc.txt --trust root.crt \
    --crl crls.pem
out_has "after the signer's certificate .* expired" "the CRL's date is said"
# ... and in a PDF, proven by a document timestamp from before it expired
crls '-60 hours'
pades_sign '-3 days' doc.pdf dave.pdf dave
ltv dave.pdf dave-lt.pdf '-70 hours' --certs inter.der --crls root.crl.der inter.crl.der
etsi "expired signer in a PDF, proven by a document timestamp" 0 TOTAL-PASSED "" \
    pdf verify dave-lt.pdf --trust root.crt
etsi "... and without it" 10 INDETERMINATE OUT_OF_BOUNDS_NO_POE \
    pdf verify dave.pdf --trust root.crt --crl crls-dave.pem
crls '-1 minute'

# ---- 4. openssl-made CMS with the foreign CA; CRLs in the CMS ---------------
openssl cms -sign -binary -in doc.txt -signer erin.crt -inkey erin.key -certfile inter.crt \
    -outform DER -out erin.p7s 2>/dev/null || fail "openssl cms -sign"
etsi "openssl's CMS, the foreign root trusted, CRLs given" 0 TOTAL-PASSED "" \
    cms verify --in erin.p7s --content doc.txt --trust root.crt --crl crls.pem
etsi "... without any CRL: revocation unknown" 10 INDETERMINATE TRY_LATER \
    cms verify --in erin.p7s --content doc.txt --trust root.crt
python3 "$EDIT" add-crls erin.p7s erin-crls.p7s root.crl.der inter.crl.der || fail "adding CRLs"
check "openssl still verifies it" openssl cms -verify -binary -inform DER -in erin-crls.p7s \
    -content doc.txt -CAfile root.crt -purpose any -out /dev/null
etsi "... with its CRLs in the SignedData" 0 TOTAL-PASSED "" \
    cms verify --in erin-crls.p7s --content doc.txt --trust root.crt
out_has "2 in the signatures" "the embedded CRLs are used"
etsi "mohur verify FILE --p7s --trust (no appliance)" 0 TOTAL-PASSED "" \
    verify doc.txt --p7s erin-crls.p7s --trust root.crt
etsi "... against another root: no chain" 10 INDETERMINATE NO_CERTIFICATE_CHAIN_FOUND \
    cms verify --in erin-crls.p7s --content doc.txt --trust other.crt
echo "a contract between Alice and Mallory" >doc2.txt
etsi "... over another file: HASH_FAILURE" 1 TOTAL-FAILED HASH_FAILURE \
    cms verify --in erin-crls.p7s --content doc2.txt --trust root.crt
openssl cms -sign -binary -in doc.txt -signer frank.crt -inkey frank.key -certfile inter.crt \
    -outform DER -out frank.p7s 2>/dev/null || fail "openssl cms -sign (frank)"
etsi "a certificate whose key usage does not allow signing" 10 INDETERMINATE \
    CHAIN_CONSTRAINTS_FAILURE cms verify --in frank.p7s --content doc.txt --trust root.crt \
    --crl crls.pem
# a SHA-1 signature
openssl cms -sign -binary -md sha1 -in doc.txt -signer erin.crt -inkey erin.key \
    -certfile inter.crt -outform DER -out erin-sha1.p7s 2>/dev/null || fail "a SHA-1 CMS"
etsi "SHA-1: refused by policy" 10 INDETERMINATE CRYPTO_CONSTRAINTS_FAILURE \
    cms verify --in erin-sha1.p7s --content doc.txt --trust root.crt --crl crls.pem

# ---- 5. a signature timestamp that does not verify fails the signature -----
expect 0 "CAdES-B-T with a timestamp" cms sign --key-file erin.key --cert erin.crt \
    --chain inter.crt --in doc.txt --detached --out erin-t.p7s --tsa-key-file tsa.key \
    --tsa-cert tsa-chain.pem
etsi "CAdES-B-T: TOTAL-PASSED, proven by its timestamp" 0 TOTAL-PASSED "" \
    cms verify --in erin-t.p7s --content doc.txt --trust root.crt --crl crls.pem
out_has "proven by its signature timestamp" "the timestamp is the proof of existence"
python3 "$EDIT" flip-tst erin-t.p7s erin-badts.p7s || fail "breaking the timestamp"
expect 1 "a bad signature timestamp fails cms verify (it exited 0)" cms verify --in erin-badts.p7s \
    --content doc.txt
out_has "NOT valid" "the signer is not valid"
etsi "a bad signature timestamp: TOTAL-FAILED" 1 TOTAL-FAILED SIG_CRYPTO_FAILURE \
    cms verify --in erin-badts.p7s --content doc.txt --trust root.crt --crl crls.pem
out_has "signature timestamp 1" "the timestamp is named"
# a TSA under the other root, which is not trusted
key tsa2
csr tsa2 "/CN=Unknown TSA"
printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=critical,timeStamping\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n' >tsa2.ext
openssl x509 -req -in tsa2.csr -CA other.crt -CAkey other.key -set_serial 0x7001 -days 30 \
    -extfile tsa2.ext -out tsa2.crt 2>/dev/null || fail "issuing the other TSA"
expect 0 "CAdES-B-T by an unknown TSA" cms sign --key-file erin.key --cert erin.crt \
    --chain inter.crt --in doc.txt --detached --out erin-t2.p7s --tsa-key-file tsa2.key \
    --tsa-cert tsa2.crt
etsi "a timestamp whose authority is not trusted: INDETERMINATE" 10 INDETERMINATE \
    NO_CERTIFICATE_CHAIN_FOUND cms verify --in erin-t2.p7s --content doc.txt --trust root.crt \
    --crl crls.pem
out_has "the timestamp's authority" "the timestamp's authority is named"
# ... and in a PDF (B-T): pdf verify checks signature timestamps too
pades_sign now doc.pdf bt.pdf erin --tsa-key-file tsa.key --tsa-cert tsa-chain.pem
expect 0 "a PAdES B-T signature verifies" pdf verify bt.pdf
etsi "PAdES B-T: TOTAL-PASSED" 0 TOTAL-PASSED "" pdf verify bt.pdf --trust root.crt --crl crls.pem
python3 "$EDIT" flip-tst bt.pdf.cms bt-bad.cms || fail "breaking the PDF's timestamp"
cp bt.pdf.prep bt-badts.pdf
$PY "$PADES" embed bt-badts.pdf bt-bad.cms || fail "embedding"
expect 1 "a PDF whose signature timestamp does not verify fails pdf verify" pdf verify bt-badts.pdf
out_has "its signature timestamp does not verify" "the problem is named"
etsi "... TOTAL-FAILED" 1 TOTAL-FAILED SIG_CRYPTO_FAILURE pdf verify bt-badts.pdf --trust root.crt \
    --crl crls.pem

# ---- 6. what mohur cannot check: INDETERMINATE, never PASSED ---------------
for kind in countersignature archive-v3 unknown; do
    python3 "$EDIT" add-uattr erin-t.p7s "erin-$kind.p7s" $kind || fail "adding a $kind"
    etsi "an unchecked $kind" 10 INDETERMINATE SIG_CONSTRAINTS_FAILURE \
        cms verify --in "erin-$kind.p7s" --content doc.txt --trust root.crt --crl crls.pem
done
out_has "unchecked: an unsigned attribute mohur does not know (1.3.6.1.4.1.99999.1)" \
    "the unknown attribute is named"
run cms verify --in erin-countersignature.p7s --content doc.txt --trust root.crt --crl crls.pem
grep -q "unchecked: a countersignature" "$OUT" || fail "the countersignature is not named"
pass "the countersignature is named as unchecked"
run cms verify --in erin-archive-v3.p7s --content doc.txt --trust root.crt --crl crls.pem --json
[ "$(json 'j["etsi"]["signatures"][0]["unchecked"][0]')" = "an archive timestamp (v3)" ] ||
    fail "JSON: the archive timestamp is listed as unchecked"
pass "JSON lists the archive timestamp as unchecked"

# ---- 7. BER-encoded CMS in a PDF ------------------------------------------
expect 0 "prepare for BER" pdf prepare --in doc.pdf --out ber.prep --invisible
$PY "$PADES" range ber.prep ber.range || fail "the byte range"
openssl cms -sign -binary -in ber.range -signer erin.crt -inkey erin.key -certfile inter.crt \
    -outform DER -out ber-der.cms 2>/dev/null || fail "openssl cms -sign (PDF)"
python3 "$EDIT" ber ber-der.cms ber.cms || fail "making BER"
python3 -c 'import sys; d=open(sys.argv[1],"rb").read(); sys.exit(0 if d[1]==0x80 else 1)' ber.cms ||
    fail "the CMS is not BER (indefinite length)"
check "openssl accepts the BER CMS" openssl cms -verify -binary -inform DER -in ber.cms \
    -content ber.range -CAfile root.crt -purpose any -out /dev/null
cp ber.prep ber.pdf
$PY "$PADES" embed ber.pdf ber.cms || fail "embedding the BER CMS"
expect 0 "a PDF whose /Contents holds BER-encoded CMS verifies" pdf verify ber.pdf
out_has "CMS: BER-encoded (read as its DER form)" "the BER is said"
etsi "BER-encoded CMS in a PDF: TOTAL-PASSED" 0 TOTAL-PASSED "" pdf verify ber.pdf \
    --trust root.crt --crl crls.pem
# the same BER with something after it in /Contents is refused
python3 - ber.cms ber-junk.cms <<'PY' || fail "appending junk"
import sys
d = open(sys.argv[1], "rb").read()
open(sys.argv[2], "wb").write(d + b"\x05\x00")
PY
cp ber.prep ber-junk.pdf
$PY "$PADES" embed ber-junk.pdf ber-junk.cms || fail "embedding"
expect 1 "BER followed by other bytes in /Contents is refused" pdf verify ber-junk.pdf
out_has "bytes after the CMS" "the trailing bytes are named"
# signed attributes must be DER as signed: BER elsewhere is read, but a
# SET OF attributes out of DER order is not made right, and is refused
python3 "$EDIT" swap-sattrs ber-der.cms unsorted.cms &&
    python3 "$EDIT" ber unsorted.cms ber-unsorted.cms || fail "reordering the signed attributes"
cp ber.prep ber-unsorted.pdf
$PY "$PADES" embed ber-unsorted.pdf ber-unsorted.cms || fail "embedding"
etsi "signed attributes out of DER order: FORMAT_FAILURE" 1 TOTAL-FAILED FORMAT_FAILURE \
    pdf verify ber-unsorted.pdf --trust root.crt --crl crls.pem

# a SHA-1 signature in a PDF: refused by policy, and said so
openssl cms -sign -binary -md sha1 -in ber.range -signer erin.crt -inkey erin.key \
    -certfile inter.crt -outform DER -out sha1.cms 2>/dev/null || fail "a SHA-1 CMS for the PDF"
cp ber.prep sha1.pdf
$PY "$PADES" embed sha1.pdf sha1.cms || fail "embedding"
expect 1 "a SHA-1 signature in a PDF does not pass pdf verify" pdf verify sha1.pdf
out_has "refused by policy" "it is said to be refused by policy, not forged"
etsi "... CRYPTO_CONSTRAINTS_FAILURE" 10 INDETERMINATE CRYPTO_CONSTRAINTS_FAILURE \
    pdf verify sha1.pdf --trust root.crt --crl crls.pem

# ---- 8. foreign samples (the shared PDF corpus, pyHanko's) ------------------
CORPUS="${MOHUR_TESTDATA:-$MOHUR_SRC/../shared/testdata}/pdf-corpus"
if [ -d "$CORPUS/pdf" ]; then
    # a real GlobalSign timestamp whose TSTInfo echoes a negative nonce
    expect 0 "a PDF with GlobalSign signature timestamps verifies" \
        pdf verify "$CORPUS/pdf/minimal-signed-twice-both-created.pdf"
    expect 10 "... and its timestamps verify (their TSA is not trusted here)" \
        pdf verify "$CORPUS/pdf/minimal-signed-twice-both-created.pdf" --trust root.crt --json
    [ "$(json 'j["etsi"]["signatures"][0]["timestamps"][0]["sub_indication"]')" = \
        NO_CERTIFICATE_CHAIN_FOUND ] || fail "the GlobalSign timestamp is read and verified"
    pass "the GlobalSign timestamp verifies; only its authority is unknown here"
    # a DSS whose arrays are indirect objects
    expect 10 "pyHanko's B-LTA document with indirect DSS arrays" \
        pdf verify "$CORPUS/pdf/pades-lta-dss-indirect-arrs-test.pdf" \
        --trust "$CORPUS/crypto/testing-ca/root/root.cert.pem" --json
    [ "$(json 'j["etsi"]["revocation_data"]["certs_in_dss"]')" = 5 ] &&
        [ "$(json 'j["etsi"]["revocation_data"]["ocsps_in_dss"]')" = 1 ] ||
        fail "the indirect DSS arrays are read"
    pass "the DSS's indirect arrays are read (5 certificates, 1 OCSP response)"
    expect 1 "a PAdES signature that encloses its content" \
        pdf verify "$CORPUS/pdf/pdf-sig-with-econtent.pdf" --trust root.crt
    out_has "FORMAT_FAILURE" "is FORMAT_FAILURE"
else
    echo "note: $CORPUS is absent; the corpus cases were not run" >&2
fi

echo "done: $CHECKS checks"
