#!/usr/bin/env bash
# Builds the Debian package from the tree: a Release build without the
# tests (what a packager builds: no -Werror, prefix /usr), then CPack DEB.
#   scripts/package.sh [BUILD_DIR]   (default build-pkg) -> BUILD_DIR/mohur_<version>_<arch>.deb
# Needs the run packages (scripts/deps.sh run) and dpkg-dev (dpkg-shlibdeps).
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-build-pkg}
command -v dpkg-shlibdeps >/dev/null || { echo "package: dpkg-dev is missing (apt-get install dpkg-dev)" >&2; exit 1; }
cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=Release -DMH_TESTS=OFF -DCMAKE_INSTALL_PREFIX=/usr >/dev/null
cmake --build "$dir" -j"$(nproc 2>/dev/null || echo 2)" --target mohur mohur_docs
(cd "$dir" && cpack -G DEB >/dev/null)
deb=$(ls -t "$dir"/mohur_*.deb | head -n 1)
echo "$deb"
