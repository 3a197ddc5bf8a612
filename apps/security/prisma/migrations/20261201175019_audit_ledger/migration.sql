-- CreateTable
CREATE TABLE "audit_record" (
    "tenant" TEXT NOT NULL,
    "seq" BIGINT NOT NULL,
    "event_id" UUID NOT NULL,
    "source" TEXT NOT NULL,
    "actor_kind" TEXT NOT NULL,
    "actor_id" TEXT NOT NULL,
    "action" TEXT NOT NULL,
    "resource_type" TEXT NOT NULL,
    "resource_id" TEXT,
    "outcome" TEXT NOT NULL,
    "reason" TEXT,
    "trace_id" TEXT,
    "occurred_at" TIMESTAMPTZ(3) NOT NULL,
    "recorded_at" TIMESTAMPTZ(3) NOT NULL,
    "details" TEXT,
    "prev_hash" TEXT NOT NULL,
    "hash" TEXT NOT NULL,

    CONSTRAINT "audit_record_pkey" PRIMARY KEY ("tenant","seq")
);

-- CreateTable
CREATE TABLE "ledger_checkpoint" (
    "tenant" TEXT NOT NULL,
    "seq" BIGINT NOT NULL,
    "hash" TEXT NOT NULL,
    "signed_at" TIMESTAMPTZ(3) NOT NULL,
    "key_id" TEXT NOT NULL,
    "signature" TEXT NOT NULL,

    CONSTRAINT "ledger_checkpoint_pkey" PRIMARY KEY ("tenant","seq")
);

-- CreateIndex
CREATE UNIQUE INDEX "audit_record_event_id_key" ON "audit_record"("event_id");

-- CreateIndex
CREATE INDEX "audit_record_tenant_action_seq_idx" ON "audit_record"("tenant", "action", "seq");

-- CreateIndex
CREATE INDEX "audit_record_tenant_occurred_at_idx" ON "audit_record"("tenant", "occurred_at");


-- Customised: the ledger is append-only. Prisma cannot model triggers (docs/adr/0003). A
-- superuser can still bypass them (session_replication_role = replica, or ALTER TABLE);
-- the hash chain and the signed checkpoints are what detect such a change.
CREATE FUNCTION urbis_refuse_ledger_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER audit_record_append_only BEFORE UPDATE OR DELETE ON "audit_record"
  FOR EACH ROW EXECUTE FUNCTION urbis_refuse_ledger_change();
CREATE TRIGGER audit_record_no_truncate BEFORE TRUNCATE ON "audit_record"
  FOR EACH STATEMENT EXECUTE FUNCTION urbis_refuse_ledger_change();
CREATE TRIGGER ledger_checkpoint_append_only BEFORE UPDATE OR DELETE ON "ledger_checkpoint"
  FOR EACH ROW EXECUTE FUNCTION urbis_refuse_ledger_change();
CREATE TRIGGER ledger_checkpoint_no_truncate BEFORE TRUNCATE ON "ledger_checkpoint"
  FOR EACH STATEMENT EXECUTE FUNCTION urbis_refuse_ledger_change();
