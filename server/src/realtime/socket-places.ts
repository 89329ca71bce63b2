// Places for live connections (sockets): at most a cap of them per user at once. A place is taken
// before the socket connects (so handshakes racing each other cannot all slip through) and given back
// when it disconnects. `npm start` keeps them in memory (MemorySocketPlaces); cluster mode in Redis,
// shared by every replica (redis-socket-places.ts). Both pass the same suite (socket-places.cases.ts).

/**
 * Live connections (sockets) one user may hold at once: a grid worker's phone and the control room
 * with a few tabs fit; the next one is refused with a connect_error saying so.
 */
export const MAX_SOCKETS_PER_USER = 10;

export type PlaceDecision = { allowed: true } | { allowed: false; held: number };

export interface SocketPlaces {
  /** Places one user may hold at once. */
  readonly cap: number;
  /** A place for this socket of this user, or a refusal with how many places the user holds. Never rejects. */
  take(user: string, socketId: string): Promise<PlaceDecision>;
  /** Gives the socket's place back; a place not held (or given back already) is ignored. Never rejects. */
  release(user: string, socketId: string): Promise<void>;
  /** Stops any background work; places still held are not given back (their sockets are closed by then). */
  close(): Promise<void>;
}

/** The places of this process's sockets, in memory. */
export class MemorySocketPlaces implements SocketPlaces {
  private readonly socketsOf = new Map<string, Set<string>>(); // username → socket ids

  constructor(readonly cap: number = MAX_SOCKETS_PER_USER) {}

  /** take, at once: the check and the taking happen in one step. */
  takeNow(user: string, socketId: string): PlaceDecision {
    const held = this.socketsOf.get(user);
    if (held?.has(socketId)) return { allowed: true };
    if ((held?.size ?? 0) >= this.cap) return { allowed: false, held: held!.size };
    this.hold(user, socketId);
    return { allowed: true };
  }

  /** Counts the socket as held without checking the cap (its place was granted elsewhere). */
  hold(user: string, socketId: string): void {
    const held = this.socketsOf.get(user) ?? new Set<string>();
    held.add(socketId);
    this.socketsOf.set(user, held);
  }

  /** release, at once; true if the place was held. */
  releaseNow(user: string, socketId: string): boolean {
    const held = this.socketsOf.get(user);
    if (!held?.delete(socketId)) return false;
    if (held.size === 0) this.socketsOf.delete(user);
    return true;
  }

  has(user: string, socketId: string): boolean {
    return this.socketsOf.get(user)?.has(socketId) ?? false;
  }

  held(user: string): number {
    return this.socketsOf.get(user)?.size ?? 0;
  }

  /** Every user with places held, and their sockets. */
  entries(): IterableIterator<[string, ReadonlySet<string>]> {
    return this.socketsOf.entries();
  }

  async take(user: string, socketId: string): Promise<PlaceDecision> {
    return this.takeNow(user, socketId);
  }

  async release(user: string, socketId: string): Promise<void> {
    this.releaseNow(user, socketId);
  }

  async close(): Promise<void> {
    // nothing runs in the background
  }
}
