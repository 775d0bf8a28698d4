-- 0005: the change record. A run records the change (a ticket reference) and the reason it was
-- made under; every execution records who ran it (login and host name) and the change and reason
-- it was given (a retry may come under a new change).
ALTER TABLE runs ADD COLUMN change_id TEXT CHECK (change_id IS NULL OR length(change_id) BETWEEN 1 AND 100);
ALTER TABLE runs ADD COLUMN reason TEXT;
ALTER TABLE executions ADD COLUMN login TEXT;
ALTER TABLE executions ADD COLUMN host TEXT;
ALTER TABLE executions ADD COLUMN change_id TEXT CHECK (change_id IS NULL OR length(change_id) BETWEEN 1 AND 100);
ALTER TABLE executions ADD COLUMN reason TEXT;
