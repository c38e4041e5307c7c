-- 0009: the QUEUED builds no placing pass has noted yet (new submissions), by placement order, so that a pass with
-- no live worker reads only those (ADR 0051) instead of walking the whole queue, however long, every 500 ms.
CREATE INDEX builds_unnoted ON builds (priority, id) WHERE state = 'QUEUED' AND placement IS NULL;
