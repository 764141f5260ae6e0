#!/bin/bash
# receipt.sh - `mohur receipt ...` end to end: a registry key on a throwaway
# SoftHSM2 token signs a diploma's receipt; its QR code (PNG, SVG, and vector
# drawing in a PDF) must decode with zbarimg to exactly the URL; the
# signature is checked independently with OpenSSL; verify accepts it and
# refuses every modification.

# shellcheck source=tests/cli/lib.sh
. "$(dirname "$0")/../cli/lib.sh"

for tool in zbarimg rsvg-convert pdftoppm openssl python3; do
    if ! command -v "$tool" >/dev/null; then
        echo "NOTE: SKIPPING the receipt end-to-end test: '$tool' is not installed" \
            "(scripts/deps.sh test installs zbar-tools, librsvg2-bin, poppler-utils)" >&2
        exit 77
    fi
done

PINF="$W/user.pin"
KEY="pkcs11:token=Registry;object=registry?pin-source=file:$PINF"
HOST=yoxla.edu.gov.az

# zbar_is WHAT IMAGE: the image decodes to exactly $URL
zbar_is() {
    local got
    got=$(zbarimg --raw -q "$2" 2>"$W/zbar.err")
    if [ "$got" = "$URL" ]; then
        pass "$1 decodes to exactly the URL"
    else
        echo "zbarimg said: '$got'" >&2
        cat "$W/zbar.err" >&2
        fail "$1 does not decode to the URL"
    fi
}

# ---- help and usage ----------------------------------------------------------

for c in make show verify qr; do
    expect 0 "receipt $c --help" receipt $c --help
    out_has "^Usage: mohur receipt $c" "receipt $c help has usage"
    out_has "Example" "receipt $c help has an example"
done
expect 2 "receipt make without options" receipt make
expect 2 "receipt verify without --trust" receipt verify --qr HTTPS://A/V/MY
expect 2 "bad --index" receipt make --key "$KEY" --registry R --index -1 --kind k --issuer I \
    --digest-of /dev/null
expect 2 "bad --field" receipt make --key "$KEY" --registry R --index 1 --kind k --issuer I \
    --digest-of /dev/null --field noequals
expect 2 "bad --level" receipt qr --text X --level Z

# ---- a registry key on a token ------------------------------------------------

init_token Registry
expect 0 "generate the registry key (EC P-256)" key generate \
    --token "pkcs11:token=Registry?pin-source=file:$PINF" --type ec-p256 --label registry
expect 0 "generate a P-384 key" key generate \
    --token "pkcs11:token=Registry?pin-source=file:$PINF" --type ec-p384 --label wide
expect 0 "export the registry public key" key export \
    --key "pkcs11:token=Registry;object=registry" --out "$W/registry.pem"
openssl ecparam -name prime256v1 -genkey -noout -out "$W/other.key" 2>/dev/null
openssl ec -in "$W/other.key" -pubout -out "$W/other.pem" 2>/dev/null

# the original document
head -c 180000 /dev/urandom >"$W/diploma.pdf"
DOC_SHA=$(openssl dgst -sha256 -r "$W/diploma.pdf" | cut -c1-64)

# ---- make ----------------------------------------------------------------------

expect 0 "receipt make (diploma)" receipt make --key "$KEY" --registry AZ-EDU --index 1234567 \
    --kind diploma --issuer BDU --digest-of "$W/diploma.pdf" --time 1782820800 \
    --field "name=Məmmədova Şəbnəm Tofiq qızı" --field "degree=Magistr: Kompüter elmləri" \
    --field "date=2026-06-30" --field "grade=Əla (ağ diplom)" --host "$HOST" \
    --out "$W/receipt.cbor" --png "$W/qr.png" --svg "$W/qr.svg" \
    --pdf-ops "$W/qr.ops" --pdf-at 56,56,170 --max-version 13
