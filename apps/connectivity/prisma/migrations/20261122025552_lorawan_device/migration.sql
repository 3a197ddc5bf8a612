-- CreateTable
CREATE TABLE "lorawan_device" (
    "tenant" TEXT NOT NULL,
    "dev_eui" TEXT NOT NULL,
    "device_id" TEXT NOT NULL,
    "last_f_cnt" INTEGER NOT NULL DEFAULT -1,
    "last_event_id" UUID,
    "dev_addr" TEXT,
    "joined_at" TIMESTAMPTZ,
    "battery_level" DOUBLE PRECISION,
    "margin" INTEGER,
    "external_power" BOOLEAN,
    "status_at" TIMESTAMPTZ,
    "updated_at" TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "lorawan_device_pkey" PRIMARY KEY ("tenant","dev_eui")
);

