-- 0004: how the run that ended a build used its worker's package cache, as JSON
-- {"downloaded": N, "bytesDownloaded": B, "fromCache": M}; null when unknown (older builds, failures).
ALTER TABLE builds ADD COLUMN package_cache TEXT;
