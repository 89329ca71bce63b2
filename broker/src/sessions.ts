// Persistent (clean=false) sessions: whose they are, whether connected, and since when idle. aedes
// keeps them (subscriptions, queued messages) in memory for ever; here each device may keep at most
// `perDevice`, and an offline session idle longer than `expiryMs` is ended. The broker ends what this
// registry names (broker.ts: endSession).
//
// Beyond the cap the device's least recently used session goes (an offline one first; if all are
// connected, the longest connected one is closed, as an MQTT takeover would), rather than the new
// one being refused: firmware that makes up a client id on every boot keeps working, and what it
// left behind is what goes. The cap bounds memory either way, and only the device's own sessions
// are touched.

export interface SessionEntry {
  clientId: string;
  /** The device it belongs to; null for the server's and anonymous development sessions. */
  device: string | null;
  /** The connection using it now, or null while it is offline. */
  client: object | null;
  /** When it was last connected or disconnected (ms). */
  lastSeen: number;
}

export class Sessions {
  private readonly byId = new Map<string, SessionEntry>();
  private readonly byDevice = new Map<string, Set<string>>();

  constructor(private readonly o: { perDevice: number; expiryMs: number; exempt: (clientId: string) => boolean; now?: () => number }) {}

  private now(): number {
    return this.o.now?.() ?? Date.now();
  }

  /**
   * A client was registered. Persistent: its session is tracked (again), and the client ids of the
   * sessions to end to keep its device within the cap are returned. Clean: aedes dropped any session
   * under that id, so it is forgotten.
   */
  opened(client: { id: string; clean: boolean }, device: string | null): string[] {
    if (client.clean) {
      this.ended(client.id);
      return [];
    }
    const now = this.now();
    const entry = this.byId.get(client.id) ?? { clientId: client.id, device, client: null, lastSeen: now };
    entry.client = client;
    entry.lastSeen = now;
    this.byId.set(client.id, entry);
    if (device === null || this.o.exempt(client.id)) return [];
    let ids = this.byDevice.get(device);
    if (!ids) this.byDevice.set(device, (ids = new Set()));
    ids.add(client.id);
    const evict: string[] = [];
    while (ids.size - evict.length > this.o.perDevice) {
      const others = [...ids].filter((id) => id !== client.id && !evict.includes(id)).map((id) => this.byId.get(id)!);
      const offline = others.filter((e) => e.client === null);
      const pool = offline.length ? offline : others;
      evict.push(pool.reduce((a, b) => (b.lastSeen < a.lastSeen ? b : a)).clientId);
    }
    return evict;
  }

  /** The connection `client` ended; its session (if it still has it) is idle from now. */
  closed(clientId: string, client: object): void {
    const entry = this.byId.get(clientId);
    if (!entry || entry.client !== client) return;
    entry.client = null;
    entry.lastSeen = this.now();
  }

  /** The session is gone (ended by the broker, or replaced by a clean one). */
  ended(clientId: string): void {
    const entry = this.byId.get(clientId);
    if (!entry) return;
    this.byId.delete(clientId);
    if (entry.device !== null) {
      const ids = this.byDevice.get(entry.device);
      ids?.delete(clientId);
      if (ids?.size === 0) this.byDevice.delete(entry.device);
    }
  }

  /** Offline sessions idle longer than the expiry (the exempt ones never). */
  expired(): string[] {
    const cutoff = this.now() - this.o.expiryMs;
    const out: string[] = [];
    for (const e of this.byId.values()) if (e.client === null && e.lastSeen < cutoff && !this.o.exempt(e.clientId)) out.push(e.clientId);
    return out;
  }

  get(clientId: string): Readonly<SessionEntry> | undefined {
    return this.byId.get(clientId);
  }

  /** Persistent sessions kept for `device`. */
  ofDevice(device: string): string[] {
    return [...(this.byDevice.get(device) ?? [])];
  }

  size(): number {
    return this.byId.size;
  }
}
