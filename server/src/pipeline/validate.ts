// validate: topic → known device → payload parsed against the contract and the device kind's catalogue.
import {
  RejectionError, parseCameraEvent, parseDeviceTopic, parseStatus, parseTelemetry,
} from '@citygrid/contract';
import type { Step } from './types.js';

export const validate: Step = (msg, { registry }) => {
  const topic = parseDeviceTopic(msg.topic);
  if (!topic || topic.channel === 'rejections') {
    throw new RejectionError('topic_invalid', `Topic "${msg.topic.slice(0, 120)}" is not a CityGrid device topic`);
  }
  const device = registry.get(topic.deviceId);
  if (!device) throw new RejectionError('unknown_device', `Device "${topic.deviceId}" is not registered in devices.yaml`);
  // readings without ts get distinct receipt times; one without seq either makes the message unidentifiable
  let anonymous = false;
  const stamp = (seq: number | undefined) => {
    if (seq === undefined) anonymous = true;
    msg.stamped = true;
    return registry.stamp(device.id, msg.receivedAt);
  };
  switch (topic.channel) {
    case 'telemetry':
      msg.accepted = { channel: 'telemetry', device, readings: parseTelemetry(msg.payload, device.id, device.kind, msg.receivedAt, stamp) };
      msg.identifiable = !anonymous;
      return;
    case 'event': {
      const event = parseCameraEvent(msg.payload, device.id, device.kind, msg.receivedAt, stamp);
      if (event.zone !== undefined && device.zones && !device.zones.includes(event.zone)) {
        throw new RejectionError('schema_invalid', `zone "${event.zone}" is not one of this camera's zones in devices.yaml (${device.zones.join(', ')})`, event.seq);
      }
      msg.accepted = { channel: 'event', device, event };
      msg.identifiable = !anonymous;
      return;
    }
    case 'status': {
      const status = parseStatus(msg.payload);
      msg.accepted = { channel: 'status', device, status, online: status === 'online' };
    }
  }
};
