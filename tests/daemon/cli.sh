#!/usr/bin/env bash
# cli.sh - the CLI and mohurd writing at the same time: while mohurd runs a
# batch of 1,000 diplomas (started by `mohur issue`, which goes through
# mohurd), a notary signs an act and an operator revokes a document with the
# CLI; all through mohurd's Unix socket, whose peer credentials decide
# (root or the state directory's owner: admin; anyone else: nothing). With
# mohurd stopped, the same commands work directly.
. "$(dirname "$0")/lib.sh"
SRC=${MOHUR_SRC:?}

init_state
python3 - "$W/roster.csv" <<'PY'
import sys
rows = ["name,degree,programme,date,number"]
rows += ["Məzun %d,Bakalavr,Fizika — Физика,2026-06-30,K-%04d" % (i, i) for i in range(1000)]
open(sys.argv[1], "w").write("\n".join(rows) + "\n")
PY
echo "first" >"$W/first.txt"
"$MOHUR" sign "$W/first.txt" --kind court-decision --issuer agency --field case=C-0 \
    --field court=Baku --field date=2026-12-01 >/dev/null 2>&1 || fail "a document signed directly before mohurd starts"
pass "mohur sign works directly while no mohurd runs"

# the archive of supplied documents on: mohurd hands its outputs over in
# memory, and the archive keeps exactly what was delivered
python3 - "$MOHUR_STATE_DIR/config.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1])); c["archive"] = {"keep_days": 30}
json.dump(c, open(sys.argv[1], "w"), ensure_ascii=False, indent=1)
PY
start_mohurd
mkdir -p "$W/out"
"$MOHUR" issue --kind diploma --roster "$W/roster.csv" --issuer bdu --out "$W/out" --json \
    >"$W/batch.json" 2>"$W/batch.err" &
BATCH=$!
# wait until the batch is under way
for i in $(seq 200); do
    [ "$(ls "$W/out" 2>/dev/null | wc -l)" -ge 20 ] && break
    sleep 0.05
done
[ "$(ls "$W/out" | wc -l)" -ge 20 ] || fail "the batch started writing"
python3 "$SRC/tests/app/mkpdf.py" "$W/act.pdf" "Notary act 9/2026" || fail "mkpdf"
"$MOHUR" sign "$W/act.pdf" --kind notary-act --issuer notary --field act=9/2026 \
    --field title="Power of attorney" --field date=2026-12-02 --json >"$W/sign.json" 2>"$W/sign.err" ||
    { cat "$W/sign.err" >&2; fail "the notary signs while the batch runs"; }
kill -0 "$BATCH" 2>/dev/null || fail "the batch was still running when the notary signed (make it longer)"
pass "a notary signs an act while mohurd's batch runs"
"$MOHUR" revoke agency/court-decision/C-0 --reason superseded >/dev/null 2>"$W/revoke.err" ||
    { cat "$W/revoke.err" >&2; fail "revoke while the batch runs"; }
pass "an operator revokes a document while the batch runs"
check "the act verifies" "$MOHUR" verify "$W/act.signed.pdf"
"$MOHUR" docs reprint notary/notary-act/9/2026 --out "$W/act.copy.pdf" >/dev/null 2>"$W/reprint.err" ||
    { cat "$W/reprint.err" >&2; fail "the act signed through mohurd is archived"; }
cmp -s "$W/act.signed.pdf" "$W/act.copy.pdf" || fail "the archived act is the one delivered"
pass "the act signed through mohurd is archived, byte for byte as delivered"
echo "a plain file" >"$W/plain.txt"
"$MOHUR" sign "$W/plain.txt" --kind court-decision --issuer agency --field case=C-7 \
    --field court=Baku --field date=2026-12-01 >/dev/null 2>"$W/plain.err" ||
    { cat "$W/plain.err" >&2; fail "a plain file signed through mohurd"; }
"$MOHUR" docs reprint agency/court-decision/C-7 --out "$W/plain.copy.txt" >/dev/null 2>"$W/reprint.err" ||
    { cat "$W/reprint.err" >&2; fail "the plain file signed through mohurd is archived"; }
cmp -s "$W/plain.txt" "$W/plain.copy.txt" && cmp -s "$W/plain.txt.p7s" "$W/plain.copy.txt.p7s" ||
    fail "the archived file and .p7s are the ones delivered"
check "the archived file and its .p7s verify" "$MOHUR" verify "$W/plain.copy.txt"
pass "a plain file signed through mohurd is archived with its .p7s"
wait "$BATCH" || { cat "$W/batch.err" >&2; fail "mohur issue through mohurd exits 0"; }
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["issued"] == 1000, d' "$W/batch.json" ||
    fail "the batch issued 1000 diplomas"
[ "$(ls "$W/out" | grep -c '\.pdf$')" = 1000 ] || fail "1000 PDFs in the output directory"
pass "the batch issued 1000 diplomas into the CLI's directory"
check "a diploma from the batch verifies" "$MOHUR" verify "$W/out/bdu_diploma_K-0500.pdf"
"$LEDGER_WHO" "$MOHUR_STATE_DIR/ledger" >"$W/who"
[ "$(grep -c " issue bdu/diploma/K-" "$W/who")" = 1000 ] || fail "1000 diploma entries"
ACT=$(grep " issue notary/notary-act/9/2026 " "$W/who" | cut -d' ' -f1)
LAST=$(grep " issue bdu/diploma/K-" "$W/who" | tail -n 1 | cut -d' ' -f1)
[ -n "$ACT" ] && [ "$ACT" -lt "$LAST" ] || fail "the act's entry ($ACT) lies within the batch's (last $LAST)"
pass "the act's entry ($ACT) lies within the batch's entries (up to $LAST): they ran at once"
grep -q " issue notary/notary-act/9/2026 uid:$(id -u)$" "$W/who" || fail "the CLI's entry is attributed to uid $(id -u)"
pass "entries the CLI made through mohurd are attributed to its uid"

# peer credentials: only root or the state directory's owner
SOCK=$MOHUR_STATE_DIR/mohurd.sock
[ "$(stat -c %a "$SOCK")" = 600 ] || fail "the socket is mode 600"
chmod 755 "$MOHUR_STATE_DIR" "$W"
if setpriv --reuid=nobody --regid=nogroup --clear-groups curl -s --unix-socket "$SOCK" http://x/healthz >/dev/null 2>&1; then
    fail "another user could connect to the socket"
fi
pass "another user cannot connect to the local socket (mode 600)"
chmod 666 "$SOCK"
CODE=$(setpriv --reuid=nobody --regid=nogroup --clear-groups curl -s -o "$BODY" -w '%{http_code}' --unix-socket "$SOCK" http://x/api/v1/whoami)
[ "$CODE" = 401 ] || fail "another user's peer credentials are not admin (got $CODE)"
pass "and were it allowed to connect, its uid is not admin (401)"
chmod 600 "$SOCK"
chmod 700 "$MOHUR_STATE_DIR"

stop_mohurd
echo "after" >"$W/after.txt"
"$MOHUR" sign "$W/after.txt" --kind court-decision --issuer agency --field case=C-2 \
    --field court=Baku --field date=2026-12-01 >/dev/null 2>&1 || fail "signing directly after mohurd stopped"
pass "with mohurd stopped, mohur sign works directly again"
echo "cli: all $CHECKS checks passed"
