// A broker for the edge's access tests: the demo city's devices, the service account, and the
// server's own connection (its reserved client id) listening to the broker's refusal reports.
import type { MqttClient } from 'mqtt';
import { pino } from 'pino';
import { createBroker, type CityBroker } from '@citygrid/broker';
import { BROKER_REJECTIONS_TOPIC, SERVER_CLIENT_ID, type Rejection } from '@citygrid/contract';
import { loadCity } from '@citygrid/contract/node';
import { DEMO_CITY, connectDevice, end, subscribe } from './system.js';

export interface TestEdge { broker: CityBroker; url: string; server: MqttClient; close(): Promise<void> }

/** Starts the broker on a free port; every refusal report it publishes is pushed to `reports`. */
export async function startEdgeWithServer(service: { username: string; password: string }, reports: Rejection[]): Promise<TestEdge> {
  const broker = await createBroker({ port: 0, host: '127.0.0.1', devices: loadCity(DEMO_CITY).devicesById, service, allowAnonymous: false, logger: pino({ level: 'silent' }) });
  const url = `mqtt://127.0.0.1:${broker.port}`;
  // the service account connects only with the server's reserved client id
  const server = await connectDevice(url, service.username, service.password, { clientId: SERVER_CLIENT_ID });
  await subscribe(server, BROKER_REJECTIONS_TOPIC);
  server.on('message', (t, p) => { if (t === BROKER_REJECTIONS_TOPIC) reports.push(JSON.parse(p.toString()) as Rejection); });
  return { broker, url, server, close: async () => { await end(server); await broker.close(); } };
}
