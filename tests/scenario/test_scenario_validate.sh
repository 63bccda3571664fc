#!/bin/sh
# `brownout validate` on mesh scenario files: every file in scenarios/mesh/ exits 0 with a
# "valid scenario" line; every file in tests/scenario/invalid/ exits 2 with its expected
# message ("# error: LINE:COL: ..." on its first line) on stderr, alone.
# Usage: test_scenario_validate.sh BROWNOUT VALID_DIR INVALID_DIR
set -u
brownout=$1 valid=$2 invalid=$3
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
fail=0
n=0

bad() { echo "FAIL: $*" >&2; fail=1; }

for f in "$valid"/*.yaml; do
	[ -e "$f" ] || { bad "no scenario files in $valid"; break; }
	n=$((n + 1))
	"$brownout" validate "$f" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	[ $rc -eq 0 ] || bad "$f: exit $rc, want 0: $(cat "$tmp/err")"
	grep -q "^$f: valid scenario '" "$tmp/out" || bad "$f: no 'valid scenario' line on stdout"
done

for f in "$invalid"/*.yaml; do
	n=$((n + 1))
	want="$f:$(head -n 1 "$f" | sed -n 's/^# error: //p')"
	[ "$want" != "$f:" ] || { bad "$f: first line is not '# error: ...'"; continue; }
	"$brownout" validate "$f" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	[ $rc -eq 2 ] || bad "$f: exit $rc, want 2"
	[ "$(cat "$tmp/err")" = "$want" ] || bad "$f:
  want: $want
  got:  $(cat "$tmp/err")"
done

# All the shipped scenarios at once: exit 0; one invalid among them: exit 2, all reported.
"$brownout" validate "$valid"/*.yaml >"$tmp/out" 2>"$tmp/err" || bad "all valid: exit $?"
first_invalid=$(ls "$invalid"/*.yaml | head -n 1)
"$brownout" validate "$valid/demo.yaml" "$first_invalid" >"$tmp/out" 2>"$tmp/err"; rc=$?
[ $rc -eq 2 ] || bad "mixed: exit $rc, want 2"
grep -q "valid scenario 'demo" "$tmp/out" || bad "mixed: the valid file was not reported"

# Loads, but the bootloader refuses the layout for a strategy a node uses: the device
# build's message (FILE: only), exit 2.
sed 's/^device: .*/device: {preset: stm32l4, strategy: overwrite}/' "$valid/demo.yaml" |
	sed 's/{id: 0, role: distributor}/{id: 0, role: distributor, strategy: swap-scratch}/' \
	>"$tmp/l4.yaml"
"$brownout" validate "$tmp/l4.yaml" >"$tmp/out" 2>"$tmp/err"; rc=$?
[ $rc -eq 2 ] || bad "l4: exit $rc, want 2"
[ "$(cat "$tmp/err")" = "$tmp/l4.yaml: the bootloader refuses this layout for swap-scratch: the primary's last sector is too small for the progress log of a full-size upgrade" ] ||
	bad "l4: $(cat "$tmp/err")"

# Fits the slots as a payload, not once signed (TLVs): the device build's message.
sed "s/size: 100KiB}/size: 438200}/" "$valid/grid-100.yaml" >"$tmp/big.yaml"
"$brownout" validate "$tmp/big.yaml" >"$tmp/out" 2>"$tmp/err"; rc=$?
[ $rc -eq 2 ] || bad "big: exit $rc, want 2"
grep -q "^$tmp/big.yaml: image 'v2' is [0-9]* bytes signed, more than" "$tmp/err" ||
	bad "big: $(cat "$tmp/err")"

[ $fail -eq 0 ] && echo "ok: $n files checked"
exit $fail
