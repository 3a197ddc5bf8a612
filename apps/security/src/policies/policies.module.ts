import { Module } from '@nestjs/common';
import { PoliciesController } from './policies.controller';
import { PoliciesRepository } from './policies.repository';
import { PoliciesService } from './policies.service';
import { PolicyDocumentPipe } from './policy-document.pipe';

/** Data-access policies (`/security/v1/policies`) and the decision point (`/security/v1/decisions`). */
@Module({
  controllers: [PoliciesController],
  providers: [PoliciesRepository, PoliciesService, PolicyDocumentPipe],
})
export class PoliciesModule {}
