#!/bin/sh
# `brownout sweep` as CI uses it: exit codes, the summary line, the database, replay.
# Usage: test_sweep_cli.sh BROWNOUT SWEEPS_DIR CLI_DIR
set -u
bin=$1 sweeps=$2 cli=$3
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
good=$sweeps/nrf52840-overwrite-tiny.yaml

check 0 "a passing sweep exits 0" "$bin" sweep "$good" --db "$tmp/a.db"
grep -q "^sweep nrf52840-overwrite-tiny: overwrite on nrf52840, depth 1, between+torn: .* 0 failures" "$tmp/out" ||
	{ echo "FAIL: summary line"; cat "$tmp/out"; fail=1; }
check 0 "the same sweep on 3 jobs" "$bin" sweep "$good" --db "$tmp/a.db" --jobs 3
check 0 "a shard" "$bin" sweep "$good" --db "$tmp/a.db" --shard 1/4
python3 - "$tmp/a.db" <<'PY' || fail=1
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
rows = db.execute("SELECT cut_points, distinct_states, failures, pass, shard FROM sweep ORDER BY id").fetchall()
assert len(rows) == 3, rows
assert rows[0][:4] == rows[1][:4], ("jobs changed the result", rows)
assert rows[2][4] == "1/4" and rows[2][0] < rows[0][0], rows
assert db.execute("PRAGMA user_version").fetchone()[0] == 5  # reports/db.h BO_DB_SCHEMA_VERSION
print("ok: database rows (identical for 1 and 3 jobs, shard smaller)")
PY
check 1 "a failing sweep exits 1" "$bin" sweep "$cli/wrong-expect.yaml" --db "$tmp/b.db"
grep -q "baseline" "$tmp/out" || { echo "FAIL: baseline failure not reported"; fail=1; }
check 2 "a missing file exits 2" "$bin" sweep "$tmp/nope.yaml" --no-db
check 2 "a bad option exits 2" "$bin" sweep "$good" --jobs 0
check 2 "a bad shard exits 2" "$bin" sweep "$good" --shard 4/4
# The database is opened before the sweep runs (a bad --db costs no sweep); '' is refused.
check 2 "an unwritable --db exits 2 before the sweep" \
	"$bin" sweep "$sweeps/nrf52840-swap-scratch-full.yaml" --db "$tmp/no/such/dir/x.db"
grep -q "cut points" "$tmp/out" && { echo "FAIL: the sweep ran before the --db check"; fail=1; }
check 2 "--db '' exits 2" "$bin" sweep "$good" --db ''
check 2 "an unknown option" "$bin" sweep "$good" --frob
grep -q "unknown option '--frob'" "$tmp/err" || { echo "FAIL: unknown option wording"; fail=1; }
check 0 "replay of a cut point" "$bin" sweep "$good" --repro t5.1 --trace
grep -q "continuation from step" "$tmp/out" ||
	{ echo "FAIL: replay printed no trace"; cat "$tmp/out"; fail=1; }
check 1 "the uncut workload of a failing file replays" "$bin" sweep "$cli/wrong-expect.yaml" --repro uncut --trace
grep -q "^expected .* / observed " "$tmp/out" ||
	{ echo "FAIL: the uncut trace states no end state"; cat "$tmp/out"; fail=1; }

# Issue 14's story in plain words: a cut before v2 confirmed itself, a revert, then a hotfix
# that confirmed devices refuse as a downgrade installs on the reverted one. Both broken
# invariants are reported and the trace says what happened in the device's words.
story=$cli/downgrade-after-revert.yaml
check 1 "the downgrade-after-revert story fails" "$bin" sweep "$story" --no-db
grep -q "FAIL b231  I3 converges: did not reach \`expect\` after 5 boots; I5 wear: a sector was erased 21 times (bound 16)" "$tmp/out" ||
	{ echo "FAIL: both broken invariants of b231"; cat "$tmp/out"; fail=1; }
check 1 "its trace" "$bin" sweep "$story" --no-db --repro b231 --trace
for line in \
	"^  step 3 reboot: ops 105-231$" \
	"^cut 1: power lost before program op 231: primary trailer: image_ok (4 bytes), during step 3 (reboot)$" \
	"^  boot 1: primary at 0xc000, runs v1 (reverted)$" \
	"upgrade: magic good, swap_info unset, copy_done unset, image_ok set -> swap table (current MCUboot): perm$" \
	"^  boot 2: primary at 0xc000, runs hotfix (installed)$" \
	"^  scratch (sector:erases): 0:21$" \
	"^expected running v2 confirmed, primary v2, upgrade none / observed running hotfix confirmed, primary hotfix, upgrade v1$"; do
	grep -q "$line" "$tmp/out" || { echo "FAIL: the trace lacks: $line"; fail=1; }
done
[ "$fail" -eq 0 ] && echo "ok: the trace tells the story"
# A second cut "after the last op" of a continuation that made no flash op resumes where
# that continuation started, not from step 0 (which downloaded and installed again, so the
# upgrade slot held v2, not the v1 this file expects there).
check 0 "a depth-2 cut after a continuation without ops" "$bin" sweep \
	"$sweeps/stm32f4-status-swap-scratch-large.yaml" --repro b1378/b0
check 2 "a malformed repro ID exits 2" "$bin" sweep "$good" --repro x12
check 2 "a repro ID past the workload exits 2" "$bin" sweep "$good" --repro t99999.0
check 0 "--help" "$bin" sweep --help
exit $fail
