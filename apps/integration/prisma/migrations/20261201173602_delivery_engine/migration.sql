-- CreateEnum
CREATE TYPE "delivery_kind" AS ENUM ('notification', 'webhook');

-- CreateEnum
CREATE TYPE "delivery_status" AS ENUM ('pending', 'delivered', 'dead-lettered');

-- CreateEnum
CREATE TYPE "circuit_state" AS ENUM ('closed', 'open', 'half-open');

-- CreateTable
CREATE TABLE "endpoint" (
    "id" UUID NOT NULL,
    "tenant" TEXT NOT NULL,
    "target" TEXT NOT NULL,
    "circuit_state" "circuit_state" NOT NULL DEFAULT 'closed',
    "consecutive_failures" INTEGER NOT NULL DEFAULT 0,
    "circuit_reopens" INTEGER NOT NULL DEFAULT 0,
    "circuit_opened_at" TIMESTAMPTZ,
    "next_attempt_at" TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lease_owner" TEXT,
    "lease_until" TIMESTAMPTZ,
    "last_success_at" TIMESTAMPTZ,
    "last_failure_at" TIMESTAMPTZ,
    "last_error" TEXT,
    "created_at" TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "endpoint_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "delivery" (
    "id" UUID NOT NULL,
    "seq" BIGSERIAL NOT NULL,
    "tenant" TEXT NOT NULL,
    "endpoint_id" UUID NOT NULL,
    "kind" "delivery_kind" NOT NULL,
    "correlation_id" TEXT NOT NULL,
    "subscription_id" TEXT,
    "webhook_id" UUID,
    "dedupe_key" TEXT NOT NULL,
    "uri" TEXT NOT NULL,
    "content_type" TEXT NOT NULL,
    "headers" JSONB NOT NULL DEFAULT '{}',
    "body" TEXT NOT NULL,
    "status" "delivery_status" NOT NULL DEFAULT 'pending',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "replays" INTEGER NOT NULL DEFAULT 0,
    "first_attempt_at" TIMESTAMPTZ,
    "last_attempt_at" TIMESTAMPTZ,
    "last_failure_at" TIMESTAMPTZ,
    "last_status_code" INTEGER,
    "last_error" TEXT,
    "expires_at" TIMESTAMPTZ NOT NULL,
    "created_at" TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "completed_at" TIMESTAMPTZ,

    CONSTRAINT "delivery_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "delivery_attempt" (
    "id" BIGSERIAL NOT NULL,
    "tenant" TEXT NOT NULL,
    "delivery_id" UUID NOT NULL,
    "endpoint_id" UUID NOT NULL,
    "attempt" INTEGER NOT NULL,
    "started_at" TIMESTAMPTZ NOT NULL,
    "duration_ms" INTEGER NOT NULL,
    "succeeded" BOOLEAN NOT NULL,
    "status_code" INTEGER,
    "error" TEXT,
    "retry_at" TIMESTAMPTZ,

    CONSTRAINT "delivery_attempt_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "destination_policy" (
    "tenant" TEXT NOT NULL,
    "allow_loopback" BOOLEAN NOT NULL DEFAULT false,
    "allow_private" BOOLEAN NOT NULL DEFAULT false,
    "allow_link_local" BOOLEAN NOT NULL DEFAULT false,
    "allowed_networks" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "updated_by" TEXT,
    "updated_at" TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "destination_policy_pkey" PRIMARY KEY ("tenant")
);

-- CreateIndex
CREATE INDEX "endpoint_next_attempt_at_idx" ON "endpoint"("next_attempt_at");

-- CreateIndex
CREATE UNIQUE INDEX "endpoint_tenant_target_key" ON "endpoint"("tenant", "target");

-- CreateIndex
CREATE UNIQUE INDEX "delivery_seq_key" ON "delivery"("seq");

-- CreateIndex
CREATE UNIQUE INDEX "delivery_dedupe_key_key" ON "delivery"("dedupe_key");

-- CreateIndex
CREATE INDEX "delivery_endpoint_id_status_seq_idx" ON "delivery"("endpoint_id", "status", "seq");

-- CreateIndex
CREATE INDEX "delivery_tenant_status_created_at_idx" ON "delivery"("tenant", "status", "created_at");

-- CreateIndex
CREATE INDEX "delivery_tenant_correlation_id_idx" ON "delivery"("tenant", "correlation_id");

-- CreateIndex
CREATE INDEX "delivery_attempt_delivery_id_attempt_idx" ON "delivery_attempt"("delivery_id", "attempt");

-- CreateIndex
CREATE INDEX "delivery_attempt_tenant_started_at_idx" ON "delivery_attempt"("tenant", "started_at");

-- AddForeignKey
ALTER TABLE "delivery" ADD CONSTRAINT "delivery_endpoint_id_fkey" FOREIGN KEY ("endpoint_id") REFERENCES "endpoint"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "delivery_attempt" ADD CONSTRAINT "delivery_attempt_delivery_id_fkey" FOREIGN KEY ("delivery_id") REFERENCES "delivery"("id") ON DELETE CASCADE ON UPDATE CASCADE;

