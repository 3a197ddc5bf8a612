import { Injectable } from '@nestjs/common';
import { AuditTrail, PLATFORM_TENANT } from '@urbis/audit';
import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { z } from 'zod';
import { ExpressionSyntaxError } from '../common/jsonata';
import { IntegrationErrorCode, IntegrationProblem } from '../common/problems';
import { DestinationGuard } from '../outbound/destination-guard';
import { OutboundError } from '../outbound/outbound-error';
import { type Connector, type ConnectorKind, Prisma } from '../prisma-client/client';
import type { ConnectorSupervisor } from './connector-supervisor';
import {
  CONFIG_SCHEMAS,
  type ConnectorInput,
  type ConnectorKindName,
  type ConnectorPatch,
  type ConnectorView,
} from './connector.dto';
import { ConnectorsRepository } from './connectors.repository';
import { MappingError } from './observation-mapping';
import { ObservationSink } from './observation-sink';

const KIND_IN: Record<ConnectorKindName, ConnectorKind> = {
  'http-push': 'http_push',
  'http-poll': 'http_poll',
  opcua: 'opcua',
  modbus: 'modbus',
};
const KIND_OUT: Record<ConnectorKind, ConnectorKindName> = {
  http_push: 'http-push',
  http_poll: 'http-poll',
  opcua: 'opcua',
  modbus: 'modbus',
};

const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');

/** Secrets in a connector's config are never shown back. */
function redacted(kind: ConnectorKind, config: Record<string, unknown>): Record<string, unknown> {
  if (kind === 'http_poll' && config['headers']) {
    const headers = config['headers'] as Record<string, string>;
    return {
      ...config,
      headers: Object.fromEntries(Object.keys(headers).map((name) => [name, '<redacted>'])),
    };
  }
  if (kind === 'opcua' && config['password'] !== undefined) return { ...config, password: '<redacted>' };
  return config;
}

