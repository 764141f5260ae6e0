#!/usr/bin/env bash
# Self-test of the virtual smart card (tests/fixtures/vcard.sh + mh_vcard):
# start it, find the token through OpenSC's PKCS#11 module, sign and verify
# with openssl, try a wrong PIN, pull the card out and put it back, sign
# again, stop.  Prints each step; exits 0 only if every step passed
# (77 = skipped: not root, or no mount namespaces here).
#
# Usage: MH_VCARD_BIN=/path/to/mh_vcard tests/vcard/check.sh
#        (or MOHUR_BUILD=/path/to/build; KEEP=1 keeps the work directory)
set -uo pipefail

HERE=$(cd -- "$(dirname -- "$0")" && pwd -P)
VCARD=$HERE/../fixtures/vcard.sh
T=60 # seconds allowed for any single client command

if [[ -z ${MH_VCARD_BIN:-} && -n ${MOHUR_BUILD:-} ]]; then
    export MH_VCARD_BIN=$MOHUR_BUILD/tests/vcard/mh_vcard
fi

say() { printf '%s\n' "$*"; }
if (( EUID != 0 )); then
    say "SKIP: must run as root (private pcscd in a mount namespace)"
    exit 77
fi
if ! unshare -m true 2>/dev/null; then
    say "SKIP: cannot create a mount namespace here (unshare -m failed)"
    exit 77
fi
if [[ -z ${MH_VCARD_BIN:-} || ! -x ${MH_VCARD_BIN:-} ]]; then
    say "FAIL: set MH_VCARD_BIN to the built mh_vcard (or MOHUR_BUILD to the build dir)"
    exit 1
fi

WORK=$(mktemp -d /tmp/mh-vcard-check.XXXXXX)
DIR=$WORK/card
PASS=0
FAIL=0
cleanup() {
    "$VCARD" stop "$DIR" >/dev/null 2>&1 || true
    if [[ -n ${KEEP:-} ]]; then
        say "work directory kept: $WORK" >&2
    else
        rm -rf -- "$WORK"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ok() { PASS=$((PASS + 1)); say "  ok: $*"; }
bad() { FAIL=$((FAIL + 1)); say "  FAILED: $*"; }
step() { say ""; say "== $*"; }

# p11 ARGS...: pkcs11-tool on OpenSC's module, output in $WORK/out (shown).
p11() {
    timeout "$T" pkcs11-tool --module "$MH_VCARD_MODULE" "$@" >"$WORK/out" 2>&1
    local rc=$?
    sed 's/^/    | /' "$WORK/out"
    return $rc
}

# sign_verify TAG MECH: sign $WORK/data on the card, verify with openssl.
sign_verify() {
    local tag=$1 mech=$2 sig=$WORK/sig-$1 t0 t1
    local opts=()
    case $mech in
    SHA256-RSA-PKCS-PSS) opts=(--mgf MGF1-SHA256 --salt-len -1) ;;
    esac
    t0=$(date +%s%3N)
    # shellcheck disable=SC2153 # set by DIR/env
    if ! p11 --login --pin "$MH_VCARD_PIN" --id "$MH_VCARD_KEY_ID" --sign -m "$mech" \
        "${opts[@]}" -i "$WORK/tbs-$mech" -o "$sig"; then
        bad "$tag: C_Sign with $mech failed"
        return
    fi
    t1=$(date +%s%3N)
    local vopts=()
    [[ $mech == SHA256-RSA-PKCS-PSS ]] &&
        vopts=(-sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:32 -sigopt rsa_mgf1_md:sha256)
    if timeout "$T" openssl dgst -sha256 "${vopts[@]}" -verify "$MH_VCARD_PUBKEY" \
        -signature "$sig" "$WORK/data" >"$WORK/vout" 2>&1; then
        ok "$tag: $mech signature ($(stat -c %s "$sig") bytes, $((t1 - t0)) ms) verified by openssl against the certificate's key"
    else
        sed 's/^/    | /' "$WORK/vout"
        bad "$tag: openssl rejected the $mech signature"
    fi
}

