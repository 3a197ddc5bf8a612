import type { JsonValue } from '../common/json';
import { decodeCayenneLpp, isCayenneField } from './cayenne-lpp';
import { DecodeError, ProfileDefinitionError } from './decode-error';
import { compileJsonata, DEFAULT_JSONATA_LIMITS, type JsonataLimits } from './jsonata-codec';
import type { AttributeMapping, DecodingProfile } from './profile-definition';

/** One uplink, as the decoder sees it. */
export interface RawUplink {
  tenant: string;
  deviceId: string;
  payload: Buffer;
  receivedAt: string;
  contentType?: string;
  fPort?: number;
}

export interface DecodedAttribute {
  name: string;
  type: 'Property' | 'GeoProperty' | 'Relationship';
  value: JsonValue;
  unitCode?: string;
  observedAt: string;
}

export interface DecodedObservation {
  entity: { id: string; type: string };
  observedAt: string;
  attributes: DecodedAttribute[];
}

export interface DecoderLimits {
  maxPayloadBytes: number;
  jsonata: JsonataLimits;
}

export const DEFAULT_DECODER_LIMITS: DecoderLimits = {
  maxPayloadBytes: 65_536,
  jsonata: DEFAULT_JSONATA_LIMITS,
};

/** The NGSI-LD id of the entity a device's observations update. */
export function observationEntityId(entityType: string, tenant: string, deviceId: string): string {
  return `urn:ngsi-ld:${entityType}:${tenant}:${deviceId}`;
}

