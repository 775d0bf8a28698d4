-- fleet's whole schema: the inventory, and every run, task, HTTP attempt and profile snapshot.
-- Invariants live here so no code path can break them.

CREATE TABLE spaces (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE
                CHECK (length(name) BETWEEN 1 AND 63
                       AND name NOT GLOB '*[^a-z0-9-]*'
                       AND name NOT GLOB '-*' AND name NOT GLOB '*-'),
    created_at  TEXT NOT NULL
);

CREATE TABLE projects (
    id          INTEGER PRIMARY KEY,
    space_id    INTEGER NOT NULL REFERENCES spaces(id),
    project_id  TEXT NOT NULL
                CHECK (length(project_id) = 36 AND project_id NOT GLOB '*[^0-9a-f-]*'),
    -- The API token, plain or sealed with FLEET_KEY ("aesgcm:" + base64). Never printed.
    token       TEXT NOT NULL CHECK (length(token) > 0),
    label       TEXT NOT NULL DEFAULT '',
    tags        TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(tags) AND json_type(tags) = 'array'),
    variables   TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(variables) AND json_type(variables) = 'object'),
    enabled     INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    UNIQUE (space_id, project_id)
);

CREATE TABLE runs (
    id               INTEGER PRIMARY KEY,
    kind             TEXT NOT NULL CHECK (kind IN ('rollout', 'rollback')),
    state            TEXT NOT NULL CHECK (state IN ('running', 'finished', 'halted', 'interrupted')),
    -- The template file's name and text as given; for a rollback, a description of it.
    template_name    TEXT NOT NULL,
    template         TEXT NOT NULL,
    template_sha256  TEXT NOT NULL CHECK (length(template_sha256) = 64),
    selection        TEXT NOT NULL CHECK (json_valid(selection)),
    options          TEXT NOT NULL CHECK (json_valid(options)),
    rollback_of      INTEGER REFERENCES runs(id),
    halt_reason      TEXT,
    started_at       TEXT NOT NULL,
    finished_at      TEXT,
    CHECK ((kind = 'rollback') = (rollback_of IS NOT NULL)),
    CHECK ((state = 'running') = (finished_at IS NULL))
);

CREATE TABLE tasks (
    id           INTEGER PRIMARY KEY,
    run_id       INTEGER NOT NULL REFERENCES runs(id),
    project_ref  INTEGER NOT NULL REFERENCES projects(id),
    position     INTEGER NOT NULL,
    state        TEXT NOT NULL DEFAULT 'pending'
                 CHECK (state IN ('pending', 'running', 'succeeded', 'unchanged', 'failed')),
    attempts     INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    http_status  INTEGER,
    error_kind   TEXT CHECK (error_kind IN ('unauthorized', 'validation', 'rate_limited', 'server',
                                            'timeout', 'network', 'protocol', 'render')),
    error        TEXT,
    -- For a rollback task: the exact profile to put back (the "before" of the run it undoes).
    desired      TEXT CHECK (desired IS NULL OR json_valid(desired)),
    updated_at   TEXT NOT NULL,
    UNIQUE (run_id, project_ref),
    UNIQUE (run_id, position),
    CHECK (state <> 'failed' OR error_kind IS NOT NULL)
);

CREATE TABLE attempts (
    id           INTEGER PRIMARY KEY,
    task_id      INTEGER NOT NULL REFERENCES tasks(id),
    number       INTEGER NOT NULL CHECK (number >= 1),
    method       TEXT NOT NULL CHECK (method IN ('GET', 'PUT')),
    started_at   TEXT NOT NULL,
    duration_ms  REAL NOT NULL CHECK (duration_ms >= 0),
    http_status  INTEGER,
    error_kind   TEXT CHECK (error_kind IN ('unauthorized', 'validation', 'rate_limited', 'server',
                                            'timeout', 'network', 'protocol')),
    message      TEXT,
    UNIQUE (task_id, number)
);

-- The profile a task found before its first PUT, and the one the API answered after it.
-- The "before" is written before the PUT is sent and never replaced, so rollback restores the
-- original even if a crash hid whether the PUT landed.
CREATE TABLE snapshots (
    task_id    INTEGER NOT NULL REFERENCES tasks(id),
    kind       TEXT NOT NULL CHECK (kind IN ('before', 'after')),
    profile    TEXT NOT NULL CHECK (json_valid(profile)),
    taken_at   TEXT NOT NULL,
    PRIMARY KEY (task_id, kind)
) WITHOUT ROWID;
