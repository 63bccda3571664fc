#!/bin/sh
# `brownout run` as CI and users call it: usage and input errors (exit 2, the loader's
# FILE:LINE:COL message), a passing scenario (exit 0) and its database rows, a failing
# expectation (exit 1), several seeds on several jobs, shards, determinism of a seed
# whatever the thread it ran on, --no-db and --events (level 3: message traces, by node,
# capped), the congestion columns of the node rows.
# Usage: test_run_cli.sh BROWNOUT CI_SCENARIO_DIR RUN_SCENARIO_DIR (tests/scenario/run)
set -u
bin=$1 ci=$2 runs=$3
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
good=$ci/line-5.yaml
[ -f "$good" ] || { echo "FAIL: no $good"; exit 1; }

# ---- usage: exit 2, nothing run, nothing written ----
check 0 "--help" "$bin" run --help && { grep -q "^usage: brownout run" "$tmp/out" || bad "--help: no usage on stdout"; }
check 2 "no scenario" "$bin" run
check 2 "an unknown option" "$bin" run "$good" --frobnicate
check 2 "--trace-nodes without --events 3" "$bin" run "$good" --trace-nodes 0 --no-db
check 2 "--trace-max without --events 3" "$bin" run "$good" --events 2 --trace-max 5 --no-db
check 2 "--trace-max 0" "$bin" run "$good" --events 3 --trace-max 0 --no-db
for ids in x 1- 3-1 2,,3 "" 0,99 1-9; do
	check 2 "--trace-nodes '$ids'" "$bin" run "$good" --events 3 --trace-nodes "$ids" --db "$tmp/x.db" &&
		{ grep -q "^brownout run: --trace-nodes" "$tmp/err" || bad "--trace-nodes '$ids': message: $(cat "$tmp/err")"; }
done
grep -q "has no node 5" "$tmp/err" || bad "--trace-nodes 1-9: does not name the missing node: $(cat "$tmp/err")"
check 2 "two scenario files" "$bin" run "$good" "$good"
check 2 "--db without a value" "$bin" run "$good" --db
check 2 "--jobs 0" "$bin" run "$good" --jobs 0
check 2 "--jobs not a number" "$bin" run "$good" --jobs two
check 2 "--seed not a number" "$bin" run "$good" --seed -1
check 2 "--seeds backwards" "$bin" run "$good" --seeds 5..1
check 2 "--seeds malformed" "$bin" run "$good" --seeds 1-5
check 2 "--seed and --seeds together" "$bin" run "$good" --seed 1 --seeds 1..2
check 2 "--shard 2/2 (K counts from 0)" "$bin" run "$good" --shard 2/2
check 2 "--shard 3/2" "$bin" run "$good" --shard 3/2
check 2 "--shard malformed" "$bin" run "$good" --shard 1/2x
check 2 "--events 4" "$bin" run "$good" --events 4

# ---- bad input: exit 2 with the loader's message ----
check 2 "a missing scenario file" "$bin" run "$tmp/nope.yaml" --db "$tmp/x.db" &&
	{ grep -q "^$tmp/nope.yaml: " "$tmp/err" || bad "missing file: message does not name it: $(cat "$tmp/err")"; }
sed 's/{id: 0, role: distributor}/{id: 0, role: leader}/' "$good" >"$tmp/bad-role.yaml"
check 2 "an invalid scenario" "$bin" run "$tmp/bad-role.yaml" --db "$tmp/x.db" &&
	{ grep -Eq "^$tmp/bad-role.yaml:[0-9]+:[0-9]+: key 'nodes.overrides\[0\].role': " "$tmp/err" ||
		bad "invalid scenario: no FILE:LINE:COL: key message: $(cat "$tmp/err")"; }
printf 'scenario: x\nseed: [1\n' >"$tmp/yaml.yaml"
check 2 "a YAML syntax error" "$bin" run "$tmp/yaml.yaml" --no-db &&
	{ grep -Eq "^$tmp/yaml.yaml:[0-9]+:[0-9]+: " "$tmp/err" || bad "YAML error: $(cat "$tmp/err")"; }
