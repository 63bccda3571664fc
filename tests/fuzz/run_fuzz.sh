#!/bin/sh
# tests/fuzz/run_fuzz.sh HARNESS SEED_DIR WORK_DIR SECONDS: run one libFuzzer harness for a
# bounded time. New inputs go to WORK_DIR (the seed corpus in the tree is only read); a
# crash leaves its input in WORK_DIR/crash-* and fails the test. Replay it with the
# default build: build/tests/fuzz/fuzz-replay-NAME WORK_DIR/crash-... A crash or a timeout exits
# 1 (libFuzzer's own default, 77, would read as a skip to meson).
# With --skipped: the harnesses were not built; say how to build them and skip (77).
set -eu
if [ "${1:-}" = "--skipped" ]; then
	if command -v clang >/dev/null 2>&1; then have="clang is installed"; else have="clang is not installed"; fi
	echo "fuzz: the libFuzzer harnesses are not built in this build directory ($have)."
	echo "fuzz: apt-get install clang libclang-rt-14-dev; CC=clang meson setup build-fuzz -Dfuzz=true"
	echo "fuzz: then meson test -C build-fuzz --suite fuzz"
	exit 77
fi
harness=$1 seeds=$2 work=$3 seconds=$4
mkdir -p "$work"
exec "$harness" -max_total_time="$seconds" -timeout=20 -rss_limit_mb=2048 \
	-error_exitcode=1 -timeout_exitcode=1 \
	-print_final_stats=1 -artifact_prefix="$work/" "$work" "$seeds"
