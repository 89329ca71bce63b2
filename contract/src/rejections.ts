// Why a message was refused: one code per reason, shared by broker, server, API and devices.
import { parseAnyDeviceTopic } from './topics.js';

export const REJECTION_REASONS = {
  // refused by the broker, before the server sees the message
  unknown_device: 'No device with this id is registered in the city configuration',
  bad_credentials: 'Wrong password for this device',
  device_disabled: 'The device is disabled in the city configuration (an engineer switched it off)',
  foreign_topic: 'A device may publish only under its own id',
  foreign_child: 'A gateway may publish only for its own children (devices.yaml children:)',
  topic_invalid: 'Not a CityGrid device topic (city/v1/devices/{id}/telemetry|event|status)',
  payload_too_large: 'Payload is larger than 64 KiB',
  rate_limited: 'The device publishes faster than its budget (MQTT_DEVICE_RATE); messages beyond it are refused',
  client_id_taken: 'Another device or the server already uses this MQTT client id',
  // refused by the server's validate step
  malformed_json: 'Payload is not valid JSON',
  schema_invalid: 'Payload does not have the expected shape',
  unknown_property: 'Payload has a property that is not part of the contract',
  wrong_channel: 'This device kind does not publish on this channel',
  unknown_metric: "Metric is not in the catalogue for this device's kind",
  wrong_type: 'Metric value has the wrong type',
  out_of_range: 'Metric value is outside its plausible range',
  ts_in_future: 'Timestamp is more than 5 minutes in the future',
  ts_invalid: 'Timestamp is not epoch milliseconds or an RFC 3339 date-time',
  batch_too_large: 'A batch may hold at most 500 readings',
  status_invalid: 'Status must be "online" or "offline"',
} as const;

export type RejectionReason = keyof typeof REJECTION_REASONS;
export const REJECTION_REASON_CODES = Object.keys(REJECTION_REASONS) as RejectionReason[];

/** What a device receives on its `rejections` topic and what GET /api/rejections lists. */
export interface Rejection {
  ts: number;
  /** The device id the message claimed (username or topic id); null when neither was usable. */
  device: string | null;
  /** The gateway that sent the message on the device's behalf (city/v1/gateways/{id}/devices/...): it is told, on its own rejections topic. */
  gateway?: string;
  topic: string | null;
  reason: RejectionReason;
  /** Specific, human words: which field, which value, what was expected. */
  message: string;
  /** Where it was refused. */
  by: 'broker' | 'server';
  /** The `seq` of the refused reading when the payload had one. */
  seq?: number;
  /** How many refused messages this report stands for (rate_limited reports are summed up); 1 when absent. */
  count?: number;
  /**
   * True for a refused connection, before the client counted as authenticated: wrong password,
   * unknown device, a client id that is not its own. Anyone who can reach the broker can cause one
   * in a device's name, so it is never held against the device (the refusals rules skip it).
   */
  preAuth?: boolean;
}

export class RejectionError extends Error {
  constructor(
    readonly reason: RejectionReason,
    message: string,
    readonly seq?: number,
  ) {
    super(message);
    this.name = 'RejectionError';
  }
}

/**
 * Who is told of a refusal, each on its own `city/v1/devices/{id}/rejections`: the device, and the
 * gateway that carried the message (a child may have no connection of its own).
 */
export function rejectionRecipients(r: Pick<Rejection, 'device' | 'gateway'>): string[] {
  if (!r.device) return [];
  return r.gateway && r.gateway !== r.device ? [r.device, r.gateway] : [r.device];
}

/**
 * Whose refusal a message on `topic` is: the device the topic names and, on a gateway's topic, the
 * gateway that carried it; foreign_child is the gateway's own (the device it named is not its child).
 */
export function refusedOnTopic(topic: string, reason: RejectionReason): Pick<Rejection, 'device' | 'gateway'> {
  const parsed = parseAnyDeviceTopic(topic);
  if (!parsed) return { device: topic.split('/')[3] ?? null };
  if (parsed.gatewayId === undefined) return { device: parsed.deviceId };
  return reason === 'foreign_child' ? { device: parsed.gatewayId } : { device: parsed.deviceId, gateway: parsed.gatewayId };
}
