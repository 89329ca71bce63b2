// Devices log in with username = device id and password = its secret, checked against devices.yaml's
// scrypt hash. Failed logins back their address off (login-throttle.ts): while it waits, its logins
// are refused before anything is checked. Every refusal here is reported with `preAuth: true`: it
// happened before the client was authenticated, so it never counts as the device's own. Over TLS, a
// verified client certificate whose CN is a device id logs in as that device (tls.ts, TLS_CLIENT_CA).
import { createHash, timingSafeEqual } from 'node:crypto';
import type { AuthenticateError, Client } from 'aedes';
import type { RejectionReason } from '@citygrid/contract';
import type { BrokerContext, Identity } from '../context.js';
import { addressOf, socketOf } from '../adapters/aedes.js';
import { ownerKey } from '../client-ids.js';
import { verifySecret } from '../secrets.js';

const SERVER_UNAVAILABLE = 3;
const BAD_USERNAME_OR_PASSWORD = 4;
const NOT_AUTHORIZED = 5;

type Done = (e: AuthenticateError | null, ok: boolean | null) => void;

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

  function refuse(client: Client, done: Done, device: string | null, reason: RejectionReason, message: string, code: number): void {
    ctx.stats.authFailures++;
    ctx.logger.warn({ clientId: client.id?.slice(0, 64), device, reason }, 'connection refused: %s', message);
    ctx.report({ device, topic: null, reason, message, preAuth: true });
    done(refusal(message, code), false);
  }

  /** Wrong or missing credentials: refused, and counted against the client's address. */
  function failed(client: Client, done: Done, device: string | null, reason: RejectionReason, message: string, code: number): void {
    ctx.stats.loginFailures++;
    const address = addressOf(client);
    if (ctx.throttled(address)) {
      const backoff = ctx.logins.failed(address);
      if (backoff > 0) ctx.logger.warn({ address, failures: ctx.logins.failures(address), backoffMs: backoff }, 'failed MQTT logins from %s: its logins are refused unchecked for %d s', address, Math.ceil(backoff / 1000));
    }
    refuse(client, done, device, reason, message, code);
  }

  /** The client id is this identity's to use; otherwise the connection is refused. */
  function claimed(client: Client, done: Done, device: string | null, who: Identity): boolean {
    const other = ctx.clientIds.claim(client.id, ownerKey(who), client);
    if (other === null) return true;
    const id = client.id.slice(0, 64);
    const yours = who.type === 'device' ? ` ("${who.id}", or "${who.id}/<anything>")` : '';
    const message = other === 'service'
      ? `Client id "${id}" is reserved for the CityGrid server; connect with your own${yours}`
      : other.startsWith('device:') && ctx.clientIds.namedOwner(client.id) === other
        ? `Client id "${id}" belongs to device "${other.slice('device:'.length)}"; connect with your own${yours}`
        : `Client id "${id}" is in use by another client; connect with your own${yours}`;
    refuse(client, done, device, 'client_id_taken', message, NOT_AUTHORIZED);
    return false;
  }

  function accept(client: Client, done: Done, who: Identity): void {
    ctx.identities.set(client, who);
    // the claim goes with this connection, unless a newer one of the same owner holds it by then (a
    // takeover), or its persistent session keeps it (client-ids.ts)
    socketOf(client).once('close', () => ctx.clientIds.release(client.id, client, !client.clean));
    done(null, true);
  }

  return function authenticate(client: Client, username: string | undefined, password: Buffer | undefined, done: Done): void {
    const secret = password?.toString('utf8') ?? '';
    const service = ctx.service;
    // the server's account first: checking it costs nothing, and the server is never held back
    if (service && username === service.username) {
      if (!sameSecret(secret, service.password)) {
        failed(client, done, null, 'bad_credentials', `Wrong password for the service account "${username}"`, BAD_USERNAME_OR_PASSWORD);
        return;
      }
      if (client.id !== service.clientId) {
        refuse(client, done, null, 'client_id_taken', `The service account connects only with its own client id "${service.clientId}", not "${client.id.slice(0, 64)}"`, NOT_AUTHORIZED);
        return;
      }
      const who: Identity = { type: 'service', username };
      if (claimed(client, done, null, who)) accept(client, done, who);
      return;
    }
    // MQTT over TLS with a client certificate the client CA signed (tls.ts verified it): its subject CN
    // is the device, no password needed (none is checked). Not backed off: nobody guesses a certificate.
    const certificate = ctx.certificates?.get(socketOf(client));
    if (certificate) {
      const named = ctx.devices.get(certificate.cn);
      const cn = certificate.cn.slice(0, 64);
      if (named && username && username !== named.id) {
        refuse(client, done, named.id, 'bad_credentials', `The client certificate is device "${named.id}"'s (its CN), but the username is "${username.slice(0, 64)}"; leave the username empty or set it to "${named.id}"`, NOT_AUTHORIZED);
        return;
      }
      if (named?.disabled) {
        refuse(client, done, named.id, 'device_disabled', `Device "${named.id}" is disabled; an admin must enable it again before it can connect`, NOT_AUTHORIZED);
        return;
      }
      if (named) {
        const who: Identity = { type: 'device', id: named.id, kind: named.kind };
        ctx.logger.debug({ device: named.id, fingerprint: certificate.fingerprint }, 'device logged in with its client certificate');
        if (claimed(client, done, named.id, who)) accept(client, done, who);
        return;
      }
      if (!username) {
        refuse(client, done, null, 'unknown_device', `The client certificate's CN "${cn}" is not a registered device; use a certificate whose CN is the device id, or log in with the device id and its password`, NOT_AUTHORIZED);
        return;
      }
      // a certificate that names no device: the username and password decide, as without one
    }
    const address = addressOf(client);
    const wait = ctx.throttled(address) ? ctx.logins.wait(address) : 0;
    if (wait > 0) {
      // not checked, not reported one by one (an attacker decides how many there are): counted
      ctx.stats.authFailures++;
      ctx.stats.loginsThrottled++;
      ctx.logger.debug({ address, waitMs: wait }, 'login refused unchecked: address backed off');
      done(refusal(`Too many failed logins from ${address}; try again in ${Math.ceil(wait / 1000)} s`, SERVER_UNAVAILABLE), false);
      return;
    }
    if (!username) {
      if (ctx.allowAnonymous) {
        const who: Identity = { type: 'anonymous' };
        if (claimed(client, done, null, who)) accept(client, done, who);
        return;
      }
      failed(client, done, null, 'bad_credentials', 'A username (the device id) and password are required', NOT_AUTHORIZED);
      return;
    }
    const device = ctx.devices.get(username);
    if (!device) {
      failed(client, done, username.slice(0, 64), 'unknown_device', `Device "${username.slice(0, 64)}" is not registered in devices.yaml`, NOT_AUTHORIZED);
      return;
    }
    if (device.disabled) {
      refuse(client, done, device.id, 'device_disabled', `Device "${device.id}" is disabled; an admin must enable it again before it can connect`, NOT_AUTHORIZED);
      return;
    }
    const who: Identity = { type: 'device', id: device.id, kind: device.kind };
    // the server's test reading (issue 18): a one-time credential minted for exactly this device, spent
    // here, never cached as its secret
    if (ctx.testCredentials.take(device.id, secret)) {
      const as: Identity = { ...who, test: true };
      if (claimed(client, done, device.id, as)) accept(client, done, as);
      return;
    }
    const key = digest(device.id, secret);
    // after a rotation the previous secret is accepted until its grace period ends (provisioning)
    const previous = device.previous_secret;
    const graceUntil = previous ? Date.parse(previous.until) : NaN;
    const old = previous && graceUntil > Date.now() ? { hash: previous.secret_hash, until: graceUntil } : null;
    const cached = verified.get(device.id);
    const hashes = old ? [device.secret_hash, old.hash] : [device.secret_hash];
    const hit = hashes.find((h) => cached === `${h}\0${key}`);
    if (hit) {
      const as: Identity = { ...who, secretHash: hit };
      if (claimed(client, done, device.id, as)) accept(client, done, as);
      return;
    }
    ctx.stats.secretChecks++;
    const check = async (): Promise<Identity | null> => {
      for (const h of hashes) {
        if (!(await verifySecret(secret, h))) continue;
        verified.set(device.id, `${h}\0${key}`);
        return { ...who, secretHash: h };
      }
      return null;
    };
    check().then(
      (as) => {
        if (!as) {
          failed(client, done, device.id, 'bad_credentials', `Wrong password for device "${device.id}"`, BAD_USERNAME_OR_PASSWORD);
          return;
        }
        if (claimed(client, done, device.id, as)) accept(client, done, as);
      },
      (err: Error) => refuse(client, done, device.id, 'bad_credentials', `Could not check the secret: ${err.message}`, NOT_AUTHORIZED),
    );
  };
}
