-- brownout outcome database (default file brownout.db).
-- Versioned with PRAGMA user_version; written in WAL mode, one transaction per run or
-- sweep, so a killed run leaves no partial rows and a finished one is never lost.
-- Wall-clock columns (started_at, wall_s) are the only ones that differ between two runs
-- of the same input.

-- One power-cut sweep (`brownout sweep FILE`).
CREATE TABLE IF NOT EXISTS sweep (
    id               INTEGER PRIMARY KEY,
    name             TEXT    NOT NULL,  -- the file's `sweep:` name
    file             TEXT    NOT NULL,  -- path as given
    file_hash        TEXT    NOT NULL,  -- SHA-256 of the file's bytes, hex
    strategy         TEXT    NOT NULL,
    preset           TEXT    NOT NULL,
    depth            INTEGER NOT NULL,  -- nested cuts
    modes            TEXT    NOT NULL,  -- "between", "torn" or "between,torn"
    metastable       INTEGER NOT NULL,
    shard            TEXT,              -- "K/N" or NULL for the whole sweep
    tool_version     TEXT    NOT NULL,
    started_at       TEXT    NOT NULL,  -- UTC, ISO 8601 (wall clock)
    wall_s           REAL    NOT NULL,  -- (wall clock)
    workload_ops     INTEGER NOT NULL,  -- mutating flash operations of the uncut workload
    cut_points       INTEGER NOT NULL,  -- cut points checked, all depths
    distinct_states  INTEGER NOT NULL,  -- (flash content, step) states whose continuation ran
    failures         INTEGER NOT NULL,  -- cut points that broke an invariant
    i1_bricked       INTEGER NOT NULL,
    i2_hybrid        INTEGER NOT NULL,
    i3_converge      INTEGER NOT NULL,
    i4_flash         INTEGER NOT NULL,
    i5_wear          INTEGER NOT NULL,
    baseline_failed  INTEGER NOT NULL,  -- the uncut workload itself failed
    i6_false_positives INTEGER NOT NULL, -- reverted / fell to recovery with a good image
    wear_bound       INTEGER NOT NULL,  -- I5's bound for this workload
    baseline_busy_ms REAL    NOT NULL,  -- simulated flash time of the uncut workload
    pass             INTEGER NOT NULL,  -- 1 when failures = 0
    -- Version 4. Nullable because a version-3 file gains them by ALTER TABLE ADD COLUMN
    -- (reports/db.c): its old rows read NULL. Every row written by version 4 has them.
    fw_abort         INTEGER,           -- cuts where the firmware under test aborted
    app_error        INTEGER,           -- cuts where an application call failed
    failing_cuts     INTEGER            -- cut points that broke at least one invariant (the
                                        -- per-invariant counts may add up to more)
);

-- The failing cut points of a sweep (the first ones, canonical order), with repro IDs for
-- `brownout sweep FILE --repro ID --trace`.
CREATE TABLE IF NOT EXISTS sweep_failure (
    sweep_id   INTEGER NOT NULL REFERENCES sweep(id) ON DELETE CASCADE,
    repro      TEXT    NOT NULL,
    invariant  TEXT    NOT NULL,  -- the first broken invariant
    detail     TEXT    NOT NULL,
    -- Version 4 (NULL in rows of a migrated version-3 file).
    invariants TEXT,              -- every broken invariant of the cut, comma-separated
    expected   TEXT,              -- the file's expected end state
    observed   TEXT,              -- the end state reached
    op_index   INTEGER            -- operation index of the top-level cut
);
CREATE INDEX IF NOT EXISTS sweep_failure_by_sweep ON sweep_failure(sweep_id);
-- Version 4: `brownout report merge` looks sweeps up by name and runs by scenario and seed.
CREATE INDEX IF NOT EXISTS sweep_by_name ON sweep(name);

-- Schema version 5 adds five nullable `node` columns (pdus_queued, queue_peak,
-- pdus_dropped, relay_dropped, reason), added to an older file the same way.

-- Schema version 4 adds the three tables below and the nullable columns marked "Version 4"
-- (sweep, sweep_failure, node). Opening a version-3 file creates the tables and adds the
-- columns with ALTER TABLE in the one transaction that applies this file and sets
-- user_version, as for version 3.

