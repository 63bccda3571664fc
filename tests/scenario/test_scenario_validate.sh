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
# build's message at the layout (the device node: its layout is the preset's), exit 2.
sed 's/^device: .*/device: {preset: stm32l4, strategy: overwrite}/' "$valid/demo.yaml" |
	sed 's/{id: 0, role: distributor}/{id: 0, role: distributor, strategy: swap-scratch}/' \
	>"$tmp/l4.yaml"
"$brownout" validate "$tmp/l4.yaml" >"$tmp/out" 2>"$tmp/err"; rc=$?
[ $rc -eq 2 ] || bad "l4: exit $rc, want 2"
[ "$(cat "$tmp/err")" = "$tmp/l4.yaml:13:9: key 'device.layout': the bootloader refuses this layout for swap-scratch: the primary's last sector is too small for the progress log of a full-size upgrade" ] ||
	bad "l4: $(cat "$tmp/err")"

# Fits the slots as a payload, not once signed (TLVs): the device build's message.
sed "s/size: 100KiB}/size: 438200}/" "$valid/grid-100.yaml" >"$tmp/big.yaml"
"$brownout" validate "$tmp/big.yaml" >"$tmp/out" 2>"$tmp/err"; rc=$?
[ $rc -eq 2 ] || bad "big: exit $rc, want 2"
grep -q "^$tmp/big.yaml: image 'v2' is [0-9]* bytes signed, more than" "$tmp/err" ||
	bad "big: $(cat "$tmp/err")"

# The plan's reach: TTL 3 on a 5-node line leaves node 4 (4 hops) out: a warning with the
# fix on stdout, and the file is still valid (exit 0). The demo gets no such warning.
cat >"$tmp/short.yaml" <<'EOF_YAML'
scenario: short-ttl
duration: 1h
device: {preset: nrf52840, strategy: swap-scratch}
topology: {kind: line, count: 5, spacing: 10}
mesh: {ttl: 3, relays: all}
firmware:
  v1: {version: 1.0.0, size: 8KiB}
  v2: {version: 1.1.0, size: 8KiB}
nodes:
  default: {firmware: v1, role: target}
  overrides:
    - {id: 0, role: distributor}
initiator: {distributor: 0, image: v2}
EOF_YAML
"$brownout" validate "$tmp/short.yaml" >"$tmp/out" 2>"$tmp/err"; rc=$?
[ $rc -eq 0 ] || bad "short ttl: exit $rc, want 0: $(cat "$tmp/err")"
grep -q "warning: node 4 is 4 hops from the Distributor, the TTL reaches 3: raise" \
	"$tmp/out" || bad "short ttl: no reach warning: $(cat "$tmp/out")"
"$brownout" validate "$valid/demo.yaml" >"$tmp/out" 2>&1
grep -q "warning" "$tmp/out" && bad "demo: unexpected warning: $(cat "$tmp/out")"

[ $fail -eq 0 ] && echo "ok: $n files checked"
exit $fail
