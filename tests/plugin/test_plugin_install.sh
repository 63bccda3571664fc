#!/bin/sh
# Out of tree, as a firmware team would: `meson install` into a DESTDIR, then build the
# example plug-in and a program that sweeps it (brownout/sweep.h) with pkg-config only,
# and sweep it with the installed `brownout`.
# Usage: test_plugin_install.sh BUILD_DIR EXAMPLE_PLUGIN.c
set -u
build=$1 src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
command -v pkg-config >/dev/null || { echo "pkg-config not installed"; exit 77; }
meson install -C "$build" --destdir "$tmp/dest" --no-rebuild >"$tmp/install.log" 2>&1 ||
	{ echo "FAIL: meson install"; cat "$tmp/install.log"; exit 1; }
pc=$(find "$tmp/dest" -name brownout.pc | head -n 1)
[ -n "$pc" ] || { echo "FAIL: no brownout.pc installed"; exit 1; }
hdr=$(find "$tmp/dest" -path '*/include/brownout/firmware.h' | head -n 1)
[ -n "$hdr" ] || { echo "FAIL: no include/brownout/firmware.h installed"; exit 1; }
ls "$(dirname "$pc")"/../libbrownout.a "$(dirname "$pc")"/../libbrownout.so >/dev/null ||
	{ echo "FAIL: static and shared libraries"; exit 1; }
export PKG_CONFIG_PATH="$(dirname "$pc")" PKG_CONFIG_SYSROOT_DIR="$tmp/dest"
libdir=$(pkg-config --variable=libdir brownout)
bin=$(find "$tmp/dest" -path '*/bin/brownout' | head -n 1)
# A sanitizer build's library needs the sanitizer runtime in whatever links it.
san=""
nm -D "$(dirname "$pc")/../libbrownout.so" 2>/dev/null | grep -q __asan_init && san="-fsanitize=address,undefined"

cc -shared -fPIC -Wall -Wextra -Werror -o "$tmp/example-boot.so" "$src" \
	$(pkg-config --cflags --libs brownout) -Wl,--as-needed ||
	{ echo "FAIL: the example plug-in does not build out of tree"; exit 1; }
cat >"$tmp/sweep_it.c" <<'C'
#include <stdio.h>
#include <brownout/sweep.h>
int main(int argc, char **argv)
{
	struct bro_sweep_summary s;
	char err[512];
	int rc = bro_sweep_file(argv[argc - 1], 2, &s, err, sizeof err);
	if (rc == 2)
		fprintf(stderr, "%s\n", err);
	printf("%llu cut points, %llu failing\n", (unsigned long long)s.cut_points,
	       (unsigned long long)s.failing_cuts);
	return rc;
}
C
cc $san -Wall -Wextra -Werror -o "$tmp/sweep_it" "$tmp/sweep_it.c" $(pkg-config --cflags --libs brownout) \
	-Wl,-rpath,"$PKG_CONFIG_SYSROOT_DIR$libdir" ||
	{ echo "FAIL: a program using brownout/sweep.h does not build"; exit 1; }

cat >"$tmp/example.yaml" <<YAML
sweep: out-of-tree
device: {preset: nrf52840}
firmware: {plugin: example-boot.so}
images:
  v1: {version: 1.0.0, size: 12KiB}
  v2: {version: 1.1.0, size: 16KiB}
initial: {primary: v1}
steps: [{download: v2}, {request: perm}, reboot]
expect: {running: v2, confirmed: true}
YAML
"$bin" sweep "$tmp/example.yaml" --no-db --jobs 2 >"$tmp/out" 2>&1 ||
	{ echo "FAIL: the installed brownout sweeps the plug-in"; cat "$tmp/out"; exit 1; }
cat "$tmp/out"
"$tmp/sweep_it" "$tmp/example.yaml" >"$tmp/out2" 2>&1 ||
	{ echo "FAIL: bro_sweep_file"; cat "$tmp/out2"; exit 1; }
cat "$tmp/out2"
grep -q " 0 failing" "$tmp/out2" || { echo "FAIL: bro_sweep_file result"; exit 1; }
echo "ok: installed library, headers and pkg-config build and sweep a plug-in out of tree"
