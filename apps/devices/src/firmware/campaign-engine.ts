import { Injectable } from '@nestjs/common';
import { OutboxRelay } from '@urbis/messaging';
import { CommandsService } from '../commands/commands.service';
import type { Db } from '../common/database';
import type { CampaignDeviceStatus, FirmwareArtifact, FirmwareCampaign } from '../prisma-client/client';
import { FirmwareRepository, type TrackedDevice } from './firmware.repository';
import { decideWave } from './waves';

/** The command that tells a device to update; params name the artifact. */
export const FIRMWARE_UPDATE_COMMAND = 'firmware.update';
/** Times a device is notified again after it rebooted mid-update, before it counts as failed. */
export const MAX_ATTEMPTS = 3;

const IN_PROGRESS: CampaignDeviceStatus[] = ['notified', 'downloading', 'installing'];

/**
 * What a device reports in its twin (`reported.firmware`): the version it runs, and while it
 * updates, `state` downloading | installing | failed (with `error`).
 */
interface FirmwareReport {
  version?: string;
  state?: string;
  error?: string;
}

function reportOf(device: TrackedDevice): FirmwareReport {
  const reported = device.reported;
  if (typeof reported !== 'object' || reported === null || Array.isArray(reported)) return {};
  const firmware = (reported as Record<string, unknown>)['firmware'];
  if (typeof firmware !== 'object' || firmware === null || Array.isArray(firmware)) return {};
  const { version, state, error } = firmware as Record<string, unknown>;
  return {
    ...(typeof version === 'string' && { version }),
    ...(typeof state === 'string' && { state }),
    ...(typeof error === 'string' && { error }),
  };
}

/**
 * Drives campaigns: notifies a wave's devices with a `firmware.update` command, follows each
 * device through its twin reports and its command's status, re-notifies a device that rebooted
 * mid-update, advances a wave once enough succeeded, pauses once too many failed, and finishes
 * a rollback. One campaign per transaction, locked so that several instances can run it.
 */
@Injectable()
export class CampaignEngine {
  constructor(
    private readonly firmware: FirmwareRepository,
    private readonly commands: CommandsService,
    private readonly relay: OutboxRelay,
  ) {}

  /** One pass over every running or rolling-back campaign. */
  async tick(): Promise<void> {
    for (const { id } of await this.firmware.activeCampaignIds()) {
      await this.firmware.transaction(async (tx) => {
        const campaign = await this.firmware.lockCampaign(tx, id);
        if (campaign && (campaign.status === 'running' || campaign.status === 'rolling_back')) {
          await this.step(tx, campaign);
        }
      });
    }
    this.relay.nudge();
  }

  /** Sends the update to every device of the campaign's `wave` still queued (or to `deviceIds`). */
  async notify(
    tx: Db,
    campaign: FirmwareCampaign,
    artifact: FirmwareArtifact,
    devices: TrackedDevice[],
  ): Promise<void> {
    for (const device of devices) {
      if (device.deviceState !== 'active') {
        await this.firmware.updateDevice(tx, campaign.id, device.deviceId, {
          status: 'failed',
          lastError: `device is ${device.deviceState ?? 'deleted'}`,
        });
        continue;
      }
      const command = await this.commands.enqueue(tx, campaign.tenant, device.deviceId, {
        name: FIRMWARE_UPDATE_COMMAND,
        params: {
          campaignId: campaign.id,
          version: artifact.version,
          url: artifact.url,
          sha256: artifact.sha256,
          sizeBytes: artifact.sizeBytes,
        },
        ttlSeconds: campaign.commandTtlSeconds,
      });
      await this.firmware.updateDevice(tx, campaign.id, device.deviceId, {
        status: 'notified',
        commandId: command.id,
        attempts: { increment: 1 },
        notifiedAt: new Date(),
        lastError: null,
      });
    }
  }

