// Webhook bodies as ChirpStack v4 (HTTP integration, JSON) and The Things Stack v3 send them,
// trimmed of nothing but ids: the parsers must ignore what they do not use.

export interface Reception {
  gatewayId: string;
  rssi: number;
  snr: number;
}

export function chirpstackUp(devEui: string, fCnt: number, data: Buffer, rx: Reception[]) {
  return {
    deduplicationId: '3ac5e2c1-6a4f-4f55-8c9f-7d7d0b3e2f10',
    time: '2026-11-22T03:00:00.123456+00:00',
    deviceInfo: {
      tenantId: '52f14cd4-c6f1-4fbd-8f87-4025e1d49242',
      tenantName: 'ChirpStack',
      applicationId: '17c82e96-be03-4f38-aef3-f83d48582d97',
      applicationName: 'city-sensors',
      deviceProfileId: '14855bf7-d10d-4aee-b618-ebfcb64dc7ad',
      deviceProfileName: 'air-quality',
      deviceName: 'aq-17',
      devEui,
      deviceClassEnabled: 'CLASS_A',
      tags: { district: 'north' },
    },
    devAddr: '00189440',
    adr: true,
    dr: 5,
    fCnt,
    fPort: 2,
    confirmed: false,
    data: data.toString('base64'),
    object: { temperature: 21.5 },
    rxInfo: rx.map((r, i) => ({
      gatewayId: r.gatewayId,
      uplinkId: 4217106255 + i,
      gwTime: '2026-11-22T03:00:00.120+00:00',
      nsTime: '2026-11-22T03:00:00.121+00:00',
      rssi: r.rssi,
      snr: r.snr,
      channel: 5,
      rfChain: 1,
      location: { latitude: 52.37, longitude: 4.89 },
      context: 'EFwMtA==',
      metadata: { region_config_id: 'eu868', region_common_name: 'EU868' },
      crcStatus: 'CRC_OK',
    })),
    txInfo: { frequency: 867100000, modulation: { lora: { bandwidth: 125000, spreadingFactor: 7, codeRate: 'CR_4_5' } } },
  };
}

export function chirpstackJoin(devEui: string) {
  return {
    deduplicationId: 'c9dbe358-2578-4fb7-b295-66b44edc45a6',
    time: '2026-11-22T02:59:00+00:00',
    deviceInfo: { tenantId: '52f14cd4-c6f1-4fbd-8f87-4025e1d49242', applicationId: '17c82e96-be03-4f38-aef3-f83d48582d97', deviceName: 'aq-17', devEui },
    devAddr: '00189440',
    relayRxInfo: null,
  };
}

export function chirpstackStatus(devEui: string) {
  return {
    deduplicationId: 'a3e1f9d2-1a3b-4c5d-9e8f-0a1b2c3d4e5f',
    time: '2026-11-22T03:05:00+00:00',
    deviceInfo: { tenantId: '52f14cd4-c6f1-4fbd-8f87-4025e1d49242', applicationId: '17c82e96-be03-4f38-aef3-f83d48582d97', deviceName: 'aq-17', devEui },
    margin: 7,
    externalPowerSource: false,
    batteryLevelUnavailable: false,
    batteryLevel: 75.5,
  };
}

export function ttsUplink(devEui: string, fCnt: number, data: Buffer, rx: Reception[]) {
  return {
    end_device_ids: {
      device_id: 'aq-17',
      application_ids: { application_id: 'city-sensors' },
      dev_eui: devEui.toUpperCase(),
      join_eui: '70B3D57ED0000000',
      dev_addr: '260B1234',
    },
    correlation_ids: ['as:up:01HXYZ', 'gs:uplink:01HXYZ'],
    received_at: '2026-11-22T03:00:00.223Z',
    uplink_message: {
      session_key_id: 'AYzX1pT2',
      f_port: 2,
      f_cnt: fCnt,
      frm_payload: data.toString('base64'),
      decoded_payload: { temperature: 21.5 },
      rx_metadata: rx.map((r) => ({
        gateway_ids: { gateway_id: r.gatewayId, eui: 'B827EBFFFE000001' },
        time: '2026-11-22T03:00:00.120Z',
        timestamp: 2045651,
        rssi: r.rssi,
        channel_rssi: r.rssi,
        snr: r.snr,
        uplink_token: 'ChsKGQoNZ3ctMDAwMDAwMDAwMRI=',
        received_at: '2026-11-22T03:00:00.150Z',
      })),
      settings: { data_rate: { lora: { bandwidth: 125000, spreading_factor: 7 } }, frequency: '868100000' },
      received_at: '2026-11-22T03:00:00.200Z',
      consumed_airtime: '0.061696s',
      network_ids: { net_id: '000013', tenant_id: 'ttn', cluster_id: 'eu1' },
    },
  };
}

export function ttsJoinAccept(devEui: string) {
  return {
    end_device_ids: { device_id: 'aq-17', application_ids: { application_id: 'city-sensors' }, dev_eui: devEui, dev_addr: '260B1234' },
    correlation_ids: ['as:up:01HXYZ'],
    received_at: '2026-11-22T02:59:00.100Z',
    join_accept: { session_key_id: 'AYzX1pT2', received_at: '2026-11-22T02:59:00.050Z' },
  };
}
