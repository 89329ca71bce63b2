// Password checks against the bcrypt hashes in people.yaml. Unknown users cost the same bcrypt work as
// known ones (a compare against a dummy hash), so timing does not tell which usernames exist.
import { compare } from 'bcryptjs';
import type { Person } from '@citygrid/contract';

/** bcrypt (cost 10, like the demo hashes) of random bytes nobody kept. */
const DUMMY_HASH = '$2b$10$f0n.YZa4ymN4KmvOMARw5OgH05mxpC4XQd6NSdaTgbCH.13JjQOGO';
/** Longer input is refused before hashing (bcrypt reads 72 bytes; this bounds the work per request). */
export const MAX_PASSWORD_LENGTH = 1024;

export async function verifyPassword(person: Person | undefined, password: string): Promise<boolean> {
  if (password.length > MAX_PASSWORD_LENGTH) return false;
  const ok = await compare(password, person?.password_hash ?? DUMMY_HASH);
  return ok && person !== undefined;
}
