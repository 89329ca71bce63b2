// Writes a city file so that a reader (the server's own file watch, another replica on a shared
// folder, a person's editor) sees either the old file or the new one, never half of each, and a
// crash or power cut mid-write leaves the old one: the text goes to a temporary file in the same
// folder (a rename is atomic only within one file system), is fsynced, then renamed over the target,
// and the folder is fsynced so the rename itself survives a power cut. The new file keeps the old
// one's permissions unless `mode` is given (people.yaml holds password hashes: keep it 0600 if it was).
import { randomBytes } from 'node:crypto';
import { closeSync, fchmodSync, fsyncSync, openSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** The temporary file's name: hidden, next to the target, unique per process and call. */
export function tempNameFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
}

export function writeFileAtomic(path: string, text: string, mode?: number): void {
  let fileMode = mode;
  if (fileMode === undefined) {
    try {
      fileMode = statSync(path).mode & 0o777;
    } catch {
      fileMode = 0o644;
    }
  }
  const temp = tempNameFor(path);
  // 'wx': never follows or reuses a file someone placed under the temporary name
  const fd = openSync(temp, 'wx', fileMode);
  try {
    try {
      fchmodSync(fd, fileMode); // exactly this mode, whatever the umask
      const data = Buffer.from(text, 'utf8');
      let written = 0;
      while (written < data.length) written += writeSync(fd, data, written, data.length - written);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, path);
  } catch (err) {
    try {
      unlinkSync(temp);
    } catch { /* already renamed or never made */ }
    throw err;
  }
  syncFolder(dirname(path));
}

/** The rename is durable once the folder's entry is: fsync the folder (not possible on every platform). */
function syncFolder(dir: string): void {
  let fd: number | null = null;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch { /* Windows cannot open folders; the rename still happened */ } finally {
    if (fd !== null) closeSync(fd);
  }
}
