#!/bin/bash
# app_e2e.sh - the appliance's single-document flows through the real
# `mohur` binary, with independent checkers: pdfsig and qpdf for PDFs,
# openssl cms for .p7s files, zbarimg for every QR (after pdftoppm -r 150
# for the stamp on the page), and the ledger read back with `mohur log info`.
. "$(dirname "$0")/../cli/lib.sh"

for t in pdfsig qpdf pdftoppm zbarimg openssl python3; do
    command -v "$t" >/dev/null || { echo "SKIP: $t is not installed" >&2; exit 77; }
done
: "${P11FAULT:?set P11FAULT to libmh_p11fault.so}"
: "${MKPDF:?set MKPDF to mkpdf.py}"

A="$W/state-a"
B="$W/state-b"
export MOHUR_STATE_DIR="$A"

ledger_size() { # DIR
    "$MOHUR" log info --ledger "$1/ledger" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["size"])'
}
json_get() { # KEY (from $OUT)
    python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$OUT" "$1"
}
qr_of_pdf() { # PDF -> the QR text on page 1
    rm -f "$W"/page-*.png
    # the stamp's page: the last (a verification page, for supplied documents)
    local n
    n=$(pdfinfo "$1" 2>/dev/null | awk '/^Pages:/ {print $2}')
    pdftoppm -r 150 -f "${n:-1}" -l "${n:-1}" -png "$1" "$W/page" &&
        zbarimg -q --raw "$W"/page-*.png 2>/dev/null
}

# ---- init ------------------------------------------------------------------
expect 0 "init sets up a new state directory" init
out_has "set up in" "init says where"
for f in config.json pins/user.pin pins/so.pin certs/root.crt certs/registry.crt certs/root.crl \
    trust/registry.pub softhsm2.conf; do
    [ -s "$A/$f" ] || fail "init made $f"
done
pass "init made the config, PINs, certificates, CRL and trust files"
[ "$(stat -c %a "$A/pins/user.pin")" = 600 ] || fail "the PIN file is mode 600"
pass "the PIN file is mode 600"
check "the root CA is a CA to openssl" openssl x509 -in "$A/certs/root.crt" -noout -text
for i in registry bdu agency notary; do
    check "openssl verifies the $i certificate against the root" \
        openssl verify -CAfile "$A/certs/root.crt" "$A/certs/$i.crt"
done
check "the CRL is signed by the root" openssl crl -inform DER -in "$A/certs/root.crl" \
    -CAfile "$A/certs/root.crt" -noout
grep -q '"registry": "AZ-DEMO"' "$A/config.json" || fail "config.json names the registry"
pass "config.json names the registry"
sum1=$(sha256sum "$A/config.json")
expect 0 "init again changes nothing" init
out_has "nothing was changed" "init again says so"
[ "$sum1" = "$(sha256sum "$A/config.json")" ] || fail "config.json unchanged"
pass "config.json unchanged"
expect 2 "init refuses a different registry" init --registry OTHER
err_has "already set up for registry 'AZ-DEMO'" "init says what exists"
[ "$(ledger_size "$A")" = 0 ] || fail "the new ledger is empty"
pass "the new ledger is empty"

# ---- kinds -----------------------------------------------------------------
expect 0 "kinds lists the kinds" kinds
for k in official-certificate notary-act diploma court-decision labor-contract; do
    grep -q "^$k (code" "$OUT" || fail "kinds lists $k"
done
out_has "Notariat akt" "kinds shows Azerbaijani names"
out_has "Нотариальный акт" "kinds shows Russian names"
expect 0 "kinds --json" kinds --json
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert len(d)==5 and {k["code"] for k in d}=={1,2,3,4,5}' "$OUT" ||
    fail "kinds --json has 5 kinds with codes 1-5"
pass "kinds --json has 5 kinds with codes 1-5"

# ---- a notary act (PDF) ------------------------------------------------------
python3 "$MKPDF" "$W/act.pdf" "Notary act 2024/17"
cat >"$W/act.json" <<'EOF'
{"act": "2024/17", "title": "Etibarnamə", "date": "2024-05-02"}
EOF
expect 0 "sign a notary act (PDF) with the notary's key" sign "$W/act.pdf" --kind notary-act \
    --issuer notary --fields "$W/act.json" --out "$W/act.signed.pdf" --json
