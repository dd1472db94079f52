-- +goose Up
-- The rules engine's tables (sync/compute): the worker lease and checkpoint (one row each), the
-- closed months with the incidents they froze, the policy versions, and each device's last
-- push and pull. Times are Unix nanoseconds (UTC), 0 for none.
CREATE TABLE compute_lease (
    id    INTEGER PRIMARY KEY CHECK (id = 1),
    owner TEXT    NOT NULL,
    until INTEGER NOT NULL
);

CREATE TABLE compute_checkpoint (
    id             INTEGER PRIMARY KEY CHECK (id = 1),
    seq            INTEGER NOT NULL,
    policy_version INTEGER NOT NULL,
    r1_through     INTEGER NOT NULL,
    baseline       TEXT    NOT NULL
);

-- closed_months: scores is the frozen assessments as JSON.
CREATE TABLE closed_months (
    team      TEXT    NOT NULL,
    month     TEXT    NOT NULL,
    closed_at INTEGER NOT NULL,
    closed_by TEXT    NOT NULL,
    scores    BLOB    NOT NULL,
    done      INTEGER NOT NULL,
    PRIMARY KEY (team, month)
) WITHOUT ROWID;
CREATE INDEX closed_months_month ON closed_months (month, team);

CREATE TABLE closed_month_incidents (
    team        TEXT NOT NULL,
    month       TEXT NOT NULL,
    incident_id TEXT NOT NULL,
    PRIMARY KEY (team, incident_id, month),
    FOREIGN KEY (team, month) REFERENCES closed_months (team, month) ON DELETE CASCADE
) WITHOUT ROWID;

-- policies: policy is the domain.Policy's JSON form.
CREATE TABLE policies (
    version        INTEGER PRIMARY KEY,
    effective_from TEXT    NOT NULL,
    policy         BLOB    NOT NULL,
    created_at     INTEGER NOT NULL,
    created_by     TEXT    NOT NULL
);

ALTER TABLE devices ADD COLUMN last_push_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE devices ADD COLUMN last_pull_at INTEGER NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE devices DROP COLUMN last_pull_at;
ALTER TABLE devices DROP COLUMN last_push_at;
DROP TABLE policies;
DROP TABLE closed_month_incidents;
DROP TABLE closed_months;
DROP TABLE compute_checkpoint;
DROP TABLE compute_lease;
