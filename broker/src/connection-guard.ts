// The broker's TCP edge, before `aedes.handle(socket)`. aedes buffers a whole packet before any hook
// runs, so a header announcing 256 MiB made it hold whatever followed, unauthenticated. Here every
// chunk a socket reads passes a length scanner first (packet-scanner.ts): a packet announcing more
// than MAX_PACKET_BYTES (before authentication: more than MAX_PREAUTH_BYTES) closes the connection
// at its header, and so does sending more than MAX_PREAUTH_BYTES in all before authenticating. A
// connection must be authenticated within `authTimeoutMs`; connections pending authentication are
// capped (`maxPending`, all addresses together), and new connections per address go through a
// token bucket (`connectRate`). Loopback is exempt from the last two unless `throttleLoopback`:
// the embedded server's ingest and the demo simulator connect from there. The same guard takes
// MQTT over WebSockets (websocket.ts): there the stream is the WebSocket's, its chunks whole
// WebSocket messages (each bounded by the WebSocket server's maxPayload), scanned the same way. MQTT
// over TLS (tls.ts) passes twice: `arrive` on TCP accept, before the handshake (which costs us a
// signature), takes the per-address token and a pending place; `admit` then takes the decrypted
// stream once the handshake is done, scanned like a TCP socket's.
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import type { BrokerStats, EdgeRefusal } from './context.js';
import { MAX_PACKET_BYTES, MAX_PREAUTH_BYTES, addressKey, isLoopback, type BrokerLimits } from './limits.js';
import { PacketScanner } from './packet-scanner.js';

/** How a connection came: plain MQTT over TCP, MQTT over TLS (MQTTS_PORT), or MQTT over WebSockets on the HTTP port. */
export type Transport = 'tcp' | 'tls' | 'ws';

/** What the guard is told of a new connection besides its stream. */
export interface Arrival {
  /** The client's address: the socket's, or behind a trusted proxy the one it forwarded. */
  remote: string;
  transport: Transport;
  /** Bytes read from the network so far (for the log line of a refusal); default: bytes the stream took. */
  bytesRead?: () => number;
  /**
   * The network socket under the stream (a WebSocket's): what it reads before authentication counts
   * against MAX_PREAUTH_BYTES too, framing and all, so that a WebSocket message that is still arriving
   * (buffered by ws until complete, up to its maxPayload) is bounded like a TCP stream.
   */
  raw?: Duplex;
  /**
   * The network socket that `arrive` took before its transport was set up (a TLS handshake): its
   * pending place passes to this stream, and the pending cap and per-address rate are not applied twice.
   */
  arrived?: Duplex;
}

interface Conn {
  remote: string;
  transport: Transport;
  /** Bytes pushed into the stream so far. */
  pushed: number;
  bytesRead: (() => number) | null;
  scanner: PacketScanner;
  /** Not yet authenticated. */
  preauth: boolean;
  /** Counted in `pending` (an address that is throttled at all). */
  counted: boolean;
  /** Set once authenticated as a device: who to tell when a packet of theirs closes the connection. */
  device: string | null;
  timer: ReturnType<typeof setTimeout> | null;
}

interface Bucket { tokens: number; at: number }

/** Per-address buckets kept at most; beyond it the ones that have refilled are forgotten first. */
const MAX_TRACKED_ADDRESSES = 50_000;
const PRUNE_EVERY_MS = 60_000;

export class ConnectionGuard {
  private pending = 0;
  private readonly buckets = new Map<string, Bucket>();
  private readonly conns = new WeakMap<Duplex, Conn>();
  /** Sockets taken by `arrive` whose transport is being set up; `counted`: they hold a pending place. */
  private readonly arriving = new WeakMap<Duplex, { counted: boolean }>();
  private readonly pruner: ReturnType<typeof setInterval>;

  constructor(private readonly o: {
    limits: BrokerLimits; stats: BrokerStats; logger: Logger; now?: () => number;
    /** A signed-in device's packet was over the limit and its connection closed: tell the device (and the server) why. */
    onDeviceRefused?: (device: string, announced: number) => void;
  }) {
    this.pruner = setInterval(() => this.prune(), PRUNE_EVERY_MS);
    this.pruner.unref();
  }

