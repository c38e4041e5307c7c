-- 0005: what a build installs without a signature check, as the coordinator decided at submission from the
-- operator's --allow-unsigned, as a JSON array of strings (e.g. ["fixture.repo [base]: gpgcheck=0"]); null
-- when every package is checked, and for builds recorded before this migration.
ALTER TABLE builds ADD COLUMN unsigned TEXT;
