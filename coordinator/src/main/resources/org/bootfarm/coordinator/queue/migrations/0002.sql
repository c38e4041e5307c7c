-- 0002: the sha256 of the whole log of the run that ended a build, kept in the artifact store
-- (GET /api/v1/artifacts/{sha256}); null for builds recorded before this migration, builds that
-- never ran and builds the coordinator failed or cancelled itself.
ALTER TABLE builds ADD COLUMN log_sha256 TEXT;
