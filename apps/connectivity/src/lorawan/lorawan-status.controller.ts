import { Controller, Get, Param } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiProperty, ApiPropertyOptional, ApiResponse, ApiTags } from '@nestjs/swagger';
import { Role, Roles, Tenant } from '@urbis/auth';
import { ConnectivityException, ConnectivityProblem } from '../problems';
import { LorawanRepository } from './lorawan.repository';

class LorawanStatusDto {
  @ApiProperty() deviceId!: string;
  @ApiProperty() devEui!: string;
  @ApiPropertyOptional({ description: 'Last accepted frame counter (absent until the first uplink after a join)' }) lastFCnt?: number;
  @ApiPropertyOptional() devAddr?: string;
  @ApiPropertyOptional({ format: 'date-time' }) joinedAt?: string;
  @ApiPropertyOptional({ description: 'Battery, percent, from the network server’s status event' }) batteryLevel?: number;
  @ApiPropertyOptional({ description: 'Link margin, dB, from the status event' }) margin?: number;
  @ApiPropertyOptional() externalPower?: boolean;
  @ApiPropertyOptional({ format: 'date-time' }) statusAt?: string;
}

/** What the network servers told connectivity about a LoRaWAN device: join, frame counter, battery and margin. */
@ApiTags('lorawan')
@ApiBearerAuth()
@Controller('connectivity/v1/devices')
export class LorawanStatusController {
  constructor(private readonly lorawan: LorawanRepository) {}

  @Get(':deviceId/lorawan')
  @Roles(Role.Operator, Role.TenantAdmin, Role.PlatformAdmin, Role.Integrator, Role.Auditor)
  @ApiOperation({ summary: 'A LoRaWAN device’s join, frame counter and last status (battery, margin)' })
  @ApiOkResponse({ type: LorawanStatusDto })
  @ApiResponse({ status: 404, description: 'No network server has reported on this device' })
  async status(@Tenant() tenant: string, @Param('deviceId') deviceId: string): Promise<LorawanStatusDto> {
    const row = await this.lorawan.findByDevice(tenant, deviceId);
    if (!row) throw new ConnectivityException(ConnectivityProblem.DeviceNotFound, `No network server has reported on device ${deviceId}.`);
    return {
      deviceId,
      devEui: row.devEui,
      ...(row.lastFCnt >= 0 && { lastFCnt: row.lastFCnt }),
      ...(row.devAddr !== null && { devAddr: row.devAddr }),
      ...(row.joinedAt && { joinedAt: row.joinedAt.toISOString() }),
      ...(row.batteryLevel !== null && { batteryLevel: row.batteryLevel }),
      ...(row.margin !== null && { margin: row.margin }),
      ...(row.externalPower !== null && { externalPower: row.externalPower }),
      ...(row.statusAt && { statusAt: row.statusAt.toISOString() }),
    };
  }
}
