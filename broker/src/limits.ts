// What a connection may cost the broker, before and after it authenticates, and how far sessions and
// their queues may grow. Named defaults here; `MQTT_*` variables override them (config.ts), and tests
// pass their own through BrokerOptions.limits.
import { MAX_PAYLOAD_BYTES } from '@citygrid/contract';

/**
 * The largest remaining length a packet may announce in its fixed header, in bytes: a PUBLISH with
 * the contract's largest payload (64 KiB), the longest topic MQTT can carry (2-byte length + 65,535
 * bytes) and a packet id (2 bytes) = 131,075 bytes (~128 KiB). Up to this a packet is read, and an
 * over-limit payload is refused with a reason (payload_too_large) while the connection stays up;
 * a header announcing more closes the connection at once, before anything after it is buffered.
 */
export const MAX_PACKET_BYTES = MAX_PAYLOAD_BYTES + 2 + 65_535 + 2;

/**
 * Bytes a connection may send before it is authenticated: 64 KiB. A CONNECT is a few hundred
 * bytes (client id, device id, secret, a will whose payload is "offline"); a header announcing more
 * than this before authentication closes the connection at the header, and a connection that sends
 * more than this in all before it is authenticated is closed too. Bounds what each pending
 * connection can make the broker hold, whatever it announces.
 */
export const MAX_PREAUTH_BYTES = 64 * 1024;

/** How many IPv6 address bits identify one client for the per-address limits: a /64 is one host's (or one home's) subnet. */
export const IPV6_PREFIX_BITS = 64;

export interface LoginBackoff {
  /** Failed logins an address may have before it is backed off. */
  freeFailures: number;
  /** The first back-off, in ms; each further failure doubles it. */
  firstMs: number;
  /** The longest back-off, in ms. */
  maxMs: number;
  /** An address's failures are forgotten this long (ms) after its last one. */
  forgetMs: number;
}

export interface BrokerLimits {
  /** ms from accepting a TCP connection until its CONNECT must have arrived and been authenticated. */
  authTimeoutMs: number;
  /** Connections waiting to be authenticated, at once (all addresses together); more are closed on accept. */
  maxPending: number;
  /** New connections per address: a token bucket of `perSecond` with bursts of `burst`; perSecond 0 turns it off. */
  connectRate: { perSecond: number; burst: number };
  /** false (default): loopback clients (the embedded server's ingest, the simulator) are exempt from the per-address and pending limits. */
  throttleLoopback: boolean;
  /** Exponential back-off of failed MQTT logins per address. */
  loginBackoff: LoginBackoff;
  /** Persistent (clean=false) sessions one device may keep; a new one beyond it ends the device's least recently used one. */
  sessionsPerDevice: number;
  /** ms an offline persistent session is kept; longer idle, it is ended (its subscriptions and queue dropped). The server's own session never expires. */
  sessionExpiryMs: number;
  /** Messages queued for one session (a device or development client); beyond it the oldest are dropped, counted. */
  queueMax: number;
  /** Messages queued for the CityGrid server's session, which may legitimately hold a long backlog while the server is away. */
  serverQueueMax: number;
}

export const DEFAULT_LIMITS: Readonly<BrokerLimits> = Object.freeze({
  // 10 s: TCP + CONNECT + an scrypt check take well under a second even over a 2G link
  authTimeoutMs: 10_000,
  // 256 connections: with MAX_PREAUTH_BYTES each, at most 16 MiB held for unauthenticated clients;
  // a reconnect storm beyond it is shed (clients retry), scrypt would queue behind it anyway
  maxPending: 256,
  // 10 new connections a second per address, bursts of 50: a gateway or a NAT with dozens of
  // devices reconnecting after a broker restart gets in within seconds (300 within ~25 s, retrying);
  // a scanner does not. One address can then hold at most burst + perSecond × authTimeout = 150
  // pending connections, fewer than maxPending: alone it cannot fill the pending cap
  connectRate: Object.freeze({ perSecond: 10, burst: 50 }),
  throttleLoopback: false,
  // 5 failures free (a typo, a stale secret), then 1 s, 2 s, 4 s ... up to 5 min; forgotten 15 min after the last
  loginBackoff: Object.freeze({ freeFailures: 5, firstMs: 1_000, maxMs: 5 * 60_000, forgetMs: 15 * 60_000 }),
  // 4 sessions a device: its own id, and a few `<id>/<suffix>` ones (a gateway's links, a backup path)
  sessionsPerDevice: 4,
  // 1 day
  sessionExpiryMs: 24 * 60 * 60_000,
  // 1,000 messages a session: devices only receive refusal reports, at QoS 0, which are never queued;
  // the cap bounds what a development client or a future subscription can pile up
  queueMax: 1_000,
  // 200,000 messages (~650 bytes each in memory: ~130 MB): at the demo city's 60 readings/s about
  // 55 minutes of server outage; beyond it the oldest readings go first, counted
  serverQueueMax: 200_000,
});

/** Limits as given: any of them, the rest from DEFAULT_LIMITS. */
export type BrokerLimitsInput = Partial<Omit<BrokerLimits, 'connectRate' | 'loginBackoff'>> & {
  connectRate?: Partial<BrokerLimits['connectRate']>;
  loginBackoff?: Partial<LoginBackoff>;
};

export function resolveLimits(partial: BrokerLimitsInput = {}): BrokerLimits {
  return {
    ...DEFAULT_LIMITS,
    ...partial,
    connectRate: { ...DEFAULT_LIMITS.connectRate, ...partial.connectRate },
    loginBackoff: { ...DEFAULT_LIMITS.loginBackoff, ...partial.loginBackoff },
  };
}

/** 127.0.0.0/8, ::1, and IPv4-mapped loopback. */
export function isLoopback(address: string): boolean {
  const a = address.toLowerCase();
  return a === '::1' || a.startsWith('127.') || a.startsWith('::ffff:127.');
}

/** The key per-address limits count under: an IPv4 address, or an IPv6 address's /64 prefix. */
export function addressKey(address: string): string {
  const a = address.toLowerCase().split('%')[0]!; // a link-local zone (fe80::1%eth0) is not part of the address
  if (a.startsWith('::ffff:') && a.includes('.')) return a.slice(7);
  if (!a.includes(':')) return a;
  const [head = '', tail = ''] = a.split('::') as [string?, string?];
  const left = head ? head.split(':') : [];
  const right = a.includes('::') && tail ? tail.split(':') : [];
  const groups = a.includes('::') ? [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right] : left;
  return `${groups.slice(0, IPV6_PREFIX_BITS / 16).map((g) => g.replace(/^0+(?=.)/, '')).join(':')}::/${IPV6_PREFIX_BITS}`;
}
