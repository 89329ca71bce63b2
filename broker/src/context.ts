// What the broker's hooks share: who each client is, the device directory, and how to report a refusal.
import type { Client } from 'aedes';
import type { DeviceKind, Rejection } from '@citygrid/contract';
import type { Logger } from 'pino';
import type { ClientIdOwners } from './client-ids.js';
import type { LoginThrottle } from './login-throttle.js';
import type { DeviceRateLimit } from './rate-limit.js';
import type { TestCredentials } from './test-credentials.js';

export type Identity =
  /** `secretHash`: the stored hash its password matched (the current secret, or a rotated-out one in its grace period). */
  /** `test`: logged in with a one-time test credential the server minted (test-credentials.ts). */
  | { type: 'device'; id: string; kind: DeviceKind; secretHash?: string; test?: true }
  | { type: 'service'; username: string }
  | { type: 'anonymous' };

export interface DeviceEntry {
  id: string; kind: DeviceKind; secret_hash: string; zones?: string[]; grid?: string;
  /** Refused at login and for every message while true. */
  disabled?: boolean;
  /** A rotated-out secret, accepted until `until` (ISO 8601). */
  previous_secret?: { secret_hash: string; until: string };
  /** A gateway's children (devices.yaml `children:`), and on a child its gateway (set by the city loader). */
  children?: string[];
  gateway?: string;
}

/**
 * Where the broker hands what devices publish, instead of forwarding it over MQTT to a subscriber:
 * the server's LocalBus under `npm start`, or a NATS JetStream edge in cluster mode.
 */
export interface BusSink {
  /**
   * A device's message on one of its channels. Resolves once it is dealt with: accepted and durable,
   * or refused and reported; only then is the device's PUBACK sent. Rejects when it could not be made
   * durable: no PUBACK, and the connection is closed, so the device sends it again.
   */
  offer(device: DeviceEntry, channel: 'telemetry' | 'event' | 'status', topic: string, payload: Buffer, dup: boolean): Promise<void>;
  /** The broker's own refusals (credentials, topics, sizes, budgets). */
  refusal(rejection: Rejection): void;
}

/** The devices the broker admits; replaceable when the city configuration is reloaded. */
export interface DeviceDirectory {
  get(id: string): DeviceEntry | undefined;
}

/**
 * Why the edge closed a connection (connection-guard.ts; the TLS listener, tls.ts): `tls_handshake`, a
 * TLS handshake that failed or timed out (garbage, plain MQTT on the TLS port, a client that does not
 * trust our certificate); `tls_client_certificate`, a client certificate the client CA did not sign.
 */
export type EdgeRefusal = 'packet_too_large' | 'preauth_bytes' | 'auth_timeout' | 'pending_limit' | 'address_rate' | 'tls_handshake' | 'tls_client_certificate';
export const EDGE_REFUSALS: readonly EdgeRefusal[] = ['packet_too_large', 'preauth_bytes', 'auth_timeout', 'pending_limit', 'address_rate', 'tls_handshake', 'tls_client_certificate'];

/** A client certificate verified against the broker's client CA (tls.ts), kept per connection for authenticate.ts. */
export interface VerifiedCertificate {
  /** The subject's common name: a device id logs in as that device without a password. */
  cn: string;
  /** SHA-256 fingerprint, for the logs. */
  fingerprint: string;
}

export interface BrokerStats {
  connects: number;
  disconnects: number;
  /** Connections refused at authentication, for any reason (credentials, client id, back-off). */
  authFailures: number;
  rejectedPublishes: number;
  /** Logins refused for their credentials: wrong or missing password, unknown device. */
  loginFailures: number;
  /** Logins refused unchecked because their address was backed off after failures. */
  loginsThrottled: number;
  /** Device secrets checked with scrypt (a cached, already verified secret is not counted). */
  secretChecks: number;
  /** Connections closed at the TCP edge, by why. */
  connectionsClosed: Record<EdgeRefusal, number>;
  /** Persistent sessions the broker ended: beyond a device's cap, or idle past the expiry. */
  sessionsEnded: { evicted: number; expired: number };
  /** Messages dropped from session queues over their cap. */
  queueDropped: number;
}

export function newStats(): BrokerStats {
  return {
    connects: 0, disconnects: 0, authFailures: 0, rejectedPublishes: 0,
    loginFailures: 0, loginsThrottled: 0, secretChecks: 0,
    connectionsClosed: Object.fromEntries(EDGE_REFUSALS.map((r) => [r, 0])) as Record<EdgeRefusal, number>,
    sessionsEnded: { evicted: 0, expired: 0 },
    queueDropped: 0,
  };
}

export interface BrokerContext {
  /** Each device's publish budget. */
  rateLimit: DeviceRateLimit;
  /** Which identity each MQTT client id belongs to. */
  clientIds: ClientIdOwners;
  devices: DeviceDirectory;
  /** Username and password of the CityGrid server's own connection, and the one client id it may use; null disables the service account. */
  service: { username: string; password: string; clientId: string } | null;
  /** Failed logins per address, with back-off. */
  logins: LoginThrottle;
  /** True when per-address limits (and the login back-off) apply to this client address. */
  throttled(address: string): boolean;
  allowAnonymous: boolean;
  identities: WeakMap<Client, Identity>;
  /** One-time credentials the server mints for its test readings (issue 18). */
  testCredentials: TestCredentials;
  /** Connections (their streams, as aedes holds them) that came with a verified client certificate (tls.ts). */
  certificates?: WeakMap<object, VerifiedCertificate>;
  report(rejection: Omit<Rejection, 'ts' | 'by'>): void;
  /** Set: device messages go to it, not to MQTT subscribers. */
  sink: BusSink | null;
  stats: BrokerStats;
  logger: Logger;
}

export function identityOf(ctx: BrokerContext, client: Client | null): Identity | undefined {
  return client ? ctx.identities.get(client) : undefined;
}
