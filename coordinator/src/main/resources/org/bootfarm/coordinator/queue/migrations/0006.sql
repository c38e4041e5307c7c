-- 0006: who submitted a build: the client name of the token of the call (its line in the tokens file), or
-- cluster-member for a member's own call; null for builds recorded before this migration.
ALTER TABLE builds ADD COLUMN submitted_by TEXT;