URL=$(head -n1 "$OUT")
echo "URL (${#URL} characters): $URL"
cat "$ERR"
case "$URL" in
HTTPS://YOXLA.EDU.GOV.AZ/V/*) pass "URL has the upper-cased host and /V/" ;;
*) fail "URL '$URL' is not HTTPS://YOXLA.EDU.GOV.AZ/V/..." ;;
esac
if printf '%s' "$URL" | grep -q '^[0-9A-Z $%*+./:-]*$'; then
    pass "URL uses only QR alphanumeric characters"
else
    fail "URL has characters outside QR alphanumeric mode"
fi
VERSION=$(sed -n 's/^QR version \([0-9]*\)-M.*/\1/p' "$ERR")
[ -n "$VERSION" ] && [ "$VERSION" -le 13 ] || fail "diploma QR version '$VERSION' is above 13-M"
pass "diploma QR is version $VERSION-M (<= 12)"

# ---- the images decode with zbarimg ----------------------------------------------

zbar_is "PNG" "$W/qr.png"
check "SVG renders with rsvg-convert" rsvg-convert -o "$W/svg.png" "$W/qr.svg"
zbar_is "SVG (rendered by rsvg-convert)" "$W/svg.png"

# a one-page PDF whose content stream is the drawing operators
python3 - "$W/qr.ops" "$W/qr.pdf" <<'EOF'
import sys
ops = open(sys.argv[1], "rb").read()
objs = [
    b"<< /Type /Catalog /Pages 2 0 R >>",
    b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
    b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << >> >>",
    b"<< /Length %d >>\nstream\n" % len(ops) + ops + b"\nendstream",
]
out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
offs = []
for i, o in enumerate(objs, 1):
    offs.append(len(out))
    out += b"%d 0 obj\n" % i + o + b"\nendobj\n"
xref = len(out)
out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
for o in offs:
    out += b"%010d 00000 n \n" % o
out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
open(sys.argv[2], "wb").write(out)
EOF
check "PDF renders with pdftoppm at 150 dpi" pdftoppm -r 150 -png -singlefile "$W/qr.pdf" "$W/page"
zbar_is "PDF vector drawing (pdftoppm -r 150)" "$W/page.png"

# ---- OpenSSL checks the COSE_Sign1 signature on its own ----------------------------

python3 - "$W/receipt.cbor" "$W" <<'EOF'
import sys
data = open(sys.argv[1], "rb").read()
w = sys.argv[2]

def head(b, i):
    ib = b[i]; mt, ai = ib >> 5, ib & 31; i += 1
    if ai < 24: return mt, ai, i
    n = {24: 1, 25: 2, 26: 4, 27: 8}[ai]
    return mt, int.from_bytes(b[i:i + n], "big"), i + n

def bstr(b, i):
    mt, n, i = head(b, i)
    assert mt == 2, "expected a byte string"
    return b[i:i + n], i + n

mt, tag, i = head(data, 0); assert (mt, tag) == (6, 18), "COSE_Sign1 tag"
mt, n, i = head(data, i); assert (mt, n) == (4, 4), "four elements"
prot, i = bstr(data, i)
assert data[i] == 0xa0; i += 1
payload, i = bstr(data, i)
sig, i = bstr(data, i)
assert i == len(data) and len(sig) == 64
assert prot[:4] == bytes([0xa2, 0x01, 0x26, 0x04]), "alg ES256 then kid"

def enc_head(mt, n):
    if n < 24: return bytes([mt << 5 | n])
    if n < 256: return bytes([mt << 5 | 24, n])
    return bytes([mt << 5 | 25]) + n.to_bytes(2, "big")

tbs = (bytes([0x84]) + enc_head(3, 10) + b"Signature1" + enc_head(2, len(prot)) + prot +
       bytes([0x40]) + enc_head(2, len(payload)) + payload)
open(w + "/tbs.bin", "wb").write(tbs)

def der_int(x):
    x = x.lstrip(b"\0") or b"\0"
    if x[0] & 0x80: x = b"\0" + x
    return bytes([2, len(x)]) + x
