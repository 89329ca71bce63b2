// MQTT topic names: the one place that builds and parses them.

export const TOPIC_ROOT = 'city/v1';
export const DEVICE_ID_PATTERN = /^[a-z0-9][a-z0-9-]{0,63}$/;
export const MAX_PAYLOAD_BYTES = 64 * 1024; // 64 KiB
export const MAX_BATCH = 500;

export const DEVICE_CHANNELS = ['telemetry', 'event', 'status', 'rejections'] as const;
export type DeviceChannel = (typeof DEVICE_CHANNELS)[number];

/** Where the broker reports what it refused before a message could reach the server. */
export const BROKER_REJECTIONS_TOPIC = `${TOPIC_ROOT}/broker/rejections`;

export function deviceTopic(deviceId: string, channel: DeviceChannel): string {
  return `${TOPIC_ROOT}/devices/${deviceId}/${channel}`;
}

/** Subscription filter for one channel of every device. */
export function allDevicesTopic(channel: DeviceChannel): string {
  return `${TOPIC_ROOT}/devices/+/${channel}`;
}

/** What the CityGrid server subscribes to (QoS 1, persistent session): every device's data and the broker's refusals. */
export const SERVER_SUBSCRIPTIONS: readonly string[] = [
  allDevicesTopic('telemetry'), allDevicesTopic('event'), allDevicesTopic('status'), BROKER_REJECTIONS_TOPIC,
];

/** The server's MQTT client id unless MQTT_CLIENT_ID says otherwise; the broker keeps a session for it. */
export const SERVER_CLIENT_ID = 'citygrid-server';

export interface ParsedTopic {
  deviceId: string;
  channel: DeviceChannel;
}

/** Parses `city/v1/devices/{id}/{channel}`; returns null for anything else. */
export function parseDeviceTopic(topic: string): ParsedTopic | null {
  const parts = topic.split('/');
  if (parts.length !== 5 || parts[0] !== 'city' || parts[1] !== 'v1' || parts[2] !== 'devices') return null;
  const deviceId = parts[3]!;
  const channel = parts[4]! as DeviceChannel;
  if (!DEVICE_ID_PATTERN.test(deviceId)) return null;
  if (!DEVICE_CHANNELS.includes(channel)) return null;
  return { deviceId, channel };
}

export function isDeviceId(value: string): boolean {
  return DEVICE_ID_PATTERN.test(value);
}
