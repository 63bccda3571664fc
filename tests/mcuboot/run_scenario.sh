# Sourced by the tests here: sweep_mcuboot FILE [brownout sweep options...]
#
# Runs scenarios/mcuboot/FILE against the plug-ins of this build: the file names
# ../../build/sim/ports/mcuboot/PLUGIN (the README's build directory), so a copy with
# that path replaced by $PLUGIN_DIR, and $sweep_dir (the file's folder) made the source
# folder's, is swept.
# Sets OUT (the output) and RC (the exit code).
sweep_mcuboot() {
	file=$1
	shift
	copy=$WORK/$(basename "$file")
	sed -e "s|plugin: [^,}]*/\(brownout-mcuboot-[a-z0-9-]*\.so\)|plugin: $PLUGIN_DIR/\1|" \
	    -e "s|\$sweep_dir|$(dirname "$file")|g" "$file" > "$copy"
	OUT=$("$BROWNOUT" sweep "$copy" --no-db "$@" 2>&1)
	RC=$?
}

# The plug-in FILE sweeps, or empty.
plugin_of() {
	sed -n 's|.*plugin: [^,}]*/\(brownout-mcuboot-[a-z0-9-]*\.so\).*|\1|p' "$1"
}
