#!/bin/bash
# attacks.sh - every way found to make mohur say VALID wrongly, or to make
# signing or verifying fail open, tried as an attacker would (issue 8;
# docs/trust.md lists them). Each check asserts the exact verdict or exit
# code and the sentence that names the cause. The PDF classes (repainting
# with annotations, signature wrapping, shadow attacks, huge arrays) are in
# the PDF attack tests.
. "$(dirname "$0")/../cli/lib.sh"

for t in pdftoppm pdftotext pdfinfo zbarimg openssl python3 faketime setpriv; do
    command -v "$t" >/dev/null || { echo "SKIP: $t is not installed" >&2; exit 77; }
done
: "${MKPDF:?set MKPDF to mkpdf.py}"
: "${P11FAULT:?set P11FAULT to libmh_p11fault.so}"
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3

S="$W/state"
export MOHUR_STATE_DIR="$S"
PIN="?pin-source=file:$S/pins/user.pin"
ROOTKEY="pkcs11:token=mohur;object=root;type=private$PIN"

json_get() { # KEY (from $OUT)
    $PY -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$OUT" "$1"
}
ledger_size() {
    "$MOHUR" log info --ledger "$S/ledger" --json | $PY -c 'import json,sys; print(json.load(sys.stdin)["size"])'
}
qr_of_pdf() { # PDF -> the QR text on page 1
    rm -f "$W"/page-*.png
    # the stamp's page: the last (a verification page, for supplied documents)
    local n
    n=$(pdfinfo "$1" 2>/dev/null | awk '/^Pages:/ {print $2}')
    pdftoppm -r 150 -f "${n:-1}" -l "${n:-1}" -png "$1" "$W/page" &&
        zbarimg -q --raw "$W"/page-*.png 2>/dev/null
}
serial_of() { # CERT-FILE -> hex serial
    openssl x509 -in "$1" -noout -serial | sed 's/^serial=//'
}

# ---- the appliance and its documents ----------------------------------------
expect 0 "init" init
export SOFTHSM2_CONF="$S/softhsm2.conf" # the appliance's own token store
cat >"$W/grads.csv" <<'EOF'
name,degree,programme,date,number
Əliyeva Aynur Rəşid qızı,Bakalavr,Kompüter elmləri,2026-06-30,BDU-2026-0001
Məmmədov Tural Elçin oğlu,Magistr,Hüquq,2026-06-30,BDU-2026-0002
EOF
expect 0 "issue two diplomas" issue --kind diploma --roster "$W/grads.csv" --issuer bdu \
    --out "$W/dip" --no-progress
DIP="$W/dip/bdu_diploma_BDU-2026-0001.pdf"
DIP_URL=$(qr_of_pdf "$DIP")
[ -n "$DIP_URL" ] || fail "the diploma's QR is read"
expect 0 "the diploma verifies" verify "$DIP"
$PY "$MKPDF" "$W/act.pdf" "Notary act 17/2026"
expect 0 "the notary signs an act" sign "$W/act.pdf" --kind notary-act --issuer notary \
    --field act=17/2026 --field title="Power of attorney" --field date=2026-11-28 \
    --out "$W/act.signed.pdf" --json
ACT_URL=$(json_get url)
# the stamp never hides the act's content: a supplied document gets it on a
# verification page added at the end; the act's own page is untouched
pages() { pdfinfo "$1" | awk '/^Pages:/ {print $2}'; }
[ "$(pages "$W/act.signed.pdf")" = $(($(pages "$W/act.pdf") + 1)) ] || fail "a verification page"
pass "the stamp goes on a verification page added at the end"
[ "$(pdftotext -f 1 -l 1 "$W/act.pdf" -)" = "$(pdftotext -f 1 -l 1 "$W/act.signed.pdf" -)" ] ||
    fail "page 1 unchanged"
