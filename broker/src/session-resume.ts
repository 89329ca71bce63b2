// A guard around aedes 1.2 (in-memory persistence) for persistent sessions that resume with a backlog.
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
import type { Aedes } from 'aedes';

interface Persistence {
  outgoingUpdate(client: unknown, packet: unknown): Promise<void>;
  addSubscriptions(client: { id: string }, subs: { topic: string; qos: number }[]): Promise<void>;
}

const guarded = new WeakSet<object>();

export function tolerateResumeRaces(broker: Aedes): void {
  const persistence = (broker as unknown as { persistence: Persistence }).persistence;
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
 * Gives the CityGrid server a persistent session from the moment the broker starts, as if it had
 * subscribed and gone away. Without it, a restarted broker (aedes keeps sessions in memory) knows
 * no subscriber until the server reconnects, and whatever devices publish in between (they
 * reconnect faster) is acknowledged and dropped. With it, those messages wait in the server's
 * queue and arrive when it connects (clean: false), as after any other absence.
 */
export async function keepServerSession(broker: Aedes, clientId: string, topics: readonly string[]): Promise<void> {
  const persistence = (broker as unknown as { persistence: Persistence }).persistence;
  await persistence.addSubscriptions({ id: clientId }, topics.map((topic) => ({ topic, qos: 1 })));
}
