import { Global, Module } from '@nestjs/common';
import { AuditReporter } from './audit-reporter';
import { LimitsService } from './limits.service';

@Global()
@Module({ providers: [LimitsService, AuditReporter], exports: [LimitsService] })
export class LimitsModule {}
