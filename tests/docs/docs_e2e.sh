#!/usr/bin/env bash
# docs_e2e.sh - `mohur docs ...` end to end on a state made by `mohur init`:
# the index filled by the issue flow, list/search/show/export with every
# filter and output, bad input with its exit code, re-printing a rendered
# diploma (a new signature over the same original bytes) and an archived
# notary act (the same bytes), re-indexing from signed files after the
# index is lost, the archive's retention.
set -u
: "${CLI_LIB:?}"
# shellcheck source=../cli/lib.sh
. "$CLI_LIB"
for t in python3 qpdf; do
    command -v "$t" >/dev/null || fail "the test needs $t (scripts/deps.sh installs it)"
done
unset SOFTHSM2_CONF
export MOHUR_STATE_DIR="$W/state"
S="$MOHUR_STATE_DIR"
SAMPLES="${MOHUR_SRC:?}/samples"

# json_get EXPR: evaluates a Python expression over the JSON on stdout (j).
json_get() {
    python3 -c "import json,sys; j=json.load(open(sys.argv[1])); print($1)" "$OUT"
}

expect 0 "mohur init" init
cat >"$W/r.csv" <<'CSV'
name,degree,programme,date,number
Əli Məmmədov,Bakalavr,Fizika,2025-06-30,D-1
Иван Петров,Magistr,"Kimya, üzvi",2025-06-30,D-2
İlkin Əliyev,Bakalavr,Riyaziyyat,2025-07-01,D-3
CSV
expect 0 "issue three diplomas" issue --kind diploma --roster "$W/r.csv" --out "$W/out" --no-progress \
    --jobs 1

# ---- list ------------------------------------------------------------------
expect 0 "docs list" docs list
out_has "bdu/diploma/D-1 .*Əli Məmmədov" "the list shows the printed name as UTF-8"
out_has "Иван Петров" "Cyrillic names as written"
out_has "^20[0-9][0-9]-[01][0-9]-[0-3][0-9]T[0-9:]*Z  valid" "times are ISO 8601 UTC"
out_has "^3 documents" "three documents"
expect 0 "docs list --json" docs list --json
[ "$(json_get 'len(j)')" = 3 ] || fail "--json lists 3 documents"
[ "$(json_get 'j[1]["fields"]["programme"]')" = "Kimya, üzvi" ] || fail "--json carries the fields"
[ "$(json_get 'j[0]["fields"].get("national_id","none")')" = none ] || fail "no unprinted field"
pass "--json: 3 objects with their printed fields"
expect 0 "docs list --csv" docs list --csv
head -1 "$OUT" | grep -q '^id,log_index,kind,issuer,issued,status,revoked,reason,file,url,' ||
    fail "CSV header"
grep -q '"Kimya, üzvi"' "$OUT" || fail "a CSV cell with a comma is quoted"
pass "CSV: header and quoting"
expect 0 "list --limit 1" docs list --limit 1
out_has "^1 document (--limit reached)" "--limit"
expect 0 "list by kind (none of the other kinds)" docs list --kind notary-act
out_has "no documents match" "an empty list says so"
expect 0 "list by issuer" docs list --issuer bdu --json
[ "$(json_get 'len(j)')" = 3 ] || fail "--issuer bdu: 3"
expect 0 "list before the first issue" docs list --to 2000-01-01 --json
[ "$(json_get 'len(j)')" = 0 ] || fail "--to 2000-01-01: none"
today=$(date -u +%F)
expect 0 "list from today" docs list --from "$today" --to "$today" --json
[ "$(json_get 'len(j)')" = 3 ] || fail "--from/--to today: 3"
pass "date range"