[ -e "$tmp/x.db" ] && bad "bad input created the database"
check 2 "a database that cannot be opened" "$bin" run "$good" --db "$tmp/no/such/dir/x.db" &&
	{ grep -q "no/such/dir/x.db" "$tmp/err" || bad "unopenable db: message: $(cat "$tmp/err")"; }

# ---- a passing scenario: exit 0, summary, one complete run in the database ----
if check 0 "a ci scenario passes" "$bin" run "$good" --db "$tmp/a.db"; then
	grep -q "^seed 1: pass  converged 4/4 targets, 0 failed, 0 bricked" "$tmp/out" ||
		bad "summary line: $(cat "$tmp/out")"
	grep -q "convergence p50 .*, p95 .*, max .*; simulated .*; wall .* s; 2/2 expectations held" "$tmp/out" ||
		bad "summary times: $(cat "$tmp/out")"
	grep -q "^database: $tmp/a.db, run ids 1$" "$tmp/out" || bad "database line: $(cat "$tmp/out")"
fi
hash=$(sha256sum "$good" | cut -d' ' -f1)
python3 - "$tmp/a.db" "$good" "$hash" <<'PY' && echo "ok: database rows of a run" || bad "database rows of a run"
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
runs = db.execute("SELECT id, scenario, scenario_file, scenario_hash, seed, tool_version, status,"
                  " pass, wall_s, sim_end_us FROM run").fetchall()
assert len(runs) == 1, runs
rid, name, f, h, seed, ver, status, ok, wall, end = runs[0]
assert (name, f, h, seed, status, ok) == ("ci-line-5", sys.argv[2], sys.argv[3], 1, "complete", 1), runs
assert ver and wall is not None and wall >= 0 and end > 0, runs
nodes = db.execute("SELECT node, role, initial_fw, final_fw, running_slot, bricked, converged_us"
                   " FROM node WHERE run_id = ? ORDER BY node", (rid,)).fetchall()
assert [n[0] for n in nodes] == [0, 1, 2, 3, 4], nodes
assert nodes[0][1] == "distributor" and all(n[1] == "target" for n in nodes[1:]), nodes
assert all(n[2] == "v1" for n in nodes), nodes
assert all(n[3] == "v2" and n[5] == 0 and n[6] is not None for n in nodes[1:]), nodes
assert all(n[4] is not None for n in nodes), nodes
ex = db.execute("SELECT name, pass FROM expectation WHERE run_id = ?", (rid,)).fetchall()
assert ex == [("converged", 1), ("no_bricked", 1)], ex
metrics = dict(db.execute("SELECT name, value FROM metric WHERE run_id = ?", (rid,)).fetchall())
for m in ("targets", "converged", "bricked", "convergence_p50_s", "convergence_max_s"):
    assert m in metrics, (m, metrics)
assert metrics["targets"] == 4 and metrics["converged"] == 4, metrics
levels = db.execute("SELECT DISTINCT level FROM event WHERE run_id = ?", (rid,)).fetchall()
assert all(l[0] <= 1 for l in levels), levels  # --events defaults to 1: outcomes only
PY

# ---- an expectation that cannot hold: exit 1, the failure shown and recorded ----
sed 's/converged: {firmware: v2, fraction: 1.0, within: 2h}/converged: {firmware: v2, fraction: 1.0, within: 1s}/' \
	"$good" >"$tmp/too-fast.yaml"
grep -q "within: 1s" "$tmp/too-fast.yaml" || bad "too-fast.yaml: the sed did not apply"
if check 1 "an expectation that fails" "$bin" run "$tmp/too-fast.yaml" --db "$tmp/f.db"; then
	grep -q "^seed 1: FAIL" "$tmp/out" || bad "failing run: no FAIL line"
	grep -q "^  FAIL converged ($tmp/too-fast.yaml:[0-9]*): observed .*, expected " "$tmp/out" ||
		bad "failing run: expectation not shown: $(cat "$tmp/out")"
fi
python3 - "$tmp/f.db" <<'PY' && echo "ok: a failed expectation is recorded" || bad "failed expectation rows"
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
assert db.execute("SELECT status, pass FROM run").fetchall() == [("complete", 0)]
assert db.execute("SELECT name, pass FROM expectation ORDER BY rowid").fetchall() == \
    [("converged", 0), ("no_bricked", 1)]