# The data to sign, and what each mechanism is fed: SHA256-RSA-PKCS and PSS
# hash on the token side; RSA-PKCS gets a DER DigestInfo(SHA-256) made here.
prepare_data() {
    printf 'mohur virtual card check %s\n' "$(date +%s%N)" >"$WORK/data"
    cp "$WORK/data" "$WORK/tbs-SHA256-RSA-PKCS"
    cp "$WORK/data" "$WORK/tbs-SHA256-RSA-PKCS-PSS"
    {
        printf '\x30\x31\x30\x0d\x06\x09\x60\x86\x48\x01\x65\x03\x04\x02\x01\x05\x00\x04\x20'
        openssl dgst -sha256 -binary "$WORK/data"
    } >"$WORK/tbs-RSA-PKCS"
}

token_listed() {
    timeout "$T" pkcs11-tool --module "$MH_VCARD_MODULE" -L 2>/dev/null |
        grep -qE "token label +: $MH_VCARD_TOKEN_LABEL\$"
}

say "virtual card self-test; mh_vcard: $MH_VCARD_BIN"

step "start (vcard.sh start)"
t0=$(date +%s%3N)
if ! timeout 120 "$VCARD" start "$DIR"; then
    bad "vcard.sh start failed"
    say ""
    say "check.sh: $PASS passed, $FAIL failed"
    exit 1
fi
ok "started in $(( $(date +%s%3N) - t0 )) ms"
# shellcheck disable=SC1091
source "$DIR/env"
: "${MH_VCARD_PIN:?}" "${MH_VCARD_MODULE:?}" "${MH_VCARD_KEY_ID:?}" "${MH_VCARD_PUBKEY:?}"
sed 's/^/    | /' "$DIR/env"

step "list the token (pkcs11-tool -L)"
if p11 -L && grep -qE "token label +: $MH_VCARD_TOKEN_LABEL\$" "$WORK/out"; then
    ok "token '$MH_VCARD_TOKEN_LABEL' found"
else
    bad "token '$MH_VCARD_TOKEN_LABEL' not listed"
fi

step "mechanisms (pkcs11-tool -M)"
if p11 -M && grep -q 'RSA-PKCS' "$WORK/out"; then
    ok "the card offers RSA-PKCS mechanisms"
else
    bad "no RSA mechanisms listed"
fi

step "log in and list objects (pkcs11-tool --login -O)"
if p11 --login --pin "$MH_VCARD_PIN" -O &&
    grep -A3 '^Private Key Object; RSA' "$WORK/out" | grep -q "ID: *$MH_VCARD_KEY_ID"; then
    ok "private RSA key with ID $MH_VCARD_KEY_ID visible after login"
else
    bad "no private key with ID $MH_VCARD_KEY_ID after login"
fi

step "the certificate on the card is the one made by vcard.sh"
if timeout "$T" pkcs11-tool --module "$MH_VCARD_MODULE" --read-object --type cert \
    --id "$MH_VCARD_KEY_ID" -o "$WORK/card-cert.der" >/dev/null 2>&1 &&
    openssl x509 -inform DER -in "$WORK/card-cert.der" -outform PEM -out "$WORK/card-cert.pem" &&
    cmp -s <(openssl x509 -in "$WORK/card-cert.pem" -outform DER) \
        <(openssl x509 -in "$MH_VCARD_CERT" -outform DER); then
    ok "certificate read from the card equals $MH_VCARD_CERT ($(openssl x509 -in "$MH_VCARD_CERT" -noout -subject))"
else
    bad "could not read the certificate back or it differs"
fi

step "sign and verify"
prepare_data
sign_verify sign SHA256-RSA-PKCS
sign_verify sign RSA-PKCS
sign_verify sign SHA256-RSA-PKCS-PSS

