-- 0001: a table of notes, edited after it was applied (which migrations must refuse)
CREATE TABLE notes (
  id   INTEGER PRIMARY KEY,
  body TEXT NOT NULL
);
