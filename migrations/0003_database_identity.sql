-- 0003: the database's identity, a random id made once. A saved plan records it, and a plan
-- made on another database is refused: its "read" profiles and task ids mean nothing here.
CREATE TABLE database_identity (
    only_row  INTEGER PRIMARY KEY CHECK (only_row = 1),
    id        TEXT NOT NULL CHECK (length(id) = 32 AND id NOT GLOB '*[^0-9a-f]*')
);
INSERT INTO database_identity (only_row, id) VALUES (1, lower(hex(randomblob(16))));
