// The AsyncAPI 3.0 description (GET /api/asyncapi.json, contract/src/asyncapi.ts): valid for the
// official AsyncAPI parser, it describes every device channel, the gateway channels, the three ways
// into the broker (TCP, WebSockets, TLS) and every Socket.IO event the server emits, lists every
// refusal reason, and what a running city really sends (its live events, and the payloads a device
// or a gateway sends) matches it.
import { Parser } from '@asyncapi/parser';
import { Ajv } from 'ajv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEVICE_CHANNELS, GATEWAY_CHANNELS, deviceTopic, gatewayTopic, REJECTION_REASON_CODES, type ServerToClientEvents } from '@citygrid/contract';
import { asyncApiDocument } from '@citygrid/contract/asyncapi';
import { connectDevice, connectSocket, end, login, publish, startTestSystem, waitFor } from '../helpers/system.js';

type Doc = { servers: Record<string, { host: string; protocol: string; pathname?: string }>; channels: Record<string, { address: string; servers: { $ref: string }[]; parameters?: Record<string, unknown> }>; components: { schemas: Record<string, object>; messages: Record<string, { description?: string; payload: { $ref: string } }> } };
const doc = asyncApiDocument({ version: 'test' }) as unknown as Doc;
const addresses = Object.values(doc.channels).map((c) => c.address);
// every event the server may emit (a new one fails to compile here until it is listed)
const EMITTED = { reading: true, 'device-status': true, rejection: true, stats: true, alert: true, 'camera-event': true } satisfies Record<keyof ServerToClientEvents, true>;
/** The message of a channel (by its id), whose payload schema a value must match. */
const messageName = (id: string) => id.replace(/(^|-)(\w)/g, (_m, _d, c: string) => c.toUpperCase());

let system: Awaited<ReturnType<typeof startTestSystem>>;
beforeAll(async () => { system = await startTestSystem({ SIMULATE: '0' }); });
afterAll(async () => { await system?.stop(); });

describe('the AsyncAPI description', () => {
  it('is valid AsyncAPI 3.0 for the official parser, and is what the server serves', async () => {
    const { diagnostics } = await new Parser().parse(doc as never);
    const errors = diagnostics.filter((d) => d.severity === 0).map((d) => `${d.path.join('.')}: ${d.message}`);
    expect(errors).toEqual([]);
    const served = await (await fetch(`${system.baseUrl}/api/asyncapi.json`)).json() as Doc & { asyncapi: string };
    expect(served.asyncapi).toBe('3.0.0');
    expect(Object.keys(served.channels)).toEqual(Object.keys(doc.channels));
  });

  it('describes every device channel and every event the server emits, and every refusal reason', () => {
    for (const channel of DEVICE_CHANNELS) expect(addresses, channel).toContain(`city/v1/devices/{deviceId}/${channel}`);
    for (const event of Object.keys(EMITTED)) expect(addresses, event).toContain(event);
    const refusals = doc.components.messages.Rejections!.description!;
    for (const reason of REJECTION_REASON_CODES) expect(refusals, reason).toContain(`- ${reason}:`);
  });

  it('describes the gateway channels, and the broker over TCP, WebSockets (/mqtt on the HTTP port) and TLS (8883)', () => {
    for (const channel of GATEWAY_CHANNELS) {
      const address = `city/v1/gateways/{gatewayId}/devices/{deviceId}/${channel}`;
      const found = Object.values(doc.channels).find((c) => c.address === address);
      expect(found, address).toBeDefined();
      expect(Object.keys(found!.parameters ?? {})).toEqual(['gatewayId', 'deviceId']);
    }
    expect(doc.servers['mqtt-ws']).toMatchObject({ host: 'localhost:8080', pathname: '/mqtt', protocol: 'ws' });
    expect(doc.servers.mqtts).toMatchObject({ host: 'localhost:8883', protocol: 'secure-mqtt' });
    expect(asyncApiDocument({ version: 'x', http: 'city.example:80', mqtts: 'city.example:8883' })).toMatchObject({
      servers: { 'mqtt-ws': { host: 'city.example:80' }, mqtts: { host: 'city.example:8883' } },
    });
    // every MQTT channel on the three ways in; the Socket.IO events on the live server only
    for (const c of Object.values(doc.channels)) {
      const servers = c.servers.map((s) => s.$ref);
      if (c.address.startsWith('city/')) expect(servers, c.address).toEqual(['#/servers/mqtt', '#/servers/mqtt-ws', '#/servers/mqtts']);
      else expect(servers, c.address).toEqual(['#/servers/live']);
    }
  });

  it('matches what a running city sends: the live events, and a device\'s payloads', async () => {
    const ajv = new Ajv({ strict: false, allErrors: true });
    ajv.addSchema({ ...doc, $id: 'events' } as object);
    const check = (message: string, value: unknown) => {
      const validate = ajv.getSchema(`events${doc.components.messages[message]!.payload.$ref}`)!;
      return validate(value) ? null : `${message}: ${ajv.errorsText(validate.errors)} in ${JSON.stringify(value).slice(0, 300)}`;
    };
    // what devices send, as the quick-start and the simulator do
    const payloads: [string, unknown][] = [
      ['Telemetry', { metrics: { level_cm: 12.5 } }],
      ['Telemetry', [{ ts: 1767225600000, metrics: { pm25: 35 }, seq: 1 }, { ts: '2026-01-01T00:00:01Z', metrics: { pm25: 36 }, seq: 2 }]],
      ['Event', { type: 'stalled_vehicle', confidence: 0.9, count: 1, zone: 'lane-2' }],
      ['Status', 'offline'],
      ['GatewayTelemetry', [{ metrics: { fill_pct: 41 }, seq: 3 }]],
      ['GatewayStatus', 'online'],
    ];
    // and what the control room receives from the demo city for a few seconds
    const socket = await connectSocket(system.baseUrl, await login(system.baseUrl, 'admin'));
    const seen: [string, unknown][] = [];
    for (const event of Object.keys(EMITTED)) socket.on(event as 'stats', (e: unknown) => { seen.push([messageName(event), e]); });
    // a reading and a refusal from a device, as it would send them
    const gauge = system.city.devices.find((d) => d.kind === 'water_level')!;
    const device = await connectDevice(`mqtt://127.0.0.1:${system.mqttPort}`, gauge.id);
    await publish(device, deviceTopic(gauge.id, 'telemetry'), JSON.stringify({ metrics: { level_cm: 12.5 } }));
    await publish(device, deviceTopic(gauge.id, 'telemetry'), JSON.stringify({ metrics: { level_cm: 'high' } }));
    // and a gateway's reading for its child, as the documented gateway channel carries it
    const gw = system.city.devices.find((d) => d.children?.length)!;
    const child = gw.children![0]!;
    const gateway = await connectDevice(`mqtt://127.0.0.1:${system.mqttPort}`, gw.id);
    await publish(gateway, gatewayTopic(gw.id, child, 'telemetry'), JSON.stringify({ metrics: { fill_pct: 41 }, seq: 3 }));
    await waitFor(() => ['Reading', 'Stats', 'Rejection'].every((n) => seen.some(([s]) => s === n)) && seen.some(([s, e]) => s === 'Reading' && (e as { device: string }).device === child), 'a reading, a child\'s reading, a refusal and the stats', 30_000, 100);
    socket.close();
    await end(device);
    await end(gateway);
    const problems = [...payloads, ...seen].map(([name, value]) => check(name, value)).filter(Boolean);
    expect(problems).toEqual([]);
    expect(seen.length).toBeGreaterThanOrEqual(3);
  }, 60_000);
});
