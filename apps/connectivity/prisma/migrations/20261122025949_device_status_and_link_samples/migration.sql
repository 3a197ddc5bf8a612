-- CreateTable
CREATE TABLE "device_status" (
    "tenant" TEXT NOT NULL,
    "device_id" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "reason" TEXT NOT NULL,
    "transport" TEXT NOT NULL,
    "last_seen_at" TIMESTAMPTZ,
    "changed_at" TIMESTAMPTZ NOT NULL,
    "session_replica" TEXT,
    "session_connected_at" TIMESTAMPTZ,
    "session_address" TEXT,

    CONSTRAINT "device_status_pkey" PRIMARY KEY ("tenant","device_id")
);

-- CreateTable
CREATE TABLE "link_sample" (
    "id" BIGSERIAL NOT NULL,
    "tenant" TEXT NOT NULL,
    "device_id" TEXT NOT NULL,
    "at" TIMESTAMPTZ NOT NULL,
    "transport" TEXT NOT NULL,
    "f_cnt" INTEGER,
    "gateway_id" TEXT,
    "rssi" DOUBLE PRECISION,
    "snr" DOUBLE PRECISION,
    "gateways" JSONB NOT NULL DEFAULT '[]',

    CONSTRAINT "link_sample_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "device_status_status_last_seen_at_idx" ON "device_status"("status", "last_seen_at");

-- CreateIndex
CREATE INDEX "device_status_tenant_session_replica_device_id_idx" ON "device_status"("tenant", "session_replica", "device_id");

-- CreateIndex
CREATE INDEX "device_status_session_replica_idx" ON "device_status"("session_replica");

-- CreateIndex
CREATE INDEX "link_sample_tenant_device_id_at_idx" ON "link_sample"("tenant", "device_id", "at" DESC);

