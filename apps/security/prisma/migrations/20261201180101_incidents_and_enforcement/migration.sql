-- CreateTable
CREATE TABLE "incident" (
    "incident_id" UUID NOT NULL,
    "tenant" TEXT NOT NULL,
    "rule" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "severity" TEXT NOT NULL,
    "subject_kind" TEXT NOT NULL,
    "subject_id" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "summary" TEXT NOT NULL,
    "evidence" JSONB NOT NULL,
    "occurrences" INTEGER NOT NULL,
    "first_seen_at" TIMESTAMPTZ(3) NOT NULL,
    "last_seen_at" TIMESTAMPTZ(3) NOT NULL,
    "detected_at" TIMESTAMPTZ(3) NOT NULL,
    "acknowledged_at" TIMESTAMPTZ(3),
    "acknowledged_by" TEXT,
    "resolved_at" TIMESTAMPTZ(3),
    "resolved_by" TEXT,
    "note" TEXT,

    CONSTRAINT "incident_pkey" PRIMARY KEY ("incident_id")
);

-- CreateTable
CREATE TABLE "detection_threshold" (
    "tenant" TEXT NOT NULL,
    "rule" TEXT NOT NULL,
    "count" INTEGER NOT NULL,
    "window_seconds" INTEGER NOT NULL,
    "enforce" BOOLEAN NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "detection_threshold_pkey" PRIMARY KEY ("tenant","rule")
);

-- CreateTable
CREATE TABLE "enforcement" (
    "enforcement_id" UUID NOT NULL,
    "tenant" TEXT NOT NULL,
    "incident_id" UUID,
    "action" TEXT NOT NULL,
    "target" TEXT NOT NULL,
    "until" TIMESTAMPTZ(3),
    "requested_at" TIMESTAMPTZ(3) NOT NULL,
    "status" TEXT NOT NULL,
    "reports" JSONB NOT NULL DEFAULT '[]',
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "enforcement_pkey" PRIMARY KEY ("enforcement_id")
);

-- CreateIndex
CREATE INDEX "incident_tenant_status_detected_at_idx" ON "incident"("tenant", "status", "detected_at");

-- CreateIndex
CREATE INDEX "enforcement_tenant_incident_id_idx" ON "enforcement"("tenant", "incident_id");

-- AddForeignKey
ALTER TABLE "enforcement" ADD CONSTRAINT "enforcement_incident_id_fkey" FOREIGN KEY ("incident_id") REFERENCES "incident"("incident_id") ON DELETE SET NULL ON UPDATE CASCADE;


-- Customised: one unresolved incident per tenant, rule and subject; a later burst adds to it.
-- A partial unique index cannot be expressed in a Prisma 6 schema (docs/adr/0003).
CREATE UNIQUE INDEX "incident_unresolved_subject_key" ON "incident" ("tenant", "rule", "subject_kind", "subject_id") WHERE "status" <> 'resolved';
