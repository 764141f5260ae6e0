#!/bin/bash
# pdf_sign.sh - `mohur pdf sign|prepare|embed|verify|info` end to end through
# the real binary, a throwaway SoftHSM2 token, and independent checkers:
# poppler's pdfsig (NSS) for the signatures, qpdf --check for the structure,
# openssl cms for the CMS. Usage: pdf_sign.sh TESTDATA_DIR

# shellcheck source=tests/cli/lib.sh
. "${MOHUR_SRC:?}/tests/cli/lib.sh"

TD=${1:-}
for t in openssl pdfsig qpdf python3; do
    command -v $t >/dev/null || { echo "SKIP: $t is not installed" >&2; exit 77; }
done

PINF="$W/user.pin"
KEY="pkcs11:token=PdfTest;object=signer?pin-source=file:$PINF"

# ---- a token, a key on it, and a certificate from a throwaway CA ---------
init_token PdfTest
expect 0 "key generate" key generate --token "pkcs11:token=PdfTest?pin-source=file:$PINF" \
    --type ec-p256 --label signer
expect 0 "key export" key export --key "$KEY" --out "$W/signer.pub.pem"
openssl ecparam -name prime256v1 -genkey -noout -out "$W/ca.key" 2>/dev/null
openssl req -new -x509 -key "$W/ca.key" -subj "/CN=PDF Test CA" -days 30 -out "$W/ca.crt" \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign \
    2>/dev/null || fail "making the test CA"
openssl req -new -key "$W/ca.key" -subj "/CN=Notary Test/O=mohur tests" -out "$W/req.csr" 2>/dev/null
printf 'keyUsage=critical,digitalSignature,nonRepudiation\n' >"$W/ext.cnf"
openssl x509 -req -in "$W/req.csr" -CA "$W/ca.crt" -CAkey "$W/ca.key" -CAcreateserial -days 30 \
    -force_pubkey "$W/signer.pub.pem" -extfile "$W/ext.cnf" -out "$W/signer.crt" 2>/dev/null ||
    fail "issuing the signer certificate"
pass "test CA and signer certificate made"
# a second signer whose key is a file, for the outside-signer path
openssl ecparam -name prime256v1 -genkey -noout -out "$W/two.key" 2>/dev/null
openssl req -new -key "$W/two.key" -subj "/CN=Second Signer" -out "$W/two.csr" 2>/dev/null
openssl x509 -req -in "$W/two.csr" -CA "$W/ca.crt" -CAkey "$W/ca.key" -CAcreateserial -days 30 \
    -extfile "$W/ext.cnf" -out "$W/two.crt" 2>/dev/null || fail "issuing the second certificate"

# ---- test documents --------------------------------------------------------
# mkpdf OUT [ROTATE]: a minimal one-page PDF written by hand with a classic
# cross-reference table (offsets computed here).
mkpdf() {
    local out=$1 rot=${2:-0}
    python3 - "$out" "$rot" <<'EOF'
import sys
out, rot = sys.argv[1], int(sys.argv[2])
content = b"BT /F1 24 Tf 72 700 Td (Hello, mohur) Tj ET\n"
objs = [
    b"<< /Type /Catalog /Pages 2 0 R >>",
    b"<< /Type /Pages /Kids [3 0 R] /Count 1 /MediaBox [0 0 595 842] >>",
    b"<< /Type /Page /Parent 2 0 R /Contents 4 0 R /Rotate %d /Resources << /Font << /F1 5 0 R >> >> >>" % rot,
    b"<< /Length %d >>\nstream\n" % len(content) + content + b"endstream",
    b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    b"<< /Producer (hand) >>",
]
buf = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
offs = []
for i, o in enumerate(objs, 1):
    offs.append(len(buf))
    buf += b"%d 0 obj\n" % i + o + b"\nendobj\n"
x = len(buf)
buf += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
for off in offs:
    buf += b"%010d 00000 n \n" % off
buf += b"trailer\n<< /Size %d /Root 1 0 R /Info 6 0 R /ID [<0123456789abcdef0123456789abcdef> <0123456789abcdef0123456789abcdef>] >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, x)
open(out, "wb").write(buf)
EOF
}

mkpdf "$W/classic.pdf"
mkpdf "$W/rot90.pdf" 90
qpdf --object-streams=generate "$W/classic.pdf" "$W/objstm.pdf" || fail "qpdf objstm"
qpdf --qdf "$W/classic.pdf" "$W/qdf.pdf" || fail "qpdf qdf"
qpdf --compress-streams=y --object-streams=generate --stream-data=compress "$W/rot90.pdf" \
    "$W/compressed.pdf" || fail "qpdf compress"
pass "test documents made (classic table, object streams, qdf, compressed, rotated)"

