#!/usr/bin/env bash
# follow.sh - mohurd follows other registries (docs/daemon.md, "The
# follower"). Two appliances A and B publish their logs' tiles over loopback
# HTTP; a third mohurd (the portal) follows both with an interval of 1 s.
# POST /api/v1/verify with a receipt of A or of B is VALID with the log's
# freshness in the verdict; a revocation at A is seen once A publishes it;
# a registry nobody here follows and an entry beyond the trusted checkpoint
# are UNKNOWN; B's mirror rolled back is a fork (an ERROR naming it, the
# evidence kept, logged loudly) while A still verifies; A's server gone and
# its max_age past is REVOCATION-UNKNOWN. The follower runs as nobody with
# seccomp, holds no LMDB file, no token; the front (no network, seccomp as
# ever) answers from the follower's local copy. A reload replaces the
# follower; a bad follow configuration is refused with a sentence.
. "$(dirname "$0")/lib.sh"
SRC=${MOHUR_SRC:?}

# ---- two registries, their tiles served over HTTP --------------------------------------------
make_registry() { # NAME ID HOST
    local st="$W/$1"
    MOHUR_STATE_DIR=$st "$MOHUR" init --registry "$2" --host "$3" >"$W/init-$1.out" 2>&1 ||
        { cat "$W/init-$1.out" >&2; fail "init $1"; }
    echo "$st"
}
A=$(make_registry a AZ-EDU edu.verify.test)
B=$(make_registry b AZ-NOT notary.verify.test)
C=$(make_registry c AZ-OTHER other.verify.test)
sign_txt() { # STATE NAME CASE
    printf 'decision %s\n' "$3" >"$W/$2.txt"
    MOHUR_STATE_DIR=$1 "$MOHUR" sign "$W/$2.txt" --kind court-decision --issuer agency \
        --field case="$3" --field court=Baku --field date=2026-12-01 --out "$W/$2" >/dev/null 2>"$W/sign.err" ||
        { cat "$W/sign.err" >&2; fail "sign $2"; }
}
publish() { # STATE ORIGIN MIRROR -> its vkey in MIRROR.vkey
    local pin="?pin-source=file:$1/pins/user.pin"
    SOFTHSM2_CONF=$1/softhsm2.conf MOHUR_STATE_DIR=$1 "$MOHUR" log checkpoint --origin "$2" \
        --key "pkcs11:token=mohur;object=registry;type=private$pin" --vkey-out "$3.vkey" \
        >/dev/null 2>"$W/ck.err" || { cat "$W/ck.err" >&2; fail "checkpoint $2"; }
    MOHUR_STATE_DIR=$1 "$MOHUR" log export-tiles --out "$3" >/dev/null 2>"$W/ck.err" ||
        { cat "$W/ck.err" >&2; fail "export $2"; }
}
sign_txt "$A" a1 C-1
sign_txt "$A" a2 C-2
sign_txt "$B" b1 N-1
sign_txt "$C" c1 O-1
publish "$A" edu.verify.test/log "$W/mirror-a"
publish "$B" notary.verify.test/log "$W/mirror-b"
cp "$W/mirror-b/checkpoint" "$W/b-checkpoint-0"
sign_txt "$B" b2 N-2
publish "$B" notary.verify.test/log "$W/mirror-b"

serve() { # DIR -> SPORT, SPID; the server's process group joins PGS (cleanup kills it)
    SPORT=$(free_port)
    setsid python3 -m http.server "$SPORT" --bind 127.0.0.1 --directory "$1" \
        >"$W/http-$SPORT.log" 2>&1 </dev/null &
    SPID=$!
    PGS+=("$SPID")
    for _ in $(seq 50); do
        curl -s -o /dev/null "http://127.0.0.1:$SPORT/checkpoint" && break
        sleep 0.1
    done
}
serve "$W/mirror-a"
PA=$SPORT SA=$SPID
serve "$W/mirror-b"
PB=$SPORT
curl -sf -o /dev/null "http://127.0.0.1:$PA/checkpoint" || fail "A's tiles are served"
curl -sf -o /dev/null "http://127.0.0.1:$PB/checkpoint" || fail "B's tiles are served"
pass "A and B serve their tiles on loopback ports $PA and $PB"

