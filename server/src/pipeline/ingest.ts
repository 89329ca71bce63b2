// ingest: the server's own MQTT session (QoS 1, persistent, so the broker queues readings while the
// server is down), feeding every message to the pipeline and telling devices why they were refused.
import mqtt, { type MqttClient } from 'mqtt';
import {
  BROKER_REJECTIONS_TOPIC, REJECTION_REASON_CODES, allDevicesTopic, deviceTopic, type Rejection,
} from '@citygrid/contract';
import type { Logger } from 'pino';
import type { Metrics } from '../metrics.js';
import type { Pipeline } from './index.js';

export interface IngestOptions {
  url: string;
  clientId: string;
  username: string | null;
  password: string | null;
  logger: Logger;
  metrics: Metrics;
  pipeline: Pipeline;
  /** Refusals reported by the broker (bad credentials, foreign topics, oversize payloads). */
  onBrokerRejection(rejection: Rejection): void;
}

export interface Ingest {
  connected(): boolean;
  /** Tells a device why its message was refused (on city/v1/devices/{id}/rejections). */
  notifyDevice(rejection: Rejection): void;
  close(): Promise<void>;
}

const SUBSCRIPTIONS = {
  [allDevicesTopic('telemetry')]: { qos: 1 as const },
  [allDevicesTopic('event')]: { qos: 1 as const },
  [allDevicesTopic('status')]: { qos: 1 as const },
  [BROKER_REJECTIONS_TOPIC]: { qos: 1 as const },
};

function parseBrokerRejection(payload: Buffer): Rejection | null {
  try {
    const r = JSON.parse(payload.toString('utf8')) as Rejection;
    if (typeof r.message !== 'string' || !REJECTION_REASON_CODES.includes(r.reason)) return null;
    return { ...r, by: 'broker' };
  } catch {
    return null;
  }
}

export function startIngest(o: IngestOptions): Promise<Ingest> {
  const log = o.logger.child({ stage: 'ingest' });
  const client: MqttClient = mqtt.connect(o.url, {
    clientId: o.clientId,
    clean: false, // persistent session: QoS 1 messages published while we are away wait for us
    protocolVersion: 4,
    reconnectPeriod: 1000,
    connectTimeout: 10_000,
    keepalive: 30,
    ...(o.username ? { username: o.username } : {}),
    ...(o.password ? { password: o.password } : {}),
  });

  // Called for every PUBLISH before the PUBACK goes out. The pipeline is synchronous up to the
  // store's write queue, which is committed within the same turn of the event loop.
  client.handleMessage = (packet, done) => {
    try {
      if (packet.topic === BROKER_REJECTIONS_TOPIC) {
        const r = parseBrokerRejection(packet.payload as Buffer);
        if (r) o.onBrokerRejection(r);
        else log.warn('unreadable broker rejection ignored');
      } else {
        o.pipeline.run(packet.topic, packet.payload as Buffer);
      }
    } catch (err) {
      log.error({ err, topic: packet.topic }, 'message handling failed');
    }
    done();
  };

  let firstConnect = true;
  return new Promise((resolve, reject) => {
    client.on('error', (err) => log.warn({ err: err.message }, 'broker connection error; retrying'));
    // Start anyway when the broker is not there yet: health says so, and the client keeps retrying.
    const giveUp = setTimeout(() => {
      if (firstConnect) resolve(ingest);
    }, 5000);
    giveUp.unref();
    client.on('connect', (connack) => {
      o.metrics.mqttConnected.set(1);
      log.info({ url: o.url, sessionPresent: connack.sessionPresent }, 'connected to broker');
      client.subscribe(SUBSCRIPTIONS, (err, granted) => {
        if (err) {
          log.error({ err }, 'subscribe failed');
          if (firstConnect) reject(err);
          return;
        }
        const refused = (granted ?? []).filter((g) => g.qos === 128);
        if (refused.length) log.error({ topics: refused.map((g) => g.topic) }, 'broker refused subscriptions; check the server credentials');
        if (firstConnect) {
          firstConnect = false;
          clearTimeout(giveUp);
          resolve(ingest);
        }
      });
    });
    client.on('close', () => o.metrics.mqttConnected.set(0));
    client.on('offline', () => log.warn('disconnected from broker; reconnecting'));

    const ingest: Ingest = {
      connected: () => client.connected,
      notifyDevice(rejection) {
        if (!rejection.device || !client.connected) return;
        client.publish(deviceTopic(rejection.device, 'rejections'), JSON.stringify(rejection), { qos: 0 });
      },
      close: () => new Promise<void>((res) => {
        client.end(false, {}, () => res());
      }),
    };
  });
}
