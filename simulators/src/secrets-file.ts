// `--secrets <file>`: the devices' secrets as id,secret lines, as the Devices page and the CSV import
// give them once (and as `npm run mosquitto:config -- --secrets` reads them). A header line
// `id,secret` is allowed; every bad line is named, so a half-read file never runs.
import { isDeviceId } from '@citygrid/contract';

export const SECRETS_FILE_MAX_BYTES = 64 * 1024 * 1024;

export function parseSecrets(text: string): { secrets: Map<string, string>; problems: string[] } {
  const secrets = new Map<string, string>();
  const problems: string[] = [];
  text.replace(/^\uFEFF/, '').split(/\r?\n/).forEach((raw, i) => {
    const line = i + 1;
    if (raw.trim() === '' || (line === 1 && raw.trim().toLowerCase() === 'id,secret')) return;
    const comma = raw.indexOf(',');
    if (comma < 0) {
      problems.push(`line ${line}: expected id,secret`);
      return;
    }
    const id = raw.slice(0, comma).trim();
    const secret = raw.slice(comma + 1);
    if (!isDeviceId(id)) problems.push(`line ${line}: "${id.slice(0, 64)}" is not a device id`);
    else if (secret.length === 0 || secret !== secret.trim()) problems.push(`line ${line}: the secret of ${id} is empty or has spaces around it`);
    else if (secrets.has(id)) problems.push(`line ${line}: ${id} is listed twice`);
    else secrets.set(id, secret);
  });
  return { secrets, problems };
}
