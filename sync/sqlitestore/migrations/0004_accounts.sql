-- +goose Up
-- The account tables (sync/accounts): users, teams, devices, refresh tokens, settings and the
-- audit log. Times are Unix nanoseconds (UTC), 0 for none.
CREATE TABLE users (
    id               TEXT    PRIMARY KEY,
    username         TEXT    NOT NULL UNIQUE,
    display_name     TEXT    NOT NULL,
    role             TEXT    NOT NULL,
    team_id          TEXT    NOT NULL,
    hire_date        TEXT    NOT NULL,
    probation_passed INTEGER NOT NULL,
    grade            TEXT    NOT NULL,
    monthly_pay_fen  INTEGER NOT NULL,
    disabled         INTEGER NOT NULL,
    password_hash    TEXT    NOT NULL,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX users_team ON users (team_id, username);

CREATE TABLE teams (
    id         TEXT    PRIMARY KEY,
    name       TEXT    NOT NULL UNIQUE,
    leader_id  TEXT    NOT NULL,
    created_at INTEGER NOT NULL
) WITHOUT ROWID;

-- devices: active mirrors revoked_at (as in the MongoDB adapter), and at most one active device
-- per (user, client id).
CREATE TABLE devices (
    id            TEXT    PRIMARY KEY,
    user_id       TEXT    NOT NULL,
    team_id       TEXT    NOT NULL,
    client_id     TEXT    NOT NULL,
    name          TEXT    NOT NULL,
    active        INTEGER NOT NULL,
    created_at    INTEGER NOT NULL,
    last_seen_at  INTEGER NOT NULL,
    revoked_at    INTEGER NOT NULL DEFAULT 0,
    revoked_by    TEXT    NOT NULL DEFAULT '',
    revoke_reason TEXT    NOT NULL DEFAULT ''
) WITHOUT ROWID;
CREATE UNIQUE INDEX devices_active_client ON devices (user_id, client_id) WHERE active = 1;
CREATE INDEX devices_user ON devices (user_id, last_seen_at);
CREATE INDEX devices_team ON devices (team_id, last_seen_at);

-- refresh_tokens: hash is the token's SHA-256 (hex).
CREATE TABLE refresh_tokens (
    hash       TEXT    PRIMARY KEY,
    user_id    TEXT    NOT NULL,
    device_id  TEXT    NOT NULL,
    state      TEXT    NOT NULL,
    issued_at  INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    rotated_at INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE INDEX refresh_tokens_device ON refresh_tokens (device_id);
CREATE INDEX refresh_tokens_user ON refresh_tokens (user_id);
CREATE INDEX refresh_tokens_expires ON refresh_tokens (expires_at);

CREATE TABLE settings (
    id         TEXT    PRIMARY KEY,
    value      BLOB    NOT NULL,
    created_at INTEGER NOT NULL
) WITHOUT ROWID;

-- audit_log is append-only; entries are ordered by (at, id), newest first.
CREATE TABLE audit_log (
    id         TEXT    PRIMARY KEY,
    at         INTEGER NOT NULL,
    user_id    TEXT    NOT NULL,
    username   TEXT    NOT NULL,
    role       TEXT    NOT NULL,
    team_id    TEXT    NOT NULL,
    device_id  TEXT    NOT NULL,
    address    TEXT    NOT NULL,
    action     TEXT    NOT NULL,
    collection TEXT    NOT NULL,
    record_id  TEXT    NOT NULL,
    detail     TEXT    NOT NULL
) WITHOUT ROWID;
CREATE INDEX audit_log_at ON audit_log (at, id);
CREATE INDEX audit_log_team ON audit_log (team_id, at, id);
CREATE INDEX audit_log_record ON audit_log (collection, record_id, at, id);

-- +goose Down
DROP TABLE audit_log;
DROP TABLE settings;
DROP TABLE refresh_tokens;
DROP TABLE devices;
DROP TABLE teams;
DROP TABLE users;
