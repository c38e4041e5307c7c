-- 0008: the sha256 of a REPRODUCIBLE pair's signed attestation (ADR 0044), beside its record, so that retention
-- keeps it on whichever coordinator is active: the coordinator that signed it also pins it in its own artifact
-- store, but a standby's copy is no pin of its own. Pairs judged before this column keep only that pin.
ALTER TABLE reproducibility_pairs ADD COLUMN attestation_sha256 TEXT;
