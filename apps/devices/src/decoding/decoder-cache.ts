import type { DecoderLimits } from '../codecs/profile-decoder';
import { ProfileDecoder } from '../codecs/profile-decoder';
import type { AttributeMapping, CodecSettings } from '../codecs/profile-definition';
import type { JsonValue } from '../common/json';
import type { DecodingDevice } from './decoding.repository';

/** Compiled decoders by profile, recompiled when the profile's version changes. */
export class DecoderCache {
  private readonly decoders = new Map<string, ProfileDecoder>();

  constructor(
    private readonly limits: DecoderLimits,
    private readonly maxEntries = 10_000,
  ) {}

  decoderOf(profile: DecodingDevice['profile']): ProfileDecoder {
    const cached = this.decoders.get(profile.id);
    if (cached && cached.profile.version === profile.version) return cached;
    const config = profile.codecConfig as Record<string, JsonValue>;
    const codec = (
      profile.codec === 'jsonata'
        ? { type: 'jsonata', expression: String(config['expression']) }
        : { type: profile.codec }
    ) as CodecSettings;
    const decoder = new ProfileDecoder(
      {
        id: profile.id,
        version: profile.version,
        entityType: profile.entityType,
        codec,
        attributes: profile.attributes as unknown as AttributeMapping[],
      },
      this.limits,
    );
    if (this.decoders.size >= this.maxEntries) this.decoders.clear();
    this.decoders.set(profile.id, decoder);
    return decoder;
  }
}
