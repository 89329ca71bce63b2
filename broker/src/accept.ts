// accept: a device's message checked against the contract at the edge (payload schema, the kind's
// catalogue, timestamps, a camera's zones), its readings without ts stamped, and its identity taken:
// what goes on the bus (contract/src/bus.ts). A RejectionError says why a message was refused.
// The embedded broker, the cluster edge and the server's ingest from an external broker all use it.
import { hash } from 'node:crypto';
import {
  RejectionError, parseAnyDeviceTopic, parseCameraEvent, parseStatus, parseTelemetry,
  type BusMessage, type DeviceKind,
} from '@citygrid/contract';

/** What the acceptor needs of a device (devices.yaml); `gateway`: the one gateway that may publish for it. */
export interface AcceptDevice { id: string; kind: DeviceKind; zones?: string[]; gateway?: string }

/**
 * How far ahead of the clock the receipt stamps of one device may run: a device whose messages
 * without ts carry more than one reading a millisecond (big batches, fast) would otherwise push its
 * stamps into the future without end.
 */
export const MAX_STAMP_LEAD_MS = 5_000;

/** A message's identity: its device, channel and a digest of its bytes (the dedupe key). */
export function messageKey(deviceId: string, channel: string, payload: Buffer): string {
  return `${deviceId}\0${channel}\0${hash('sha1', payload, 'base64')}`;
}

export class Acceptor {
  /** The last receipt time given to a reading of each device that came without ts. */
  private readonly lastStamp = new Map<string, number>();
  /** The message being accepted, for `stampOne`: one function for every message, not a closure made per message. */
  private current = { device: '', receivedAt: 0, anonymous: false, stamped: false };
  private readonly stampOne = (seq: number | undefined): number => {
    const c = this.current;
    if (seq === undefined) c.anonymous = true;
    c.stamped = true;
    return this.stamp(c.device, c.receivedAt);
  };

  /**
   * The time for a reading (or camera event) of `device` that came without ts: its receipt, or 1 ms
   * after the device's previous stamp, so that no two share a millisecond (the stores key readings
   * by device, metric and time: equal stamps would overwrite each other).
   */
  stamp(device: string, now: number): number {
    const last = this.lastStamp.get(device) ?? 0;
    const ts = now > last ? now : last + 1;
    if (ts - now > MAX_STAMP_LEAD_MS) {
      throw new RejectionError('ts_invalid', 'Readings without ts are arriving faster than one a millisecond; give each reading its own ts');
    }
    this.lastStamp.set(device, ts);
    return ts;
  }

  /** Checks a message a device published on one of its channels; throws RejectionError to refuse it. */
  accept(device: AcceptDevice, channel: 'telemetry' | 'event' | 'status', payload: Buffer, receivedAt: number, dup: boolean): BusMessage {
    const key = messageKey(device.id, channel, payload);
    // readings without ts get distinct receipt times; one without seq either makes the message unidentifiable
    const c = this.current;
    c.device = device.id;
    c.receivedAt = receivedAt;
    c.anonymous = false;
    c.stamped = false;
    switch (channel) {
      case 'telemetry': {
        const readings = parseTelemetry(payload, device.id, device.kind, receivedAt, this.stampOne);
        return { channel, device: device.id, receivedAt, dup, key, identifiable: !c.anonymous, stamped: c.stamped, readings };
      }
      case 'event': {
        const event = parseCameraEvent(payload, device.id, device.kind, receivedAt, this.stampOne);
        if (event.zone !== undefined && device.zones && !device.zones.includes(event.zone)) {
          throw new RejectionError('schema_invalid', `zone "${event.zone}" is not one of this camera's zones in devices.yaml (${device.zones.join(', ')})`, event.seq);
        }
        return { channel, device: device.id, receivedAt, dup, key, identifiable: !c.anonymous, stamped: c.stamped, event };
      }
      case 'status':
        return { channel, device: device.id, receivedAt, dup, key, identifiable: false, stamped: false, online: parseStatus(payload) === 'online' };
    }
  }

  /**
   * For messages that did not come through our own broker's ACL (an external broker): the topic
   * and the device are checked first (topic_invalid, unknown_device), and on a gateway's topic that
   * the device is that gateway's child (foreign_child). A child's message counts as the child's.
   */
  acceptFromTopic(topic: string, payload: Buffer, receivedAt: number, dup: boolean, lookup: (id: string) => AcceptDevice | undefined): BusMessage {
    const parsed = parseAnyDeviceTopic(topic);
    if (!parsed || parsed.channel === 'rejections') {
      throw new RejectionError('topic_invalid', `Topic "${topic.slice(0, 120)}" is not a CityGrid device topic`);
    }
    const device = lookup(parsed.deviceId);
    if (!device) throw new RejectionError('unknown_device', `Device "${parsed.deviceId}" is not registered in devices.yaml`);
    if (parsed.gatewayId !== undefined && device.gateway !== parsed.gatewayId) {
      throw new RejectionError('foreign_child', `Device "${parsed.deviceId}" is not a child of gateway "${parsed.gatewayId}" in devices.yaml`);
    }
    return this.accept(device, parsed.channel, payload, receivedAt, dup);
  }
}
