#!/usr/bin/env bash
# Installs the Debian 12 packages mohur needs, only those that are missing.
#   scripts/deps.sh run    what building and running mohur needs
#   scripts/deps.sh test   that, plus what the test suite uses as real parts
set -euo pipefail

run_pkgs=(
  build-essential cmake pkg-config git
  libmbedtls-dev libp11-kit-dev p11-kit liblmdb-dev
  softhsm2 opensc opensc-pkcs11
  openssl
  libjansson-dev libhpdf-dev fonts-dejavu-core libcurl4-openssl-dev libssl-dev
  libqpdf-dev
  libqrencode-dev libpng-dev
  libmicrohttpd-dev libgnutls28-dev libseccomp-dev libsystemd-dev curl
)
test_pkgs=(
  libcmocka-dev python3 libjansson-dev
  pcscd libpcsclite-dev vsmartcard-vpcd libcacard-dev libnss3-tools
  util-linux procps clang libclang-rt-14-dev clang-format
  poppler-utils qpdf python3-pikepdf
  zbar-tools librsvg2-bin
  golang-go golang-golang-x-mod-dev
  python3-yaml nginx-light wrk systemd man-db
)

want=("${run_pkgs[@]}")
if [ "${1:-run}" = test ]; then
  want+=("${test_pkgs[@]}")
fi

missing=()
for p in "${want[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "mohur needs these Debian packages: ${missing[*]}" >&2
  echo "run this script as root (or: sudo apt-get install ${missing[*]})" >&2
  exit 1
fi
echo "Installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# pcscd's package tries to start the service; policy-rc.d refuses that
# inside containers and CI, which is what we want: tests start their own.
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
