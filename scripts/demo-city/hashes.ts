// Hashes for the demo credentials. A hash already in the output folder is kept
// when it still verifies the demo secret, so re-running the generator leaves the
// files byte-for-byte unchanged (salted hashes would otherwise churn every run).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import { parse } from 'yaml';
import { hashSecret, verifySecret } from '../../broker/src/secrets.js';

/** Demo devices use scrypt N = 2^10 so hundreds of simulated devices connect quickly. */
const DEVICE_LOG_N = 10;
const BCRYPT_ROUNDS = 10;

function previous(dir: string, file: string, list: (doc: unknown) => unknown, key: string, field: string): Map<string, string> {
  const path = join(dir, file);
  const found = new Map<string, string>();
  if (!existsSync(path)) return found;
  try {
    const entries = list(parse(readFileSync(path, 'utf8')));
    if (!Array.isArray(entries)) return found;
    for (const e of entries as Array<Record<string, unknown>>) {
      if (typeof e?.[key] === 'string' && typeof e[field] === 'string') found.set(e[key], e[field]);
    }
  } catch {
    // An unreadable old file just means fresh hashes.
  }
  return found;
}

export async function deviceSecretHashes(dir: string, ids: string[]): Promise<Map<string, string>> {
  const old = previous(dir, 'devices.yaml', (doc) => doc, 'id', 'secret_hash');
  const out = new Map<string, string>();
  for (const id of ids) {
    const secret = `demo-${id}`;
    const kept = old.get(id);
    out.set(id, kept && kept.startsWith(`scrypt$${DEVICE_LOG_N}$`) && (await verifySecret(secret, kept)) ? kept : await hashSecret(secret, DEVICE_LOG_N));
  }
  return out;
}

export function passwordHashes(dir: string, usernames: string[]): Map<string, string> {
  const old = previous(dir, 'people.yaml', (doc) => (doc as { users?: unknown })?.users, 'username', 'password_hash');
  const out = new Map<string, string>();
  for (const username of usernames) {
    const password = `demo-${username}`;
    const kept = old.get(username);
    out.set(username, kept && bcrypt.compareSync(password, kept) ? kept : bcrypt.hashSync(password, BCRYPT_ROUNDS));
  }
  return out;
}