# ---- bad input ---------------------------------------------------------------
expect 2 "a bad date" docs list --from 2026-02-30
err_has "YYYY-MM-DD" "the sentence names the form"
expect 2 "a bad status" docs list --status maybe
expect 2 "--json and --csv" docs list --json --csv
expect 2 "--from after --to" docs list --from 2026-02-02 --to 2026-02-01
expect 3 "an unknown kind" docs list --kind nonsense
expect 2 "an unknown option" docs list --nonsense
expect 2 "list takes no operand" docs list extra
expect 2 "search without text" docs search
expect 2 "show without an id" docs show
expect 3 "show an unknown id" docs show bdu/diploma/NOPE
err_has "no document 'bdu/diploma/NOPE'" "the sentence names the id"
expect 2 "reprint without --out" docs reprint bdu/diploma/D-1
expect 2 "reindex without files" docs reindex
expect 2 "an unknown docs command" docs nonsense
err_lacks "mohur: mohur" "one message prefix"

# ---- search --------------------------------------------------------------------
expect 0 "search lower case Azerbaijani" docs search 'əli' --json
[ "$(json_get 'sorted(d["id"] for d in j)')" = "['bdu/diploma/D-1', 'bdu/diploma/D-3']" ] ||
    fail "'əli' finds Əli Məmmədov and İlkin Əliyev: $(cat "$OUT")"
pass "search folds Ə/ə"
expect 0 "search with dotless/dotted I" docs search 'ilkin' --json
[ "$(json_get 'len(j)')" = 1 ] || fail "'ilkin' finds İlkin"
expect 0 "search Cyrillic upper case" docs search 'ИВАН' --json
[ "$(json_get 'j[0]["id"]')" = bdu/diploma/D-2 ] || fail "'ИВАН' finds Иван"
expect 0 "search a number" docs search d-3 --json
[ "$(json_get 'len(j)')" = 1 ] || fail "d-3 finds D-3"
expect 0 "search that finds nothing" docs search 'Nobody Here'
out_has "no documents match" "an empty search says so"
pass "search"

# ---- show, revoke, status filter ----------------------------------------------
expect 0 "show" docs show bdu/diploma/D-2
out_has "status:    valid" "show: status"
out_has "Graduate   Иван Петров" "show: labelled fields in the kind's order"
out_has "file:      $W/out/bdu_diploma_D-2.pdf" "show: the file"
out_has "url:       HTTPS://" "show: the verify URL"
expect 0 "revoke D-2" revoke bdu/diploma/D-2 --reason superseded
expect 0 "show revoked" docs show bdu/diploma/D-2 --json
[ "$(json_get 'j["status"]')" = revoked ] && [ "$(json_get 'j["reason"]')" = superseded ] ||
    fail "revoked with its reason as a word"
pass "show: revoked, superseded"
expect 0 "list revoked only" docs list --status revoked --json
[ "$(json_get 'len(j)')" = 1 ] || fail "--status revoked: 1"

# ---- export ---------------------------------------------------------------------
expect 0 "export to a file" docs export --kind diploma --out "$W/report.csv"
python3 - "$W/report.csv" <<'PY' || fail "the report parses as CSV with the right rows"
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], encoding="utf-8", newline="")))
assert [r["id"] for r in rows] == ["bdu/diploma/D-1", "bdu/diploma/D-2", "bdu/diploma/D-3"], rows
assert rows[1]["status"] == "revoked" and rows[1]["reason"] == "superseded"
assert rows[0]["name"] == "Əli Məmmədov" and rows[1]["programme"] == "Kimya, üzvi"
assert list(rows[0].keys())[-5:] == ["name", "degree", "programme", "date", "number"]
PY
pass "export: CSV report with every row and field"
expect 3 "export will not overwrite" docs export --out "$W/report.csv"
expect 0 "export --json" docs export --json
[ "$(json_get 'len(j)')" = 3 ] || fail "export --json"

