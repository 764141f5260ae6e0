#!/usr/bin/env bash
# batch_e2e.sh - `mohur issue` end to end, through the real binary, on a
# throwaway state directory made by `mohur init`:
#   a CSV roster of 200 diplomas (Azerbaijani Latin and Cyrillic names,
#   quotes, a value over two lines) with 4 bad rows reported by line;
#   outputs checked with pdfsig, qpdf --check, pdftoppm + zbarimg and
#   `mohur verify --qr`; the real LMDB ledger dumped and counted;
#   re-runs (nothing new, files re-made when missing); a JSON roster;
#   SIGINT and SIGKILL at a random moment, then a re-run; a wrong PIN; the
#   token pulled out mid-batch (tests/p11fault), then a re-run.
set -u
: "${CLI_LIB:?}" "${LEDGER_DUMP:?}" "${P11FAULT:?}"
# shellcheck source=../cli/lib.sh
. "$CLI_LIB"

for t in pdfsig qpdf pdftoppm zbarimg python3; do
    command -v "$t" >/dev/null || fail "the test needs $t (scripts/deps.sh installs it)"
done

unset SOFTHSM2_CONF
export MOHUR_STATE_DIR="$W/state"
S="$MOHUR_STATE_DIR"

# ledger_count PREFIX: "issues revokes distinct-numbers live-issues" for ids
# bdu/diploma/PREFIX*; a live issue is one not revoked.
ledger_count() {
    "$LEDGER_DUMP" "$S/ledger" >"$W/dump" || fail "reading the ledger"
    # issue entries, void entries, distinct numbers, issues in circulation
    # (not voided, not revoked): a voided number is issued again as itself
    awk -v p="bdu/diploma/$1" '
        index($3, p) == 1 && $2 == "issue" { n++; iss[$1] = $3; nums[$3] = 1 }
        index($3, p) == 1 && $2 == "void" { r++; voided[$4] = 1 }
        index($3, p) == 1 && $2 == "revoke" { rv[$3] = 1 }
        END { live = 0; for (i in iss) if (!(i in voided) && !(iss[i] in rv)) live++;
              d = 0; for (k in nums) d++;
              printf "%d %d %d %d\n", n, r, d, live }' "$W/dump"
}

# roster FILE PREFIX N: a clean CSV roster of N diplomas numbered PREFIX-i.
roster() {
    python3 - "$1" "$2" "$3" <<'EOF'
import sys
path, prefix, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
first = ["Əli", "Aysel", "Rəşad", "Günay", "Тимур", "Лейла", "Ülviyyə", "Şəhla"]
last = ["Məmmədov", "Həsənova", "Quliyev", "Иванов", "Гусейнова", "İsmayılov"]
with open(path, "w", encoding="utf-8") as f:
    f.write("name,degree,programme,date,number\n")
    for i in range(n):
        f.write('%s %s,Bakalavr,"Kompüter elmləri",2025-06-30,%s-%04d\n'
                % (first[i % 8], last[i % 6], prefix, i))
EOF
}

no_temps() {
    if ls "$1" | grep -q '\.tmp\.'; then
        ls "$1" | grep '\.tmp\.' | head >&2
        fail "temp files left in $1"
    fi
    pass "no temp files left in $(basename "$1")"
}

# all_complete DIR PREFIX: every PDF of PREFIX passes qpdf --check.
all_complete() {
    local bad=0 n=0 f
    for f in "$1"/bdu_diploma_"$2"-*.pdf; do
        n=$((n + 1))
        qpdf --check "$f" >/dev/null 2>&1 || { echo "not complete: $f" >&2; bad=$((bad + 1)); }
    done
    [ "$bad" -eq 0 ] || fail "$bad of $n PDFs fail qpdf --check"
    pass "all $n PDFs of $2 pass qpdf --check"
}

expect 0 "mohur init" init
[ -f "$S/config.json" ] || fail "init made no config.json"

# ---- a CSV roster: 200 good rows, 5 bad ones ----------------------------
python3 - "$W/grads.csv" "$W/badlines" <<'EOF'
import sys
path, badpath = sys.argv[1], sys.argv[2]
first = ["Əli", "Aysel", "Rəşad", "Günay", "Elçin", "Səbinə", "Тимур", "Лейла", "Фарид",
         "Ülviyyə", "Nərmin", "Orxan"]
last = ["Məmmədov", "Həsənova", "Quliyev", "Əliyeva", "Иванов", "Гусейнова", "İsmayılov",
        "Şükürova", "Bağırov", "Нәсибова"]
progs = ["Kompüter elmləri", "Beynəlxalq münasibətlər", "Физика", "Hüquqşünaslıq",
         "Tarix, arxeologiya", "Математика"]