-- The false positives (I6) of a sweep (the first ones, canonical order).
CREATE TABLE IF NOT EXISTS sweep_false_positive (
    sweep_id   INTEGER NOT NULL REFERENCES sweep(id) ON DELETE CASCADE,
    repro      TEXT    NOT NULL,
    detail     TEXT    NOT NULL,
    expected   TEXT,
    observed   TEXT,
    op_index   INTEGER
);
CREATE INDEX IF NOT EXISTS sweep_false_positive_by_sweep ON sweep_false_positive(sweep_id);

-- Failing cuts per top-level operation index and invariant (only non-zero counts).
CREATE TABLE IF NOT EXISTS sweep_op_failure (
    sweep_id   INTEGER NOT NULL REFERENCES sweep(id) ON DELETE CASCADE,
    op_index   INTEGER NOT NULL,
    invariant  TEXT    NOT NULL,
    count      INTEGER NOT NULL,
    PRIMARY KEY (sweep_id, op_index, invariant)
) WITHOUT ROWID;

-- Per sector of the device: the most erases any cut's continuation reached.
CREATE TABLE IF NOT EXISTS sweep_sector_erases (
    sweep_id   INTEGER NOT NULL REFERENCES sweep(id) ON DELETE CASCADE,
    sector     INTEGER NOT NULL,
    max_erases INTEGER NOT NULL,
    PRIMARY KEY (sweep_id, sector)
) WITHOUT ROWID;

-- Schema version 2 adds the scenario runs (`brownout run SCENARIO.yaml`): the tables below.
-- A version-1 file is migrated on open simply by creating them (every statement here is
-- IF NOT EXISTS); its sweep rows stay as they are.
--
-- How a run is written (reports/db_run.c), so that a killed run is visible as one and
-- leaves nothing else:
--   1. bo_db_run_begin inserts the `run` row with status 'incomplete' and commits it at
--      once, so every attempt is recorded;
--   2. all of the run's node, expectation, metric and event rows, and the final update of
--      its `run` row (status 'complete', wall_s, sim_end_us, pass), go in ONE second
--      transaction that bo_db_run_finish commits.
-- A process killed before that commit leaves exactly the 'incomplete' run row and no row
-- in the other tables; a write error rolls the second transaction back the same way.
--
-- Schema version 3 adds six columns to `node` (confirmed, flash_cuts, installs, offers,
-- verdict, target). Opening a version-2 file adds them with ALTER TABLE in the same
-- transaction that applies this file and sets user_version; a version-1 file gets the
-- whole `node` table below. A file of a newer version is refused.
--
-- Times of the simulation are integer microseconds of virtual time (deterministic);
-- started_at and wall_s are the only wall-clock columns.

-- One simulated scenario run with one seed.
CREATE TABLE IF NOT EXISTS run (
    id               INTEGER PRIMARY KEY,
    scenario         TEXT    NOT NULL,  -- the scenario's name
    scenario_file    TEXT    NOT NULL,  -- path as given
    scenario_hash    TEXT    NOT NULL,  -- SHA-256 of the file's bytes, hex
    seed             INTEGER NOT NULL,  -- the 64-bit seed, stored as a signed 64-bit value
    tool_version     TEXT    NOT NULL,
    started_at       TEXT    NOT NULL,  -- UTC, ISO 8601 (wall clock)
    wall_s           REAL,              -- (wall clock); NULL while incomplete
    sim_end_us       INTEGER,           -- virtual time at the end; NULL while incomplete
    status           TEXT    NOT NULL DEFAULT 'incomplete'
                     CHECK (status IN ('complete', 'incomplete')),
    pass             INTEGER            -- 1 when every expectation holds; NULL while incomplete
);
-- Version 4, for `brownout report merge` (the columns exist since version 2).
CREATE INDEX IF NOT EXISTS run_by_seed ON run(scenario_hash, seed);

