import { parse } from 'csv-parse/sync';
import { z } from 'zod';
import { DevicesErrorCode, DevicesProblem } from '../common/problems';
import { deviceInput } from '../devices/device.dto';

export const BULK_MAX_ROWS = 10_000;

/** One row of a bulk request: a device, by external id, with its profile by id or by name. */
export const bulkRow = deviceInput
  .omit({ profileId: true })
  .extend({
    externalId: z.string().trim().min(1).max(128).describe('Required: bulk provisioning is idempotent by it'),
    profileId: z.uuid().optional(),
    profile: z.string().min(1).max(63).optional().describe('The profile by name, instead of profileId'),
  })
  .strict()
  .refine((row) => (row.profileId === undefined) !== (row.profile === undefined), {
    message: 'give exactly one of profileId and profile',
    path: ['profileId'],
  });
export type BulkRow = z.output<typeof bulkRow>;

export const bulkJsonBody = z.union([
  z.object({ devices: z.array(z.unknown()) }).strict(),
  z.array(z.unknown()),
]);

/** A row as received, before validation: its 1-based number and the candidate object, or why it is broken. */
export interface RawRow {
  row: number;
  value?: Record<string, unknown>;
  error?: string;
}

const CSV_COLUMNS = [
  'id',
  'externalId',
  'name',
  'profileId',
  'profile',
  'tags',
  'latitude',
  'longitude',
  'devEui',
];

function tooMany(count: number): DevicesProblem {
  return new DevicesProblem(
    DevicesErrorCode.BulkTooLarge,
    `A bulk request carries at most ${BULK_MAX_ROWS} devices; this one has ${count}.`,
    { maxRows: BULK_MAX_ROWS },
  );
}

export function rowsFromJson(body: unknown): RawRow[] {
  const parsed = bulkJsonBody.safeParse(body);
  if (!parsed.success) {
    throw new DevicesProblem(
      DevicesErrorCode.BulkInvalid,
      'A JSON bulk request is an array of devices or { "devices": [...] }.',
    );
  }
  const items = Array.isArray(parsed.data) ? parsed.data : parsed.data.devices;
  if (items.length > BULK_MAX_ROWS) throw tooMany(items.length);
  return items.map((item, index) =>
    typeof item === 'object' && item !== null && !Array.isArray(item)
      ? { row: index + 1, value: item as Record<string, unknown> }
      : { row: index + 1, error: 'a device is a JSON object' },
  );
}

/**
 * CSV with a header line naming some of: id, externalId, name, profileId, profile, tags
 * (separated by `;`), latitude, longitude, devEui. A row with the wrong number of fields is that
 * row's error; a file that cannot be parsed at all (an unclosed quote) is a 400 naming the line.
 */
export function rowsFromCsv(text: string): RawRow[] {
  let records: { record: Record<string, string>; info: { lines: number; error?: { message: string } } }[];
  try {
    records = parse(text, {
      columns: (header: string[]) => {
        const unknown = header.filter((name) => !CSV_COLUMNS.includes(name));
        if (unknown.length > 0) {
          throw new Error(
            `unknown column(s) ${unknown.join(', ')}; expected some of ${CSV_COLUMNS.join(', ')}`,
          );
        }
        return header;
      },
      relax_column_count: true,
      skip_empty_lines: true,
      trim: true,
      info: true,
      bom: true,
    });
  } catch (error) {
    throw new DevicesProblem(
      DevicesErrorCode.BulkInvalid,
      `The CSV cannot be read: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  if (records.length > BULK_MAX_ROWS) throw tooMany(records.length);
  return records.map(({ record, info }, index) => {
    const row = index + 1;
    if (info.error) return { row, error: `line ${info.lines}: ${info.error.message}` };
    const value: Record<string, unknown> = {};
    for (const [column, cell] of Object.entries(record)) {
      if (cell === '') continue;
      if (column === 'tags')
        value['tags'] = cell
          .split(';')
          .map((tag) => tag.trim())
          .filter(Boolean);
      else if (column === 'devEui') value['lorawan'] = { devEui: cell };
      else if (column !== 'latitude' && column !== 'longitude') value[column] = cell;
    }
    if (record['latitude'] || record['longitude']) {
      const lat = Number(record['latitude']);
      const lon = Number(record['longitude']);
      if (!record['latitude'] || !record['longitude'] || Number.isNaN(lat) || Number.isNaN(lon)) {
        return { row, error: `line ${info.lines}: latitude and longitude must both be numbers` };
      }
      value['location'] = { type: 'Point', coordinates: [lon, lat] };
    }
    return { row, value };
  });
}
