#!/usr/bin/env bash
# cert_cli.sh - `mohur cert show|verify` end to end against certificates the
# openssl CLI makes (mkcerts.sh), with `openssl verify` as the independent
# checker on the cases both can judge.
set -u
: "${MOHUR:?set MOHUR to the mohur binary}"
command -v openssl >/dev/null || { echo "SKIP: openssl is not installed"; exit 77; }
W=$(mktemp -d "${TMPDIR:-/tmp}/mohur-x509.XXXXXX") || exit 1
trap 'rm -rf "$W"' EXIT
bash "$(dirname "$0")/mkcerts.sh" "$W/pki" || { echo "FAIL: mkcerts.sh"; exit 1; }
cd "$W/pki" || exit 1
export LC_ALL=C.UTF-8
fails=0 checks=0
pass() { checks=$((checks + 1)); echo "ok: $1"; }
fail() { checks=$((checks + 1)); fails=$((fails + 1)); echo "FAIL: $1"; }

# mv_ RC PATTERN WHAT ARGS...: mohur cert verify, exit code and output
mv_() {
    local rc=$1 pat=$2 what=$3
    shift 3
    "$MOHUR" cert verify "$@" >"$W/out" 2>"$W/err"
    local got=$?
    if [ "$got" -ne "$rc" ]; then
        fail "$what: exit $got, expected $rc: $(cat "$W/out" "$W/err")"
    elif ! grep -q -- "$pat" "$W/out"; then
        fail "$what: output lacks '$pat': $(cat "$W/out")"
    else
        pass "$what"
    fi
}
# agree WHAT OPENSSL-ARGS... -- MOHUR-ARGS...: both say valid, or both not
agree() {
    local what=$1
    shift
    local o=() m=()
    while [ "$1" != -- ]; do o+=("$1"); shift; done
    shift
    m=("$@")
    openssl verify "${o[@]}" >/dev/null 2>&1
    local orc=$?
    "$MOHUR" cert verify "${m[@]}" >"$W/out" 2>&1
    local mrc=$?
    if { [ $orc -eq 0 ] && [ $mrc -eq 0 ]; } || { [ $orc -ne 0 ] && [ $mrc -eq 1 ]; }; then
        pass "agrees with openssl verify: $what (openssl $orc, mohur $mrc)"
    else
        fail "disagrees with openssl verify: $what (openssl $orc, mohur $mrc): $(cat "$W/out")"
    fi
}

B=(--ca root.pem --untrusted ca.pem)
mv_ 0 "Valid: CN=Aysel Həsənova -> CN=Good CA -> CN=Möhür Test Root (trusted)" "notary valid" \
    notary.pem "${B[@]}"
mv_ 0 "Valid:" "notary valid with CRLs required" notary.pem "${B[@]}" --crl ca.crl \
    --crl root.crl --require-crl
mv_ 1 "NOT valid: the certificate 'CN=Иван Петров' was revoked on [0-9-]*: keyCompromise" \
    "revoked (Cyrillic name)" ivan.pem "${B[@]}" --crl ca.crl --crl root.crl --require-crl
mv_ 1 "no CRL covers the certificate 'CN=Aysel Həsənova'" "missing CRL when required" \
    notary.pem "${B[@]}" --require-crl
mv_ 1 "NOT valid: the certificate 'CN=Old Notary' expired on 2021-01-01" "expired" \
    expired.pem "${B[@]}"
mv_ 1 "NOT valid: the certificate 'CN=Future Notary' is not valid until 2040-01-01" \
    "not yet valid" future.pem "${B[@]}"
mv_ 0 "Valid:" "expired certificate valid at an earlier time" expired.pem "${B[@]}" \
    --at 2020-06-01T12:00:00Z
mv_ 1 "the intermediate certificate 'CN=Good CA' expired on 2034-01-01" "intermediate expired" \
    notary.pem "${B[@]}" --at 2035-01-01
mv_ 0 "Valid: CN=Möhür TSA" "TSA with critical timeStamping" tsa.pem "${B[@]}" \
    --purpose timestamp
mv_ 1 "must be marked critical (RFC 3161)" "TSA with non-critical EKU" tsa-noncrit.pem \
    "${B[@]}" --purpose timestamp
mv_ 1 "is not a timestamping certificate" "notary is not a TSA" notary.pem "${B[@]}" \
    --purpose timestamp
mv_ 1 "is not for signing documents" "TSA is not a document signer" tsa.pem "${B[@]}"
mv_ 0 "Valid:" "name constraints respected" nc-ok.pem --ca root.pem --untrusted nc-ca.pem
mv_ 1 "breaks the name constraints of 'CN=NC CA': its alternative name 'evil.example.com'" \
    "name constraints broken" nc-bad.pem --ca root.pem --untrusted nc-ca.pem