pass "the act's own page shows what it showed before signing"
pdftotext -f 2 -l 2 "$W/act.signed.pdf" - | grep -q "Verification page" || fail "the page says what it is"
pass "the verification page says what it is, in three languages"
# a party: its own key on the appliance token, a certificate from the root
expect 0 "a party's key" key generate --token "pkcs11:token=mohur$PIN" --type ec-p256 \
    --label party
expect 0 "the party's certificate" ca issue --profile notary --subject "CN=Rəşad Əliyev,C=AZ" \
    --key "$ROOTKEY" --pubkey-from "pkcs11:token=mohur;object=party$PIN" --out "$W/party.pem"
expect 0 "stored next to its key" key import-cert --key "pkcs11:token=mohur;object=party;type=private$PIN" \
    --cert "$W/party.pem"
PARTY="pkcs11:token=mohur;object=party;type=private$PIN"

# ---- 1. minting receipts by co-signing ---------------------------------------
n0=$(ledger_size)
expect 3 "co-signing a diploma with new fields" sign "$DIP" --kind diploma --issuer notary \
    --field name="Fake Person" --field number=FAKE-1 --out "$W/mint.pdf"
err_has "fields and id come from the ledger" "the fields come from the ledger, not the caller"
expect 3 "co-signing a diploma with another kind" sign "$DIP" --kind notary-act --key "$PARTY" \
    --out "$W/mint.pdf"
err_has "is a Diploma\|not kind 'notary-act'" "another kind is refused"
expect 3 "co-signing a diploma at all (one party)" sign "$DIP" --key "$PARTY" --out "$W/mint.pdf"
err_has "signed by its issuer alone" "a diploma takes no second signature"
[ ! -e "$W/mint.pdf" ] || fail "nothing written"
[ "$(ledger_size)" = "$n0" ] || fail "no ledger entry, no receipt"
pass "no output, no ledger entry, no new receipt"
expect 0 "the genuine diploma's receipt is unchanged" verify --qr "$DIP_URL"
out_has "Əliyeva Aynur" "its fields are the issued ones"

# ---- 2. the issuer policy ------------------------------------------------------
expect 3 "the notary's key signing for the university" sign "$W/act.pdf" --kind notary-act \
    --issuer bdu --key "pkcs11:token=mohur;object=notary;type=private$PIN" \
    --field act=1 --field title=T --field date=2026-01-01 --out "$W/x.pdf"
err_has "not registered for issuer 'bdu'\|may not issue" "the notary's key is not the university's"
expect 3 "a party's key issuing diplomas" issue --kind diploma --roster "$W/grads.csv" \
    --issuer bdu --key "$PARTY" --out "$W/dip-party" --no-progress
err_has "not registered for issuer 'bdu'" "a party's key is not the university's"
expect 3 "the root CA key signing a document" sign "$W/act.pdf" --kind notary-act --issuer notary \
    --key "$ROOTKEY" --field act=2 --field title=T --field date=2026-01-01 --out "$W/x.pdf"
err_has "CA certificate" "a CA key never signs documents"
[ "$(ledger_size)" = "$n0" ] || fail "nothing recorded"
pass "nothing recorded for any of them"
# verify side: the genuine receipt beside a file signed by someone else
printf 'Court decision 7/2026\n' >"$W/dec.txt"
expect 0 "the agency signs a file" sign "$W/dec.txt" --kind court-decision --issuer agency \
    --field case=7/2026 --field court="Bakı" --field date=2026-11-28
expect 0 "it verifies" verify "$W/dec.txt"
n1=$(ledger_size)
expect 0 "another trusted key signs the same bytes" cms sign --key "$PARTY" --cert "$W/party.pem" \
    --in "$W/dec.txt" --out "$W/dec.txt.p7s" --detached
expect 1 "the file with the genuine receipt but another signer" verify "$W/dec.txt"
out_has "^FORGED: the document was signed by another certificate than the one the ledger recorded" \
    "the signer is compared with the ledger entry"

