// Proves the indexed outgoing queues behave like aedes-persistence's arrays: queue order, messageId
// assignment and clearing, PUBREL replacing its PUBLISH, and a replay stream after a reconnect; and
// that each queue is capped, dropping its oldest messages first, counted.
import { describe, expect, it } from 'vitest';
import { OutgoingQueues, type QueuedPacket } from './outgoing-queues.js';

const client = { id: 'citygrid-server' };
const pub = (n: number): QueuedPacket => ({ cmd: 'publish', topic: `t/${n}`, payload: Buffer.from(String(n)), qos: 1, brokerId: 'b1', brokerCounter: n, messageId: 999 });

async function drain(q: OutgoingQueues): Promise<QueuedPacket[]> {
  const out: QueuedPacket[] = [];
  for await (const p of q.outgoingStream(client)) out.push(p as QueuedPacket);
  return out;
}

describe('OutgoingQueues', () => {
  it('keeps queue order, assigns and clears message ids in O(1)', async () => {
    const q = new OutgoingQueues();
    for (let n = 1; n <= 5; n++) await q.outgoingEnqueueCombi([{ clientId: client.id }, { clientId: 'other' }], pub(n));
    expect((await drain(q)).map((p) => [p.topic, p.messageId])).toEqual([1, 2, 3, 4, 5].map((n) => [`t/${n}`, undefined]));
    await q.outgoingUpdate(client, { ...pub(3), messageId: 30 });
    await q.outgoingUpdate(client, { ...pub(1), messageId: 10 });
    expect((await q.outgoingClearMessageId(client, { messageId: 30 }))?.topic).toBe('t/3');
    expect(await q.outgoingClearMessageId(client, { messageId: 30 })).toBeUndefined();
    expect((await drain(q)).map((p) => p.topic)).toEqual(['t/1', 't/2', 't/4', 't/5']);
    expect(q.size('other')).toBe(5);
    await expect(q.outgoingUpdate(client, { ...pub(9), messageId: 90 })).rejects.toThrow('no such packet');
  });

  it('reassigns a message id on redelivery and lets a PUBREL take the PUBLISH\'s place', async () => {
    const q = new OutgoingQueues();
    await q.outgoingEnqueue({ clientId: client.id }, { ...pub(1), qos: 2 });
    await q.outgoingEnqueue({ clientId: client.id }, pub(2));
    await q.outgoingUpdate(client, { ...pub(1), qos: 2, messageId: 7 });
    await q.outgoingUpdate(client, { ...pub(1), qos: 2, messageId: 8 }); // resent after a reconnect
    expect(await q.outgoingClearMessageId(client, { messageId: 7 })).toBeUndefined();
    await q.outgoingUpdate(client, { cmd: 'pubrel', messageId: 8 });
    expect((await drain(q)).map((p) => p.cmd)).toEqual(['pubrel', 'publish']);
    expect((await q.outgoingClearMessageId(client, { messageId: 8 }))?.cmd).toBe('pubrel');
    expect(q.size(client.id)).toBe(1);
  });

  it('caps each queue: the oldest messages go first, counted, and a later PUBACK for one of them finds nothing', async () => {
    const dropped: [string, number][] = [];
    const q = new OutgoingQueues({ limit: (id) => (id === client.id ? 3 : 1), onDrop: (id, n) => dropped.push([id, n]) });
    for (let n = 1; n <= 5; n++) await q.outgoingEnqueueCombi([{ clientId: client.id }, { clientId: 'wl-1' }], pub(n));
    await q.outgoingUpdate(client, { ...pub(3), messageId: 30 });
    await q.outgoingEnqueue({ clientId: client.id }, pub(6)); // drops t/3, which was sent as message 30
    expect((await drain(q)).map((p) => p.topic)).toEqual(['t/4', 't/5', 't/6']);
    expect(await q.outgoingClearMessageId(client, { messageId: 30 })).toBeUndefined();
    expect(q.size('wl-1')).toBe(1);
    expect(dropped.filter(([id]) => id === client.id).reduce((s, [, n]) => s + n, 0)).toBe(3);
    expect(dropped.filter(([id]) => id === 'wl-1').reduce((s, [, n]) => s + n, 0)).toBe(4);
    expect(q.drop('wl-1')).toBe(1);
    expect(q.size('wl-1')).toBe(0);
  });
});
