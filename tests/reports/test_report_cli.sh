#!/bin/sh
# `brownout report` on real outcome databases: every format, shard merges that equal the
# unsharded totals (sweeps and seed ranges), merging twice, refusals, --shard auto from
# Slurm and Kubernetes variables, GNU parallel, the baseline gate (identical runs pass,
# planted regressions fail, changed inputs are reported as changed), and bad input (exit
# 2, nothing written).
# Usage: test_report_cli.sh BROWNOUT SWEEPS_DIR CI_SCENARIO_DIR SWEEP_CLI_DIR
set -u
bin=$1 sweeps=$2 ci=$3 sweepcli=$4
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
fail=0
bad() { echo "FAIL: $*"; fail=1; }
check() { # expected-exit description command...
	want=$1 what=$2
	shift 2
	"$@" >"$tmp/out" 2>"$tmp/err"
	got=$?
	if [ "$got" -ne "$want" ]; then
		bad "$what: exit $got, expected $want"; sed 's/^/  | /' "$tmp/out" "$tmp/err"
		return 1
	fi
	echo "ok: $what"
}
tiny=$sweeps/nrf52840-overwrite-tiny.yaml
line=$ci/line-5.yaml
# Rewrite the file hash of every row of a database to another database's (a regression in
# the code, not in the input, is what the gate is for: planting one by editing the input
# would change its hash, which is reported as a changed input instead).
same_hash_as() { # DB BASE
	python3 - "$1" "$2" <<'PY'
import sqlite3, sys
db, base = sqlite3.connect(sys.argv[1]), sqlite3.connect(sys.argv[2])
for name, h in base.execute("SELECT name, file_hash FROM sweep"):
    db.execute("UPDATE sweep SET file_hash = ? WHERE name = ?", (h, name))
for name, h in base.execute("SELECT scenario, scenario_hash FROM run"):
    db.execute("UPDATE run SET scenario_hash = ? WHERE scenario = ?", (h, name))
db.commit()
PY
}

# ---- the inputs: a sweep (whole and in 3 shards), 4 seeds (whole and in 2 shards) ----
"$bin" sweep "$tiny" --db "$tmp/full.db" >/dev/null || bad "unsharded sweep"
for k in 0 1 2; do
	"$bin" sweep "$tiny" --shard $k/3 --db "$tmp/shard$k.db" >/dev/null || bad "sweep shard $k"
done
"$bin" run "$line" --seeds 1..4 --jobs 2 --db "$tmp/full.db" >/dev/null || bad "unsharded seeds"
for k in 0 1; do
	"$bin" run "$line" --seeds 1..4 --shard $k/2 --jobs 2 --db "$tmp/shard$k.db" >/dev/null ||
		bad "seed shard $k"
done

# ---- merge ----
check 0 "merge 3 sweep shards and 2 seed shards" "$bin" report merge "$tmp/merged.db" \
	"$tmp/shard0.db" "$tmp/shard1.db" "$tmp/shard2.db" &&
	{ grep -q "3 sweeps and 4 runs added" "$tmp/out" || bad "merge count: $(cat "$tmp/out")"; }
check 0 "merging the same shards again" "$bin" report merge "$tmp/merged.db" \
	"$tmp/shard0.db" "$tmp/shard2.db" "$tmp/shard1.db" "$tmp/shard0.db" &&
	{ grep -q "0 sweeps and 0 runs added" "$tmp/out" || bad "merge twice added rows: $(cat "$tmp/out")"; }
check 0 "json of the merged shards" "$bin" report "$tmp/merged.db" --format json -o "$tmp/merged.json"
check 0 "json of the unsharded runs" "$bin" report "$tmp/full.db" --format json -o "$tmp/full.json"
python3 - "$tmp/merged.json" "$tmp/full.json" <<'PY' || fail=1
import json, sys
m, f = (json.load(open(p)) for p in sys.argv[1:3])
keys = ["workload_ops", "cut_points", "failures", "invariants", "false_positives", "pass"]
(ms,), (fs,) = m["sweeps"], f["sweeps"]
for k in keys:
    assert ms[k] == fs[k], (k, ms[k], fs[k])
assert ms["shards"] == {"have": 3, "of": 3} and fs["shards"] is None, (ms["shards"], fs["shards"])
def runs(d):
    return [(r["seed"], r["pass"], r["converged"], r["bricked"], r["metrics"],
             [(n["node"], n["converged_us"], n["wave"], n["hops"]) for n in r["nodes"]])
            for r in d["runs"]]
