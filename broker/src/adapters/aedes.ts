// Every place CityGrid reaches into aedes' internals (aedes 1.2.0 with its in-memory persistence,
// pinned exactly in broker/package.json): the session persistence, the live clients, a client's
// socket, and the two patches below. Nothing else in the broker touches aedes beyond its public
// API. Each reach has a test in aedes.test.ts that fails if an upgrade changes what it relies on,
// so an upgrade breaks a test, not production.
import type { Socket } from 'node:net';
import type { Aedes, Client } from 'aedes';

/** What CityGrid uses of aedes' session persistence (`broker.persistence`, untyped in aedes' types). */
export interface AedesPersistence {
  outgoingEnqueue(...args: unknown[]): unknown;
  outgoingEnqueueCombi(...args: unknown[]): unknown;
  outgoingUpdate(client: unknown, packet: unknown): Promise<void>;
  outgoingClearMessageId(...args: unknown[]): unknown;
  outgoingStream(...args: unknown[]): unknown;
  addSubscriptions(client: { id: string }, subs: { topic: string; qos: number }[]): Promise<void>;
  cleanSubscriptions(client: { id: string }): Promise<unknown>;
  cleanIncoming?(client: { id: string }): Promise<unknown>;
}

/** The outgoing-queue methods a replacement (outgoing-queues.ts) provides. */
export type OutgoingMethods = Pick<AedesPersistence, 'outgoingEnqueue' | 'outgoingEnqueueCombi' | 'outgoingUpdate' | 'outgoingClearMessageId' | 'outgoingStream'>;

export function persistenceOf(broker: Aedes): AedesPersistence {
  return (broker as unknown as { persistence: AedesPersistence }).persistence;
}

/** aedes' live clients by client id. */
export function liveClients(broker: Aedes): Record<string, Client> {
  return (broker as unknown as { clients: Record<string, Client> }).clients;
}

/** The TCP socket a client came on. */
export function socketOf(client: Client): Socket {
  return (client as unknown as { conn: Socket }).conn;
}

/** The client's remote address ('' if its socket has none). */
export function addressOf(client: Client): string {
  return (client as unknown as { conn?: { remoteAddress?: string } }).conn?.remoteAddress ?? '';
}

/** The last will a client gave in its CONNECT (set once its session is set up), or null. */
export function willOf(client: Client): { topic: string; payload: Buffer | string } | null {
  return (client as unknown as { will?: { topic: string; payload: Buffer | string } | null }).will ?? null;
}

/** True once the client sent DISCONNECT (aedes then publishes no will); false for a connection that just ended. */
export function sentDisconnect(client: Client): boolean {
  return (client as unknown as { _disconnected?: boolean })._disconnected === true;
}

/** Replaces the persistence's outgoing queues with CityGrid's indexed ones (same semantics, bounded). */
export function replaceOutgoing(broker: Aedes, queues: OutgoingMethods): void {
  Object.assign(persistenceOf(broker), {
    outgoingEnqueue: queues.outgoingEnqueue.bind(queues),
    outgoingEnqueueCombi: queues.outgoingEnqueueCombi.bind(queues),
    outgoingUpdate: queues.outgoingUpdate.bind(queues),
    outgoingClearMessageId: queues.outgoingClearMessageId.bind(queues),
    outgoingStream: queues.outgoingStream.bind(queues),
  });
}

// Patch 1, a guard around aedes 1.2 (in-memory persistence) for persistent sessions that resume with a backlog.
//
// On reconnect aedes sends the session's queued messages from a snapshot of its outgoing list while
// the client is already live. The new connection numbers its packets from 1 again, so a live packet
// can carry the same packet id as a queued one; the client's PUBACK for it clears the first entry
// with that id, which can be the queued one. When the snapshot then reaches that entry,
// outgoingUpdate throws "no such packet" and aedes drops the connection. The client reconnects, and
// the same thing happens again: the CityGrid server could not resume its session after a SIGKILL
// under load (tests/faults/restarts.test.ts).
//
// The guard wraps whatever outgoingUpdate the persistence has (broker.ts installs the indexed
// OutgoingQueues first, which keep aedes-persistence's semantics, "no such packet" included).
// It lets outgoingUpdate pass for an entry that is gone: the queued message is then sent
// anyway, with a fresh packet id. At worst a message is delivered twice, which QoS 1 allows and
// the stores absorb (their keys make a re-delivered reading idempotent); nothing is lost.

const guarded = new WeakSet<object>();

export function tolerateResumeRaces(broker: Aedes): void {
  const persistence = persistenceOf(broker);
  if (guarded.has(persistence)) return;
  guarded.add(persistence);
  const update = persistence.outgoingUpdate.bind(persistence);
  persistence.outgoingUpdate = async (client, packet) => {
    try {
      await update(client, packet);
    } catch (err) {
      if ((err as Error).message !== 'no such packet') throw err;
    }
  };
}

/**
 * Patch 2: gives the CityGrid server a persistent session from the moment the broker starts, as if it had
 * subscribed and gone away. Without it, a restarted broker (aedes keeps sessions in memory) knows
 * no subscriber until the server reconnects, and whatever devices publish in between (they
 * reconnect faster) is acknowledged and dropped. With it, those messages wait in the server's
 * queue and arrive when it connects (clean: false), as after any other absence.
 */
export async function keepServerSession(broker: Aedes, clientId: string, topics: readonly string[]): Promise<void> {
  const persistence = persistenceOf(broker);
  await persistence.addSubscriptions({ id: clientId }, topics.map((topic) => ({ topic, qos: 1 })));
}
