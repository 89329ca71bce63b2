// One-time test credentials: the server's "send test reading" (issue 18) logs in as a device without
// knowing its secret (devices.yaml holds only scrypt hashes). The server mints one inside the embedded
// broker for exactly one device; authenticate.ts takes it once, within TEST_CREDENTIAL_TTL_MS, as that
// device only. Never logged, never persisted, never reusable; a failed match leaves it for its owner.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export const TEST_CREDENTIAL_TTL_MS = 30_000; // 30 s
/** Outstanding credentials at most: minting beyond it is refused (the server rate-limits per user too). */
export const MAX_TEST_CREDENTIALS = 100;

interface Minted { digest: Buffer; expires: number }

export class TestCredentials {
  private readonly minted = new Map<string, Minted[]>();
  private count = 0;

  constructor(private readonly now: () => number = Date.now) {}

  /** A fresh secret valid once for `device`, for `ttlMs`; null when too many are outstanding. */
  mint(device: string, ttlMs = TEST_CREDENTIAL_TTL_MS): string | null {
    this.sweep();
    if (this.count >= MAX_TEST_CREDENTIALS) return null;
    const secret = `cg-test-${randomBytes(24).toString('base64url')}`;
    const list = this.minted.get(device) ?? [];
    list.push({ digest: digest(device, secret), expires: this.now() + ttlMs });
    this.minted.set(device, list);
    this.count++;
    return secret;
  }

  /** True (and the credential spent) when `secret` is a live credential minted for `device`. */
  take(device: string, secret: string): boolean {
    const list = this.minted.get(device);
    if (!list || !secret.startsWith('cg-test-')) return false;
    const now = this.now();
    const given = digest(device, secret);
    const i = list.findIndex((m) => m.expires > now && timingSafeEqual(m.digest, given));
    if (i < 0) return false;
    list.splice(i, 1);
    this.count--;
    if (!list.length) this.minted.delete(device);
    return true;
  }

  /** Withdraws what is left of a credential (the server is done with it, used or not). */
  revoke(device: string, secret: string): void {
    this.take(device, secret);
  }

  size(): number {
    return this.count;
  }

  private sweep(): void {
    const now = this.now();
    for (const [device, list] of this.minted) {
      const live = list.filter((m) => m.expires > now);
      this.count -= list.length - live.length;
      if (live.length) this.minted.set(device, live);
      else this.minted.delete(device);
    }
  }
}

function digest(device: string, secret: string): Buffer {
  return createHash('sha256').update(`${device}\0${secret}`).digest();
}
