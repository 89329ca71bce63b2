// Indexed outgoing queues for aedes' in-memory persistence. The bundled aedes-persistence keeps each
// persistent client's outgoing QoS 1/2 messages in an array and finds a message by scanning it:
// every delivery (outgoingUpdate, from the head) and every PUBACK (outgoingClearMessageId, plus a
// splice) costs O(queue length). The CityGrid server's own session is persistent and receives every
// device message, so under load the queue holds thousands of messages and the broker slows down
// as it falls behind (5 % of the process at 20,000 readings/s, growing with the backlog). Here a
// queue is a Map in queue order, keyed by (brokerId, brokerCounter), with a messageId index:
// every operation is O(1), the order and the semantics stay those of aedes-persistence 11.
//
// Each queue is capped (`limit(clientId)`): beyond it the oldest message is dropped, counted through
// `onDrop`. aedes-persistence's queues grow for ever; a persistent session that never comes back
// would hold everything published to it until the broker restarts.
import { Readable } from 'node:stream';

export interface QueuedPacket {
  cmd?: string;
  brokerId?: string;
  brokerCounter?: number;
  messageId?: number;
  qos?: number;
  [key: string]: unknown;
}

interface ClientRef { id: string }

class ClientQueue {
  readonly byKey = new Map<string, QueuedPacket>();
  readonly byMessageId = new Map<number, string>();
}

const keyOf = (p: QueuedPacket) => `${p.brokerId ?? ''}\0${p.brokerCounter ?? 0}`;

/** What aedes-packet's Packet keeps of a published packet (a fresh messageId for QoS > 0). */
function copyPacket(original: QueuedPacket): QueuedPacket {
  const p: QueuedPacket = {};
  for (const k of ['clientId', 'nl', 'properties', 'messageExpiry'] as const) {
    if (Object.prototype.hasOwnProperty.call(original, k)) p[k] = original[k];
  }
  p.cmd = original.cmd || 'publish';
  p.brokerId = original.brokerId;
  p.brokerCounter = original.brokerCounter || 0;
  p.topic = original.topic;
  p.payload = original.payload || Buffer.alloc(0);
  p.qos = original.qos || 0;
  p.retain = original.retain || false;
  p.dup = original.dup || false;
  if (p.qos > 0 || p.cmd !== 'publish') p.messageId = undefined;
  return p;
}

export interface OutgoingQueueOptions {
  /** Most messages queued for a client id; beyond it the oldest are dropped. Default: no cap. */
  limit?: (clientId: string) => number;
  /** Called with the client id and how many messages were dropped from its queue. */
  onDrop?: (clientId: string, dropped: number) => void;
}

export class OutgoingQueues {
  private readonly queues = new Map<string, ClientQueue>();

  constructor(private readonly o: OutgoingQueueOptions = {}) {}

  private queue(clientId: string): ClientQueue {
    let q = this.queues.get(clientId);
    if (!q) {
      q = new ClientQueue();
      this.queues.set(clientId, q);
    }
    return q;
  }

  /** Messages waiting for `clientId` (for tests and metrics). */
  size(clientId: string): number {
    return this.queues.get(clientId)?.byKey.size ?? 0;
  }

  async outgoingEnqueue(sub: { clientId: string }, packet: QueuedPacket): Promise<void> {
    const p = copyPacket(packet);
    const q = this.queue(sub.clientId);
    q.byKey.set(keyOf(p), p);
    const limit = this.o.limit?.(sub.clientId) ?? Infinity;
    let dropped = 0;
    while (q.byKey.size > limit) {
      // the oldest goes (it may have been sent and be waiting for its PUBACK: a late PUBACK then
      // finds nothing to clear, and a resume that reaches it is let through by adapters/aedes.ts)
      const [key, oldest] = q.byKey.entries().next().value as [string, QueuedPacket];
      q.byKey.delete(key);
      if (oldest.messageId !== undefined && q.byMessageId.get(oldest.messageId) === key) q.byMessageId.delete(oldest.messageId);
      dropped++;
    }
    if (dropped) this.o.onDrop?.(sub.clientId, dropped);
  }

  /** Drops everything queued for the client id (its session ended). Returns how many messages that was. */
  drop(clientId: string): number {
    const n = this.size(clientId);
    this.queues.delete(clientId);
    return n;
  }

  async outgoingEnqueueCombi(subs: { clientId: string }[], packet: QueuedPacket): Promise<void> {
    for (const sub of subs) await this.outgoingEnqueue(sub, packet);
  }

  /** Records the messageId a queued packet was sent with (or replaces a packet by messageId, e.g. PUBREL). */
  async outgoingUpdate(client: ClientRef, packet: QueuedPacket): Promise<void> {
    const q = this.queue(client.id);
    const same = (p: QueuedPacket | undefined): p is QueuedPacket => !!p && p.brokerId === packet.brokerId && (p.brokerCounter ?? 0) === (packet.brokerCounter ?? 0);
    let key: string | undefined = keyOf(packet);
    if (!same(q.byKey.get(key))) key = packet.messageId !== undefined ? q.byMessageId.get(packet.messageId) : undefined;
    const queued = key !== undefined ? q.byKey.get(key) : undefined;
    if (key !== undefined && same(queued)) {
      if (queued.messageId !== undefined && q.byMessageId.get(queued.messageId) === key) q.byMessageId.delete(queued.messageId);
      queued.messageId = packet.messageId;
      if (packet.messageId !== undefined) q.byMessageId.set(packet.messageId, key);
      return;
    }
    if (key !== undefined && queued && queued.brokerId !== packet.brokerId) {
      q.byKey.set(key, packet); // a PUBREL takes its PUBLISH's place in the queue
      return;
    }
    throw new Error('no such packet');
  }

  /** Removes and returns the packet sent with `packet.messageId` (PUBACK, PUBCOMP). */
  async outgoingClearMessageId(client: ClientRef, packet: { messageId?: number }): Promise<QueuedPacket | undefined> {
    const q = this.queues.get(client.id);
    if (!q || packet.messageId === undefined) return undefined;
    const key = q.byMessageId.get(packet.messageId);
    if (key === undefined) return undefined;
    q.byMessageId.delete(packet.messageId);
    const found = q.byKey.get(key);
    q.byKey.delete(key);
    if (q.byKey.size === 0) this.queues.delete(client.id);
    return found;
  }

  /** A snapshot of the client's queue, oldest first. */
  outgoingStream(client: ClientRef): Readable {
    const q = this.queues.get(client.id);
    return Readable.from(q ? [...q.byKey.values()] : []);
  }
}