assert runs(m) == runs(f), "merged seeds differ from the unsharded run"
assert [r["seed"] for r in m["runs"]] == [1, 2, 3, 4]
print("ok: merged shards report the unsharded totals (sweep and seeds)")
# Schema 4's node columns from a real run: the line's Distributor is node 0, the targets
# 1..4 hops away, all in wave 0, each offered the image when that wave started.
nodes = f["runs"][0]["nodes"]
assert [n["hops"] for n in nodes] == [0, 1, 2, 3, 4], nodes
assert [n["wave"] for n in nodes] == [None, 0, 0, 0, 0], nodes
assert nodes[0]["rx_start_us"] is None and len({n["rx_start_us"] for n in nodes[1:]}) == 1, nodes
assert all(n["rx_start_us"] < n["converged_us"] for n in nodes[1:]), nodes
print("ok: node wave, hops and rx_start_us recorded")
PY
python3 - "$tmp/merged.db" <<'PY' || fail=1
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
assert db.execute("SELECT count(*) FROM sweep").fetchone()[0] == 3
assert db.execute("SELECT count(*) FROM run").fetchone()[0] == 4
assert db.execute("SELECT count(*) FROM node").fetchone()[0] == 20
assert db.execute("PRAGMA user_version").fetchone()[0] == 5
print("ok: merged database rows (merging twice added nothing)")
PY

# A shard missing: reported as incomplete, and a regression against a baseline.
check 0 "two of three shards" "$bin" report "$tmp/shard0.db" "$tmp/shard2.db" &&
	{ grep -q "| nrf52840-overwrite-tiny | pass | overwrite | nrf52840 | [0-9]* (2 of 3 shards, INCOMPLETE)" "$tmp/out" ||
	{ bad "incomplete shards not shown"; cat "$tmp/out"; }; }
check 1 "a missing shard fails the gate" "$bin" report "$tmp/shard0.db" "$tmp/shard2.db" \
	--baseline "$tmp/full.db"

# Refusals: another file under the same sweep name, another brownout version. OUT is not
# created (or left as it was).
sed 's/^# The smallest image.*/# another file, same sweep name/' "$tiny" >"$tmp/other.yaml"
"$bin" sweep "$tmp/other.yaml" --shard 1/3 --db "$tmp/other.db" >/dev/null || bad "other sweep"
check 2 "merge refuses shards of different input files" "$bin" report merge "$tmp/refused.db" \
	"$tmp/shard0.db" "$tmp/other.db" &&
	{ grep -q "different input files" "$tmp/err" || bad "no clear message: $(cat "$tmp/err")"; }
[ -e "$tmp/refused.db" ] && bad "a refused merge created its output"
cp "$tmp/shard1.db" "$tmp/oldtool.db"
python3 -c "import sqlite3,sys; d=sqlite3.connect(sys.argv[1]); d.execute(\"UPDATE sweep SET tool_version='0.0.1'\"); d.commit()" "$tmp/oldtool.db"
check 2 "merge refuses another brownout version" "$bin" report merge "$tmp/merged.db" \
	"$tmp/oldtool.db" && { grep -q "one brownout version" "$tmp/err" || bad "no clear message: $(cat "$tmp/err")"; }

# ---- --shard auto ----
SLURM_ARRAY_TASK_ID=1 SLURM_ARRAY_TASK_COUNT=3 check 0 "--shard auto from a Slurm array" \
	"$bin" sweep "$tiny" --shard auto --db "$tmp/auto.db"
SLURM_ARRAY_TASK_ID=3 SLURM_ARRAY_TASK_MIN=1 SLURM_ARRAY_TASK_COUNT=3 check 0 \
	"--shard auto from a Slurm array counted from 1" "$bin" sweep "$tiny" --shard auto --db "$tmp/auto.db"
JOB_COMPLETION_INDEX=0 BROWNOUT_SHARD_COUNT=3 check 0 "--shard auto from a Kubernetes Indexed Job" \
	"$bin" sweep "$tiny" --shard auto --db "$tmp/auto.db"
python3 - "$tmp/auto.db" <<'PY' || fail=1
import sqlite3, sys
shards = [r[0] for r in sqlite3.connect(sys.argv[1]).execute("SELECT shard FROM sweep ORDER BY id")]
assert shards == ["1/3", "2/3", "0/3"], shards
print("ok: --shard auto recorded 1/3, 2/3, 0/3")
PY
JOB_COMPLETION_INDEX=1 BROWNOUT_SHARD_COUNT=2 check 0 "brownout run --shard auto (Kubernetes)" \
	"$bin" run "$line" --seeds 1..4 --shard auto --no-db &&
	{ grep -q "2 seeds 2..4 (shard 1/2" "$tmp/out" || bad "run shard auto: $(head -1 "$tmp/out")"; }
