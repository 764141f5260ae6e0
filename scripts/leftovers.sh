#!/usr/bin/env bash
# Fails (and ends them) when processes of the session SID outlive the tests:
# a test must stop what it starts (pcscd, the virtual card, mohurd, qemu,
# chromium, web servers), even when it fails.
#   scripts/leftovers.sh SID
set -u
sid=${1:?usage: leftovers.sh SID}
left=()
while read -r pid psid stat args; do
  [ "$psid" = "$sid" ] || continue
  case $stat in Z*) continue ;; esac   # exited, waiting to be reaped
  [ "$pid" = "$sid" ] && continue
  [ "$pid" = "$$" ] && continue
  case $args in ps\ *|*leftovers.sh*|sort*|"") continue ;; esac
  # our own pipeline (this script's parent shell) is not a leftover
  [ "$pid" = "$PPID" ] && continue
  left+=("$pid")
  echo "left running: $pid $args" >&2
done < <(ps -eo pid=,sid=,stat=,args=)
[ ${#left[@]} -eq 0 ] && { echo "nothing left running"; exit 0; }
kill -TERM "${left[@]}" 2>/dev/null
sleep 1
kill -KILL "${left[@]}" 2>/dev/null
echo "${#left[@]} processes outlived the tests (ended now); a test does not clean up" >&2
exit 1
