import { Injectable } from '@nestjs/common';
import { OutboxRelay } from '@urbis/messaging';
import { randomUUID } from 'node:crypto';
import { uniqueViolation } from '../common/database';
import { DevicesErrorCode, DevicesProblem } from '../common/problems';
import type { CampaignDevice, FirmwareArtifact, FirmwareCampaign } from '../prisma-client/client';
import { CampaignEngine } from './campaign-engine';
import {
  type ArtifactInput,
  type CampaignInput,
  campaignDeviceStatus,
  type CampaignView,
  type RollbackInput,
} from './firmware.dto';
import { FirmwareRepository } from './firmware.repository';
import { assignWaves } from './waves';

const artifactViewOf = (row: FirmwareArtifact) => ({
  id: row.id,
  version: row.version,
  sha256: row.sha256,
  sizeBytes: row.sizeBytes,
  url: row.url,
  ...(row.description !== null && { description: row.description }),
  createdAt: row.createdAt.toISOString(),
});

const deviceViewOf = (row: CampaignDevice) => ({
  deviceId: row.deviceId,
  wave: row.wave,
  status: row.status,
  attempts: row.attempts,
  ...(row.commandId !== null && { commandId: row.commandId }),
  ...(row.lastError !== null && { lastError: row.lastError }),
  updatedAt: row.updatedAt.toISOString(),
});

const emptyCounts = () =>
  Object.fromEntries(campaignDeviceStatus.options.map((status) => [status, 0])) as Record<string, number>;

/** Firmware artifacts and campaigns: creation, progress, pause, resume, cancel and rollback. */
@Injectable()
export class FirmwareService {
  constructor(
    private readonly firmware: FirmwareRepository,
    private readonly engine: CampaignEngine,
    private readonly relay: OutboxRelay,
  ) {}

  async createArtifact(tenant: string, input: ArtifactInput) {
    try {
      return artifactViewOf(await this.firmware.createArtifact({ id: randomUUID(), tenant, ...input }));
    } catch (error) {
      if (!uniqueViolation(error)) throw error;
      throw new DevicesProblem(
        DevicesErrorCode.ArtifactExists,
        `Firmware ${input.version} is already registered.`,
      );
    }
  }

  async artifacts(tenant: string) {
    return { items: (await this.firmware.artifacts(tenant)).map(artifactViewOf) };
  }

  async createCampaign(tenant: string, input: CampaignInput): Promise<CampaignView> {
    const id = randomUUID();
    try {
      await this.firmware.transaction(async (tx) => {
        const artifact = await this.firmware.artifact(tenant, input.artifactId, tx);
        if (!artifact) throw unknownArtifact(input.artifactId, 'artifactId');
        if (
          input.rollbackArtifactId &&
          !(await this.firmware.artifact(tenant, input.rollbackArtifactId, tx))
        ) {
          throw unknownArtifact(input.rollbackArtifactId, 'rollbackArtifactId');
        }
        const targets = await this.firmware.targets(tx, tenant, input.target);
        if (targets.length === 0) {
          throw new DevicesProblem(
            DevicesErrorCode.CampaignNoTargets,
            'No active device matches the target; a campaign needs at least one.',
            { errors: [{ path: 'target', message: 'matches no active device' }] },
          );
        }
        const campaign = await this.firmware.createCampaign(tx, {
          id,
          tenant,
          name: input.name,
          artifactId: artifact.id,
          rollbackArtifactId: input.rollbackArtifactId ?? null,
          target: input.target,
          waves: input.waves,
          successThreshold: input.successThreshold,
          failureThreshold: input.failureThreshold,
          commandTtlSeconds: input.commandTtlSeconds,
        });
        const waves = assignWaves(id, targets, input.waves);
        await this.firmware.addDevices(
          tx,
          waves.flatMap((deviceIds, wave) =>
            deviceIds.map((deviceId) => ({ campaignId: id, tenant, deviceId, wave })),
          ),
        );
        await this.engine.notify(tx, campaign, artifact, await this.firmware.tracked(tx, id, ['queued'], 0));
      });
    } catch (error) {
      if (!uniqueViolation(error)) throw error;
      throw new DevicesProblem(
        DevicesErrorCode.CampaignExists,
        `A campaign named ${input.name} already exists.`,
      );
    }
    this.relay.nudge();
    return this.campaign(tenant, id);
  }

  async campaign(tenant: string, id: string): Promise<CampaignView> {
    const row = await this.firmware.campaign(tenant, id);
    if (!row) throw campaignNotFound(id);
    return this.viewOf(row);
  }

  async campaigns(tenant: string) {
    return {
      items: await Promise.all((await this.firmware.campaigns(tenant)).map((row) => this.viewOf(row))),
    };
  }

  async devices(tenant: string, id: string, limit: number, offset: number) {
    if (!(await this.firmware.campaign(tenant, id))) throw campaignNotFound(id);
    return { items: (await this.firmware.devices(tenant, id, limit, offset)).map(deviceViewOf) };
  }