# ---- reprint a rendered diploma ----------------------------------------------------
expect 0 "reprint a lost diploma" docs reprint bdu/diploma/D-1 --out "$W/copy.pdf"
out_has "signed again" "rendered again and signed again"
expect 0 "the reprint verifies" verify "$W/copy.pdf"
out_has "^VALID: bdu/diploma/D-1" "VALID"
orig=$(python3 - "$W/out/bdu_diploma_D-1.pdf" "$W/copy.pdf" <<'PY'
import sys
a, b = (open(p, "rb").read() for p in sys.argv[1:3])
n = 0
while n < min(len(a), len(b)) and a[n] == b[n]:
    n += 1
print(n)
PY
)
[ "$orig" -gt 10000 ] || fail "the reprint starts with the same original bytes ($orig)"
pass "the reprint has the original's bytes before its signature ($orig bytes)"
expect 3 "a revoked document is not printed again" docs reprint bdu/diploma/D-2 --out "$W/x.pdf"
err_has "revoked" "says revoked"
[ ! -e "$W/x.pdf" ] || fail "no file for a refused reprint"

# ---- supplied documents and the archive ----------------------------------------------
expect 0 "sign a notary act (archive off)" sign "$SAMPLES/notary-act.pdf" --kind notary-act \
    --issuer notary --fields "$SAMPLES/notary-act.json" --out "$W/act1.pdf"
act1=$(grep -o 'notary/notary-act/[^ ]*' "$OUT" | head -1)
expect 3 "no copy of a supplied act without the archive" docs reprint "$act1" --out "$W/a.pdf"
err_has "keeps no copy" "says why"
python3 - "$S/config.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1])); c["archive"] = {"keep_days": 30}
json.dump(c, open(sys.argv[1], "w"), ensure_ascii=False, indent=1)
PY
python3 - "$SAMPLES/notary-act.json" "$W/act2.json" <<'PY'
import json, sys
f = json.load(open(sys.argv[1])); f["act"] = "18/2026"
json.dump(f, open(sys.argv[2], "w"), ensure_ascii=False)
PY
expect 0 "sign a second act (archive on)" sign "$SAMPLES/notary-act.pdf" --kind notary-act \
    --issuer notary --fields "$W/act2.json" --out "$W/act2.pdf" --doc-id notary/notary-act/18/2026
expect 0 "show says archived" docs show notary/notary-act/18/2026
out_has "archived:  yes" "archived"
[ "$(stat -c %a "$S/archive")" = 700 ] || fail "the archive is private (0700)"
pass "the archive is private"
rm -f "$W/act2.pdf"
expect 0 "reprint the act from the archive" docs reprint notary/notary-act/18/2026 --out "$W/act2b.pdf"
out_has "the same bytes as delivered" "the archived copy"
expect 0 "the copy verifies" verify "$W/act2b.pdf"
echo "plain text" >"$W/plain.txt"
expect 0 "sign a plain file (archive on)" sign "$W/plain.txt" --kind notary-act --issuer notary \
    --fields "$W/act2.json" --doc-id notary/notary-act/19/2026 --out "$W/plain.txt"
rm -f "$W/plain.txt.p7s" "$W/plain.txt.receipt"
expect 0 "reprint the file and its signature" docs reprint notary/notary-act/19/2026 \
    --out "$W/plain2.txt"
cmp -s "$W/plain.txt" "$W/plain2.txt" || fail "the file is the same"
expect 0 "the copy and its .p7s verify" verify "$W/plain2.txt"
pass "a detached signature comes back with its file"
expect 0 "prune keeps what is in retention" docs prune
out_has "^0 archived copies removed" "nothing past keep_days"

# ---- documents fit for archives ------------------------------------------------------------
# poppler and qpdf must not warn; every font embedded with a ToUnicode map;
# the PDF/A-2b structure (docs/documents.md says which checks stand in for a
# full PDF/A validator, which Debian does not package)
for t in pdftotext pdffonts; do
    command -v "$t" >/dev/null || fail "the test needs $t (poppler-utils)"
