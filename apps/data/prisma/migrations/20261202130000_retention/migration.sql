-- Retention and data minimisation (issue 6, point 5): how long each tenant keeps the raw
-- attribute instances of an entity type (or of one attribute of it), and optionally its hourly
-- rollups for longer. '*' stands for every entity type or every attribute; the most specific
-- policy of a series applies.
CREATE TABLE "retention_policy" (
    "tenant"        TEXT NOT NULL,
    "entity_type"   TEXT NOT NULL DEFAULT '*',
    "attr"          TEXT NOT NULL DEFAULT '*',
    "raw_days"      INTEGER NOT NULL CHECK ("raw_days" >= 1),
    "rollup_days"   INTEGER CHECK ("rollup_days" IS NULL OR "rollup_days" >= "raw_days"),
    "updated_at"    TIMESTAMPTZ NOT NULL DEFAULT now(),
    "updated_by"    TEXT NOT NULL,
    PRIMARY KEY ("tenant", "entity_type", "attr"),
    CHECK ("entity_type" <> '*' OR "attr" = '*')
);

-- A purge removes whole hours of instances and manages their rollups itself (they may outlive the
-- instances); the delete trigger then must not recompute the hours it empties.
CREATE OR REPLACE FUNCTION attribute_rollup_removed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('urbis.retention_purge', true) = 'on' THEN RETURN NULL; END IF;
    PERFORM attribute_rollup_refresh((SELECT jsonb_agg(DISTINCT jsonb_build_object('tenant', tenant, 'entity_id', entity_id, 'attr', attr, 'dataset_id', dataset_id, 'hour', attribute_rollup_hour(ts))) FROM removed));
    RETURN NULL;
END $$;
