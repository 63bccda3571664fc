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
    pass             INTEGER NOT NULL   -- 1 when failures = 0
);

-- The failing cut points of a sweep (the first ones, canonical order), with repro IDs for
-- `brownout sweep FILE --repro ID --trace`.
CREATE TABLE IF NOT EXISTS sweep_failure (
    sweep_id   INTEGER NOT NULL REFERENCES sweep(id) ON DELETE CASCADE,
    repro      TEXT    NOT NULL,
    invariant  TEXT    NOT NULL,
    detail     TEXT    NOT NULL
);
CREATE INDEX IF NOT EXISTS sweep_failure_by_sweep ON sweep_failure(sweep_id);
