import { Controller, Get, Query, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiQuery, ApiTags } from '@nestjs/swagger';
import { Role, Roles, Tenant } from '@urbis/auth';
import { ApiProblems, ZodValidationPipe } from '@urbis/runtime';
import type { FastifyReply } from 'fastify';
import { Readable } from 'node:stream';
import { type RangeQuery, rangeQuery, type RecordQuery, recordQuery } from './ledger.dto';
import { LedgerKeys } from './ledger-keys';
import { LedgerService, type Verification } from './ledger.service';

const LEDGER_READERS = [Role.Auditor, Role.TenantAdmin, Role.PlatformAdmin];

@ApiTags('audit ledger')
@Controller('security/v1/audit')
@Roles(...LEDGER_READERS)
export class LedgerController {
  constructor(
    private readonly ledger: LedgerService,
    private readonly keys: LedgerKeys,
  ) {}

  @Get('records')
  @ApiOperation({ summary: "Query the tenant's audit records (filters, cursor paging by sequence number)" })
  @ApiQuery({ name: 'action', required: false })
  @ApiQuery({ name: 'actorId', required: false })
  @ApiQuery({ name: 'outcome', required: false, enum: ['succeeded', 'failed', 'allowed', 'denied'] })
  @ApiQuery({ name: 'source', required: false })
  @ApiQuery({ name: 'resourceType', required: false })
  @ApiQuery({ name: 'resourceId', required: false })
  @ApiQuery({ name: 'from', required: false })
  @ApiQuery({ name: 'to', required: false })
  @ApiQuery({ name: 'order', required: false, enum: ['asc', 'desc'] })
  @ApiQuery({ name: 'cursor', required: false })
  @ApiQuery({ name: 'limit', required: false })
  @ApiProblems(400)
  async records(@Tenant() tenant: string, @Query(new ZodValidationPipe(recordQuery)) query: RecordQuery) {
    const { order, cursor, limit, from, to, ...filters } = query;
    const records = await this.ledger.find(
      { tenant, ...filters, ...(from && { from: new Date(from) }), ...(to && { to: new Date(to) }) },
      { order, limit, ...(cursor !== undefined && { cursor }) },
    );
    const last = records[records.length - 1];
    return { records, nextCursor: records.length === limit && last ? last.seq : null };
  }

  @Get('verify')
  @ApiOperation({
    summary: 'Verify the hash chain and the signed checkpoints over a range',
    description: 'Answers `ok: true`, or `ok: false` with `firstBroken` (the first record that breaks the chain and why).',
  })
  @ApiQuery({ name: 'fromSeq', required: false })
  @ApiQuery({ name: 'toSeq', required: false })
  @ApiOkResponse({ description: 'The verdict' })
  @ApiProblems(400)
  verify(@Tenant() tenant: string, @Query(new ZodValidationPipe(rangeQuery)) query: RangeQuery): Promise<Verification> {
    return this.ledger.verify(tenant, query.fromSeq, query.toSeq);
  }

  @Get('export')
  @ApiOperation({
    summary: 'Export a range as JSON lines, with the checkpoint signatures',
    description:
      'First line `{"type":"ledger",...}` names the tenant, range, hash and signature algorithms and the public key; then `{"type":"record",...}` lines in sequence order, each `{"type":"checkpoint",...}` right after the record it signs.',
  })
  @ApiProduces('application/x-ndjson')
  @ApiQuery({ name: 'fromSeq', required: false })
  @ApiQuery({ name: 'toSeq', required: false })
  @ApiProblems(400)
  async export(@Tenant() tenant: string, @Query(new ZodValidationPipe(rangeQuery)) query: RangeQuery, @Res() reply: FastifyReply): Promise<void> {
    const range = await this.ledger.range(tenant, query.fromSeq, query.toSeq);
    const header = {
      type: 'ledger',
      tenant,
      ...range,
      hash: 'sha256 over the canonical JSON (sorted keys) of the record without `hash`, plus v: 1',
      signature: 'Ed25519 over the canonical JSON of { v: 1, tenant, seq, hash, signedAt, keyId }',
      keyId: this.keys.keyId,
      publicKey: this.keys.publicKeyPem,
      exportedAt: new Date().toISOString(),
    };
    const entries = this.ledger.export(tenant, range.fromSeq, range.toSeq);
    async function* lines() {
      yield `${JSON.stringify(header)}\n`;
      for await (const entry of entries) {
        yield `${JSON.stringify(entry.type === 'record' ? { type: 'record', ...entry.record } : { type: 'checkpoint', ...entry.checkpoint })}\n`;
      }
    }
    await reply
      .header('Content-Type', 'application/x-ndjson')
      .header('Content-Disposition', `attachment; filename="urbis-ledger-${tenant}-${range.fromSeq}-${range.toSeq}.jsonl"`)
      .send(Readable.from(lines()));
  }

  @Get('signing-key')
  @ApiOperation({ summary: 'The public key that verifies checkpoint signatures' })
  @ApiProblems()
  signingKey() {
    return { algorithm: 'Ed25519', keyId: this.keys.keyId, publicKey: this.keys.publicKeyPem, development: this.keys.development };
  }
}