check 2 "--shard auto with no batch system" env -u SLURM_ARRAY_TASK_ID -u JOB_COMPLETION_INDEX \
	"$bin" sweep "$tiny" --shard auto --no-db && { grep -q "no shard in the environment" "$tmp/err" || bad "message"; }
JOB_COMPLETION_INDEX=0 check 2 "--shard auto: an Indexed Job without BROWNOUT_SHARD_COUNT" \
	"$bin" run "$line" --shard auto --no-db
SLURM_ARRAY_TASK_ID=5 SLURM_ARRAY_TASK_COUNT=3 check 2 "--shard auto: a Slurm index past the count" \
	"$bin" sweep "$tiny" --shard auto --no-db

# ---- GNU parallel, as the README's recipe ----
if command -v parallel >/dev/null 2>&1; then
	check 0 "GNU parallel: 3 shards, one database each" parallel --will-cite \
		"$bin" sweep "$tiny" --shard {}/3 --db "$tmp/par{}.db" ::: 0 1 2
	check 0 "GNU parallel shards merged" "$bin" report merge "$tmp/par.db" "$tmp/par0.db" \
		"$tmp/par1.db" "$tmp/par2.db"
	"$bin" report "$tmp/par.db" --format json -o "$tmp/par.json"
	python3 -c "
import json, sys
p, f = (json.load(open(x))['sweeps'][0] for x in sys.argv[1:3])
assert p['cut_points'] == f['cut_points'] and p['failures'] == f['failures'], (p, f)
print('ok: GNU parallel shards total the unsharded sweep')" "$tmp/par.json" "$tmp/full.json" || fail=1
else
	echo "note: GNU parallel not installed (tools/setup-deps.sh installs it): recipe not run"
fi

# ---- formats ----
check 0 "markdown to stdout" "$bin" report "$tmp/full.db" && {
	grep -q "^# brownout report" "$tmp/out" && grep -q "^| nrf52840-overwrite-tiny | pass" "$tmp/out" &&
	grep -q "^### pass ci-line-5" "$tmp/out" && grep -q "^| 4 | pass | 4/4 |" "$tmp/out" ||
	{ bad "markdown content"; cat "$tmp/out"; }
}
"$bin" sweep "$sweepcli/wrong-expect.yaml" --db "$tmp/failing.db" >/dev/null
"$bin" run "$ci/../../tests/scenario/run/line-5-impossible.yaml" --db "$tmp/failing.db" >/dev/null 2>&1 ||
	true
check 0 "markdown of failures" "$bin" report "$tmp/failing.db" "$tmp/full.db" -o "$tmp/failing.md" && {
	grep -q "^\*\*FAIL\*\*" "$tmp/failing.md" && grep -q "^### FAIL wrong-expect" "$tmp/failing.md" &&
	grep -q "brownout sweep .*wrong-expect.yaml --no-db" "$tmp/failing.md" ||
	{ bad "markdown failure content"; cat "$tmp/failing.md"; }
}
for f in html junit json; do
	check 0 "--format $f" "$bin" report "$tmp/failing.db" "$tmp/full.db" --format $f -o "$tmp/r.$f"
done
python3 -c "import json,sys; d=json.load(open(sys.argv[1])); assert d['pass'] is False and len(d['sweeps']) == 2" \
	"$tmp/r.json" && echo "ok: json parses" || bad "json"
grep -q "<testsuites" "$tmp/r.junit" && grep -q "replay: brownout sweep" "$tmp/r.junit" || bad "junit content"

# ---- the baseline gate ----
"$bin" sweep "$tiny" --db "$tmp/base.db" >/dev/null
"$bin" run "$line" --seeds 1..2 --db "$tmp/base.db" >/dev/null
"$bin" sweep "$tiny" --db "$tmp/same.db" >/dev/null
"$bin" run "$line" --seeds 1..2 --db "$tmp/same.db" >/dev/null
check 0 "an identical run passes the gate" "$bin" report "$tmp/same.db" --baseline "$tmp/base.db" &&
	{ grep -q "0 regressions against the baseline" "$tmp/out" || bad "gate summary"; }
# A sweep whose expectation breaks (same sweep name, the expectation changed).
sed 's/^expect: .*/expect: {running: v1, confirmed: true, primary: v1}/' "$tiny" >"$tmp/tiny-broken.yaml"
"$bin" sweep "$tmp/tiny-broken.yaml" --db "$tmp/broken.db" >/dev/null
"$bin" run "$line" --seeds 1..2 --db "$tmp/broken.db" >/dev/null
check 0 "a changed sweep file is reported as changed, not as a regression" "$bin" report \
	"$tmp/broken.db" --baseline "$tmp/base.db" && { grep -q "| input changed | sweep nrf52840-overwrite-tiny |" "$tmp/out" ||
	{ bad "no 'input changed' row"; cat "$tmp/out"; }; }