# ---- 3. revocation fails closed -------------------------------------------------
NOTARY_SERIAL=$(serial_of "$S/certs/notary.crt")
$PY "$MKPDF" "$W/act2.pdf" "Notary act 18/2026"
expect 0 "an act signed (and timestamped) before the hold" sign "$W/act2.pdf" --kind notary-act \
    --issuer notary --field act=18/2026 --field title=T --field date=2026-11-28 \
    --out "$W/act2.signed.pdf"
sleep 1
expect 0 "the notary's certificate put on hold" ca revoke "$NOTARY_SERIAL" --reason certificateHold
$PY "$MKPDF" "$W/act3.pdf" "Notary act 19/2026"
n2=$(ledger_size)
run sign "$W/act3.pdf" --kind notary-act --issuer notary \
    --field act=19/2026 --field title=T --field date=2026-11-28 --out "$W/act3.signed.pdf"
[ "$RC" -ne 0 ] || fail "signing with a held certificate must fail"
err_has "on hold" "the hold is named"
[ "$(ledger_size)" = "$n2" ] && [ ! -e "$W/act3.signed.pdf" ] || fail "nothing recorded or written"
pass "a held certificate signs nothing, before any CRL says so"
expect 0 "publish the CRL" ca crl --publish
expect 0 "an act timestamped before the hold stays valid" verify "$W/act2.signed.pdf"
expect 0 "lift the hold" ca release "$NOTARY_SERIAL"
expect 0 "publish again" ca crl --publish
expect 0 "signing works again after the release" sign "$W/act3.pdf" --kind notary-act \
    --issuer notary --field act=19/2026 --field title=T --field date=2026-11-28 \
    --out "$W/act3.signed.pdf"
expect 0 "and verifies" verify "$W/act3.signed.pdf"
# revoked for good
AG_SERIAL=$(serial_of "$S/certs/agency.crt")
expect 0 "the agency's certificate revoked" ca revoke "$AG_SERIAL" --reason keyCompromise
run sign "$W/dec.txt" --kind court-decision --issuer agency --field case=8/2026 \
    --field court="Bakı" --field date=2026-11-28 --out "$W/dec8"
[ "$RC" -ne 0 ] || fail "a revoked certificate must not sign"
err_has "revoked" "signing with a revoked certificate is refused"
expect 0 "publish the revocation" ca crl --publish
cp "$W/dec.txt" "$W/dec2.txt"
# a signature made after the revocation, by the revoked key, never verifies
expect 0 "the revoked key signs behind the appliance's back" cms sign \
    --key "pkcs11:token=mohur;object=agency;type=private$PIN" --cert "$S/certs/agency.crt" \
    --in "$W/dec2.txt" --out "$W/dec2.txt.p7s" --detached
cp "$W/dec.txt.receipt" "$W/dec2.txt.receipt"
expect 1 "its signature after the revocation" verify "$W/dec2.txt"
out_has "revoked" "verify names the revocation"
# the CRL: missing, unreadable, stale, PEM
cp "$S/certs/root.crl" "$W/crl.good"
printf 'not a CRL' >"$S/certs/root.crl"
expect 9 "an unreadable CRL: revocation status unknown" verify "$W/act3.signed.pdf"
out_has "^REVOCATION STATUS UNKNOWN" "never VALID"
out_has "cannot be read" "the CRL problem is said"
run sign "$W/act.pdf" --kind notary-act --issuer notary --field act=20/2026 --field title=T \
    --field date=2026-11-28 --out "$W/x.pdf"