PY

# ---- several seeds on two jobs; a shard; the same seed alone gives the same rows ----
check 0 "--seeds 1..3 --jobs 2" "$bin" run "$good" --seeds 1..3 --jobs 2 --db "$tmp/b.db" &&
	{ grep -q "^ci-line-5: 3 of 3 seeds passed" "$tmp/out" || bad "seeds: no total line: $(cat "$tmp/out")"; }
check 0 "--seed 2 alone" "$bin" run "$good" --seed 2 --jobs 1 --db "$tmp/b.db"
check 0 "--shard 1/2 of --seeds 1..4" "$bin" run "$good" --seeds 1..4 --shard 1/2 --db "$tmp/s.db"
check 0 "a shard that holds no seed" "$bin" run "$good" --shard 1/2 --db "$tmp/e.db"
python3 - "$tmp/b.db" "$tmp/s.db" <<'PY' && echo "ok: seeds, shard, determinism" || bad "seeds, shard, determinism"
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
runs = db.execute("SELECT id, seed, status FROM run ORDER BY id").fetchall()
assert sorted(r[1] for r in runs[:3]) == [1, 2, 3] and len(runs) == 4, runs
assert all(r[2] == "complete" for r in runs), runs
assert runs[3][1] == 2, runs
def rows(rid):
    # every column but run_id (node has no wall-clock column; wall_s is in run)
    n = db.execute("SELECT node, role, x, y, initial_fw, final_fw, running_slot, boots,"
                   " power_cuts, reverts, recovery_boots, bricked, converged_us, flash_erases,"
                   " flash_programs, max_sector_erases FROM node WHERE run_id = ? ORDER BY node",
                   (rid,)).fetchall()
    m = db.execute("SELECT name, value FROM metric WHERE run_id = ? ORDER BY name", (rid,)).fetchall()
    e = db.execute("SELECT t_us, node, level, kind, detail FROM event WHERE run_id = ?"
                   " ORDER BY rowid", (rid,)).fetchall()
    end = db.execute("SELECT sim_end_us, pass FROM run WHERE id = ?", (rid,)).fetchone()
    return n, m, e, end
two = [r[0] for r in runs if r[1] == 2]
a, b = rows(two[0]), rows(two[1])
assert a[0] and a[1], a
assert a == b, "seed 2 on 2 jobs and alone differ"
s = sqlite3.connect(sys.argv[2])
assert [r[0] for r in s.execute("SELECT seed FROM run ORDER BY seed")] == [2, 4]
PY
grep -q "nothing to run" "$tmp/out" || bad "empty shard: $(cat "$tmp/out")"
[ -e "$tmp/e.db" ] && bad "an empty shard created its database"

# ---- --events 3: message events of the chosen nodes only, in the same event table; the cap
# holds and its last event counts what it left out; node rows carry the congestion counters ----
check 0 "--events 3 --trace-nodes 0,2" "$bin" run "$good" --events 3 --trace-nodes 0,2 --db "$tmp/t.db"
check 0 "--events 3 --trace-nodes 0,2 --trace-max 40" "$bin" run "$good" --events 3 --trace-nodes 0,2 \
	--trace-max 40 --db "$tmp/t.db"
check 0 "--events 3 on every node" "$bin" run "$good" --events 3 --db "$tmp/t.db"
python3 - "$tmp/t.db" <<'PY' && echo "ok: message traces" || bad "message traces"
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
full, capped, every = [r[0] for r in db.execute("SELECT id FROM run ORDER BY id")]
def trace(rid):
    return db.execute("SELECT t_us, node, kind, detail FROM event WHERE run_id = ? AND level = 3"
                      " ORDER BY rowid", (rid,)).fetchall()
