import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiProperty, ApiPropertyOptional, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import { deviceId as deviceIdSchema, tenantId } from '@urbis/contracts';
import { CurrentPrincipal, type Principal, Role, Roles, Tenant } from '@urbis/auth';
import { z } from 'zod';
import { ConnectivityException, ConnectivityProblem } from '../problems';
import { RegistryRepository } from '../registry/registry.repository';
import { DeviceStatusRepository, type DeviceStatusView, type LinkSampleView } from './device-status.repository';

const READERS = [Role.Operator, Role.TenantAdmin, Role.PlatformAdmin, Role.Integrator, Role.Auditor];

const statusQuery = z.object({ samples: z.coerce.number().int().min(0).max(100).default(10) });
const sessionsQuery = z.object({
  tenant: tenantId.optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  after: deviceIdSchema.optional().describe('Cursor: the last device id of the previous page'),
});

class GatewayReceptionDto {
  @ApiProperty() gatewayId!: string;
  @ApiPropertyOptional() rssi?: number;
  @ApiPropertyOptional() snr?: number;
}

class LinkSampleDto {
  @ApiProperty({ format: 'date-time' }) at!: string;
  @ApiProperty({ enum: ['lorawan'] }) transport!: string;
  @ApiPropertyOptional() fCnt?: number;
  @ApiPropertyOptional({ description: 'Gateway with the strongest reception' }) gatewayId?: string;
  @ApiPropertyOptional() rssi?: number;
  @ApiPropertyOptional() snr?: number;
  @ApiProperty({ type: [GatewayReceptionDto] }) gateways!: GatewayReceptionDto[];
}

class SessionDto {
  @ApiProperty({ description: 'Replica holding the MQTT session' }) replica!: string;
  @ApiProperty({ format: 'date-time' }) connectedAt!: string;
  @ApiPropertyOptional() address?: string;
}

class DeviceStatusDto {
  @ApiProperty() tenant!: string;
  @ApiProperty() deviceId!: string;
  @ApiProperty({ enum: ['online', 'offline', 'unknown'] }) status!: 'online' | 'offline' | 'unknown';
  @ApiPropertyOptional({ enum: ['connected', 'disconnected', 'keepalive-timeout', 'silent', 'uplink', 'blocked'] }) reason?: string;
  @ApiPropertyOptional({ enum: ['mqtt', 'http', 'lorawan'] }) transport?: string;
  @ApiPropertyOptional({ format: 'date-time' }) lastSeenAt?: string;
  @ApiPropertyOptional({ format: 'date-time' }) changedAt?: string;
  @ApiPropertyOptional({ description: 'From the registry: the profile’s expected reporting interval' }) expectedIntervalSeconds?: number;
  @ApiPropertyOptional({ type: SessionDto }) session?: SessionDto;
  @ApiProperty({ type: [LinkSampleDto], description: 'Latest first' }) linkQuality!: LinkSampleDto[];
}

class SessionListItemDto extends SessionDto {
  @ApiProperty() deviceId!: string;
  @ApiPropertyOptional({ format: 'date-time' }) lastSeenAt?: string;
}

class SessionPageDto {
  @ApiProperty() tenant!: string;
  @ApiProperty({ type: [SessionListItemDto] }) items!: SessionListItemDto[];
  @ApiPropertyOptional({ description: 'Pass as `after` for the next page; absent on the last page' }) next?: string;
}

@ApiTags('status')
@ApiBearerAuth()
@Controller('connectivity/v1')
export class StatusController {
  constructor(
    private readonly statuses: DeviceStatusRepository,
    private readonly registry: RegistryRepository,
  ) {}

