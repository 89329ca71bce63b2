// Proves client id ownership: ids that name an identity belong to it alone, other ids to their first user until the session ends, and only the connection holding a claim releases it.
import { describe, expect, it } from 'vitest';
import { ClientIdOwners } from './client-ids.js';

const devices = new Set(['wl-1', 'wl-2']);
const named = (id: string) => (id === 'citygrid-server' ? 'service' : devices.has(id.split('/', 1)[0]!) ? `device:${id.split('/', 1)[0]}` : null);

describe('ClientIdOwners', () => {
  it("keeps a device's id and <id>/<suffix> for that device, and the server's for the service, even unclaimed", () => {
    const ids = new ClientIdOwners(named);
    expect(ids.claim('wl-1', 'device:wl-2', {})).toBe('device:wl-1');
    expect(ids.claim('wl-1/backup', 'device:wl-2', {})).toBe('device:wl-1');
    expect(ids.claim('citygrid-server', 'device:wl-1', {})).toBe('service');
    expect(ids.claim('citygrid-server', 'anonymous', {})).toBe('service');
    expect(ids.claim('wl-1/backup', 'device:wl-1', {})).toBeNull();
    expect(ids.claim('wl-1-backup', 'device:wl-2', {})).toBeNull(); // not `<id>/...`: a free-form id
    expect(ids.claim('citygrid-server', 'service', {})).toBeNull();
  });

  it('gives a free-form id to its first user; only the connection holding it releases it', () => {
    const ids = new ClientIdOwners(named);
    const old = {};
    const fresh = {};
    expect(ids.claim('gateway-7', 'device:wl-1', old)).toBeNull();
    expect(ids.claim('gateway-7', 'device:wl-2', {})).toBe('device:wl-1');
    expect(ids.claim('gateway-7', 'device:wl-1', fresh)).toBeNull(); // a takeover by the owner
    ids.release('gateway-7', old, false); // the old connection's close, after the takeover
    expect(ids.claim('gateway-7', 'device:wl-2', {})).toBe('device:wl-1');
    ids.release('gateway-7', fresh, false);
    expect(ids.claim('gateway-7', 'device:wl-2', {})).toBeNull();
  });

  it("keeps a persistent session's id for its owner until the session is forgotten", () => {
    const ids = new ClientIdOwners(named);
    const c = {};
    ids.claim('gateway-8', 'device:wl-1', c);
    ids.release('gateway-8', c, true);
    expect(ids.claim('gateway-8', 'device:wl-2', {})).toBe('device:wl-1');
    ids.forget('gateway-8');
    expect(ids.claim('gateway-8', 'device:wl-2', {})).toBeNull();
  });
});