# ---- the portal: a mohurd following A and B ---------------------------------------------------
spki() { openssl x509 -in "$1/certs/registry.crt" -noout -pubkey | openssl pkey -pubin -outform DER | base64 -w0; }
# the verifier configuration where only root may look (as under /root)
mkdir -p "$W/private" && chmod 700 "$W/private"
cat >"$W/private/follow.json" <<EOF
{"registries": [
  {"id": "AZ-EDU", "vkey": "$(cat "$W/mirror-a.vkey")", "mirror": "http://127.0.0.1:$PA/", "max_age": 4},
  {"id": "AZ-NOT", "vkey": "$(cat "$W/mirror-b.vkey")", "mirror": "http://127.0.0.1:$PB/", "max_age": 3600,
   "receipt_keys": ["$(spki "$B")"]}
]}
EOF
init_state
chmod 700 "$MOHUR_STATE_DIR"
AUDITOR=$(token auditor)
conf follow_config "$W/private/follow.json"
conf follow_interval 1

# a bad follow configuration is refused before anything starts
echo 'follow_interval 0' >"$W/bad.conf"
check "follow_interval 0 is refused" bash -c "! '$MOHURD' --state '$MOHUR_STATE_DIR' --config '$W/bad.conf' --check-config"
printf 'follow_config %s\n' "$W/nothing.json" >"$W/bad.conf"
run_cc() { "$MOHURD" --state "$MOHUR_STATE_DIR" --config "$W/bad.conf" --check-config >"$W/cc.out" 2>&1; }
run_cc && fail "a missing follow_config is refused"
grep -q "follow_config $W/nothing.json" "$W/cc.out" || { cat "$W/cc.out" >&2; fail "the refusal names follow_config"; }
pass "a missing follow_config is refused, naming it"
printf 'follow_state %s\n' "$W/fs" >"$W/bad.conf"
run_cc && fail "follow_state without follow_config is refused"
grep -q "follow_config is not" "$W/cc.out" || fail "the refusal says follow_config is missing"
pass "follow_state without follow_config is refused"
echo '{"registries": [{"id": "X", "mirror": "http://127.0.0.1:1/"}]}' >"$W/novkey.json"
printf 'follow_config %s\n' "$W/novkey.json" >"$W/bad.conf"
run_cc && fail "a follow configuration without a vkey is refused"
grep -q "vkey" "$W/cc.out" || fail "the refusal says what is missing (vkey)"
pass "a verifier configuration without a vkey is refused at load"

start_mohurd
FOLLOWER=$(child_pid follower)
FRONT=$(child_pid front)
[ -n "$FOLLOWER" ] || fail "the follower is in the log"
FS=$MOHUR_STATE_DIR/follow

# the follower brings both registries up to date
wait_for() { # WHAT CMD... (up to 20 s)
    local what=$1
    shift
    for _ in $(seq 200); do "$@" && { pass "$what"; return 0; }; sleep 0.1; done
    fail "$what (waited 20 s)"
}
updated() { grep -q "msg=\"follow update\" registry=$1 size=$2 " "$W/mohurd.err"; }
wait_for "the follower's update of AZ-EDU is logged (registry, size, entries, files, bytes, seconds)" updated AZ-EDU 2
wait_for "the follower's update of AZ-NOT is logged" updated AZ-NOT 2
grep "msg=\"follow update\" registry=AZ-EDU size=2 new_entries=2 files=[0-9]* bytes=[0-9]* seconds=" "$W/mohurd.err" \
    >/dev/null || fail "the first update of AZ-EDU says its new entries, files, bytes and seconds"
pass "the first update says new_entries=2, files, bytes, seconds"

