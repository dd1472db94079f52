-- +goose Up
-- record_photos is the photo index (sync/blobs.Records): one row per photo a record refers to
-- (Record.Photos), replaced with the record by Records.UpdateMany in the same transaction.
-- created_at is the record's CreatedAt in Unix nanoseconds, for Claims' order.
CREATE TABLE record_photos (
    photo      TEXT    NOT NULL,
    collection TEXT    NOT NULL,
    id         TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (photo, collection, id),
    FOREIGN KEY (collection, id) REFERENCES records (collection, id) ON DELETE CASCADE
) WITHOUT ROWID;
CREATE INDEX record_photos_record ON record_photos (collection, id);
CREATE INDEX record_photos_claims ON record_photos (photo, created_at, collection, id);

-- Backfill from the records already stored. SQLite's date functions keep milliseconds, so a
-- backfilled created_at is CreatedAt truncated to the millisecond (rewritten exactly on the
-- record's next write; the zero time is 0, as in Go); only the order of claims created within the same millisecond can differ.
INSERT OR IGNORE INTO record_photos (photo, collection, id, created_at)
SELECT p.value, r.collection, r.id,
       CASE WHEN json_extract(r.doc, '$.CreatedAt') LIKE '0001-01-01T00:00:00%' THEN 0
            ELSE coalesce(CAST(round((julianday(json_extract(r.doc, '$.CreatedAt')) - 2440587.5) * 86400000.0) AS INTEGER) * 1000000, 0)
       END
FROM records r, json_each(r.doc, '$.Photos') p
WHERE json_type(r.doc, '$.Photos') = 'array' AND p.type = 'text';

-- +goose Down
DROP TABLE record_photos;
