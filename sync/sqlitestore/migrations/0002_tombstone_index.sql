-- +goose Up
-- records_tombstones serves the tombstone purge (Records.TombstonesBefore, DeleteTombstones):
-- tombstones by the time of their last write.
CREATE INDEX records_tombstones ON records (deleted, updated_at, seq);

-- +goose Down
DROP INDEX records_tombstones;
