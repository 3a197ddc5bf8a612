-- CreateEnum
CREATE TYPE "connector_kind" AS ENUM ('http-push', 'http-poll', 'opcua', 'modbus');

-- CreateEnum
CREATE TYPE "connector_state" AS ENUM ('running', 'paused', 'stopped');

-- CreateTable
CREATE TABLE "connector" (
    "id" UUID NOT NULL,
    "tenant" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "kind" "connector_kind" NOT NULL,
    "config" JSONB NOT NULL,
    "mapping" TEXT NOT NULL,
    "desired_state" "connector_state" NOT NULL DEFAULT 'running',
    "status" TEXT NOT NULL DEFAULT 'starting',
    "last_error" TEXT,
    "last_error_at" TIMESTAMPTZ,
    "push_secret_hash" TEXT,
    "poll_state" JSONB,
    "readings" BIGINT NOT NULL DEFAULT 0,
    "observations" BIGINT NOT NULL DEFAULT 0,
    "failures" BIGINT NOT NULL DEFAULT 0,
    "reconnects" BIGINT NOT NULL DEFAULT 0,
    "last_reading_at" TIMESTAMPTZ,
    "last_observation_at" TIMESTAMPTZ,
    "lease_owner" TEXT,
    "lease_until" TIMESTAMPTZ,
    "created_at" TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "connector_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "connector_desired_state_lease_until_idx" ON "connector"("desired_state", "lease_until");

-- CreateIndex
CREATE UNIQUE INDEX "connector_tenant_name_key" ON "connector"("tenant", "name");