[ "$RC" -ne 0 ] || fail "signing with an unreadable CRL must fail"
err_has "revocation status .* unknown" "signing fails closed without a CRL"
rm -f "$S/certs/root.crl"
expect 9 "a missing CRL" verify "$W/act3.signed.pdf"
run verify "$W/act3.signed.pdf" --json
[ "$RC" = 9 ] && [ "$(json_get verdict)" = revocation-unknown ] || fail "JSON says revocation-unknown"
pass "JSON says revocation-unknown"
openssl crl -inform DER -in "$W/crl.good" -out "$S/certs/root.crl"
expect 0 "a PEM CRL is read as well" verify "$W/act3.signed.pdf"
cp "$W/crl.good" "$S/certs/root.crl"
FAKETIME_ENV=(env "ASAN_OPTIONS=${ASAN_OPTIONS:-}:verify_asan_link_order=0")
if "${FAKETIME_ENV[@]}" faketime '+40 days' "$MOHUR" verify "$W/act3.signed.pdf" >"$OUT" 2>"$ERR"; then
    RC=0
else
    RC=$?
fi
[ "$RC" = 9 ] || fail "a CRL past its next update: exit $RC, expected 9"
out_has "out of date" "a stale CRL is said, with its date"

# ---- 4. the printed number stays the id after a void -----------------------------
cp "$S/config.json" "$W/config.good"
$PY - "$S/config.json" "$P11FAULT" <<'EOF'
import json, sys
c = json.load(open(sys.argv[1]))
c["token"]["module"] = sys.argv[2]
json.dump(c, open(sys.argv[1], "w"), indent=2)
EOF
echo "fail C_Sign CKR_DEVICE_REMOVED after=1" >"$W/fault.conf"
$PY "$MKPDF" "$W/act4.pdf" "Notary act 24/2026"
MOHUR_MODULE_DIRS="$(dirname "$P11FAULT"):/usr/lib" MH_P11FAULT_CONF="$W/fault.conf" \
    MH_P11FAULT_LOG="$W/fault.log" run sign "$W/act4.pdf" --kind notary-act --issuer notary \
    --field act=24/2026 --field title=T --field date=2026-11-28 --out "$W/act4.signed.pdf"
[ "$RC" = 4 ] || fail "the token removed while signing: exit $RC"
err_has "voided" "the attempt is voided"
cp "$W/config.good" "$S/config.json"
expect 0 "signed again" sign "$W/act4.pdf" --kind notary-act --issuer notary \
    --field act=24/2026 --field title=T --field date=2026-11-28 --out "$W/act4.signed.pdf" --json
[ "$(json_get doc_id)" = notary/notary-act/24/2026 ] || fail "no suffix on the id"
pass "the id is the printed number"
expect 0 "revoke by the printed number" revoke notary/notary-act/24/2026 --reason superseded
expect 1 "the document in circulation is the revoked one" verify "$W/act4.signed.pdf"
out_has "^REVOKED: notary/notary-act/24/2026" "revoked"
expect 3 "revoking it again" revoke notary/notary-act/24/2026 --reason superseded
expect 3 "revoking an unknown id" revoke bdu/diploma/NO-SUCH --reason superseded

# ---- 5. overlays and extra signatures ----------------------------------------------
expect 3 "a party's own signature box over a certified diploma" pdf sign --in "$DIP" \
    --out "$W/overlay.pdf" --key "$PARTY" --rect 100,300,600,80 --caption "Someone Else"
err_has "certified" "mohur's signer refuses a new signature field on a certified document"
# an overlay made with another tool: a box with another name over the act,
# and the party's prepared field moved over the content (tests/attacks/
# pdfatk.py writes the raw incremental updates; pdf_attacks has the rest)
$PY "$(dirname "$0")/pdfatk.py" eaa-freetext "$W/act.signed.pdf" "$W/overlay.pdf"
expect 1 "a box with another name over the signed act" verify "$W/overlay.pdf"
out_has "^ALTERED" "altered"
out_has "annotation" "the added annotation is named"
$PY "$(dirname "$0")/pdfatk.py" slot-moved "$W/act.signed.pdf" "$W/moved.pdf"
expect 1 "the party's prepared field moved over the content" verify "$W/moved.pdf"
out_has "^ALTERED" "altered"
expect 3 "co-signing an altered document is refused" sign "$W/overlay.pdf" --key "$PARTY" \
    --out "$W/x.pdf"