verify() { # RECEIPT-FILE
    api POST /api/v1/verify -H "$(auth "$AUDITOR")" -H 'Content-Type: application/json' \
        --data-binary "$(python3 -c 'import json,sys; print(json.dumps({"receipt": open(sys.argv[1]).read().strip()}))' "$1")"
    [ "$CODE" = 200 ] || fail "POST /api/v1/verify: HTTP $CODE"
}
verdict_is() { # RECEIPT-FILE VERDICT WHAT
    verify "$1"
    [ "$(jget verdict)" = "$2" ] || fail "$3: the verdict is '$(jget verdict)', expected '$2'"
    pass "$3 ($2)"
}

# ---- valid, with the log's freshness -----------------------------------------------------------
verdict_is "$W/a1.receipt" valid "a receipt of A (AZ-EDU)"
[ "$(jget log.origin)" = edu.verify.test/log ] || fail "the verdict names A's log"
[ "$(jget log.size)" = 2 ] || fail "the verdict says the trusted checkpoint's size"
[ "$(jget log.stale)" = false ] || fail "the verdict says the copy is fresh"
[ "$(jget log.max_age)" = 4 ] || fail "the verdict says the registry's max_age"
[[ "$(jget log.checked_at)" == 20* ]] || fail "the verdict says when the log was last checked"
[ -z "$(jget log.update_failed)" ] || fail "no failed update is shown"
body_has "VALID: agency/court-decision/C-1" "the summary says VALID with the document id"
verdict_is "$W/b1.receipt" valid "a receipt of B (AZ-NOT), its receipt key checked"
[ "$(jget log.origin)" = notary.verify.test/log ] || fail "the verdict names B's log"

# ---- the processes -------------------------------------------------------------------------------
status() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }
[ "$(status "$FOLLOWER" Uid)" = "$(id -u nobody)" ] || fail "the follower runs as nobody"
pass "the follower runs as nobody"
[ "$(status "$FOLLOWER" Seccomp)" = 2 ] && [ "$(status "$FOLLOWER" NoNewPrivs)" = 1 ] ||
    fail "the follower has a seccomp filter and no_new_privs"
pass "the follower has a seccomp filter and no_new_privs"
if ls -l "/proc/$FOLLOWER/fd" | grep -q '\.mdb'; then
    ls -l "/proc/$FOLLOWER/fd" >&2
    fail "the follower has no LMDB file open"
