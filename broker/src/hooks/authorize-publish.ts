// Publish ACL: a device publishes only telemetry, events and status under its own id, at most 64 KiB;
// the service account (the CityGrid server) only what the server publishes: refusal reports to
// devices' `rejections` topics. A refused message is acknowledged and dropped (MQTT-3.3.5-2 allows
// either that or closing the connection); a device learns why on its own `rejections` topic.
import type { Client, PublishPacket } from 'aedes';
import { MAX_PAYLOAD_BYTES, parseDeviceTopic, type RejectionReason } from '@citygrid/contract';
import { identityOf, type BrokerContext } from '../context.js';

/** Refused packets are re-routed here, and so are those handed to the bus; authorizeForward never delivers it. */
export const DROPPED_PREFIX = '$CG/dropped/';
const HANDED_ON = `${DROPPED_PREFIX}handed-on`;

export function makeAuthorizePublish(ctx: BrokerContext) {
  function drop(packet: PublishPacket, device: string | null, reason: RejectionReason, message: string): void {
    const topic = packet.topic;
    ctx.stats.rejectedPublishes++;
    ctx.report({ device, topic: topic.slice(0, 200), reason, message });
    packet.topic = DROPPED_PREFIX + reason;
    packet.retain = false;
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
    if (!ctx.rateLimit.allow(who.id)) {
      // over its budget: acknowledged and dropped; the limiter reports it, summed up, not per message,
      // and holds it a while, which stops reading the device's socket (rate-limit.ts: MAX_HOLD_MS)
      ctx.stats.rejectedPublishes++;
      packet.topic = `${DROPPED_PREFIX}rate_limited`;
      packet.retain = false;
      const hold = ctx.rateLimit.holdMs(who.id);
      if (hold > 0) setTimeout(() => done(null), hold);
      else done(null);
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
      const device = ctx.devices.get(who.id);
      const channel = parsed.channel;
      const topic = packet.topic;
      packet.topic = HANDED_ON;
      packet.retain = false;
      if (!device) {
        drop(packet, who.id, 'unknown_device', `Device "${who.id}" is no longer registered in devices.yaml`);
        done(null);
        return;
      }
      ctx.sink.offer(device, channel, topic, Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload), packet.dup === true).then(() => done(null), (err: Error) => done(err));
      return;
    } else if (parsed.channel !== 'status') {
      packet.retain = false; // only the status is kept for late subscribers
    }
    done(null);
  };
}