URL=$(json_get url)
DOC_ID=$(json_get doc_id)
[ "$DOC_ID" = "notary/notary-act/2024/17" ] || fail "the document id is derived ($DOC_ID)"
pass "the document id is issuer/kind/number"
case "$URL" in HTTPS://VERIFY.MOHUR.TEST/V/*) pass "the receipt is an upper-case URL" ;;
*) fail "the receipt URL ($URL)" ;; esac
check "pdfsig: the signature is valid" sh -c "pdfsig '$W/act.signed.pdf' | grep -q 'Signature is Valid'"
check "pdfsig: it covers the whole document" sh -c "pdfsig '$W/act.signed.pdf' | grep -q 'Total document signed'"
check "qpdf --check passes" qpdf --check "$W/act.signed.pdf"
[ "$(qr_of_pdf "$W/act.signed.pdf")" = "$URL" ] || fail "zbarimg reads the stamp's QR as the receipt URL"
pass "zbarimg reads the stamp's QR (pdftoppm -r 150) as exactly the receipt URL"
cmp -s -n "$(stat -c %s "$W/act.pdf")" "$W/act.pdf" "$W/act.signed.pdf" || fail "incremental update"
pass "the original bytes are kept (incremental update)"
[ "$(ledger_size "$A")" = 1 ] || fail "one ledger entry"
pass "one ledger entry"
pdftotext "$W/act.signed.pdf" - 2>/dev/null | grep -q "Notarius Aynur Məmmədova" ||
    fail "the stamp's caption prints the notary's name with its Azerbaijani letters"
pass "the stamp's caption prints the notary's name with its Azerbaijani letters (embedded font)"
expect 0 "verify the signed act" verify "$W/act.signed.pdf"
out_has "timestamp: " "the PDF signature carries a verified timestamp (PAdES-B-T)"
out_has "^VALID: notary/notary-act/2024/17" "verify says valid first"
out_has "the same bytes the receipt names" "verify checked the original's digest"
out_has "trusted (chains to this registry's root CA, not revoked)" "verify checked the signer's path"
expect 0 "verify the QR text alone" verify --qr "$URL"
out_has "^VALID" "the QR text alone is valid"
out_has "Etibarnamə" "the receipt shows the printed fields"
expect 0 "verify the QR text against the document" verify --qr "$URL" --doc "$W/act.signed.pdf"
expect 0 "verify --json" verify "$W/act.signed.pdf" --json
[ "$(json_get verdict)" = valid ] || fail "verify --json says valid"
pass "verify --json says valid"
# the ETSI report beside the verdict (docs/validation.md); the appliance's
# own root and CRL join the trust store by themselves
expect 0 "verify --trust: the verdict decides, the ETSI report is added" verify \
    "$W/act.signed.pdf" --trust "$A/certs/root.crt"
out_has "^VALID" "the verdict comes first"
out_has "^ETSI EN 319 102-1 validation of .*: TOTAL-PASSED$" "the ETSI report passes"
out_has "with the appliance's root" "the appliance's root is in the trust store"
expect 0 "verify --trust --json" verify "$W/act.signed.pdf" --trust "$A/certs/root.crt" --json
python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); sys.exit(0 if j["verdict"] == "valid" and j["etsi"]["indication"] == "TOTAL-PASSED" and j["etsi"]["signatures"][0]["proof_of_existence"] == "signature-timestamp" else 1)' "$OUT" ||
    fail "JSON: the verdict valid and the ETSI report TOTAL-PASSED, proven by its timestamp"
pass "JSON: the verdict and, under etsi, TOTAL-PASSED proven by the signature timestamp"
# PAdES baseline (ETSI EN 319 142-1): no signing-time attribute in the CMS
# (the time is /M and the timestamp); openssl reads the attributes
python3 - "$W/act.signed.pdf" "$W/act.cms" <<'PY' || fail "extracting the PDF's CMS"
import re, sys
d = open(sys.argv[1], "rb").read()
m = list(re.finditer(rb"/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]", d))[0]
a, b, c, e = map(int, m.groups())
hexs = d[a + b + 1:c - 1].rstrip(b"0")
open(sys.argv[2], "wb").write(bytes.fromhex((hexs + b"0" * (len(hexs) % 2)).decode()))
PY
openssl cms -cmsout -print -inform DER -in "$W/act.cms" >"$W/cms.print" 2>&1 || fail "openssl reads the PDF's CMS"
grep -q "messageDigest" "$W/cms.print" || fail "openssl shows the PDF's signed attributes"
! grep -q "signingTime" "$W/cms.print" || fail "the PDF's CMS carries a signing-time attribute (PAdES forbids it)"
pass "the PDF's CMS has no signing-time attribute (PAdES baseline; openssl reads its attributes)"
expect 0 "signing the same act again resumes" sign "$W/act.pdf" --kind notary-act \
    --issuer notary --fields "$W/act.json" --out "$W/act2.signed.pdf" --json
