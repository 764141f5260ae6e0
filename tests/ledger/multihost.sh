#!/usr/bin/env bash
# multihost.sh - logs, witnesses, a mirror and a verifier on separate hosts:
# network namespaces made here (ip netns), one bridge, veth pairs, addresses
# in 10.213.77.0/24 that exist only inside these namespaces. Real processes
# over real TCP:
#   reg1, reg2  two registries: a ledger each, their tiles served over HTTP,
#               checkpoints signed with their keys and pushed to both witnesses
#   wit1, wit2  two witnesses (mohur witness serve), keys on the token
#   mal         a mirror of reg1 that turns malicious: a forked tree signed
#               with reg1's key, then a rolled-back checkpoint
#   ver         a verifier following both registries (mohur log follow),
#               reg1 through the mirror, with a 2-of-2 witness quorum
# The verifier detects the fork and the rollback and shows both checkpoints;
# the honest registry keeps verifying; the witnesses refuse the fork. Every
# namespace and process is removed on exit. Skips (77) only when network
# namespaces cannot be made here.
set -u
. "$(dirname "$0")/../cli/lib.sh"

TAG="mh$$"
NETNS=()
PIDS=()
NET=10.213.77
teardown() {
    for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
    for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
    for n in "${NETNS[@]}"; do ip netns del "$n" 2>/dev/null; done
    cleanup
}
trap teardown EXIT

if ! command -v ip >/dev/null || ! ip netns add "$TAG-hub" 2>/dev/null; then
    echo "SKIP: cannot make network namespaces here (ip netns add needs root and iproute2)" >&2
    exit 77
fi
NETNS+=("$TAG-hub")
ip -n "$TAG-hub" link add br0 type bridge || fail "bridge"
ip -n "$TAG-hub" link set br0 up
ip -n "$TAG-hub" link set lo up
host() { # host NAME LASTOCTET
    local ns="$TAG-$1"
    ip netns add "$ns" || fail "namespace $ns"
    NETNS+=("$ns")
    ip -n "$TAG-hub" link add "v-$1" type veth peer name eth0 netns "$ns" || fail "veth $1"
    ip -n "$TAG-hub" link set "v-$1" master br0 up
    ip -n "$ns" link set lo up
    ip -n "$ns" addr add "$NET.$2/24" dev eth0
    ip -n "$ns" link set eth0 up
}
host reg1 11
host reg2 12
host wit1 21
host wit2 22
host mal 31
host ver 41
pass "6 hosts in network namespaces, one bridge, $NET.0/24 inside them only"

