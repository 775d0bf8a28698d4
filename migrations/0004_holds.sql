-- 0004: holds (accepted deviations): a field of a project that plan and rollout leave as it is
-- live, who placed it, when, why, and until when. A run records the holds it was made with.
CREATE TABLE holds (
    project_ref  INTEGER NOT NULL REFERENCES projects(id),
    field        TEXT NOT NULL CHECK (field IN ('domain_identifier', 'default_codecs', 'default_ciphers',
                                                'default_encryption', 'default_send_as')),
    reason       TEXT NOT NULL CHECK (length(reason) > 0),
    -- login@host
    held_by      TEXT NOT NULL,
    held_at      TEXT NOT NULL,
    -- After this instant the hold no longer applies (it stays listed by `fleet holds --all`).
    until        TEXT,
    PRIMARY KEY (project_ref, field)
) WITHOUT ROWID;

ALTER TABLE runs ADD COLUMN holds TEXT CHECK (holds IS NULL OR (json_valid(holds) AND json_type(holds) = 'array'));