-- Each node's outcome at the end of a run.
CREATE TABLE IF NOT EXISTS node (
    run_id           INTEGER NOT NULL REFERENCES run(id) ON DELETE CASCADE,
    node             INTEGER NOT NULL,  -- node id (its unicast address)
    role             TEXT    NOT NULL,  -- e.g. "initiator", "distributor", "target", "relay"
    x                REAL    NOT NULL,  -- position
    y                REAL    NOT NULL,
    initial_fw       TEXT,              -- firmware version at start (NULL: none)
    final_fw         TEXT,              -- firmware version running at the end (NULL: none)
    running_slot     TEXT,              -- slot it runs from at the end (NULL: none, bricked)
    boots            INTEGER NOT NULL,
    power_cuts       INTEGER NOT NULL,
    reverts          INTEGER NOT NULL,
    recovery_boots   INTEGER NOT NULL,
    bricked          INTEGER NOT NULL,  -- 0 or 1
    converged_us     INTEGER,           -- virtual time it reached the target firmware; NULL if never
    flash_erases     INTEGER NOT NULL,
    flash_programs   INTEGER NOT NULL,
    max_sector_erases INTEGER NOT NULL, -- erases of its most-erased sector
    -- Version 3. Nullable because a version-2 file gains them by ALTER TABLE ADD COLUMN
    -- (reports/db.c, with these same definitions): its old rows read NULL in all six.
    -- Every row written by version 3 has all of them but verdict set.
    confirmed        INTEGER,           -- 0 or 1: the running primary image is confirmed
    flash_cuts       INTEGER,           -- of power_cuts, those inside a flash operation
    installs         INTEGER,           -- boots that installed an upgrade
    offers           INTEGER,           -- distributions it was in (all waves, all retries)
    verdict          TEXT,              -- the Initiator's last verdict for it: pending,
                                        -- updated, verified, verify-failed, reverted,
                                        -- unbootable, rejected, refused-before, lost or
                                        -- cancelled; NULL for a non-target
    target           INTEGER,           -- 0 or 1: in the Initiator's targets
    -- Version 4 (NULL in rows of a migrated file, and where unknown).
    wave             INTEGER,           -- the rollout wave it is in, from 0; NULL: none
    hops             INTEGER,           -- hops from the Distributor through relays; NULL:
                                        -- no path
    rx_start_us      INTEGER,           -- virtual time the first distribution it is in
                                        -- started (the Distributor begins sending to its
                                        -- wave); NULL: never offered
    -- Version 5 (NULL in rows of a migrated file): congestion at the node, and why a
    -- target did not converge.
    pdus_queued      INTEGER,           -- network PDUs that waited behind another one for
                                        -- its advertiser
    queue_peak       INTEGER,           -- the most PDUs queued there at once
    pdus_dropped     INTEGER,           -- PDUs dropped for lack of advertising or relay
                                        -- buffers (its own and relayed ones)
    relay_dropped    INTEGER,           -- of pdus_dropped, relayed PDUs (relay_buffers full)
    reason           TEXT,              -- a target that did not converge: why, in words
                                        -- (where the rollout gave up on it); else NULL
    PRIMARY KEY (run_id, node)
) WITHOUT ROWID;

-- The scenario's expectations and how they came out.
CREATE TABLE IF NOT EXISTS expectation (
    run_id           INTEGER NOT NULL REFERENCES run(id) ON DELETE CASCADE,
    name             TEXT    NOT NULL,
    pass             INTEGER NOT NULL,  -- 0 or 1
    observed         TEXT    NOT NULL,
    expected         TEXT    NOT NULL
);
CREATE INDEX IF NOT EXISTS expectation_by_run ON expectation(run_id);

-- Named numbers of a run: convergence time p50, p95, max, messages sent, retries...
CREATE TABLE IF NOT EXISTS metric (
    run_id           INTEGER NOT NULL REFERENCES run(id) ON DELETE CASCADE,
    name             TEXT    NOT NULL,
    value            REAL    NOT NULL,
    PRIMARY KEY (run_id, name)
) WITHOUT ROWID;

-- What happened, in time order. level: 1 outcome (power cut, boot, revert, brick,
-- converged), 2 progress (phases, retries), 3 trace (messages). A run keeps the events up
-- to its chosen level, so large runs stay small.
CREATE TABLE IF NOT EXISTS event (
    run_id           INTEGER NOT NULL REFERENCES run(id) ON DELETE CASCADE,
    t_us             INTEGER NOT NULL,  -- virtual time
    node             INTEGER,           -- NULL for the whole network
    level            INTEGER NOT NULL,
    kind             TEXT    NOT NULL,
    detail           TEXT    NOT NULL
);
CREATE INDEX IF NOT EXISTS event_by_run ON event(run_id, t_us);
