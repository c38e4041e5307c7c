-- 0003: nightly reproducibility runs and the pairs of builds they judge (a verify's pair has no run).
-- Each row keeps its whole record as JSON (api/v1 NightlyReport without pairs, ReproducibilityPair);
-- the columns beside it are what the coordinator looks rows up by.
-- scheduled_for is UNIQUE: a scheduled instant is run once, whichever coordinator is active then.
CREATE TABLE nightly_runs (
  id            TEXT PRIMARY KEY,
  scheduled_for INTEGER UNIQUE,
  started_at    INTEGER NOT NULL,
  finished_at   INTEGER,
  record        TEXT NOT NULL
);
CREATE INDEX nightly_runs_started ON nightly_runs (started_at);

CREATE TABLE reproducibility_pairs (
  id         TEXT PRIMARY KEY,
  run_id     TEXT,
  created_at INTEGER NOT NULL,
  judged_at  INTEGER,
  record     TEXT NOT NULL
);
CREATE INDEX reproducibility_pairs_run ON reproducibility_pairs (run_id);
CREATE INDEX reproducibility_pairs_open ON reproducibility_pairs (judged_at);
