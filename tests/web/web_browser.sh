#!/bin/bash
# web_browser.sh - the verification page in a real browser, with Debian's
# packages only (no npm, no network): a fresh appliance (mohur init in a
# temporary MOHUR_STATE_DIR) issues documents and receipts in every verdict,
# mohurd serves the real page on loopback, and browser.py drives
# Debian's chromium through chromedriver (chromium-driver) with Debian's
# python3-selenium, for each language and verdict, the local file check, the
# receipt check with a flipped bit, requests (chromium's performance log),
# CSP, console (browser log), keyboard use, our own WCAG 2.2 AA checks
# (a11y.js; axe-core too only when MOHUR_AXE_JS or MOHUR_WEB_NPM names a
# copy already on the machine), the printout, the offline verifier, and a
# diploma's QR read by zbarimg from the rendered PDF at 150 dpi. As root
# the servers, chromedriver and chromium run in a network namespace of their
# own (loopback only) and a PID namespace that ends them all when the test
# ends (MOHUR_WEB_NETNS=0 turns that off). Screenshots go to
# $MOHUR_BUILD/web-artifacts.
. "$(dirname "$0")/../cli/lib.sh"

CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
CHROMEDRIVER=${CHROMEDRIVER:-/usr/bin/chromedriver}
# Debian's python: python3-selenium lives in its dist-packages
PY=${MOHUR_WEB_PYTHON:-/usr/bin/python3}
[ -x "$CHROMIUM" ] || { echo "SKIP: chromium is not installed (scripts/deps.sh test)" >&2; exit 77; }
[ -x "$CHROMEDRIVER" ] || { echo "SKIP: chromedriver is not installed (scripts/deps.sh test)" >&2; exit 77; }
"$PY" -c 'import selenium' 2>/dev/null ||
    { echo "SKIP: python3-selenium is not installed (scripts/deps.sh test)" >&2; exit 77; }
for t in pdftoppm pdftotext zbarimg python3; do
    command -v "$t" >/dev/null || fail "$t is needed (scripts/deps.sh test)"
done
: "${MOHURD:?set MOHURD to the mohurd binary}"
: "${P11FAULT:?set P11FAULT to libmh_p11fault.so}"
: "${MKPDF:?set MKPDF to mkpdf.py}"
HERE=$(cd "$(dirname "$0")" && pwd)
ART=${MOHUR_BUILD:-$W}/web-artifacts
mkdir -p "$ART"
# the real binary: Debian's /usr/bin/chromium is a wrapper script
BROWSER_BIN=$CHROMIUM
[ "$CHROMIUM" = /usr/bin/chromium ] && [ -x /usr/lib/chromium/chromium ] && BROWSER_BIN=/usr/lib/chromium/chromium
pass "chromium $("$BROWSER_BIN" --version 2>/dev/null | grep -o '[0-9][0-9.]*' | head -1), chromedriver and python3-selenium $("$PY" -c 'import selenium; print(selenium.__version__)') from Debian"

# axe-core only when a copy is already here; never installed by the test
AXE=${MOHUR_AXE_JS:-}
if [ -z "$AXE" ] && [ -n "${MOHUR_WEB_NPM:-}" ]; then
    AXE=$MOHUR_WEB_NPM/node_modules/axe-core/axe.min.js
fi
if [ -n "$AXE" ] && [ ! -r "$AXE" ]; then
    echo "note: $AXE is not readable; axe-core will not run" >&2
    AXE=
fi