line = 1
out = ["name,degree,programme,date,number,national_id\n"]
bad = {}
good = 0
def row(text, nlines=1):
    global line
    out.append(text)
    line += nlines
for i in range(200):
    name = "%s %s" % (first[i % 12], last[(i // 12) % 10])
    if i % 17 == 3:
        name = '"%s ""Kiçik"" %s"' % (first[i % 12], last[i % 10])  # quotes inside quotes
    prog = '"%s"' % progs[i % 6] if "," in progs[i % 6] else progs[i % 6]
    row('%s,Bakalavr,%s,2025-06-%02d,BDU-%04d,AZE%07d\n' % (name, prog, 1 + i % 28, i, i))
    good += 1
    if i == 50:  # a value over two lines: a line break is refused; lines still counted
        bad[line + 1] = "control character"
        row('Line Break,Magistr,"Fizika və\nriyaziyyat",2025-06-30,BDU-9000,\n', 2)
    if i == 20:
        bad[line + 1] = "date"
        row("Aysel Bad,Bakalavr,Tarix,2025-02-30,BDU-9001,\n")
    if i == 90:
        bad[line + 1] = "name"
        row(",Bakalavr,Tarix,2025-06-30,BDU-9002,\n")
    if i == 120:
        bad[line + 1] = "U+"
        row("李 Quliyev,Bakalavr,Tarix,2025-06-30,BDU-9003,\n")
    if i == 160:
        bad[line + 1] = "already used by line"
        row("Dup Row,Bakalavr,Tarix,2025-06-30,BDU-0005,\n")
open(path, "w", encoding="utf-8").write("".join(out))
with open(badpath, "w") as f:
    for l, why in sorted(bad.items()):
        f.write("%d %s\n" % (l, why))
EOF
expect 1 "issue 200 diplomas, 5 bad rows (exit 1)" issue --kind diploma --roster "$W/grads.csv" \
    --out "$W/out" --jobs 2
out_has "issued: *200$" "summary: 200 issued"
err_has "^issue: [0-9]*/[0-9]* done (100%)" "not a terminal: progress as lines, no bar"
err_lacks $'\033' "not a terminal: no terminal escapes"
out_has "not issued: *5 (lines [0-9, ]*)$" "summary: 5 rows not issued, their lines"
out_has "^    bad rows: *5$" "summary: 5 bad rows"
grep "not issued:" "$OUT" | grep -o "[0-9][0-9, ]*)" | tr -d ') ' | tr , '\n' >"$W/lines.txt"
sort -n "$W/lines.txt" | cmp -s - "$W/lines.txt" || fail "the lines are in order: $(cat "$W/lines.txt")"
pass "the summary's lines are sorted"
while read -r l why; do
    grep -q "^line $l: .*$why" "$ERR" || fail "no report for line $l ($why)"
    grep -q "not issued: .*$l" "$OUT" || fail "summary lacks line $l"
done <"$W/badlines"
pass "each bad row reported with its line number and reason, and in the summary"
err_has "line [0-9]*: .*'date'.*YYYY-MM-DD" "the date error says how to write a date"
n=$(ls "$W/out" | grep -c '\.pdf$')
[ "$n" -eq 200 ] || fail "$n PDFs in the output directory, expected 200"
pass "200 PDFs written"
no_temps "$W/out"
read -r iss rev nums live <<<"$(ledger_count BDU-)"
[ "$iss" -eq 200 ] && [ "$rev" -eq 0 ] && [ "$nums" -eq 200 ] ||
    fail "ledger: $iss issue entries, $rev revokes, $nums numbers (want 200, 0, 200)"
pass "ledger: exactly one issue entry per good row"

# a sample checked by independent tools
for i in 0 50 199; do
    f="$W/out/bdu_diploma_BDU-$(printf %04d $i).pdf"
    [ -f "$f" ] || fail "missing $f"
    check "pdfsig: row $i valid" sh -c "pdfsig '$f' 2>&1 | grep -q 'Signature is Valid'"
    check "qpdf --check: row $i" qpdf --check "$f"
    pdftoppm -r 150 -png -f 1 -l 1 "$f" "$W/page" || fail "pdftoppm $f"
    url=$(zbarimg --raw -q "$W"/page*.png 2>/dev/null | head -n 1)
    rm -f "$W"/page*.png
    case "$url" in
    HTTPS://*/V/*) pass "row $i: the QR decodes to a receipt URL" ;;
    *) fail "row $i: the QR decodes to '$url'" ;;
    esac
    expect 0 "mohur verify --qr accepts row $i's QR" verify --qr "$url"
    expect 0 "mohur verify accepts row $i's PDF" verify "$f"
done
pdftotext "$W/out/bdu_diploma_BDU-0003.pdf" - 2>/dev/null | grep -q 'Günay "Kiçik" Əliyeva' ||
    fail "the quoted name is not in the PDF"
pass "a name with quotes is rendered as written"

# ---- re-runs -------------------------------------------------------------
expect 1 "re-run (the bad rows are still bad)" issue --kind diploma --roster "$W/grads.csv" \
    --out "$W/out"
out_has "issued: *0$" "re-run: nothing new issued"
out_has "already issued: *200$" "re-run: already issued = 200"
[ "$(ledger_count BDU- | cut -d' ' -f1)" -eq 200 ] || fail "the re-run added ledger entries"
pass "re-run: the ledger is unchanged"
rm -f "$W/out/bdu_diploma_BDU-0007.pdf" "$W/out/bdu_diploma_BDU-0100.pdf"
expect 1 "re-run with two files removed" issue --kind diploma --roster "$W/grads.csv" \
    --out "$W/out"
out_has "re-made: *2$" "two documents re-made from their ledger entries"
out_has "already issued: *198$" "the others skipped"
[ "$(ledger_count BDU- | cut -d' ' -f1)" -eq 200 ] || fail "re-making added ledger entries"
check "re-made PDF is valid" sh -c "pdfsig '$W/out/bdu_diploma_BDU-0007.pdf' 2>&1 | grep -q 'Signature is Valid'"
# a row changed after it was issued: a conflict for that row only
sed 's/^\(.*\),BDU-0010,/Changed Name,Bakalavr,Tarix,2025-06-30,BDU-0010,/' "$W/grads.csv" >"$W/changed.csv"
expect 1 "a changed row" issue --kind diploma --roster "$W/changed.csv" --out "$W/out"
err_has "BDU-0010.*other contents" "the changed row is reported as a conflict"
out_has "already issued: *199$" "the other rows are already issued"

# ---- a JSON roster, --json summary ---------------------------------------
python3 - "$W/r.json" <<'EOF'
import json, sys
rows = [{"name": "Лейла Гусейнова %d" % i, "degree": "Magistr", "programme": "Математика",
         "date": "2025-07-01", "number": "JS-%03d" % i} for i in range(20)]
json.dump(rows, open(sys.argv[1], "w", encoding="utf-8"), ensure_ascii=False)
EOF
expect 0 "a JSON roster of 20" issue --kind diploma --roster "$W/r.json" --out "$W/out" --json
check "--json summary: issued 20" python3 -c "import json,sys; d=json.load(open('$OUT')); sys.exit(0 if d['issued']==20 and d['bad_rows']==0 else 1)"
expect 0 "JSON re-run" issue --kind diploma --roster "$W/r.json" --out "$W/out" --json
check "--json re-run: already 20" python3 -c "import json,sys; d=json.load(open('$OUT')); sys.exit(0 if d['already_issued']==20 and d['issued']==0 else 1)"

# ---- interrupted: SIGINT, then SIGKILL, at a random moment ---------------
for sig in INT KILL; do
    p=$sig
    roster "$W/$p.csv" "$p" 120
    mkdir -p "$W/out$p"
    "$MOHUR" issue --kind diploma --roster "$W/$p.csv" --out "$W/out$p" --jobs 2 \
        </dev/null >"$W/$p.out" 2>"$W/$p.err" &
    pid=$!
    sleep "0.$((RANDOM % 7 + 2))"
    kill -"$sig" "$pid" 2>/dev/null
    wait "$pid"
    rc=$?
    case "$sig:$rc" in
    INT:130) grep -q "Run the same command again" "$W/$p.err" || fail "SIGINT: no resume hint"
        pass "SIGINT: stopped with the summary and how to resume" ;;
    INT:0 | KILL:0) pass "$sig: the batch finished before the signal" ;;
    KILL:137) pass "SIGKILL: killed" ;;
    *) cat "$W/$p.err" >&2; fail "$sig: exit code $rc" ;;
    esac
    read -r iss rev nums live <<<"$(ledger_count "$p-")"
    files=$(ls "$W/out$p" | grep -c '\.pdf$')
    echo "# after SIG$sig: $iss ledger entries, $files files"
    expect 0 "re-run after SIG$sig" issue --kind diploma --roster "$W/$p.csv" --out "$W/out$p"
    out_has "already issued: *$files$" "re-run after SIG$sig: the $files files made are skipped"
    out_has "re-made: *$((iss - files))$" "re-run after SIG$sig: $((iss - files)) recorded but unwritten re-made"
    read -r iss rev nums live <<<"$(ledger_count "$p-")"
    [ "$iss" -eq 120 ] && [ "$nums" -eq 120 ] && [ "$rev" -eq 0 ] ||
        fail "after SIG$sig + re-run: $iss issue entries for $nums numbers, $rev revokes"
    pass "after SIG$sig + re-run: every row issued exactly once"
    n=$(ls "$W/out$p" | grep -c '\.pdf$')
    [ "$n" -eq 120 ] || fail "after SIG$sig + re-run: $n files"
    no_temps "$W/out$p"
    all_complete "$W/out$p" "$p"
