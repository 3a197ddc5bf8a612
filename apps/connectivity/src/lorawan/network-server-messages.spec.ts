import { ZodError } from 'zod';
import { chirpstackJoin, chirpstackStatus, chirpstackUp, ttsJoinAccept, ttsUplink } from './network-server-fixtures.test-helpers';
import { parseChirpstack, parseTts } from './network-server-messages';

const EUI = '0004A30B001C0530';
const rx = [
  { gatewayId: 'gw-north', rssi: -97, snr: 5.5 },
  { gatewayId: 'gw-south', rssi: -112, snr: -3.25 },
];

describe('network-server messages', () => {
  it('reads a ChirpStack v4 up event with every gateway', () => {
    expect(parseChirpstack('up', chirpstackUp(EUI, 42, Buffer.from([1, 2, 3]), rx))).toEqual({
      kind: 'uplink',
      devEui: '0004a30b001c0530',
      fCnt: 42,
      fPort: 2,
      payload: 'AQID',
      receivedAt: '2026-11-22T03:00:00.123456+00:00',
      gateways: [
        { gatewayId: 'gw-north', rssi: -97, snr: 5.5, receivedAt: '2026-11-22T03:00:00.120+00:00' },
        { gatewayId: 'gw-south', rssi: -112, snr: -3.25, receivedAt: '2026-11-22T03:00:00.120+00:00' },
      ],
    });
  });

  it('reads ChirpStack join and status events', () => {
    expect(parseChirpstack('join', chirpstackJoin(EUI))).toEqual({
      kind: 'join',
      devEui: '0004a30b001c0530',
      devAddr: '00189440',
      at: '2026-11-22T02:59:00+00:00',
    });
    expect(parseChirpstack('status', chirpstackStatus(EUI))).toEqual({
      kind: 'status',
      devEui: '0004a30b001c0530',
      batteryLevel: 75.5,
      margin: 7,
      externalPower: false,
      at: '2026-11-22T03:05:00+00:00',
    });
    expect(parseChirpstack('status', { ...chirpstackStatus(EUI), batteryLevelUnavailable: true })).toMatchObject({
      batteryLevel: undefined,
    });
  });

  it('reads a TTS v3 uplink and join-accept', () => {
    expect(parseTts(ttsUplink(EUI, 7, Buffer.from('hi'), rx))).toMatchObject({
      kind: 'uplink',
      devEui: '0004a30b001c0530',
      fCnt: 7,
      fPort: 2,
      payload: 'aGk=',
      receivedAt: '2026-11-22T03:00:00.200Z',
      gateways: [
        { gatewayId: 'gw-north', rssi: -97, snr: 5.5 },
        { gatewayId: 'gw-south', rssi: -112, snr: -3.25 },
      ],
    });
    expect(parseTts(ttsJoinAccept(EUI))).toEqual({
      kind: 'join',
      devEui: '0004a30b001c0530',
      devAddr: '260B1234',
      at: '2026-11-22T02:59:00.050Z',
    });
  });

  it('names what is wrong in a bad body', () => {
    const noGateway = { ...chirpstackUp(EUI, 1, Buffer.from('x'), rx), rxInfo: [] };
    const badEui = chirpstackUp('xyz', 1, Buffer.from('x'), rx);
    const badData = { ...chirpstackUp(EUI, 1, Buffer.from('x'), rx), data: '%%%' };
    for (const [body, path] of [
      [noGateway, 'rxInfo'],
      [badEui, 'deviceInfo.devEui'],
      [badData, 'data'],
    ] as const) {
      try {
        parseChirpstack('up', body);
        throw new Error('expected a ZodError');
      } catch (error) {
        expect(error).toBeInstanceOf(ZodError);
        expect((error as ZodError).issues.map((issue) => issue.path.join('.'))).toContain(path);
      }
    }
    expect(() => parseTts({ end_device_ids: { dev_eui: EUI } })).toThrow(ZodError);
    expect(() => parseTts(null)).toThrow(ZodError);
  });
});