# browser.py owns the servers, chromedriver and chromium and ends them
# however it ends; without the namespaces, whatever is left in its session
# (its id in $W/driver.sid) is ended here.
stop_all() {
    if [ -s "$W/driver.sid" ]; then
        local sid left=()
        sid=$(cat "$W/driver.sid")
        case $sid in '' | *[!0-9]* | 0 | 1 | "$$") sid=none ;; esac
        [ "$sid" = "$(ps -o sid= -p $$ | tr -d ' ')" ] && sid=none
        while read -r pid psid; do
            [ "$psid" = "$sid" ] && left+=("$pid")
        done < <(ps -eo pid=,sid=)
        [ ${#left[@]} -gt 0 ] && kill -9 "${left[@]}" 2>/dev/null
    fi
    if [ -n "${MOHUR_WEB_KEEP:-}" ]; then # debugging: rerun browser.py on $W/cases.json
        echo "kept $W" >&2
        return
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

# pending: browser.py asks the served mohurd to issue an act whose first
# signature is the notary's own key's (a software key here), and looks at
# the receipt in the stamp shown before it is signed
command -v openssl >/dev/null || fail "openssl is needed (scripts/deps.sh test)"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$W/own.key" 2>/dev/null &&
    openssl pkey -in "$W/own.key" -pubout -out "$W/own.pub" || fail "the notary's own key"
SOFTHSM2_CONF="$SOFTHSM2_CONF_A" run ca issue --profile notary --subject "CN=Aysel Həsənova,C=AZ" \
    --pubkey "$W/own.pub" --key "pkcs11:token=mohur;object=root;type=private?pin-source=file:$A/pins/user.pin" \
    --out "$W/own.pem"
[ "$RC" = 0 ] || fail "certify the notary's own key (exit $RC)"
expect 0 "register it for the notary" issuer add-cert --issuer notary --cert "$W/own.pem"
expect 0 "an API token for the notary" api-token create --name pending --role notary --issuer notary --json
PENDING_TOKEN=$(json_get token)
python3 "$MKPDF" "$W/act4.pdf" "Notary act 2024/40"

# a signed checkpoint covering every entry, for the ledger proof
SOFTHSM2_CONF="$SOFTHSM2_CONF_A" run log checkpoint --origin verify.mohur.test/log --key "$REGKEY"
[ "$RC" = 0 ] || fail "signing a checkpoint"
pass "a checkpoint is signed with the registry key"

# revocation status unknown: the same appliance without its CRL
cp -a "$A" "$W/state-nocrl"
rm -f "$W/state-nocrl/certs/root.crl" "$W/state-nocrl/certs/root.crl.pem"

expect 0 "mohur web export writes the offline verifier" web export --out "$W/offline.html"

path_of() { printf '/V/%s' "${1#*/V/}"; }
ls "$W"/dip-page*.png >/dev/null
cp "$(ls "$W"/dip-page*.png | head -1)" "$W/dip-page-1.png" 2>/dev/null || true

# The servers: mohurd itself (its front process serves the page through
# mh_web_handle), one per appliance, started by browser.py (in the
# namespace when there is one) on a free loopback port it writes to its
# port file (tests/web/mohurd_server.sh).
server_a="[\"bash\", \"$HERE/mohurd_server.sh\", \"$MOHURD\", \"$A\", \"$W/port-a\"]"
server_b="[\"bash\", \"$HERE/mohurd_server.sh\", \"$MOHURD\", \"$W/state-nocrl\", \"$W/port-b\"]"

cat >"$W/cases.json" <<JSON
{
  "servers": {"base": {"argv": $server_a, "port_file": "$W/port-a"},
              "base_nocrl": {"argv": $server_b, "port_file": "$W/port-b"}},
  "server_log": "$W/testd.log",
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
  "pending": {"token": "$PENDING_TOKEN", "cert": "$W/own.pem", "pdf": "$W/act4.pdf"},
  "files": {"signed": "$W/act.signed.pdf", "original": "$W/act.pdf",
            "altered": "$W/act.altered.pdf", "other": "$W/act2.signed.pdf",
            "qrpng": "$W/dip-page-1.png"},
  "offline": "$W/offline.html",
  "i18n": "$HERE/../../host/web/i18n",
  "a11y": "$HERE/a11y.js",
  "artifacts": "$ART",
  "chromium": "$BROWSER_BIN",
  "chromedriver": "$CHROMEDRIVER",
  "profile": "$W/profile",
  "chromedriver_log": "$W/chromedriver.log",
  "sidfile": "$W/driver.sid",
  "countfile": "$W/browser.count",
  "axe": "$AXE"
}
JSON

# Root (CI): the servers, chromedriver and chromium get a network namespace
# with only loopback (nothing can leave the machine, whatever the page
# does) and a PID namespace whose processes all end when browser.py does.
NETNS=${MOHUR_WEB_NETNS:-auto}
if [ "$NETNS" = auto ]; then
    NETNS=0
    if [ "$(id -u)" = 0 ] && command -v unshare >/dev/null && command -v ip >/dev/null &&
        unshare --net --pid --fork --mount-proc --kill-child ip link set lo up 2>/dev/null; then
        NETNS=1
    fi
fi
if [ "$NETNS" = 1 ]; then
    pass "the browser runs in a network namespace of its own (loopback only) and a PID namespace"
    unshare --net --pid --fork --mount-proc --kill-child \
        bash -c 'ip link set lo up || exit 1; "$@"' netns "$PY" "$HERE/browser.py" "$W/cases.json" --netns ||
        fail "the browser tests (above)"
else
    echo "note: no private network namespace (not root, or unshare refused); the browser uses this host's loopback" >&2
    setsid -w "$PY" "$HERE/browser.py" "$W/cases.json" || fail "the browser tests (above)"
fi
pass "the browser tests passed ($(cat "$W/browser.count") checks in the browser)"
echo "web_browser: $((CHECKS + $(cat "$W/browser.count"))) checks passed"