  private now(): number {
    return this.o.now?.() ?? Date.now();
  }

  /** True when the per-address and pending limits apply to this client address. */
  throttled(address: string): boolean {
    return this.o.limits.throttleLoopback || !isLoopback(address);
  }

  /** Connections waiting to be authenticated (from throttled addresses). */
  pendingCount(): number {
    return this.pending;
  }

  /**
   * A network connection whose transport must be set up before MQTT flows (a TLS handshake): the
   * pending cap and the per-address rate, as `admit` applies them. It holds a pending place until
   * `admit` takes it over (`arrival.arrived`) or the socket closes. False (and destroyed) when refused.
   */
  arrive(socket: Duplex, remote: string, transport: Transport): boolean {
    const throttled = this.throttled(remote);
    if (throttled) {
      if (this.pending >= this.o.limits.maxPending) return this.refuse(socket, remote, transport, 'pending_limit', {});
      if (!this.takeToken(addressKey(remote))) return this.refuse(socket, remote, transport, 'address_rate', {});
      this.pending++;
    }
    this.arriving.set(socket, { counted: throttled });
    socket.once('close', () => this.release(socket));
    return true;
  }

  /** A connection closed before its transport was set up (a failed TLS handshake): counted by why; the caller logs it. */
  refusedArrival(why: EdgeRefusal): void {
    this.o.stats.connectionsClosed[why]++;
  }

  /** Takes a new connection (a TCP socket, or a WebSocket's stream) in hand; false (and the stream destroyed) when it is refused. */
  admit(socket: Duplex, arrival: Arrival): boolean {
    const { remote, transport } = arrival;
    const throttled = this.throttled(remote);
    if (arrival.arrived) this.release(arrival.arrived); // its place passes to this stream (counted again just below)
    else if (throttled) {
      if (this.pending >= this.o.limits.maxPending) return this.refuse(socket, remote, transport, 'pending_limit', {});
      if (!this.takeToken(addressKey(remote))) return this.refuse(socket, remote, transport, 'address_rate', {});
    }
    const conn: Conn = { remote, transport, pushed: 0, bytesRead: arrival.bytesRead ?? null, scanner: new PacketScanner(), preauth: true, counted: throttled, timer: null, device: null };
    if (throttled) this.pending++;
    this.conns.set(socket, conn);
    conn.timer = setTimeout(() => {
      conn.timer = null;
      if (conn.preauth && !socket.destroyed) this.refuse(socket, remote, transport, 'auth_timeout', { afterMs: this.o.limits.authTimeoutMs });
    }, this.o.limits.authTimeoutMs);
    conn.timer.unref();
    socket.once('close', () => this.settle(conn));
    this.watch(socket, conn);
    if (arrival.raw) this.watchRaw(arrival.raw, socket, conn);
    return true;
  }

  /** The connection's client is authenticated (as `device`, if one): no more pre-auth limits (packet sizes are still checked). */
  authenticated(socket: Duplex, device: string | null = null): void {
    const conn = this.conns.get(socket);
    if (!conn) return;
    conn.device = device;
    this.settle(conn);
  }

  close(): void {
    clearInterval(this.pruner);
  }

  private release(socket: Duplex): void {
    const hold = this.arriving.get(socket);
    if (!hold?.counted) return;
    hold.counted = false;
    this.pending--;
  }

  private settle(conn: Conn): void {
    conn.preauth = false;
    if (conn.timer) clearTimeout(conn.timer);
    conn.timer = null;
    if (conn.counted) {
      conn.counted = false;
      this.pending--;
    }
  }

