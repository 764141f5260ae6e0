#!/usr/bin/env bash
# openssl_compare.sh [CLASS|NAME...] - runs the cases of gencases.py
# through `openssl verify -x509_strict` (OpenSSL 3) and prints, per case,
# where OpenSSL's verdict differs from the expected one, then a tally per
# class. A development aid, not a test: it shows where mohur's decisions
# (docs/x509.md) agree with OpenSSL's and where they do not.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
D=$(mktemp -d /tmp/mohur-x509-compare.XXXXXX)
trap 'rm -rf "$D"' EXIT
python3 "$here/gencases.py" "$D" >/dev/null
at=$(date -u -d 2030-06-01 +%s)
pem() { # comma-separated DER files -> one PEM bundle on stdout
    local IFS=,
    for f in $1; do
        [ "$f" = - ] || openssl x509 -inform DER -in "$D/$f" 2>/dev/null ||
            echo "(unparsable $f)" >&2
    done
}
declare -A agree differ
while read -r cls name expect anchors pool target crls rev; do
    if [ $# -gt 0 ]; then
        keep=0
        for w in "$@"; do [ "$w" = "$cls" ] || [ "$w" = "$name" ] && keep=1; done
        [ $keep = 1 ] || continue
    fi
    pem "$anchors" >"$D/a.pem"
    pem "$pool" >"$D/p.pem"
    pem "$target" >"$D/t.pem"
    args=(-x509_strict -attime "$at" -CAfile "$D/a.pem")
    [ -s "$D/p.pem" ] && args+=(-untrusted "$D/p.pem")
    if [ "$rev" = require ]; then
        : >"$D/c.pem"
        IFS=, read -ra cl <<<"$crls"
        for f in "${cl[@]}"; do openssl crl -inform DER -in "$D/$f" >>"$D/c.pem" 2>/dev/null; done
        args+=(-crl_check_all -CRLfile "$D/c.pem")
    fi
    if out=$(openssl verify "${args[@]}" "$D/t.pem" 2>&1); then got=ok; else got=fail; fi
    want=$([ "$expect" = ok ] && echo ok || echo fail)
    if [ "$got" = "$want" ]; then
        agree[$cls]=$((${agree[$cls]:-0} + 1))
    else
        differ[$cls]=$((${differ[$cls]:-0} + 1))
        echo "differs $cls/$name: expected $expect, openssl: $got: $(echo "$out" | grep -m1 error || true)"
    fi
done <"$D/cases.txt"
for c in "${!agree[@]}" "${!differ[@]}"; do echo "$c"; done | sort -u | while read -r c; do
    echo "class $c: openssl agrees on ${agree[$c]:-0}, differs on ${differ[$c]:-0}"
done
