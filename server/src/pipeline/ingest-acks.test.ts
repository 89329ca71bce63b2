// Proves the server acknowledges to the broker only what is durable: PUBACKs of a turn are held
// until the store says so (while mqtt.js is told they went, so intake does not stall), and those
// held across a reconnect are dropped (the broker sends those messages again).
import { EventEmitter } from 'node:events';
import type { MqttClient } from 'mqtt';
import { describe, expect, it } from 'vitest';
import { holdAcksUntilDurable } from './ingest.js';

function fakeClient() {
  const written: { cmd: string; messageId?: number }[] = [];
  const client = Object.assign(new EventEmitter(), {
    connected: true,
    _sendPacket(packet: { cmd: string; messageId?: number }, cb?: () => void) {
      written.push(packet);
      cb?.();
    },
  });
  return { client, written };
}
const turn = () => new Promise((r) => setImmediate(r));

describe('holdAcksUntilDurable', () => {
  it('writes the PUBACKs of a turn only once the store is durable, and says "sent" at once', async () => {
    const { client, written } = fakeClient();
    let makeDurable!: () => void;
    holdAcksUntilDurable(client as unknown as MqttClient, () => new Promise<void>((r) => { makeDurable = r; }));
    const told: number[] = [];
    for (const id of [1, 2, 3]) client._sendPacket({ cmd: 'puback', messageId: id }, () => told.push(id));
    client._sendPacket({ cmd: 'pingreq' });
    expect(told).toEqual([1, 2, 3]); // mqtt.js goes on with the next message
    expect(written).toEqual([{ cmd: 'pingreq' }]); // other packets go straight out
    await turn();
    expect(written).toHaveLength(1); // not durable yet: nothing acknowledged
    makeDurable();
    await turn();
    expect(written.map((p) => p.messageId ?? p.cmd)).toEqual(['pingreq', 1, 2, 3]);
  });

  it('drops PUBACKs held across a reconnect: their message ids belong to the old connection', async () => {
    const { client, written } = fakeClient();
    let makeDurable!: () => void;
    holdAcksUntilDurable(client as unknown as MqttClient, () => new Promise<void>((r) => { makeDurable = r; }));
    client._sendPacket({ cmd: 'puback', messageId: 7 });
    await turn();
    client.emit('connect');
    makeDurable();
    await turn();
    // positive control: a PUBACK of the new connection is written once durable
    client._sendPacket({ cmd: 'puback', messageId: 8 });
    await turn();
    makeDurable();
    await turn();
    expect(written).toEqual([{ cmd: 'puback', messageId: 8 }]);
  });

  it('settled() resolves once the PUBACKs held so far are written (intake pauses only after them)', async () => {
    const { client, written } = fakeClient();
    let makeDurable!: () => void;
    const acks = holdAcksUntilDurable(client as unknown as MqttClient, () => new Promise<void>((r) => { makeDurable = r; }));
    client._sendPacket({ cmd: 'puback', messageId: 4 });
    client._sendPacket({ cmd: 'puback', messageId: 5 });
    let settled = false;
    const done = acks.settled().then(() => { settled = true; });
    await turn();
    await turn();
    expect(settled).toBe(false);
    makeDurable();
    await done;
    expect(written.map((p) => p.messageId)).toEqual([4, 5]);
  });
});