[ "$(json_get resumed)" = True ] || fail "resumed"
[ "$(ledger_size "$A")" = 1 ] || fail "no second entry"
pass "the same document again: same entry, no new one"
python3 "$MKPDF" "$W/act-other.pdf" "Another act"
run sign "$W/act-other.pdf" --kind notary-act \
    --issuer notary --fields "$W/act.json" --out "$W/x.pdf"
[ "$RC" -ne 0 ] || fail "same id with other contents"
err_has "already issued with other contents" "the same id with other contents is refused"
[ ! -e "$W/x.pdf" ] || fail "nothing written"
pass "nothing written"

# ---- any other file: .p7s + QR files --------------------------------------------
printf 'Rəsmi arayış: %s\n' "$(date)" >"$W/cert.txt"
expect 0 "sign a text file" sign "$W/cert.txt" --kind court-decision --issuer agency \
    --field case=AR-77 --field court="Bakı Apellyasiya Məhkəməsi" --field date=2024-05-03 --json
URL2=$(json_get url)
for f in cert.txt.p7s cert.txt.qr.png cert.txt.qr.svg cert.txt.receipt; do
    [ -s "$W/$f" ] || fail "$f written"
done
pass "the .p7s, the QR as PNG and SVG and the receipt are written"
check "openssl cms -verify accepts the .p7s" openssl cms -verify -binary -inform DER \
    -in "$W/cert.txt.p7s" -content "$W/cert.txt" -CAfile "$A/certs/root.crt" -purpose any \
    -out /dev/null
[ "$(zbarimg -q --raw "$W/cert.txt.qr.png")" = "$URL2" ] || fail "the PNG QR decodes to the URL"
pass "zbarimg reads the PNG QR as exactly the receipt URL"
grep -q '<svg' "$W/cert.txt.qr.svg" || fail "the SVG"
pass "the SVG is an SVG"
expect 0 "verify the file with its .p7s" verify "$W/cert.txt"
out_has "timestamp: " "the .p7s carries a verified timestamp (CAdES-B-T)"
openssl cms -cmsout -print -inform DER -in "$W/cert.txt.p7s" >"$W/p7s.print" 2>&1 ||
    fail "openssl cms -cmsout -print reads the .p7s"
grep -q "id-smime-aa-timeStampToken" "$W/p7s.print" || fail "the .p7s has a signature timestamp"
pass "openssl sees the signature-time-stamp attribute (CAdES-B-T)"
grep -A2 "signingTime" "$W/p7s.print" | grep -q "UTCTIME:.* $(date -u +%Y) GMT" ||
    fail "the .p7s's signing-time is this year's (it was 1970 in PDFs once)"
pass "the .p7s's signing-time attribute is now"
out_has "^VALID: agency/court-decision/AR-77" "the file is valid"
expect 0 "verify --qr-image the PNG" verify --qr-image "$W/cert.txt.qr.png" --doc "$W/cert.txt"
out_has "^VALID" "the scanned PNG is valid"
cp "$W/cert.txt" "$W/cert2.txt"
cp "$W/cert.txt.p7s" "$W/cert2.txt.p7s"
cp "$W/cert.txt.receipt" "$W/cert2.txt.receipt"
printf 'x' >>"$W/cert2.txt"
expect 1 "a changed file does not verify" verify "$W/cert2.txt"
out_has "^ALTERED" "the changed file is altered"

# ---- altered, forged ------------------------------------------------------------
python3 - "$W/act.signed.pdf" "$W/act.altered.pdf" <<'EOF'
import sys
d = bytearray(open(sys.argv[1], "rb").read())
i = d.index(b"Notary act 2024/17")
d[i + 7] = ord("e")   # "act" -> "ect": one byte of the original text
open(sys.argv[2], "wb").write(d)
EOF
expect 1 "one byte changed in the signed PDF" verify "$W/act.altered.pdf"
out_has "^ALTERED" "verify says altered"
expect 1 "the altered PDF against its QR" verify --qr "$URL" --doc "$W/act.altered.pdf"
out_has "^ALTERED" "the QR check says altered too"