body = der_int(sig[:32]) + der_int(sig[32:])
open(w + "/sig.der", "wb").write(bytes([0x30, len(body)]) + body)
open(w + "/payload.bin", "wb").write(payload)
EOF
[ $? -eq 0 ] || fail "the receipt is not a COSE_Sign1 as documented"
pass "receipt parsed independently (tag 18, protected {1:-7, 4:kid}, {}, payload, 64-byte sig)"
check "openssl verifies the ES256 signature over Sig_structure" \
    openssl dgst -sha256 -verify "$W/registry.pem" -signature "$W/sig.der" "$W/tbs.bin"
check_not "openssl refuses it with another key" \
    openssl dgst -sha256 -verify "$W/other.pem" -signature "$W/sig.der" "$W/tbs.bin"
# the payload carries the first 16 bytes of the document's SHA-256
PAYLOAD_HEX=$(od -An -tx1 -v "$W/payload.bin" | tr -d ' \n')
case "$PAYLOAD_HEX" in
*"2350${DOC_SHA:0:32}"*) pass "payload holds SHA-256/128 of the document (claim -4)" ;;
*) fail "payload lacks the document digest" ;;
esac

# ---- show and verify ----------------------------------------------------------------

expect 0 "receipt show" receipt show --qr "$URL"
out_has "name: *Məmmədova Şəbnəm Tofiq qızı" "show prints the name"
out_has "NOT CHECKED" "show says the signature was not checked"
expect 0 "receipt show --json" receipt show --qr "$URL" --json
check "show --json content" python3 - "$OUT" "$DOC_SHA" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["registry"] == "AZ-EDU" and d["log_index"] == 1234567, d
assert d["kind"] == "diploma" and d["issuer"] == "BDU", d
assert d["issued"] == "2026-06-30T12:00:00Z", d["issued"]
assert d["sha256"] == sys.argv[2][:32] and d["sha256_truncated"] is True, d
assert d["length"] == 180000, d
assert d["fields"] == {"name": "Məmmədova Şəbnəm Tofiq qızı", "date": "2026-06-30",
                       "degree": "Magistr: Kompüter elmləri", "grade": "Əla (ağ diplom)"}, d
assert d["host"] == "YOXLA.EDU.GOV.AZ" and d["signature_checked"] is False
EOF

ZURL=$(zbarimg --raw -q "$W/page.png" 2>/dev/null)
expect 0 "verify the URL read back from the PDF" receipt verify --qr "$ZURL" \
    --trust "$W/registry.pem" --file "$W/diploma.pdf"
out_has "status: *VALID" "verify says VALID"
out_has "the document matches" "verify checked the document"
expect 0 "verify with several trusted keys (two files)" receipt verify --qr "$URL" \
    --trust "$W/other.pem" --trust "$W/registry.pem"
cat "$W/other.pem" "$W/registry.pem" >"$W/both.pem"
expect 0 "verify with several keys in one file" receipt verify --qr "$URL" --trust "$W/both.pem"
expect 0 "verify --json" receipt verify --qr "$URL" --trust "$W/registry.pem" --json \
    --file "$W/diploma.pdf"
check "verify --json says valid" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["status"] == "valid" and d["signature_valid"] and d["document_matches"], d' "$OUT"

# refusals
expect 1 "verify with an untrusted registry key" receipt verify --qr "$URL" \
    --trust "$W/other.pem"
err_has "no trusted registry key" "untrusted key explained"
out_has "status: *INVALID" "untrusted: INVALID"
printf 'x' >>"$W/diploma.pdf"
expect 1 "verify with a changed document" receipt verify --qr "$URL" --trust "$W/registry.pem" \
    --file "$W/diploma.pdf"