fi
pass "the follower has no LMDB file open"
grep -q "softhsm\|pkcs11" "/proc/$FOLLOWER/maps" && fail "the follower maps no PKCS#11 module"
pass "the follower maps no PKCS#11 module"
[ "$(stat -c '%U %a' "$FS")" = "nobody 700" ] || fail "the follow state is nobody's, mode 700 ($(stat -c '%U %a' "$FS"))"
pass "the follow state is made by the parent: nobody's, mode 700"
ls "$FS"/*.tiles/checkpoint >/dev/null 2>&1 || fail "the follower keeps a local copy of the tiles"
pass "the follower keeps a local copy of each registry's tiles"
[ "$(status "$FRONT" Uid)" = "$(id -u nobody)" ] || fail "the front runs as nobody"

# ---- an entry beyond the trusted checkpoint; a registry not followed ------------------------
sign_txt "$A" a3 C-3
verdict_is "$W/a3.receipt" unknown "an entry of A beyond the checkpoint the portal trusts"
body_has "has no entry 2" "the summary says the trusted log has no such entry"
verdict_is "$W/c1.receipt" unknown "a receipt of a registry the portal does not follow"
body_has "does not follow" "the summary says the registry is not followed"
grep -q "private/follow.json" "$BODY" && fail "the answer names no file of the server"
pass "the answer names no file of the server"

# ---- a revocation at A, seen once A publishes it --------------------------------------------
MOHUR_STATE_DIR=$A "$MOHUR" revoke agency/court-decision/C-2 --reason superseded >/dev/null 2>&1 ||
    fail "revoke C-2 at A"
verdict_is "$W/a2.receipt" valid "before A publishes the revocation"
publish "$A" edu.verify.test/log "$W/mirror-a"
revoked() { verify "$W/a2.receipt"; [ "$(jget verdict)" = revoked ]; }
wait_for "the revocation at A is seen once the follower updated (revoked)" revoked
body_has "REVOKED: agency/court-decision/C-2" "the summary says REVOKED"
verdict_is "$W/a3.receipt" valid "the entry that was beyond the checkpoint is now in it"

# ---- metrics --------------------------------------------------------------------------------------
api GET /metrics -H "$(auth "$AUDITOR")"
grep -q '^mohurd_follow_size{registry="AZ-EDU"} 4$' "$BODY" || fail "metrics: AZ-EDU's trusted size"
grep -q '^mohurd_follow_stale{registry="AZ-NOT"} 0$' "$BODY" || fail "metrics: AZ-NOT not stale"
grep -q '^mohurd_follow_age_seconds{registry="AZ-EDU"} [0-9]' "$BODY" || fail "metrics: seconds since the update"
pass "metrics per followed registry: size, age, stale"

# ---- B rolled back: a fork; A still valid ---------------------------------------------------
cp "$W/b-checkpoint-0" "$W/mirror-b/checkpoint"
forked() { grep -q 'msg="FORK: ' "$W/mohurd.err"; }
wait_for "the follower logs B's rollback loudly (FORK)" forked
grep -q "msg=\"FORK evidence\" registry=AZ-NOT line=" "$W/mohurd.err" ||
    fail "the FORK line names the registry and carries the evidence"
pass "the FORK line names the registry and carries the evidence"
ls "$FS"/*.fork-*.txt >/dev/null 2>&1 || fail "the evidence is kept in the follow state"
pass "the evidence is kept in the follow state"
sleep 2
[ "$(ls "$FS"/*.fork-*.txt | wc -l)" = 1 ] || fail "the same fork's evidence is kept once ($(ls "$FS"/*.fork-*.txt | wc -l) files)"
pass "the same fork's evidence is kept once, not at every update"
verdict_is "$W/b1.receipt" error "a receipt of B once its log forked"
body_has "fork or a rollback" "the summary names the fork"
verdict_is "$W/a1.receipt" valid "A still verifies while B is forked"
api GET /metrics -H "$(auth "$AUDITOR")"
grep -q '^mohurd_follow_failing{registry="AZ-NOT"} 2$' "$BODY" || fail "metrics: AZ-NOT forked"
pass "metrics: the fork of AZ-NOT"

# ---- a reload replaces the follower ---------------------------------------------------------
kill -HUP "$MPID"
replaced() { [ "$(grep -c 'msg=started child=follower ' "$W/mohurd.err")" -ge 2 ]; }
wait_for "a reload replaces the follower" replaced
NEWF=$(child_pid follower)
[ "$NEWF" != "$FOLLOWER" ] && ! kill -0 "$FOLLOWER" 2>/dev/null || fail "the old follower is gone"
pass "the old follower is gone"
again() { sed -n "/msg=started child=follower child_pid=$NEWF/,\$p" "$W/mohurd.err" | grep -q 'msg="follow update" registry=AZ-EDU size=4 '; }
wait_for "the new follower updates" again
sleep 1
verdict_is "$W/a1.receipt" valid "A verifies after the reload"

# ---- A's server gone, past max_age: revocation unknown --------------------------------------
kill -TERM -- "-$SA"
failing() { grep -q 'msg="follow update failed.*registry=AZ-EDU' "$W/mohurd.err"; }
wait_for "the follower says A's update failed" failing
sleep 5
verdict_is "$W/a1.receipt" revocation-unknown "A's server gone and its copy older than max_age"
[ "$(jget log.stale)" = true ] || fail "the verdict says the copy is stale"
[ -n "$(jget log.update_failed)" ] || fail "the verdict says why the update failed"
body_has "REVOCATION STATUS UNKNOWN" "the summary says the revocation status is unknown"
verdict_is "$W/a2.receipt" revoked "what the copy already shows revoked stays revoked"

stop_mohurd
echo "follow: $CHECKS checks passed"
