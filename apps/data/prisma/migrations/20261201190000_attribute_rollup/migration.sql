-- Hourly rollups of the attribute history (ADR 0009): count, numbers, sum, sum of squares, min and
-- max of the numeric values of each series per UTC hour, so that aggregations over long ranges
-- (options=aggregatedValues with whole-hour periods from a whole hour) read one row per hour
-- instead of every instance. Kept exact by statement triggers on attribute_instance: an insert
-- adds its rows' contribution; an update or delete recomputes the hours it touched from the
-- instances themselves (min and max cannot be taken back).

CREATE TABLE "attribute_rollup" (
    "tenant"     TEXT NOT NULL,
    "entity_id"  TEXT NOT NULL,
    "attr"       TEXT NOT NULL,
    "dataset_id" TEXT NOT NULL,
    "hour"       TIMESTAMPTZ NOT NULL,
    "instances"  BIGINT NOT NULL,
    "numbers"    BIGINT NOT NULL,
    "sum"        DOUBLE PRECISION NOT NULL,
    "sumsq"      DOUBLE PRECISION NOT NULL,
    "min"        DOUBLE PRECISION,
    "max"        DOUBLE PRECISION,
    PRIMARY KEY ("tenant", "entity_id", "attr", "dataset_id", "hour")
);

-- The UTC hour of an instant, whatever the session's time zone.
CREATE FUNCTION attribute_rollup_hour(ts TIMESTAMPTZ) RETURNS TIMESTAMPTZ
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN date_bin('1 hour', ts, TIMESTAMPTZ '2000-01-01 00:00:00+00');

-- Recomputes the rollups of the given series hours from the instances.
CREATE FUNCTION attribute_rollup_refresh(changed JSONB) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF changed IS NULL THEN RETURN; END IF;
    DELETE FROM attribute_rollup u
     USING jsonb_to_recordset(changed) AS k(tenant text, entity_id text, attr text, dataset_id text, hour timestamptz)
     WHERE u.tenant = k.tenant AND u.entity_id = k.entity_id AND u.attr = k.attr AND u.dataset_id = k.dataset_id AND u.hour = k.hour;
    INSERT INTO attribute_rollup (tenant, entity_id, attr, dataset_id, hour, instances, numbers, sum, sumsq, min, max)
    SELECT k.tenant, k.entity_id, k.attr, k.dataset_id, k.hour, count(*), count(a.num), COALESCE(sum(a.num), 0), COALESCE(sum(a.num * a.num), 0), min(a.num), max(a.num)
      FROM (SELECT DISTINCT * FROM jsonb_to_recordset(changed) AS r(tenant text, entity_id text, attr text, dataset_id text, hour timestamptz)) k
      JOIN attribute_instance a ON a.tenant = k.tenant AND a.entity_id = k.entity_id AND a.attr = k.attr AND a.dataset_id = k.dataset_id
                               AND a.ts >= k.hour AND a.ts < k.hour + INTERVAL '1 hour' AND NOT a.deleted
     GROUP BY k.tenant, k.entity_id, k.attr, k.dataset_id, k.hour;
END $$;

CREATE FUNCTION attribute_rollup_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO attribute_rollup AS u (tenant, entity_id, attr, dataset_id, hour, instances, numbers, sum, sumsq, min, max)
    SELECT tenant, entity_id, attr, dataset_id, attribute_rollup_hour(ts), count(*), count(num), COALESCE(sum(num), 0), COALESCE(sum(num * num), 0), min(num), max(num)
      FROM added WHERE NOT deleted
     GROUP BY 1, 2, 3, 4, 5
     -- in key order, so that concurrent writers of the same series wait rather than deadlock
     ORDER BY 1, 2, 3, 4, 5
    ON CONFLICT (tenant, entity_id, attr, dataset_id, hour) DO UPDATE
       SET instances = u.instances + EXCLUDED.instances, numbers = u.numbers + EXCLUDED.numbers,
           sum = u.sum + EXCLUDED.sum, sumsq = u.sumsq + EXCLUDED.sumsq,
           min = LEAST(u.min, EXCLUDED.min), max = GREATEST(u.max, EXCLUDED.max);
    RETURN NULL;
END $$;

CREATE FUNCTION attribute_rollup_removed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM attribute_rollup_refresh((SELECT jsonb_agg(DISTINCT jsonb_build_object('tenant', tenant, 'entity_id', entity_id, 'attr', attr, 'dataset_id', dataset_id, 'hour', attribute_rollup_hour(ts))) FROM removed));
    RETURN NULL;
END $$;

CREATE FUNCTION attribute_rollup_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM attribute_rollup_refresh((
        SELECT jsonb_agg(DISTINCT jsonb_build_object('tenant', tenant, 'entity_id', entity_id, 'attr', attr, 'dataset_id', dataset_id, 'hour', attribute_rollup_hour(ts)))
          FROM (SELECT tenant, entity_id, attr, dataset_id, ts FROM removed UNION ALL SELECT tenant, entity_id, attr, dataset_id, ts FROM added) touched));
    RETURN NULL;
END $$;

-- On the partitioned table: statements on it fire them, whichever partitions the rows are in.
CREATE TRIGGER "attribute_rollup_insert" AFTER INSERT ON "attribute_instance" REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION attribute_rollup_inserted();
CREATE TRIGGER "attribute_rollup_delete" AFTER DELETE ON "attribute_instance" REFERENCING OLD TABLE AS removed FOR EACH STATEMENT EXECUTE FUNCTION attribute_rollup_removed();
CREATE TRIGGER "attribute_rollup_update" AFTER UPDATE ON "attribute_instance" REFERENCING OLD TABLE AS removed NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION attribute_rollup_updated();
