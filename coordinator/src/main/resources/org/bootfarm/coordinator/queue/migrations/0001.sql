-- 0001: builds, their components and their artifacts.
-- Instants are milliseconds since the epoch (INTEGER); priority is BuildPriority.rank (lower first).
-- Plain SQL that PostgreSQL also accepts (with BIGINT for the instants).
CREATE TABLE builds (
  id               TEXT PRIMARY KEY,
  repo             TEXT NOT NULL,
  target           TEXT NOT NULL,
  priority         INTEGER NOT NULL,
  options          TEXT NOT NULL,
  state            TEXT NOT NULL CHECK (state IN ('QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED')),
  worker           TEXT,
  attempts         INTEGER NOT NULL DEFAULT 0,
  placement        TEXT,
  error            TEXT,
  error_kind       TEXT CHECK (error_kind IN ('DETERMINISTIC', 'TRANSIENT')),
  submitted_at     INTEGER NOT NULL,
  started_at       INTEGER,
  finished_at      INTEGER,
  not_before       INTEGER,
  lease_owner      TEXT,
  lease_expires_at INTEGER,
  pinned           INTEGER NOT NULL DEFAULT 0
);

-- the queue in placement order
CREATE INDEX builds_queue ON builds (state, priority, id);
-- history by repo (and retention per repo and target)
CREATE INDEX builds_repo ON builds (repo, target, state);
-- the reconciler's expired leases
CREATE INDEX builds_lease ON builds (state, lease_expires_at);

CREATE TABLE build_components (
  build_id TEXT NOT NULL REFERENCES builds (id) ON DELETE CASCADE,
  name     TEXT NOT NULL,
  sha256   TEXT NOT NULL,
  PRIMARY KEY (build_id, name)
);
CREATE INDEX build_components_sha256 ON build_components (sha256);

CREATE TABLE build_artifacts (
  build_id TEXT NOT NULL REFERENCES builds (id) ON DELETE CASCADE,
  name     TEXT NOT NULL,
  sha256   TEXT NOT NULL,
  size     INTEGER NOT NULL,
  PRIMARY KEY (build_id, name)
);
CREATE INDEX build_artifacts_sha256 ON build_artifacts (sha256);