MOHUR_STATE_DIR="$B" run init --registry AZ-DEMO
[ "$RC" = 0 ] || fail "a second appliance (untrusted keys)"
pass "a second appliance with its own keys"
python3 "$MKPDF" "$W/fake.pdf" "Notary act 2024/99"
MOHUR_STATE_DIR="$B" run sign "$W/fake.pdf" --kind notary-act --issuer notary \
    --field act=2024/99 --field title=Fake --field date=2024-05-02 --out "$W/fake.signed.pdf" --json
[ "$RC" = 0 ] || fail "signing on the second appliance"
FAKE_URL=$(json_get url)
check "pdfsig accepts its signature (it is well made)" sh -c "pdfsig '$W/fake.signed.pdf' | grep -q 'Signature is Valid'"
expect 1 "a PDF signed by an untrusted key" verify "$W/fake.signed.pdf"
out_has "^FORGED" "verify says forged"
out_has "not from this registry\|does not trust" "verify says it is not from this registry"
expect 1 "trusting the other appliance's root: still FORGED here (a mohur document)" verify \
    "$W/fake.signed.pdf" --trust "$B/certs/root.crt" --crl "$B/certs/root.crl"
out_has "^FORGED" "the verdict decides for a mohur document"
out_has "^ETSI EN 319 102-1 validation of .*: TOTAL-PASSED$" \
    "while the ETSI report says its signature is sound under that root"
expect 0 "verify --etsi: the ETSI report alone decides" verify "$W/fake.signed.pdf" \
    --trust "$B/certs/root.crt" --crl "$B/certs/root.crl" --etsi
expect 1 "a receipt signed by another registry key" verify --qr "$FAKE_URL"
out_has "^FORGED" "the foreign receipt is forged"

# ---- unknown ----------------------------------------------------------------------
# a receipt really signed with this registry's key, for a log index the
# ledger does not have
SOFTHSM2_CONF="$A/softhsm2.conf" run receipt make \
    --key "pkcs11:token=mohur;object=registry?pin-source=file:$A/pins/user.pin" \
    --registry AZ-DEMO --index 999 --kind notary-act --issuer notary --digest-of "$W/act.pdf" \
    --field act=2024/55 --host verify.mohur.test
[ "$RC" = 0 ] || fail "making a receipt the ledger does not know"
UNKNOWN_URL=$(head -1 "$OUT")
expect 8 "a genuine receipt the ledger does not know" verify --qr "$UNKNOWN_URL"
out_has "^UNKNOWN" "verify says unknown"
expect 8 "an unsigned PDF is not a mohur document" verify "$W/act.pdf"
out_has "^NOT SIGNED" "verify says not signed"

# ---- the labor contract: employer, then employee ------------------------------
python3 "$MKPDF" "$W/contract.pdf" "Labor contract 17"
expect 0 "the employer signs the contract" sign "$W/contract.pdf" --kind labor-contract \
    --issuer agency --field number=EM-17 --field employer="Ədliyyə Nazirliyi" \
    --field employee="Həsənova Leyla" --field date=2024-05-04 --out "$W/contract.1.pdf" --json
URL3=$(json_get url)
IDX3=$(json_get log_index)
n3=$(ledger_size "$A")
expect 3 "a co-signature with fields of its own is refused" sign "$W/contract.1.pdf" \
    --kind labor-contract --issuer notary --field number=EM-17 --out "$W/contract.x.pdf"
err_has "fields and id come from the ledger" "the co-signer is told the fields come from the ledger"
expect 0 "the employee co-signs it" sign "$W/contract.1.pdf" --kind labor-contract \
    --issuer notary --out "$W/contract.2.pdf" --json
[ "$(json_get log_index)" = "$IDX3" ] || fail "one ledger entry for both signatures"
[ "$(ledger_size "$A")" = "$n3" ] || fail "no new entry for the co-signature"
pass "one ledger entry (one receipt) for both signatures"
[ "$(pdfsig "$W/contract.2.pdf" | grep -c 'Signature is Valid')" = 2 ] || fail "pdfsig: two valid signatures"
pass "pdfsig: two valid signatures"
check "qpdf --check passes on the co-signed contract" qpdf --check "$W/contract.2.pdf"
[ "$(qr_of_pdf "$W/contract.2.pdf")" = "$URL3" ] || fail "the QR is the employer's receipt"
pass "the page still carries one QR: the receipt"
expect 0 "verify the co-signed contract" verify "$W/contract.2.pdf"
out_has "^VALID" "the co-signed contract is valid"
grep -q "^Signature 2:" "$OUT" || fail "two signatures shown"
pass "verify shows both signatures"

