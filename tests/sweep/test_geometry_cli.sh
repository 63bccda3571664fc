#!/bin/sh
# Geometry and flash devices from the command line (issue 11): valid examples in
# tests/sweep/geometry/ and tests/scenario/geometry/ pass `brownout validate`; a sweep over
# two flash devices runs, a scenario with two is refused with one sentence (exit 2);
# `brownout validate --presets` prints each preset's geometry and layout.
# Usage: test_geometry_cli.sh BROWNOUT SWEEP_GEOMETRY_DIR SCENARIO_GEOMETRY_DIR
set -u
brownout=$1 sweeps=$2 scenarios=$3
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
fail=0

bad() { echo "FAIL: $*" >&2; fail=1; }

for f in "$sweeps"/*.yaml "$scenarios"/*.yaml; do
	"$brownout" validate "$f" >"$tmp/out" 2>"$tmp/err" || bad "$f: exit $?: $(cat "$tmp/err")"
	grep -q "valid s" "$tmp/out" || bad "$f: no 'valid ...' line: $(cat "$tmp/out")"
done

# One device of a geometry of its own runs (the slower examples are validated only).
"$brownout" sweep "$sweeps/preset-override.yaml" --no-db >"$tmp/out" 2>&1 ||
	bad "sweep preset-override: exit $?: $(cat "$tmp/out")"
grep -q "overwrite on nrf52840 (modified), depth 1" "$tmp/out" || bad "sweep preset-override: $(cat "$tmp/out")"
"$brownout" run "$scenarios/custom-geometry.yaml" --no-db >"$tmp/out" 2>&1 ||
	bad "run custom-geometry: exit $?: $(cat "$tmp/out")"

# Two devices: swept like one (one power cut for both), every invariant holding; a
# scenario whose nodes keep the upgrade slot on an external flash erased to 0x00 converges.
two="$sweeps/two-devices.yaml"
"$brownout" validate "$two" >"$tmp/out" 2>&1
grep -q "on internal=nrf52840 spi=spi-nor(modified), 2 images, 3 steps)" \
	"$tmp/out" || bad "validate two devices: $(cat "$tmp/out")"
"$brownout" sweep "$two" --no-db >"$tmp/out" 2>"$tmp/err"; rc=$?
[ $rc -eq 0 ] || bad "sweep two devices: exit $rc, want 0: $(cat "$tmp/out" "$tmp/err")"
grep -q "overwrite on internal=nrf52840 spi=spi-nor(modified), depth 1, between+torn: .* 0 failures" \
	"$tmp/out" || bad "sweep two devices: $(cat "$tmp/out")"
"$brownout" sweep "$two" --no-db --repro t5.0 --trace >"$tmp/out" 2>&1
grep -q "^cut 1: torn erase op 5: spi: upgrade sector 5 " "$tmp/out" ||
	bad "the trace names the device: $(grep '^cut' "$tmp/out")"
"$brownout" run "$scenarios/two-devices.yaml" --no-db >"$tmp/out" 2>"$tmp/err"; rc=$?
[ $rc -eq 0 ] || bad "run two devices: exit $rc, want 0: $(cat "$tmp/err")"
grep -q "pass  converged 4/4 targets, 0 failed, 0 bricked" "$tmp/out" ||
	bad "run two devices: $(cat "$tmp/out")"

# Bad geometry is bad input for sweep and run too: the loader's message, exit 2.
bad_geo="$tmp/bad-geo.yaml"
printf 'sweep: b\ndevice: {geometry: {regions: [{size: 4KiB, count: 0}]}}\n' >"$bad_geo"
"$brownout" sweep "$bad_geo" --no-db >"$tmp/out" 2>"$tmp/err"; rc=$?
[ $rc -eq 2 ] || bad "sweep bad geometry: exit $rc, want 2"
[ "$(cat "$tmp/err")" = "$bad_geo:2:51: key 'device.geometry.regions[0].count': a region needs at least one sector" ] ||
	bad "sweep bad geometry: $(cat "$tmp/err")"

# The preset table: a few lines pinned, exit 0, nothing on stderr.
"$brownout" validate --presets >"$tmp/out" 2>"$tmp/err" || bad "--presets: exit $?"
[ ! -s "$tmp/err" ] || bad "--presets wrote to stderr: $(cat "$tmp/err")"
for line in \
	"nrf52840: 1 MiB, 256 sectors" \
	"  regions           256 x 4 KiB, erase_ms 85" \
	"  write_unit        4" \
	"  program_us        41 per 4 bytes (program_chunk)" \
	"stm32f4: 1 MiB, 12 sectors" \
	"                    7 x 128 KiB, erase_ms 2000" \
	"    recovery  0x010000   64 KiB" \
	"    boot      0x000000   48 KiB  write-protected" \
	"  program_us        700 per 256 bytes (program_chunk)" \
	"  default layout    none: give device.layout"; do
	grep -qxF -- "$line" "$tmp/out" || bad "--presets: no line '$line'"
done
[ "$(grep -c '^[a-z0-9-]*: [0-9]* [MK]iB, [0-9]* sectors$' "$tmp/out")" -eq 6 ] ||
	bad "--presets: not 6 presets"

exit $fail