err_has "does not verify" "the co-signer is told why"
# a notary act: the party co-signs once, in the prepared field
expect 0 "the party co-signs the act" sign "$W/act.signed.pdf" --key "$PARTY" \
    --out "$W/act.cosigned.pdf"
expect 0 "the co-signed act verifies" verify "$W/act.cosigned.pdf"
out_has "^VALID" "valid with both signatures"
[ "$(qr_of_pdf "$W/act.cosigned.pdf")" = "$ACT_URL" ] || fail "the same receipt"
pass "same document, same receipt"
expect 3 "a third signature on a two-party act" sign "$W/act.cosigned.pdf" \
    --key "pkcs11:token=mohur;object=bdu;type=private$PIN" --out "$W/x.pdf"
err_has "all of them have signed" "no signature beyond the kind's parties"

# ---- 6. id squatting --------------------------------------------------------------------
$PY "$MKPDF" "$W/squat.pdf" "Notary act 300"
expect 3 "a notary taking a university's id" sign "$W/squat.pdf" --kind notary-act --issuer notary \
    --doc-id bdu/diploma/BDU-2026-0300 --field act=300 --field title=T --field date=2026-01-01 \
    --out "$W/squat.signed.pdf"
err_has "namespace" "ids are namespaced by issuer"

# ---- 7. foreign host, two codes in one picture ----------------------------------------------
EVIL=$(printf '%s' "$DIP_URL" | sed 's|^HTTPS://[^/]*/|HTTPS://EVIL.EXAMPLE.COM/|')
expect 1 "a genuine receipt under a foreign host" verify --qr "$EVIL"
out_has "^WRONG SITE: this QR opens EVIL.EXAMPLE.COM" "the foreign host is said out loud"
run verify --qr "$EVIL" --json
$PY -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["receipt"]["host_mismatch"] is True and d["verdict"]=="forged"' "$OUT" ||
    fail "JSON: host_mismatch"
pass "JSON says host_mismatch"
expect 0 "two QR codes: the genuine one" receipt qr --text "$DIP_URL" --png "$W/qr1.png"
expect 0 "two QR codes: the evil one" receipt qr --text "$EVIL" --png "$W/qr2.png"
$PY - "$W/qr1.png" "$W/qr2.png" "$W/two.png" <<'EOF'
import sys
from PIL import Image
a, b = Image.open(sys.argv[1]).convert("L"), Image.open(sys.argv[2]).convert("L")
c = Image.new("L", (a.width + b.width + 40, max(a.height, b.height) + 40), 255)
c.paste(a, (20, 20)); c.paste(b, (a.width + 20, 20)); c.save(sys.argv[3])
EOF
expect 1 "a picture with two QR codes" verify --qr-image "$W/two.png"
out_has "holds 2 QR codes" "every code in the picture is reported"
out_has "^VALID" "the genuine one is shown"
out_has "^WRONG SITE" "and the foreign one"

# ---- 9. --qr with --doc checks the whole document ----------------------------------------------
$PY - "$DIP" "$W/redefined.pdf" <<'EOF'
import sys, re
d = open(sys.argv[1], "rb").read()
# a later update that redefines the page's content stream (object 4 of the
# template, or whichever the page names): a classic incremental update
m = re.search(rb"/Contents (\d+) 0 R", d)
n = int(m.group(1))
start = len(d)
body = b"BT /F1 28 Tf 200 370 Td (Someone Else) Tj ET"
obj = b"%d 0 obj\n<< /Length %d >>\nstream\n" % (n, len(body)) + body + b"\nendstream\nendobj\n"
sx = d.rindex(b"startxref")
prev = int(d[sx + 9:].split()[0])
size = int(re.findall(rb"/Size (\d+)", d)[-1])
root = re.findall(rb"/Root (\d+ \d+ R)", d)[-1]
xref_off = start + len(obj)
upd = obj + b"xref\n0 1\n0000000000 65535 f \n%d 1\n%010d 00000 n \n" % (n, start)
upd += b"trailer\n<< /Size %d /Root %s /Prev %d >>\nstartxref\n%d\n%%%%EOF\n" % (size, root, prev, xref_off)
open(sys.argv[2], "wb").write(d + upd)
EOF
expect 1 "the redefined diploma, plainly" verify "$W/redefined.pdf"
out_has "^ALTERED" "altered"
expect 1 "the redefined diploma against its own QR" verify --qr "$DIP_URL" --doc "$W/redefined.pdf"
out_has "^ALTERED" "--qr --doc is altered too"

