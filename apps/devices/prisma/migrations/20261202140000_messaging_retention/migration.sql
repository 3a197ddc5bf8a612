-- Retention of the outbox and dedupe tables (libs/messaging pruneMessagingTables): published
-- outbox rows and dedupe claims are deleted once older than OUTBOX_RETENTION_SECONDS and
-- DEDUPE_RETENTION_SECONDS. Both tables are filled in time order, so a BRIN index finds the old
-- rows for the cost of a few pages, and costs next to nothing on insert.
CREATE INDEX outbox_event_created_brin ON outbox_event USING brin (created_at);
CREATE INDEX processed_event_processed_brin ON processed_event USING brin (processed_at);
