#!/bin/bash
# vcard_sign.sh - flow 1 of the design: a notary signs an act with a USB
# token. OpenSC's opensc-pkcs11.so reads a virtual CAC card (tests/vcard)
# through a private pcscd; `mohur sign --key` signs with the card's key,
# the appliance records the act and stamps the receipt. Also: a wrong card
# PIN is not retried (the card would lock after three), and a card pulled
# out before signing leaves no ledger entry.
. "$(dirname "$0")/../cli/lib.sh"

[ "$(id -u)" -eq 0 ] || { echo "SKIP: the virtual card needs root (private pcscd)" >&2; exit 77; }
for t in pdfsig qpdf pdftoppm zbarimg; do
    command -v "$t" >/dev/null || { echo "SKIP: $t is not installed" >&2; exit 77; }
done
VCARD="$(dirname "$0")/../fixtures/vcard.sh"
bash "$VCARD" start "$W/card" >"$W/vcard.log" 2>&1 || { cat "$W/vcard.log" >&2; fail "starting the virtual card"; }
trap 'bash "$VCARD" stop "$W/card" >/dev/null 2>&1; cleanup' EXIT
# shellcheck disable=SC1091
. "$W/card/env"
pass "the virtual card is in its reader"

export MOHUR_STATE_DIR="$W/state"
expect 0 "init the appliance" init
# lib.sh points SoftHSM2 at its own throwaway store; the appliance's token
# lives in the state directory
export SOFTHSM2_CONF="$MOHUR_STATE_DIR/softhsm2.conf"
ledger_size() {
    "$MOHUR" log info --ledger "$MOHUR_STATE_DIR/ledger" --json |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["size"])'
}

# the notary's card gets its certificate from the appliance's CA (as a
# notary's card would from the national CA): issued for the card's own key,
# then written onto the card in place of its self-signed one
ROOTKEY="pkcs11:token=mohur;object=root;type=private?pin-source=file:$MOHUR_STATE_DIR/pins/user.pin"
expect 0 "the CA certifies the card's key" ca issue --profile notary \
    --subject "CN=Aysel Həsənova,O=Bakı 4 saylı Notariat Kontoru,C=AZ" \
    --pubkey "$MH_VCARD_PUBKEY" --key "$ROOTKEY" --out "$W/card-cert.pem"
bash "$VCARD" remove "$W/card" >/dev/null 2>&1 || fail "removing the card"
certutil -D -d "sql:$W/card/nssdb" -n mh-card -f "$W/card/pin" &&
    certutil -A -d "sql:$W/card/nssdb" -n mh-card -t ",," -i "$W/card-cert.pem" \
        -f "$W/card/pin" || fail "writing the certificate onto the card"
printf 'Aysel Həsənova' >"$W/card/token-label" # OpenSC names the token after the CN
bash "$VCARD" insert "$W/card" >/dev/null 2>&1 || fail "inserting the card"
pass "the card now holds the certificate the appliance's CA issued"

printf '%s' "$MH_VCARD_PIN" >"$W/card.pin"
printf '12344321' >"$W/bad.pin"
chmod 600 "$W/card.pin" "$W/bad.pin"
CARD="pkcs11:token=Aysel%20H%C9%99s%C9%99nova;id=%00%01;type=private?module-name=opensc-pkcs11"
cp "$MOHUR_SRC/samples/notary-act.pdf" "$W/act.pdf"
FIELDS=(--field act=17/2026 --field title="Power of attorney" --field date=2026-11-28)

# only certificates registered for the notary may sign the notary's acts
n00=$(ledger_size)
expect 3 "the card before its certificate is registered" sign "$W/act.pdf" --kind notary-act \
    --issuer notary --key "$CARD&pin-source=file:$W/card.pin" "${FIELDS[@]}" \
    --out "$W/act.signed.pdf"
err_has "not registered for issuer 'notary'" "an unregistered certificate is refused"
[ "$(ledger_size)" = "$n00" ] || fail "nothing recorded for an unregistered certificate"
expect 0 "register the card's certificate for the notary" issuer add-cert --issuer notary \
    --cert "$W/card-cert.pem"

# a wrong PIN: refused once, no automatic retry, nothing recorded
n0=$(ledger_size)
expect 5 "a wrong card PIN" sign "$W/act.pdf" --kind notary-act --issuer notary \
    --key "$CARD&pin-source=file:$W/bad.pin" "${FIELDS[@]}" --out "$W/act.signed.pdf"
err_has "incorrect" "the error says the PIN is incorrect"
err_lacks 12344321 "the PIN is not in the message"
[ "$(ledger_size)" = "$n0" ] || fail "a wrong PIN records nothing"
[ ! -e "$W/act.signed.pdf" ] || fail "a wrong PIN writes nothing"
pass "a wrong PIN records and writes nothing"

# the right PIN: signed with the card's key, recorded, stamped
expect 0 "sign the act with the notary's card" sign "$W/act.pdf" --kind notary-act \
    --issuer notary --key "$CARD&pin-source=file:$W/card.pin" "${FIELDS[@]}" \
    --out "$W/act.signed.pdf"
out_has "HTTPS://" "the receipt URL is printed"
[ "$(ledger_size)" = $((n0 + 1)) ] || fail "one ledger entry for the act"
pass "one ledger entry for the act"
pdfsig "$W/act.signed.pdf" >"$W/pdfsig.out" 2>&1
grep -q "Signature is Valid" "$W/pdfsig.out" || { cat "$W/pdfsig.out" >&2; fail "pdfsig: valid"; }
grep -q "Aysel Həsənova" "$W/pdfsig.out" || fail "pdfsig names the card's certificate"
pass "pdfsig: the card's signature is valid"
check "qpdf --check passes" qpdf --check "$W/act.signed.pdf"
rm -f "$W"/page-*.png
# the stamp is on the verification page added at the end (docs/documents.md)
NP=$(pdfinfo "$W/act.signed.pdf" | awk '/^Pages:/ {print $2}')
pdftoppm -r 150 -f "$NP" -l "$NP" -png "$W/act.signed.pdf" "$W/page"
URL=$(zbarimg -q --raw "$W"/page-*.png 2>/dev/null)
[ -n "$URL" ] || fail "the QR stamp decodes"
pass "the QR stamp decodes"
expect 0 "the receipt verifies against the document" verify --qr "$URL" --doc "$W/act.signed.pdf"
expect 0 "mohur verify: the act is valid" verify "$W/act.signed.pdf"
out_has "^VALID" "verify says valid"

# the card pulled out: a clear error, nothing recorded
bash "$VCARD" remove "$W/card" >/dev/null 2>&1 || fail "removing the card"
n1=$(ledger_size)
cp "$W/act.pdf" "$W/act2.pdf"
expect 4 "signing with the card out" sign "$W/act2.pdf" --kind notary-act --issuer notary \
    --key "$CARD&pin-source=file:$W/card.pin" --field act=18/2026 --field title=T \
    --field date=2026-11-28 --out "$W/act2.signed.pdf"
[ "$(ledger_size)" = "$n1" ] || fail "nothing recorded with the card out"
[ ! -e "$W/act2.signed.pdf" ] || fail "nothing written with the card out"
pass "nothing recorded or written with the card out"
bash "$VCARD" insert "$W/card" >/dev/null 2>&1 || fail "inserting the card"
expect 0 "signing after the card is back" sign "$W/act2.pdf" --kind notary-act --issuer notary \
    --key "$CARD&pin-source=file:$W/card.pin" --field act=18/2026 --field title=T \
    --field date=2026-11-28 --out "$W/act2.signed.pdf"

echo "vcard_sign: $CHECKS checks passed"
