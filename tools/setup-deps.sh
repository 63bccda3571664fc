#!/bin/sh
# Install the Debian/Ubuntu packages brownout needs, but only those missing, so a second
# run costs one dpkg-query. Uses sudo when not root; when neither works it names the
# packages to install and fails.
set -eu

# chromium, libxml2-utils and parallel are for the report tests (tests/reports: the HTML
# report in headless Chromium, the JUnit XML through xmllint, the GNU parallel recipe).
PACKAGES="gcc make pkg-config meson ninja-build libsqlite3-dev libyaml-dev libcmocka-dev \
libfuse3-dev fuse3 libmbedtls-dev gcc-arm-none-eabi libnewlib-arm-none-eabi binutils \
chromium libxml2-utils parallel"

missing=""
for p in $PACKAGES; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

if ! command -v apt-get >/dev/null 2>&1; then
	echo "brownout: missing packages:$missing" >&2
	echo "brownout: this is not a Debian/Ubuntu system; install their equivalents by hand." >&2
	exit 1
fi

if [ "$(id -u)" -eq 0 ]; then
	SUDO=""
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
	SUDO="sudo -n"
elif command -v sudo >/dev/null 2>&1 && [ -t 0 ]; then
	SUDO="sudo"
else
	echo "brownout: missing packages:$missing" >&2
	echo "brownout: run as root or with sudo: apt-get install$missing" >&2
	exit 1
fi

echo "brownout: installing$missing"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing
