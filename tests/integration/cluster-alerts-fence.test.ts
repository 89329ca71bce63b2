// Cluster mode's alert stream (server/src/bus/cluster-alerts.ts), against a real nats-server: every
// replica's view holds what any owner appended, and appends are fenced at the stream, so an event
// from a replica that has lost the partition (a new owner appended since) is never stored after the
// new owner's; an owner whose view was merely behind appends anyway.
import { describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { jetstream } from '@nats-io/jetstream';
import { alertGuidance, alertMessage, alertSubject, partitionOf, type Alert, type AlertEvent } from '@citygrid/contract';
import { ClusterAlerts } from '../../server/src/bus/cluster-alerts.js';
import { natsForFile } from '../helpers/nats.js';
import { waitFor } from '../helpers/system.js';

const nats = natsForFile();

const GRID = 'c-fence';
const P = partitionOf(GRID);

async function replica(name: string, owns: () => boolean): Promise<ClusterAlerts> {
  const nc = await nats.connect();
  const view = new ClusterAlerts({ nc, logger: pino({ level: 'silent' }), replicas: 1, maxAgeMs: 3_600_000, replicaId: name, onMaintenance: () => undefined, owns: () => owns() });
  await view.start();
  return view;
}

let seq = 0;
function event(alertId: string, state: Alert['state'], note: string): AlertEvent {
  const alert = { id: alertId, rule: 'flood', ruleKind: 'threshold', severity: 'red', key: 'wl-1', devices: ['wl-1'], grid: GRID, district: 'east', state, note } as unknown as Alert;
  return { alertId, seq: ++seq, ts: Date.now(), type: state === 'resolved' ? 'resolved' : 'firing', actor: 'system', note, alert };
}
const notes = (v: ClusterAlerts, id: string) => v.history(id).map((e) => e.note);

describe('the alert stream, fenced by ownership', () => {
  it('drops the late event of a replica that lost the partition, and lets a lagging owner append', async () => {
    let bOwns = false;
    const a = await replica('a', () => true);
    const b = await replica('b', () => bOwns);
    a.publish(event('al-1', 'firing', 'raised by a'));
    await waitFor(() => b.get('al-1') !== undefined, 'b seeing a\'s event', 10_000, 20);

    // the lease moves to b, which appends
    bOwns = true;
    await b.caughtUp();
    b.publish(event('al-1', 'acknowledged', 'b, the new owner'));
    await waitFor(() => notes(a, 'al-1').length === 2, 'a seeing b\'s event', 10_000, 20);

    // a late event of a, sent as if a had not seen b's yet and lost its lease meanwhile: JetStream
    // refuses it (b appended since), and a, asked again, no longer owns the partition
    const subject = alertSubject(P);
    (a as unknown as { lastBySubject: Map<string, number> }).lastBySubject.set(subject, 1);
    let asked = 0;
    (a as unknown as { o: { owns: () => boolean } }).o.owns = () => asked++ === 0; // true when it sends, false when asked again
    a.publish(event('al-1', 'resolved', 'a, deposed'));
    await waitFor(() => a.stats.fenced === 1, 'a\'s late event dropped', 10_000, 20);
    expect(a.stats.appended).toBe(1);

    // b, whose view is behind (as if it had not read its own last append back): refused, reads where the subject ends, appends
    (b as unknown as { lastBySubject: Map<string, number> }).lastBySubject.set(subject, 1);
    b.publish(event('al-1', 'resolved', 'b resolves'));
    await waitFor(() => notes(a, 'al-1').length === 3 && notes(b, 'al-1').length === 3, 'b\'s resolve on both', 10_000, 20);
    expect(notes(a, 'al-1')).toEqual(['raised by a', 'b, the new owner', 'b resolves']);
    expect(b.stats).toEqual({ appended: 2, fenced: 0 });
    a.close();
    b.close();
  }, 60_000);

  it('serves an alert event written before alerts carried their text (no key, no parameters) with its own words', async () => {
    const v = await replica('old', () => false);
    // as the code before structured texts appended it: message and guidance only
    const old = {
      id: 'al-old', rule: 'flood', ruleKind: 'threshold', severity: 'red', key: 'wl-1', devices: ['wl-1'], grid: GRID, district: 'east',
      state: 'firing', message: 'Flooding at the underpass: level_cm 52.0 cm, above 50 cm', guidance: 'Close the underpass.', values: { level_cm: 52 },
      raisedAt: Date.now(), updatedAt: Date.now(), acknowledgedAt: null, acknowledgedBy: null, resolvedAt: null, resolvedBy: null, note: '',
    };
    const js = jetstream(await nats.connect());
    await js.publish(alertSubject(P), new TextEncoder().encode(JSON.stringify({ e: { alertId: 'al-old', seq: 1, ts: Date.now(), type: 'firing', actor: 'system', note: '', alert: old } })));
    await waitFor(() => v.get('al-old') !== undefined, 'the old event in the view', 10_000, 20);
    const a = v.get('al-old')!;
    expect(a.text).toBeUndefined();
    for (const l of ['zh-CN', 'en'] as const) {
      expect(alertMessage(a, l)).toBe(old.message);
      expect(alertGuidance(a, l)).toBe(old.guidance);
    }
    v.close();
  }, 60_000);
});