done
d1="$W/out/bdu_diploma_D-1.pdf"
pdftotext "$d1" "$W/d1.txt" 2>"$W/poppler.err" || fail "pdftotext"
[ ! -s "$W/poppler.err" ] || fail "pdftotext warns: $(head -3 "$W/poppler.err")"
grep -q "Əli Məmmədov" "$W/d1.txt" || fail "pdftotext finds the name as written"
pass "pdftotext: no warning, the name extracted as written"
pdffonts "$d1" >"$W/fonts.txt" 2>"$W/poppler.err" || fail "pdffonts"
[ ! -s "$W/poppler.err" ] || fail "pdffonts warns: $(head -3 "$W/poppler.err")"
awk 'NR > 2 && ($(NF-4) != "yes" || $(NF-2) != "yes") { bad = 1 } END { exit bad }' "$W/fonts.txt" ||
    fail "a font not embedded or without ToUnicode: $(cat "$W/fonts.txt")"
pass "pdffonts: every font embedded, with a ToUnicode map"
qpdf --check "$d1" >"$W/qpdf.out" 2>&1 || fail "qpdf --check: $(tail -3 "$W/qpdf.out")"
! grep -qi "warning" "$W/qpdf.out" || fail "qpdf warns: $(grep -i warning "$W/qpdf.out" | head -3)"
pass "qpdf --check: no error, no warning"
PY3=python3
[ -x /usr/bin/python3 ] && PY3=/usr/bin/python3
if "$PY3" -c 'import pikepdf' 2>/dev/null; then
    "$PY3" - "$d1" <<'PY' || fail "the PDF/A-2b structure"
import sys, pikepdf
p = pikepdf.open(sys.argv[1])
r = p.Root
assert p.pdf_version >= "1.4", p.pdf_version
m = p.open_metadata()
assert m.get("pdfaid:part") == "2" and m.get("pdfaid:conformance") == "B", dict(m)
assert "/Filter" not in r.Metadata, "the XMP stream is not filtered"
oi = r.OutputIntents[0]
assert oi.S == "/GTS_PDFA1" and oi.DestOutputProfile.N == 3
icc = oi.DestOutputProfile.read_bytes()
assert icc[36:40] == b"acsp" and icc[16:20] == b"RGB ", "an RGB ICC profile"
assert str(p.docinfo.get("/Producer")) == m.get("pdf:Producer"), "Info and XMP agree"
assert len(p.trailer.ID) == 2
for _, font in p.pages[0].Resources.Font.items():
    assert "/ToUnicode" in font, font
    data = font.ToUnicode.read_bytes()
    assert b"beginbfrange" in data and b"begincidrange" not in data
    for d in font.DescendantFonts:
        assert "/FontFile2" in d.FontDescriptor and "/CIDToGIDMap" in d
for a in p.pages[0].get("/Annots", []):
    assert int(a.get("/F", 0)) & 4, "every annotation prints"
PY
    pass "PDF/A-2b structure: XMP id, sRGB OutputIntent, embedded fonts, ToUnicode, printable annotations"
else
    fail "the test needs python3-pikepdf"
fi
d2="$W/copy.pdf"
pdftotext "$d2" /dev/null 2>"$W/poppler.err" && [ ! -s "$W/poppler.err" ] || fail "the reprint: pdftotext warns"
pdftotext "$W/act2b.pdf" /dev/null 2>"$W/poppler.err"
! grep -q "ToUnicode" "$W/poppler.err" || fail "the stamp font's ToUnicode on a supplied act"
pass "re-printed and stamped documents: no ToUnicode warning"

# ---- the index lost, rebuilt from the signed documents ------------------------------------
rm -rf "$S/index"
expect 0 "list without an index" docs list
out_has "not in the index" "says the fields are unknown"
expect 0 "reindex the diplomas" docs reindex "$W/out/"*.pdf "$W/act1.pdf"
out_has "^4 indexed, 0 not" "4 indexed"
expect 0 "search works again" docs search 'məmmədov' --json
[ "$(json_get 'j[0]["id"]')" = bdu/diploma/D-1 ] || fail "found after reindex"
pass "reindex restores the receipts' fields"
cp "$W/out/bdu_diploma_D-3.pdf" "$W/tampered.pdf"
printf '%% appended\n' >>"$W/tampered.pdf"
python3 - "$W/tampered.pdf" <<'PY'
import sys
p = sys.argv[1]; b = bytearray(open(p, "rb").read())
i = b.find(b"Riyaziyyat")
if i < 0:
    i = len(b) // 3
