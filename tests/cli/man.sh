#!/usr/bin/env bash
# man.sh - the man pages and the bash completion come from the command table
# and --help (mohur --man, --completion): one page per command, each with
# every option its --help names, groff renders them without a warning, the
# completion parses and offers each command's options.
set -u
. "$(dirname "$0")/lib.sh"
expect 0 "mohur --man DIR" --man "$W/man"
[ -f "$W/man/mohur.1" ] || fail "mohur.1"
n=0
while read -r cmd; do
    page="$W/man/mohur-${cmd// /-}.1"
    [ -f "$page" ] || fail "no page for '$cmd'"
    # shellcheck disable=SC2086
    run $cmd --help
    for opt in $(grep -o -- '--[a-z][a-z0-9-]*' "$OUT" | sort -u); do
        esc=${opt//-/\\\\-}
        grep -q -- "$esc" "$page" || fail "$page lacks $opt of '$cmd --help'"
    done
    n=$((n + 1))
done < <(sed -n '/^Commands:/,/^$/p' <("$MOHUR" --help) | awk 'NF {print $1 ($2 ~ /^[a-z-]+$/ && $1 !~ /^(init|sign|issue|verify|revoke|kinds)$/ ? " " $2 : "")}' | grep -v '^Commands:')
[ "$n" -gt 40 ] || fail "only $n commands"
pass "$n pages, each with every option of its --help"
grep -q '^\.SH NAME' "$W/man/mohur-docs-list.1" && grep -q '^\.SH OPTIONS' "$W/man/mohur-docs-list.1" ||
    fail "NAME and OPTIONS sections"
pass "sections"
if command -v groff >/dev/null; then
    for f in "$W"/man/*.1; do
        w=$(groff -man -ww -z -Tutf8 "$f" 2>&1)
        [ -z "$w" ] || fail "groff warns on $f: $w"
    done
    pass "groff renders every page without a warning"
fi
expect 0 "mohur --completion bash" --completion bash
bash -n "$OUT" || fail "the completion parses"
grep -q '"docs list") opts="--kind ' "$OUT" || fail "docs list's options"
# shellcheck disable=SC1090
out=$(bash -c ". '$OUT'; COMP_WORDS=(mohur docs li); COMP_CWORD=2; _mohur; echo \${COMPREPLY[*]}")
[ "$out" = list ] || fail "completes 'docs li' to list, got '$out'"
out=$(bash -c ". '$OUT'; COMP_WORDS=(mohur issue --ro); COMP_CWORD=2; _mohur; echo \${COMPREPLY[*]}")
[ "$out" = --roster ] || fail "completes 'issue --ro' to --roster, got '$out'"
pass "bash completion: commands and options"
expect 2 "--man without a directory" --man
echo "man: all $CHECKS checks passed"
