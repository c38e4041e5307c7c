-- 0002: its second statement fails, so the first must be rolled back with it
CREATE TABLE tags (name TEXT);
CREATE TABLE notes (id INTEGER);
