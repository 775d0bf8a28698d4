-- 0002: a run records where it went (its API base) and the plan it applied; each execution of a
-- run is a row of its own (a run's duration is the sum of its executions); a staged run has
-- waves; tasks know their wave and, for a saved plan, the profile the plan read; the circuit
-- breaker's and the adaptive rate's findings are kept per space; three new error kinds.

ALTER TABLE runs ADD COLUMN api_base TEXT;
ALTER TABLE runs ADD COLUMN plan_sha256 TEXT CHECK (plan_sha256 IS NULL OR length(plan_sha256) = 64);

CREATE TABLE executions (
    id           INTEGER PRIMARY KEY,
    run_id       INTEGER NOT NULL REFERENCES runs(id),
    number       INTEGER NOT NULL CHECK (number >= 1),
    started_at   TEXT NOT NULL,
    -- Both NULL while it runs, and after a kill -9 until the next execution closes it.
    finished_at  TEXT,
    ended        TEXT CHECK (ended IN ('finished', 'halted', 'interrupted')),
    halt_reason  TEXT,
    options      TEXT NOT NULL CHECK (json_valid(options)),
    -- How many tasks it set out to carry, and whether only the pending ones (retry --pending).
    tasks        INTEGER NOT NULL CHECK (tasks >= 0),
    pending_only INTEGER NOT NULL DEFAULT 0 CHECK (pending_only IN (0, 1)),
    UNIQUE (run_id, number),
    CHECK ((ended IS NULL) = (finished_at IS NULL))
);

INSERT INTO executions (run_id, number, started_at, finished_at, ended, halt_reason, options, tasks)
SELECT id, 1, started_at, finished_at, CASE state WHEN 'running' THEN NULL ELSE state END,
       CASE state WHEN 'running' THEN NULL ELSE halt_reason END, options,
       (SELECT count(*) FROM tasks WHERE tasks.run_id = runs.id)
FROM runs;

CREATE TABLE waves (
    run_id        INTEGER NOT NULL REFERENCES runs(id),
    number        INTEGER NOT NULL CHECK (number >= 1),
    -- The position (exclusive) where the wave's tasks end.
    end_position  INTEGER NOT NULL CHECK (end_position >= 1),
    state         TEXT NOT NULL DEFAULT 'pending'
                  CHECK (state IN ('pending', 'running', 'baking', 'gating', 'passed', 'halted')),
    bake_until    TEXT,
    gate_status   INTEGER,
    gate_output   TEXT,
    PRIMARY KEY (run_id, number)
) WITHOUT ROWID;

CREATE TABLE space_rates (
    run_id     INTEGER NOT NULL REFERENCES runs(id),
    space      TEXT NOT NULL,
    -- The adaptive rate at the end of the last execution, requests per second.
    rate       REAL NOT NULL CHECK (rate > 0),
    -- 429 answers over all executions.
    throttled  INTEGER NOT NULL DEFAULT 0 CHECK (throttled >= 0),
    -- Why the circuit breaker stopped the space in the last execution, if it did.
    stopped    TEXT,
    PRIMARY KEY (run_id, space)
) WITHOUT ROWID;

CREATE TABLE new_tasks (
    id           INTEGER PRIMARY KEY,
    run_id       INTEGER NOT NULL REFERENCES runs(id),
    project_ref  INTEGER NOT NULL REFERENCES projects(id),
    position     INTEGER NOT NULL,
    wave         INTEGER NOT NULL DEFAULT 1 CHECK (wave >= 1),
    state        TEXT NOT NULL DEFAULT 'pending'
                 CHECK (state IN ('pending', 'running', 'succeeded', 'unchanged', 'failed')),
    attempts     INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    http_status  INTEGER,
    error_kind   TEXT CHECK (error_kind IN ('unauthorized', 'validation', 'rate_limited', 'server', 'timeout',
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
INSERT INTO new_tasks (id, run_id, project_ref, position, state, attempts, http_status, error_kind, error, desired, updated_at)
SELECT id, run_id, project_ref, position, state, attempts, http_status, error_kind, error, desired, updated_at FROM tasks;
DROP TABLE tasks;
ALTER TABLE new_tasks RENAME TO tasks;
CREATE INDEX tasks_by_project ON tasks (project_ref);

CREATE TABLE new_attempts (
    id           INTEGER PRIMARY KEY,
    task_id      INTEGER NOT NULL REFERENCES tasks(id),
    number       INTEGER NOT NULL CHECK (number >= 1),
    method       TEXT NOT NULL CHECK (method IN ('GET', 'PUT')),
    started_at   TEXT NOT NULL,
    duration_ms  REAL NOT NULL CHECK (duration_ms >= 0),
    -- The status the server sent; NULL when no answer arrived (timeout, network, tls).
    http_status  INTEGER,
    error_kind   TEXT CHECK (error_kind IN ('unauthorized', 'validation', 'rate_limited', 'server', 'timeout',
                                            'network', 'protocol', 'tls')),
    message      TEXT,
    UNIQUE (task_id, number)
);
INSERT INTO new_attempts SELECT * FROM attempts;
DROP TABLE attempts;
ALTER TABLE new_attempts RENAME TO attempts;
