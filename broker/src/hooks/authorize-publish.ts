// Publish ACL: a device publishes only telemetry, events and status under its own id, at most 64 KiB;
// a gateway (devices.yaml `children:`) also under city/v1/gateways/{its id}/devices/{child}/..., for
// its own children only, and such a message counts as the child's; the service account (the
// CityGrid server) only what the server publishes: refusal reports to devices' `rejections` topics.
// A refused message is acknowledged and dropped (MQTT-3.3.5-2 allows either that or closing the
// connection); a device learns why on its own `rejections` topic, a gateway of its children's too.
import type { Client, PublishPacket } from 'aedes';
import { MAX_PAYLOAD_BYTES, parseDeviceTopic, parseGatewayTopic, type ParsedGatewayTopic, type RejectionReason } from '@citygrid/contract';
import { identityOf, type BrokerContext, type DeviceEntry } from '../context.js';

/** Refused packets are re-routed here, and so are those handed to the bus; authorizeForward never delivers it. */
export const DROPPED_PREFIX = '$CG/dropped/';
const HANDED_ON = `${DROPPED_PREFIX}handed-on`;

export function makeAuthorizePublish(ctx: BrokerContext) {
  function drop(packet: PublishPacket, device: string | null, reason: RejectionReason, message: string, gateway?: string): void {
    const topic = packet.topic;
    ctx.stats.rejectedPublishes++;
    ctx.report({ device, topic: topic.slice(0, 200), reason, message, ...(gateway ? { gateway } : {}) });
    packet.topic = DROPPED_PREFIX + reason;
    packet.retain = false;
  }

  /** Hands a device's accepted message on: to the bus, acknowledged once durable there, or to MQTT subscribers. */
  function deliver(packet: PublishPacket, device: DeviceEntry, channel: 'telemetry' | 'event' | 'status', done: (err?: Error | null) => void): void {
    if (ctx.sink) {
      const topic = packet.topic;
      packet.topic = HANDED_ON;
      packet.retain = false;
      ctx.sink.offer(device, channel, topic, Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload), packet.dup === true).then(() => done(null), (err: Error) => done(err));
      return;
    }
    if (channel !== 'status') packet.retain = false; // only the status is kept for late subscribers
    done(null);
  }

  /**
   * A gateway's message for a child: only for its own children (foreign_child: reported as the
   * gateway's own refusal, never held against the device it named); then as if the child had sent
   * it, within the child's own budget too (shared with the child's own connection, if it has one).
   */
  function forChild(packet: PublishPacket, gatewayId: string, parsed: ParsedGatewayTopic, done: (err?: Error | null) => void): void {
    const child = ctx.devices.get(parsed.deviceId);
    if (parsed.gatewayId !== gatewayId) {
      drop(packet, gatewayId, 'foreign_topic', `Device "${gatewayId}" may not publish as gateway "${parsed.gatewayId}"; use city/v1/gateways/${gatewayId}/devices/{child}/...`);
    } else if (!child || child.gateway !== gatewayId) {
      drop(packet, gatewayId, 'foreign_child', `Device "${parsed.deviceId}" is not a child of gateway "${gatewayId}" in devices.yaml (children:)`);
    } else if (child.disabled) {
      drop(packet, child.id, 'device_disabled', `Device "${child.id}" is disabled; its gateway's messages for it are refused until it is enabled again`, gatewayId);
    } else if (packet.payload.length > MAX_PAYLOAD_BYTES) {
      drop(packet, child.id, 'payload_too_large', `Payload is ${packet.payload.length} bytes; the limit is ${MAX_PAYLOAD_BYTES} bytes (64 KiB)`, gatewayId);
    } else if (!ctx.rateLimit.allow(child.id)) {
      // over the child's budget: dropped and reported summed up (broker.ts names the gateway); not
      // held, so the gateway's other children go on (the gateway's own budget holds its connection)
      ctx.stats.rejectedPublishes++;
      packet.topic = `${DROPPED_PREFIX}rate_limited`;
      packet.retain = false;
    } else {
      deliver(packet, child, parsed.channel, done);
      return;
    }
    done(null);
  }

  return function authorizePublish(client: Client | null, packet: PublishPacket, done: (err?: Error | null) => void): void {
    if (packet.topic.startsWith('$')) {
      done(new Error(`${packet.topic.split('/')[0]} topics are reserved`));
      return;
    }
    const who = identityOf(ctx, client);
    if (!client || !who) {
      done(null); // the broker itself (obsolete wills)
      return;
    }
    if (who.type === 'service') {
      if (parseDeviceTopic(packet.topic)?.channel !== 'rejections') {
        drop(packet, null, 'foreign_topic', `The service account publishes only refusal reports to city/v1/devices/{id}/rejections, not to "${packet.topic.slice(0, 120)}"`);
      }
      done(null);
      return;
    }
    if (who.type === 'anonymous') {
      if (packet.topic.startsWith('city/')) drop(packet, null, 'foreign_topic', 'Anonymous clients may not publish under city/; log in as a device');
      done(null);
      return;
    }
    // looked up once per message: the budget's scale here, the entry handed on below
    const device = ctx.devices.get(who.id);
    // a gateway's connection carries its children's messages: its budget is one device's times (1 + children)
    const scale = 1 + (device?.children?.length ?? 0);
    if (!ctx.rateLimit.allow(who.id, scale)) {
      // over its budget: acknowledged and dropped; the limiter reports it, summed up, not per message,
      // and holds it a while, which stops reading the device's socket (rate-limit.ts: MAX_HOLD_MS)
      ctx.stats.rejectedPublishes++;
      packet.topic = `${DROPPED_PREFIX}rate_limited`;
      packet.retain = false;
      const hold = ctx.rateLimit.holdMs(who.id, scale);
      if (hold > 0) setTimeout(() => done(null), hold);
      else done(null);
      return;
    }
    const forGateway = parseGatewayTopic(packet.topic);
    if (forGateway) {
      forChild(packet, who.id, forGateway, done);
      return;
    }
    const parsed = parseDeviceTopic(packet.topic);
    if (!parsed || parsed.channel === 'rejections') {
      drop(packet, who.id, 'topic_invalid', `Topic "${packet.topic.slice(0, 120)}" is not allowed; publish to city/v1/devices/${who.id}/telemetry, /event or /status`);
    } else if (parsed.deviceId !== who.id) {
      drop(packet, who.id, 'foreign_topic', `Device "${who.id}" may not publish as "${parsed.deviceId}"`);
    } else if (packet.payload.length > MAX_PAYLOAD_BYTES) {
      drop(packet, who.id, 'payload_too_large', `Payload is ${packet.payload.length} bytes; the limit is ${MAX_PAYLOAD_BYTES} bytes (64 KiB)`);
    } else if (ctx.sink) {
      // to the bus, and acknowledged only once it is durable there (or refused for its payload)
      if (!device) {
        drop(packet, who.id, 'unknown_device', `Device "${who.id}" is no longer registered in devices.yaml`);
        done(null);
        return;
      }
      deliver(packet, device, parsed.channel, done);
      return;
    } else if (parsed.channel !== 'status') {
      packet.retain = false; // only the status is kept for late subscribers
    }
    done(null);
  };
}
