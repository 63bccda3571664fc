#!/bin/sh
# tests/boot/test_image_cli.sh: `brownout image` end to end: the MCUboot vectors give the
# results their README states through verify and dump, and keygen/sign/verify round trips.
# Usage: test_image_cli.sh BROWNOUT VECTORS_DIR. Exits 77 (skipped) without the vectors.
set -u
bo=$1
vec=$2
[ -d "$vec" ] || { echo "MCUboot vectors not found ($vec): skipped"; exit 77; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
n=0

# expect CODE DESCRIPTION -- command...: run, check the exit code; output in $tmp/out, $tmp/err
expect() {
	want=$1; what=$2; shift 3
	n=$((n + 1))
	"$@" >"$tmp/out" 2>"$tmp/err"
	got=$?
	if [ "$got" -ne "$want" ]; then
		echo "FAIL: $what: exit $got, wanted $want ($*)"
		sed 's/^/  stdout: /' "$tmp/out"; sed 's/^/  stderr: /' "$tmp/err"
		fails=$((fails + 1))
		return 1
	fi
	echo "ok: $what"
	return 0
}

# has FILE TEXT DESCRIPTION: the file contains the text
has() {
	n=$((n + 1))
	if grep -q -- "$2" "$1"; then
		echo "ok: $3"
	else
		echo "FAIL: $3: '$2' not in $(basename "$1")"
		sed 's/^/  /' "$1"
		fails=$((fails + 1))
	fi
}

pub=$vec/test-ec256.pub.pem
priv=$vec/test-ec256.pem

# ---- help and usage --------------------------------------------------------------------
expect 0 "image --help" -- "$bo" image --help
for c in keygen sign verify dump; do
	expect 0 "image $c --help" -- "$bo" image "$c" --help
	has "$tmp/out" "usage: brownout image $c" "$c help text"
done
expect 2 "image without a command" -- "$bo" image
expect 2 "image bogus" -- "$bo" image bogus
expect 2 "verify without a key" -- "$bo" image verify "$vec/v1.0.0.bin"
expect 2 "verify without an image" -- "$bo" image verify -k "$pub"
expect 2 "verify a missing image" -- "$bo" image verify -k "$pub" "$tmp/nope.bin"
expect 2 "verify with a missing key" -- "$bo" image verify -k "$tmp/nope.pem" "$vec/v1.0.0.bin"
expect 2 "verify with a non-key" -- "$bo" image verify -k "$vec/payload-a.bin" "$vec/v1.0.0.bin"
expect 2 "verify, unknown option" -- "$bo" image verify --frob -k "$pub" "$vec/v1.0.0.bin"
has "$tmp/err" "unknown option '--frob'" "the wording every subcommand uses"
expect 2 "verify with a directory as the key" -- "$bo" image verify -k "$tmp" "$vec/v1.0.0.bin"
has "$tmp/err" "a directory, not a key file" "says what is wrong with -k"

# ---- the vectors through verify ------------------------------------------------------------
for k in "$pub" "$priv"; do
	expect 0 "v1.0.0 valid ($(basename "$k"))" -- "$bo" image verify -k "$k" "$vec/v1.0.0.bin"
	has "$tmp/out" "Image version: 1.0.0+1" "v1.0.0 version"
	expect 0 "v1.1.0-pending valid" -- "$bo" image verify -k "$k" "$vec/v1.1.0-pending.bin"
	has "$tmp/out" "Image version: 1.1.0+2" "pending version"
	expect 0 "v1.1.0-confirmed valid" -- "$bo" image verify -k "$k" "$vec/v1.1.0-confirmed.bin"
	has "$tmp/out" "Image version: 1.1.0+2" "confirmed version"
	expect 1 "v1.1.0-otherkey rejected" -- "$bo" image verify -k "$k" "$vec/v1.1.0-otherkey.bin"
	has "$tmp/err" "no trusted key" "otherkey reason"
	expect 1 "v1.0.0-tampered rejected" -- "$bo" image verify -k "$k" "$vec/v1.0.0-tampered.bin"
	has "$tmp/err" "hash mismatch" "tampered reason"
done
expect 0 "otherkey valid with its own key" -- \
	"$bo" image verify -k "$vec/other-ec256.pem" "$vec/v1.1.0-otherkey.bin"
expect 0 "a keyring of two keys" -- \
	"$bo" image verify -k "$vec/other-ec256.pem" -k "$pub" "$vec/v1.0.0.bin"
expect 1 "a payload is no image" -- "$bo" image verify -k "$pub" "$vec/payload-a.bin"
has "$tmp/err" "bad magic" "payload reason"
head -c 4000 "$vec/v1.0.0.bin" >"$tmp/trunc.bin"
expect 1 "a truncated image" -- "$bo" image verify -k "$pub" "$tmp/trunc.bin"
has "$tmp/err" "does not fit" "truncated reason"
: >"$tmp/empty.bin"
expect 1 "an empty file" -- "$bo" image verify -k "$pub" "$tmp/empty.bin"

# ---- the vectors through dump ------------------------------------------------------------
expect 0 "dump v1.0.0" -- "$bo" image dump "$vec/v1.0.0.bin"
has "$tmp/out" "version          1.0.0+1" "dump version"
has "$tmp/out" "ECDSA_SIG" "dump lists the signature"
has "$tmp/out" "KEYHASH" "dump lists the key hash"
has "$tmp/out" "trailer: none" "dump: unpadded image has no trailer"
expect 0 "dump pending" -- "$bo" image dump "$vec/v1.1.0-pending.bin"
has "$tmp/out" "magic      good" "pending: magic good"
has "$tmp/out" "image_ok   unset" "pending: image_ok unset"
has "$tmp/out" "copy_done  unset" "pending: copy_done unset"
has "$tmp/out" "asks for: test" "pending: a test upgrade"
expect 0 "dump confirmed --json" -- "$bo" image dump "$vec/v1.1.0-confirmed.bin" --json
has "$tmp/out" '"magic": "good", "image_ok": "set", "copy_done": "unset"' "confirmed: json trailer"
has "$tmp/out" '"swap_type_as_secondary": "perm"' "confirmed: a permanent upgrade"
has "$tmp/out" '"version": "1.1.0+2"' "confirmed: json version"
if command -v python3 >/dev/null 2>&1; then
	cp "$tmp/out" "$tmp/dump.json"
	expect 0 "dump --json is JSON" -- python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$tmp/dump.json"
fi
expect 1 "dump a payload" -- "$bo" image dump "$vec/payload-a.bin"
expect 2 "dump a missing file" -- "$bo" image dump "$tmp/nope.bin"

# ---- keygen, sign, verify -------------------------------------------------------------------
expect 0 "keygen" -- "$bo" image keygen -k "$tmp/k.pem" -t ecdsa-p256
has "$tmp/k.pem" "BEGIN PRIVATE KEY" "keygen writes PKCS#8"
expect 2 "keygen rsa refused" -- "$bo" image keygen -k "$tmp/r.pem" -t rsa-2048
expect 2 "keygen without -t" -- "$bo" image keygen -k "$tmp/r.pem"
expect 0 "keygen --seed" -- "$bo" image keygen -k "$tmp/s1.pem" -t ecdsa-p256 --seed 0x1234
expect 0 "keygen --seed again" -- "$bo" image keygen -k "$tmp/s2.pem" -t ecdsa-p256 --seed 4660
expect 0 "seeded keys are identical" -- cmp "$tmp/s1.pem" "$tmp/s2.pem"

sign() { "$bo" image sign --version 1.2.3+4 --header-size 0x20 --pad-header --slot-size 0x34000 --align 4 "$@"; }
expect 0 "sign" -- sign -k "$tmp/k.pem" "$vec/payload-a.bin" "$tmp/a.bin"
expect 0 "sign again" -- sign -k "$tmp/k.pem" "$vec/payload-a.bin" "$tmp/a2.bin"
expect 0 "signing is deterministic" -- cmp "$tmp/a.bin" "$tmp/a2.bin"
expect 0 "verify our image" -- "$bo" image verify -k "$tmp/k.pem" "$tmp/a.bin"
has "$tmp/out" "Image version: 1.2.3+4" "our version"
expect 1 "our image, wrong key" -- "$bo" image verify -k "$pub" "$tmp/a.bin"
has "$tmp/err" "no trusted key" "wrong key reason"
# flip payload byte 100 (offset 32 + 100)
cp "$tmp/a.bin" "$tmp/t.bin"
printf '\125' | dd of="$tmp/t.bin" bs=1 seek=132 conv=notrunc 2>/dev/null
expect 1 "our image, tampered" -- "$bo" image verify -k "$tmp/k.pem" "$tmp/t.bin"
has "$tmp/err" "hash mismatch" "tampered reason"

expect 0 "sign --pad --confirm --custom-tlv" -- sign -k "$priv" --confirm \
	--custom-tlv 0xa0 0x02 --custom-tlv 0xb0 hello "$vec/payload-b.bin" "$tmp/c.bin"
expect 0 "verify padded" -- "$bo" image verify -k "$pub" "$tmp/c.bin"
expect 0 "dump padded" -- "$bo" image dump "$tmp/c.bin"
has "$tmp/out" "BEHAVIOUR" "custom TLV 0xa0 listed"
has "$tmp/out" "(crash-on-boot)" "behaviour decoded"
has "$tmp/out" "68656c6c6f" "string custom TLV"
has "$tmp/out" "image_ok   set" "confirm sets image_ok"
[ "$(wc -c <"$tmp/c.bin")" -eq $((0x34000)) ] && echo "ok: padded to the slot" || {
	echo "FAIL: padded size"; fails=$((fails + 1)); }
expect 0 "sign --align 32 --pad" -- sign -k "$priv" --align 32 --pad "$vec/payload-b.bin" "$tmp/w.bin"
expect 0 "dump align 32" -- "$bo" image dump --json "$tmp/w.bin"
has "$tmp/out" '"max_align": 32, "erased_val": 255, "magic": "good"' "wide magic detected"
expect 0 "sign --behaviour no-dfu" -- sign -k "$priv" --behaviour no-dfu "$vec/payload-a.bin" "$tmp/b.bin"
expect 0 "dump behaviour" -- "$bo" image dump "$tmp/b.bin"
has "$tmp/out" "(no-dfu)" "behaviour option"
expect 0 "sign unsigned" -- sign "$vec/payload-a.bin" "$tmp/u.bin"
expect 1 "unsigned image refused" -- "$bo" image verify -k "$pub" "$tmp/u.bin"
has "$tmp/err" "no signature" "unsigned reason"

# sign refusals
expect 2 "sign: too big for the slot" -- sign -k "$priv" --slot-size 0x1000 "$vec/payload-b.bin" "$tmp/x.bin"
has "$tmp/err" "exceeds" "too big reason"
expect 2 "sign: bad version" -- "$bo" image sign -k "$priv" --version 1.2.x -H 32 --pad-header -S 0x34000 "$vec/payload-a.bin" "$tmp/x.bin"
expect 2 "sign: missing header size" -- "$bo" image sign -k "$priv" --version 1.0.0 -S 0x34000 "$vec/payload-a.bin" "$tmp/x.bin"
expect 2 "sign: no header room" -- "$bo" image sign -k "$priv" --version 1.0.0 -H 32 -S 0x34000 "$vec/payload-a.bin" "$tmp/x.bin"
expect 2 "sign: public key" -- sign -k "$pub" "$vec/payload-a.bin" "$tmp/x.bin"
expect 2 "sign: odd hex" -- sign -k "$priv" --custom-tlv 0xa0 0x123 "$vec/payload-a.bin" "$tmp/x.bin"
expect 2 "sign: reserved tag" -- sign -k "$priv" --custom-tlv 0x10 0x12 "$vec/payload-a.bin" "$tmp/x.bin"
expect 2 "sign: duplicate tag" -- sign -k "$priv" --custom-tlv 0xa1 0x12 --custom-tlv 0xa1 0x13 "$vec/payload-a.bin" "$tmp/x.bin"
expect 2 "sign: unsupported option" -- sign -k "$priv" -E "$pub" "$vec/payload-a.bin" "$tmp/x.bin"
expect 2 "sign: missing input" -- sign -k "$priv" "$tmp/nope.bin" "$tmp/x.bin"
expect 2 "sign: bad number" -- sign -k "$priv" --slot-size 12z "$vec/payload-a.bin" "$tmp/x.bin"

echo "$((n - fails)) of $n checks passed"
[ "$fails" -eq 0 ]
