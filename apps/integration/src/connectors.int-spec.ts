// Inbound connectors end to end: configured through the API, fed by real sources started here
// (an HTTP client pushing, a feed with ETags, an OPC UA server, a Modbus TCP server), their
// readings arriving as observations on Kafka; sources that go away and come back.
import { eventually, freePort, until } from '@urbis/testing';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type IntegrationHarness, startIntegrationHarness } from './test-support/harness.test-helpers';
import { ModbusTestServer, OpcuaTestServer } from './test-support/scada.test-helpers';

jest.setTimeout(240_000);

interface Observation {
  deviceId: string;
  entity: { id: string; type: string };
  observedAt: string;
  attributes: { name: string; type: string; value: unknown; unitCode?: string }[];
}

describe('inbound connectors', () => {
  let h: IntegrationHarness;
  const pki = mkdtempSync(path.join(tmpdir(), 'urbis-opcua-test-'));

  const observationsOf = (deviceId: string): Observation[] =>
    h.reader
      .events('devices.observation.decoded.v1', (event) => event.payload.deviceId === deviceId)
      .map((read) => read.event.payload as Observation);
  const valueOf = (observation: Observation | undefined, name: string) =>
    observation?.attributes.find((attribute) => attribute.name === name)?.value;
  const connector = async (id: string) =>
    (await h.call('auditor', 'GET', `/integration/v1/connectors/${id}`)).body;
  const waitStatus = (id: string, status: string, timeoutMs = 30_000, reconnects = 0) =>
    until(
      () => connector(id),
      (body) =>
        body['status'] === status && (body['metrics'] as { reconnects: number }).reconnects >= reconnects,
      { timeoutMs, what: `connector ${id} to be ${status}` },
    );

  beforeAll(async () => {
    h = await startIntegrationHarness({
      CONNECTOR_TICK_MS: '200',
      CONNECTOR_RECONNECT_INITIAL_MS: '200',
      CONNECTOR_RECONNECT_MAX_MS: '1000',
      OPCUA_PKI_DIR: path.join(pki, 'client'),
    });
    await h.allowLoopback('alpha');
  });
  afterAll(async () => {
    await h?.stop();
    rmSync(pki, { recursive: true, force: true });
  });

  it('takes pushed readings with its secret and maps them to observations', async () => {
    const created = await h.call('operator', 'POST', '/integration/v1/connectors', {
      name: 'water-station-feed',
      kind: 'http-push',
      config: { maxBodyBytes: 2048 },
      mapping: `{
        "entity": { "id": "urn:ngsi-ld:WaterQualityObserved:" & body.station, "type": "WaterQualityObserved" },
        "observedAt": body.at,
        "attributes": { "pH": body.ph, "temperature": { "value": body.temp, "unitCode": "CEL" } }
      }`,
    });
    expect(created.status).toBe(201);
    const { id, pushSecret, pushUrl } = created.body as { id: string; pushSecret: string; pushUrl: string };
    expect(pushSecret).toMatch(/^pushsec_/);
    const push = (body: string, headers: Record<string, string> = {}) =>
      fetch(`${h.url}${pushUrl}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${pushSecret}`, ...headers },
        body,
      });

    const accepted = await push(
      JSON.stringify({ station: 'river-3', ph: 7.2, temp: 11.5, at: '2026-12-01T10:00:00Z' }),
    );
    expect(accepted.status).toBe(202);
    expect(await accepted.json()).toMatchObject({ observations: 1 });
    const [observation] = await until(
      () => observationsOf('water-station-feed'),
      (found) => found.length >= 1,
      { what: 'the pushed observation' },
    );
    expect(observation).toEqual({
      deviceId: 'water-station-feed',
      entity: { id: 'urn:ngsi-ld:WaterQualityObserved:river-3', type: 'WaterQualityObserved' },
      observedAt: '2026-12-01T10:00:00Z',
      attributes: [
        { name: 'pH', type: 'Property', value: 7.2 },
        { name: 'temperature', type: 'Property', value: 11.5, unitCode: 'CEL' },
      ],
    });

    expect((await push('{}', { authorization: 'Bearer pushsec_wrong' })).status).toBe(401);
    expect((await push('{}', { authorization: '' })).status).toBe(401);
    // security's webhook-signature rule sees the refusals, by source address
    const [refused] = await h.reader.waitFor((message) => (message.value['payload'] as { action?: string }).action === 'integration.webhook.signature-rejected');
    expect(refused?.value['payload']).toMatchObject({ outcome: 'denied', resource: { type: 'connector', id }, details: expect.objectContaining({ address: expect.any(String) }) });
    const malformed = await push('{"station": ');
    expect(malformed.status).toBe(400);
    const unmapped = await push(JSON.stringify({ station: 'river 3', ph: 7 }));
    expect(unmapped.status).toBe(422);
    const problem = (await unmapped.json()) as { code: string; detail: string };
    expect(problem).toMatchObject({ code: 'push-mapping-failed', detail: expect.stringContaining('entity') });
    expect((await push(JSON.stringify({ station: 'x'.repeat(3000) }))).status).toBe(413);
    expect(await connector(id)).toMatchObject({
      status: 'failing',
      lastError: expect.stringContaining('entity'),
      metrics: { readings: 2, observations: 1, failures: 1 },
    });

    await h.call('operator', 'POST', `/integration/v1/connectors/${id}/pause`);
    const paused = await push(JSON.stringify({ station: 'river-3', ph: 7.1, temp: 11 }));
    expect(paused.status).toBe(503);
    expect(await connector(id)).toMatchObject({ status: 'paused', desiredState: 'paused' });
    await h.call('operator', 'POST', `/integration/v1/connectors/${id}/start`);
    expect((await push(JSON.stringify({ station: 'river-3', ph: 7.1, temp: 11 }))).status).toBe(202);
    expect(await connector(id)).toMatchObject({ status: 'running', metrics: { observations: 2 } });
  });

  it('refuses bad connectors precisely', async () => {
    const bad = await h.call('operator', 'POST', '/integration/v1/connectors', {
      name: 'bad-modbus',
      kind: 'modbus',
      config: { host: '127.0.0.1', registers: [{ name: 'x', address: 70000, type: 'bool' }] },
      mapping: '{}',
    });
    expect(bad.body).toMatchObject({ status: 400, code: 'connector-invalid' });
    expect((bad.body['errors'] as { path: string }[]).map((error) => error.path).sort()).toEqual([
      'config.registers.0.address',
      'config.registers.0.type',
    ]);
    const badMapping = await h.call('operator', 'POST', '/integration/v1/connectors', {
      name: 'bad-mapping',
      kind: 'http-push',
      mapping: '{ "entity": ',
    });
    expect(badMapping.body).toMatchObject({
      status: 400,
      code: 'mapping-invalid',
      errors: [{ path: 'mapping' }],
    });
    const refused = await h.call('betaOperator', 'POST', '/integration/v1/connectors', {
      name: 'plc',
      kind: 'modbus',
      config: { host: '127.0.0.1', registers: [{ name: 'x', address: 0 }] },
      mapping: '{}',
    });
    expect(refused.body).toMatchObject({
      status: 400,
      code: 'destination-refused',
      errors: [{ path: 'config.host' }],
    });
    expect(
      (
        await h.call('auditor', 'POST', '/integration/v1/connectors', {
          name: 'x',
          kind: 'http-push',
          mapping: '1',
        })
      ).status,
    ).toBe(403);
  });

  it('polls a feed with conditional requests: an unchanged feed costs a 304 and no observation', async () => {
    let etag = '"v1"';
    let bikes = 4;
    const requests: { ifNoneMatch?: string; status: number }[] = [];
    const feed = http.createServer((req, res) => {
      const ifNoneMatch = req.headers['if-none-match'];
      if (ifNoneMatch === etag) {
        requests.push({ ifNoneMatch, status: 304 });
        res.writeHead(304).end();
        return;
      }
      requests.push({ ...(ifNoneMatch && { ifNoneMatch }), status: 200 });
      res.writeHead(200, { 'content-type': 'application/json', etag });
      res.end(
        JSON.stringify({
          last_updated: 1780000000,
          data: {
            stations: [
              { station_id: 'central', num_bikes_available: bikes, num_docks_available: 10 - bikes },
              { station_id: 'harbour', num_bikes_available: 7, num_docks_available: 3 },
            ],
          },
        }),
      );
    });
    const port = await freePort();
    await new Promise<void>((resolve) => feed.listen(port, '127.0.0.1', () => resolve()));
    const created = await h.call('operator', 'POST', '/integration/v1/connectors', {
      name: 'bike-share',
      kind: 'http-poll',
      config: {
        url: `http://127.0.0.1:${port}/gbfs/station_status.json`,
        intervalSeconds: 1,
        headers: { authorization: 'Bearer feed-token' },
      },
      mapping: `body.data.stations.{
        "entity": { "id": "urn:ngsi-ld:BikeHireDockingStation:" & station_id, "type": "BikeHireDockingStation" },
        "attributes": { "availableBikeNumber": num_bikes_available, "freeSlotNumber": num_docks_available }
      }[]`,
    });
    expect(created.status).toBe(201);
    expect((created.body['config'] as { headers: Record<string, string> }).headers).toEqual({
      authorization: '<redacted>',
    });
    const id = created.body['id'] as string;
    await until(
      () => observationsOf('bike-share'),
      (found) => found.length >= 2,
      { what: 'the first poll' },
    ).catch(async (error: Error) => {
      throw new Error(
        `${error.message}; connector: ${JSON.stringify(await connector(id))}; feed saw ${requests.length}`,
      );
    });
    await eventually(() => requests.filter((request) => request.status === 304).length >= 2, {
      what: 'two 304s',
    });
    expect(observationsOf('bike-share')).toHaveLength(2);
    expect(
      requests.filter((request) => request.status === 304).every((request) => request.ifNoneMatch === '"v1"'),
    ).toBe(true);

    bikes = 1;
    etag = '"v2"';
    const changed = await until(
      () => observationsOf('bike-share'),
      (found) => found.length >= 4,
      { what: 'the changed feed' },
    );
    expect(
      valueOf(
        changed.find((o) => o.entity.id.endsWith(':central') && valueOf(o, 'availableBikeNumber') === 1),
        'freeSlotNumber',
      ),
    ).toBe(9);
    await until(
      () => connector(id),
      (body) =>
        body['status'] === 'running' && (body['metrics'] as { observations: number }).observations === 4,
      { what: 'the metrics to count 4 observations' },
    );

    await h.call('operator', 'POST', `/integration/v1/connectors/${id}/stop`);
    await waitStatus(id, 'stopped');
    const seen = requests.length;
    await new Promise((resolve) => setTimeout(resolve, 2500));
    expect(requests.length).toBeLessThanOrEqual(seen + 1);
    await new Promise<void>((resolve) => feed.close(() => resolve()));
  });

  it('subscribes to OPC UA node ids and survives the server restarting', async () => {
    const server = new OpcuaTestServer(await freePort(), path.join(pki, 'server'));
    await server.start();
    const created = await h.call('operator', 'POST', '/integration/v1/connectors', {
      name: 'pumping-station-7',
      kind: 'opcua',
      config: {
        endpointUrl: server.url,
        publishingIntervalMs: 200,
        nodes: [{ nodeId: 'ns=1;s=Pump1.Pressure', name: 'pressure', samplingIntervalMs: 100 }],
      },
      mapping: `{
        "entity": { "id": "urn:ngsi-ld:Pump:station-7-pump-1", "type": "Pump" },
        "observedAt": sourceTimestamp,
        "attributes": [{ "name": name, "value": value, "unitCode": "BAR" }]
      }`,
    });
    expect(created.status).toBe(201);
    const id = created.body['id'] as string;
    const pressures = () => observationsOf('pumping-station-7').map((o) => valueOf(o, 'pressure'));
    await until(pressures, (values) => values.includes(1.5), {
      what: 'the first OPC UA value',
      timeoutMs: 60_000,
    });
    server.pressure = 2.25;
    await until(pressures, (values) => values.includes(2.25), { what: 'a changed value' });
    expect(await connector(id)).toMatchObject({ status: 'running', kind: 'opcua' });

    await server.stop();
    const failing = await waitStatus(id, 'failing');
    expect(failing['lastError']).toMatch(/OPC UA|connect|closed|lost/i);
    server.pressure = 3.5;
    await server.start();
    await until(pressures, (values) => values.includes(3.5), {
      what: 'values after the restart',
      timeoutMs: 60_000,
    });
    const back = await waitStatus(id, 'running', 30_000, 1);
    expect((back['metrics'] as { reconnects: number }).reconnects).toBeGreaterThanOrEqual(1);

    await h.call('operator', 'POST', `/integration/v1/connectors/${id}/pause`);
    await waitStatus(id, 'paused');
    const before = pressures().length;
    server.pressure = 4.75;
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(pressures().length).toBe(before);
    await h.call('operator', 'POST', `/integration/v1/connectors/${id}/start`);
    await until(pressures, (values) => values.includes(4.75), { what: 'values after resuming' });
    await h.call('operator', 'POST', `/integration/v1/connectors/${id}/stop`);
    await waitStatus(id, 'stopped');
    await server.stop();
  });

  it('polls Modbus TCP registers with their types and scaling, and reconnects after the device restarts', async () => {
    const device = new ModbusTestServer(await freePort());
    device.setUInt16(0, 215);
    device.setFloat(1, 49.5);
    await device.start();
    const created = await h.call('operator', 'POST', '/integration/v1/connectors', {
      name: 'substation-plc',
      kind: 'modbus',
      config: {
        host: '127.0.0.1',
        port: device.port,
        unitId: 1,
        pollIntervalMs: 300,
        timeoutMs: 1000,
        registers: [
          { name: 'voltage', address: 0, type: 'uint16', scale: 0.1 },
          { name: 'frequency', address: 1, type: 'float32' },
        ],
      },
      mapping: `{
        "entity": { "id": "urn:ngsi-ld:EnergyMonitor:substation-4", "type": "EnergyMonitor" },
        "attributes": { "voltage": { "value": $round(values.voltage, 1), "unitCode": "VLT" }, "frequency": { "value": values.frequency, "unitCode": "HTZ" } }
      }`,
    });
    expect(created.status).toBe(201);
    const id = created.body['id'] as string;
    const readings = () => observationsOf('substation-plc');
    const [first] = await until(readings, (found) => found.length >= 1, { what: 'a Modbus reading' });
    expect(first?.attributes).toEqual([
      { name: 'voltage', type: 'Property', value: 21.5, unitCode: 'VLT' },
      { name: 'frequency', type: 'Property', value: 49.5, unitCode: 'HTZ' },
    ]);

    await device.stop();
    const failing = await waitStatus(id, 'failing');
    expect(failing['lastError']).toMatch(/Modbus/);
    device.setUInt16(0, 230);
    await device.start();
    await until(readings, (found) => found.some((o) => valueOf(o, 'voltage') === 23), {
      what: 'readings after the restart',
    });
    const back = await waitStatus(id, 'running', 30_000, 1);
    expect((back['metrics'] as { reconnects: number }).reconnects).toBeGreaterThanOrEqual(1);

    await h.call('operator', 'POST', `/integration/v1/connectors/${id}/stop`);
    await waitStatus(id, 'stopped');
    const count = readings().length;
    await new Promise((resolve) => setTimeout(resolve, 1200));
    expect(readings().length).toBeLessThanOrEqual(count + 1);
    await device.stop();
  });
});
