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
  libmicrohttpd-dev python3-fonttools python3-brotli icc-profiles-free
  libgnutls28-dev libseccomp-dev libsystemd-dev curl
)
test_pkgs=(
  libcmocka-dev python3 libjansson-dev
  pcscd libpcsclite-dev vsmartcard-vpcd libcacard-dev libnss3-tools
  util-linux procps clang libclang-rt-14-dev clang-format
  poppler-utils qpdf python3-pikepdf python3-pil faketime
  zbar-tools librsvg2-bin
  golang-go golang-golang-x-mod-dev
  gcc-arm-none-eabi picolibc-arm-none-eabi qemu-system-arm dpkg-dev debootstrap file
  chromium chromium-driver python3-selenium
  curl iproute2
  python3-yaml nginx-light wrk systemd man-db
)

want=("${run_pkgs[@]}")
if [ "${1:-run}" = test ]; then
  want+=("${test_pkgs[@]}")
fi

# The firmware (firmware/README.md) cross-builds mbedTLS from Debian's own
# source package, the same version as the host's libmbedtls-dev, fetched
# here (never at build time) into a cache outside the tree.
fw_src_cache=${MOHUR_SRC_CACHE:-/var/cache/mohur-src}
fetch_mbedtls_source() {
  local ver dir
  ver=$(dpkg-query -W -f='${Version}' libmbedtls-dev 2>/dev/null) || return 0
  dir="$fw_src_cache/mbedtls-$ver"
  [ -f "$dir/library/ecdsa.c" ] && return 0
  if [ "$(id -u)" -ne 0 ] && [ ! -w "$fw_src_cache" ]; then
    echo "the firmware needs Debian's mbedtls $ver source in $dir; run this script as root" >&2
    return 1
  fi
  if ! grep -rqs '^Types:.*deb-src' /etc/apt/sources.list.d/ &&
    ! grep -qs '^deb-src' /etc/apt/sources.list; then
    # deb-src twins of the deb entries (deb822 or one-line)
    for f in /etc/apt/sources.list.d/debian.sources /etc/apt/sources.list.d/*.sources; do
      [ -f "$f" ] || continue
      grep -q 'deb.debian.org\|debian-security' "$f" || continue
      sed 's/^Types: deb$/Types: deb-src/' "$f" >/etc/apt/sources.list.d/mohur-deb-src.sources
      break
    done
    if [ ! -f /etc/apt/sources.list.d/mohur-deb-src.sources ] && [ -f /etc/apt/sources.list ]; then
      sed -n 's/^deb /deb-src /p' /etc/apt/sources.list >/etc/apt/sources.list.d/mohur-deb-src.list
    fi
    apt-get update -qq
  fi
  local tmp
  tmp=$(mktemp -d "$fw_src_cache.XXXXXX" 2>/dev/null || { mkdir -p "$fw_src_cache" && mktemp -d "$fw_src_cache/.tmp.XXXXXX"; })
  (cd "$tmp" && apt-get source -qq "mbedtls=$ver" >/dev/null)
  mkdir -p "$fw_src_cache"
  rm -rf "$dir"
  mv "$(find "$tmp" -maxdepth 1 -mindepth 1 -type d -name 'mbedtls-*' | head -n 1)" "$dir"
  rm -rf "$tmp"
  echo "mbedtls $ver source in $dir"
}

missing=()
for p in "${want[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -eq 0 ]; then
  if [ "${1:-run}" = test ]; then
    fetch_mbedtls_source
  fi
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
if [ "${1:-run}" = test ]; then
  fetch_mbedtls_source
fi