t = trace(full)
kinds = {r[2] for r in t}
assert {"msg_send", "msg_rx", "pdu_drop"} <= kinds, kinds
assert {r[1] for r in t} == {0, 2}, {r[1] for r in t}           # the chosen nodes only
assert "trace_truncated" not in kinds
assert any(r[2] == "msg_send" and "BLOB Chunk Transfer" in r[3] for r in t), "no opcode names"
assert any(r[2] == "pdu_drop" and r[3].startswith("duplicate (cache hit): ") for r in t)
assert any(r[2] == "pdu_drop" and r[3].startswith("loss: ") for r in t)
assert [r[0] for r in t] == sorted(r[0] for r in t)             # time order
# the other levels are there too, in the same table
assert db.execute("SELECT count(*) FROM event WHERE run_id = ? AND level < 3", (full,)).fetchone()[0] > 0
c = trace(capped)
assert len(c) == 41 and c[-1][2] == "trace_truncated" and c[-1][1] is None, c[-3:]
assert c[:40] == t[:40], "the cap keeps the first events"
left = int(c[-1][3].split()[0])
assert left == len(t) - 40, (left, len(t))
assert "--trace-max" in c[-1][3], c[-1]
e = trace(every)
assert {r[1] for r in e} == {0, 1, 2, 3, 4} and len(e) > len(t), len(e)
# congestion columns (schema version 5): set on every row of a new run; no reason when converged
rows = db.execute("SELECT pdus_queued, queue_peak, pdus_dropped, relay_dropped, reason FROM node"
                  " WHERE run_id = ?", (every,)).fetchall()
assert all(r[0] is not None and r[1] is not None and r[2] is not None and r[3] is not None
           for r in rows), rows
assert all(r[4] is None for r in rows), rows
assert sum(r[0] for r in rows) > 0, rows
PY
"$bin" run --help | grep -q "at most 100000 a run" || bad "--help does not state the trace cap"

# ---- a target the Distributor gave up on: the summary, its node row and the JSON report say
# where (step, block, tries, hops, transmissions lost) ----
if check 0 "a lossy link" "$bin" run "$runs/lossy-link.yaml" --db "$tmp/g.db"; then
	grep -q "^  node 1 did not converge: lost after 1 offer (.*): the Distributor gave up in BLOB block [0-9]* of [0-9]* (.*) after [0-9]* tries (1 hop, [0-9]* transmissions to it lost, 0 power cuts)$" "$tmp/out" ||
		bad "lossy link: summary line: $(cat "$tmp/out")"
fi
check 0 "report --format json of it" "$bin" report "$tmp/g.db" --format json -o "$tmp/g.json"
python3 - "$tmp/g.db" "$tmp/g.json" <<'PY' && echo "ok: the reason in the node row and the JSON report" || bad "reason rows"
import json, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
rows = dict(db.execute("SELECT node, reason FROM node").fetchall())
assert "gave up in BLOB block" in rows[1], rows
assert rows[0] is None and rows[2] is None and rows[3] is None, rows
nodes = {n["node"]: n for n in json.load(open(sys.argv[2]))["runs"][0]["nodes"]}
assert nodes[1]["reason"] == rows[1], nodes[1]
assert nodes[2]["reason"] is None and nodes[0]["pdus_queued"] > 0, nodes
PY

# ---- --no-db writes nothing (not even the default brownout.db); --events 0 keeps none ----
mkdir "$tmp/cwd"
(cd "$tmp/cwd" && "$bin" run "$good" --no-db >"$tmp/out" 2>"$tmp/err"); rc=$?
[ $rc -eq 0 ] && echo "ok: --no-db" || bad "--no-db: exit $rc: $(cat "$tmp/err")"
[ -z "$(ls -A "$tmp/cwd")" ] || bad "--no-db wrote $(ls -A "$tmp/cwd")"
grep -q "^database: not written (--no-db)" "$tmp/out" || bad "--no-db: summary does not say so"
(cd "$tmp/cwd" && "$bin" run "$good" --events 0 >"$tmp/out" 2>"$tmp/err"); rc=$?
[ $rc -eq 0 ] && echo "ok: the default database" || bad "default db: exit $rc: $(cat "$tmp/err")"
[ -f "$tmp/cwd/brownout.db" ] || bad "no brownout.db in the working directory"
python3 - "$tmp/cwd/brownout.db" <<'PY' || bad "--events 0 kept events"
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
assert db.execute("SELECT count(*) FROM run WHERE status = 'complete'").fetchone()[0] == 1
assert db.execute("SELECT count(*) FROM event").fetchone()[0] == 0
PY

exit $fail
