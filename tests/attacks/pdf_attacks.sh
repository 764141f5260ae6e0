#!/bin/bash
# pdf_attacks.sh - each published PDF attack class as an attacker builds it
# (tests/attacks/pdfatk.py appends raw incremental updates to a document
# mohur signed), checked with `mohur pdf verify`: exit 1, the signature
# reported as not covering the document unchanged, and the sentence that
# names the change. The positive cases stay valid: a certified document, a
# party signing its prepared slot, a DSS and a document timestamp added by
# another tool (pikepdf) afterwards. Then a hostile PDF (an annotation
# holding three million zeros) must be refused within the memory budget.

# shellcheck source=tests/cli/lib.sh
. "${MOHUR_SRC:?}/tests/cli/lib.sh"

for t in openssl pdfsig qpdf python3; do
    command -v $t >/dev/null || { echo "SKIP: $t is not installed" >&2; exit 77; }
done
# pikepdf is Debian's python3-pikepdf: the system python has it
PYLTV=python3
python3 -c 'import pikepdf' 2>/dev/null || PYLTV=/usr/bin/python3
$PYLTV -c 'import pikepdf' 2>/dev/null || { echo "SKIP: python3-pikepdf is not installed" >&2; exit 77; }
ATK="$MOHUR_SRC/tests/attacks/pdfatk.py"
LTV="$MOHUR_SRC/tests/attacks/pdfltv.py"

PINF="$W/user.pin"
KEY="pkcs11:token=AtkTest;object=signer?pin-source=file:$PINF"

# ---- a token, a key, a certificate; a TSA certificate ----------------------
init_token AtkTest
expect 0 "key generate" key generate --token "pkcs11:token=AtkTest?pin-source=file:$PINF" \
    --type ec-p256 --label signer
expect 0 "key export" key export --key "$KEY" --out "$W/signer.pub.pem"
openssl ecparam -name prime256v1 -genkey -noout -out "$W/ca.key" 2>/dev/null
openssl req -new -x509 -key "$W/ca.key" -subj "/CN=Attack Test CA" -days 30 -out "$W/ca.crt" \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign \
    2>/dev/null || fail "making the test CA"
openssl req -new -key "$W/ca.key" -subj "/CN=Registrar/O=mohur tests" -out "$W/req.csr" 2>/dev/null
printf 'keyUsage=critical,digitalSignature,nonRepudiation\n' >"$W/ext.cnf"
openssl x509 -req -in "$W/req.csr" -CA "$W/ca.crt" -CAkey "$W/ca.key" -CAcreateserial -days 30 \
    -force_pubkey "$W/signer.pub.pem" -extfile "$W/ext.cnf" -out "$W/signer.crt" 2>/dev/null ||
    fail "issuing the signer certificate"
openssl ecparam -name prime256v1 -genkey -noout -out "$W/tsa.key" 2>/dev/null
openssl req -new -key "$W/tsa.key" -subj "/CN=Test TSA" -out "$W/tsa.csr" 2>/dev/null
printf 'keyUsage=critical,digitalSignature\nextendedKeyUsage=critical,timeStamping\n' >"$W/tsaext.cnf"
openssl x509 -req -in "$W/tsa.csr" -CA "$W/ca.crt" -CAkey "$W/ca.key" -CAcreateserial -days 30 \
    -extfile "$W/tsaext.cnf" -out "$W/tsa.crt" 2>/dev/null || fail "issuing the TSA certificate"
pass "test CA, signer and TSA certificates made"