# ---- 11. a second encoding of a receipt --------------------------------------------------------
HIGH_S=$($PY - "$DIP_URL" <<'EOF'
import base64, sys
url = sys.argv[1]
head, b32 = url.rsplit("/", 1)
raw = bytearray(base64.b32decode(b32 + "=" * (-len(b32) % 8)))
n = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551
s = int.from_bytes(raw[-32:], "big")
raw[-32:] = (n - s).to_bytes(32, "big")
print(head + "/" + base64.b32encode(bytes(raw)).decode().rstrip("="))
EOF
)
expect 1 "the receipt with n - s" verify --qr "$HIGH_S"
out_has "^FORGED" "one receipt, one encoding"

# ---- long real names fit, and scan ------------------------------------------------------------
cat >"$W/long.csv" <<'EOF2'
name,degree,programme,date,number
Александрова-Воскресенская Екатерина-Маргарита Вячеславовна Константиновна-Ив,Магистр: Компьютерные науки и информационные технологии А,Программная инженерия,2026-06-30,BDU-2026-00012345
EOF2
expect 0 "a diploma with an 80-character Cyrillic name and every printed field" issue \
    --kind diploma --roster "$W/long.csv" --issuer bdu --out "$W/long" --no-progress
LONG_URL=$(qr_of_pdf "$W/long/bdu_diploma_BDU-2026-00012345.pdf")
[ -n "$LONG_URL" ] || fail "zbarimg reads its QR at 150 dpi"
pass "zbarimg reads the long name's QR from the PDF at 150 dpi"
expect 0 "and it verifies" verify --qr "$LONG_URL"
out_has "Александрова-Воскресенская" "with the whole name"

# ---- input discipline ----------------------------------------------------------------------
printf 'name,degree,programme,date,number\nA B,D,P,2026-06-30,..\nA B,D,P,2026-06-30, LEAD\nA B,D,P,2026-06-30,a/b\nA B,D,P,2026-06-30,.\n' >"$W/badnum.csv"
n3=$(ledger_size)
run issue --kind diploma --roster "$W/badnum.csv" --issuer bdu --out "$W/badnum" --no-progress
[ "$RC" -ne 0 ] || fail "bad numbers"
for why in "'.' or '..'" "starts or ends with a space" "contains '/'"; do
    err_has "$why" "a roster number refused: $why"
done
[ "$(ledger_size)" = "$n3" ] || fail "nothing recorded for bad numbers"
pass "nothing recorded for bad numbers"
printf 'name,degree,programme,date,number\nA B,D,P,2026-06-30,NUL\0X\n' >"$W/nul.csv"
run issue --kind diploma --roster "$W/nul.csv" --issuer bdu --out "$W/nul" --no-progress
[ "$RC" -ne 0 ] || fail "a NUL in a roster"
[ "$(ledger_size)" = "$n3" ] || fail "nothing recorded for a NUL in a roster"
pass "a NUL in a roster is refused, nothing recorded"
printf 'name,degree,programme,date,number,extra\nA B,D,P,2026-06-30,X-1,zz\n' >"$W/extra.csv"
run issue --kind diploma --roster "$W/extra.csv" --issuer bdu --out "$W/extra" --no-progress
[ "$RC" -ne 0 ] || fail "an unknown column"
err_has "not a field of the kind" "an unknown field is refused, not dropped"
expect 3 "an unknown --field" sign "$W/act.pdf" --kind notary-act --issuer notary --field act=1 \
    --field title=T --field date=2026-01-01 --field colour=red --out "$W/x.pdf"