err_has "does not match" "changed document explained"
# every single-character change of the base32 part is refused
B32=${URL#HTTPS://YOXLA.EDU.GOV.AZ/V/}
PREFIX=${URL%"$B32"}
n=0
for pos in 0 7 20 33 60 100 150 200 250 300 $((${#B32} - 3)) $((${#B32} - 1)); do
    c=${B32:$pos:1}
    if [ "$c" = A ]; then r=B; else r=A; fi
    bad="$PREFIX${B32:0:$pos}$r${B32:$((pos + 1))}"
    run receipt verify --qr "$bad" --trust "$W/registry.pem"
    [ "$RC" -eq 1 ] || [ "$RC" -eq 3 ] || fail "modified URL (position $pos) gave exit $RC"
    grep -q "status: *VALID" "$OUT" && fail "modified URL (position $pos) said VALID"
    n=$((n + 1))
done
pass "$n modified URLs refused (exit 1 or 3, never VALID)"
expect 3 "a truncated URL" receipt verify --qr "${URL:0:200}" --trust "$W/registry.pem"
expect 3 "trailing garbage after the receipt" receipt verify --qr "${URL}AAAAAAAA" \
    --trust "$W/registry.pem"
expect 3 "not a receipt URL" receipt verify --qr "https://example.com/" --trust "$W/registry.pem"
err_has "path must be /V/" "wrong path explained"
expect 3 "lower-case receipt" receipt verify --qr "$(printf '%s' "$URL" | tr A-Z a-z)" \
    --trust "$W/registry.pem"
expect 3 "a trust file that is not a key" receipt verify --qr "$URL" --trust "$W/qr.svg"

# ---- make refusals ----------------------------------------------------------------------

expect 4 "receipt make with a P-384 key" receipt make \
    --key "pkcs11:token=Registry;object=wide?pin-source=file:$PINF" --registry R --index 1 \
    --kind k --issuer I --digest-of "$W/diploma.pdf"
err_has "P-256" "P-384 refusal names P-256"
expect 2 "the same field twice" receipt make --key "$KEY" --registry R --index 1 --kind k \
    --issuer I --digest-of "$W/diploma.pdf" --field name=a --field name=b
err_has "given twice" "duplicate field explained"
expect 2 "a field with a control character" receipt make --key "$KEY" --registry R --index 1 \
    --kind k --issuer I --digest-of "$W/diploma.pdf" --field "$(printf 'name=a\tb')"
expect 3 "a missing document" receipt make --key "$KEY" --registry R --index 1 --kind k \
    --issuer I --digest-of "$W/nope.pdf"
expect 2 "a bad host" receipt make --key "$KEY" --registry R --index 1 --kind k --issuer I \
    --digest-of "$W/diploma.pdf" --host "bad_host"
expect 3 "--max-version too small" receipt make --key "$KEY" --registry R --index 1 --kind k \
    --issuer I --digest-of "$W/diploma.pdf" --max-version 5 --field "name=$(printf 'x%.0s' {1..150})"
err_has "version" "QR size limit explained"

# --digest/--length and --full-digest: the same document verifies
expect 0 "receipt make --digest --length --full-digest" receipt make --key "$KEY" \
    --registry AZ-EDU --index 7 --kind notary-act --issuer NOT1 --digest "$DOC_SHA" \
    --length 180000 --full-digest
URL2=$(head -n1 "$OUT")
head -c 180000 "$W/diploma.pdf" >"$W/orig.pdf"
expect 0 "verify the full-digest receipt with its document" receipt verify --qr "$URL2" \
    --trust "$W/registry.pem" --file "$W/orig.pdf"

# ---- receipt qr: any text, byte mode too ------------------------------------------------------

expect 0 "receipt qr (UTF-8 text)" receipt qr --text "Salam, dünya! ə ş ğ" --png "$W/t.png" \
    --level H
zbar_out=$(zbarimg --raw -q "$W/t.png" 2>/dev/null)
[ "$zbar_out" = "Salam, dünya! ə ş ğ" ] || fail "UTF-8 QR decoded as '$zbar_out'"
pass "UTF-8 QR (level H) decodes exactly"

echo "receipt end to end: $CHECKS checks passed"
