-- The NGSI-LD context broker's storage (hand-written: Prisma 6 cannot express PostGIS types,
-- GIN/GiST indexes or partitioned tables; schema.prisma mirrors the columns it can).

CREATE EXTENSION IF NOT EXISTS postgis;

-- A tenant exists from its first write (NGSILD-Tenant); reads of an unknown one are 404 NonexistentTenant.
CREATE TABLE "tenant" (
    "name"       TEXT PRIMARY KEY,
    "created_at" TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Current state: one row per entity, names expanded to IRIs (see src/ngsi-ld/stored.ts).
CREATE TABLE "entity" (
    "pk"          BIGSERIAL PRIMARY KEY,
    "tenant"      TEXT NOT NULL REFERENCES "tenant" ("name"),
    "id"          TEXT NOT NULL,
    "types"       TEXT[] NOT NULL,
    "scopes"      TEXT[] NOT NULL DEFAULT '{}',
    "attrs"       JSONB NOT NULL DEFAULT '{}',
    "created_at"  TIMESTAMPTZ NOT NULL,
    "modified_at" TIMESTAMPTZ NOT NULL,
    CONSTRAINT "entity_tenant_id_key" UNIQUE ("tenant", "id")
);
-- type selection (`types && $types`), q equality and existence (`attrs @? path`), scopes.
CREATE INDEX "entity_types_idx" ON "entity" USING GIN ("types");
CREATE INDEX "entity_attrs_idx" ON "entity" USING GIN ("attrs" jsonb_path_ops);
CREATE INDEX "entity_scopes_idx" ON "entity" USING GIN ("scopes");
-- paging in a stable order within a tenant
CREATE INDEX "entity_tenant_pk_idx" ON "entity" ("tenant", "pk");

-- Every GeoProperty instance's geometry, for geoQ on any GeoProperty (`geoproperty=`).
CREATE TABLE "entity_geo" (
    "entity_pk"  BIGINT NOT NULL REFERENCES "entity" ("pk") ON DELETE CASCADE,
    "attr"       TEXT NOT NULL,
    "dataset_id" TEXT NOT NULL DEFAULT '',
    "geom"       geometry(Geometry, 4326) NOT NULL,
    PRIMARY KEY ("entity_pk", "attr", "dataset_id")
);
CREATE INDEX "entity_geo_geom_idx" ON "entity_geo" USING GIST ("geom");
CREATE INDEX "entity_geo_geog_idx" ON "entity_geo" USING GIST ((geography("geom")));

-- Attribute history: every instance an attribute ever had, written with the change that made
-- it (and by the temporal API). Partitioned by month of `ts` (= observedAt, else the time of the
-- change); src/temporal/history-partitions.ts creates the monthly partitions ahead, at boot and
-- on a timer, and moves into a new partition anything that still reached the default one.
CREATE TABLE "attribute_instance" (
    "tenant"      TEXT NOT NULL,
    "entity_id"   TEXT NOT NULL,
    "attr"        TEXT NOT NULL,
    "dataset_id"  TEXT NOT NULL DEFAULT '',
    "instance_id" UUID NOT NULL,
    "ts"          TIMESTAMPTZ NOT NULL,
    "observed_at" TIMESTAMPTZ,
    "created_at"  TIMESTAMPTZ NOT NULL,
    "modified_at" TIMESTAMPTZ NOT NULL,
    "deleted"     BOOLEAN NOT NULL DEFAULT false,
    "instance"    JSONB NOT NULL,
    -- The value as a number (booleans 1/0), extracted at write time so that aggregations read
    -- it from the index alone.
    "num"         DOUBLE PRECISION GENERATED ALWAYS AS (
        CASE jsonb_typeof("instance" -> 'value')
            WHEN 'number' THEN ("instance" -> 'value')::double precision
            WHEN 'boolean' THEN CASE WHEN ("instance" -> 'value')::boolean THEN 1 ELSE 0 END
        END) STORED
) PARTITION BY RANGE ("ts");
CREATE TABLE "attribute_instance_default" PARTITION OF "attribute_instance" DEFAULT;
-- One series per (entity, attribute, datasetId), in time order: time ranges, lastN (backwards)
-- and aggregations (covering: `num` and `deleted` come with the key).
CREATE INDEX "attribute_instance_series_idx" ON "attribute_instance" ("tenant", "entity_id", "attr", "dataset_id", "ts") INCLUDE ("num", "deleted");
-- PATCH/DELETE /temporal/entities/{id}/attrs/{attr}/{instanceId}
CREATE INDEX "attribute_instance_instance_idx" ON "attribute_instance" ("instance_id");

-- The entities the history knows, also after the current entity was deleted (`deleted_at`):
-- what temporal queries select by id, type and scope. Kept by the entity store's change hook
-- and by temporal writes; DELETE /temporal/entities/{id} removes the row with its history.
CREATE TABLE "temporal_entity" (
    "tenant"      TEXT NOT NULL REFERENCES "tenant" ("name"),
    "id"          TEXT NOT NULL,
    "types"       TEXT[] NOT NULL,
    "scopes"      TEXT[] NOT NULL DEFAULT '{}',
    "created_at"  TIMESTAMPTZ NOT NULL,
    "modified_at" TIMESTAMPTZ NOT NULL,
    "deleted_at"  TIMESTAMPTZ,
    PRIMARY KEY ("tenant", "id")
);
CREATE INDEX "temporal_entity_types_idx" ON "temporal_entity" USING GIN ("types");

-- @contexts the broker serves at /jsonldContexts: hosted (added by a client), cached (fetched
-- from a URL) and implicitly created (an inline @context of a request, so responses can link it).
CREATE TABLE "jsonld_context" (
    "id"           TEXT PRIMARY KEY,
    "url"          TEXT NOT NULL UNIQUE,
    "kind"         TEXT NOT NULL CHECK ("kind" IN ('Hosted', 'Cached', 'ImplicitlyCreated')),
    "body"         JSONB NOT NULL,
    "created_at"   TIMESTAMPTZ NOT NULL DEFAULT now(),
    "last_usage"   TIMESTAMPTZ,
    "hits"         BIGINT NOT NULL DEFAULT 0
);
