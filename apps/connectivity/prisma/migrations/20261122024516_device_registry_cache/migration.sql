-- CreateTable
CREATE TABLE "device" (
    "tenant" TEXT NOT NULL,
    "device_id" TEXT NOT NULL,
    "profile_id" TEXT NOT NULL,
    "state" TEXT NOT NULL,
    "dev_eui" TEXT,
    "expected_interval_seconds" INTEGER,
    "messages_per_minute" INTEGER,
    "max_payload_bytes" INTEGER,
    "deleted" BOOLEAN NOT NULL DEFAULT false,
    "changed_at" TIMESTAMPTZ NOT NULL,
    "updated_at" TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "device_pkey" PRIMARY KEY ("tenant","device_id")
);

-- CreateTable
CREATE TABLE "device_credential" (
    "credential_id" UUID NOT NULL,
    "tenant" TEXT NOT NULL,
    "device_id" TEXT NOT NULL,
    "token_hash" TEXT NOT NULL,
    "valid_from" TIMESTAMPTZ NOT NULL,
    "valid_until" TIMESTAMPTZ,
    "revoked" BOOLEAN NOT NULL DEFAULT false,
    "updated_at" TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "device_credential_pkey" PRIMARY KEY ("credential_id")
);

-- CreateIndex
CREATE INDEX "device_tenant_dev_eui_idx" ON "device"("tenant", "dev_eui");

-- CreateIndex
CREATE INDEX "device_credential_tenant_device_id_idx" ON "device_credential"("tenant", "device_id");