function parseJsonPayload(payload: Buffer): unknown {
  try {
    return JSON.parse(payload.toString('utf8'));
  } catch (error) {
    throw new DecodeError(
      `json: payload is not JSON (${error instanceof Error ? error.message : String(error)})`,
    );
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function lookup(fields: unknown, path: string): unknown {
  let current: unknown = fields;
  for (const segment of path.split('.')) {
    if (Array.isArray(current) && /^\d+$/.test(segment)) current = current[Number(segment)];
    else if (isPlainObject(current) && Object.prototype.hasOwnProperty.call(current, segment))
      current = current[segment];
    else return undefined;
  }
  return current;
}

/** A JSON value, or undefined for what JSON cannot carry (functions from JSONata, NaN). */
function toJson(value: unknown, depth = 0): JsonValue | undefined {
  if (depth > 32) return undefined;
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (Array.isArray(value)) {
    const items = value.map((item) => toJson(item, depth + 1));
    return items.every((item) => item !== undefined) ? (items as JsonValue[]) : undefined;
  }
  if (isPlainObject(value)) {
    const out: Record<string, JsonValue> = {};
    for (const [key, item] of Object.entries(value)) {
      const converted = toJson(item, depth + 1);
      if (converted === undefined) return undefined;
      out[key] = converted;
    }
    return out;
  }
  return undefined;
}

function geoValue(value: JsonValue, mapping: AttributeMapping): JsonValue {
  if (isPlainObject(value)) {
    if (typeof value['type'] === 'string' && Array.isArray(value['coordinates'])) return value;
    const lat = value['latitude'] ?? value['lat'];
    const lon = value['longitude'] ?? value['lon'] ?? value['lng'];
    if (typeof lat === 'number' && typeof lon === 'number' && Math.abs(lat) <= 90 && Math.abs(lon) <= 180) {
      return { type: 'Point', coordinates: [lon, lat] };
    }
  }
  throw new DecodeError(
    `attribute ${mapping.name}: GeoProperty needs GeoJSON or { latitude, longitude }, got ${JSON.stringify(value).slice(0, 80)}`,
  );
}

function attributeValue(raw: JsonValue, mapping: AttributeMapping): JsonValue {
  switch (mapping.type) {
    case 'GeoProperty':
      return geoValue(raw, mapping);
    case 'Relationship':
      if (typeof raw === 'string' && /^[a-zA-Z][a-zA-Z0-9+.-]*:\S+$/.test(raw)) return raw;
      throw new DecodeError(
        `attribute ${mapping.name}: Relationship needs a URI, got ${JSON.stringify(raw).slice(0, 80)}`,
      );
    case 'Property':
      if (mapping.scale !== undefined && typeof raw === 'number')
        return Number((raw * mapping.scale).toPrecision(12));
      return raw;
  }
}

/**
 * A profile compiled for decoding: the codec turns the payload into fields, the attribute
 * mappings pick NGSI-LD attributes from them. Compiling validates the profile (a JSONata syntax
 * error, a Cayenne field that does not exist, duplicate attributes → ProfileDefinitionError).
 */
export class ProfileDecoder {
  private readonly fieldsOf: (uplink: RawUplink) => Promise<unknown>;

  constructor(
    readonly profile: DecodingProfile,
    private readonly limits: DecoderLimits = DEFAULT_DECODER_LIMITS,
  ) {
    const issues: { path: string; message: string }[] = [];
    if (profile.attributes.length === 0) {
      issues.push({ path: 'attributes', message: 'a profile maps at least one attribute' });
    }
    const seen = new Set<string>();
    profile.attributes.forEach((mapping, index) => {
      if (seen.has(mapping.name)) {
        issues.push({
          path: `attributes.${index}.name`,
          message: `attribute ${mapping.name} is mapped twice`,
        });
      }
      seen.add(mapping.name);
      if (profile.codec.type === 'cayenne-lpp' && !isCayenneField(mapping.source.split('.')[0])) {
        issues.push({
          path: `attributes.${index}.source`,
          message: `${mapping.source} maps to nothing: cayenne-lpp fields are <type>_<channel>, e.g. temperature_1`,
        });
      }
      if (mapping.scale !== undefined && mapping.type !== 'Property') {
        issues.push({
          path: `attributes.${index}.scale`,
          message: 'scale applies to numeric Property values only',
        });
      }
      if (mapping.unitCode !== undefined && mapping.type !== 'Property') {
        issues.push({
          path: `attributes.${index}.unitCode`,
          message: 'unitCode applies to Property values only',
        });
      }
    });
    let fieldsOf: (uplink: RawUplink) => Promise<unknown>;
    switch (profile.codec.type) {
      case 'json':
        fieldsOf = async (uplink) => parseJsonPayload(uplink.payload);
        break;
      case 'cayenne-lpp':
        fieldsOf = async (uplink) => decodeCayenneLpp(uplink.payload);
        break;
      case 'jsonata': {
        let evaluate: (input: unknown) => Promise<unknown> = async () => undefined;
        try {
          evaluate = compileJsonata(profile.codec.expression, limits.jsonata);
        } catch (error) {
          if (error instanceof ProfileDefinitionError) issues.push(...error.issues);
          else throw error;
        }
        fieldsOf = async (uplink) => evaluate(jsonataInput(uplink));
        break;
      }
    }
    if (issues.length > 0) throw new ProfileDefinitionError(issues);
    this.fieldsOf = fieldsOf;
  }

  /** Decodes one uplink; a DecodeError says why it cannot be (size, shape, codec failure, nothing mapped). */
  async decode(uplink: RawUplink): Promise<DecodedObservation> {
    if (uplink.payload.length > this.limits.maxPayloadBytes) {
      throw new DecodeError(
        `payload of ${uplink.payload.length} bytes exceeds the ${this.limits.maxPayloadBytes}-byte limit`,
      );
    }
    const fields = await this.fieldsOf(uplink);
    if (!isPlainObject(fields)) {
      throw new DecodeError(
        `${this.profile.codec.type}: decoded payload must be an object, got ${Array.isArray(fields) ? 'an array' : fields === undefined ? 'nothing' : typeof fields}`,
      );
    }
    const attributes: DecodedAttribute[] = [];
    for (const mapping of this.profile.attributes) {
      const found = lookup(fields, mapping.source);
      if (found === undefined || found === null) continue;
      const raw = toJson(found);
      if (raw === undefined) throw new DecodeError(`attribute ${mapping.name}: value is not JSON`);
      const attribute: DecodedAttribute = {
        name: mapping.name,
        type: mapping.type,
        value: attributeValue(raw, mapping),
        observedAt: uplink.receivedAt,
      };
      if (mapping.unitCode !== undefined) attribute.unitCode = mapping.unitCode;
      attributes.push(attribute);
    }
    if (attributes.length === 0) {
      throw new DecodeError(
        `none of the profile's attributes (${this.profile.attributes.map((m) => m.source).join(', ')}) is in the payload`,
      );
    }
    return {
      entity: {
        id: observationEntityId(this.profile.entityType, uplink.tenant, uplink.deviceId),
        type: this.profile.entityType,
      },
      observedAt: uplink.receivedAt,
      attributes,
    };
  }
}

function jsonataInput(uplink: RawUplink): Record<string, unknown> {
  let payload: unknown = null;
  const first = uplink.payload[0];
  // `{` or `[`: most likely JSON; anything else is left to the expression as bytes.
  if (first === 0x7b || first === 0x5b) {
    try {
      payload = JSON.parse(uplink.payload.toString('utf8'));
    } catch {
      payload = null;
    }
  }
  return {
    payload,
    bytes: [...uplink.payload],
    hex: uplink.payload.toString('hex'),
    fPort: uplink.fPort,
    deviceId: uplink.deviceId,
    receivedAt: uplink.receivedAt,
  };
}
