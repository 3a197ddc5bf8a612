-- CreateEnum
CREATE TYPE "codec" AS ENUM ('json', 'cayenne-lpp', 'jsonata');

-- CreateEnum
CREATE TYPE "lifecycle_state" AS ENUM ('provisioned', 'active', 'suspended', 'decommissioned');

-- CreateTable
CREATE TABLE "device_profile" (
    "id" UUID NOT NULL,
    "tenant" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "description" TEXT,
    "entity_type" TEXT NOT NULL,
    "codec" "codec" NOT NULL,
    "codec_config" JSONB NOT NULL,
    "attributes" JSONB NOT NULL,
    "expected_interval_seconds" INTEGER,
    "limits" JSONB,
    "version" INTEGER NOT NULL DEFAULT 1,
    "created_at" TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ NOT NULL,

    CONSTRAINT "device_profile_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "device" (
    "tenant" TEXT NOT NULL,
    "id" TEXT NOT NULL,
    "external_id" TEXT,
    "name" TEXT,
    "profile_id" UUID NOT NULL,
    "state" "lifecycle_state" NOT NULL DEFAULT 'provisioned',
    "tags" TEXT[],
    "location" JSONB,
    "dev_eui" TEXT,
    "decode_error_count" INTEGER NOT NULL DEFAULT 0,
    "last_decode_error" TEXT,
    "last_decode_error_at" TIMESTAMPTZ,
    "last_observed_at" TIMESTAMPTZ,
    "version" INTEGER NOT NULL DEFAULT 1,
    "created_at" TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ NOT NULL,

    CONSTRAINT "device_pkey" PRIMARY KEY ("tenant","id")
);

-- CreateTable
CREATE TABLE "device_credential" (
    "id" UUID NOT NULL,
    "tenant" TEXT NOT NULL,
    "device_id" TEXT NOT NULL,
    "token_hash" TEXT NOT NULL,
    "valid_from" TIMESTAMPTZ NOT NULL,
    "valid_until" TIMESTAMPTZ,
    "revoked_at" TIMESTAMPTZ,
    "created_at" TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "device_credential_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "device_profile_tenant_name_key" ON "device_profile"("tenant", "name");

-- CreateIndex
CREATE UNIQUE INDEX "device_profile_tenant_id_key" ON "device_profile"("tenant", "id");

-- CreateIndex
CREATE INDEX "device_tenant_profile_id_idx" ON "device"("tenant", "profile_id");

-- CreateIndex
CREATE UNIQUE INDEX "device_tenant_external_id_key" ON "device"("tenant", "external_id");

-- CreateIndex
CREATE UNIQUE INDEX "device_tenant_dev_eui_key" ON "device"("tenant", "dev_eui");

-- CreateIndex
CREATE INDEX "device_credential_tenant_device_id_idx" ON "device_credential"("tenant", "device_id");

-- AddForeignKey
ALTER TABLE "device" ADD CONSTRAINT "device_tenant_profile_id_fkey" FOREIGN KEY ("tenant", "profile_id") REFERENCES "device_profile"("tenant", "id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "device_credential" ADD CONSTRAINT "device_credential_tenant_device_id_fkey" FOREIGN KEY ("tenant", "device_id") REFERENCES "device"("tenant", "id") ON DELETE CASCADE ON UPDATE CASCADE;