# pdfsig_ok FILE N: pdfsig reports N signatures, every one valid; the last
# one covers the whole document.
pdfsig_ok() {
    local f=$1 n=$2
    pdfsig "$f" >"$W/pdfsig.out" 2>&1
    local valid total
    valid=$(grep -c "Signature Validation: Signature is Valid." "$W/pdfsig.out")
    total=$(grep -c "Total document signed" "$W/pdfsig.out")
    if [ "$valid" -ne "$n" ] || [ "$total" -lt 1 ]; then
        cat "$W/pdfsig.out" >&2
        fail "pdfsig on $(basename "$f"): $valid of $n valid, $total total-document"
    fi
    pass "pdfsig: $(basename "$f") has $n valid signature(s), the last covers the whole document"
}

qpdf_ok() {
    qpdf --check "$1" >"$W/qpdf.out" 2>&1 || { cat "$W/qpdf.out" >&2; fail "qpdf --check $(basename "$1")"; }
    pass "qpdf --check $(basename "$1")"
}

prefix_same() {
    local n
    n=$(stat -c %s "$1")
    cmp -n "$n" "$1" "$2" >/dev/null || fail "$(basename "$2"): the first $n bytes differ from the input"
    pass "$(basename "$2") keeps the $n original bytes unchanged"
}

xref_kind() {
    run pdf info "$1"
    sed -n 's/^xref: //p' "$OUT"
}

# ---- help ----------------------------------------------------------------
for c in sign prepare embed verify info; do
    expect 0 "pdf $c --help" pdf $c --help
    out_has "^Usage: mohur pdf $c" "pdf $c help has usage"
done
expect 2 "pdf sign without --key" pdf sign --in "$W/classic.pdf" --out "$W/x.pdf"
expect 2 "pdf sign with a bad --rect" pdf sign --in "$W/classic.pdf" --out "$W/x.pdf" --key "$KEY" \
    --rect 1,2,3
expect 2 "pdf verify takes no --key" pdf verify --key "$KEY" "$W/classic.pdf"

# ---- sign each kind of document ------------------------------------------
for d in classic objstm qdf compressed rot90; do
    in="$W/$d.pdf"
    out="$W/$d-signed.pdf"
    kind=$(xref_kind "$in")
    expect 0 "sign $d.pdf ($kind xref)" pdf sign --in "$in" --out "$out" --key "$KEY" \
        --cert "$W/signer.crt" --reason "Test" --location "Baku" --name "Notary Test" \
        --caption "Notary Test" --caption "Signed by mohur" --qr "HTTPS://V.EXAMPLE/R/ABC123"
    out_has "the original document is its first $(stat -c %s "$in") bytes" "$d: original length reported"
    prefix_same "$in" "$out"
    pdfsig_ok "$out" 1
    qpdf_ok "$out"
    [ "$(xref_kind "$out")" = "$kind" ] || fail "$d: the update's xref is not a $kind like the original's"
    pass "$d: the update's cross-reference section is a $kind, like the original's"
    expect 0 "mohur pdf verify $d" pdf verify "$out"
    out_has "status: valid" "$d: mohur says valid"
    out_has "the whole file" "$d: covers the whole file"
    out_has "signer: .*Notary Test" "$d: signer named"
done

# the stamp is drawn: the rendered page has the caption text
if command -v pdftotext >/dev/null; then
    pdftotext "$W/classic-signed.pdf" - | grep -q "Signed by mohur" || fail "the stamp caption is not on the page"
    pass "the stamp's caption is on the page (pdftotext)"
fi

# the CMS mohur made verifies with openssl over the /ByteRange bytes
expect 0 "verify --json" pdf verify --json "$W/classic-signed.pdf"
python3 - "$W/classic-signed.pdf" "$W" <<'EOF' || fail "extracting the CMS"
import re, sys
data = open(sys.argv[1], "rb").read()
m = list(re.finditer(rb"/ByteRange \[(\d+) (\d+) (\d+) (\d+)\]", data))[-1]
a, b, c, d = map(int, m.groups())
open(sys.argv[2] + "/content.bin", "wb").write(data[a:a+b] + data[c:c+d])
raw = bytes.fromhex(data[a+b+1:c-1].decode())
# the placeholder is zero-padded: cut at the DER SEQUENCE's own length (a
# signature may itself end in zero bytes, so stripping zeros is wrong)
assert raw[0] == 0x30
if raw[1] < 0x80:
    n = 2 + raw[1]
else:
    k = raw[1] & 0x7f
    n = 2 + k + int.from_bytes(raw[2:2+k], "big")
