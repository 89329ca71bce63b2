// MQTT over TLS (MQTTS_PORT, 8883 by convention): a TCP listener whose connections pass the edge
// guard twice. On accept, before the handshake (which costs us a signature), `guard.arrive` applies
// the pending cap and the per-address rate and holds a pending place; the handshake is bounded by
// `handshakeTimeoutMs`. Once it is done, the decrypted stream goes through `guard.admit` like a TCP
// socket (packet sizes scanned at the header, auth timeout) and on to aedes, whose hooks apply the
// same authentication, ACLs and rate limits.
//
// Client certificates (optional, `ca`): asked for, never required, so that a device without one still
// logs in with its password over TLS. Node's `rejectUnauthorized` would close a connection whose
// certificate fails verification silently (after the handshake, with no event); here it is off and
// the check is ours, right after the handshake and before any MQTT byte is read: a certificate the
// client CA did not sign closes the connection with one log line naming OpenSSL's reason. A verified
// one is kept per connection (`certificates`) for authenticate.ts: its CN names the device.
//
// A failed handshake (garbage, plain MQTT on this port, a client that does not trust our certificate,
// a timeout; not a client that goes away during it, as port probes do) is counted
// (stats.connectionsClosed.tls_handshake) and logged at warn: at most WARN_LINES_PER_MINUTE lines a
// minute, then a line saying how many more there were (an attacker decides how many there are; the
// broker summary and /metrics carry the counts).
import { createServer as createNetServer, Socket as NetSocket, type Server as NetServer, type Socket } from 'node:net';
import { createServer as createTlsServer, type PeerCertificate, type TLSSocket } from 'node:tls';
import type { Logger } from 'pino';
import type { Arrival, ConnectionGuard } from './connection-guard.js';
import { listenOn } from './listen.js';
import type { VerifiedCertificate } from './context.js';

export interface TlsListenerOptions {
  port: number;
  host: string;
  /** PEM certificate (chain) and private key of the listener. */
  cert: string | Buffer;
  key: string | Buffer;
  /** PEM of the CA(s) whose client certificates log a device in (subject CN = device id). */
  ca?: string | Buffer;
  /** Ask clients for a certificate; default: when `ca` is given. Needs `ca` (never verified against public roots). */
  requestClientCert?: boolean;
}

export interface TlsDeps {
  guard: ConnectionGuard;
  logger: Logger;
  /** Verified client certificates by connection (the decrypted stream aedes holds), for authenticate.ts. */
  certificates: WeakMap<object, VerifiedCertificate>;
  /** ms a TLS handshake may take, from TCP accept. */
  handshakeTimeoutMs: number;
  /** The handshake is done: the stream, to the guard's `admit` and aedes. False when the guard refused it. */
  handle(stream: TLSSocket, arrival: Arrival): boolean;
}

export interface TlsListener {
  port: number;
  close(): Promise<void>;
}

/** Refused handshakes logged one by one at warn in a minute; beyond it at debug, and their number once the minute is over. */
export const WARN_LINES_PER_MINUTE = 20;

/** OpenSSL's certificate verification codes a client certificate most often fails with, in words. */
const VERIFY_REASONS: Record<string, string> = {
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'not signed by the client CA (TLS_CLIENT_CA)',
  UNABLE_TO_GET_ISSUER_CERT: 'not signed by the client CA (TLS_CLIENT_CA)',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'not signed by the client CA (TLS_CLIENT_CA)',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'self-signed, not signed by the client CA (TLS_CLIENT_CA)',
  SELF_SIGNED_CERT_IN_CHAIN: 'its chain ends in a CA other than the client CA (TLS_CLIENT_CA)',
  CERT_SIGNATURE_FAILURE: 'its signature does not verify',
  CERT_HAS_EXPIRED: 'expired',
  CERT_NOT_YET_VALID: 'not valid yet',
  INVALID_PURPOSE: 'not meant for TLS client authentication (extended key usage)',
};

/** Why a handshake failed, as OpenSSL (or Node) put it: its reason, else the error's code or message. */
function handshakeReason(err: Error & { code?: string; reason?: string }): { code: string; reason: string } {
  const code = err.code ?? 'ERR_TLS';
  if (code === 'ERR_TLS_HANDSHAKE_TIMEOUT') return { code, reason: 'handshake timed out' };
  if (/ALERT_(UNKNOWN_CA|BAD_CERTIFICATE|CERTIFICATE_UNKNOWN)$/.test(code)) {
    return { code, reason: `the client does not trust our certificate (${err.reason ?? code}): give it the certificate's CA file (mosquitto_pub --cafile; self-signed: DATA_DIR/tls/cert.pem)` };
  }
  return { code, reason: err.reason ?? err.message.split('\n', 1)[0]!.slice(0, 200) };
}

/**
 * The TCP socket under a TLS socket the server made from it. Once the client has closed (it refused
 * our certificate with an alert, or reset), the TLS socket no longer knows its peer, but the TCP
 * socket still has the address it was accepted with. Node keeps it as `_parent` (not a documented
 * property: mqtt-tls.test.ts checks the address in such a refusal's log line, so a Node that drops
 * it fails a test; without it the line says "an unknown address").
 */
function networkSocketOf(tlsSocket: TLSSocket): Socket | null {
  const parent = (tlsSocket as unknown as { _parent?: unknown })._parent;
  return parent instanceof NetSocket ? parent : null;
}

