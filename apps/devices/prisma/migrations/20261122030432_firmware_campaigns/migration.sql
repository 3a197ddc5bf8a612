-- CreateEnum
CREATE TYPE "campaign_status" AS ENUM ('running', 'paused', 'completed', 'cancelled', 'rolling_back', 'rolled_back');

-- CreateEnum
CREATE TYPE "campaign_device_status" AS ENUM ('queued', 'notified', 'downloading', 'installing', 'succeeded', 'failed', 'rolled_back');

-- CreateTable
CREATE TABLE "firmware_artifact" (
    "id" UUID NOT NULL,
    "tenant" TEXT NOT NULL,
    "version" TEXT NOT NULL,
    "sha256" TEXT NOT NULL,
    "size_bytes" INTEGER NOT NULL,
    "url" TEXT NOT NULL,
    "description" TEXT,
    "created_at" TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "firmware_artifact_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "firmware_campaign" (
    "id" UUID NOT NULL,
    "tenant" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "artifact_id" UUID NOT NULL,
    "rollback_artifact_id" UUID,
    "target" JSONB NOT NULL,
    "waves" INTEGER[],
    "success_threshold" DOUBLE PRECISION NOT NULL,
    "failure_threshold" DOUBLE PRECISION NOT NULL,
    "command_ttl_seconds" INTEGER NOT NULL,
    "status" "campaign_status" NOT NULL DEFAULT 'running',
    "current_wave" INTEGER NOT NULL DEFAULT 0,
    "status_reason" TEXT,
    "created_at" TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ NOT NULL,

    CONSTRAINT "firmware_campaign_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "campaign_device" (
    "campaign_id" UUID NOT NULL,
    "tenant" TEXT NOT NULL,
    "device_id" TEXT NOT NULL,
    "wave" INTEGER NOT NULL,
    "status" "campaign_device_status" NOT NULL DEFAULT 'queued',
    "command_id" UUID,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "notified_at" TIMESTAMPTZ,
    "last_error" TEXT,
    "updated_at" TIMESTAMPTZ NOT NULL,

    CONSTRAINT "campaign_device_pkey" PRIMARY KEY ("campaign_id","device_id")
);

-- CreateIndex
CREATE UNIQUE INDEX "firmware_artifact_tenant_version_key" ON "firmware_artifact"("tenant", "version");

-- CreateIndex
CREATE INDEX "firmware_campaign_status_idx" ON "firmware_campaign"("status");

-- CreateIndex
CREATE UNIQUE INDEX "firmware_campaign_tenant_name_key" ON "firmware_campaign"("tenant", "name");

-- CreateIndex
CREATE INDEX "campaign_device_tenant_device_id_idx" ON "campaign_device"("tenant", "device_id");

-- AddForeignKey
ALTER TABLE "campaign_device" ADD CONSTRAINT "campaign_device_campaign_id_fkey" FOREIGN KEY ("campaign_id") REFERENCES "firmware_campaign"("id") ON DELETE CASCADE ON UPDATE CASCADE;

