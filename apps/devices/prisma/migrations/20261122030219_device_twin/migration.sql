-- CreateTable
CREATE TABLE "device_twin" (
    "tenant" TEXT NOT NULL,
    "device_id" TEXT NOT NULL,
    "desired" JSONB NOT NULL DEFAULT '{}',
    "desired_version" INTEGER NOT NULL DEFAULT 0,
    "desired_updated_at" TIMESTAMPTZ,
    "reported" JSONB NOT NULL DEFAULT '{}',
    "reported_version" INTEGER NOT NULL DEFAULT 0,
    "reported_updated_at" TIMESTAMPTZ,

    CONSTRAINT "device_twin_pkey" PRIMARY KEY ("tenant","device_id")
);

-- AddForeignKey
ALTER TABLE "device_twin" ADD CONSTRAINT "device_twin_tenant_device_id_fkey" FOREIGN KEY ("tenant", "device_id") REFERENCES "device"("tenant", "id") ON DELETE CASCADE ON UPDATE CASCADE;

