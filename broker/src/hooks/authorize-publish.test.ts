// Proves the publish ACL for gateways: a gateway publishes for its own children only (foreign_child, told as its own refusal), the message is handed on as the child's (its kind, zones, grid), within the child's budget too, and refusals of a child's message name the gateway.
import type { Client, PublishPacket } from 'aedes';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { Rejection } from '@citygrid/contract';
import { newStats, type BrokerContext, type DeviceEntry, type Identity } from '../context.js';
import { DeviceRateLimit } from '../rate-limit.js';
import { DROPPED_PREFIX, makeAuthorizePublish } from './authorize-publish.js';

const HASH = 'scrypt$10$8$1$c2FsdA==$aGFzaA==';
const DEVICES: DeviceEntry[] = [
  { id: 'gw-1', kind: 'weather', secret_hash: HASH, grid: 'c-1', children: ['wl-1', 'cam-1'] },
  { id: 'wl-1', kind: 'water_level', secret_hash: HASH, grid: 'c-2', gateway: 'gw-1' },
  { id: 'cam-1', kind: 'camera', secret_hash: HASH, grid: 'c-3', zones: ['gate'], gateway: 'gw-1' },
  { id: 'wl-2', kind: 'water_level', secret_hash: HASH, grid: 'c-2' },
  { id: 'gw-2', kind: 'weather', secret_hash: HASH, grid: 'c-1', children: ['wl-3'] },
  { id: 'wl-3', kind: 'water_level', secret_hash: HASH, grid: 'c-2', gateway: 'gw-2' },
];

function setup(rate = { perSecond: 100, burst: 100 }) {
  const byId = new Map(DEVICES.map((d) => [d.id, d]));
  const reports: Omit<Rejection, 'ts' | 'by'>[] = [];
  const offers: { device: DeviceEntry; channel: string; topic: string }[] = [];
  const ctx = {
    devices: byId,
    identities: new WeakMap<Client, Identity>(),
    stats: newStats(),
    logger: pino({ level: 'silent' }),
    rateLimit: new DeviceRateLimit({ ...rate, report: () => undefined }),
    report: (r: Omit<Rejection, 'ts' | 'by'>) => reports.push(r),
    sink: {
      offer: async (device: DeviceEntry, channel: string, topic: string) => { offers.push({ device, channel, topic }); },
      refusal: () => undefined,
    },
  } as unknown as BrokerContext;
  const authorize = makeAuthorizePublish(ctx);
  const as = (id: string) => {
    const client = { id } as Client;
    ctx.identities.set(client, { type: 'device', id, kind: byId.get(id)!.kind });
    return client;
  };
  const publish = (client: Client, topic: string, payload = '{"metrics":{"level_cm":3}}') => new Promise<PublishPacket>((resolve, reject) => {
    const packet = { cmd: 'publish', topic, payload: Buffer.from(payload), qos: 1, retain: true, dup: false } as PublishPacket;
    authorize(client, packet, (err) => (err ? reject(err) : resolve(packet)));
  });
  return { ctx, reports, offers, as, publish };
}

describe('authorizePublish: gateways', () => {
  it("hands a gateway's message for its child on as the child's (kind, zones, grid)", async () => {
    const { as, publish, offers, reports } = setup();
    const gw = as('gw-1');
    await publish(gw, 'city/v1/gateways/gw-1/devices/wl-1/telemetry');
    await publish(gw, 'city/v1/gateways/gw-1/devices/cam-1/event', '{"type":"crowding","confidence":0.9}');
    await publish(gw, 'city/v1/devices/gw-1/telemetry', '{"metrics":{"temp_c":20}}'); // its own readings as before
    expect(offers.map((o) => [o.device.id, o.device.kind, o.device.grid, o.channel, o.topic])).toEqual([
      ['wl-1', 'water_level', 'c-2', 'telemetry', 'city/v1/gateways/gw-1/devices/wl-1/telemetry'],
      ['cam-1', 'camera', 'c-3', 'event', 'city/v1/gateways/gw-1/devices/cam-1/event'],
      ['gw-1', 'weather', 'c-1', 'telemetry', 'city/v1/devices/gw-1/telemetry'],
    ]);
    expect(offers[1]!.device.zones).toEqual(['gate']);
    expect(reports).toEqual([]);
  });

  it('refuses a device that is not its child (foreign_child, the gateway\'s own refusal) and another gateway\'s topic', async () => {
    const { as, publish, offers, reports, ctx } = setup();
    const gw = as('gw-1');
    const refused = await publish(gw, 'city/v1/gateways/gw-1/devices/wl-2/telemetry');
    await publish(gw, 'city/v1/gateways/gw-1/devices/wl-3/telemetry'); // gw-2's child
    await publish(gw, 'city/v1/gateways/gw-1/devices/nope-1/telemetry');
    await publish(gw, 'city/v1/gateways/gw-2/devices/wl-3/telemetry');
    await publish(as('wl-2'), 'city/v1/gateways/wl-2/devices/wl-1/telemetry'); // not a gateway at all
    expect(offers).toEqual([]);
    expect(refused.topic).toBe(`${DROPPED_PREFIX}foreign_child`);
    expect(refused.retain).toBe(false);
    expect(reports.map((r) => [r.device, r.reason, r.gateway])).toEqual([
      ['gw-1', 'foreign_child', undefined], ['gw-1', 'foreign_child', undefined], ['gw-1', 'foreign_child', undefined],
      ['gw-1', 'foreign_topic', undefined], ['wl-2', 'foreign_child', undefined],
    ]);
    expect(reports[0]!.message).toContain('"wl-2" is not a child of gateway "gw-1"');
    expect(ctx.stats.rejectedPublishes).toBe(5);
  });

  it("refuses a child's oversize payload or its rejections channel, naming the child and its gateway", async () => {
    const { as, publish, offers, reports } = setup();
    const gw = as('gw-1');
    await publish(gw, 'city/v1/gateways/gw-1/devices/wl-1/telemetry', 'x'.repeat(64 * 1024 + 1));
    await publish(gw, 'city/v1/gateways/gw-1/devices/wl-1/rejections');
    expect(offers).toEqual([]);
    expect(reports.map((r) => [r.device, r.reason, r.gateway])).toEqual([['wl-1', 'payload_too_large', 'gw-1'], ['gw-1', 'topic_invalid', undefined]]);
  });

  it("counts a child's messages against the child's budget (shared with its own connection) and the gateway's, scaled by its children", async () => {
    const { as, publish, offers, ctx } = setup({ perSecond: 1, burst: 2 });
    const gw = as('gw-1');
    await publish(as('wl-1'), 'city/v1/devices/wl-1/telemetry'); // the child itself: one of its 2
    for (let i = 0; i < 3; i++) await publish(gw, 'city/v1/gateways/gw-1/devices/wl-1/telemetry');
    expect(offers.filter((o) => o.device.id === 'wl-1')).toHaveLength(2);
    expect(ctx.stats.rejectedPublishes).toBe(2);
    // the gateway's own budget is 2 x (1 + 2 children) = 6; 3 taken above
    for (let i = 0; i < 3; i++) await publish(gw, 'city/v1/gateways/gw-1/devices/cam-1/event', '{"type":"crowding","confidence":0.5}');
    const last = await publish(gw, 'city/v1/devices/gw-1/telemetry');
    expect(offers.filter((o) => o.device.id === 'cam-1')).toHaveLength(2); // cam-1's own 2
    expect(last.topic).toBe(`${DROPPED_PREFIX}rate_limited`); // the gateway's 7th
    ctx.rateLimit.close();
  });
});
