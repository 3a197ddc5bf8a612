import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Param,
  ParseUUIDPipe,
  Post,
  Put,
  Query,
} from '@nestjs/common';
import { ApiBody, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { Role, Roles, Tenant } from '@urbis/auth';
import { ApiProblems, openApiSchema, ZodValidationPipe } from '@urbis/runtime';
import { pageQuery, type PageQuery } from '../common/paging';
import { profileInput, type ProfileInput, profileList, profileView } from './profile.dto';
import { ProfilesService } from './profiles.service';

const READERS = [Role.PlatformAdmin, Role.TenantAdmin, Role.Operator, Role.Integrator, Role.Auditor];
const WRITERS = [Role.PlatformAdmin, Role.TenantAdmin];

@ApiTags('device profiles')
@Controller('devices/v1/profiles')
export class ProfilesController {
  constructor(private readonly profiles: ProfilesService) {}

  @Post()
  @Roles(...WRITERS)
  @ApiOperation({
    summary: 'Create a device profile (codec, entity type, attribute mappings), validated by compiling it',
  })
  @ApiBody({ schema: openApiSchema(profileInput) })
  @ApiCreatedResponse({ schema: openApiSchema(profileView, 'output') })
  @ApiProblems(400, 409)
  create(@Tenant() tenant: string, @Body(new ZodValidationPipe(profileInput)) input: ProfileInput) {
    return this.profiles.create(tenant, input);
  }

  @Get()
  @Roles(...READERS)
  @ApiOperation({ summary: "List the tenant's device profiles" })
  @ApiQuery({ name: 'limit', required: false, type: Number })
  @ApiQuery({ name: 'offset', required: false, type: Number })
  @ApiOkResponse({ schema: openApiSchema(profileList, 'output') })
  @ApiProblems(400)
  list(@Tenant() tenant: string, @Query(new ZodValidationPipe(pageQuery)) page: PageQuery) {
    return this.profiles.list(tenant, page.limit, page.offset);
  }

  @Get(':profileId')
  @Roles(...READERS)
  @ApiOperation({ summary: 'Get a device profile' })
  @ApiOkResponse({ schema: openApiSchema(profileView, 'output') })
  @ApiProblems(400, 404)
  get(@Tenant() tenant: string, @Param('profileId', ParseUUIDPipe) id: string) {
    return this.profiles.get(tenant, id);
  }

  @Put(':profileId')
  @Roles(...WRITERS)
  @ApiOperation({ summary: "Replace a device profile; its devices' registry snapshots are republished" })
  @ApiBody({ schema: openApiSchema(profileInput) })
  @ApiOkResponse({ schema: openApiSchema(profileView, 'output') })
  @ApiProblems(400, 404, 409)
  replace(
    @Tenant() tenant: string,
    @Param('profileId', ParseUUIDPipe) id: string,
    @Body(new ZodValidationPipe(profileInput)) input: ProfileInput,
  ) {
    return this.profiles.replace(tenant, id, input);
  }

  @Delete(':profileId')
  @HttpCode(204)
  @Roles(...WRITERS)
  @ApiOperation({ summary: 'Delete a device profile no device uses' })
  @ApiProblems(400, 404, 409)
  async delete(@Tenant() tenant: string, @Param('profileId', ParseUUIDPipe) id: string): Promise<void> {
    await this.profiles.delete(tenant, id);
  }
}