  private async step(tx: Db, campaign: FirmwareCampaign): Promise<void> {
    const rollingBack = campaign.status === 'rolling_back';
    const artifactId = rollingBack ? campaign.rollbackArtifactId : campaign.artifactId;
    const artifact = artifactId ? await this.firmware.artifact(campaign.tenant, artifactId, tx) : null;
    if (!artifact) {
      await this.firmware.updateCampaign(tx, campaign.id, {
        status: 'paused',
        statusReason: 'artifact deleted',
      });
      return;
    }
    for (const device of await this.firmware.tracked(tx, campaign.id, IN_PROGRESS)) {
      await this.follow(tx, campaign, artifact, device, rollingBack);
    }

    if (rollingBack) {
      const counts = await this.firmware.statusCounts(campaign.id, tx);
      if (!counts.some((c) => IN_PROGRESS.includes(c.status) && c.count > 0)) {
        await this.firmware.updateCampaign(tx, campaign.id, { status: 'rolled_back', statusReason: null });
      }
      return;
    }

    const counts = await this.firmware.statusCounts(campaign.id, tx);
    const wave = counts.filter((c) => c.wave === campaign.currentWave);
    const count = (statuses: CampaignDeviceStatus[]) =>
      wave.filter((c) => statuses.includes(c.status)).reduce((sum, c) => sum + c.count, 0);
    const stats = {
      total: wave.reduce((sum, c) => sum + c.count, 0),
      succeeded: count(['succeeded']),
      failed: count(['failed']),
      inProgress: count(['queued', ...IN_PROGRESS]),
    };
    const decision = decideWave(stats, campaign.successThreshold, campaign.failureThreshold);
    if (decision === 'pause') {
      await this.firmware.updateCampaign(tx, campaign.id, {
        status: 'paused',
        statusReason: `wave ${campaign.currentWave + 1}: ${stats.failed} of ${stats.total} devices failed (failure threshold ${campaign.failureThreshold})`,
      });
      return;
    }
    if (decision !== 'advance') return;
    const last = campaign.waves.length - 1;
    if (campaign.currentWave < last) {
      const next = campaign.currentWave + 1;
      await this.firmware.updateCampaign(tx, campaign.id, { currentWave: next });
      await this.notify(
        tx,
        campaign,
        artifact,
        await this.firmware.tracked(tx, campaign.id, ['queued'], next),
      );
      return;
    }
    const busy = counts.some((c) => ['queued', ...IN_PROGRESS].includes(c.status) && c.count > 0);
    if (!busy)
      await this.firmware.updateCampaign(tx, campaign.id, { status: 'completed', statusReason: null });
  }

  private async follow(
    tx: Db,
    campaign: FirmwareCampaign,
    artifact: FirmwareArtifact,
    device: TrackedDevice,
    rollingBack: boolean,
  ): Promise<void> {
    const report = reportOf(device);
    const fresh =
      device.reportedUpdatedAt !== null &&
      device.notifiedAt !== null &&
      device.reportedUpdatedAt > device.notifiedAt;
    const set = (status: CampaignDeviceStatus, lastError?: string) =>
      this.firmware.updateDevice(tx, campaign.id, device.deviceId, { status, lastError: lastError ?? null });

    if (report.version === artifact.version)
      return void (await set(rollingBack ? 'rolled_back' : 'succeeded'));
    if (device.commandStatus === 'failed' || device.commandStatus === 'expired') {
      return void (await set(
        'failed',
        `update command ${device.commandStatus}: ${device.commandReason ?? ''}`.trim(),
      ));
    }
    if (!fresh) return;
    if (report.state === 'failed')
      return void (await set('failed', report.error ?? 'the device reported a failure'));
    if (report.state === 'downloading' || report.state === 'installing') {
      if (report.state !== device.status) await set(report.state);
      return;
    }
    // A report after the update started, with neither the new version nor an update state: the
    // device restarted mid-update. Notify it again, a bounded number of times.
    if (device.status === 'downloading' || device.status === 'installing') {
      const reportedAfterProgress =
        device.reportedUpdatedAt !== null && device.reportedUpdatedAt > device.updatedAt;
      if (!reportedAfterProgress) return;
      if (device.attempts >= MAX_ATTEMPTS) {
        return void (await set('failed', `restarted mid-update ${device.attempts} times`));
      }
      await this.notify(tx, campaign, artifact, [device]);
    }
  }
}
