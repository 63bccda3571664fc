#!/bin/sh
# `brownout validate` end to end: every file in the valid directory (scenarios/sweeps/)
# exits 0; every file in the invalid corpus (tests/sweep/invalid/) exits 2 with its expected
# message ("# error: LINE:COL: ..." on its first line) on stderr; usage and scenario files.
# Usage: test_validate_cli.sh BROWNOUT VALID_DIR INVALID_DIR
set -u
brownout=$1 valid=$2 invalid=$3
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
fail=0
n=0

bad() { echo "FAIL: $*" >&2; fail=1; }

for f in "$valid"/*.yaml; do
	[ -e "$f" ] || { bad "no sweep files in $valid"; break; }
	n=$((n + 1))
	"$brownout" validate "$f" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	[ $rc -eq 0 ] || bad "$f: exit $rc, want 0: $(cat "$tmp/err")"
	grep -q "valid sweep" "$tmp/out" || bad "$f: no 'valid sweep' line on stdout"
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

# Usage.
"$brownout" validate --help >"$tmp/out" 2>&1 || bad "--help: exit $?"
grep -q "usage: brownout validate" "$tmp/out" || bad "--help: no usage line"
"$brownout" validate >/dev/null 2>&1; rc=$?
[ $rc -eq 2 ] || bad "no file: exit $rc, want 2"
"$brownout" validate --frobnicate x.yaml >/dev/null 2>&1; rc=$?
[ $rc -eq 2 ] || bad "unknown option: exit $rc, want 2"
"$brownout" validate "$tmp/missing.yaml" 2>"$tmp/err"; rc=$?
[ $rc -eq 2 ] || bad "missing file: exit $rc, want 2"
grep -q "missing.yaml: cannot open" "$tmp/err" || bad "missing file: $(cat "$tmp/err")"

# Scenario files go to the scenario loader (tests/scenario/ tests them in full).
printf 'scenario: mesh-rollout\nnodes: 10\n' >"$tmp/scn.yaml"
"$brownout" validate "$tmp/scn.yaml" 2>"$tmp/err"; rc=$?
[ $rc -eq 2 ] || bad "scenario: exit $rc, want 2"
[ "$(cat "$tmp/err")" = "$tmp/scn.yaml:1:1: key 'duration': missing required key" ] ||
	bad "scenario: $(cat "$tmp/err")"

# Neither kind.
printf 'name: x\n' >"$tmp/other.yaml"
"$brownout" validate "$tmp/other.yaml" 2>"$tmp/err"; rc=$?
[ $rc -eq 2 ] || bad "other: exit $rc, want 2"
grep -q "other.yaml:1:1: key 'sweep': missing required key" "$tmp/err" || bad "other: $(cat "$tmp/err")"

# Loads, but the bootloader refuses the layout: the device build's message at the layout
# (here the device node: layout: default), exit 2.
cat >"$tmp/l4.yaml" <<'YAML'
sweep: l4-swap
device: {preset: stm32l4}
strategy: swap-scratch
images: {v1: {version: 1.0.0, size: 8KiB}}
initial: {primary: v1}
steps: [reboot]
expect: {running: v1}
YAML
"$brownout" validate "$tmp/l4.yaml" 2>"$tmp/err"; rc=$?
[ $rc -eq 2 ] || bad "l4: exit $rc, want 2"
[ "$(cat "$tmp/err")" = "$tmp/l4.yaml:2:9: key 'device.layout': the bootloader refuses this layout for swap-scratch: the primary's last sector is too small for the progress log of a full-size upgrade" ] ||
	bad "l4: $(cat "$tmp/err")"

# Several files: exit 2 when one is invalid, every file reported.
first_valid=$(ls "$valid"/*.yaml | head -n 1)
"$brownout" validate "$first_valid" "$invalid/typo-top-key.yaml" >"$tmp/out" 2>"$tmp/err"; rc=$?
[ $rc -eq 2 ] || bad "mixed: exit $rc, want 2"
grep -q "valid sweep" "$tmp/out" || bad "mixed: the valid file was not reported"

[ $fail -eq 0 ] && echo "ok: $n files checked"
exit $fail
