#!/usr/bin/env bash
# vcard.sh - the virtual USB token (tests/fixtures/vcard.sh: a CAC card
# behind a private pcscd, read by OpenSC) as the notary's key in mohurd's
# signer (issuer_key), pulled out under load and put back: while it is out,
# the notary's requests fail cleanly (503, their entries voided, nothing
# half-written) and the other issuers keep issuing; once it is back, the
# signer finds it again (hsm/'s token generation) and signs with it, with no
# restart. Every acknowledged act is in the ledger and verifies.
. "$(dirname "$0")/lib.sh"
SRC=${MOHUR_SRC:?}
[ "$(id -u)" -eq 0 ] || { echo "SKIP: the virtual card needs root (private pcscd)" >&2; exit 77; }
: "${MH_VCARD_BIN:?set MH_VCARD_BIN}"
VCARD=$SRC/tests/fixtures/vcard.sh
bash "$VCARD" start "$W/card" >"$W/vcard.log" 2>&1 || { cat "$W/vcard.log" >&2; fail "starting the virtual card"; }
trap 'bash "$VCARD" stop "$W/card" >/dev/null 2>&1; cleanup' EXIT
# shellcheck disable=SC1091
. "$W/card/env"
pass "the virtual card is in its reader"

init_state
S=$MOHUR_STATE_DIR
ROOTKEY="pkcs11:token=mohur;object=root;type=private?pin-source=file:$S/pins/user.pin"
"$MOHUR" ca issue --profile notary --subject "CN=Aysel Həsənova,O=Bakı 4 saylı Notariat Kontoru,C=AZ" \
    --pubkey "$MH_VCARD_PUBKEY" --key "$ROOTKEY" --out "$W/card-cert.pem" >/dev/null || fail "the CA certifies the card's key"
bash "$VCARD" remove "$W/card" >/dev/null 2>&1
certutil -D -d "sql:$W/card/nssdb" -n mh-card -f "$W/card/pin" &&
    certutil -A -d "sql:$W/card/nssdb" -n mh-card -t ",," -i "$W/card-cert.pem" -f "$W/card/pin" ||
    fail "writing the certificate onto the card"
printf 'Aysel Həsənova' >"$W/card/token-label"
bash "$VCARD" insert "$W/card" >/dev/null 2>&1 || fail "inserting the card"
"$MOHUR" issuer add-cert --issuer notary --cert "$W/card-cert.pem" >/dev/null || fail "registering the card's certificate"
printf '%s' "$MH_VCARD_PIN" >"$W/card.pin"
chmod 600 "$W/card.pin"
conf issuer_key "notary pkcs11:token=Aysel%20H%C9%99s%C9%99nova;id=%00%01;type=private?module-name=opensc-pkcs11&pin-source=file:$W/card.pin"
conf timeout 60
NOTARY=$(token notary --issuer notary --rate 100000)
AGENCY=$(token issuer --issuer agency --rate 100000)
start_mohurd
grep -q "an issuer's key cannot sign" "$W/mohurd.err" && fail "the signer opened the card"
pass "mohurd's signer holds the notary's key on the USB token"
python3 "$SRC/tests/app/mkpdf.py" "$W/act.pdf" "Notary act" || fail "mkpdf"

