#!/bin/bash
# web_browser.sh - the verification page in a real browser: a fresh
# appliance (mohur init in a temporary MOHUR_STATE_DIR) issues documents and
# receipts in every verdict, web_testd serves the real renderer on loopback,
# and browser.cjs drives Debian's chromium through puppeteer-core (npm,
# exact version, installed here) for each language and verdict, the local
# file check, the receipt check with a flipped bit, requests, CSP, console,
# keyboard use, axe-core, the offline verifier, and a diploma's QR read by
# zbarimg from the rendered PDF at 150 dpi. Screenshots go to
# $MOHUR_BUILD/web-artifacts.
. "$(dirname "$0")/../cli/lib.sh"

CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
[ -x "$CHROMIUM" ] || { echo "SKIP: chromium is not installed (scripts/deps.sh test)" >&2; exit 77; }
command -v node >/dev/null || { echo "SKIP: node is not installed (scripts/deps.sh test)" >&2; exit 77; }
for t in npm pdftoppm zbarimg python3; do
    command -v "$t" >/dev/null || fail "$t is needed (scripts/deps.sh test)"
done
: "${WEB_TESTD:?set WEB_TESTD to the web_testd binary}"
: "${P11FAULT:?set P11FAULT to libmh_p11fault.so}"
: "${MKPDF:?set MKPDF to mkpdf.py}"
HERE=$(cd "$(dirname "$0")" && pwd)
ART=${MOHUR_BUILD:-$W}/web-artifacts
mkdir -p "$ART"

# browser-test tooling from npm, exact versions, outside the tree
NPM_DIR=${MOHUR_WEB_NPM:-/var/cache/mohur-web-npm}
if [ ! -f "$NPM_DIR/node_modules/puppeteer-core/package.json" ] ||
    [ ! -f "$NPM_DIR/node_modules/axe-core/axe.min.js" ]; then
    mkdir -p "$NPM_DIR" || fail "cannot make $NPM_DIR"
    (cd "$NPM_DIR" && PUPPETEER_SKIP_DOWNLOAD=1 npm install --no-save --no-audit --no-fund \
        --no-package-lock -E puppeteer-core@24.10.0 axe-core@4.10.3 >"$W/npm.log" 2>&1) ||
        { cat "$W/npm.log" >&2; fail "npm install of puppeteer-core and axe-core"; }
fi
pass "puppeteer-core 24.10.0 and axe-core 4.10.3 are installed"

PIDS=()
stop_all() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
    for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
    # a browser left by a node that died: its pid file
    if [ -s "$W/chromium.pid" ]; then
        kill -9 "$(cat "$W/chromium.pid")" 2>/dev/null
    fi
    rm -rf "$W"
}
trap stop_all EXIT

A="$W/state-a"
B="$W/state-b"
export MOHUR_STATE_DIR="$A"
json_get() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$OUT" "$1"; }

expect 0 "init a fresh appliance" init
SOFTHSM2_CONF_A="$A/softhsm2.conf"
REGKEY="pkcs11:token=mohur;object=registry?pin-source=file:$A/pins/user.pin"

# valid: a notary act (PDF)
python3 "$MKPDF" "$W/act.pdf" "Notary act 2024/17"
expect 0 "sign a notary act" sign "$W/act.pdf" --kind notary-act --issuer notary \
    --field act=2024/17 --field title="Etibarnamə" --field date=2024-05-02 \
    --out "$W/act.signed.pdf" --json
URL_VALID=$(json_get url)
python3 - "$W/act.signed.pdf" "$W/act.altered.pdf" <<'PY'
import sys
d = bytearray(open(sys.argv[1], "rb").read())
i = d.index(b"Notary act 2024/17")
d[i + 7] ^= 0x01
open(sys.argv[2], "wb").write(d)
PY

# the diploma: rendered, stamped; its QR is read back from the PDF
cat >"$W/roster.csv" <<'CSV'
name,degree,programme,date,number
Məmmədova Şəbnəm Əli qızı,Bakalavr,İnformatika,2026-06-30,D-2026-001
CSV
expect 0 "issue a diploma from a roster" issue --kind diploma --roster "$W/roster.csv" \
    --issuer bdu --out "$W/dip" --no-progress