err_has "no field 'colour'" "an unknown field is named"
expect 2 "a repeated --field" sign "$W/act.pdf" --kind notary-act --issuer notary --field act=1 \
    --field act=2 --field title=T --field date=2026-01-01 --out "$W/x.pdf"
err_has "given twice" "a repeated field is refused"
mkfifo "$W/fifo"
expect 3 "signing a FIFO" sign "$W/fifo" --kind notary-act --issuer notary --field act=1 \
    --field title=T --field date=2026-01-01 --out "$W/x.pdf"
err_has "not a regular file" "a FIFO is refused"
expect 3 "verifying a missing file" verify "$W/no-such.pdf"
run verify "$W/no-such.pdf" --json
$PY -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["error"]["exit"]==3 and d["error"]["message"]' "$OUT" ||
    fail "with --json an error is JSON"
pass "with --json an error is JSON"

# ---- symlinked outputs: never written through ---------------------------------------------
printf 'victim\n' >"$W/victim"
outs=(
    "sign $W/act.pdf --kind notary-act --issuer notary --field act=31 --field title=T --field date=2026-01-01 --out @"
    "receipt qr --text HTTPS://X.AZ/V/MZXW6 --png @"
    "receipt qr --text HTTPS://X.AZ/V/MZXW6 --svg @"
    "receipt qr --text HTTPS://X.AZ/V/MZXW6 --pdf-ops @"
    "ca crl --ca $S/ca --out @"
    "cms sign --key $PARTY --cert $W/party.pem --in $W/dec.txt --detached --out @"
    "pdf sign --in $W/act.pdf --key $PARTY --out @"
    "key export --key pkcs11:token=mohur;object=party$PIN --out @"
)
i=0
set -f # the URIs hold '?': no globbing of the split words
for o in "${outs[@]}"; do
    i=$((i + 1))
    ln -sf "$W/victim" "$W/link$i"
    # shellcheck disable=SC2086
    run ${o//@/$W/link$i}
    [ "$(cat "$W/victim")" = victim ] || fail "symlinked output $i written through: mohur ${o%% *}"
    [ ! -L "$W/link$i" ] || [ "$RC" -ne 0 ] || fail "output $i left a symlink and said it wrote"
done
set +f
pass "no command writes through a planted symlink (${#outs[@]} commands)"

# ---- verifying without root --------------------------------------------------------------
GID=4242
expect 0 "share the state with a verifiers' group" init --group $GID
# what a verifier needs from outside the state: the binary and the kinds,
# readable by anyone (the source tree may sit under a private home)
mkdir -p "$W/pub/kinds"
cp "$MOHUR" "$W/pub/mohur"
cp "${MOHUR_SRC:?}"/kinds/*.json "$W/pub/kinds/"
chmod -R a+rX "$W/pub"
chmod 711 "$W" "$W/dip"
chmod 644 "$DIP"
export MOHUR_KINDS_DIR="$W/pub/kinds"
NOBODY=(setpriv --reuid=65534 --regid=65534)
if "${NOBODY[@]}" --groups=$GID "$W/pub/mohur" verify "$DIP" >"$OUT" 2>"$ERR"; then
    pass "a non-root member of the group verifies"
else
    fail "a non-root member of the group could not verify (exit $?)"
fi
out_has "^VALID" "and gets the verdict"
if "${NOBODY[@]}" --clear-groups "$W/pub/mohur" verify "$DIP" >"$OUT" 2>"$ERR"; then
    fail "a user outside the group verified"
fi
err_has "permission denied" "a user outside the group is told it is a permission problem"
err_lacks "create one" "not that there is no ledger"

echo "attacks: $CHECKS checks passed"