open(sys.argv[2] + "/sig.der", "wb").write(raw[:n])
EOF
check "openssl cms -verify accepts mohur's CMS over the /ByteRange bytes" \
    openssl cms -verify -binary -inform DER -in "$W/sig.der" -content "$W/content.bin" \
    -CAfile "$W/ca.crt" -purpose any -out /dev/null
openssl cms -cmsout -print -inform DER -in "$W/sig.der" >"$W/cms.txt" 2>/dev/null
! grep -q "signingTime" "$W/cms.txt" || fail "the PAdES CMS has a signing-time attribute"
pass "the PAdES CMS has no signing-time attribute"

# ---- two signers in turn ---------------------------------------------------
for d in classic objstm; do
    expect 0 "second signature on $d" pdf prepare --in "$W/$d-signed.pdf" --out "$W/$d-prep.pdf" \
        --page 1 --rect 40,40,200,70 --caption "Second Signer"
    python3 - "$W/$d-prep.pdf" "$W/range.bin" <<'EOF' || fail "extracting the byte range"
import re, sys
data = open(sys.argv[1], "rb").read()
m = list(re.finditer(rb"/ByteRange \[(\d+) (\d+) (\d+) (\d+)\]", data))[-1]
a, b, c, d = map(int, m.groups())
open(sys.argv[2], "wb").write(data[a:a+b] + data[c:c+d])
EOF
    openssl cms -sign -binary -outform DER -md sha256 -nosmimecap -signer "$W/two.crt" \
        -inkey "$W/two.key" -in "$W/range.bin" -out "$W/two.der" || fail "openssl cms -sign"
    expect 0 "embed the outside signer's CMS ($d)" pdf embed --in "$W/$d-prep.pdf" \
        --cms "$W/two.der" --out "$W/$d-twice.pdf"
    [ "$(stat -c %s "$W/$d-prep.pdf")" = "$(stat -c %s "$W/$d-twice.pdf")" ] ||
        fail "embedding changed the file's length"
    prefix_same "$W/$d-signed.pdf" "$W/$d-twice.pdf"
    pdfsig_ok "$W/$d-twice.pdf" 2
    grep -q "not total document signed\|Not total document signed" "$W/pdfsig.out" ||
        fail "pdfsig does not say the first signature covers an earlier revision"
    pass "pdfsig: the first signature covers an earlier revision, as expected"
    qpdf_ok "$W/$d-twice.pdf"
    expect 0 "mohur pdf verify: both valid ($d)" pdf verify "$W/$d-twice.pdf"
    out_has "2 signatures, all valid" "$d: two valid signatures"
    out_has "later changes: allowed (1 update: 1 signature added)" "$d: the second update is an allowed change"
    out_has "original document: the first $(stat -c %s "$W/$d.pdf") bytes" \
        "$d: original length is before the first update"
done
run pdf embed --in "$W/classic-twice.pdf" --cms "$W/two.der" --out "$W/x.pdf"
[ "$RC" -ne 0 ] && [ ! -e "$W/x.pdf" ] || fail "embedding into a filled signature was not refused"
pass "embedding into a filled signature refused (exit $RC)"

# ---- tampering -------------------------------------------------------------
python3 - "$W/classic-signed.pdf" "$W/tampered.pdf" <<'EOF'
import sys
d = open(sys.argv[1], "rb").read()
i = d.index(b"Hello, mohur")
open(sys.argv[2], "wb").write(d[:i] + b"J" + d[i+1:])
EOF
expect 1 "a changed byte in the signed range fails" pdf verify "$W/tampered.pdf"
out_has "status: document-changed" "mohur reports the change"
pdfsig "$W/tampered.pdf" >"$W/pdfsig.out" 2>&1
! grep -q "Signature is Valid" "$W/pdfsig.out" || fail "pdfsig still says valid after tampering"
pass "pdfsig rejects the tampered file too ($(grep -m1 'Signature Validation' "$W/pdfsig.out" | sed 's/^ *//'))"

# an update appended after signing that changes the page content
python3 - "$W/classic-signed.pdf" "$W/modified.pdf" <<'EOF'
import re, sys
d = open(sys.argv[1], "rb").read()
prev = int(re.findall(rb"startxref\s+(\d+)", d)[-1])
size = int(re.findall(rb"/Size (\d+)", d)[-1])
root = re.findall(rb"/Root (\d+ \d+ R)", d)[-1]
content = b"BT /F1 24 Tf 72 700 Td (Changed text) Tj ET\n"
off = len(d)
upd = b"4 0 obj\n<< /Length %d >>\nstream\n" % len(content) + content + b"endstream\nendobj\n"
x = off + len(upd)
upd += b"xref\n4 1\n%010d 00000 n \ntrailer\n<< /Size %d /Root %s /Prev %d >>\nstartxref\n%d\n%%%%EOF\n" % (off, size, root, prev, x)
open(sys.argv[2], "wb").write(d + upd)
EOF
expect 1 "content changed after signing is reported" pdf verify "$W/modified.pdf"
out_has "status: modified-after-signing" "mohur: modified after signing"
out_has "the content of page 1 was changed (content stream object 4)" "mohur names the changed content"

