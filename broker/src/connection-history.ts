// Each device's connections as the broker sees them, for the device's page (issue 18): a connect
// (address, transport, client id, clean session), a disconnect with why it ended (DISCONNECT, socket
// closed or failed, keepalive timeout, taken over by the same client id, closed by the broker) and
// the last will it left, and logins refused in a known device's name. Emitted one by one to
// `emit` (the server keeps them, bounded: server/src/live/device-connections.ts); nothing is kept
// here but a reason per live client (WeakMaps), and nothing runs per message.
import type { Aedes, AuthenticateError, Client } from 'aedes';
import { parseDeviceTopic, type DeviceConnectionEvent, type DisconnectReason, type MqttTransport } from '@citygrid/contract';
import type { BrokerContext } from './context.js';
import { addressOf, liveClients, sentDisconnect, willOf } from './adapters/aedes.js';

type AuthenticateHook = (client: Client, username: string | undefined, password: Buffer | undefined, done: (e: AuthenticateError | null, ok: boolean | null) => void) => void;

/** How much of a will's payload the history shows. */
const WILL_PREVIEW_CHARS = 200;
const DETAIL_CHARS = 200;

export interface ConnectionWatch {
  /** Wraps the authenticate hook: notes a take-over (a new login with a live client's id) and refused logins of known devices. */
  authenticate(hook: AuthenticateHook): AuthenticateHook;
  /** Listens to aedes' client events. */
  attach(aedes: Aedes): void;
  /** The broker is closing this client on purpose (an evicted session, a device removed or disabled). */
  kicked(client: Client, why: string): void;
}

export function watchConnections(o: {
  ctx: BrokerContext;
  transportOf: (client: Client) => MqttTransport;
  emit: (event: DeviceConnectionEvent) => void;
}): ConnectionWatch {
  const { ctx } = o;
  const ended = new WeakMap<Client, { reason: DisconnectReason; detail?: string }>();
  const wills = new WeakMap<Client, { topic: string; payload: string }>();
  /** Where each device's client came from, read at connect (a closed socket has no address any more). */
  const origins = new WeakMap<Client, { address: string; transport: MqttTransport }>();
  let aedes: Aedes | null = null;
  const end = (client: Client, reason: DisconnectReason, detail?: string) => {
    if (!ended.has(client)) ended.set(client, detail ? { reason, detail: detail.slice(0, DETAIL_CHARS) } : { reason });
  };
  const base = (client: Client, device: string) => ({
    ts: Date.now(), device, address: addressOf(client), transport: o.transportOf(client), clientId: String(client.id ?? '').slice(0, 128),
  });
  const emit = (event: DeviceConnectionEvent) => {
    try {
      o.emit(event);
    } catch (err) {
      ctx.logger.warn({ err: (err as Error).message }, 'connection history listener failed');
    }
  };

  return {
    authenticate: (hook) => (client, username, password, done) => hook(client, username, password, (err, ok) => {
      if (!err && ok) {
        // aedes closes the live client with this id once this one registers ([MQTT-3.1.4-2])
        const old = aedes ? liveClients(aedes)[client.id] : undefined;
        if (old && old !== client) end(old, 'taken_over', `by a new connection from ${addressOf(client) || 'an unknown address'}`);
      } else if (username && ctx.devices.get(username)) {
        emit({ ...base(client, username), type: 'refused', message: (err?.message ?? 'not authorized').slice(0, DETAIL_CHARS) });
      }
      done(err, ok);
    }),

    attach(broker) {
      aedes = broker;
      broker.on('clientReady', (client) => {
        const who = ctx.identities.get(client);
        if (who?.type !== 'device') return;
        const will = willOf(client);
        if (will) wills.set(client, { topic: will.topic.slice(0, 200), payload: String(will.payload).slice(0, WILL_PREVIEW_CHARS) });
        const at = base(client, who.id);
        origins.set(client, { address: at.address, transport: at.transport });
        emit({ ...at, type: 'connect', clean: client.clean, ...(who.test ? { test: true as const } : {}) });
      });
      broker.on('keepaliveTimeout', (client) => end(client, 'keepalive_timeout'));
      broker.on('clientError', (client, err) => {
        if ((err as { errorCode?: number }).errorCode === undefined) end(client, 'socket_error', err.message);
      });
      broker.on('clientDisconnect', (client) => {
        const who = ctx.identities.get(client);
        if (who?.type !== 'device') return;
        const why = ended.get(client) ?? { reason: sentDisconnect(client) ? 'client_disconnect' as const : 'socket_closed' as const };
        const will = wills.get(client);
        // aedes publishes the will of a connection that ended without DISCONNECT; the ACL lets a device's own topics through
        const published = will && why.reason !== 'client_disconnect' && parseDeviceTopic(will.topic)?.deviceId === who.id ? will : null;
        emit({ ...base(client, who.id), ...origins.get(client), type: 'disconnect', ...why, ...(published ? { will: published } : {}), ...(who.test ? { test: true as const } : {}) });
      });
    },

    kicked: (client, why) => end(client, 'kicked', why),
  };
}