# mohur on host NS: nsrun NS ARGS (RC, $OUT, $ERR as lib.sh's run)
nsrun() {
    local ns="$TAG-$1"
    shift
    ip netns exec "$ns" setsid -w "$MOHUR" "$@" </dev/null >"$OUT" 2>"$ERR"
    RC=$?
}
nsexpect() { # nsexpect CODE WHAT NS ARGS
    local want=$1 what=$2
    shift 2
    nsrun "$@"
    [ "$RC" = "$want" ] || fail "$what: exit code $RC, expected $want (on $1)"
    pass "$what (exit $RC, on $1)"
}
background() { # background NS LOG ARGS...: a process on a host, killed on exit
    local ns="$TAG-$1" log=$2
    shift 2
    ip netns exec "$ns" "$@" >"$log" 2>&1 </dev/null &
    PIDS+=($!)
}
wait_http() { # wait_http NS URL (30 s at most: a loaded machine starts slowly)
    for _ in $(seq 300); do
        ip netns exec "$TAG-$1" curl -s -o /dev/null "$2" && return 0
        sleep 0.1
    done
    for f in "$W"/*.log; do echo "---- $f" >&2; tail -n 5 "$f" >&2; done
    fail "$2 answers from $1"
}

# ---- keys on the token (the hosts share the file system and its token store)
init_token Keys
TOK="pkcs11:token=Keys?pin-source=file:$W/user.pin"
K() { echo "pkcs11:token=Keys;object=$1?pin-source=file:$W/user.pin"; }
expect 0 "reg1 key (ECDSA P-256)" key generate --token "$TOK" --type ec-p256 --label reg1
expect 0 "reg2 key (Ed25519)" key generate --token "$TOK" --type ed25519 --label reg2
expect 0 "wit1 key" key generate --token "$TOK" --type ed25519 --label wit1
expect 0 "wit2 key" key generate --token "$TOK" --type ed25519 --label wit2
expect 0 "wit1 vkey" witness vkey --key "$(K wit1)" --name witness.one.example/w --out "$W/wit1.vkey"
expect 0 "wit2 vkey" witness vkey --key "$(K wit2)" --name witness.two.example/w --out "$W/wit2.vkey"

O1="edu.registry.example.az/log"
O2="notary.registry.example.az/log"
L1="$W/reg1/ledger"
L2="$W/reg2/ledger"
M1="$W/reg1/tiles"
M2="$W/reg2/tiles"
mkdir -p "$W/reg1" "$W/reg2" "$W/mal/tiles"
nsexpect 0 "reg1: init" reg1 log init --ledger "$L1"
nsexpect 0 "reg2: init" reg2 log init --ledger "$L2"
nsexpect 0 "reg1: 3000 entries" reg1 log append --ledger "$L1" --synthetic 3000 --prefix edu-
nsexpect 0 "reg2: 2000 entries" reg2 log append --ledger "$L2" --synthetic 2000 --prefix not-
nsexpect 0 "reg1: checkpoint" reg1 log checkpoint --ledger "$L1" --origin "$O1" --key "$(K reg1)" \
    --vkey-out "$W/reg1.vkey"
nsexpect 0 "reg2: checkpoint" reg2 log checkpoint --ledger "$L2" --origin "$O2" --key "$(K reg2)" \
    --vkey-out "$W/reg2.vkey"

# ---- the witnesses, each following both logs
WURL1="http://$NET.21:7380"
WURL2="http://$NET.22:7380"
for w in 1 2; do
    name=$([ $w = 1 ] && echo witness.one.example/w || echo witness.two.example/w)
    background "wit$w" "$W/wit$w.log" "$MOHUR" witness serve --key "$(K wit$w)" --name "$name" \
        --log "$W/reg1.vkey" --log "$W/reg2.vkey" --state "$W/wit$w" --listen "$NET.2$w:7380"
    # one at a time: both log in to the same SoftHSM2 token store
    wait_http reg1 "http://$NET.2$w:7380/"
done
pass "two witnesses listening on their hosts"

publish() { # publish REG: push to both witnesses, export the tiles
    local r=$1 L M
    L=$([ "$r" = reg1 ] && echo "$L1" || echo "$L2")
    M=$([ "$r" = reg1 ] && echo "$M1" || echo "$M2")
    nsexpect 0 "$r: push to witness 1" "$r" log push --ledger "$L" --witness-url "$WURL1" \
        --witness "$W/wit1.vkey"
    nsexpect 0 "$r: push to witness 2" "$r" log push --ledger "$L" --witness-url "$WURL2" \
        --witness "$W/wit2.vkey"
    nsexpect 0 "$r: export tiles" "$r" log export-tiles --ledger "$L" --out "$M"
}
publish reg1
publish reg2
grep -c "^— witness" "$M1/checkpoint" | grep -q 2 || fail "reg1's exported checkpoint carries 2 cosignatures"
pass "the exported checkpoints carry both cosignatures"

# ---- static servers: each registry serves its tiles; mal mirrors reg1
background reg1 "$W/http1.log" python3 -m http.server --bind "$NET.11" --directory "$M1" 8080
background reg2 "$W/http2.log" python3 -m http.server --bind "$NET.12" --directory "$M2" 8080
cp -r "$M1/." "$W/mal/tiles/"
background mal "$W/http3.log" python3 -m http.server --bind "$NET.31" --directory "$W/mal/tiles" 8080
wait_http ver "http://$NET.11:8080/checkpoint"
wait_http ver "http://$NET.12:8080/checkpoint"
wait_http ver "http://$NET.31:8080/checkpoint"
pass "tiles served by reg1, reg2 and the mirror"

# ---- the verifier follows both registries: reg1 through the mirror
cat >"$W/follow.json" <<EOF
{"registries": [
  {"id": "AZ-EDU", "vkey": "$(cat "$W/reg1.vkey")", "mirror": "http://$NET.31:8080/",
   "witnesses": ["$(cat "$W/wit1.vkey")", "$(cat "$W/wit2.vkey")"], "quorum": 2, "max_age": 3600},
  {"id": "AZ-NOT", "vkey": "$(cat "$W/reg2.vkey")", "mirror": "http://$NET.12:8080/",
   "witnesses": ["$(cat "$W/wit1.vkey")", "$(cat "$W/wit2.vkey")"], "quorum": 2, "max_age": 3600}
]}
EOF
F=(--config "$W/follow.json" --state "$W/ver")
nsexpect 0 "verifier: first update (full audits, streamed)" ver log follow update "${F[@]}"
out_has "AZ-EDU (edu.registry.example.az/log): 3000 entries" "AZ-EDU trusted at 3000"
out_has "AZ-NOT (notary.registry.example.az/log): 2000 entries" "AZ-NOT trusted at 2000"
out_has "cosigned by 2 witnesses (quorum 2)" "both witnesses"
nsexpect 0 "verifier: check a receipt's entry (AZ-EDU 1234)" ver log follow check "${F[@]}" \
    --registry AZ-EDU --index 1234
out_has "inclusion proof OK" "proven in the trusted tree"
out_has "status: valid" "valid"
nsexpect 3 "an unknown registry" ver log follow check "${F[@]}" --registry AZ-XX --index 1
err_has "does not follow" "says the verifier does not follow it"

# ---- both registries grow; reg2 revokes a document
nsexpect 0 "reg1: 500 more" reg1 log append --ledger "$L1" --synthetic 500 --prefix edu2-
nsexpect 0 "reg2: 300 more" reg2 log append --ledger "$L2" --synthetic 300 --prefix not2-
nsexpect 0 "reg2: revoke not-7" reg2 log append --ledger "$L2" --type revoke \
    --id not-7 --issuer Registry --reason 4
nsexpect 0 "reg1: checkpoint 2" reg1 log checkpoint --ledger "$L1" --origin "$O1" --key "$(K reg1)"
nsexpect 0 "reg2: checkpoint 2, pushed to both witnesses as it is signed" reg2 log checkpoint \
    --ledger "$L2" --origin "$O2" --key "$(K reg2)" --witness-url "$WURL1" --witness "$W/wit1.vkey" \
    --witness-url "$WURL2" --witness "$W/wit2.vkey"
out_has "witness witness.two.example/w cosigned it" "both witnesses cosigned at once"
publish reg1
publish reg2
cp -r "$M1/." "$W/mal/tiles/"
nsexpect 0 "verifier: incremental update" ver log follow update "${F[@]}"
out_has "AZ-EDU (edu.registry.example.az/log): 3500 entries" "AZ-EDU at 3500"
out_has "audited 500 new entries" "only the new entries audited"
out_has "AZ-NOT (notary.registry.example.az/log): 2301 entries" "AZ-NOT at 2301"
nsexpect 1 "a revoked document is shown revoked" ver log follow check "${F[@]}" \
    --registry AZ-NOT --index 7
out_has "REVOKED by entry 2300" "revoked, by its entry"

# ---- the mirror turns malicious: a fork of reg1 signed with reg1's key
LF="$W/mal/forked"
nsexpect 0 "mal: forked ledger" mal log init --ledger "$LF"
nsexpect 0 "mal: the same first 3200 entries" mal log append --ledger "$LF" --synthetic 3000 \
    --prefix edu-
nsexpect 0 "mal: ..." mal log append --ledger "$LF" --synthetic 200 --prefix edu2-
nsexpect 0 "mal: then other entries" mal log append --ledger "$LF" --synthetic 600 --prefix evil-
nsexpect 0 "mal: a checkpoint with reg1's key (equivocation)" mal log checkpoint --ledger "$LF" \
    --origin "$O1" --key "$(K reg1)"
nsexpect 1 "witness 1 refuses to cosign the fork" mal log push --ledger "$LF" \
    --witness-url "$WURL1" --witness "$W/wit1.vkey"
err_has "fork" "witness 1 says fork"
nsexpect 1 "witness 2 refuses to cosign the fork" mal log push --ledger "$LF" \
    --witness-url "$WURL2" --witness "$W/wit2.vkey"
ls "$W/wit1/evidence/" | grep -q . || fail "witness 1 kept the evidence"
ls "$W/wit2/evidence/" | grep -q . || fail "witness 2 kept the evidence"
grep -l "^3800$" "$W/wit1/evidence/"* >/dev/null || fail "the evidence holds the forked checkpoint"
pass "both witnesses refused the fork and kept the signed request"
rm -rf "$W/mal/tiles" && mkdir -p "$W/mal/tiles"
nsexpect 0 "mal: serves the forked tree" mal log export-tiles --ledger "$LF" --out "$W/mal/tiles"

nsexpect 1 "verifier: the fork is detected" ver log follow update "${F[@]}"
err_has "AZ-EDU" "on AZ-EDU"
err_has "FORK EVIDENCE" "shown with the evidence"
grep -q "^3500$" "$ERR" || fail "the evidence shows the trusted checkpoint (3500)"
grep -q "^3800$" "$ERR" || fail "and the forked one (3800)"
pass "fork shown with both checkpoints"
ls "$W/ver/"*.fork-*.txt >/dev/null 2>&1 || fail "the verifier kept the evidence"
out_has "AZ-NOT (notary.registry.example.az/log): 2301 entries" "the honest registry still updates"
nsexpect 0 "the honest registry keeps verifying" ver log follow check "${F[@]}" \
    --registry AZ-NOT --index 1999
nsexpect 0 "the fork's trusted part still verifies" ver log follow check "${F[@]}" \
    --registry AZ-EDU --index 100
nsexpect 1 "an entry the forked mirror rewrote does not" ver log follow check "${F[@]}" \
    --registry AZ-EDU --index 3300
nsexpect 0 "status: AZ-EDU still trusts 3500" ver log follow status "${F[@]}" --registry AZ-EDU
out_has "3500 entries" "the trusted state is unchanged"

# ---- then a rolled-back checkpoint (reg1's first one, 3000 entries)
rm -rf "$W/mal/tiles" && mkdir -p "$W/mal/tiles"
cp -r "$M1/." "$W/mal/tiles/"
nsexpect 0 "reg1: its first checkpoint" reg1 log checkpoint --ledger "$L1" --seq 0 \
    --out "$W/mal/tiles/checkpoint"
nsexpect 1 "verifier: the rollback is detected" ver log follow update "${F[@]}" --registry AZ-EDU
err_has "rolled back" "says rolled back"
grep -q "^3000$" "$ERR" && grep -q "^3500$" "$ERR" || fail "with both checkpoints"
pass "rollback shown with both checkpoints"

# ---- and a checkpoint without the witness quorum is not trusted
nsexpect 0 "reg1: 10 more" reg1 log append --ledger "$L1" --synthetic 10 --prefix edu3-
nsexpect 0 "reg1: checkpoint 3 (not pushed to the witnesses)" reg1 log checkpoint \
    --ledger "$L1" --origin "$O1" --key "$(K reg1)"
nsexpect 0 "reg1: export" reg1 log export-tiles --ledger "$L1" --out "$M1"
rm -rf "$W/mal/tiles" && mkdir -p "$W/mal/tiles" && cp -r "$M1/." "$W/mal/tiles/"
nsexpect 1 "verifier: no quorum, not trusted" ver log follow update "${F[@]}" --registry AZ-EDU
err_has "0 of its 2 witnesses" "says the witnesses are missing"
publish reg1
cp -r "$M1/." "$W/mal/tiles/"
nsexpect 0 "verifier: once cosigned, trusted" ver log follow update "${F[@]}" --registry AZ-EDU
out_has "3510 entries" "AZ-EDU at 3510"

echo "multihost: $CHECKS checks passed"
echo "$CHECKS passed, 0 failed"
