-- CreateTable
CREATE TABLE "device_command" (
    "command_id" UUID NOT NULL,
    "tenant" TEXT NOT NULL,
    "device_id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "params" JSONB,
    "expires_at" TIMESTAMPTZ NOT NULL,
    "status" TEXT NOT NULL,
    "received_by" TEXT NOT NULL,
    "delivered_by" TEXT,
    "delivered_at" TIMESTAMPTZ,
    "created_at" TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "device_command_pkey" PRIMARY KEY ("command_id")
);

-- CreateIndex
CREATE INDEX "device_command_tenant_device_id_status_idx" ON "device_command"("tenant", "device_id", "status");

-- CreateIndex
CREATE INDEX "device_command_status_expires_at_idx" ON "device_command"("status", "expires_at");

