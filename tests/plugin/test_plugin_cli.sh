#!/bin/sh
# Firmware plug-ins through `brownout sweep`: a correct one passes (identically for any
# --jobs), the broken miniatures are caught (torn cuts only for the torn record; an abort is
# a finding, not a crash), the judge goes by content (an image the file says must never run
# is I1 even if the plug-in boots it), and bad plug-ins are bad input (exit 2).
# Usage: test_plugin_cli.sh BROWNOUT EXAMPLE.so BROKEN.so INCOMPLETE.so
set -u
bin=$1 example=$2 broken=$3 incomplete=$4
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
check() { # expected-exit description command...
	want=$1 what=$2
	shift 2
	"$@" >"$tmp/out" 2>"$tmp/err"
	got=$?
	if [ "$got" -ne "$want" ]; then
		echo "FAIL: $what: exit $got, expected $want"; cat "$tmp/out" "$tmp/err"; fail=1
	else
		echo "ok: $what"
	fi
}
expect_in() { # file pattern description
	grep -q -- "$2" "$1" || { echo "FAIL: $3: no '$2' in:"; cat "$1"; fail=1; }
}

# User images, signed by brownout's image tool as a team would with imgtool.
"$bin" image keygen -k "$tmp/key.pem" -t ecdsa-p256 >/dev/null || exit 1
python3 -c 'import sys; sys.stdout.buffer.write(bytes(i * 7 % 251 for i in range(20000)))' >"$tmp/p1"
python3 -c 'import sys; sys.stdout.buffer.write(bytes(i * 13 % 241 for i in range(26000)))' >"$tmp/p2"
for v in 1 2; do
	"$bin" image sign -k "$tmp/key.pem" --version "1.$v.0" --header-size 32 --pad-header \
		--slot-size 0x6c000 --align 4 "$tmp/p$v" "$tmp/v$v.bin" >/dev/null || exit 1
done

sweep_file() { # name plugin options-yaml v2-extra
	cat >"$tmp/$1.yaml" <<YAML
sweep: $1
device: {preset: nrf52840}
firmware: {plugin: $2, options: {$3}}
images:
  v1: {file: v1.bin}
  v2: {file: v2.bin$4}
initial: {primary: v1}
steps:
  - download: v2
  - request: perm
  - reboot
expect: {running: v2, confirmed: true, primary: v2}
cuts: {modes: [between, torn]}
YAML
}

sweep_file example "$example" "" ""
check 0 "the example plug-in survives every cut" "$bin" sweep "$tmp/example.yaml" --no-db --jobs 1
expect_in "$tmp/out" "example-boot.so on nrf52840" "summary names the plug-in"
expect_in "$tmp/out" " 0 failures" "no failure"
sed 's/, [0-9.]* s$//' "$tmp/out" >"$tmp/one"
check 0 "the same on 3 jobs" "$bin" sweep "$tmp/example.yaml" --no-db --jobs 3
sed 's/, [0-9.]* s$//' "$tmp/out" >"$tmp/three"
cmp -s "$tmp/one" "$tmp/three" || { echo "FAIL: --jobs changed the result"; cat "$tmp/one" "$tmp/three"; fail=1; }
check 0 "validate loads and configures the plug-in" "$bin" validate "$tmp/example.yaml"

# A cut inside the install, saved and booted by hand with the same plug-in.
ops=$(sed -n 's/.*between+torn: \([0-9]*\) ops.*/\1/p' "$tmp/one")
check 0 "a cut near the end of the install replays" \
	"$bin" sweep "$tmp/example.yaml" --no-db --repro "b$((ops - 4))" --save-flash "$tmp/cut.dev"
check 0 "brownout boot --plugin finishes the install" "$bin" boot "$tmp/cut.dev" --plugin "$example"
expect_in "$tmp/out" "boot primary at 0xc000 (resumed the install)" "the plug-in's decision"
check 2 "brownout boot --plugin with an option it refuses" \
	"$bin" boot "$tmp/cut.dev" --plugin "$example" --option speed=fast
expect_in "$tmp/err" "takes no options" "the plug-in's reason"

sweep_file rogue "$example" "" ", bootable: false"
check 1 "an image that must never run is I1 when the plug-in boots it" "$bin" sweep "$tmp/rogue.yaml" --no-db
expect_in "$tmp/out" "I1 never bricked" "judged by content"

sweep_file torn "$broken" "bug: torn-record" ""
sed -i 's/modes: \[between, torn\]/modes: [between]/' "$tmp/torn.yaml"
check 0 "torn-record: between cuts find nothing" "$bin" sweep "$tmp/torn.yaml" --no-db
sweep_file torn "$broken" "bug: torn-record" ""
check 1 "torn-record: torn cuts find it" "$bin" sweep "$tmp/torn.yaml" --no-db --jobs 2
id=$(sed -n 's/^  FAIL \(t[0-9][0-9.]*\) .*/\1/p' "$tmp/out" | head -n 1)
[ -n "$id" ] || { echo "FAIL: no torn repro ID"; cat "$tmp/out"; fail=1; }
check 1 "its repro replays" "$bin" sweep "$tmp/torn.yaml" --no-db --repro "$id" --trace
expect_in "$tmp/out" "boot 1:" "the trace shows the boots"
expect_in "$tmp/out" "observed:" "the replay states what it observed"

sweep_file abort "$broken" "bug: abort-on-resume" ""
check 1 "an abort() in the firmware is a finding" "$bin" sweep "$tmp/abort.yaml" --no-db --jobs 2
expect_in "$tmp/out" "firmware abort" "reported as a firmware abort"

# Bad plug-ins: exit 2 at the firmware key.
sweep_file missing "$tmp/no-such.so" "" ""
check 2 "a missing plug-in" "$bin" sweep "$tmp/missing.yaml" --no-db
expect_in "$tmp/err" "missing.yaml:3:11: key 'firmware': cannot load" "position and reason"
sweep_file notso "$tmp/key.pem" "" ""
check 2 "a file that is not a shared object" "$bin" sweep "$tmp/notso.yaml" --no-db
expect_in "$tmp/err" "cannot load" "reason"
sweep_file incomplete "$incomplete" "" ""
check 2 "a plug-in missing a required function" "$bin" sweep "$tmp/incomplete.yaml" --no-db
expect_in "$tmp/err" "does not provide 'confirm'" "reason"
sweep_file refused "$example" "speed: fast" ""
check 2 "options the plug-in refuses" "$bin" sweep "$tmp/refused.yaml" --no-db
expect_in "$tmp/err" "key 'firmware': takes no options" "the plug-in's reason"
check 2 "validate says the same" "$bin" validate "$tmp/refused.yaml"
sweep_file badbug "$broken" "bug: nonsense" ""
check 2 "an option value the plug-in refuses" "$bin" sweep "$tmp/badbug.yaml" --no-db

[ "$fail" -eq 0 ] && echo "all plug-in checks passed"
exit "$fail"
