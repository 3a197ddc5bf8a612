import { Body, Controller, Headers, HttpCode, Post } from '@nestjs/common';
import { ApiBody, ApiConsumes, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Audited } from '@urbis/audit';
import { Tenant, Roles } from '@urbis/auth';
import { ApiProblems, openApiSchema } from '@urbis/runtime';
import { z } from 'zod';
import { DEVICE_WRITERS } from '../devices/devices.controller';
import { BULK_MAX_ROWS, bulkRow, rowsFromCsv, rowsFromJson } from './bulk-input';
import { BulkProvisioningService } from './bulk-provisioning.service';

const bulkResponse = z.object({
  summary: z.object({
    rows: z.number().int(),
    created: z.number().int(),
    unchanged: z.number().int(),
    failed: z.number().int(),
  }),
  results: z.array(
    z.object({
      row: z.number().int().describe('1-based row (data line of a CSV, array index + 1 in JSON)'),
      status: z.enum(['created', 'unchanged', 'error']),
      externalId: z.string().optional(),
      deviceId: z.string().optional(),
      reason: z.string().optional(),
    }),
  ),
});

@ApiTags('devices')
@Controller('devices/v1')
export class BulkController {
  constructor(private readonly bulk: BulkProvisioningService) {}

  // `::` is Fastify's escaped literal colon: the route is /devices/v1/devices:bulk.
  @Post('devices::bulk')
  @HttpCode(200)
  @Roles(...DEVICE_WRITERS)
  @Audited({ action: 'devices.device.bulk-provision', resource: 'device-batch' })
  @ApiOperation({
    summary: `Provision up to ${BULK_MAX_ROWS} devices from JSON or CSV, idempotent by external id, with a result per row`,
    description:
      'CSV: a header naming some of id, externalId, name, profileId, profile, tags (separated by ;), latitude, longitude, devEui.',
  })
  @ApiConsumes('application/json', 'text/csv')
  @ApiBody({
    schema: {
      oneOf: [openApiSchema(z.object({ devices: z.array(bulkRow) })), { type: 'string', format: 'text/csv' }],
    },
  })
  @ApiOkResponse({ schema: openApiSchema(bulkResponse, 'output') })
  @ApiProblems(400, 413)
  provision(
    @Tenant() tenant: string,
    @Headers('content-type') contentType: string | undefined,
    @Body() body: unknown,
  ) {
    const rows = (contentType ?? '').startsWith('text/csv')
      ? rowsFromCsv(typeof body === 'string' ? body : '')
      : rowsFromJson(body);
    return this.bulk.provision(tenant, rows);
  }
}
