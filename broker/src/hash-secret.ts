// `npm run hash-secret -- <secret>`: prints the scrypt hash to put in devices.yaml as secret_hash.
import { DEFAULT_LOG_N, hashSecret } from './secrets.js';

const secret = process.argv[2];
if (!secret) {
  process.stderr.write('usage: npm run hash-secret -- <device secret>\n(use a long random secret, e.g. `openssl rand -base64 24`)\n');
  process.exit(2);
}
process.stdout.write(`${await hashSecret(secret, DEFAULT_LOG_N)}\n`);