# ---- revoke ----------------------------------------------------------------------
expect 0 "revoke the act" revoke "$DOC_ID" --reason superseded
expect 1 "the revoked act" verify "$W/act.signed.pdf"
out_has "^REVOKED: notary/notary-act/2024/17" "verify says revoked"
out_has "reason: superseded" "with the reason"
out_has "revoked on $(date -u +%Y-%m-%d)" "and the date"
expect 1 "its QR says revoked too" verify --qr "$URL"
out_has "^REVOKED" "the QR is revoked"
run revoke "$DOC_ID" --reason superseded
[ "$RC" -ne 0 ] || fail "revoking twice"
err_has "already revoked" "revoking twice is refused"
run revoke nobody/none/1 --reason superseded
[ "$RC" -ne 0 ] || fail "revoking an unknown id"
err_has "no document 'nobody/none/1'" "revoking an unknown id is refused"
expect 2 "an unknown reason" revoke "$DOC_ID" --reason because

# ---- bad input: nothing written, no ledger entry -----------------------------------
n0=$(ledger_size "$A")
head -c 300 "$W/act.pdf" >"$W/trunc.pdf"
expect 3 "a truncated PDF" sign "$W/trunc.pdf" --kind notary-act --issuer notary \
    --fields "$W/act.json" --out "$W/trunc.signed.pdf"
[ ! -e "$W/trunc.signed.pdf" ] || fail "nothing written for a truncated PDF"
expect 3 "verify a truncated PDF" verify "$W/trunc.pdf"
run sign "$W/act-other.pdf" --kind no-such-kind --issuer notary --out "$W/bad.pdf"
[ "$RC" = 2 ] || fail "a wrong kind: exit $RC"
err_has "no-such-kind" "a wrong kind is named"
expect 3 "a missing field" sign "$W/act-other.pdf" --kind notary-act --issuer notary \
    --field act=2024/18 --field date=2024-05-02 --out "$W/bad.pdf"
err_has "title" "the missing field is named"
run sign "$W/act-other.pdf" --kind court-decision --issuer notary --field case=C-1 \
    --field court="Bakı" --field date=2024-01-01 --out "$W/bad.pdf"
[ "$RC" = 3 ] || fail "policy: exit $RC"
err_has "may not issue documents of kind 'court-decision'" "an issuer outside its kinds is refused"
run sign "$W/act-other.pdf" --kind diploma --issuer bdu --field name=A --field degree=B \
    --field programme=P --field date=2024-01-01 --field number=D1 --out "$W/bad.pdf"
[ "$RC" = 3 ] || fail "a rendered kind supplied: exit $RC"
err_has "made by mohur from its template" "a rendered kind cannot be supplied as a file"
truncate -s 201M "$W/huge.pdf"
expect 3 "an oversized input" sign "$W/huge.pdf" --kind notary-act --issuer notary \
    --fields "$W/act.json" --out "$W/bad.pdf"
err_has "more than mohur accepts" "the size is the reason"
rm -f "$W/huge.pdf"
[ ! -e "$W/bad.pdf" ] || fail "nothing written for bad input"
[ "$(ledger_size "$A")" = "$n0" ] || fail "no ledger entry for bad input"
pass "bad input: nothing written, no ledger entry"

# ---- a wrong PIN ----------------------------------------------------------------------
cp -p "$A/pins/user.pin" "$W/user.pin.good"
pin_file "$A/pins/user.pin" 00000000
python3 "$MKPDF" "$W/act3.pdf" "Notary act 2024/30"
expect 5 "a wrong PIN file" sign "$W/act3.pdf" --kind notary-act --issuer notary \
    --field act=2024/30 --field title=T --field date=2024-05-02 --out "$W/act3.signed.pdf"
err_has "PIN" "the error is about the PIN"
[ ! -e "$W/act3.signed.pdf" ] || fail "no output with a wrong PIN"
[ "$(ledger_size "$A")" = "$n0" ] || fail "no ledger entry with a wrong PIN"
pass "a wrong PIN: no output, no ledger entry"
cp -p "$W/user.pin.good" "$A/pins/user.pin"

