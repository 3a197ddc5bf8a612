-- NGSI-LD subscriptions (hand-written like 20261201180000_context_broker: the partial index is
-- beyond Prisma's schema language; schema.prisma mirrors the columns).

-- `body` is the subscription as the client gave it, names expanded (src/subscriptions/subscription.ts);
-- the columns beside it are what SQL needs: the periodic worker (time_interval, next_notification_at),
-- throttling across replicas (throttled_at), and the status fed by the delivery results.
CREATE TABLE "subscription" (
    "seq"                  BIGSERIAL PRIMARY KEY,
    "tenant"               TEXT NOT NULL REFERENCES "tenant" ("name"),
    "id"                   TEXT NOT NULL,
    "body"                 JSONB NOT NULL,
    "context"              JSONB,
    "context_link"         TEXT NOT NULL,
    "owner"                JSONB NOT NULL,
    "is_active"            BOOLEAN NOT NULL DEFAULT true,
    "expires_at"           TIMESTAMPTZ,
    "time_interval"        DOUBLE PRECISION,
    "throttling"           DOUBLE PRECISION,
    "next_notification_at" TIMESTAMPTZ,
    "throttled_at"         TIMESTAMPTZ,
    "times_sent"           BIGINT NOT NULL DEFAULT 0,
    "times_failed"         BIGINT NOT NULL DEFAULT 0,
    "last_notification"    TIMESTAMPTZ,
    "last_success"         TIMESTAMPTZ,
    "last_failure"         TIMESTAMPTZ,
    "created_at"           TIMESTAMPTZ NOT NULL,
    "modified_at"          TIMESTAMPTZ NOT NULL,
    CONSTRAINT "subscription_tenant_id_key" UNIQUE ("tenant", "id")
);

-- Customised: the periodic worker reads only the subscriptions that are due.
CREATE INDEX "subscription_periodic_idx" ON "subscription" ("next_notification_at") WHERE "time_interval" IS NOT NULL;
