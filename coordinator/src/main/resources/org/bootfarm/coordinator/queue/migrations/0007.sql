-- 0007: pinned inputs (issue 14). definition_digest: the definition a build builds, pinned at submission (its
-- files are in the artifact store under that digest); rebuild_of and pinned_buildinfo: for a rebuild, the build
-- it rebuilds and the sha256 of the buildinfo whose lock it installs. build_inputs: the package files a
-- SUCCEEDED build installed (its buildinfo's lock), by sha256, so retention keeps the inputs of kept builds; each
-- coordinator derives them from the build's buildinfo artifact (not replicated), and they go with their record.
ALTER TABLE builds ADD COLUMN definition_digest TEXT;
ALTER TABLE builds ADD COLUMN rebuild_of TEXT;
ALTER TABLE builds ADD COLUMN pinned_buildinfo TEXT;
CREATE TABLE build_inputs (
  build_id TEXT NOT NULL REFERENCES builds (id) ON DELETE CASCADE,
  sha256 TEXT NOT NULL,
  PRIMARY KEY (build_id, sha256)
);