function commonName(peer: PeerCertificate): string | null {
  const cn = (peer.subject as unknown as Record<string, string | string[] | undefined> | undefined)?.CN;
  const one = Array.isArray(cn) ? (cn.length === 1 ? cn[0] : undefined) : cn; // several CNs: ambiguous, none
  return one ? one : null;
}

export async function listenTls(options: TlsListenerOptions, deps: TlsDeps): Promise<TlsListener> {
  const requestCert = options.requestClientCert ?? Boolean(options.ca);
  if (requestCert && !options.ca) throw new Error('requestClientCert needs ca: client certificates are verified against the client CA only, never against public roots');
  const { guard, logger } = deps;
  const tlsServer = createTlsServer({
    cert: options.cert, key: options.key,
    ...(options.ca ? { ca: options.ca } : {}),
    requestCert,
    rejectUnauthorized: false, // our check, below: a client without a certificate may still use its password, and a refused one is logged
    handshakeTimeout: deps.handshakeTimeoutMs,
    minVersion: 'TLSv1.2',
  });

  let warned = 0;
  let unlogged = 0;
  const minute = setInterval(() => {
    if (unlogged) logger.warn({ transport: 'tls', unlogged }, '%d more refused TLS connections in the last minute were not logged one by one', unlogged);
    warned = 0;
    unlogged = 0;
  }, 60_000);
  minute.unref();
  function logRefusal(fields: Record<string, unknown>, message: string, ...args: unknown[]): void {
    if (warned < WARN_LINES_PER_MINUTE) {
      warned++;
      logger.warn({ transport: 'tls', ...fields }, message, ...args);
    } else {
      unlogged++;
      logger.debug({ transport: 'tls', ...fields }, message, ...args);
    }
  }

  /** Raw sockets whose handshake is under way, by `address|port` (what the TLS socket over them reports too). */
  const handshaking = new Map<string, Socket>();
  const keyOf = (s: { remoteAddress?: string | undefined; remotePort?: number | undefined }) => `${s.remoteAddress ?? ''}|${s.remotePort ?? ''}`;
  const open = new Set<Socket>();

  tlsServer.on('tlsClientError', (err: Error & { code?: string; reason?: string }, tlsSocket: TLSSocket) => {
    const remote = tlsSocket.remoteAddress ?? networkSocketOf(tlsSocket)?.remoteAddress ?? '';
    handshaking.delete(keyOf(tlsSocket));
    const { code, reason } = handshakeReason(err);
    if (code === 'ECONNRESET' || code === 'EPIPE') {
      // the client went away (a port probe, a health check, a client giving up): not a refusal of ours
      logger.debug({ remote, transport: 'tls', code }, 'TLS connection closed by the client during its handshake');
      tlsSocket.destroy();
      return;
    }
    guard.refusedArrival('tls_handshake');
    logRefusal({ remote, reason: 'tls_handshake', code }, 'TLS handshake from %s refused: %s', remote || 'an unknown address', reason);
    tlsSocket.destroy();
  });

  tlsServer.on('secureConnection', (tlsSocket: TLSSocket) => {
    tlsSocket.on('error', (err) => logger.debug({ err: err.message, transport: 'tls' }, 'socket error'));
    const key = keyOf(tlsSocket);
    const raw = handshaking.get(key);
    handshaking.delete(key);
    const remote = tlsSocket.remoteAddress ?? '';
    if (requestCert) {
      const peer = tlsSocket.getPeerCertificate();
      const presented = Boolean(peer && Object.keys(peer).length > 0);
      if (presented && !tlsSocket.authorized) {
        const code = String(tlsSocket.authorizationError ?? 'UNKNOWN');
        guard.refusedArrival('tls_client_certificate');
        logRefusal(
          { remote, reason: 'tls_client_certificate', code, subject: commonName(peer)?.slice(0, 64) ?? null, fingerprint: peer.fingerprint256 },
          'TLS connection from %s refused: its client certificate is %s (OpenSSL: %s)', remote || 'an unknown address', VERIFY_REASONS[code] ?? 'not trusted', code,
        );
        tlsSocket.destroy();
        return;
      }
      const cn = presented && tlsSocket.authorized ? commonName(peer) : null; // only a verified certificate names a device
      if (cn) deps.certificates.set(tlsSocket, { cn, fingerprint: peer.fingerprint256 });
    }
    if (!deps.handle(tlsSocket, { remote, transport: 'tls', bytesRead: () => tlsSocket.bytesRead, ...(raw ? { arrived: raw } : {}) })) return;
    logger.debug({ remote, transport: 'tls', protocol: tlsSocket.getProtocol(), certificate: deps.certificates.get(tlsSocket)?.cn ?? null }, 'MQTT connection over TLS');
  });

  const server: NetServer = createNetServer((socket) => {
    socket.on('error', (err) => logger.debug({ err: err.message, transport: 'tls' }, 'socket error'));
    const remote = socket.remoteAddress ?? '';
    if (!guard.arrive(socket, remote, 'tls')) return; // refused at the edge: pending cap or per-address rate
    open.add(socket);
    const key = keyOf(socket);
    handshaking.set(key, socket);
    socket.once('close', () => {
      open.delete(socket);
      if (handshaking.get(key) === socket) handshaking.delete(key);
    });
    tlsServer.emit('connection', socket); // the TLS server takes it from here (documented: any connection may be injected)
  });
  const port = await listenOn(server, options.port, options.host);
  logger.info({ host: options.host, port, clientCertificates: requestCert }, 'MQTT over TLS listening');
  return {
    port,
    async close() {
      clearInterval(minute);
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of open) socket.destroy(); // handshakes under way; MQTT clients are closed by aedes
      await closed;
    },
  };
}
