-- CreateEnum
CREATE TYPE "command_status" AS ENUM ('queued', 'sent', 'delivered', 'succeeded', 'failed', 'expired');

-- CreateTable
CREATE TABLE "command" (
    "id" UUID NOT NULL,
    "tenant" TEXT NOT NULL,
    "device_id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "params" JSONB,
    "status" "command_status" NOT NULL DEFAULT 'queued',
    "ttl_seconds" INTEGER NOT NULL,
    "expires_at" TIMESTAMPTZ NOT NULL,
    "requested_by" TEXT,
    "request_event_id" UUID NOT NULL,
    "response" JSONB,
    "reason" TEXT,
    "created_at" TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "sent_at" TIMESTAMPTZ,
    "delivered_at" TIMESTAMPTZ,
    "completed_at" TIMESTAMPTZ,
    "updated_at" TIMESTAMPTZ NOT NULL,

    CONSTRAINT "command_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "command_request_event_id_key" ON "command"("request_event_id");

-- CreateIndex
CREATE INDEX "command_tenant_device_id_created_at_idx" ON "command"("tenant", "device_id", "created_at");

-- CreateIndex
CREATE INDEX "command_status_expires_at_idx" ON "command"("status", "expires_at");

-- AddForeignKey
ALTER TABLE "command" ADD CONSTRAINT "command_tenant_device_id_fkey" FOREIGN KEY ("tenant", "device_id") REFERENCES "device"("tenant", "id") ON DELETE CASCADE ON UPDATE CASCADE;

