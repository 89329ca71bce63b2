// Who owns each MQTT client id. MQTT lets a new connection with a client id take over the session
// and kick off the connection that had it: fine for a device reconnecting, not for one device
// knocking another (or the server) off, or reading the server's queued session. A client id
// belongs to the first identity that uses it (the server's is reserved from the start) until its
// clean session ends; anyone else is refused.

export class ClientIdOwners {
  private readonly owners = new Map<string, string>();

  constructor(reserved: Iterable<readonly [clientId: string, owner: string]> = []) {
    for (const [id, owner] of reserved) this.owners.set(id, owner);
  }

  /** Records `owner` for the client id, or returns the other owner it belongs to (nothing recorded). */
  claim(clientId: string, owner: string): string | null {
    const current = this.owners.get(clientId);
    if (current !== undefined && current !== owner) return current;
    this.owners.set(clientId, owner);
    return null;
  }

  /** A clean session ended: the id is free again (persistent sessions keep theirs). */
  release(clientId: string, owner: string): void {
    if (this.owners.get(clientId) === owner) this.owners.delete(clientId);
  }

  size(): number {
    return this.owners.size;
  }
}

export const ownerKey = (who: { type: 'device'; id: string } | { type: 'service' }): string => (who.type === 'device' ? `device:${who.id}` : 'service');
