-- 0001: a table of notes (a test schema at version 1)
CREATE TABLE notes (
  id   INTEGER PRIMARY KEY,
  text TEXT NOT NULL
);
