-- CreateTable
CREATE TABLE "data_access_policy" (
    "policy_id" UUID NOT NULL,
    "tenant" TEXT NOT NULL,
    "version" INTEGER NOT NULL,
    "subject_kind" TEXT NOT NULL,
    "subject_id" TEXT NOT NULL,
    "document" JSONB NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "data_access_policy_pkey" PRIMARY KEY ("policy_id")
);

-- CreateIndex
CREATE INDEX "data_access_policy_tenant_subject_kind_subject_id_idx" ON "data_access_policy"("tenant", "subject_kind", "subject_id");

