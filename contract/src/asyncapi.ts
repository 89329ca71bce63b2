// The event side of CityGrid as AsyncAPI 3.0, generated like the OpenAPI description (openapi.ts):
// the MQTT topics a device publishes and receives on, and a gateway for its children (payloads from
// the zod schemas the broker and server check them with, refusals with every reason), over TCP,
// WebSockets (/mqtt on the HTTP port) and TLS, and the Socket.IO events the control room
// gets (zod schemas checked at compile time to equal the TypeScript types the server emits and the
// dashboard reads). GET /api/asyncapi.json serves it.
import { z } from 'zod';
import { ALERT_EVENT_TYPES, type AlertSocketEvent } from './alerts.js';
import { alertSchema, cameraEventSchema as cameraSocketSchema, rejectionSchema } from './api-schemas.js';
import { CONDITIONS, DEVICE_KINDS } from './catalogue.js';
import { cameraEventSchema, STATUS_VALUES, telemetrySchema } from './payloads.js';
import { REJECTION_REASONS } from './rejections.js';
import type { DeviceStatusEvent, ReadingEvent, StatsEvent, SubscribeRequest } from './socket-events.js';
import { MAX_BATCH, MAX_GATEWAY_CHILDREN, MAX_PAYLOAD_BYTES, TOPIC_ROOT } from './topics.js';

type Same<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true : false;
const same = <T extends true>(): T | undefined => undefined;

// ---- Socket.IO events (server → dashboard, and the one request back) ----
const epochMs = z.number().int().describe('epoch milliseconds');
export const readingEventSchema = z.object({
  device: z.string(), grid: z.string(), district: z.string(), kind: z.enum(DEVICE_KINDS), ts: epochMs,
  metrics: z.record(z.string(), z.union([z.number(), z.boolean()])).describe('the latest value of each metric over the coalescing window (1 s)'),
  condition: z.enum(CONDITIONS),
});
same<Same<z.infer<typeof readingEventSchema>, ReadingEvent>>();
export const deviceStatusEventSchema = z.object({ device: z.string(), grid: z.string(), district: z.string(), online: z.boolean(), ts: epochMs });
same<Same<z.infer<typeof deviceStatusEventSchema>, DeviceStatusEvent>>();
export const statsEventSchema = z.object({
  ts: epochMs, ingestPerS: z.number(), rejectedPerS: z.number(), devicesOnline: z.number().int(), devicesTotal: z.number().int(), socketClients: z.number().int(),
  activeAlerts: z.record(z.string(), z.number().int()),
});
same<Same<z.infer<typeof statsEventSchema>, StatsEvent>>();
export const alertEventSchema = z.object({ event: z.enum(ALERT_EVENT_TYPES), actor: z.string(), note: z.string().nullable(), alert: alertSchema });
same<Same<z.infer<typeof alertEventSchema>, AlertSocketEvent>>();
export const subscribeSchema = z.object({ grid: z.string().optional(), district: z.string().optional(), device: z.string().optional() });
same<Same<z.infer<typeof subscribeSchema>, SubscribeRequest>>();

// ---- MQTT payloads (device side) ----
const telemetryPayload = z.union([telemetrySchema, z.array(telemetrySchema).min(1).max(MAX_BATCH)])
  .describe(`one reading, or a batch of 1 to ${MAX_BATCH}. ts: epoch ms or RFC 3339 (receipt time when absent); metrics: metric → number or boolean, as the device kind's catalogue says; seq: the device's counter (a copy is stored once)`);
const eventPayload = cameraEventSchema.describe('a camera detection: type, confidence, count, zone; never an image, never personal data');
const statusPayload = z.enum(STATUS_VALUES).describe('plain text, not JSON; retained; set a last will of offline');
const reasons = Object.entries(REJECTION_REASONS).map(([code, text]) => `- ${code}: ${text}`).join('\n');