DIP=$(ls "$W"/dip/*.pdf | head -1)
pdftoppm -r 150 -f 1 -l 1 -png "$DIP" "$W/dip-page"
URL_DIPLOMA=$(zbarimg -q --raw "$W"/dip-page*.png)
case "$URL_DIPLOMA" in HTTPS://VERIFY.MOHUR.TEST/V/*) pass "zbarimg reads the diploma's QR at 150 dpi" ;;
*) fail "zbarimg read the diploma's QR ($URL_DIPLOMA)" ;; esac

# revoked
python3 "$MKPDF" "$W/act2.pdf" "Notary act 2024/18"
expect 0 "sign a second act" sign "$W/act2.pdf" --kind notary-act --issuer notary \
    --field act=2024/18 --field title="Vəkalətnamə" --field date=2024-05-03 \
    --out "$W/act2.signed.pdf" --json
URL_REVOKED=$(json_get url)
expect 0 "revoke it" revoke notary/notary-act/2024/18 --reason superseded

# unknown: signed by this registry's key, for an entry the ledger lacks
SOFTHSM2_CONF="$SOFTHSM2_CONF_A" run receipt make --key "$REGKEY" --registry AZ-DEMO \
    --index 999 --kind notary-act --issuer notary --digest-of "$W/act.pdf" \
    --field act=2024/55 --host verify.mohur.test
[ "$RC" = 0 ] || fail "a receipt for an entry the ledger does not have"
URL_UNKNOWN=$(head -1 "$OUT")
# wrong host: a genuine receipt issued for another site
SOFTHSM2_CONF="$SOFTHSM2_CONF_A" run receipt make --key "$REGKEY" --registry AZ-DEMO \
    --index 0 --kind notary-act --issuer notary --digest-of "$W/act.pdf" \
    --field act=2024/17 --host verify.elsewhere.example
[ "$RC" = 0 ] || fail "a receipt for another host"
URL_WRONGHOST=$(head -1 "$OUT")

# forged: another appliance's receipt
MOHUR_STATE_DIR="$B" run init
[ "$RC" = 0 ] || fail "a second appliance"
python3 "$MKPDF" "$W/fake.pdf" "Notary act 2024/99"
MOHUR_STATE_DIR="$B" run sign "$W/fake.pdf" --kind notary-act --issuer notary \
    --field act=2024/99 --field title=Saxta --field date=2024-05-02 --out "$W/fake.signed.pdf" --json
[ "$RC" = 0 ] || fail "signing on the second appliance"
URL_FORGED=$(json_get url)

# voided: the token is pulled out after the receipt was signed
cp "$A/config.json" "$W/config.good"
python3 - "$A/config.json" "$P11FAULT" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["token"]["module"] = sys.argv[2]
json.dump(c, open(sys.argv[1], "w"), indent=2)
PY
python3 "$MKPDF" "$W/act3.pdf" "Notary act 2024/30"
MOHUR_MODULE_DIRS="$(dirname "$P11FAULT"):/usr/lib" MH_P11FAULT_CONF="$W/fault.conf" \
    MH_P11FAULT_LOG="$W/fault.log" bash -c "echo 'fail C_Sign CKR_DEVICE_REMOVED after=1' >'$W/fault.conf'"
MOHUR_MODULE_DIRS="$(dirname "$P11FAULT"):/usr/lib" MH_P11FAULT_CONF="$W/fault.conf" \
    MH_P11FAULT_LOG="$W/fault.log" run sign "$W/act3.pdf" --kind notary-act --issuer notary \
    --field act=2024/30 --field title=T --field date=2024-05-02 --out "$W/act3.signed.pdf"
[ "$RC" = 4 ] || fail "signing with the token pulled out (exit $RC)"
URL_VOIDED=$(grep -o 'HTTPS://[A-Z0-9./:]*' "$ERR" | head -1)
[ -n "$URL_VOIDED" ] || fail "the voided receipt is named"
cp "$W/config.good" "$A/config.json"
pass "receipts for valid, revoked, voided, unknown, forged and wrong-host pages"

# a signed checkpoint covering every entry, for the ledger proof
SOFTHSM2_CONF="$SOFTHSM2_CONF_A" run log checkpoint --origin verify.mohur.test/log --key "$REGKEY"
[ "$RC" = 0 ] || fail "signing a checkpoint"
pass "a checkpoint is signed with the registry key"

# revocation status unknown: the same appliance without its CRL
cp -a "$A" "$W/state-nocrl"
rm -f "$W/state-nocrl/certs/root.crl" "$W/state-nocrl/certs/root.crl.pem"

expect 0 "mohur web export writes the offline verifier" web export --out "$W/offline.html"

# The servers: mohurd itself (its front process serves the page through
# mh_web_handle), one per appliance, on a free loopback port.
start_server() { # STATE PORTFILE
    local port
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    printf 'public_host verify.mohur.test\nlocal_socket no\n' >"$1/mohurd.conf"
    "$MOHURD" --state "$1" --listen "127.0.0.1:$port" 2>>"$W/testd.log" &
    PIDS+=($!)
    for _ in $(seq 300); do
        [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/healthz")" = 200 ] &&
            { echo "$port" >"$2"; return 0; }
        sleep 0.1
    done
    cat "$W/testd.log" >&2
    fail "mohurd did not start"
}
start_server "$A" "$W/port-a"
start_server "$W/state-nocrl" "$W/port-b"
pass "the test servers listen on loopback"

path_of() { printf '/V/%s' "${1#*/V/}"; }

cat >"$W/cases.json" <<JSON
{
  "base": "http://127.0.0.1:$(cat "$W/port-a")",
  "base_nocrl": "http://127.0.0.1:$(cat "$W/port-b")",
  "paths": {
    "valid": "$(path_of "$URL_VALID")",
    "revoked": "$(path_of "$URL_REVOKED")",
    "voided": "$(path_of "$URL_VOIDED")",
    "unknown": "$(path_of "$URL_UNKNOWN")",
    "forged": "$(path_of "$URL_FORGED")",
    "wronghost": "$(path_of "$URL_WRONGHOST")",
    "diploma": "$(path_of "$URL_DIPLOMA")"
  },
  "urls": {"valid": "$URL_VALID", "wronghost": "$URL_WRONGHOST", "forged": "$URL_FORGED"},
  "files": {"signed": "$W/act.signed.pdf", "original": "$W/act.pdf",
            "altered": "$W/act.altered.pdf", "other": "$W/act2.signed.pdf",
            "qrpng": "$W/dip-page-1.png"},
  "offline": "$W/offline.html",
  "i18n": "$HERE/../../host/web/i18n",
  "artifacts": "$ART",
  "chromium": "$CHROMIUM",
  "profile": "$W/profile",
  "pidfile": "$W/chromium.pid",
  "axe": "$NPM_DIR/node_modules/axe-core/axe.min.js"
}
JSON
ls "$W"/dip-page*.png >/dev/null
cp "$(ls "$W"/dip-page*.png | head -1)" "$W/dip-page-1.png" 2>/dev/null || true
NODE_PATH="$NPM_DIR/node_modules" node "$HERE/browser.cjs" "$W/cases.json" || fail "the browser tests (above)"
pass "the browser tests passed"
echo "web_browser: $CHECKS checks passed"