export function connectorViewOf(row: Connector): ConnectorView {
  const now = Date.now();
  let status: ConnectorView['status'];
  if (row.desiredState === 'stopped') status = 'stopped';
  else if (row.desiredState === 'paused' && row.kind === 'http_push') status = 'paused';
  else if (row.kind === 'http_push') {
    status =
      row.lastErrorAt && (!row.lastObservationAt || row.lastErrorAt > row.lastObservationAt)
        ? 'failing'
        : 'running';
  } else if (!row.leaseUntil || row.leaseUntil.getTime() < now) status = 'starting';
  else status = row.status as ConnectorView['status'];
  return {
    id: row.id,
    name: row.name,
    kind: KIND_OUT[row.kind],
    config: redacted(row.kind, row.config as Record<string, unknown>),
    mapping: row.mapping,
    desiredState: row.desiredState,
    status,
    ...(row.lastError !== null && { lastError: row.lastError }),
    ...(row.lastErrorAt && { lastErrorAt: row.lastErrorAt.toISOString() }),
    metrics: {
      readings: Number(row.readings),
      observations: Number(row.observations),
      failures: Number(row.failures),
      reconnects: Number(row.reconnects),
      ...(row.lastReadingAt && { lastReadingAt: row.lastReadingAt.toISOString() }),
      ...(row.lastObservationAt && { lastObservationAt: row.lastObservationAt.toISOString() }),
    },
    ...(row.kind === 'http_push' && { pushUrl: `/integration/v1/push/${row.id}` }),
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

/** Inbound connectors through the API, and the push endpoint external systems post to. */
@Injectable()
export class ConnectorsService {
  private supervisor?: ConnectorSupervisor;

  constructor(
    private readonly connectors: ConnectorsRepository,
    private readonly sink: ObservationSink,
    private readonly guard: DestinationGuard,
    private readonly audit: AuditTrail,
  ) {}

  attach(supervisor: ConnectorSupervisor): void {
    this.supervisor = supervisor;
  }

  async create(tenant: string, input: ConnectorInput) {
    const config = await this.validate(tenant, input.kind, input.config, input.mapping);
    const pushSecret =
      input.kind === 'http-push' ? `pushsec_${randomBytes(32).toString('base64url')}` : undefined;
    try {
      const row = await this.connectors.create({
        id: randomUUID(),
        tenant,
        name: input.name,
        kind: KIND_IN[input.kind],
        config: config as Prisma.InputJsonValue,
        mapping: input.mapping,
        desiredState: input.state,
        pushSecretHash: pushSecret ? sha256(pushSecret) : null,
      });
      this.supervisor?.nudge();
      return { ...connectorViewOf(row), ...(pushSecret && { pushSecret }) };
    } catch (error) {
      if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002') {
        throw new IntegrationProblem(
          IntegrationErrorCode.ConnectorNameTaken,
          `A connector named "${input.name}" exists.`,
        );
      }
      throw error;
    }
  }

  async list(tenant: string, page: { limit: number; offset: number }) {
    const { rows, total } = await this.connectors.list(tenant, page);
    return { items: rows.map(connectorViewOf), total };
  }

  async get(tenant: string, id: string): Promise<ConnectorView> {
    return connectorViewOf(await this.require(tenant, id));
  }

  async update(tenant: string, id: string, patch: ConnectorPatch): Promise<ConnectorView> {
    const row = await this.require(tenant, id);
    const kind = KIND_OUT[row.kind];
    const mapping = patch.mapping ?? row.mapping;
    const config = await this.validate(
      tenant,
      kind,
      patch.config ?? (row.config as Record<string, unknown>),
      mapping,
    );
    await this.connectors.update(tenant, id, {
      config: config as Prisma.InputJsonValue,
      mapping,
      updatedAt: new Date(),
      ...(patch.config && { pollState: Prisma.DbNull }),
    });
    this.supervisor?.nudge();
    return this.get(tenant, id);
  }

  async setState(
    tenant: string,
    id: string,
    state: 'running' | 'paused' | 'stopped',
  ): Promise<ConnectorView> {
    await this.require(tenant, id);
    await this.connectors.update(tenant, id, { desiredState: state });
    this.supervisor?.nudge();
    return this.get(tenant, id);
  }

  async remove(tenant: string, id: string): Promise<void> {
    if ((await this.connectors.delete(tenant, id)) === 0) {
      throw new IntegrationProblem(
        IntegrationErrorCode.ConnectorNotFound,
        `No connector ${id} in this tenant.`,
      );
    }
    this.supervisor?.nudge();
  }

  /** An external system's push: secret checked, body mapped, observations on Kafka before the 202. */
  async push(id: string, secret: string | undefined, body: unknown, contentType: string, size: number, address: string) {
    const row = await this.connectors.findPush(id);
    const expected = row?.pushSecretHash ? Buffer.from(row.pushSecretHash, 'hex') : Buffer.alloc(32);
    const given = Buffer.from(sha256(secret ?? ''), 'hex');
    if (!row || !secret || !timingSafeEqual(given, expected)) {
      // What security's webhook-signature rule watches (docs/security.md): per source address.
      const tenant = row?.tenant ?? PLATFORM_TENANT;
      this.audit.record(
        { tenant, actor: { kind: 'client', id: 'anonymous' }, action: 'integration.webhook.signature-rejected', resource: { type: 'connector', id }, outcome: 'denied', reason: secret ? 'bad-secret' : 'no-secret', details: { address } },
        { aggregate: { key: `${tenant}/${address}|push-secret` } },
      );
      throw new IntegrationProblem(
        IntegrationErrorCode.PushUnauthorized,
        'Unknown connector or wrong push secret.',
      );
    }
    if (row.desiredState !== 'running') {
      throw new IntegrationProblem(
        IntegrationErrorCode.ConnectorNotRunning,
        `Connector ${id} is ${row.desiredState}.`,
        {
          state: row.desiredState,
        },
      );
    }
    const { maxBodyBytes } = CONFIG_SCHEMAS['http-push'].parse(row.config);
    if (size > maxBodyBytes) {
      throw new IntegrationProblem(
        IntegrationErrorCode.PushTooLarge,
        `The body is ${size} bytes; this connector takes at most ${maxBodyBytes}.`,
      );
    }
    const receivedAt = new Date();
    const input = {
      body,
      contentType,
      receivedAt: receivedAt.toISOString(),
      connector: { id: row.id, name: row.name },
    };
    try {
      const events = await this.sink.publish(row, this.sink.mapping(row.mapping), input, receivedAt);
      await this.connectors.recordPush(id, events.length, undefined);
      return { observations: events.length, eventIds: events.map((event) => event.id) };
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      await this.connectors.recordPush(id, 0, message);
      if (error instanceof MappingError)
        throw new IntegrationProblem(IntegrationErrorCode.PushMappingFailed, message);
      throw error;
    }
  }

  private async validate(
    tenant: string,
    kind: ConnectorKindName,
    raw: Record<string, unknown>,
    mapping: string,
  ): Promise<Record<string, unknown>> {
    const parsed = (CONFIG_SCHEMAS[kind] as z.ZodType<Record<string, unknown>>).safeParse(raw);
    if (!parsed.success) {
      throw new IntegrationProblem(IntegrationErrorCode.ConnectorInvalid, `Invalid ${kind} configuration.`, {
        errors: parsed.error.issues.map((issue) => ({
          path: ['config', ...issue.path].join('.'),
          message: issue.message,
        })),
      });
    }
    try {
      this.sink.mapping(mapping);
    } catch (error) {
      if (!(error instanceof ExpressionSyntaxError)) throw error;
      throw new IntegrationProblem(IntegrationErrorCode.MappingInvalid, error.message, {
        errors: [{ path: 'mapping', message: error.message }],
      });
    }
    const host = hostOf(kind, parsed.data);
    if (host) {
      try {
        await this.guard.check(tenant, host);
      } catch (error) {
        if (!(error instanceof OutboundError)) throw error;
        throw new IntegrationProblem(
          error.kind === 'refused'
            ? IntegrationErrorCode.DestinationRefused
            : IntegrationErrorCode.DestinationInvalid,
          error.message,
          {
            errors: [
              {
                path: `config.${kind === 'modbus' ? 'host' : kind === 'opcua' ? 'endpointUrl' : 'url'}`,
                message: error.message,
              },
            ],
          },
        );
      }
    }
    return parsed.data;
  }

  private async require(tenant: string, id: string): Promise<Connector> {
    const row = await this.connectors.find(tenant, id);
    if (!row)
      throw new IntegrationProblem(
        IntegrationErrorCode.ConnectorNotFound,
        `No connector ${id} in this tenant.`,
      );
    return row;
  }
}

function hostOf(kind: ConnectorKindName, config: Record<string, unknown>): string | undefined {
  switch (kind) {
    case 'http-poll':
      return new URL(String(config['url'])).hostname;
    case 'opcua':
      return new URL(String(config['endpointUrl'])).hostname;
    case 'modbus':
      return String(config['host']);
    case 'http-push':
      return undefined;
  }
}