done

# ---- on a terminal: the progress bar -------------------------------------
roster "$W/tty.csv" TTY 100
python3 "$(dirname "$CLI_LIB")/pty_run.py" -- "$MOHUR" issue --kind diploma --roster "$W/tty.csv" \
    --out "$W/outTTY" >"$W/tty.out" 2>&1 || fail "issue on a terminal"
grep -q $'\r\033\[K\[[#.]*\] *[0-9]*% [0-9]*/100 .*/s  ETA [0-9:-]*  errors 0' "$W/tty.out" ||
    { cat -v "$W/tty.out" | head -20 >&2; fail "no progress bar on a terminal"; }
pass "a progress bar on a terminal (done/total, rate, ETA, errors)"
grep -q "issued: *100" "$W/tty.out" || fail "no summary on a terminal"
pass "the summary after the bar"

# ---- a wrong PIN: exit 5, nothing issued ----------------------------------
roster "$W/pin.csv" PIN 5
cp "$S/pins/user.pin" "$W/user.pin.good"
pin_file "$S/pins/user.pin" 00000000
before=$("$LEDGER_DUMP" "$S/ledger" | wc -l)
expect 5 "a wrong PIN" issue --kind diploma --roster "$W/pin.csv" --out "$W/outpin"
err_has "PIN" "the error names the PIN"
[ "$("$LEDGER_DUMP" "$S/ledger" | wc -l)" -eq "$before" ] || fail "a wrong PIN changed the ledger"
pass "a wrong PIN: the ledger is unchanged"
[ -z "$(ls "$W/outpin" 2>/dev/null)" ] || fail "a wrong PIN left files"
pass "a wrong PIN: no files"
cp "$W/user.pin.good" "$S/pins/user.pin"

