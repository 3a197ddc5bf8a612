// A simulated district on the whole platform, every service a process of its own, touched only
// through public interfaces: readings over MQTT become NGSI-LD entities with history, a
// subscription notifies an HTTP receiver of the test through integration, an operator's command
// reaches a streetlight and comes back answered, a LoRaWAN frame heard by two gateways is one
// observation, and the services' spans reach an OTLP/HTTP receiver of the test.
import type { District, SimulatedDevice } from '@urbis/simulator';
import { type HttpReceiver, type OtlpReceiver, startHttpReceiver, startOtlpReceiver, until } from '@urbis/testing';
import { type City, type Entity, exportTracesTo, type Property, startCity, startTestDistrict } from './city';

interface Command {
  id: string;
  status: string;
  response?: unknown;
  reason?: string;
  deliveredAt?: string;
  completedAt?: string;
}

const SERVICES = ['connectivity', 'devices', 'data', 'integration', 'security'];

describe('a district on the platform', () => {
  let otlp: OtlpReceiver;
  let receiver: HttpReceiver;
  let city: City;
  let district: District;

  const entity = async (id: string) => {
    const response = await city.api('data', 'operator').get<Entity>(`/ngsi-ld/v1/entities/${encodeURIComponent(id)}`);
    return response.status === 200 ? response.body : undefined;
  };
  const first = (kind: SimulatedDevice['kind']) => district.devices.find((device) => device.kind === kind) as SimulatedDevice;
  const sentJson = (device: SimulatedDevice) => JSON.parse(device.lastUplink?.payload.toString('utf8') ?? '{}') as Record<string, Record<string, number>>;

  beforeAll(async () => {
    [otlp, receiver] = await Promise.all([startOtlpReceiver(), startHttpReceiver()]);
    city = await startCity(Object.fromEntries(SERVICES.map((service) => [service, exportTracesTo(otlp.url, service)])));
    district = await startTestDistrict(city, {
      devices: { airQuality: 2, parkingSpot: 8, streetlight: 2, wasteContainer: 2, trafficCounter: 2 },
      lorawanCopies: 'per-gateway',
    });
    // One reading from every device, until each has its entity: the pipeline is warm.
    expect(await district.publish()).toEqual({ sent: 16, acknowledged: 16, failed: 0 });
    for (const device of district.devices) {
      await until(() => entity(device.entityId), (found) => found !== undefined, { timeoutMs: 60_000, what: `entity ${device.entityId}` });
    }
  }, 600_000);

  afterAll(async () => {
    await district?.stop();
    await city?.stop();
    await Promise.all([receiver?.stop(), otlp?.stop()]);
  });

  it('makes an MQTT reading a queryable NGSI-LD entity within 2 seconds, with its history in the temporal API', async () => {
    const station = first('airQuality');
    const publishedAt = Date.now();
    expect(await district.publish({ ids: [station.id] })).toMatchObject({ acknowledged: 1 });
    const sent = sentJson(station);
    const seen = await until(
      () => entity(station.entityId),
      (found) => (found?.['no2'] as Property | undefined)?.value === sent['gases']?.['no2'],
      { timeoutMs: 10_000, everyMs: 25, what: 'the reading in the entity' },
    );
    const elapsed = Date.now() - publishedAt;
    expect(elapsed).toBeLessThan(2_000);
    expect(seen).toMatchObject({
      id: station.entityId,
      type: 'AirQualityObserved',
      no2: { type: 'Property', value: sent['gases']?.['no2'], unitCode: 'GQ' },
      pm25: { type: 'Property', value: sent['pm']?.['pm25'], unitCode: 'GQ' },
      location: { type: 'GeoProperty', value: { type: 'Point', coordinates: [station.location.longitude, station.location.latitude] } },
    });
    const observedAt = Date.parse((seen?.['no2'] as Property).observedAt ?? '');
    expect(observedAt).toBeGreaterThanOrEqual(publishedAt - 1_000);

    // both readings of this station (warm-up and this one), in order, and nothing else
    const history = await city.api('data', 'operator').get<{ no2: { values: [number, string][] } }>(
      `/ngsi-ld/v1/temporal/entities/${encodeURIComponent(station.entityId)}?attrs=no2&options=temporalValues`,
    );
    expect(history.status).toBe(200);
    const values = history.body.no2.values;
    expect(values).toHaveLength(station.readings.acknowledged);
    expect(values.map(([value]) => value)).toContain(sent['gases']?.['no2']);
    expect(values.some(([, at]) => Date.parse(at) === observedAt)).toBe(true);
  });

  it('delivers a subscription’s notification to an HTTP receiver through integration', async () => {
    const integration = city.api('integration', 'platformAdmin');
    // loopback is refused unless the tenant's destination policy allows it
    expect((await integration.get('/integration/v1/destination-policy')).body).toMatchObject({ tenant: 'alpha', allowLoopback: false });
    expect((await integration.put('/integration/v1/destination-policy', { allowLoopback: true })).status).toBe(200);

    const data = city.api('data', 'operator');
    const created = await data.post('/ngsi-ld/v1/subscriptions', {
      type: 'Subscription',
      entities: [{ type: 'AirQualityObserved' }],
      watchedAttributes: ['no2'],
      notification: { attributes: ['no2', 'pm25'], endpoint: { uri: `${receiver.url}/city/air-quality`, accept: 'application/json' } },
    });
    expect(created.status).toBe(201);
    const subscription = decodeURIComponent((created.headers.get('location') ?? '').split('/').pop() ?? '');

    const station = first('airQuality');
    await district.publish({ ids: [station.id] });
    const no2 = sentJson(station)['gases']?.['no2'];
    const request = await receiver.waitFor((r) => r.path === '/city/air-quality' && r.body.includes(station.entityId) && r.body.includes(`${no2}`), {
      timeoutMs: 30_000,
    });
    expect(request.method).toBe('POST');
    expect(request.headers['content-type']).toContain('application/json');
    const notification = JSON.parse(request.body) as { type: string; subscriptionId: string; data: Entity[] };
    expect(notification).toMatchObject({ type: 'Notification', subscriptionId: subscription });
    expect(notification.data).toEqual([
      expect.objectContaining({ id: station.entityId, type: 'AirQualityObserved', no2: expect.objectContaining({ value: no2, unitCode: 'GQ' }) }),
    ]);
    expect(notification.data[0]).not.toHaveProperty('temperature');

    // integration's delivery result comes back to the subscription
    await until(
      async () => (await data.get<{ notification: { timesSent?: number; lastSuccess?: string } }>(`/ngsi-ld/v1/subscriptions/${encodeURIComponent(subscription)}`)).body,
      (found) => (found.notification.timesSent ?? 0) >= 1 && found.notification.lastSuccess !== undefined,
      { timeoutMs: 30_000, what: 'timesSent and lastSuccess on the subscription' },
    );
  });

  it('sends a streetlight a command, which the device answers, and the command ends succeeded', async () => {
    const light = first('streetlight');
    const devices = city.api('devices', 'operator');
    const before = district.stats().commands.succeeded;
    const queued = await devices.post<Command>(`/devices/v1/devices/${light.id}/commands`, { name: 'dim', params: { level: 30 } });
    expect(queued).toMatchObject({ status: 201, body: { status: 'queued' } });

    const done = await until(
      async () => (await devices.get<Command>(`/devices/v1/devices/${light.id}/commands/${queued.body.id}`)).body,
      (command) => ['succeeded', 'failed', 'expired'].includes(command.status),
      { timeoutMs: 30_000, what: 'the command to end' },
    );
    expect(done).toMatchObject({ status: 'succeeded', response: { powerState: 'on', dimmingLevel: 30 } });
    expect(Date.parse(done.completedAt ?? '')).toBeGreaterThanOrEqual(Date.parse(done.deliveredAt ?? ''));
    expect(district.stats().commands.succeeded).toBe(before + 1);

    // the device reports its new state in its twin and in its next reading
    await until(
      async () => (await devices.get<{ reported: { state: Record<string, unknown> } }>(`/devices/v1/devices/${light.id}/twin`)).body,
      (twin) => twin.reported.state['dimmingLevel'] === 30 && twin.reported.state['mode'] === 'manual',
      { timeoutMs: 30_000, what: 'the reported twin' },
    );
    await until(
      () => entity(light.entityId),
      (found) => (found?.['illuminanceLevel'] as Property | undefined)?.value === 0.3 && (found?.['powerState'] as Property | undefined)?.value === 'on',
      { timeoutMs: 30_000, what: 'the Streetlight entity dimmed' },
    );

    // what the lamp cannot do it refuses, and the command says why
    const impossible = await devices.post<Command>(`/devices/v1/devices/${light.id}/commands`, { name: 'dim', params: { level: 150 } });
    const refused = await until(
      async () => (await devices.get<Command>(`/devices/v1/devices/${light.id}/commands/${impossible.body.id}`)).body,
      (command) => ['succeeded', 'failed', 'expired'].includes(command.status),
      { timeoutMs: 30_000, what: 'the impossible command to end' },
    );
    expect(refused).toMatchObject({ status: 'failed', reason: expect.stringContaining('0 to 100') });
  });

  it('makes a LoRaWAN frame heard by two gateways one observation with both gateways’ link data', async () => {
    const spots = district.devices.filter((device) => device.kind === 'parkingSpot');
    let spot: SimulatedDevice | undefined;
    for (let round = 0; round < 30 && !spot; round++) {
      await district.publish({ kind: 'parkingSpot' });
      spot = spots.find((device) => (device.lastUplink?.receptions?.length ?? 0) >= 2);
    }
    if (!spot?.lastUplink?.receptions) throw new Error('no frame reached two gateways in 30 rounds');
    const { fCnt, receptions, copies, eventId } = spot.lastUplink;
    // one webhook call per gateway, each answered with the one uplink they became
    expect(copies?.map((copy) => copy.status)).toEqual(receptions.map(() => 202));
    expect(new Set(copies?.map((copy) => copy.eventId))).toEqual(new Set([eventId]));

    const connectivity = city.api('connectivity', 'operator');
    const status = await until(
      async () => (await connectivity.get<{ linkQuality: { fCnt?: number; gateways: { gatewayId: string; rssi?: number; snr?: number }[] }[] }>(`/connectivity/v1/devices/${spot.id}/status?samples=50`)).body,
      (found) => found.linkQuality.some((sample) => sample.fCnt === fCnt),
      { timeoutMs: 30_000, what: `the link sample of frame ${fCnt}` },
    );
    const sample = status.linkQuality.find((found) => found.fCnt === fCnt);
    expect(sample?.gateways).toHaveLength(receptions.length);
    expect(sample?.gateways).toEqual(expect.arrayContaining(receptions.map((r) => expect.objectContaining({ gatewayId: r.gatewayId, rssi: r.rssi, snr: r.snr }))));
    expect((await connectivity.get(`/connectivity/v1/devices/${spot.id}/lorawan`)).body).toMatchObject({ devEui: spot.devEui, lastFCnt: fCnt });

    // one history instance per frame, not per gateway
    const data = city.api('data', 'operator');
    const frames = spot.readings.acknowledged;
    const history = await until(
      async () => (await data.get<{ status?: { values: unknown[] } }>(`/ngsi-ld/v1/temporal/entities/${encodeURIComponent(spot.entityId)}?attrs=status&options=temporalValues`)).body,
      (found) => (found.status?.values.length ?? 0) >= frames,
      { timeoutMs: 30_000, what: `${frames} instances of ${spot.entityId}` },
    );
    await new Promise((resolve) => setTimeout(resolve, 1_000)); // a second copy would land by now
    const again = await data.get<{ status: { values: unknown[] } }>(`/ngsi-ld/v1/temporal/entities/${encodeURIComponent(spot.entityId)}?attrs=status&options=temporalValues`);
    expect(again.body.status.values).toHaveLength(frames);
    expect(history.status?.values).toHaveLength(frames);
  });

  it('has every service export its spans over OTLP/HTTP, named by OTEL_SERVICE_NAME', async () => {
    await until(
      () => new Set(otlp.spans().map((span) => span.service)),
      (services) => SERVICES.every((service) => services.has(`urbis-${service}`)),
      { timeoutMs: 30_000, what: 'spans of every service' },
    );
    const ingest = otlp.spans().find((span) => span.service === 'urbis-connectivity' && span.name.includes('connectivity.uplink.received.v1'));
    expect(ingest).toBeDefined();
  });

  let readingTrace = '';
  it('sends the notification of a reading with a W3C traceparent whose trace the OTLP receiver holds', async () => {
    const counter = first('trafficCounter');
    const created = await city.api('data', 'operator').post('/ngsi-ld/v1/subscriptions', {
      type: 'Subscription',
      entities: [{ type: 'TrafficFlowObserved' }],
      notification: { endpoint: { uri: `${receiver.url}/city/traffic`, accept: 'application/json' } },
    });
    expect(created.status).toBe(201);
    await district.publish({ ids: [counter.id] });
    const notified = await receiver.waitFor((r) => r.path === '/city/traffic' && r.body.includes(counter.entityId), { timeoutMs: 30_000 });
    const [version, traceId] = String(notified.headers['traceparent'] ?? '').split('-');
    expect({ version, traceId }).toEqual({ version: '00', traceId: expect.stringMatching(/^[0-9a-f]{32}$/) });
    await until(
      () => otlp.trace(traceId ?? '').map((span) => span.service),
      (services) => services.includes('urbis-integration'),
      { timeoutMs: 30_000, what: `integration's delivery span in trace ${traceId}` },
    );
    readingTrace = traceId ?? '';
  });

  it('follows that reading in one trace through connectivity, devices, data and integration', async () => {
    const services = await until(
      () => [...new Set(otlp.trace(readingTrace).map((span) => span.service))].sort(),
      (found) => ['connectivity', 'devices', 'data', 'integration'].every((service) => found.includes(`urbis-${service}`)),
      { timeoutMs: 10_000, what: `spans of the four services in trace ${readingTrace}` },
    );
    expect(services).toEqual(expect.arrayContaining(['urbis-connectivity', 'urbis-data', 'urbis-devices', 'urbis-integration']));
  });
});