b[i + 1] ^= 1
open(p, "wb").write(bytes(b))
PY
expect 1 "a tampered file is not indexed" docs reindex "$W/tampered.pdf"
expect 3 "a missing file" docs reindex "$W/missing.pdf"

# ---- mohur issue --json: one object per row, by line ---------------------------------
# header names in other case and with spaces; D-1 already issued (file present),
# D-3 changed (a conflict), a bad date, a new row, a duplicate number
cat >"$W/r2.csv" <<'CSV'
 Name ,DEGREE,Programme,date,NUMBER
Əli Məmmədov,Bakalavr,Fizika,2025-06-30,D-1
İlkin Əliyev,Bakalavr,Kimya,2025-07-01,D-3
Bad Date,Bakalavr,Fizika,2025-13-01,D-4
Yeni Məzun,Bakalavr,Fizika,2025-06-30,D-5
Dup Number,Bakalavr,Fizika,2025-06-30,D-5
CSV
expect 1 "issue --json with every outcome" issue --kind diploma --roster "$W/r2.csv" \
    --out "$W/out" --json --no-progress --jobs 2
python3 - "$OUT" <<'PY' || fail "issue --json: rows by line with their results: $(cat "$OUT")"
import json, sys
d = json.load(open(sys.argv[1]))
res = d["results"]
assert [r["line"] for r in res] == [2, 3, 4, 5, 6], res
want = ["already issued", "conflict", "bad", "issued", "bad"]
assert [r["result"] for r in res] == want, [r["result"] for r in res]
assert res[0]["id"] == "bdu/diploma/D-1" and res[0]["url"].startswith("HTTPS://"), res[0]
assert res[0]["file"].endswith("bdu_diploma_D-1.pdf")
assert "other contents" in res[1]["reason"] and res[1]["file"] is None
assert "YYYY-MM-DD" in res[2]["reason"]
assert res[3]["url"].startswith("HTTPS://") and res[3]["reason"] is None
assert "line 5" in res[4]["reason"]
assert d["issued"] == 1 and d["already_issued"] == 1 and d["remade"] == 0
assert d["conflicts"] == 1 and d["bad_rows"] == 2 and d["not_issued"] == 3
assert d["complete"] is False and len(res) == d["rows"]
for k in res[0]:
    assert k in ("line", "id", "file", "url", "result", "reason"), k
PY
pass "issue --json: 5 rows by line, results and reasons, counts agree"
expect 1 "the same as a summary" issue --kind diploma --roster "$W/r2.csv" --out "$W/out" \
    --no-progress --jobs 2
out_has "^Issue incomplete: 5 rows: 0 issued, 0 re-made, 2 already issued, 3 not issued" \
    "the headline's words and counts agree"
out_has "not issued: *3 (lines 3, 4, 6)$" "the lines not issued, sorted"
rm -f "$W/out/bdu_diploma_D-5.pdf"
expect 1 "a lost file is re-made" issue --kind diploma --roster "$W/r2.csv" --out "$W/out" \
    --no-progress --json
python3 -c "import json,sys; d=json.load(open(sys.argv[1])); r=[x for x in d['results'] if x['line']==5][0]; sys.exit(0 if r['result']=='re-made' and d['remade']==1 and d['issued']==0 else 1)" "$OUT" ||
    fail "re-made is counted as re-made, not issued"
pass "re-made"
head -c 2000 /bin/sh >"$W/binary.csv"
expect 3 "a binary roster is an input error" issue --kind diploma --roster "$W/binary.csv" \
    --out "$W/out"
