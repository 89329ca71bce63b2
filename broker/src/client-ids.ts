// Who owns each MQTT client id. MQTT lets a new connection with a client id take over the session
// and kick off the connection that had it: fine for a device reconnecting, not for one device
// knocking another (or the server) off, or reading the server's queued session.
//
// - A client id that names an identity belongs to it alone: the server's reserved id to the service
//   account, and a device's id, or `<device id>/<anything>`, to that device. Device ids are public
//   (GET /api/devices), so these can never be claimed by anyone else, not even first.
// - Any other client id (mosquitto_pub's `mosq-...`, a gateway's own name) belongs to the first
//   identity that uses it, until its clean session ends or its persistent session is ended
//   (expired, or evicted by the device's session cap).
// - A claim is released only by the connection that holds it now: when a device reconnects over a
//   half-open link, the new connection takes over, and the old one's close must not free the id.

export type Owner = string;

export const ownerKey = (who: { type: 'device'; id: string } | { type: 'service' } | { type: 'anonymous' }): Owner =>
  (who.type === 'device' ? `device:${who.id}` : who.type);

interface Claim { owner: Owner; holder: object | null }

export class ClientIdOwners {
  private readonly claims = new Map<string, Claim>();

  /** `named(clientId)`: the owner a client id names by itself (the service's id, a device's id or `<id>/...`), or null. */
  constructor(private readonly named: (clientId: string) => Owner | null) {}

  /** The owner a client id belongs to by its name alone, or null. */
  namedOwner(clientId: string): Owner | null {
    return this.named(clientId);
  }

  /**
   * Records `holder` (the connection) as using the client id for `owner`, or returns the other owner
   * the id belongs to (nothing recorded).
   */
  claim(clientId: string, owner: Owner, holder: object): Owner | null {
    const named = this.named(clientId);
    if (named !== null && named !== owner) return named;
    const current = this.claims.get(clientId);
    if (current && current.owner !== owner) return current.owner;
    this.claims.set(clientId, { owner, holder });
    return null;
  }

  /**
   * The connection `holder` ended. Nothing changes unless it still holds the id (a newer connection
   * of the same owner may have taken over); then a clean session's id is free again, and a
   * persistent session keeps it for its owner (`keepSession`) until the session ends.
   */
  release(clientId: string, holder: object, keepSession: boolean): void {
    const current = this.claims.get(clientId);
    if (!current || current.holder !== holder) return;
    if (keepSession) current.holder = null;
    else this.claims.delete(clientId);
  }

  /** The session under this id ended (expired or evicted): the id is free. */
  forget(clientId: string): void {
    this.claims.delete(clientId);
  }

  ownerOf(clientId: string): Owner | null {
    return this.claims.get(clientId)?.owner ?? this.named(clientId);
  }

  size(): number {
    return this.claims.size;
  }
}