# ---- the token pulled out mid-signing (p11fault) -----------------------------------------
cp "$A/config.json" "$W/config.good"
python3 - "$A/config.json" "$P11FAULT" <<'EOF'
import json, sys
c = json.load(open(sys.argv[1]))
c["token"]["module"] = sys.argv[2]
json.dump(c, open(sys.argv[1], "w"), indent=2)
EOF
export MOHUR_MODULE_DIRS="$(dirname "$P11FAULT"):/usr/lib"
export MH_P11FAULT_CONF="$W/fault.conf" MH_P11FAULT_LOG="$W/fault.log"
# the receipt is signed (C_Sign 1), then the document's signature fails
echo "fail C_Sign CKR_DEVICE_REMOVED after=1" >"$W/fault.conf"
n1=$(ledger_size "$A")
expect 4 "the token is removed while signing" sign "$W/act3.pdf" --kind notary-act \
    --issuer notary --field act=2024/30 --field title=T --field date=2024-05-02 \
    --out "$W/act3.signed.pdf"
err_has "voided" "the error says the document was voided"
[ ! -e "$W/act3.signed.pdf" ] || fail "no output file"
ls "$W"/act3.signed.pdf.tmp.* >/dev/null 2>&1 && fail "no temp file left"
pass "no output file, no temp file"
[ "$(ledger_size "$A")" = $((n1 + 2)) ] || fail "an issue entry and its void entry"
pass "the ledger has the entry and its void entry"
VOID_URL=$(grep -o 'HTTPS://[A-Z0-9./:]*' "$ERR" | head -1)
[ -n "$VOID_URL" ] || fail "the void receipt is named"
unset MH_P11FAULT_CONF MH_P11FAULT_LOG MOHUR_MODULE_DIRS
cp "$W/config.good" "$A/config.json"
expect 1 "the voided document's receipt" verify --qr "$VOID_URL"
out_has "^VOIDED" "verify says voided"
# the number stays the printed one: the voided attempt is a ledger fact, and
# the same number is issued again, as the document in circulation
expect 0 "the voided act is signed again under its own number" sign "$W/act3.pdf" \
    --kind notary-act --issuer notary --field act=2024/30 --field title=T \
    --field date=2024-05-02 --out "$W/act3.signed.pdf" --json
[ "$(json_get doc_id)" = "notary/notary-act/2024/30" ] || fail "the id is the printed number"
pass "the id is the printed number, without a suffix"
expect 0 "the re-made act verifies" verify "$W/act3.signed.pdf"
out_has "^VALID: notary/notary-act/2024/30" "valid under its own number"
expect 1 "the voided attempt's receipt stays voided" verify --qr "$VOID_URL"
out_has "^VOIDED" "verify says voided"
expect 0 "revoke by the printed number" revoke notary/notary-act/2024/30 --reason superseded
expect 1 "the act in circulation is the one revoked" verify "$W/act3.signed.pdf"
out_has "^REVOKED: notary/notary-act/2024/30" "the act in circulation is revoked"

# a diploma whose QR would exceed its kind's limit (kinds/diploma.json; here
# a copy lowered to version 10): refused before anything is recorded (no
# ledger entry to void, no file)
mkdir -p "$W/kinds"
cp "$MOHUR_SRC"/kinds/*.json "$W/kinds/"
sed -i 's/"max_version": 18/"max_version": 10/' "$W/kinds/diploma.json"
cat >"$W/long.csv" <<'EOF2'
name,degree,programme,date,number
Мирзоева-Гаджиева Александра Константиновна,Магистр международных отношений,X,2026-06-30,LONG-1
EOF2
n2=$(ledger_size "$A")
MOHUR_KINDS_DIR="$W/kinds" run issue --kind diploma --roster "$W/long.csv" \
    --issuer bdu --out "$W/long" --no-progress
[ "$RC" = 1 ] || fail "a diploma whose QR would be too large: exit $RC"
err_has "version 10" "the error says the QR would be too large"
[ "$(ledger_size "$A")" = "$n2" ] || fail "nothing was recorded for it"
pass "nothing was recorded in the ledger for it"
ls "$W"/long/*.pdf >/dev/null 2>&1 && fail "no file for it"
pass "no file was written for it"

echo "app_e2e: $CHECKS checks passed"