err_has "not CSV or JSON text" "says it is not text"
out_lacks "Issue complete" "no summary for a roster that is not text"
printf 'name,degree,programme,date,number,nickname\n' >"$W/cols.csv"
expect 3 "an unknown column" issue --kind diploma --roster "$W/cols.csv" --out "$W/out"
err_has "column 'nickname', which is not a field" "names the column"
printf 'name,degree,date,number\nA,B,2025-01-01,X-1\n' >"$W/cols2.csv"
expect 3 "a required field without a column" issue --kind diploma --roster "$W/cols2.csv" \
    --out "$W/out"
err_has "no column for the required field 'programme'" "names the field"
err_lacks "mohur: mohur" "one message prefix"
printf '[{"NAME": "Json Row", "Degree": "Bakalavr", "programme": "X", "date": "2025-06-30", "number": "J-1"}]' >"$W/r.json"
expect 0 "JSON keys in other case" issue --kind diploma --roster "$W/r.json" --out "$W/out"

# ---- human output: ISO 8601 UTC, reasons as words, UTF-8 names ----------------------------
expect 0 "log get of a revoked document" log get --id bdu/diploma/D-2
out_has "^status: revoked on 20[0-9-]*T[0-9:]*Z (superseded; entry [0-9]*)$" "status: date and reason as words"
out_has "^time: 20[0-9-]*T[0-9:]*Z$" "entry time as ISO 8601 UTC"
out_lacks "reason [0-9]" "no reason numbers"
expect 0 "log get --json" log get --id bdu/diploma/D-2 --json
[ "$(json_get 'j["revoke_reason_name"]')" = superseded ] || fail "--json: the reason's name"
expect 0 "log info without a checkpoint" log info
out_has "^checkpoint: none signed yet" "says no checkpoint"
expect 0 "sign a checkpoint" log checkpoint --origin verify.mohur.test/log \
    --key "pkcs11:token=mohur;object=registry?pin-source=file:$S/pins/user.pin"
expect 0 "log info" log info
out_has "^checkpoint: #0, verify.mohur.test/log, size [0-9]* (0 behind the ledger), newest entry 20[0-9-]*T[0-9:]*Z$" \
    "the latest checkpoint with its time"
out_has "^witnesses: 0 cosigned it$" "the witness count"
expect 0 "log info --json" log info --json
[ "$(json_get 'j["checkpoint"]["witnesses"]')" = 0 ] || fail "--json: witnesses"
echo hello >"$W/c.txt"
expect 0 "sign a file as the agency" sign "$W/c.txt" --kind labor-contract --issuer agency \
    --field employer=X --field employee=Y --field number=LC-1 --field date=2026-01-01 --out "$W/c.txt"
expect 0 "cms verify prints the signer's name as UTF-8" cms verify --in "$W/c.txt.p7s" --content "$W/c.txt"
out_has "CN=Ədliyyə Nazirliyi" "cms verify: Ədliyyə Nazirliyi"
expect 0 "cms verify --json" cms verify --in "$W/c.txt.p7s" --content "$W/c.txt" --json
[ "$(json_get 'j["signers"][0]["subject"]')" = "CN=Ədliyyə Nazirliyi, O=Ədliyyə Nazirliyi, C=AZ" ] ||
    fail "--json: the subject as UTF-8"
pass "UTF-8 names in cms verify and its JSON"
expect 0 "kinds" kinds
grep -o '^[a-z-]*' "$OUT" | grep -v '^$' >"$W/kinds.txt" || true
sort -c "$W/kinds.txt" 2>/dev/null || fail "kinds are listed in order: $(tr '\n' ' ' <"$W/kinds.txt")"
pass "kinds in order"
expect 0 "mohur --help" --help
[ "$(sed -n '/^Commands:/,/^$/p' "$OUT" | sed -n 2p | awk '{print $1}')" = init ] || fail "init first"
sed -n '/^Commands:/,/^$/p' "$OUT" | awk '{print $1}' | grep -n . >"$W/order.txt"
[ "$(grep -c '' "$W/order.txt")" -gt 10 ] || fail "the command list"
first_tool=$(grep -n ':token$' "$W/order.txt" | head -1 | cut -d: -f1)
last_every=$(grep -n ':kinds$' "$W/order.txt" | cut -d: -f1)
[ "$last_every" -lt "$first_tool" ] || fail "everyday commands before the tools"
pass "help: everyday commands first"

