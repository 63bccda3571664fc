#!/bin/sh
# tests/mount/test_mount_cli.sh: device files end to end.
#  1. Always: bad input (mount of a missing file, a non-device file, a missing mount point;
#     boot of a missing or non-device file) exits 2 with a message; `run --save-flash DIR
#     --nodes IDS` writes the chosen nodes' final flash, which `brownout boot` boots.
#  2. With FUSE (else exit 77): a failing cut of a broken miniature bootloader
#     (save_broken_cut) is mounted; its partitions, image JSON, trailer text and sector
#     table read back as the device in memory had them.
#  3. `sweep --repro ID --save-flash-end`, then mount --rw: erase the upgrade slot through
#     the control file, cp a signed image into upgrade.bin, a 0 -> 1 write gets EIO;
#     unmount; `brownout boot` installs the image. SIGTERM unmounts cleanly and saves.
# Usage: test_mount_cli.sh BROWNOUT SAVE_BROKEN_CUT SOURCE_ROOT
set -u
abs() { echo "$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"; }
bo=$(abs "$1")
saver=$(abs "$2")
src=$3

tmp=$(mktemp -d)
mnt="$tmp/mnt"
mkdir "$mnt"
cleanup() {
	fusermount3 -u "$mnt" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
fails=0

ok() { echo "ok: $1"; }
bad() { echo "FAIL: $1"; fails=$((fails + 1)); }

# expect CODE PATTERN DESCRIPTION -- command...: exit code and a stderr/stdout line
expect() {
	want=$1; pat=$2; what=$3; shift 4
	"$@" >"$tmp/out" 2>&1
	got=$?
	if [ "$got" -ne "$want" ] || ! grep -q -- "$pat" "$tmp/out"; then
		bad "$what: exit $got (wanted $want), output:"
		sed 's/^/  /' "$tmp/out"
	else
		ok "$what"
	fi
}

# ---- 1. bad input ---------------------------------------------------------------------
printf 'not a device file at all\n' >"$tmp/text.txt"
expect 2 "No such file" "boot of a missing file" -- "$bo" boot "$tmp/missing.dev"
expect 2 "not a brownout device file" "boot of a non-device file" -- "$bo" boot "$tmp/text.txt"

# mount's own checks, when this build has mount (a build without libfuse3 says so, exit 2)
if "$bo" mount --help 2>&1 | grep -q "DEVICE_FILE"; then
	expect 2 "No such file" "mount of a missing file" -- "$bo" mount "$tmp/missing.dev" "$mnt"
	expect 2 "not a brownout device file" "mount of a non-device file" -- \
		"$bo" mount "$tmp/text.txt" "$mnt"
	expect 2 "no such mount point" "mount on a missing mount point" -- \
		"$bo" mount "$tmp/text.txt" "$tmp/nowhere"
	expect 2 "not a directory" "mount on a file" -- "$bo" mount "$tmp/text.txt" "$tmp/text.txt"
else
	expect 2 "no FUSE support" "mount without libfuse3 says so" -- "$bo" mount "$tmp/x" "$mnt"
fi

# run --save-flash: chosen nodes' final flash, bootable
expect 0 "saved 3 device files" "run --save-flash DIR --nodes 1,3-4" -- \
	"$bo" run "$src/tests/scenario/run/line-5.yaml" --no-db --save-flash "$tmp/nodes" --nodes 1,3-4
[ "$(ls "$tmp/nodes" | tr '\n' ' ')" = "seed3-node1.dev seed3-node3.dev seed3-node4.dev " ] &&
	ok "one device file per chosen node" || bad "files in --save-flash DIR: $(ls "$tmp/nodes")"
expect 0 "swap-scratch: boot primary 1.1.0+0" "boot --dry-run of a node's final flash" -- \
	"$bo" boot "$tmp/nodes/seed3-node3.dev" --dry-run
expect 2 "the scenario has no node 99" "run --nodes with an unknown node" -- \
	"$bo" run "$src/tests/scenario/run/line-5.yaml" --no-db --save-flash "$tmp/nodes" --nodes 99

# ---- FUSE available? ------------------------------------------------------------------
skip() {
	echo "skipped: $1 (the bad-input checks above ran: $fails failures)"
	[ "$fails" -eq 0 ] || exit 1
	exit 77
}
[ -c /dev/fuse ] && [ -r /dev/fuse ] && [ -w /dev/fuse ] || skip "/dev/fuse is not usable here"
command -v fusermount3 >/dev/null 2>&1 || skip "fusermount3 is not installed (apt-get install fuse3)"
"$bo" mount --help 2>&1 | grep -q "DEVICE_FILE" || skip "this brownout was built without libfuse3"

# unmount_wait: unmount and wait until the mount is gone
unmount_wait() {
	fusermount3 -u "$mnt" || bad "fusermount3 -u failed"
	i=0
	while mountpoint -q "$mnt" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
}

# ---- 2. a failing cut of a broken bootloader, read back -------------------------------
exp="$tmp/expect"
mkdir "$exp"
if ! "$saver" "$tmp/cut.dev" "$exp" >"$tmp/repro.txt"; then
	bad "save_broken_cut failed"
	exit 1
fi
echo "saved the failing cut $(cat "$tmp/repro.txt")"
if ! "$bo" mount "$tmp/cut.dev" "$mnt" 2>"$tmp/mount.err"; then
	grep -q "cannot mount" "$tmp/mount.err" && skip "FUSE mount refused: $(cat "$tmp/mount.err")"
	bad "mount: $(cat "$tmp/mount.err")"
	exit 1
fi
for f in flash boot primary upgrade scratch recovery; do
	if cmp -s "$exp/$f.bin" "$mnt/$f.bin"; then ok "$f.bin reads back"; else bad "$f.bin differs"; fi
done
# <slot>.image.json: image dump --json of the same bytes, plus the verification member
for s in primary upgrade recovery; do
	(cd "$exp" && "$bo" image dump --json "$s.bin") >"$tmp/dump.json"
	sed 's/, "verification": {[^}]*}}$/}/' "$mnt/$s.image.json" >"$tmp/mount.json"
	if cmp -s "$tmp/dump.json" "$tmp/mount.json"; then
		ok "$s.image.json is image dump --json"
	else
		bad "$s.image.json differs from image dump --json"
		diff "$tmp/dump.json" "$tmp/mount.json" | head -5
	fi
	grep -q '"verification": {"keys": "none (hash check only)", "status": "[a-z-]*", "hash_ok": ' \
		"$mnt/$s.image.json" && ok "$s.image.json has the verification" ||
		bad "$s.image.json has no verification member"
done
# trailer text: the same magic and flags as the dump's trailer, and a next-boot line
for s in primary upgrade; do
	t="$mnt/$s.trailer.txt"
	magic=$(sed -n 's/.*"trailer": {[^}]*"magic": "\([a-z]*\)".*/\1/p' "$mnt/$s.image.json")
	image_ok=$(sed -n 's/.*"trailer": {[^}]*"image_ok": "\([a-z]*\)".*/\1/p' "$mnt/$s.image.json")
	copy_done=$(sed -n 's/.*"trailer": {[^}]*"copy_done": "\([a-z]*\)".*/\1/p' "$mnt/$s.image.json")
	if grep -q "^magic  *$magic\$" "$t" && grep -q "^image_ok  *$image_ok\$" "$t" &&
	   grep -q "^copy_done  *$copy_done\$" "$t" && grep -q "^next boot (overwrite" "$t"; then
		ok "$s.trailer.txt: magic $magic, image_ok $image_ok, copy_done $copy_done"
	else
		bad "$s.trailer.txt does not match the trailer (magic $magic):"
		sed 's/^/  /' "$t"
	fi
done
# the request the broken bootloader was carrying out (its magic)
# (the broken bootloader keeps its request in a record of its own, not an MCUboot trailer)
grep -q "^MCUboot's swap table (this as the secondary slot): " "$mnt/upgrade.trailer.txt" &&
	ok "upgrade.trailer.txt reads the swap table" || bad "upgrade.trailer.txt: no swap table line"
# sectors.csv: erase counts and erased flags as the device had them
tail -n +2 "$mnt/sectors.csv" | cut -d, -f1,5,6 >"$tmp/sectors.got"
if cmp -s "$exp/sectors.txt" "$tmp/sectors.got"; then ok "sectors.csv erase counts and erased flags"
else bad "sectors.csv differs"; diff "$exp/sectors.txt" "$tmp/sectors.got" | head -5; fi
awk -F, 'NR > 1 && $5 > 0 { n++ } END { exit n > 0 ? 0 : 1 }' "$mnt/sectors.csv" &&
	ok "sectors.csv has erased sectors (counts survived the file)" || bad "no erase counts"
# read-only: writes refused
if printf 'x' 2>/dev/null >"$mnt/upgrade.bin"; then bad "a read-only mount took a write"
else ok "read-only mount refuses writes"; fi
unmount_wait
cmp -s "$tmp/cut.dev" "$tmp/cut.dev" && [ ! -e "$mnt/flash.bin" ] && ok "unmounted" || bad "still mounted"

# weak cells: a torn, metastable cut leaves weak bits that sectors.csv shows
expect 0 "saved the flash at the cut" "sweep --metastable --repro t200.1 --save-flash" -- \
	"$bo" sweep "$src/scenarios/sweeps/nrf52840-swap-scratch-test-reverted.yaml" --metastable \
	--repro t200.1 --save-flash "$tmp/meta.dev"
"$bo" mount "$tmp/meta.dev" "$mnt" || bad "mount meta.dev"
awk -F, 'NR > 1 && $7 > 0 { n++ } END { exit n ? 0 : 1 }' "$mnt/sectors.csv" &&
	ok "sectors.csv shows the weak bits of a metastable cut" || bad "no weak bits in sectors.csv"
unmount_wait

# ---- 3. write an image through the mount, boot it --------------------------------------
sweep="$src/scenarios/sweeps/nrf52840-overwrite-perm.yaml"
expect 0 "saved the flash at the end" "sweep --repro b1 --save-flash-end" -- \
	"$bo" sweep "$sweep" --repro b1 --save-flash "$tmp/b1.dev" --save-flash-end "$tmp/end.dev"
"$bo" image keygen -k "$tmp/test.pem" -t ecdsa-p256 --seed 1 >/dev/null
head -c 20000 /dev/zero | tr '\0' 'z' >"$tmp/payload.bin"
"$bo" image sign -k "$tmp/test.pem" -v 3.0.0 -H 32 --pad-header -S 0x6C000 --align 4 --pad \
	"$tmp/payload.bin" "$tmp/v3.img" >/dev/null || bad "image sign"
"$bo" mount "$tmp/end.dev" "$mnt" --rw || { bad "mount --rw"; exit 1; }
grep -q '"hash_ok": true' "$mnt/primary.image.json" && ok "the primary's hash checks" ||
	bad "the primary's hash does not check"
echo upgrade >"$mnt/erase" && ok "erase control file takes a partition name" || bad "erase upgrade"
awk -F, '$4 == "upgrade" && $6 != "yes" { n++ } END { exit n ? 1 : 0 }' "$mnt/sectors.csv" &&
	ok "the upgrade slot reads erased" || bad "the upgrade slot is not erased"
cp "$tmp/v3.img" "$mnt/upgrade.bin" && ok "cp an image into upgrade.bin" || bad "cp into upgrade.bin"
grep -q '"version": "3.0.0+0"' "$mnt/upgrade.image.json" && ok "upgrade.image.json shows 3.0.0" ||
	bad "upgrade.image.json does not show the new image"
grep -q "^next boot (overwrite.*: boot primary 3.0.0+0 (installed" "$mnt/upgrade.trailer.txt" &&
	ok "the next-boot line says it installs 3.0.0" || { bad "next-boot line"; cat "$mnt/upgrade.trailer.txt"; }
# a 0 bit back to 1: the primary's first byte is programmed; 0xff over it is refused
if printf '\377' | dd of="$mnt/primary.bin" bs=1 count=1 conv=notrunc 2>"$tmp/dd.err"; then
	bad "programming 0 -> 1 was accepted"
elif grep -q "Input/output error" "$tmp/dd.err"; then
	ok "programming 0 -> 1 gets EIO"
else
	bad "programming 0 -> 1 failed without EIO: $(cat "$tmp/dd.err")"
fi
grep -q "violations this session: 1 " "$mnt/device.txt" &&
	grep -q "program of a non-erased unit at 0x00c000" "$mnt/device.txt" &&
	ok "device.txt counts the violation" || { bad "violation not counted"; cat "$mnt/device.txt"; }
unmount_wait
ls "$tmp" | grep -q '\.tmp-' && bad "a temporary file was left next to the device file"
expect 0 "boot primary 3.0.0+0 (installed" "brownout boot installs the copied image" -- \
	"$bo" boot "$tmp/end.dev"
expect 0 "boot primary 3.0.0+0" "the next boot runs it again" -- "$bo" boot "$tmp/end.dev"
expect 0 "boot primary 3.0.0+0" "boot --key with the signing key" -- \
	"$bo" boot "$tmp/end.dev" --key "$tmp/test.pem" --dry-run
"$bo" image keygen -k "$tmp/other.pem" -t ecdsa-p256 --seed 2 >/dev/null
expect 1 "bricked: nothing bootable" "boot --key with another key trusts only that key" -- \
	"$bo" boot "$tmp/end.dev" --key "$tmp/other.pem" --dry-run

# ---- SIGTERM: clean unmount, the device saved ------------------------------------------
"$bo" mount "$tmp/b1.dev" "$mnt" --rw --foreground &
pid=$!
i=0
while [ ! -e "$mnt/flash.bin" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
echo 0x0f8000 >"$mnt/erase" || bad "erase a sector by offset"
# one write of whole write units (a unit is programmed once: dd bs=1 would fail)
printf 'saved!!!' | dd of="$mnt/storage.bin" bs=8 seek=2 conv=notrunc 2>/dev/null ||
	bad "write storage"
kill -TERM $pid
wait $pid
rc=$?
[ $rc -eq 0 ] && ok "SIGTERM: exit 0" || bad "SIGTERM: exit $rc"
[ -e "$mnt/flash.bin" ] && bad "SIGTERM left the mount" || ok "SIGTERM unmounted"
"$bo" mount "$tmp/b1.dev" "$mnt" || bad "remount"
[ "$(dd if="$mnt/storage.bin" bs=1 skip=16 count=5 2>/dev/null)" = saved ] &&
	ok "the write before SIGTERM was saved" || bad "the write before SIGTERM was lost"
unmount_wait

# ---- SIGINT (Ctrl-C with --foreground): a background job of sh ignores SIGINT, and
# libfuse keeps an ignored signal ignored, so the job gets its default back through env
if env --default-signal=INT true 2>/dev/null; then
	env --default-signal=INT "$bo" mount "$tmp/b1.dev" "$mnt" --foreground &
	pid=$!
	i=0
	while [ ! -e "$mnt/flash.bin" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	kill -INT $pid
	wait $pid
	rc=$?
	[ $rc -eq 0 ] && [ ! -e "$mnt/flash.bin" ] && ok "SIGINT unmounts, exit 0" ||
		bad "SIGINT: exit $rc"
else
	echo "note: env --default-signal missing: SIGINT not checked (SIGTERM was)"
fi

[ "$fails" -eq 0 ] && echo "all passed" || echo "$fails failed"
[ "$fails" -eq 0 ]