# a one-page document: "Name: Alice"
python3 - "$W/doc.pdf" <<'PY'
import sys
content = b"BT /F1 24 Tf 72 700 Td (Name: Alice) Tj ET\n"
objs = [
    b"<< /Type /Catalog /Pages 2 0 R >>",
    b"<< /Type /Pages /Kids [3 0 R] /Count 1 /MediaBox [0 0 595 842] >>",
    b"<< /Type /Page /Parent 2 0 R /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
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
open(sys.argv[1], "wb").write(buf)
PY

sign() { # IN OUT [options]
    local in=$1 out=$2
    shift 2
    expect 0 "sign $(basename "$in") -> $(basename "$out")" pdf sign --in "$in" --out "$out" \
        --key "$KEY" --cert "$W/signer.crt" "$@"
}

pdfsig_valid() { # FILE N
    pdfsig "$1" >"$W/pdfsig.out" 2>&1
    [ "$(grep -c "Signature is Valid" "$W/pdfsig.out")" = "$2" ] ||
        { cat "$W/pdfsig.out" >&2; fail "pdfsig: $(basename "$1") has not $2 valid signatures"; }
    pass "pdfsig: $(basename "$1") has $2 valid signature(s)"
}

# ---- the positive cases -----------------------------------------------------
sign "$W/doc.pdf" "$W/cert.pdf" --certify --caption "Registrar" --page 1 --rect 300,40,220,80 \
    --slot 1:40,40,200,60 --slot 1:40,120,200,60
expect 0 "a certified document with two prepared slots verifies" pdf verify "$W/cert.pdf"
out_has "kind: certification (DocMDP P=2)" "it is a certification signature, P=2"
out_has "certified: DocMDP P=2; 2 prepared signature fields still empty" "two empty slots"
pdfsig_valid "$W/cert.pdf" 1
pdfsig "$W/cert.pdf" | grep -qi "certif\|P=2\|DocMDP" || true
check "qpdf --check accepts the certified document" qpdf --check "$W/cert.pdf"
python3 - "$W/cert.pdf" "$W" <<'PY' || fail "extracting the CMS"
import re, sys
data = open(sys.argv[1], "rb").read()
m = list(re.finditer(rb"/ByteRange \[(\d+) (\d+) (\d+) (\d+)\]", data))[-1]
a, b, c, d = map(int, m.groups())
open(sys.argv[2] + "/content.bin", "wb").write(data[a:a+b] + data[c:c+d])
raw = bytes.fromhex(data[a+b+1:c-1].decode())
n = 2 + raw[1] if raw[1] < 0x80 else 2 + (raw[1] & 0x7f) + int.from_bytes(raw[2:2+(raw[1] & 0x7f)], "big")
open(sys.argv[2] + "/sig.der", "wb").write(raw[:n])
PY
check "openssl cms -verify accepts the certification's CMS" \
    openssl cms -verify -binary -inform DER -in "$W/sig.der" -content "$W/content.bin" \
    -CAfile "$W/ca.crt" -purpose any -out /dev/null
grep -q "/TransformMethod /DocMDP" "$W/cert.pdf" && grep -q "/Perms << /DocMDP" "$W/cert.pdf" ||
    fail "no DocMDP reference or /Perms in the certified document"
pass "the signature dictionary has the DocMDP reference and the catalog /Perms"

run pdf sign --in "$W/cert.pdf" --out "$W/x.pdf" --key "$KEY" --cert "$W/signer.crt"
[ "$RC" -ne 0 ] && [ ! -e "$W/x.pdf" ] || fail "a new signature field on a certified document was not refused"
err_has "must fill one of its prepared" "signing a certified document outside a slot is refused"
run pdf sign --in "$W/cert.pdf" --out "$W/x.pdf" --key "$KEY" --cert "$W/signer.crt" --field nope
[ "$RC" -ne 0 ] || fail "filling a field that does not exist"
err_has "no empty signature field 'nope'" "an unknown field is named"

sign "$W/cert.pdf" "$W/party.pdf" --field mohur-party-1 --caption "Party One"
expect 0 "a party signing its prepared slot keeps both valid" pdf verify "$W/party.pdf"
out_has "later changes: allowed (1 update: 1 prepared field signed)" "the slot filling is allowed"
out_has "kind: approval, into a prepared field" "the second signature filled a prepared slot"
out_has "1 prepared signature field still empty" "one slot left"
pdfsig_valid "$W/party.pdf" 2
check "qpdf --check accepts the party's signature" qpdf --check "$W/party.pdf"
if command -v pdftotext >/dev/null; then
    pdftotext "$W/party.pdf" - | grep -q "Party One" || fail "the party's caption is not drawn"
    pass "the party's caption is drawn in its slot"
fi
run pdf sign --in "$W/party.pdf" --out "$W/x.pdf" --key "$KEY" --cert "$W/signer.crt" --field mohur-party-1
[ "$RC" -ne 0 ] || fail "signing a slot twice"
err_has "already signed" "a slot takes one signature"
sign "$W/party.pdf" "$W/party2.pdf" --field mohur-party-2 --caption "Party Two"
expect 0 "both slots signed" pdf verify "$W/party2.pdf"
out_has "3 signatures, all valid" "three valid signatures"
pdfsig_valid "$W/party2.pdf" 3

# DSS + document timestamp, written by another tool after signing
openssl x509 -in "$W/signer.crt" -outform DER -out "$W/signer.der"
openssl x509 -in "$W/ca.crt" -outform DER -out "$W/ca.der"
$PYLTV "$LTV" prepare "$W/party.pdf" "$W/ltv.pdf" "$W/range.bin" "$W/signer.der" "$W/ca.der" ||
    fail "pikepdf: adding the DSS and the timestamp placeholder"
printf '01\n' >"$W/tsaserial"
cat >"$W/ts.cnf" <<CNF
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
CNF
openssl ts -query -data "$W/range.bin" -sha256 -cert -no_nonce -out "$W/q.tsq" 2>/dev/null &&
    openssl ts -reply -queryfile "$W/q.tsq" -signer "$W/tsa.crt" -inkey "$W/tsa.key" \
        -config "$W/ts.cnf" -token_out -out "$W/tok.der" 2>"$W/ts.err" ||
    { cat "$W/ts.err" >&2; fail "openssl ts: making the document timestamp"; }
$PYLTV "$LTV" embed "$W/ltv.pdf" "$W/tok.der" || fail "embedding the timestamp"
check "qpdf --check accepts the B-LTA document" qpdf --check "$W/ltv.pdf"
expect 0 "a DSS and a document timestamp added after signing keep every signature valid" \
    pdf verify "$W/ltv.pdf"
out_has "kind: document timestamp" "the document timestamp is recognised"
out_has "signer: CN=Test TSA" "its TSA is named"
out_has "later changes: allowed (2 updates: 1 prepared field signed DSS 1 document timestamp)" \
    "the certification allows the slot, the DSS and the timestamp"
pdfsig "$W/ltv.pdf" >"$W/pdfsig.out" 2>&1
[ "$(grep -c "Signature is Valid" "$W/pdfsig.out")" -ge 2 ] || { cat "$W/pdfsig.out" >&2; fail "pdfsig on the B-LTA document"; }
pass "pdfsig still finds the two signatures valid"

# an uncertified (approval) document, signed once: the older kind
sign "$W/doc.pdf" "$W/approval.pdf" --caption "Registrar"
expect 0 "an approval signature verifies" pdf verify "$W/approval.pdf"
out_has "kind: approval" "it is an approval signature"

# ---- the attacks -------------------------------------------------------------
# attack NAME SOURCE SENTENCE [INFO]: the attack's PDF is reported with exit
# 1, its first signature not valid, and the sentence naming the change.
# "@N@" in SENTENCE stands for the first free object number of SOURCE (where
# the attacker's new objects start).
attack() {
    local name=$1 src=$2 sentence=$3 info=${4:-} n
    n=$(python3 -c 'import re,sys; print(max(int(x) for x in re.findall(rb"/Size (\d+)", open(sys.argv[1],"rb").read())))' "$src")
    sentence=${sentence//@N@/$n}
    python3 "$ATK" "$name" "$src" "$W/$name.pdf" $info || fail "$name: building the attack PDF"
    expect 1 "$name is reported" pdf verify "$W/$name.pdf"
    ! sed -n '/^signature 1:/{n;p;q}' "$OUT" | grep -q "status: valid" ||
        fail "$name: signature 1 is still valid"
    grep -q "NOT all valid" "$OUT" || fail "$name: verify says all valid"
    grep -qF -- "$sentence" "$OUT" || { cat "$OUT" >&2; fail "$name: the report does not say: $sentence"; }
    pass "$name: reported as: $sentence"
}

attack eaa-freetext "$W/cert.pdf" "an annotation was added on page 1 (object @N@, /FreeText)"
attack eaa-freetext-ftsig "$W/cert.pdf" "an annotation was added on page 1 (object @N@, /FreeText)"
attack evil-sig-widget "$W/cert.pdf" "an annotation was added on page 1 (object @N@, /Widget)"
attack evil-sig-widget "$W/approval.pdf" "an annotation was added on page 1 (object @N@, /Widget)"
attack ssa "$W/cert.pdf" "an annotation was added on page 1 (object @N@, /Widget)"
attack ssa "$W/approval.pdf" "an annotation was added on page 1 (object @N@, /Widget)"
attack ssa-copy "$W/approval.pdf" "an annotation was added on page 1 (object @N@, /Widget)"
attack slot-moved "$W/cert.pdf" "/Rect of signature field object"
attack content "$W/cert.pdf" "the content of page 1 was changed (content stream object 4)"
attack content "$W/party.pdf" "the content of page 1 was changed (content stream object 4)"
attack freed "$W/cert.pdf" "object 4 was deleted by a later update"
attack catalog-js "$W/cert.pdf" "/OpenAction of the catalog was added"
attack isa-trailing "$W/cert.pdf" "bytes after the last %%EOF are not a complete revision"
attack isa-noprev "$W/cert.pdf" "the updates after the signed revision do not build on it"
attack swa "$W/cert.pdf" "the gap in /ByteRange is not exactly the /Contents hex string"
for v in br-missing br-null br-odd br-range contents-missing contents-null; do
    python3 "$ATK" "usf-$v" "$W/cert.pdf" "$W/usf-$v.pdf" || fail "usf-$v: building"
    expect 1 "usf-$v is reported" pdf verify "$W/usf-$v.pdf"
    out_has "status: bad-byte-range" "usf-$v: the signature's byte range is refused"
    out_lacks "status: valid" "usf-$v: nothing valid"
    grep -q "problem: .*ByteRange\|problem: .*Contents" "$OUT" || fail "usf-$v: the problem is not named"
    pass "usf-$v: $(grep -m1 'problem:' "$OUT" | sed 's/^ *//')"
done

# shadow attacks: the attacker prepares hidden revisions before the signing
python3 "$ATK" prepare-shadow "$W/shadow.pdf" "$W/shadow.json" || fail "preparing the shadow document"
sign "$W/shadow.pdf" "$W/shadow-signed.pdf" --certify --page 1 --rect 300,40,220,80 \
    --slot 1:40,40,200,60
expect 0 "the prepared document, signed, verifies" pdf verify "$W/shadow-signed.pdf"
if command -v pdftotext >/dev/null; then
    pdftotext "$W/shadow-signed.pdf" - | grep -q "Alice" || fail "the signer did not see Alice"
    pass "what the signer saw: Name: Alice"
fi
attack shadow-hide "$W/shadow-signed.pdf" \
    "object 7 was redefined by a later update to bytes inside the signed revision" "$W/shadow.json"
attack shadow-replace "$W/shadow-signed.pdf" \
    "the content of page 1 was changed (its /Contents, page object 3)" "$W/shadow.json"
attack shadow-hide-replace "$W/shadow-signed.pdf" \
    "the document catalog was replaced (the trailer's /Root now names object @N@ instead of 1)" \
    "$W/shadow.json"
# the same with a shadow catalog that has no form: the document now looks
# unsigned, so the signature of the earlier revision is reported
attack shadow-hide-replace-bare "$W/shadow-signed.pdf" \
    "the document catalog was replaced (the trailer's /Root now names object 9 instead of 1)" \
    "$W/shadow.json"
attack shadow-hide-replace-xref "$W/shadow-signed.pdf" \
    "object 1 was redefined by a later update to bytes inside the signed revision" "$W/shadow.json"
if command -v pdftotext >/dev/null; then
    pdftotext "$W/shadow-hide.pdf" - | grep -q "Mallory" || fail "the shadow-hide attack does not show Mallory"
    pass "the shadow-hide attack really shows Mallory to a viewer (pdftotext)"
fi

# ---- hostile input: memory and time bounded ------------------------------------
python3 - "$W/approval.pdf" "$W/zeros.pdf" <<'PY'
import re, sys
d = open(sys.argv[1], "rb").read()
prev = int(re.findall(rb"startxref\s+(\d+)", d)[-1])
size = max(int(x) for x in re.findall(rb"/Size (\d+)", d))
page = re.findall(rb"(?<![0-9])3 0 obj\s*(.*?)\s*endobj", d, re.S)[-1]
# appended to /Annots, as a new annotation would be
page = re.sub(rb"(/Annots \[[^\]]*)\]", lambda m: m.group(1) + b" %d 0 R]" % size, page, count=1)
off1 = len(d)
annot = (b"%d 0 obj\n<< /Type /Annot /Subtype /Square /Rect [0 0 10 10] /Z [" % size +
         b"0 " * 3000000 + b"] >>\nendobj\n")
off2 = off1 + len(annot)
pg = b"3 0 obj\n" + page + b"\nendobj\n"
x = off2 + len(pg)
xr = (b"xref\n3 1\n%010d 00000 n\r\n%d 1\n%010d 00000 n\r\ntrailer\n<< /Size %d /Root 1 0 R /Prev %d >>\nstartxref\n%d\n%%%%EOF\n"
      % (off2, size, off1, size + 1, prev, x))
open(sys.argv[2], "wb").write(d + annot + pg + xr)
PY
[ "$(stat -c %s "$W/zeros.pdf")" -gt 6000000 ] || fail "the hostile PDF is not 6 MB"
# in the sanitizer build, ASan keeps freed memory in a quarantine (256 MiB
# by default) for its own checks: keep that small for this measurement. And
# qpdf leaks one object (88 bytes) when an allocation fails in the middle of
# parsing (its exception safety, not ours): no leak check for this one run.
asan_env=
if ldd "$MOHUR" 2>/dev/null | grep -q libasan; then
    asan_env="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=16:detect_leaks=0"
fi
ASAN_OPTIONS=${asan_env:-${ASAN_OPTIONS:-}} \
python3 - "$MOHUR" "$W/zeros.pdf" "$W/zeros.out" <<'PY' >"$W/rss.txt" || fail "measuring the hostile PDF"
import resource, subprocess, sys, time
t = time.monotonic()
p = subprocess.run([sys.argv[1], "pdf", "verify", sys.argv[2]], stdout=subprocess.PIPE,
                   stderr=subprocess.STDOUT)
open(sys.argv[3], "wb").write(p.stdout)
print(p.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024,
      "%.2f" % (time.monotonic() - t))
PY
read -r zrc zmb zsec <"$W/rss.txt"
echo "hostile PDF (6 MB, three million zeros): exit $zrc, peak RSS $zmb MiB, $zsec s" >&2
[ "$zrc" -eq 3 ] || { cat "$W/zeros.out" >&2; fail "the hostile PDF: exit $zrc, expected 3 (refused)"; }
grep -q "too complex to verify: it needs more than 256 MiB" "$W/zeros.out" ||
    { cat "$W/zeros.out" >&2; fail "the hostile PDF is not refused with the budget's sentence"; }
pass "the hostile PDF is refused: $(grep -m1 -o 'the PDF is too complex[^;(]*' "$W/zeros.out")"
# the budget (256 MiB, which counts the sanitizer's redzones and shadow when
# it is on) plus the process, the file and what the budget does not see
limit=360
[ "$zmb" -le "$limit" ] || fail "verifying the hostile PDF took $zmb MiB (more than $limit MiB)"
pass "peak memory $zmb MiB (at most $limit), $zsec s"

echo "all $CHECKS checks passed"
