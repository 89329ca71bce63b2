// MQTT over WebSockets (MQTT 3.1.1 section 6, subprotocol `mqtt`) on an HTTP server's port, at one
// path (default /mqtt): for browser-based and firewalled gateways that cannot reach the TCP port.
// Only upgrades to that path are taken; every other upgrade (Socket.IO's /socket.io/) is left to
// its own listener: engine.io ends an upgrade nobody answered after a second, and leaves alone one
// that was answered (bytes written), as this one is at once. Each WebSocket becomes a stream that
// goes through the broker's handleStream: the same edge guard as TCP (packet sizes scanned at the
// header, auth timeout, pending cap, per-address rate), then aedes' authentication, ACLs and rate
// limits. A WebSocket message larger than one packet of the largest size closes the connection at
// its frame header (ws' maxPayload, close code 1009), before its body is buffered; before
// authentication the guard also counts the socket's own bytes (MAX_PREAUTH_BYTES, framing and all).
import type { IncomingMessage, Server as HttpServer } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { WebSocketServer, createWebSocketStream } from 'ws';
import type { CityBroker } from './broker.js';
import { MAX_PACKET_BYTES } from './limits.js';

export const MQTT_WS_PATH = '/mqtt';

/** The largest WebSocket message taken: one packet of the largest size, its fixed header (type byte, up to 4 length bytes) and body. */
export const MQTT_WS_MAX_PAYLOAD = MAX_PACKET_BYTES + 5;

/** The subprotocols MQTT clients offer ('mqttv3.1' by old MQTT 3.1 clients), in order of preference. */
const SUBPROTOCOLS = ['mqtt', 'mqttv3.1'];

export interface MqttWebSocketOptions {
  logger: Logger;
  /** Default /mqtt. */
  path?: string;
  /** The client's address for the per-address limits; default the socket's (behind a trusted proxy, pass the forwarded one). */
  clientAddress?: (req: IncomingMessage) => string;
}

export interface MqttWebSocketEdge {
  /** MQTT connections over WebSockets open now. */
  connections(): number;
  /** Takes no more upgrades and ends the open connections (before the HTTP server is closed: it waits for them). */
  close(): void;
}

function pathOf(url: string | undefined): string | null {
  try {
    return new URL(url ?? '', 'http://localhost').pathname;
  } catch {
    return null;
  }
}

export function serveMqttOverWebSocket(http: HttpServer, broker: Pick<CityBroker, 'handleStream'>, options: MqttWebSocketOptions): MqttWebSocketEdge {
  const path = options.path ?? MQTT_WS_PATH;
  const log = options.logger;
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: MQTT_WS_MAX_PAYLOAD,
    perMessageDeflate: false, // no compression: a small frame must not inflate into a large one
    handleProtocols: (offered) => SUBPROTOCOLS.find((p) => offered.has(p)) ?? false,
  });
  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (pathOf(req.url) !== path) return; // not ours (Socket.IO's, or nobody's)
    wss.handleUpgrade(req, socket, head, (ws) => {
      const remote = options.clientAddress?.(req) ?? req.socket.remoteAddress ?? '';
      const stream = createWebSocketStream(ws);
      ws.on('error', (err) => log.debug({ remote, transport: 'ws', err: err.message }, 'websocket error')); // e.g. 1009: a message over maxPayload
      if (!broker.handleStream(stream, { remote, transport: 'ws', bytesRead: () => req.socket.bytesRead, raw: req.socket })) return;
      log.debug({ remote, transport: 'ws', protocol: ws.protocol || null }, 'MQTT connection over WebSocket');
    });
  };
  http.on('upgrade', onUpgrade);
  log.info({ path }, 'MQTT over WebSockets on the HTTP port at %s', path);
  return {
    connections: () => wss.clients.size,
    close() {
      http.off('upgrade', onUpgrade);
      for (const ws of wss.clients) ws.terminate();
      wss.close();
    },
  };
}