# load: acts on the card (slow, like a real token) and certificates on the HSM
LOADGEN_DELAY=0.1 python3 "$SRC/tests/daemon/loadgen.py" "$PORT" "$NOTARY" notary-act V 0 200 2 "$W/acts" "$W/act.pdf" &
ACTS=$!
LOADGEN_DELAY=0.03 python3 "$SRC/tests/daemon/loadgen.py" "$PORT" "$AGENCY" official-certificate C 0 300 2 "$W/certs" &
CERTS=$!
for i in $(seq 100); do [ -s "$W/acts/results.tsv" ] && break; sleep 0.1; done
sleep 1
bash "$VCARD" remove "$W/card" >/dev/null 2>&1 || fail "pulling the card out"
pass "the card pulled out under load"
sleep 3
bash "$VCARD" insert "$W/card" >/dev/null 2>&1 || fail "putting the card back"
pass "the card put back"
T_BACK=$(wc -l <"$W/acts/results.tsv")
wait "$ACTS" "$CERTS"
R=$W/acts/results.tsv
acked=$(awk -F'\t' '$2 == 201' "$R" | wc -l)
failed=$(awk -F'\t' '$2 != 201' "$R" | wc -l)
echo "  acts: $acked signed, $failed failed ($(awk -F'\t' '$2 != 201 { print $2 }' "$R" | sort | uniq -c | tr '\n' ' '))"
[ "$failed" -gt 0 ] || fail "some acts failed while the card was out (else the test proves nothing)"
awk -F'\t' '$2 != 201 && $2 != 503 { exit 1 }' "$R" || fail "while the card was out, acts failed with 503 only"
pass "while the card was out, the notary's requests failed cleanly (503)"
tail -n +$((T_BACK + 3)) "$R" | awk -F'\t' '$2 != 201 { exit 1 }' || fail "after the card came back, acts were signed again"
[ "$(tail -n +$((T_BACK + 3)) "$R" | wc -l)" -gt 0 ] || fail "acts were asked for after the card came back"
pass "after the card came back, the signer used it again without a restart"
awk -F'\t' '$2 != 201 { exit 1 }' "$W/certs/results.tsv" || fail "the agency's certificates (HSM) were all issued"
pass "the other issuers kept issuing all along (300 certificates)"
"$LEDGER_WHO" "$S/ledger" >"$W/who"
for n in $(awk -F'\t' '$2 == 201 { print $1 }' "$R"); do
    doc=$(printf 'notary/notary-act/V-%05d' "$n")
    [ "$(grep " $doc " "$W/who" | tail -n 1 | cut -d' ' -f2)" = issue ] || fail "$doc is in force in the ledger"
    "$MOHUR" verify "$W/acts/$n.pdf" >/dev/null 2>&1 || fail "the act $n verifies"
done
pass "every signed act is in force in the ledger and verifies"
for n in $(awk -F'\t' '$2 != 201 { print $1 }' "$R"); do
    doc=$(printf 'notary/notary-act/V-%05d' "$n")
    last=$(grep " $doc " "$W/who" | tail -n 1 | cut -d' ' -f2)
    [ -z "$last" ] || [ "$last" = void ] || fail "$doc failed but its entry is in force ($last)"
done
pass "every failed act left no entry in force (voided, or none)"
# the outputs are handed over in memory: no spool, no temp file anywhere
[ ! -e "$S/spool" ] && [ -z "$(find "$S" -name '*.tmp.*' | head -n 1)" ] ||
    fail "nothing half-written is left in the state directory"
pass "nothing half-written is left in the state directory (no spool, no temp file)"

# the same card on the notary's own machine: `mohur sign --key` with it
# while mohurd runs makes a first signature through mohurd (docs/daemon.md,
# "A first signature with the issuer's key outside the appliance")
python3 "$SRC/tests/app/mkpdf.py" "$W/own.pdf" "Notary act OWN-1" || fail "mkpdf"
CARDKEY="pkcs11:token=Aysel%20H%C9%99s%C9%99nova;id=%00%01;type=private?module-name=opensc-pkcs11&pin-source=file:$W/card.pin"
"$MOHUR" sign "$W/own.pdf" --kind notary-act --issuer notary --key "$CARDKEY" --field act=OWN-1 \
    --field title="Power of attorney" --field date=2026-12-06 --out "$W/own.signed.pdf" >/dev/null 2>"$W/own.err" ||
    { cat "$W/own.err" >&2; fail "mohur sign --key with the card while mohurd runs"; }
grep 'notary/notary-act/OWN-1' "$W/mohurd.err" | grep -q 'key=external' || fail "the act went through mohurd's external-key path"
"$MOHUR" verify "$W/own.signed.pdf" >"$W/own.v" 2>&1 && grep -q "Aysel" "$W/own.v" ||
    { cat "$W/own.v" >&2; fail "the act signed by the card on the notary's side verifies"; }
pass "the card on the notary's side: a first signature through mohurd, and it verifies"
stop_mohurd
echo "vcard: all $CHECKS checks passed"