same_hash_as "$tmp/broken.db" "$tmp/base.db"
check 1 "a sweep regression fails the gate" "$bin" report "$tmp/broken.db" --baseline "$tmp/base.db" &&
	{ grep -q "| REGRESSION | new failure | sweep nrf52840-overwrite-tiny |" "$tmp/out" ||
	{ bad "no new failure row"; cat "$tmp/out"; }; }
check 1 "the gate in JUnit too" "$bin" report "$tmp/broken.db" --baseline "$tmp/base.db" --format junit \
	-o "$tmp/gate.junit" && { grep -q 'testsuite name="baseline"' "$tmp/gate.junit" || bad "junit baseline suite"; }
# A scenario whose convergence worsens (the same line with more loss).
sed 's/loss: 0.02/loss: 0.35/' "$line" >"$tmp/lossy.yaml"
"$bin" sweep "$tiny" --db "$tmp/lossy.db" >/dev/null
"$bin" run "$tmp/lossy.yaml" --seeds 1..2 --db "$tmp/lossy.db" >/dev/null
check 0 "a changed scenario file is reported as changed" "$bin" report "$tmp/lossy.db" \
	--baseline "$tmp/base.db" && { grep -q "| input changed | scenario ci-line-5 seed 1 |" "$tmp/out" || bad "no input changed"; }
same_hash_as "$tmp/lossy.db" "$tmp/base.db"
check 1 "slower convergence fails the gate" "$bin" report "$tmp/lossy.db" --baseline "$tmp/base.db" &&
	{ grep -q "| REGRESSION | metric worse | scenario ci-line-5 seed 1 | convergence_p95_s" "$tmp/out" ||
	{ bad "no convergence regression row"; cat "$tmp/out"; }; }
check 0 "--max-regression raises the thresholds" "$bin" report "$tmp/lossy.db" --baseline "$tmp/base.db" \
	--max-regression convergence_p50_s=200% --max-regression convergence_p95_s=200 \
	--max-regression convergence_max_s=200% --max-regression rollout_s=200% \
	--max-regression max_offers=1000% --max-regression distributions=1000%
check 2 "--max-regression malformed" "$bin" report "$tmp/lossy.db" --baseline "$tmp/base.db" \
	--max-regression convergence_p95_s
check 2 "a baseline of other inputs" "$bin" report "$tmp/failing.db" --baseline "$tmp/base.db"

# ---- bad input: exit 2, nothing written ----
printf 'not a database, just text that is long enough to be read as a header\n' >"$tmp/text.db"
cp "$tmp/base.db" "$tmp/future.db"
python3 -c "import sqlite3,sys; d=sqlite3.connect(sys.argv[1]); d.execute('PRAGMA user_version=99'); d.commit()" "$tmp/future.db"
echo keep >"$tmp/keep.md"
check 2 "not a database" "$bin" report "$tmp/text.db" -o "$tmp/keep.md"
check 2 "a missing database" "$bin" report "$tmp/nope.db" -o "$tmp/keep.md"
[ -e "$tmp/nope.db" ] && bad "reading a missing database created it"
check 2 "a future schema version" "$bin" report "$tmp/future.db" -o "$tmp/keep.md" &&
	{ grep -q "newer" "$tmp/err" || bad "future: $(cat "$tmp/err")"; }
check 2 "a future baseline" "$bin" report "$tmp/base.db" --baseline "$tmp/future.db" -o "$tmp/keep.md"
check 2 "an unknown format" "$bin" report "$tmp/base.db" --format pdf -o "$tmp/keep.md"
[ "$(cat "$tmp/keep.md")" = keep ] || bad "a refused report touched its output file"
check 2 "an output in a missing directory" "$bin" report "$tmp/base.db" -o "$tmp/no/such/dir/r.md"
mkdir "$tmp/outdir"
check 2 "an output that is a directory" "$bin" report "$tmp/base.db" -o "$tmp/outdir"
ls "$tmp" | grep -q "tmp-" && bad "a temporary file was left behind: $(ls "$tmp")"
check 2 "merge into a text file" "$bin" report merge "$tmp/text.db" "$tmp/base.db"
check 2 "merge of a future database" "$bin" report merge "$tmp/m2.db" "$tmp/future.db"
[ -e "$tmp/m2.db" ] && bad "a refused merge created its output"
check 2 "merge without inputs" "$bin" report merge "$tmp/m3.db"
check 2 "no database" "$bin" report --format md
check 0 "--help" "$bin" report --help
exit $fail
