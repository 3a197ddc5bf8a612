import { Module } from '@nestjs/common';
import { RegistryModule } from '../registry/registry.module';
import { StatusModule } from '../status/status.module';
import { IngestController } from './ingest.controller';
import { IngestService } from './ingest.service';
import { RawBodyParser } from './raw-body';

@Module({
  imports: [RegistryModule, StatusModule],
  controllers: [IngestController],
  providers: [IngestService, RawBodyParser],
})
export class IngestModule {}