interface Channel {
  id: string; address: string; server: 'mqtt' | 'live'; direction: 'send' | 'receive'; summary: string;
  payload: z.ZodType; contentType?: string; description?: string;
}
/** The ways into the broker: plain TCP, MQTT over WebSockets on the HTTP port, and MQTT over TLS. */
const MQTT_SERVERS = ['mqtt', 'mqtt-ws', 'mqtts'] as const;
const DEVICE = `${TOPIC_ROOT}/devices/{deviceId}`;
const GATEWAY = `${TOPIC_ROOT}/gateways/{gatewayId}/devices/{deviceId}`;
const onBehalf = `A gateway (a device with children: in devices.yaml, at most ${MAX_GATEWAY_CHILDREN}) publishes here for one of its own children, logged in as itself; the message is taken exactly as if the child had sent it (the child's kind, zones and cell; stored under the child), within the budgets of both. For a device that is not its child it is refused (foreign_child). Refusals of a child's messages reach the gateway on its own city/v1/devices/{gatewayId}/rejections, naming the child (device) and the gateway (gateway).`;
export const EVENT_CHANNELS: Channel[] = [
  { id: 'telemetry', address: `${DEVICE}/telemetry`, server: 'mqtt', direction: 'send', summary: 'A sensor\'s readings (QoS 1: the PUBACK leaves once they are stored)', payload: telemetryPayload },
  { id: 'event', address: `${DEVICE}/event`, server: 'mqtt', direction: 'send', summary: 'A camera\'s detection', payload: eventPayload },
  { id: 'status', address: `${DEVICE}/status`, server: 'mqtt', direction: 'send', summary: 'online / offline (retained; the last will)', payload: statusPayload, contentType: 'text/plain' },
  { id: 'gateway-telemetry', address: `${GATEWAY}/telemetry`, server: 'mqtt', direction: 'send', summary: 'A gateway\'s child\'s readings, sent by the gateway', payload: telemetryPayload, description: onBehalf },
  { id: 'gateway-event', address: `${GATEWAY}/event`, server: 'mqtt', direction: 'send', summary: 'A gateway\'s child camera\'s detection, sent by the gateway', payload: eventPayload, description: onBehalf },
  { id: 'gateway-status', address: `${GATEWAY}/status`, server: 'mqtt', direction: 'send', summary: 'A gateway\'s child online / offline (retained), sent by the gateway', payload: statusPayload, contentType: 'text/plain', description: onBehalf },
  {
    id: 'rejections', address: `${DEVICE}/rejections`, server: 'mqtt', direction: 'receive', summary: 'Why a message of this device was refused (subscribe to your own)', payload: rejectionSchema,
    description: `Every refusal says which field, which value and what was expected. The reasons:\n${reasons}`,
  },
  { id: 'reading', address: 'reading', server: 'live', direction: 'receive', summary: 'A device\'s latest values (at most one per device per second)', payload: readingEventSchema },
  { id: 'device-status', address: 'device-status', server: 'live', direction: 'receive', summary: 'A device came online or went offline', payload: deviceStatusEventSchema },
  { id: 'camera-event', address: 'camera-event', server: 'live', direction: 'receive', summary: 'A camera\'s detection', payload: cameraSocketSchema },
  { id: 'alert', address: 'alert', server: 'live', direction: 'receive', summary: 'Every alert transition (never coalesced)', payload: alertEventSchema },
  { id: 'rejection', address: 'rejection', server: 'live', direction: 'receive', summary: 'A refused device message', payload: rejectionSchema },
  { id: 'stats', address: 'stats', server: 'live', direction: 'receive', summary: 'The city\'s figures, every second', payload: statsEventSchema },
  { id: 'subscribe', address: 'subscribe', server: 'live', direction: 'send', summary: 'Narrow the events to a grid cell, district or device (within what the user may see)', payload: subscribeSchema },
];

const camel = (id: string) => id.replace(/-(\w)/g, (_m, c: string) => c.toUpperCase());
const title = (id: string) => camel(id)[0]!.toUpperCase() + camel(id).slice(1);

