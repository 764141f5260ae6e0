#!/usr/bin/env bash
# scripts/check-includes.sh: the tree keeps the rule, and each kind of
# include against it fails the check (a copy of the script run on a small
# made-up tree in a git repository of its own).
set -uo pipefail
SRC=${MOHUR_SRC:?}
fail=0
pass() { echo "ok   - $1"; }
bad() { echo "FAIL - $1"; fail=1; }

if "$SRC/scripts/check-includes.sh" >/dev/null 2>&1; then pass "the tree keeps the rule"
else bad "the tree breaks the rule: $("$SRC/scripts/check-includes.sh" 2>&1 | tail -3)"; fi

T=$(mktemp -d /tmp/mohur-incl.XXXXXX)
trap 'rm -rf "$T"' EXIT
mkdir -p "$T/scripts" "$T/common" "$T/hsm" "$T/pki/sig" "$T/pki/tlog" "$T/pki/cms" \
    "$T/host/cli" "$T/host/daemon" "$T/host/ledger" "$T/host/app" "$T/firmware/core"
cp "$SRC/scripts/check-includes.sh" "$T/scripts/"
touch "$T/common/mh_common.h" "$T/hsm/mh_hsm.h" "$T/hsm/hsm_internal.h" "$T/pki/pki_base.h" \
    "$T/pki/mh_pki.h" "$T/pki/sig/pki_sig.h" "$T/pki/tlog/pki_note.h" "$T/pki/cms/pki_cms.h" \
    "$T/host/ledger/mh_ledger.h" "$T/host/ledger/ledger_internal.h" "$T/host/app/mh_app.h" \
    "$T/host/daemon/mohurd.h" "$T/host/daemon/mh_daemon_x.h"
git -C "$T" init -q
# one violation at a time: FILE, LINE, what the check must say
check() {
    local file=$1 line=$2 want=$3
    printf '%s\n' "$line" >"$T/$file"
    git -C "$T" add -A >/dev/null
    local out
    if out=$("$T/scripts/check-includes.sh" 2>&1); then
        bad "$file with '$line' passed the check"
    elif grep -q -- "$want" <<<"$out"; then
        pass "$file: '$line' is refused ($want)"
    else
        bad "$file: '$line' refused without '$want': $out"
    fi
    rm -f "$T/$file"
    git -C "$T" add -A >/dev/null
}
check pki/sig/x.c '#include "mh_hsm.h"' 'pki/ never includes hsm/'
check pki/sig/x.c '#include <p11-kit/pkcs11.h>' 'only hsm/ includes the PKCS#11 header'
check host/app/x.c '#include <p11-kit/pkcs11.h>' 'only hsm/ includes the PKCS#11 header'
check pki/tlog/x.c '#include "pki_cms.h"' 'pki/tlog may use sig, asn1 only'
check pki/sig/x.c '#include "mh_pki.h"' 'not mh_pki.h'
check hsm/x.c '#include "mh_pki.h"' 'hsm/ includes common/ only'
check common/x.c '#include "mh_hsm.h"' 'common/ is the floor'
check host/app/x.c '#include "ledger_internal.h"' 'internal to host:ledger'
check firmware/core/x.c '#include "pki_cms.h"' 'the firmware uses common/'
check pki/cms/x.c '#include <lmdb.h>' 'a library of the host only'
check host/daemon/x.c '#include <mbedtls/pk.h>' 'no mbedTLS header in mohurd'
check host/daemon/x.c '#include "ledger_internal.h"' 'internal to host:ledger'
check host/app/x.c '#include "mh_daemon_x.h"' 'never a front end'
check host/app/x.c '#include "mohurd.h"' 'internal to daemon'
check host/cli/x.c '#include <mbedtls/md.h>' 'no mbedTLS header in host/cli'
check host/cli/x.c '#include "ledger_internal.h"' 'internal to host:ledger'
# and what is allowed passes
printf '#include "mh_hsm.h"\n#include "mh_pki.h"\n#include "mh_ledger.h"\n' >"$T/host/app/ok.c"
printf '#include "pki_base.h"\n#include "pki_sig.h"\n#include "mh_common.h"\n' >"$T/pki/tlog/ok.c"
printf '#include "mh_app.h"\n#include "mh_ledger.h"\n' >"$T/host/cli/ok.c"
printf '#include "mohurd.h"\n#include "mh_app.h"\n#include "mh_ledger.h"\n' >"$T/host/daemon/ok.c"
git -C "$T" add -A >/dev/null
if out=$("$T/scripts/check-includes.sh" 2>&1); then
    pass "allowed includes pass"
else bad "allowed includes: $out"; fi
exit $fail
