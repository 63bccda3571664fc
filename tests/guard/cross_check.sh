#!/bin/sh
# Cross-compile core/ for Cortex-M4 the way a product would (-Os, thumb, freestanding), apply
# the core guard to the ARM objects too, and print the code size. Usage:
#   cross_check.sh SOURCE_ROOT OUTDIR file.c...
set -eu
CC=${ARM_CC:-arm-none-eabi-gcc}
root=$1 out=$2
shift 2
mkdir -p "$out"
rm -f "$out"/*.o
for src in "$@"; do
	obj="$out/$(echo "$src" | sed 's|.*/core/||; s|/|_|g; s|\.c$|.o|')"
	"$CC" -mcpu=cortex-m4 -mthumb -Os -std=c11 -ffreestanding -ffunction-sections \
		-fdata-sections -Wall -Wextra -Werror -I"$root" -c "$src" -o "$obj"
done
NM=arm-none-eabi-nm sh "$(dirname "$0")/core_guard.sh" "$out"/*.o
echo "Cortex-M4 (-Os -mthumb) code size of core/, per object and total:"
arm-none-eabi-size -t "$out"/*.o | awk '{ printf "  %8s %8s %8s  %s\n", $1, $2, $3, $NF }'