  pause(tenant: string, id: string) {
    return this.change(tenant, id, ['running'], 'paused', async () => ({
      statusReason: 'paused by an operator',
    }));
  }

  /** Resumes a paused campaign; the failed devices of its current wave get another try. */
  resume(tenant: string, id: string) {
    return this.change(tenant, id, ['paused'], 'running', async (tx, campaign) => {
      const artifact = await this.firmware.artifact(tenant, campaign.artifactId, tx);
      if (!artifact) throw unknownArtifact(campaign.artifactId, 'artifactId');
      const failed = (await this.firmware.tracked(tx, id, ['failed'], campaign.currentWave)).filter(
        (device) => device.wave === campaign.currentWave,
      );
      await this.engine.notify(tx, campaign, artifact, failed);
      return { statusReason: null };
    });
  }

  cancel(tenant: string, id: string) {
    return this.change(tenant, id, ['running', 'paused'], 'cancelled', async () => ({
      statusReason: 'cancelled by an operator',
    }));
  }

  /** Installs the rollback artifact on every device the campaign reached. */
  rollback(tenant: string, id: string, input: RollbackInput) {
    return this.change(
      tenant,
      id,
      ['running', 'paused', 'completed', 'cancelled'],
      'rolling_back',
      async (tx, campaign) => {
        const rollbackId = input.artifactId ?? campaign.rollbackArtifactId;
        if (!rollbackId) {
          throw new DevicesProblem(
            DevicesErrorCode.CampaignInvalid,
            'The campaign has no rollback artifact; name one in artifactId.',
            { errors: [{ path: 'artifactId', message: 'required: the campaign has no rollbackArtifactId' }] },
          );
        }
        const artifact = await this.firmware.artifact(tenant, rollbackId, tx);
        if (!artifact) throw unknownArtifact(rollbackId, 'artifactId');
        const reached = await this.firmware.tracked(tx, id, [
          'notified',
          'downloading',
          'installing',
          'succeeded',
          'failed',
        ]);
        await this.engine.notify(tx, { ...campaign, rollbackArtifactId: rollbackId }, artifact, reached);
        return { rollbackArtifactId: rollbackId, statusReason: 'rollback requested' };
      },
    );
  }

  private async change(
    tenant: string,
    id: string,
    from: FirmwareCampaign['status'][],
    to: FirmwareCampaign['status'],
    effect: (
      tx: Parameters<Parameters<FirmwareRepository['transaction']>[0]>[0],
      campaign: FirmwareCampaign,
    ) => Promise<{ statusReason: string | null; rollbackArtifactId?: string }>,
  ): Promise<CampaignView> {
    await this.firmware.transaction(async (tx) => {
      const found = await this.firmware.campaign(tenant, id, tx);
      if (!found) throw campaignNotFound(id);
      const campaign = await this.firmware.lockCampaign(tx, id);
      if (!campaign) {
        throw new DevicesProblem(DevicesErrorCode.VersionConflict, `Campaign ${id} is being updated; retry.`);
      }
      if (!from.includes(campaign.status)) {
        throw new DevicesProblem(
          DevicesErrorCode.IllegalCampaignTransition,
          `Campaign ${id} is ${campaign.status}; it cannot become ${to}.`,
          { campaignStatus: campaign.status },
        );
      }
      const data = await effect(tx, campaign);
      await this.firmware.updateCampaign(tx, id, { status: to, ...data });
    });
    this.relay.nudge();
    return this.campaign(tenant, id);
  }

  private async viewOf(row: FirmwareCampaign): Promise<CampaignView> {
    const counts = await this.firmware.statusCounts(row.id);
    const total = emptyCounts();
    const waves = row.waves.map((percent, wave) => ({ wave, percent, total: 0, counts: emptyCounts() }));
    for (const { wave, status, count } of counts) {
      total[status] += count;
      waves[wave].counts[status] += count;
      waves[wave].total += count;
    }
    const target = row.target as { profileId?: string; tags?: string[] };
    return {
      id: row.id,
      name: row.name,
      artifactId: row.artifactId,
      ...(row.rollbackArtifactId !== null && { rollbackArtifactId: row.rollbackArtifactId }),
      target,
      waves: row.waves,
      successThreshold: row.successThreshold,
      failureThreshold: row.failureThreshold,
      status: row.status,
      ...(row.statusReason !== null && { statusReason: row.statusReason }),
      currentWave: row.currentWave,
      progress: { total: waves.reduce((sum, w) => sum + w.total, 0), counts: total, waves },
      createdAt: row.createdAt.toISOString(),
      updatedAt: row.updatedAt.toISOString(),
    };
  }
}

const campaignNotFound = (id: string) =>
  new DevicesProblem(DevicesErrorCode.CampaignNotFound, `No firmware campaign ${id} in this tenant.`);

const unknownArtifact = (id: string, path: string) =>
  new DevicesProblem(DevicesErrorCode.CampaignInvalid, `No firmware artifact ${id} in this tenant.`, {
    errors: [{ path, message: 'no such artifact' }],
  });
