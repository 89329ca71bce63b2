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

/**
 * Gateways (devices.yaml `children:`): a gateway publishes on a child's behalf under
 * `city/v1/gateways/{gatewayId}/devices/{childId}/{channel}`; the message counts as the child's.
 * A gateway learns of refusals on its own `city/v1/devices/{gatewayId}/rejections`.
 */
export const GATEWAY_CHANNELS = ['telemetry', 'event', 'status'] as const;
export type GatewayChannel = (typeof GATEWAY_CHANNELS)[number];
/** The most children one gateway may have in devices.yaml. */
export const MAX_GATEWAY_CHILDREN = 1_000;

export function gatewayTopic(gatewayId: string, childId: string, channel: GatewayChannel): string {
  return `${TOPIC_ROOT}/gateways/${gatewayId}/devices/${childId}/${channel}`;
}

/** Subscription filter for one channel of every gateway's children. */
export function allGatewaysTopic(channel: GatewayChannel): string {
  return `${TOPIC_ROOT}/gateways/+/devices/+/${channel}`;
}

/** What the CityGrid server subscribes to (QoS 1, persistent session): every device's data, what gateways send for their children, and the broker's refusals. */
export const SERVER_SUBSCRIPTIONS: readonly string[] = [
  allDevicesTopic('telemetry'), allDevicesTopic('event'), allDevicesTopic('status'),
  allGatewaysTopic('telemetry'), allGatewaysTopic('event'), allGatewaysTopic('status'),
  BROKER_REJECTIONS_TOPIC,
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

export interface ParsedGatewayTopic {
  gatewayId: string;
  /** The child the message is for: it counts as this device's. */
  deviceId: string;
  channel: GatewayChannel;
}

/** Parses `city/v1/gateways/{gatewayId}/devices/{childId}/{channel}`; returns null for anything else. */
export function parseGatewayTopic(topic: string): ParsedGatewayTopic | null {
  // every device message is tried here first (authorize-publish.ts): a device's own topic is let go
  // without splitting it (the split cost as much as parseDeviceTopic's at one reading per message)
  if (!topic.startsWith('city/v1/gateways/')) return null;
  const parts = topic.split('/');
  if (parts.length !== 7 || parts[0] !== 'city' || parts[1] !== 'v1' || parts[2] !== 'gateways' || parts[4] !== 'devices') return null;
  const gatewayId = parts[3]!;
  const deviceId = parts[5]!;
  const channel = parts[6]! as GatewayChannel;
  if (!DEVICE_ID_PATTERN.test(gatewayId) || !DEVICE_ID_PATTERN.test(deviceId)) return null;
  if (!GATEWAY_CHANNELS.includes(channel)) return null;
  return { gatewayId, deviceId, channel };
}

/** A device's own topic or a gateway's topic for a child: whose message it is, on which channel, and the gateway if one carried it. */
export interface ParsedMessageTopic {
  deviceId: string;
  channel: DeviceChannel;
  gatewayId?: string;
}

/** parseDeviceTopic or parseGatewayTopic, whichever fits; null for anything else. */
export function parseAnyDeviceTopic(topic: string): ParsedMessageTopic | null {
  return parseDeviceTopic(topic) ?? parseGatewayTopic(topic);
}

export function isDeviceId(value: string): boolean {
  return DEVICE_ID_PATTERN.test(value);
}