step "wrong PIN"
if p11 --login --pin 12345670 -O; then
    bad "login with a wrong PIN succeeded"
elif grep -q 'CKR_PIN_INCORRECT' "$WORK/out"; then
    ok "wrong PIN refused with CKR_PIN_INCORRECT"
else
    bad "wrong PIN refused, but not with CKR_PIN_INCORRECT"
fi
p11 -L >/dev/null
flags=$(grep -m1 'token flags' "$WORK/out" | sed 's/^ *token flags *: //')
say "    token flags after one wrong PIN: $flags"
if p11 --login --pin 12345671 -O; then
    bad "login with a second wrong PIN succeeded"
else
    p11 -L >/dev/null
    flags=$(grep -m1 'token flags' "$WORK/out" | sed 's/^ *token flags *: //')
    say "    token flags after two wrong PINs: $flags"
    if [[ $flags == *"final user PIN try"* ]]; then
        ok "after two wrong PINs the token reports the final PIN try"
    else
        bad "token flags do not show the final PIN try: $flags"
    fi
fi
if p11 --login --pin "$MH_VCARD_PIN" -O >/dev/null; then
    p11 -L >/dev/null
    flags=$(grep -m1 'token flags' "$WORK/out" | sed 's/^ *token flags *: //')
    say "    token flags after the right PIN: $flags"
    if [[ $flags != *"final user PIN try"* && $flags != *"locked"* ]]; then
        ok "the right PIN still logs in and resets the retry counter"
    else
        bad "retry counter not reset by the right PIN: $flags"
    fi
else
    bad "the right PIN no longer logs in"
fi

step "remove the card (vcard.sh remove)"
if timeout 60 "$VCARD" remove "$DIR"; then
    ok "vcard.sh remove"
else
    bad "vcard.sh remove failed"
fi
if p11 -L && ! grep -q 'token label' "$WORK/out"; then
    ok "no token listed while the card is out"
else
    bad "a token is still listed after removal"
fi
if p11 --login --pin "$MH_VCARD_PIN" --id "$MH_VCARD_KEY_ID" --sign -m SHA256-RSA-PKCS \
    -i "$WORK/data" -o "$WORK/sig-none"; then
    bad "signing succeeded without a card"
else
    ok "signing fails without a card"
fi

step "insert the card again (vcard.sh insert)"
if timeout 60 "$VCARD" insert "$DIR"; then
    ok "vcard.sh insert"
else
    bad "vcard.sh insert failed"
fi
if token_listed; then
    ok "token '$MH_VCARD_TOKEN_LABEL' listed again"
else
    bad "token not listed after re-insertion"
fi
prepare_data
sign_verify "sign after re-insertion (same key)" SHA256-RSA-PKCS

step "stop (vcard.sh stop)"
pcscd_pid=$(tr -dc '0-9' <"$DIR/pcscd.pid" 2>/dev/null)
card_pid=$(tr -dc '0-9' <"$DIR/card.pid" 2>/dev/null)
if timeout 60 "$VCARD" stop "$DIR"; then
    ok "vcard.sh stop"
else
    bad "vcard.sh stop failed"
fi
left=""
for pid in $pcscd_pid $card_pid; do
    if [[ -r /proc/$pid/stat ]] && ! grep -q ') Z' "/proc/$pid/stat"; then
        left+=" $pid"
    fi
done
if [[ -z $left ]]; then
    ok "nothing left running (pcscd pid ${pcscd_pid:-?}, mh_vcard pid ${card_pid:-?} are gone)"
else
    bad "still running:$left"
fi
if p11 -L >/dev/null 2>&1 && grep -q 'token label' "$WORK/out"; then
    bad "a token is still reachable after stop"
else
    ok "the private pcscd is gone (no token reachable)"
fi

say ""
say "check.sh: $PASS passed, $FAIL failed"
(( FAIL == 0 ))
