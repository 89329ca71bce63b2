// Devices log in with username = device id and password = its secret, checked against devices.yaml's scrypt hash.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { AuthenticateError, Client } from 'aedes';
import type { RejectionReason } from '@citygrid/contract';
import type { BrokerContext } from '../context.js';
import { ownerKey } from '../client-ids.js';
import { verifySecret } from '../secrets.js';

const BAD_USERNAME_OR_PASSWORD = 4;
const NOT_AUTHORIZED = 5;

function refusal(message: string, returnCode: number): AuthenticateError {
  return Object.assign(new Error(message), { returnCode }) as AuthenticateError;
}

function sameSecret(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb);
}

export function makeAuthenticate(ctx: BrokerContext) {
  // A verified secret is remembered (as a digest) per device so that reconnect storms do not re-run scrypt.
  const verified = new Map<string, string>();
  const digest = (id: string, password: string) => createHash('sha256').update(`${id}\0${password}`).digest('base64');

  function refuse(client: Client, done: (e: AuthenticateError | null, ok: boolean | null) => void, device: string | null, reason: RejectionReason, message: string, code: number) {
    ctx.stats.authFailures++;
    ctx.logger.warn({ clientId: client.id, device, reason }, 'connection refused: %s', message);
    ctx.report({ device, topic: null, reason, message });
    done(refusal(message, code), false);
  }

  /** The client id is free or already this identity's; otherwise the connection is refused. */
  function claimed(client: Client, done: (e: AuthenticateError | null, ok: boolean | null) => void, device: string | null, who: Parameters<typeof ownerKey>[0]): boolean {
    if (ctx.clientIds.claim(client.id, ownerKey(who)) === null) return true;
    refuse(client, done, device, 'client_id_taken', `Client id "${client.id.slice(0, 64)}" is in use by another client; connect with your own (your device id is a good one)`, NOT_AUTHORIZED);
    return false;
  }

  return function authenticate(client: Client, username: string | undefined, password: Buffer | undefined, done: (e: AuthenticateError | null, ok: boolean | null) => void): void {
    const secret = password?.toString('utf8') ?? '';
    if (!username) {
      if (ctx.allowAnonymous) {
        ctx.identities.set(client, { type: 'anonymous' });
        done(null, true);
        return;
      }
      refuse(client, done, null, 'bad_credentials', 'A username (the device id) and password are required', NOT_AUTHORIZED);
      return;
    }
    if (ctx.service && username === ctx.service.username) {
      if (sameSecret(secret, ctx.service.password)) {
        if (!claimed(client, done, null, { type: 'service' })) return;
        ctx.identities.set(client, { type: 'service', username });
        done(null, true);
      } else {
        refuse(client, done, null, 'bad_credentials', `Wrong password for the service account "${username}"`, BAD_USERNAME_OR_PASSWORD);
      }
      return;
    }
    const device = ctx.devices.get(username);
    if (!device) {
      refuse(client, done, username.slice(0, 64), 'unknown_device', `Device "${username.slice(0, 64)}" is not registered in devices.yaml`, NOT_AUTHORIZED);
      return;
    }
    const key = digest(device.id, secret);
    if (verified.get(device.id) === `${device.secret_hash}\0${key}`) {
      if (!claimed(client, done, device.id, { type: 'device', id: device.id })) return;
      ctx.identities.set(client, { type: 'device', id: device.id, kind: device.kind });
      done(null, true);
      return;
    }
    verifySecret(secret, device.secret_hash).then(
      (ok) => {
        if (!ok) {
          refuse(client, done, device.id, 'bad_credentials', `Wrong password for device "${device.id}"`, BAD_USERNAME_OR_PASSWORD);
          return;
        }
        verified.set(device.id, `${device.secret_hash}\0${key}`);
        if (!claimed(client, done, device.id, { type: 'device', id: device.id })) return;
        ctx.identities.set(client, { type: 'device', id: device.id, kind: device.kind });
        done(null, true);
      },
      (err: Error) => refuse(client, done, device.id, 'bad_credentials', `Could not check the secret: ${err.message}`, NOT_AUTHORIZED),
    );
  };
}