mv_ 0 "Valid:" "policy 1.2.3.4 required and present" notary.pem "${B[@]}" --policy 1.2.3.4
mv_ 1 "not valid for any of the required certificate policies" "policy 1.2.3.5 absent" \
    notary.pem "${B[@]}" --policy 1.2.3.5
mv_ 1 "no trusted authority issued 'CN=Aysel Həsənova'" "intermediate missing" notary.pem \
    --ca root.pem
mv_ 0 "Valid:" "chain file with several PEM certificates" notary.pem --ca root.pem \
    --untrusted chain.pem
mv_ 1 "NOT valid: no path from .CN=Aysel Həsənova. leads to a trusted root" "wrong root" \
    notary.pem --ca nc-ca.pem --untrusted ca.pem

# DER input and JSON output
openssl x509 -in notary.pem -outform DER -out notary.der
openssl crl -in ca.crl -outform DER -out ca.crl.der
mv_ 0 '"valid":true' "DER input, JSON output" notary.der "${B[@]}" --crl ca.crl.der --json
mv_ 1 '"failed_index":0' "JSON failure" ivan.pem "${B[@]}" --crl ca.crl --json

# a forged certificate: one byte of the signed part changed
python3 - notary.der forged.der <<'PY'
import sys
b = bytearray(open(sys.argv[1], 'rb').read())
i = b.find("Aysel".encode())
b[i] ^= 1
open(sys.argv[2], 'wb').write(b)
PY
mv_ 1 "does not verify with the key of 'CN=Good CA'" "forged certificate" forged.der "${B[@]}"

# the independent checker
agree "notary" -CAfile root.pem -untrusted ca.pem notary.pem -- notary.pem "${B[@]}"
agree "forged" -CAfile root.pem -untrusted ca.pem forged.der -- forged.der "${B[@]}"
agree "expired" -CAfile root.pem -untrusted ca.pem expired.pem -- expired.pem "${B[@]}"
agree "name constraints ok" -CAfile root.pem -untrusted nc-ca.pem nc-ok.pem -- nc-ok.pem \
    --ca root.pem --untrusted nc-ca.pem
agree "name constraints bad" -CAfile root.pem -untrusted nc-ca.pem nc-bad.pem -- nc-bad.pem \
    --ca root.pem --untrusted nc-ca.pem
cat root.crl ca.crl >crls.pem
agree "revoked with -crl_check_all" -crl_check_all -CRLfile crls.pem -CAfile root.pem \
    -untrusted ca.pem ivan.pem -- ivan.pem "${B[@]}" --crl crls.pem --require-crl
agree "good with -crl_check_all" -crl_check_all -CRLfile crls.pem -CAfile root.pem \
    -untrusted ca.pem notary.pem -- notary.pem "${B[@]}" --crl crls.pem --require-crl
agree "no CRL with -crl_check" -crl_check -CAfile root.pem -untrusted ca.pem notary.pem \
    -- notary.pem "${B[@]}" --require-crl

# cert show
if "$MOHUR" cert show notary.pem >"$W/out" 2>&1 &&
    grep -q "Subject:      CN=Aysel Həsənova,O=Notariat,C=AZ" "$W/out" &&
    grep -q "Profile:      document signer" "$W/out" &&
    grep -q "Ext. usage:   documentSigning" "$W/out" &&
    grep -q "CRL at:       URI:http://crl.example.az/ca.crl" "$W/out"; then
    pass "cert show"
else
    fail "cert show: $(cat "$W/out")"
fi
if "$MOHUR" cert show chain.pem --json >"$W/out" 2>&1 &&
    python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert len(d)==2 and d[1]["profile"]=="root CA" and d[0]["path_len"]==0, d' "$W/out"; then
    pass "cert show --json of two certificates"
else
    fail "cert show --json: $(cat "$W/out")"
fi
# hostile input: truncated, empty, random, not a certificate
head -c 200 notary.der >trunc.der
: >empty.der
head -c 300000 /dev/urandom >big.der
for f in trunc.der empty.der big.der ext.cnf; do
    "$MOHUR" cert show "$f" >"$W/out" 2>&1
    rc=$?
    if [ $rc -eq 3 ]; then
        pass "bad input $f: exit 3 ($(head -c 120 "$W/out"))"
    else
        fail "bad input $f: exit $rc: $(cat "$W/out")"
    fi
done
"$MOHUR" cert verify notary.pem --ca root.pem --purpose sideways >"$W/out" 2>&1
[ $? -eq 2 ] && pass "bad --purpose is a usage error" || fail "bad --purpose: $(cat "$W/out")"
"$MOHUR" cert verify notary.pem --ca root.pem --at 2030-13-01 >"$W/out" 2>&1
[ $? -eq 2 ] && pass "bad --at is a usage error" || fail "bad --at: $(cat "$W/out")"

echo "cert_cli: $checks checks, $fails failed"
[ $fails -eq 0 ]
