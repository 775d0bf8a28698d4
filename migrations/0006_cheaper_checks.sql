-- 0006: the same constraints on tasks and attempts, cheaper to check. SQLite checks
-- `x IN ('a', 'b', 'c', …)` in a CHECK constraint by building a small table for every row it
-- writes (1 to 2 µs a row: a third of what recording a task's update cost); the same sets as
-- comparisons cost nothing measurable, and an error kind is only looked up when there is one.
-- These are the two tables a run writes for every request; their rows are kept as they are.

CREATE TABLE new_tasks (
    id           INTEGER PRIMARY KEY,
    run_id       INTEGER NOT NULL REFERENCES runs(id),
    project_ref  INTEGER NOT NULL REFERENCES projects(id),
    position     INTEGER NOT NULL,
    wave         INTEGER NOT NULL DEFAULT 1 CHECK (wave >= 1),
    state        TEXT NOT NULL DEFAULT 'pending'
                 CHECK (state = 'pending' OR state = 'running' OR state = 'succeeded' OR state = 'unchanged'
                        OR state = 'failed'),
    attempts     INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    http_status  INTEGER,
    error_kind   TEXT CHECK (error_kind IS NULL
                             OR error_kind IN ('unauthorized', 'validation', 'rate_limited', 'server', 'timeout',
                                               'network', 'protocol', 'render', 'conflict', 'tls', 'unreachable')),
    error        TEXT,
    -- For a rollback task: the exact profile to put back; for a saved plan: the body to write.
    desired      TEXT CHECK (desired IS NULL OR json_valid(desired)),
    -- For a saved plan: the profile the plan read; a live profile that differs is a conflict.
    expected     TEXT CHECK (expected IS NULL OR json_valid(expected)),
    updated_at   TEXT NOT NULL,
    UNIQUE (run_id, project_ref),
    UNIQUE (run_id, position),
    CHECK (state <> 'failed' OR error_kind IS NOT NULL),
    CHECK (error_kind <> 'unreachable' OR state = 'pending')
);
INSERT INTO new_tasks (id, run_id, project_ref, position, wave, state, attempts, http_status, error_kind, error,
                       desired, expected, updated_at)
SELECT id, run_id, project_ref, position, wave, state, attempts, http_status, error_kind, error, desired, expected,
       updated_at
FROM tasks;
DROP TABLE tasks;
ALTER TABLE new_tasks RENAME TO tasks;
CREATE INDEX tasks_by_project ON tasks (project_ref);

CREATE TABLE new_attempts (
    id           INTEGER PRIMARY KEY,
    task_id      INTEGER NOT NULL REFERENCES tasks(id),
    number       INTEGER NOT NULL CHECK (number >= 1),
    method       TEXT NOT NULL CHECK (method = 'GET' OR method = 'PUT'),
    started_at   TEXT NOT NULL,
    duration_ms  REAL NOT NULL CHECK (duration_ms >= 0),
    -- The status the server sent; NULL when no answer arrived (timeout, network, tls).
    http_status  INTEGER,
    error_kind   TEXT CHECK (error_kind IS NULL
                             OR error_kind IN ('unauthorized', 'validation', 'rate_limited', 'server', 'timeout',
                                               'network', 'protocol', 'tls')),
    message      TEXT,
    UNIQUE (task_id, number)
);
INSERT INTO new_attempts (id, task_id, number, method, started_at, duration_ms, http_status, error_kind, message)
SELECT id, task_id, number, method, started_at, duration_ms, http_status, error_kind, message FROM attempts;
DROP TABLE attempts;
ALTER TABLE new_attempts RENAME TO attempts;

-- A run's failed attempts (its report counts them by kind) from an index of those alone: a
-- request that succeeds adds nothing to it, and the report no longer reads every attempt.
CREATE INDEX attempts_failed ON attempts (task_id) WHERE error_kind IS NOT NULL;
