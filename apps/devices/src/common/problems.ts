import { HttpStatus } from '@nestjs/common';
import { ProblemException } from '@urbis/runtime';

/** What can go wrong in the registry's API; each code has one status and one problem type. */
export enum DevicesErrorCode {
  ProfileInvalid = 'profile-invalid',
  ProfileNotFound = 'profile-not-found',
  ProfileNameTaken = 'profile-name-taken',
  ProfileInUse = 'profile-in-use',
  UnknownProfile = 'unknown-profile',
  DeviceNotFound = 'device-not-found',
  DeviceExists = 'device-exists',
  ExternalIdTaken = 'external-id-taken',
  DevEuiTaken = 'dev-eui-taken',
  IllegalTransition = 'illegal-transition',
  DeviceDecommissioned = 'device-decommissioned',
  CredentialNotFound = 'credential-not-found',
  CredentialRevoked = 'credential-revoked',
  VersionConflict = 'version-conflict',
  BulkInvalid = 'bulk-invalid',
  ArtifactExists = 'artifact-exists',
  CampaignExists = 'campaign-exists',
  CampaignNotFound = 'campaign-not-found',
  CampaignInvalid = 'campaign-invalid',
  CampaignNoTargets = 'campaign-no-targets',
  IllegalCampaignTransition = 'illegal-campaign-transition',
  DeviceNotActive = 'device-not-active',
  CommandNotFound = 'command-not-found',
  BulkTooLarge = 'bulk-too-large',
}

const STATUS: Record<DevicesErrorCode, { status: HttpStatus; title: string }> = {
  [DevicesErrorCode.ProfileInvalid]: { status: HttpStatus.BAD_REQUEST, title: 'Invalid device profile' },
  [DevicesErrorCode.ProfileNotFound]: { status: HttpStatus.NOT_FOUND, title: 'Device profile not found' },
  [DevicesErrorCode.ProfileNameTaken]: { status: HttpStatus.CONFLICT, title: 'Profile name already used' },
  [DevicesErrorCode.ProfileInUse]: { status: HttpStatus.CONFLICT, title: 'Profile still used by devices' },
  [DevicesErrorCode.UnknownProfile]: { status: HttpStatus.BAD_REQUEST, title: 'Unknown device profile' },
  [DevicesErrorCode.DeviceNotFound]: { status: HttpStatus.NOT_FOUND, title: 'Device not found' },
  [DevicesErrorCode.DeviceExists]: { status: HttpStatus.CONFLICT, title: 'Device already exists' },
  [DevicesErrorCode.ExternalIdTaken]: { status: HttpStatus.CONFLICT, title: 'External id already used' },
  [DevicesErrorCode.DevEuiTaken]: { status: HttpStatus.CONFLICT, title: 'DevEUI already used' },
  [DevicesErrorCode.IllegalTransition]: {
    status: HttpStatus.CONFLICT,
    title: 'Illegal lifecycle transition',
  },
  [DevicesErrorCode.DeviceDecommissioned]: { status: HttpStatus.CONFLICT, title: 'Device decommissioned' },
  [DevicesErrorCode.CredentialNotFound]: { status: HttpStatus.NOT_FOUND, title: 'Credential not found' },
  [DevicesErrorCode.CredentialRevoked]: { status: HttpStatus.CONFLICT, title: 'Credential already revoked' },
  [DevicesErrorCode.DeviceNotActive]: { status: HttpStatus.CONFLICT, title: 'Device not active' },
  [DevicesErrorCode.CommandNotFound]: { status: HttpStatus.NOT_FOUND, title: 'Command not found' },
  [DevicesErrorCode.ArtifactExists]: {
    status: HttpStatus.CONFLICT,
    title: 'Firmware version already registered',
  },
  [DevicesErrorCode.CampaignExists]: { status: HttpStatus.CONFLICT, title: 'Campaign name already used' },
  [DevicesErrorCode.CampaignNotFound]: { status: HttpStatus.NOT_FOUND, title: 'Firmware campaign not found' },
  [DevicesErrorCode.CampaignInvalid]: { status: HttpStatus.BAD_REQUEST, title: 'Invalid firmware campaign' },
  [DevicesErrorCode.CampaignNoTargets]: { status: HttpStatus.BAD_REQUEST, title: 'Campaign without targets' },
  [DevicesErrorCode.IllegalCampaignTransition]: {
    status: HttpStatus.CONFLICT,
    title: 'Illegal campaign transition',
  },
  [DevicesErrorCode.BulkInvalid]: { status: HttpStatus.BAD_REQUEST, title: 'Invalid bulk request' },
  [DevicesErrorCode.BulkTooLarge]: { status: HttpStatus.PAYLOAD_TOO_LARGE, title: 'Bulk request too large' },
  [DevicesErrorCode.VersionConflict]: { status: HttpStatus.CONFLICT, title: 'Concurrent modification' },
};

export const PROBLEM_TYPE_BASE = 'https://urbis.city/problems/devices/';

/** An RFC 7807 problem of the devices API, with its `code`; the runtime's filter writes it. */
export class DevicesProblem extends ProblemException {
  constructor(
    readonly code: DevicesErrorCode,
    detail: string,
    extensions: Record<string, unknown> = {},
  ) {
    const { status, title } = STATUS[code];
    // Extensions never replace the standard members.
    super({ ...extensions, type: `${PROBLEM_TYPE_BASE}${code}`, title, status, detail, code });
  }
}