# ---- the token pulled out mid-batch -----------------------------------------
python3 - "$S/config.json" "$P11FAULT" <<'EOF'
import json, sys
c = json.load(open(sys.argv[1]))
c["token"]["module"] = sys.argv[2]
json.dump(c, open(sys.argv[1], "w"), indent=2, ensure_ascii=False)
EOF
export MOHUR_MODULE_DIRS="/usr/lib:$(dirname "$P11FAULT")"
export SOFTHSM2_CONF="$S/softhsm2.conf"
export MH_P11FAULT_CONF="$W/fault.conf"
export MH_P11FAULT_STATE="$W/fault.state"
echo "fail C_Sign CKR_DEVICE_REMOVED after=20" >"$W/fault.tmp"
mv "$W/fault.tmp" "$W/fault.conf"
roster "$W/f.csv" F 60
expect 4 "the token pulled out mid-batch (exit 4)" issue --kind diploma --roster "$W/f.csv" \
    --out "$W/outF" --jobs 2
err_has "stopped.*remov" "a clear sentence: the batch stopped, the token was removed"
read -r iss rev nums live <<<"$(ledger_count F-)"
files=$(ls "$W/outF" | grep -c '\.pdf$')
echo "# token pulled: $iss issue entries, $rev voided, $files files"
[ "$rev" -ge 1 ] || fail "no document was voided"
grep -q " void bdu/diploma/F-" "$W/dump" || fail "no void entry"
pass "documents whose signing failed are voided in the ledger ($rev)"
[ "$live" -eq "$files" ] || fail "$live live ledger entries but $files files"
pass "every live entry has its file, no file without its entry"
out_has "voided: *$rev$" "the summary counts the voided documents"
no_temps "$W/outF"
[ "$files" -eq 0 ] || all_complete "$W/outF" F
rm -f "$W/fault.conf"
expect 0 "re-run with the token back" issue --kind diploma --roster "$W/f.csv" --out "$W/outF"
read -r iss rev2 nums live <<<"$(ledger_count F-)"
[ "$nums" -eq 60 ] && [ "$live" -eq 60 ] && [ "$rev2" -eq "$rev" ] ||
    fail "after the re-run: $nums numbers, $live live entries, $rev2 revokes"
pass "after the re-run: every row issued exactly once (voided ones again under their own number)"
[ "$(ls "$W/outF" | grep -c '\.pdf$')" -eq 60 ] || fail "not 60 files"
no_temps "$W/outF"
all_complete "$W/outF" F

echo "batch_e2e: $CHECKS checks passed"