# ---- refused documents -----------------------------------------------------
qpdf --encrypt user owner 256 -- "$W/classic.pdf" "$W/enc.pdf"
qpdf --encrypt "" owner 256 -- "$W/classic.pdf" "$W/enc-open.pdf"
head -c 400 "$W/classic.pdf" >"$W/truncated.pdf"
python3 - "$W/classic.pdf" "$W/badxref.pdf" <<'EOF'
import sys
d = bytearray(open(sys.argv[1], "rb").read())
i = d.index(b"xref\n0 ")
j = d.index(b"\n", d.index(b"\n", i + 5) + 1) + 1
d[j:j+10] = b"99999x9999"
open(sys.argv[2], "wb").write(d)
EOF
printf 'not a pdf at all\n' >"$W/notpdf.pdf"
for bad in enc:encrypted enc-open:encrypted truncated:damaged badxref:damaged notpdf:"not a PDF"; do
    f=${bad%%:*}
    why=${bad#*:}
    rm -f "$W/refused.pdf"
    expect 3 "$f.pdf is refused" pdf sign --in "$W/$f.pdf" --out "$W/refused.pdf" --key "$KEY" \
        --cert "$W/signer.crt"
    err_has "$why" "$f.pdf: the error says '$why'"
    [ ! -e "$W/refused.pdf" ] || fail "$f.pdf: an output file was left behind"
    ls "$W"/refused.pdf.tmp-* >/dev/null 2>&1 && fail "$f.pdf: a temporary file was left behind"
    pass "$f.pdf: no output file left behind"
done

# ---- the corpus --------------------------------------------------------------
if [ -z "$TD" ] || [ ! -d "$TD/pdf-corpus/pdf" ]; then
    echo "NOTE: ../shared/testdata/pdf-corpus is ABSENT: the PDF corpus was NOT tested" >&2
    exit 77
fi
n=0
signed=0
refused=0
wrong=0
while IFS= read -r -d '' f; do
    n=$((n + 1))
    out="$W/corpus-out.pdf"
    rm -f "$out"
    run pdf sign --in "$f" --out "$out" --key "$KEY" --cert "$W/signer.crt" --page 1
    name=${f#"$TD/pdf-corpus/pdf/"}
    if [ "$RC" -eq 0 ]; then
        ok=1
        cmp -n "$(stat -c %s "$f")" "$f" "$out" >/dev/null || { echo "WRONG $name: prefix changed" >&2; ok=0; }
        pdfsig "$out" >"$W/pdfsig.out" 2>&1
        tail -n 12 "$W/pdfsig.out" | grep -q "Signature is Valid" || { echo "WRONG $name: pdfsig does not say valid" >&2; ok=0; }
        tail -n 12 "$W/pdfsig.out" | grep -q "Total document signed" || { echo "WRONG $name: pdfsig: not total document" >&2; ok=0; }
        qpdf --check "$out" >/dev/null 2>&1 || { echo "WRONG $name: qpdf --check fails" >&2; ok=0; }
        run pdf verify --json "$out"
        python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); s=d["signatures"][-1]; sys.exit(0 if s["status"]=="valid" and s["covers_whole_file"] else 1)' "$OUT" ||
            { echo "WRONG $name: mohur pdf verify does not find the new signature valid" >&2; ok=0; }
        if [ $ok -eq 1 ]; then signed=$((signed + 1)); else wrong=$((wrong + 1)); fi
    elif [ "$RC" -ge 2 ] && [ "$RC" -le 5 ] && [ -s "$ERR" ] && [ ! -e "$out" ]; then
        refused=$((refused + 1))
        echo "refused $name: $(head -c 200 "$ERR")"
    else
        wrong=$((wrong + 1))
        echo "WRONG $name: exit $RC (crash, internal error or output left behind)" >&2
        head -c 300 "$ERR" >&2
    fi
done < <(find "$TD/pdf-corpus/pdf" -name '*.pdf' -print0 | sort -z)
echo "pdf-corpus: $n files, $signed signed and checked, $refused refused with an error, $wrong wrong"
[ "$wrong" -eq 0 ] || fail "pdf-corpus: $wrong files went wrong"
[ "$signed" -gt 0 ] || fail "pdf-corpus: nothing could be signed"
pass "pdf-corpus: every file signed correctly or refused clearly"
echo "all $CHECKS checks passed"
