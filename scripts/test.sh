#!/usr/bin/env bash
# Builds everything and runs every test: the normal build, then the same
# tests again under AddressSanitizer and UndefinedBehaviorSanitizer.
# Installs missing Debian packages first (needs root for that).
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD
# Run in a session of our own, so that at the end every process a test
# started and left behind can be found (and the run fails if there is one).
# (The session id is field 6 of /proc/PID/stat; ps may not be installed yet.)
if [ -z "${MH_TEST_SESSION:-}" ] && [ "$(sed 's/.*) //' /proc/$$/stat | cut -d' ' -f4)" != "$$" ]; then
  MH_TEST_SESSION=1 exec setsid --wait "$0" "$@"
fi
sid=$(sed 's/.*) //' /proc/$$/stat | cut -d' ' -f4)
jobs=$(nproc 2>/dev/null || echo 2)

scripts/deps.sh test

echo "== style: clang-format and banned functions"
scripts/check-style.sh

echo "== includes: what may include what (docs/architecture.md)"
scripts/check-includes.sh

echo "== build (RelWithDebInfo)"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMH_WERROR=ON >/dev/null
cmake --build build -j"$jobs"

echo "== build (ASan + UBSan)"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DMH_SANITIZE=ON -DMH_WERROR=ON >/dev/null
cmake --build build-asan -j"$jobs"

echo "== build (Release, clang: what users and packagers build, no -Werror)"
CC=clang cmake -S . -B build-clang -DCMAKE_BUILD_TYPE=Release -DMH_TESTS=OFF >/dev/null
cmake --build build-clang -j"$jobs"

# Tests that need ../shared/testdata say so and skip only when it is absent.
export MOHUR_TESTDATA="${MOHUR_TESTDATA:-$top/../shared/testdata}"

echo "== fuzz targets (clang, libFuzzer, ${MH_FUZZ_SECONDS:-10}s each)"
scripts/fuzz.sh

echo "== tests (RelWithDebInfo)"
(cd build && ctest --output-on-failure --timeout 600 -j"$jobs")

echo "== tests (ASan + UBSan)"
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:strict_string_checks=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
export LSAN_OPTIONS="suppressions=$top/tests/lsan.supp:print_suppressions=0"
(cd build-asan && ctest --output-on-failure --timeout 900 -j"$jobs")

# The Debian package on a clean Debian 12 (a debootstrap chroot of its own;
# root only; MH_PACKAGE_TEST=0 skips it): install, init, the demo flow, a
# verify as a member of the group mohur, remove and purge.
if [ "${MH_PACKAGE_TEST:-1}" != 0 ] && [ "$(id -u)" = 0 ]; then
  echo "== package (Debian, installed in a clean chroot)"
  deb=$(scripts/package.sh build-pkg | tail -n 1)
  bash tests/package/package_test.sh "$deb"
fi

echo "== nothing left running"
scripts/leftovers.sh "$sid"
