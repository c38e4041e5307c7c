-- 0002: notes get an author (a test schema at version 2)
ALTER TABLE notes ADD COLUMN author TEXT;
CREATE INDEX notes_author ON notes (author);
