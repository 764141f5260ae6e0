#!/usr/bin/env bash
# Builds every fuzz target with clang + libFuzzer (ASan, UBSan) and runs
# each for a short time from its seeds (and the files of ../shared/testdata
# it lists). A crash fails the script and leaves the input in build-fuzz/.
#   scripts/fuzz.sh [seconds-per-target]     (default $MH_FUZZ_SECONDS or 15)
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD
secs=${1:-${MH_FUZZ_SECONDS:-10}}
testdata=${MOHUR_TESTDATA:-$top/../shared/testdata}
CC=clang CXX=clang++ cmake -S . -B build-fuzz -DMH_FUZZ=ON -DMH_WERROR=OFF -DCMAKE_BUILD_TYPE=Debug >/dev/null
targets=$(cd tests/fuzz && ls fuzz_*.c | sed 's/\.c$//')
# shellcheck disable=SC2086
cmake --build build-fuzz -j"$(nproc)" --target $targets >/dev/null
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1"
export LSAN_OPTIONS="suppressions=$top/tests/lsan.supp:print_suppressions=0"
for t in $targets; do
  short=${t#fuzz_}
  corpus=build-fuzz/corpus/$short
  mkdir -p "$corpus"
  [ -d "tests/fuzz/seeds/$short" ] && cp -n tests/fuzz/seeds/"$short"/* "$corpus"/ 2>/dev/null || true
  if [ -f "tests/fuzz/seeds/$short.testdata" ]; then
    if [ -d "$testdata" ]; then
      while read -r f; do
        case $f in ''|'#'*) continue ;; esac
        [ -e "$testdata/$f" ] && cp -rn "$testdata/$f" "$corpus"/ 2>/dev/null || true
      done <"tests/fuzz/seeds/$short.testdata"
    else
      echo "fuzz: NOTE: $testdata is absent; $short runs from its own seeds only"
    fi
  fi
  echo "fuzz: $t for ${secs}s"
  (cd build-fuzz && "./tests/fuzz/$t" -max_total_time="$secs" -max_len=65536 -timeout=30 \
      -print_final_stats=0 "corpus/$short" 2>&1 | tail -n 3)
done
echo "fuzz: every target ran ${secs}s without a crash"
