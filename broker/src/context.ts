// What the broker's hooks share: who each client is, the device directory, and how to report a refusal.
import type { Client } from 'aedes';
import type { DeviceKind, Rejection } from '@citygrid/contract';
import type { Logger } from 'pino';
import type { ClientIdOwners } from './client-ids.js';
import type { DeviceRateLimit } from './rate-limit.js';

export type Identity =
  | { type: 'device'; id: string; kind: DeviceKind }
  | { type: 'service'; username: string }
  | { type: 'anonymous' };

export interface DeviceEntry { id: string; kind: DeviceKind; secret_hash: string }

/** The devices the broker admits; replaceable when the city configuration is reloaded. */
export interface DeviceDirectory {
  get(id: string): DeviceEntry | undefined;
}

export interface BrokerStats {
  connects: number;
  disconnects: number;
  authFailures: number;
  rejectedPublishes: number;
}

export interface BrokerContext {
  /** Each device's publish budget. */
  rateLimit: DeviceRateLimit;
  /** Which identity each MQTT client id belongs to. */
  clientIds: ClientIdOwners;
  devices: DeviceDirectory;
  /** Username and password of the CityGrid server's own connection; null disables the service account. */
  service: { username: string; password: string } | null;
  allowAnonymous: boolean;
  identities: WeakMap<Client, Identity>;
  report(rejection: Omit<Rejection, 'ts' | 'by'>): void;
  stats: BrokerStats;
  logger: Logger;
}

export function identityOf(ctx: BrokerContext, client: Client | null): Identity | undefined {
  return client ? ctx.identities.get(client) : undefined;
}