if command -v pdftoppm >/dev/null && command -v zbarimg >/dev/null; then
    pdftoppm -r 150 -f 1 -l 1 -png "$W/out/bdu_diploma_D-3.pdf" "$W/qrpage" 2>/dev/null
    expect 0 "verify --qr-image" verify --qr-image "$(ls "$W"/qrpage*.png | head -1)"
    [ ! -s "$ERR" ] || fail "verify --qr-image: nothing on stderr (zbarimg's D-Bus noise): $(head -2 "$ERR")"
    pass "zbarimg's noise kept off stderr"
fi

# ---- the stamp's place ----------------------------------------------------------------------
MKPDF="${MOHUR_SRC}/tests/app/mkpdf.py"
python3 "$MKPDF" "$W/small.pdf" "Small page"
sed -i 's|/MediaBox \[0 0 595 842\]|/MediaBox [0 0 180 180]|' "$W/small.pdf"
python3 - "$W/small.pdf" <<'PY'
import re, sys
p = sys.argv[1]; b = open(p, "rb").read()
head, _, _ = b.partition(b"xref\n")
offs = [m.start() for m in re.finditer(rb"\d+ 0 obj\n", head)]
x = len(head)
out = head + b"xref\n0 %d\n0000000000 65535 f \n" % (len(offs) + 1)
for o in offs:
    out += b"%010d 00000 n \n" % o
out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(offs) + 1, x)
open(p, "wb").write(out)
PY
python3 - "$W/act3.json" <<'PY'
import json, sys
json.dump({"act": "30/2026", "title": "Etibarnamə", "date": "2026-11-28"}, open(sys.argv[1], "w"), ensure_ascii=False)
PY
expect 3 "a page with no room for the stamp is refused" sign "$W/small.pdf" --kind notary-act \
    --issuer notary --fields "$W/act3.json" --out "$W/small.signed.pdf"
err_has "no room for the" "says there is no room"
err_has "--stamp" "and how to choose a place"
[ ! -e "$W/small.signed.pdf" ] || fail "nothing written"
expect 2 "--stamp without numbers" sign "$W/small.pdf" --kind notary-act --issuer notary \
    --fields "$W/act3.json" --stamp 1,x,2
expect 2 "--stamp off the page" sign "$W/small.pdf" --kind notary-act --issuer notary \
    --fields "$W/act3.json" --stamp 1,150,150,60 --out "$W/small.signed.pdf"
err_has "off the 180 x 180 pt page" "says where"
expect 0 "--stamp a small QR where there is room" sign "$W/small.pdf" --kind notary-act \
    --issuer notary --fields "$W/act3.json" --stamp 1,110,10,60 --out "$W/small.signed.pdf"
expect 0 "it verifies" verify "$W/small.signed.pdf"
if command -v pdftoppm >/dev/null && command -v zbarimg >/dev/null; then
    pdftoppm -r 300 -png "$W/small.signed.pdf" "$W/smallp" 2>/dev/null
    url=$(zbarimg -q --raw "$W"/smallp*.png 2>/dev/null | head -1)
    case "$url" in HTTPS://*) pass "the QR at the chosen place scans" ;; *) fail "the QR does not scan" ;; esac
fi

# ---- help -------------------------------------------------------------------------------
expect 0 "docs --help" docs --help
out_has "reprint" "the group lists reprint"
expect 0 "docs export --help" docs export --help
out_has "^Usage: mohur docs export" "usage"
echo "docs_e2e: all $CHECKS checks passed"
