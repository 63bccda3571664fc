#!/bin/sh
# Core guard: no object built from core/ may define writable data (nm: D, d, B, b; also
# common symbols C and small-data G/g/S/s). core/ is firmware: every instance lives in a
# struct its caller owns, so a mutable global or static is a bug that would survive a
# simulated reset (MCUboot issue 1588). Arguments: static libraries built from core/.
set -eu
NM=${NM:-nm}
status=0
for lib in "$@"; do
	bad=$($NM --defined-only "$lib" 2>/dev/null | awk '$2 ~ /^[DdBbCGgSs]$/ { print "  " $0 }')
	if [ -n "$bad" ]; then
		echo "FAIL: $lib defines writable data:"
		echo "$bad"
		status=1
	else
		echo "ok: $(basename "$lib") has no writable data symbols"
	fi
done
exit $status