/** The AsyncAPI 3.0 description of the device topics and the live events (GET /api/asyncapi.json). */
export function asyncApiDocument(o: { version: string; mqtt?: string; http?: string; mqtts?: string }): Record<string, unknown> {
  // every payload a component of its own; schemas with an id of their own (Alert, Rejection, ...) too, referenced where used
  const registry = z.registry<{ id: string }>();
  const idOf = (schema: z.ZodType, fallback: string): string => {
    const id = (z.globalRegistry.get(schema) as { id?: string } | undefined)?.id ?? registry.get(schema)?.id ?? fallback;
    if (!registry.has(schema)) registry.add(schema, { id });
    return id;
  };
  registry.add(alertSchema, { id: 'Alert' });
  const payloadIds = new Map(EVENT_CHANNELS.map((c) => [c.id, idOf(c.payload, title(c.id))]));
  const { schemas } = z.toJSONSchema(registry, { target: 'draft-07', unrepresentable: 'any', io: 'input', uri: (id) => `#/components/schemas/${id}` }) as { schemas: Record<string, Record<string, unknown>> };
  for (const s of Object.values(schemas)) {
    delete s.$schema;
    delete s.$id;
  }
  const messages: Record<string, unknown> = {};
  const channels: Record<string, unknown> = {};
  const operations: Record<string, unknown> = {};
  for (const c of EVENT_CHANNELS) {
    const name = title(c.id);
    messages[name] = {
      name: c.id, title: c.summary, ...(c.description ? { description: c.description } : {}),
      contentType: c.contentType ?? 'application/json', payload: { $ref: `#/components/schemas/${payloadIds.get(c.id)!}` },
    };
    const deviceId = c.address.includes('{deviceId}');
    const gatewayId = c.address.includes('{gatewayId}');
    channels[camel(c.id)] = {
      address: c.address, title: c.summary, ...(c.description && c.id.startsWith('gateway-') ? { description: c.description } : {}),
      servers: (c.server === 'mqtt' ? MQTT_SERVERS : [c.server]).map((s) => ({ $ref: `#/servers/${s}` })),
      messages: { [name]: { $ref: `#/components/messages/${name}` } },
      ...(deviceId || gatewayId ? {
        parameters: {
          ...(gatewayId ? { gatewayId: { description: 'the gateway\'s device id: the one it logs in with' } } : {}),
          deviceId: { description: gatewayId ? 'a child of that gateway (its children: in devices.yaml)' : 'the device id, as in devices.yaml; a device may publish and subscribe only under its own' },
        },
      } : {}),
    };
    operations[`${c.direction}${name}`] = { action: c.direction, channel: { $ref: `#/channels/${camel(c.id)}` }, summary: c.summary };
  }
  return {
    asyncapi: '3.0.0',
    info: {
      title: 'CityGrid devices and live events', version: o.version,
      description: `Devices publish over MQTT 3.1.1 (username: the device id; password: its secret) at QoS 1; payloads are at most ${MAX_PAYLOAD_BYTES / 1024} KiB. The control room's live events come over Socket.IO 4 (its handshake needs a token from POST /api/auth/login, as auth.token or the cg_token cookie). The REST API: /api/openapi.json.`,
    },
    defaultContentType: 'application/json',
    servers: {
      mqtt: { host: o.mqtt ?? 'localhost:1883', protocol: 'mqtt', protocolVersion: '3.1.1', description: 'the embedded broker (npm start) or a cluster edge (MQTT_PORT)' },
      'mqtt-ws': {
        host: o.http ?? 'localhost:8080', pathname: '/mqtt', protocol: 'ws', protocolVersion: '3.1.1',
        description: 'MQTT 3.1.1 over WebSockets (subprotocol mqtt) on the HTTP port: ws://host:PORT/mqtt, wss:// behind HTTPS; the same logins, ACLs and limits as TCP (MQTT_WS=0 turns it off)',
      },
      mqtts: {
        host: o.mqtts ?? 'localhost:8883', protocol: 'secure-mqtt', protocolVersion: '3.1.1',
        description: 'MQTT 3.1.1 over TLS (mqtts://host:MQTTS_PORT, TLS_CERT / TLS_KEY; the demo makes a self-signed certificate): the same logins, ACLs and limits as TCP',
      },
      live: { host: o.http ?? 'localhost:8080', pathname: '/socket.io/', protocol: 'ws', description: 'Socket.IO 4: each channel here is an event name' },
    },
    channels,
    operations,
    components: { schemas, messages },
  };
}
