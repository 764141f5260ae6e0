#!/usr/bin/env bash
# Starts the virtual card, runs test_hsm_vcard against it through OpenSC,
# and stops the card whatever happens.
#   run_hsm_vcard.sh TEST-BINARY
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
vcard=$here/../fixtures/vcard.sh
if [ "$(id -u)" -ne 0 ]; then
  echo "SKIP: the virtual card needs root (a private pcscd in a mount namespace)" >&2
  exit 77
fi
dir=$(mktemp -d /tmp/mh-hsm-vcard.XXXXXX)
trap 'bash "$vcard" stop "$dir/card" >/dev/null 2>&1 || true; rm -rf "$dir"' EXIT
bash "$vcard" start "$dir/card"
# shellcheck disable=SC1091
source "$dir/card/env"
"$1" "$dir/card" "$vcard"
