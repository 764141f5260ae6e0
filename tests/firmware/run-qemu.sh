#!/bin/bash
# run-qemu.sh - one session of the verifier image on the emulated Cortex-M4
# (qemu-system-arm -M mps2-an386): the trust-list key burnt into a copy of
# the image, the trust list, snapshot and device state loaded into their
# flash slots (board.h), the line fed to UART0, the screen (semihosting)
# on stdout, the budget report and anything else on stderr, the verdict as exit code
# (SYS_EXIT_EXTENDED). qemu is killed after $FW_TIMEOUT seconds (default 60).
#
#   run-qemu.sh ELF TL-KEY TRUST-LIST SNAPSHOT MIN-SEQ LINE-FILE
set -u
[ $# = 6 ] || { echo "usage: run-qemu.sh ELF TL-KEY TRUST-LIST SNAPSHOT MIN-SEQ LINE-FILE" >&2; exit 64; }
elf=$1 key=$2 tl=$3 snap=$4 minseq=$5 line=$6
tmp=$(mktemp -d "${TMPDIR:-/tmp}/mohur-qemu.XXXXXX") || exit 70
pid=
# whatever ends this script (ctest's timeout included) ends the emulator
cleanup() {
    [ -n "$pid" ] && kill "$pid" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 143' TERM INT
objcopy=${OBJCOPY:-arm-none-eabi-objcopy}
if ! "$objcopy" --update-section ".mohur_tlkey=$key" "$elf" "$tmp/fw.elf"; then
    echo "run-qemu: cannot burn the key into the image" >&2
    exit 70
fi
python3 -c 'import struct,sys; open(sys.argv[1],"wb").write(b"MHST"+struct.pack(">Q",int(sys.argv[2])))' \
    "$tmp/state.bin" "$minseq" || exit 70
timeout -k 5 "${FW_TIMEOUT:-60}" qemu-system-arm -M mps2-an386 -display none -monitor none \
    -serial stdio -semihosting-config enable=on,target=native -icount shift=0 \
    -kernel "$tmp/fw.elf" \
    -device "loader,file=$tl,addr=0x00100000,force-raw=on" \
    -device "loader,file=$snap,addr=0x00102000,force-raw=on" \
    -device "loader,file=$tmp/state.bin,addr=0x00110000,force-raw=on" <"$line" \
    >"$tmp/serial.out" 2>"$tmp/console.out" &
pid=$!
wait "$pid"
rc=$?
pid=
# qemu writes the semihosting console (screen and report) to its stderr:
# the screen goes to stdout, the [budget] report and qemu's own words to stderr
grep -v '^\[budget\]' "$tmp/console.out" | grep -v '^qemu-system-arm:'
grep -E '^(\[budget\]|qemu-system-arm:)' "$tmp/console.out" >&2
cat "$tmp/serial.out" >&2
if [ $rc = 124 ] || [ $rc = 137 ]; then
    echo "run-qemu: the emulator did not finish in ${FW_TIMEOUT:-60} s; killed" >&2
fi
exit $rc
