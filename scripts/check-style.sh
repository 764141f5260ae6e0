#!/usr/bin/env bash
# clang-format on every C file we wrote, and a short list of banned calls
# (after curl's checksrc and s2n-tls's grep_simple_mistakes).
set -euo pipefail
cd "$(dirname "$0")/.."
files=$(git ls-files '*.c' '*.h')
status=0
if command -v clang-format >/dev/null; then
  if ! clang-format --dry-run -Werror $files 2>/tmp/mohur-format.$$; then
    head -n 40 /tmp/mohur-format.$$ >&2
    echo "style: run 'clang-format -i' on the files above" >&2
    status=1
  fi
  rm -f /tmp/mohur-format.$$
else
  echo "style: clang-format is not installed; format check skipped" >&2
fi
if grep -nE '\b(strcpy|strcat|sprintf|vsprintf|gets|atoi|atol|atoll|strtok)\s*\(' $files; then
  echo "style: banned functions above (use snprintf, strtol with checks, bounded copies)" >&2
  status=1
fi
# crypto code compares secrets in constant time
if grep -nE '\bmemcmp\s*\(' hsm/sign.c common/ecdsa_der.c common/signer.c pki/sig/soft_signer.c 2>/dev/null; then
  echo "style: memcmp in crypto code; use mh_ct_memcmp" >&2
  status=1
fi
exit $status
