#!/bin/sh
# The rendered reports checked by the programs that read them.
#   html:  headless Chromium loads the page (no console error) and its DOM holds every plot:
#          failures per operation coloured by invariant, erases per sector with the wear
#          bound, a convergence curve per seed, a topology map per seed with every node
#          coloured by outcome; the file has no script and loads nothing from the network.
#   junit: xmllint validates the JUnit XML against tests/reports/junit.xsd, with failing
#          sweeps, failing seeds and a baseline comparison in it.
# The sweep engine may not fill failures per operation and erases per sector yet, so the
# database gets them by hand (as the engine would write them).
# Usage: test_report_render.sh html|junit BROWNOUT SOURCE_ROOT
set -u
mode=$1 bin=$2 root=$3
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
fail=0
bad() { echo "FAIL: $*"; fail=1; }

case $mode in
html) command -v chromium >/dev/null 2>&1 ||
	{ echo "skip: chromium not installed (tools/setup-deps.sh installs it)"; exit 77; } ;;
junit) command -v xmllint >/dev/null 2>&1 ||
	{ echo "skip: xmllint not installed (libxml2-utils; tools/setup-deps.sh installs it)"; exit 77; } ;;
*) echo "usage: $0 html|junit BROWNOUT SOURCE_ROOT"; exit 2 ;;
esac

db=$tmp/r.db
"$bin" sweep "$root/scenarios/sweeps/nrf52840-overwrite-tiny.yaml" --db "$db" >/dev/null || bad "sweep"
"$bin" sweep "$root/tests/sweep/cli/wrong-expect.yaml" --db "$db" >/dev/null
"$bin" run "$root/scenarios/ci/bad-image.yaml" --seeds 1..2 --db "$db" >/dev/null || bad "run bad-image"
"$bin" run "$root/scenarios/ci/line-5.yaml" --seeds 1..3 --db "$db" >/dev/null || bad "run line-5"
python3 - "$db" <<'PY' || bad "filling the database"
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
(sid,) = db.execute("SELECT id FROM sweep WHERE name = 'wrong-expect'").fetchone()
rows = [(sid, 3, "I1 never bricked", 2), (sid, 3, "I3 converges", 1), (sid, 7, "I2 no hybrid", 4),
        (sid, 20, "I5 wear", 1)]
# (planted: the baseline failure of wrong-expect has no cut points of its own)
db.execute("DELETE FROM sweep_op_failure WHERE sweep_id = ?", (sid,))
db.execute("DELETE FROM sweep_sector_erases WHERE sweep_id = ?", (sid,))
db.executemany("INSERT INTO sweep_op_failure VALUES (?,?,?,?)", rows)
db.executemany("INSERT INTO sweep_sector_erases VALUES (?,?,?)",
               [(sid, s, e) for s, e in enumerate([2, 9, 3, 1, 0, 0, 4, 2])])
db.execute("UPDATE sweep SET wear_bound = 6 WHERE id = ?", (sid,))
db.execute("INSERT INTO sweep_failure VALUES (?, 't3.1', 'I1 never bricked', 'nothing to boot',"
           " 'I1 never bricked,I3 converges', 'running v1', 'running none', 3)", (sid,))
# one bricked node, so that the map shows that colour too
(rid,) = db.execute("SELECT max(id) FROM run WHERE scenario = 'ci-line-5'").fetchone()
db.execute("UPDATE node SET bricked = 1, converged_us = NULL WHERE run_id = ? AND node = 2", (rid,))
db.commit()
PY

if [ "$mode" = junit ]; then
	cp "$db" "$tmp/base.db"
	"$bin" sweep "$root/scenarios/sweeps/nrf52840-overwrite-tiny.yaml" --db "$tmp/base.db" >/dev/null
	"$bin" report "$db" --format junit -o "$tmp/r.xml" || bad "junit report"
	"$bin" report "$db" --format junit --baseline "$tmp/base.db" -o "$tmp/gate.xml"
	[ $? -le 1 ] || bad "junit report with a baseline"
	for x in r gate; do
		if xmllint --noout --schema "$root/tests/reports/junit.xsd" "$tmp/$x.xml" 2>"$tmp/err"; then
			echo "ok: $x.xml validates against junit.xsd"
		else
			bad "$x.xml does not validate"; cat "$tmp/err"
		fi
	done
	grep -q '<failure message=' "$tmp/r.xml" || bad "no failure element"
	grep -q 'replay: brownout sweep .*--repro t3.1 --trace' "$tmp/r.xml" || bad "no replay command"
	grep -q 'classname="scenario.ci-bad-image" name="seed 1"' "$tmp/r.xml" || bad "no seed testcase"
	exit $fail
fi

"$bin" report "$db" --format html -o "$tmp/r.html" || bad "html report"
grep -qi "<script" "$tmp/r.html" && bad "the page has a script"
grep -o '\(src\|href\)="[^"]*"' "$tmp/r.html" | grep -q . && bad "the page loads something"
profile=$(mktemp -d)
timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-background-networking \
	--disable-component-update --disable-sync --no-first-run --enable-logging=stderr \
	--user-data-dir="$profile" --dump-dom "file://$tmp/r.html" >"$tmp/dom.html" 2>"$tmp/chromium.err"
rc=$?
rm -rf "$profile"
[ $rc -eq 0 ] || { bad "chromium exited $rc"; tail -5 "$tmp/chromium.err"; }
grep -q "CONSOLE\|Uncaught" "$tmp/chromium.err" && { bad "console messages"; grep "CONSOLE\|Uncaught" "$tmp/chromium.err"; }
python3 - "$tmp/dom.html" <<'PY' || fail=1
import sys
from html.parser import HTMLParser

class Count(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags = []
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append((tag, set((a.get("class") or "").split()), a))

p = Count()
p.feed(open(sys.argv[1], encoding="utf-8").read())
def n(tag, *classes):
    return sum(1 for t, c, _ in p.tags if t == tag and set(classes) <= c)
checks = {
    "a page that loaded": n("h1") == 1,
    "failures per operation plot": n("svg", "ops-plot") == 1,
    "bars coloured by invariant (I1, I2, I3, I5)": all(n("rect", "op-bar", "inv-%d" % i) >= 1 for i in (1, 2, 3, 5)),
    # one per sweep: the engine stores erases per sector of every sweep (the planted 8 of
    # wrong-expect and nrf52840's 256 of the tiny sweep)
    "erases per sector plot": n("svg", "sector-plot") == 2 and n("rect", "sector-bar") == 8 + 256,
    "the wear bound line": n("line", "wear-bound") == 2,
    "a sector over the bound": n("rect", "sector-bar", "over") == 1,
    "one convergence plot per scenario": n("svg", "convergence-plot") == 2,
    "a curve per seed": n("polyline", "seed-curve") == 5,
    "a topology map per seed": n("svg", "topology-map") == 5,
    "every node on the maps": n("circle", "node") == 2 * 5 + 3 * 5,
    "updated nodes": n("circle", "outcome-updated") >= 10,
    "a reverted node": n("circle", "outcome-reverted") >= 1,
    "a bricked node": n("circle", "outcome-bricked") == 1,
    "failing sweep and scenario sections": n("section", "sweep", "fail") == 1 and n("section", "scenario") == 2,
    "a failures table": n("table", "failures") == 1,
}
bad = [k for k, ok in checks.items() if not ok]
for k in checks:
    print(("FAIL: " if k in bad else "ok: ") + k)
sys.exit(1 if bad else 0)
PY
exit $fail
