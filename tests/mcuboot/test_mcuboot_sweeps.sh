#!/bin/sh
# mcuboot-sweeps: every sweep of scenarios/mcuboot/ runs against the MCUboot plug-ins this
# build made (sim/ports/mcuboot): the plug-in loads, configures on the layout and sweeps
# to a verdict. Findings (exit 1) are MCUboot's and depend on the checkout; bad input
# (exit 2) or a crash is a failure of the port.
#
# usage: test_mcuboot_sweeps.sh BROWNOUT PLUGIN_DIR SOURCE_ROOT
#   PLUGIN_DIR empty: brownout was configured without -Dmcuboot: skip (77).
BROWNOUT=$1 PLUGIN_DIR=$2 SOURCE_ROOT=$3
if [ -z "$PLUGIN_DIR" ]; then
	echo "skipped: configure with -Dmcuboot=PATH to an MCUboot checkout (meson configure BUILD -Dmcuboot=PATH)"
	exit 77
fi
. "$(dirname "$0")/run_scenario.sh"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

status=0 ran=0
for f in "$SOURCE_ROOT"/scenarios/mcuboot/*.yaml; do
	plugin=$(plugin_of "$f")
	if [ ! -e "$PLUGIN_DIR/$plugin" ]; then
		echo "-- $(basename "$f"): no $plugin in this checkout"
		continue
	fi
	sweep_mcuboot "$f" --jobs 2
	echo "$OUT" | head -1
	case $RC in
	0 | 1) ran=$((ran + 1)) ;;
	*)
		echo "FAIL: $(basename "$f"): exit $RC (bad input or a crash):"
		echo "$OUT"
		status=1
		;;
	esac
done
if [ "$ran" = 0 ]; then
	echo "FAIL: no sweep ran: are the plug-ins in $PLUGIN_DIR?"
	exit 1
fi
exit $status
