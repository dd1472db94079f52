-- +goose Up
-- rate_limits holds the counters of the login rate limiter (LimiterStorage): key is the SHA-256
-- (hex) of the limiter key; exp is the expiry in Unix nanoseconds, 0 for none.
CREATE TABLE rate_limits (
    key TEXT    PRIMARY KEY,
    val BLOB    NOT NULL,
    exp INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE INDEX rate_limits_exp ON rate_limits (exp);

-- upload_locks holds the locks of UploadLocks: one row per lock name; exp is Unix nanoseconds.
CREATE TABLE upload_locks (
    id      TEXT    PRIMARY KEY,
    holder  TEXT    NOT NULL,
    exp     INTEGER NOT NULL,
    release INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;

-- blobs is the photo metadata (sync/blobs.Meta), keyed by SHA-256; times are Unix nanoseconds
-- (0: zero time); gps_lat/gps_lon are NULL without GPS.
CREATE TABLE blobs (
    hash               TEXT    PRIMARY KEY,
    size               INTEGER NOT NULL,
    content_type       TEXT    NOT NULL,
    uploader           TEXT    NOT NULL,
    team               TEXT    NOT NULL,
    created_at         INTEGER NOT NULL,
    gps_lat            REAL,
    gps_lon            REAL,
    referenced         INTEGER NOT NULL DEFAULT 0,
    last_referenced_at INTEGER NOT NULL DEFAULT 0,
    idle_since         INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX blobs_idle ON blobs (idle_since);

-- +goose Down
DROP TABLE blobs;
DROP TABLE upload_locks;
DROP TABLE rate_limits;
