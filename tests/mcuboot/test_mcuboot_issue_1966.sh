#!/bin/sh
# mcuboot-issue-1966: MCUboot issue 1966 (fixed by PR 2100, commit 4f39356) as brownout
# sees it. swap-move, a test upgrade that never confirms itself, reverted:
#   - cuts between operations (MCUboot's own simulator's method) find nothing;
#   - torn cuts of the upgrade slot's trailer sector during the revert (the reboot of
#     step 4) leave the new image running unconfirmed for ever (I3), before the fix;
#     after it, none of those cut points fails.
# The cut is read from each failure's trace, not from its repro ID: operation numbers
# move with MCUboot's code.
#
# usage: test_mcuboot_issue_1966.sh BROWNOUT PLUGIN_DIR SOURCE_ROOT MCUBOOT_CHECKOUT
BROWNOUT=$1 PLUGIN_DIR=$2 SOURCE_ROOT=$3 CHECKOUT=$4
if [ -z "$PLUGIN_DIR" ]; then
	echo "skipped: configure with -Dmcuboot=PATH to an MCUboot checkout (meson configure BUILD -Dmcuboot=PATH)"
	exit 77
fi
FIX=4f3935638e3e4535246ff1372796f7a22880c4d9
BEFORE=2ac797677ef04aa416a07294ad8ced87e90e8e9f
if git -C "$CHECKOUT" merge-base --is-ancestor $FIX HEAD 2>/dev/null; then
	fixed=1
elif git -C "$CHECKOUT" merge-base --is-ancestor $BEFORE HEAD 2>/dev/null; then
	fixed=0
else
	echo "skipped: cannot tell whether $CHECKOUT has the fix (not a git checkout of 2ac7976 or later)"
	exit 77
fi
. "$(dirname "$0")/run_scenario.sh"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
dir=$SOURCE_ROOT/scenarios/mcuboot
status=0

sweep_mcuboot "$dir/issue-1966-between.yaml" --jobs 2
echo "$OUT" | head -1
if [ "$RC" != 0 ]; then
	echo "FAIL: cuts between operations found failures (expected none):"
	echo "$OUT"
	status=1
fi

sweep_mcuboot "$dir/issue-1966-torn.yaml" --jobs 2
echo "$OUT" | head -1
if [ "$RC" != 0 ] && [ "$RC" != 1 ]; then
	echo "FAIL: torn sweep exit $RC"
	echo "$OUT"
	exit 1
fi
# The trace names the cut: "cut 1: torn program op N: upgrade trailer: magic (16 bytes),
# during step 4 (reboot)", or the upgrade slot's last sector ("upgrade meta sector").
hits=""
for id in $(echo "$OUT" | sed -n 's/^  FAIL \([^ ]*\)  I3 .*/\1/p'); do
	sweep_mcuboot "$dir/issue-1966-torn.yaml" --repro "$id" --trace
	if echo "$OUT" | grep -Eq "^cut 1: torn .*: upgrade (trailer|meta sector).*during step 4"; then
		hits="$hits $id"
	fi
done
if [ "$fixed" = 0 ]; then
	if [ -z "$hits" ]; then
		echo "FAIL: before the fix, no torn cut of the upgrade trailer during the revert failed"
		status=1
	else
		echo "issue 1966 found (MCUboot before the fix):$hits"
	fi
else
	if [ -n "$hits" ]; then
		echo "FAIL: with the fix, torn cuts of the upgrade trailer during the revert fail:$hits"
		status=1
	else
		echo "issue 1966 cut points pass (MCUboot with the fix)"
	fi
fi
exit $status
