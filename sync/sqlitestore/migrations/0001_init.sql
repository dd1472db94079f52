-- +goose Up
-- records holds one row per synced record: the whole sync.Record as JSON in doc, plus the
-- columns that queries filter on. updated_at is Unix nanoseconds (UTC).
CREATE TABLE records (
    collection TEXT    NOT NULL,
    id         TEXT    NOT NULL,
    seq        INTEGER NOT NULL,
    deleted    INTEGER NOT NULL DEFAULT 0,
    updated_at INTEGER NOT NULL,
    doc        BLOB    NOT NULL,
    PRIMARY KEY (collection, id)
) WITHOUT ROWID;

-- record_tokens is the audience × seq lookup: one row per visibility token of a record
-- (revoked = 1 for a token of Record.Revoked), so that a pull is a range scan on (token, seq).
CREATE TABLE record_tokens (
    token      TEXT    NOT NULL,
    seq        INTEGER NOT NULL,
    collection TEXT    NOT NULL,
    id         TEXT    NOT NULL,
    revoked    INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (token, seq, collection, id),
    FOREIGN KEY (collection, id) REFERENCES records (collection, id) ON DELETE CASCADE
) WITHOUT ROWID;
CREATE INDEX record_tokens_record ON record_tokens (collection, id);

-- sequence is the one row of the global commit sequence: n is the highest number allocated,
-- purged the purge point.
CREATE TABLE sequence (
    id     INTEGER PRIMARY KEY CHECK (id = 1),
    n      INTEGER NOT NULL,
    purged INTEGER NOT NULL
);
INSERT INTO sequence (id, n, purged) VALUES (1, 0, 0);

-- sequence_inflight holds the reservations not yet released: first number and lease expiry
-- (Unix nanoseconds).
CREATE TABLE sequence_inflight (
    first      INTEGER PRIMARY KEY,
    expires_at INTEGER NOT NULL
);

-- mutations is the mutation log: one receipt (JSON) per idempotency key; at is Unix nanoseconds.
CREATE TABLE mutations (
    key TEXT    PRIMARY KEY,
    at  INTEGER NOT NULL,
    doc BLOB    NOT NULL
) WITHOUT ROWID;
CREATE INDEX mutations_at ON mutations (at);

-- +goose Down
DROP TABLE mutations;
DROP TABLE sequence_inflight;
DROP TABLE sequence;
DROP TABLE record_tokens;
DROP TABLE records;
