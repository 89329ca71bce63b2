// ingest: the server's own MQTT session (QoS 1, persistent, so the broker queues readings while the
// server is down), feeding every message to the pipeline and telling devices why they were refused.
import { batchWrites } from '@citygrid/broker';
import mqtt, { type MqttClient } from 'mqtt';
import {
  BROKER_REJECTIONS_TOPIC, REJECTION_REASON_CODES, SERVER_SUBSCRIPTIONS, deviceTopic, rejectionRecipients, type Rejection,
} from '@citygrid/contract';
import type { Logger } from 'pino';
import { interceptPackets, socketOf } from '../adapters/mqtt.js';
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
  /** Resolves once what the pipeline queued so far is durable (TimeSeriesStore.durable). */
  durable?: () => Promise<void>;
  /** The store cannot take more now (see TimeSeriesStore.full) and when it can again. */
  storeFull?: () => boolean;
  whenStoreHasRoom?: () => Promise<void>;
}

export interface Ingest {
  connected(): boolean;
  /** True while intake is paused because the store is full. */
  paused(): boolean;
  /** Tells a device (and a gateway, of its children's messages) why its message was refused (on city/v1/devices/{id}/rejections). */
  notifyDevice(rejection: Rejection): void;
  close(): Promise<void>;
}

/** Every device's topics, what gateways send for their children, and the broker's refusals (SERVER_SUBSCRIPTIONS). */
const SUBSCRIPTIONS = Object.fromEntries(SERVER_SUBSCRIPTIONS.map((topic) => [topic, { qos: 1 as const }]));

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
    // mqtt.js stops for good after a refused CONNACK unless told otherwise: a broker that refused our
    // login once (mosquitto restarted before its password file was fixed) was never tried again
    reconnectOnConnackError: true,
    connectTimeout: 10_000,
    keepalive: 30,
    ...(o.username ? { username: o.username } : {}),
    ...(o.password ? { password: o.password } : {}),
  });

  // Called for every PUBLISH before the PUBACK goes out. The pipeline is synchronous up to the
  // store's write queue, which is committed within the same turn of the event loop.
  // A full store (the InfluxDB spool at its cap): take nothing more and leave the broker's session
  // holding it. The message in hand is not acknowledged, so the broker sends it again; the session
  // resumes once the store has room.
  // Before disconnecting, the PUBACKs of what was already taken go out (once durable): otherwise the
  // broker would send those messages again on resume, and an unidentifiable one would count twice.
  let paused = false;
  function pauseIntake(): void {
    if (paused) return;
    paused = true;
    o.metrics.mqttConnected.set(0);
    log.warn('the store is full: no more messages are taken from the broker until it has room; the broker keeps them for this session');
    // graceful end: DISCONNECT after what is written (the released PUBACKs) has gone out
    void (acks?.settled() ?? Promise.resolve()).then(() => client.end(false, {}, () => {
      void (o.whenStoreHasRoom?.() ?? Promise.resolve()).then(() => {
        if (closing) return;
        paused = false;
        log.info('the store has room again: taking messages from the broker');
        client.reconnect();
      });
    }));
  }
  let closing = false;

  client.handleMessage = (packet, done) => {
    if (o.storeFull?.() && packet.topic !== BROKER_REJECTIONS_TOPIC) {
      pauseIntake(); // and no done(): no PUBACK
      return;
    }
    try {
      if (packet.topic === BROKER_REJECTIONS_TOPIC) {
        const r = parseBrokerRejection(packet.payload as Buffer);
        if (r) o.onBrokerRejection(r);
        else log.warn('unreadable broker rejection ignored');
      } else {
        o.pipeline.offerTopic(packet.topic, packet.payload as Buffer, Date.now(), packet.dup === true);
      }
    } catch (err) {
      log.error({ err, topic: packet.topic }, 'message handling failed');
    }
    done();
  };

  // PUBACK only once durable. mqtt.js hands over the next message only after this one's PUBACK is
  // "sent", so holding the PUBACK itself would stall intake to one message per commit. Instead the
  // PUBACKs of a turn are held back here and written together once the store says the turn's
  // readings are durable (SQLite: committed by its writer thread). Killed in between, the broker
  // never got them and sends those messages again; the stores' keys make that idempotent.
  const acks = o.durable ? holdAcksUntilDurable(client, o.durable) : null;

  let firstConnect = true;
  return new Promise((resolve, reject) => {
    // a refused login (CONNACK 4 or 5; 134 or 135 under MQTT 5) is logged once per run of refusals, not every second
    let refusedLogins = 0;
    client.on('error', (err) => {
      const code = (err as Error & { code?: unknown }).code;
      if (code !== 4 && code !== 5 && code !== 134 && code !== 135) return void log.warn({ err: err.message }, 'broker connection error; retrying');
      if (refusedLogins++ === 0) log.error({ err: err.message, username: o.username }, 'the broker refused the server\'s login: check MQTT_USERNAME and MQTT_PASSWORD against the broker\'s accounts; retrying every second');
    });
    client.on('connect', () => { refusedLogins = 0; });
    // Start anyway when the broker is not there yet: health says so, and the client keeps retrying.
    const giveUp = setTimeout(() => {
      if (firstConnect) resolve(ingest);
    }, 5000);
    giveUp.unref();
    client.on('connect', (connack) => {
      // one writev per event-loop turn for all the PUBACKs of that turn, not one per message
      batchWrites(socketOf(client));
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
        if (!client.connected) return;
        // the device, and the gateway that carried its message
        for (const id of rejectionRecipients(rejection)) client.publish(deviceTopic(id, 'rejections'), JSON.stringify(rejection), { qos: 0 });
      },
      paused: () => paused,
      close: () => new Promise<void>((res) => {
        closing = true;
        client.end(false, {}, () => res());
      }),
    };
  });
}

export interface HeldAcks {
  /** Resolves once every PUBACK held so far has been written (or voided by a new connection). */
  settled(): Promise<void>;
}

export function holdAcksUntilDurable(client: MqttClient, durable: () => Promise<void>): HeldAcks {
  let generation = 0; // a new connection: acknowledgements held for the old one are void
  client.on('connect', () => generation++);
  let held: { cmd: string }[] = [];
  let scheduled = false;
  let last: Promise<void> = Promise.resolve();
  const release = () => {
    scheduled = false;
    const batch = held;
    const gen = generation;
    held = [];
    last = durable().then(() => {
      if (gen !== generation || !client.connected) return; // the broker will send those messages again
      for (const packet of batch) send(packet);
    });
  };
  const send = interceptPackets(client, (packet, write, cb, rest) => {
    if (packet.cmd !== 'puback') return write(packet, cb, ...rest);
    held.push(packet);
    if (!scheduled) {
      scheduled = true;
      setImmediate(release);
    }
    cb?.(); // as if written: mqtt.js goes on to the next message
  });
  return {
    settled: async () => {
      if (scheduled) await new Promise((r) => setImmediate(r)); // the turn's batch is handed to durable() first
      await last;
    },
  };
}
