#!/bin/sh
# mcuboot-ecdsa: the ECDSA P-256 plug-in checks signatures. An update signed by a key
# MCUboot does not know (scenarios/mcuboot/swap-move-ecdsa-untrusted.yaml) never runs,
# whatever the cut (no I1 failure); the same sweep on the hash-only plug-in runs it (the
# image's hash is right), which shows the check is the signature's.
#
# usage: test_mcuboot_ecdsa.sh BROWNOUT PLUGIN_DIR SOURCE_ROOT
BROWNOUT=$1 PLUGIN_DIR=$2 SOURCE_ROOT=$3
if [ -z "$PLUGIN_DIR" ]; then
	echo "skipped: configure with -Dmcuboot=PATH to an MCUboot checkout (meson configure BUILD -Dmcuboot=PATH)"
	exit 77
fi
. "$(dirname "$0")/run_scenario.sh"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
file=$SOURCE_ROOT/scenarios/mcuboot/swap-move-ecdsa-untrusted.yaml
status=0

sweep_mcuboot "$file" --jobs 2
echo "$OUT" | head -1
if [ "$RC" != 0 ] && [ "$RC" != 1 ] || echo "$OUT" | grep -q "I1 never bricked\|must never run"; then
	echo "FAIL: the ECDSA plug-in ran the untrusted image (or the sweep did not run):"
	echo "$OUT"
	status=1
fi

mkdir "$WORK/hash-only"
sed -e 's/-ecdsa-p256\.so/.so/' -e '/options: {pubkey/d' "$file" > "$WORK/hash-only/untrusted.yaml"
sweep_mcuboot "$WORK/hash-only/untrusted.yaml"
echo "$OUT" | head -1
if ! echo "$OUT" | grep -q "must never run"; then
	echo "FAIL: the hash-only plug-in did not run the untrusted image: is the sweep checking it?"
	echo "$OUT"
	status=1
fi
exit $status
