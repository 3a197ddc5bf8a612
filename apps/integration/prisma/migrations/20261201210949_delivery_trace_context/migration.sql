-- AlterTable
ALTER TABLE "delivery" ADD COLUMN     "trace_context" JSONB NOT NULL DEFAULT '{}';

