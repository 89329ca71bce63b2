// The per-user socket cap as a suite, run against the in-memory places of `npm start`
// (socket-places.test.ts) and the Redis ones of cluster mode (tests/integration/redis-socket-places.test.ts):
// at the cap the next socket is refused with the count held; a place given back can be taken again;
// racing takes get exactly the cap; giving back twice, or a place never held, changes nothing.
import { describe, expect, it } from 'vitest';
import type { SocketPlaces } from './socket-places.js';

/** Fresh places (nothing held by anyone) with this cap. */
export type MakePlaces = (o: { cap: number }) => Promise<SocketPlaces>;

async function takeAll(p: SocketPlaces, user: string, ids: string[]): Promise<void> {
  for (const id of ids) {
    const d = await p.take(user, id);
    if (!d.allowed) throw new Error(`${id} of ${user} refused: ${JSON.stringify(d)}`);
  }
}
const ids = (n: number, tag = 's') => Array.from({ length: n }, (_, i) => `${tag}${i}`);

export function placesCases(name: string, make: MakePlaces): void {
  describe(`${name}: the per-user socket cap`, () => {
    it('takes up to the cap, then refuses with the count held; another user is not affected', async () => {
      const p = await make({ cap: 10 });
      await takeAll(p, 'viewer', ids(10));
      expect(await p.take('viewer', 'eleventh')).toEqual({ allowed: false, held: 10 });
      expect(await p.take('viewer', 'twelfth')).toEqual({ allowed: false, held: 10 });
      expect(await p.take('admin', 'a0')).toEqual({ allowed: true });
    });

    it('a place given back can be taken again, once', async () => {
      const p = await make({ cap: 3 });
      await takeAll(p, 'viewer', ids(3));
      await p.release('viewer', 's1');
      expect(await p.take('viewer', 'new')).toEqual({ allowed: true });
      expect(await p.take('viewer', 'newer')).toEqual({ allowed: false, held: 3 });
    });

    it('giving back twice, another user\'s socket or one never held frees nothing more', async () => {
      const p = await make({ cap: 3 });
      await takeAll(p, 'viewer', ids(3));
      await p.release('viewer', 's0');
      await p.release('viewer', 's0');
      await p.release('viewer', 'never');
      await p.release('admin', 's1');
      expect(await p.take('viewer', 'x')).toEqual({ allowed: true });
      expect(await p.take('viewer', 'y')).toEqual({ allowed: false, held: 3 });
    });

    it('30 racing takes of one user get exactly the cap', async () => {
      const p = await make({ cap: 10 });
      const decisions = await Promise.all(ids(30).map((id) => p.take('operator', id)));
      expect(decisions.filter((d) => d.allowed).length).toBe(10);
      expect(decisions.filter((d) => !d.allowed && d.held === 10).length).toBe(20);
    });

    it('a socket asking again for the place it holds keeps it without taking another', async () => {
      const p = await make({ cap: 2 });
      await takeAll(p, 'viewer', ['a', 'b']);
      expect(await p.take('viewer', 'a')).toEqual({ allowed: true });
      await p.release('viewer', 'a');
      expect(await p.take('viewer', 'c')).toEqual({ allowed: true });
      expect(await p.take('viewer', 'd')).toEqual({ allowed: false, held: 2 });
    });
  });
}