  @Get('devices/:deviceId/status')
  @Roles(...READERS)
  @ApiOperation({ summary: 'A device’s status: online/offline with the reason, last seen, MQTT session, latest link quality' })
  @ApiQuery({ name: 'samples', required: false, description: 'Link-quality samples to return (0-100, default 10)' })
  @ApiOkResponse({ type: DeviceStatusDto })
  @ApiResponse({ status: 404, description: 'Neither the registry nor connectivity knows the device' })
  async status(
    @Tenant() tenant: string,
    @Param('deviceId') deviceId: string,
    @Query() query: Record<string, string>,
  ): Promise<DeviceStatusDto> {
    const { samples } = statusQuery.parse(query);
    const [status, device] = await Promise.all([this.statuses.find(tenant, deviceId), this.registry.findDevice(tenant, deviceId)]);
    if (!status && (!device || device.deleted)) {
      throw new ConnectivityException(ConnectivityProblem.DeviceNotFound, `Tenant ${tenant} has no device ${deviceId}.`);
    }
    const linkQuality = samples > 0 ? await this.statuses.linkSamples(tenant, deviceId, samples) : [];
    return {
      tenant,
      deviceId,
      status: status?.status ?? 'unknown',
      ...(status && {
        reason: status.reason,
        transport: status.transport,
        changedAt: status.changedAt.toISOString(),
        ...(status.lastSeenAt && { lastSeenAt: status.lastSeenAt.toISOString() }),
      }),
      ...(device?.expectedIntervalSeconds && { expectedIntervalSeconds: device.expectedIntervalSeconds }),
      ...(status?.sessionReplica && status.sessionConnectedAt && { session: sessionOf(status) }),
      linkQuality: linkQuality.map(sampleDto),
    };
  }

  @Get('sessions')
  @Roles(...READERS)
  @ApiOperation({ summary: 'Connected MQTT sessions of a tenant, by device id, paginated' })
  @ApiQuery({ name: 'tenant', required: false, description: 'Default: the caller’s tenant; another one needs platform-admin' })
  @ApiQuery({ name: 'limit', required: false, description: '1-500, default 50' })
  @ApiQuery({ name: 'after', required: false, description: 'Cursor: `next` of the previous page' })
  @ApiOkResponse({ type: SessionPageDto })
  @ApiResponse({ status: 403, description: 'Another tenant than the caller’s, without platform-admin' })
  async sessions(
    @Tenant() ownTenant: string,
    @CurrentPrincipal() caller: Principal,
    @Query() query: Record<string, string>,
  ): Promise<SessionPageDto> {
    const { tenant = ownTenant, limit, after } = sessionsQuery.parse(query);
    if (tenant !== ownTenant && !caller.roles.includes(Role.PlatformAdmin)) {
      throw new ConnectivityException(ConnectivityProblem.ForeignTenant, `The caller may not read sessions of tenant ${tenant}.`);
    }
    const rows = await this.statuses.sessions(tenant, limit + 1, after);
    const page = rows.slice(0, limit);
    return {
      tenant,
      items: page.map((row) => ({
        deviceId: row.deviceId,
        ...sessionOf(row),
        ...(row.lastSeenAt && { lastSeenAt: row.lastSeenAt.toISOString() }),
      })),
      ...(rows.length > limit && page.length > 0 && { next: page[page.length - 1]?.deviceId }),
    };
  }
}

function sessionOf(row: DeviceStatusView): SessionDto {
  return {
    replica: row.sessionReplica ?? '',
    connectedAt: (row.sessionConnectedAt ?? row.changedAt).toISOString(),
    ...(row.sessionAddress && { address: row.sessionAddress }),
  };
}

function sampleDto(sample: LinkSampleView): LinkSampleDto {
  return {
    at: sample.at.toISOString(),
    transport: sample.transport,
    ...(sample.fCnt !== null && { fCnt: sample.fCnt }),
    ...(sample.gatewayId !== null && { gatewayId: sample.gatewayId }),
    ...(sample.rssi !== null && { rssi: sample.rssi }),
    ...(sample.snr !== null && { snr: sample.snr }),
    gateways: Array.isArray(sample.gateways) ? (sample.gateways as GatewayReceptionDto[]) : [],
  };
}
