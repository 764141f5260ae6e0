#!/usr/bin/env bash
# The main job on embedded defaults: installs what is missing, builds, and
# provisions a SoftHSM2 token under a state directory, then generates the
# appliance's keys, signs a sample document with each, and verifies every
# signature with mohur and, independently, with openssl.
#
#   scripts/demo.sh            state in ./state (or $MOHUR_STATE_DIR)
#
# Run it again: provisioning is kept, new signatures are made.
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD

scripts/deps.sh run

echo "== building"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc 2>/dev/null || echo 2)" --target mohur >/dev/null
mohur=$top/build/host/mohur

state=${MOHUR_STATE_DIR:-$top/state}
mkdir -p "$state"
state=$(cd "$state" && pwd)
export MOHUR_STATE_DIR=$state
umask 077

# SoftHSM2 keeps its tokens under the state directory; mohur finds this
# configuration through MOHUR_STATE_DIR.
if [ ! -f "$state/softhsm2.conf" ]; then
  mkdir -p "$state/tokens" "$state/pins"
  cat >"$state/softhsm2.conf" <<EOF
directories.tokendir = $state/tokens
objectstore.backend = file
log.level = ERROR
EOF
fi
mkdir -p "$state/pins"
# PINs are random, kept in files only root can read, and never passed in argv.
for p in so user; do
  if [ ! -s "$state/pins/$p.pin" ]; then
    od -An -N8 -tu8 /dev/urandom | tr -dc 0-9 | cut -c1-8 >"$state/pins/$p.pin"
    chmod 600 "$state/pins/$p.pin"
  fi
done

token="pkcs11:token=mohur"
pin="?pin-source=file:$state/pins/user.pin"

echo "== token"
if ! "$mohur" token list | grep -q "label: *mohur\b\|token=mohur"; then
  "$mohur" token init --label mohur --so-pin-file "$state/pins/so.pin" \
    --pin-file "$state/pins/user.pin"
fi
"$mohur" token list

echo "== keys"
have=$("$mohur" key list --token "$token$pin" --json)
ensure_key() { # label type
  if ! grep -q "\"label\": *\"$1\"" <<<"$have"; then
    "$mohur" key generate --token "$token$pin" --type "$2" --label "$1" >/dev/null
    echo "generated $1 ($2)"
  fi
}
ensure_key registry ec-p256
ensure_key university-seal rsa-3072
ensure_key agency-seal ec-p384
ensure_key notary rsa-2048
ensure_key witness ed25519
"$mohur" key list --token "$token$pin"

echo "== signing a sample document with every key"
out=$state/demo
mkdir -p "$out"
doc=$out/sample-diploma.txt
cat >"$doc" <<EOF
Diploma / Diplom / Диплом
Azərbaycan Respublikası — Bakı Dövlət Universiteti
Leyla Məmmədova, Bachelor of Science in Computer Science
Issued $(date -u +%Y-%m-%dT%H:%M:%SZ)
EOF

verify_openssl() { # label alg pubkey sig
  case $2 in
  ed25519)
    openssl pkeyutl -verify -pubin -inkey "$3" -rawin -in "$doc" -sigfile "$4" >/dev/null ;;
  rsa-pss)
    openssl dgst -sha256 -verify "$3" -sigopt rsa_padding_mode:pss \
      -sigopt rsa_pss_saltlen:digest -signature "$4" "$doc" >/dev/null ;;
  *)
    openssl dgst -sha256 -verify "$3" -signature "$4" "$doc" >/dev/null ;;
  esac
}

for spec in registry:auto university-seal:rsa-pss agency-seal:auto notary:rsa-pkcs1 \
  witness:ed25519; do
  label=${spec%%:*}
  alg=${spec#*:}
  key="$token;object=$label;type=private$pin"
  "$mohur" key export --key "$key" --out "$out/$label.pub.pem"
  "$mohur" key sign --key "$key" --alg "$alg" --in "$doc" --out "$out/$label.$alg.sig"
  "$mohur" key verify --key "$key" --alg "$alg" --in "$doc" --sig "$out/$label.$alg.sig" \
    >/dev/null
  oalg=$alg
  [ "$alg" = auto ] && oalg=ecdsa
  verify_openssl "$label" "$oalg" "$out/$label.pub.pem" "$out/$label.$alg.sig"
  printf '  %-16s %-10s signed; verified by mohur and by openssl\n' "$label" "$alg"
done

cat <<EOF

Done. State directory: $state
  SoftHSM2 token 'mohur' in $state/tokens (PINs in $state/pins, mode 600)
  sample document:  $doc
  public keys and signatures: $out/
Try:  MOHUR_STATE_DIR=$state $mohur key list --token '$token'
EOF