  /**
   * Every chunk the socket reads from the kernel goes through `push` (node:net's onStreamRead; for a
   * WebSocket, ws' createWebSocketStream pushes each message); the scanner sees it there, before it
   * reaches the readable buffer aedes reads from. Refused, the chunk is dropped and the stream destroyed.
   */
  private watch(socket: Duplex, conn: Conn): void {
    const guard = this; // eslint-disable-line @typescript-eslint/no-this-alias
    const push = socket.push;
    let preauthBytes = 0;
    const refuse = (why: EdgeRefusal, detail: Record<string, unknown>) => this.refuse(socket, conn.remote, conn.transport, why, { ...detail, read: conn.bytesRead?.() ?? conn.pushed });
    const tooLarge = (announced: number) => announced > (conn.preauth ? Math.min(MAX_PACKET_BYTES, MAX_PREAUTH_BYTES) : MAX_PACKET_BYTES);
    socket.push = function guardedPush(this: Duplex, chunk: unknown, encoding?: BufferEncoding): boolean {
      if (chunk instanceof Uint8Array && !socket.destroyed) {
        conn.pushed += chunk.length;
        const over = conn.scanner.feed(chunk, tooLarge);
        if (over) {
          if (conn.device) guard.o.onDeviceRefused?.(conn.device, over.announced);
          return refuse(over.announced > MAX_PACKET_BYTES ? 'packet_too_large' : 'preauth_bytes', { announced: over.announced, authenticated: !conn.preauth });
        }
        if (conn.preauth) {
          preauthBytes += chunk.length;
          if (preauthBytes > MAX_PREAUTH_BYTES) return refuse('preauth_bytes', {});
        }
      }
      return push.call(this, chunk, encoding);
    } as Duplex['push'];
  }

  /** The network bytes under a stream (a WebSocket's), counted while it is not authenticated. */
  private watchRaw(raw: Duplex, socket: Duplex, conn: Conn): void {
    const guard = this; // eslint-disable-line @typescript-eslint/no-this-alias
    const push = raw.push;
    let preauthBytes = 0;
    raw.push = function guardedRawPush(this: Duplex, chunk: unknown, encoding?: BufferEncoding): boolean {
      if (conn.preauth && chunk instanceof Uint8Array && !socket.destroyed) {
        preauthBytes += chunk.length;
        if (preauthBytes > MAX_PREAUTH_BYTES) return guard.refuse(socket, conn.remote, conn.transport, 'preauth_bytes', { read: conn.bytesRead?.() ?? preauthBytes, network: true });
      }
      return push.call(this, chunk, encoding);
    } as Duplex['push'];
  }

  /** Closes the connection and counts why; always false (for `admit` and `push`). */
  private refuse(socket: Duplex, remote: string, transport: Transport, why: EdgeRefusal, detail: Record<string, unknown>): false {
    this.o.stats.connectionsClosed[why]++;
    // one line per connection at debug only: an attacker decides how many there are; the broker
    // summary (info) carries the counts
    this.o.logger.debug({ remote, transport, reason: why, ...detail }, 'connection closed at the edge: %s', why);
    socket.destroy();
    return false;
  }

  private takeToken(key: string): boolean {
    const { perSecond, burst } = this.o.limits.connectRate;
    if (perSecond <= 0) return true;
    const now = this.now();
    let b = this.buckets.get(key);
    if (!b) {
      if (this.buckets.size >= MAX_TRACKED_ADDRESSES) this.prune(true);
      b = { tokens: burst, at: now };
      this.buckets.set(key, b);
    }
    b.tokens = Math.min(burst, b.tokens + ((now - b.at) / 1000) * perSecond);
    b.at = now;
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

  /** Forgets addresses whose bucket has refilled (they would start full anyway); when `hard`, also the oldest until under the cap. */
  private prune(hard = false): void {
    const { perSecond, burst } = this.o.limits.connectRate;
    const now = this.now();
    for (const [key, b] of this.buckets) {
      if (perSecond <= 0 || b.tokens + ((now - b.at) / 1000) * perSecond >= burst) this.buckets.delete(key);
    }
    if (hard) for (const key of this.buckets.keys()) {
      if (this.buckets.size < MAX_TRACKED_ADDRESSES) break;
      this.buckets.delete(key);
    }
  }
}
