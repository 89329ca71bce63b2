// People administration at runtime (issue 18): add people, change their role, cells and name, disable
// and enable them, and change one's own password, without a restart. people.yaml stays the one source:
// every change is made to the file's YAML document (its comments, order and other keys kept), checked
// by the loader's own rules (parsePeopleYaml), written atomically (city-files/atomic-write.ts), and
// only then applied. Hand edits are picked up too: the city folder is watched (debounced, as rules.yaml
// is); a bad file is refused with its file, entry and field in the log and in GET /api/health
// (degraded), and the last good people stay active. Our own writes are recognised by their text and
// not taken in twice; before each change the file is read again, so a hand edit saved moments before
// is taken in (or, if it is refused, the change is refused too) rather than written over.
//
// What a change does at once: a person disabled, removed or given another role has every session
// ended (their tokens answer 401, their sockets are disconnected); a person whose cells changed keeps
// their sessions, their next request reads the new cells, and their sockets are disconnected so that
// they reconnect scoped anew. Disabled people are left out of `city.people`, which routing, the duty
// roster and the dispatch list read: a disabled person is nobody's assignee.
//
// Cluster mode: each replica reads its own CITY_DIR. A change is written by the replica that took the
// request; sessions (in Redis) end on every replica at once, and sockets on every replica through the
// Socket.IO adapter; the other replicas take the new people.yaml in when their file watch sees it,
// which needs CITY_DIR on a shared folder (else copy the file to each). No replication here.
import { randomInt } from 'node:crypto';
import { existsSync, readFileSync, watch, type FSWatcher } from 'node:fs';
import { join } from 'node:path';
import { isMap, isSeq, parseDocument, Document } from 'yaml';
import { z } from 'zod';
import { contactsSchema, personSchema, ROLES, type Person } from '@citygrid/contract';
import { parsePeopleYaml, type City, type PeopleLoaded } from '@citygrid/contract/node';
import type { Logger } from 'pino';
import { writeFileAtomic } from '../city-files/atomic-write.js';
import { Errors } from '../errors.js';
import { PoolBusyError } from './bcrypt-pool.js';
import type { Auth } from './index.js';

export const PEOPLE_FILE = 'people.yaml';
/** Hand edits are taken in this long after the last change the folder's watch reports (an editor saves in several steps). */
const DEBOUNCE_MS = 300;
export const MIN_PASSWORD_LENGTH = 10;
/** bcrypt reads no further: a longer password would be cut here without anyone knowing. */
export const MAX_PASSWORD_BYTES = 72;
const MIN_DISTINCT_CHARACTERS = 5;
/** Words that make a password easy to guess whatever surrounds them. */
const COMMON = ['password', 'passwort', 'qwerty', '12345678', 'citygrid', 'letmein', 'admin123', 'iloveyou'];
/** Without 0/o, 1/l/i: read aloud or copied from a screen without mistakes. 16 of 31: ~79 bits. */
const TEMP_ALPHABET = 'abcdefghjkmnpqrstuvwxyz23456789';
/** The most cells or districts one person may be given in one request (a district supervisor's city is smaller). */
const MAX_PLACES = 2000;

/** Why a new password is refused, or null. */
export function passwordProblem(password: string, username: string): string | null {
  if ([...password].length < MIN_PASSWORD_LENGTH) return `at least ${MIN_PASSWORD_LENGTH} characters`;
  if (Buffer.byteLength(password, 'utf8') > MAX_PASSWORD_BYTES) return `at most ${MAX_PASSWORD_BYTES} bytes (bcrypt reads no further)`;
  if (new Set(password).size < MIN_DISTINCT_CHARACTERS) return `at least ${MIN_DISTINCT_CHARACTERS} different characters`;
  const lower = password.toLowerCase();
  if (username.length >= 3 && lower.includes(username.toLowerCase())) return 'it must not contain the username';
  const common = COMMON.find((w) => lower.includes(w));
  if (common) return `it must not contain "${common}", which every guesser tries first`;
  return null;
}

/** A temporary password, shown once: xxxx-xxxx-xxxx-xxxx. */
export function temporaryPassword(): string {
  for (;;) {
    const groups = Array.from({ length: 4 }, () => Array.from({ length: 4 }, () => TEMP_ALPHABET[randomInt(TEMP_ALPHABET.length)]).join(''));
    const password = groups.join('-');
    if (new Set(password).size >= MIN_DISTINCT_CHARACTERS) return password;
  }
}

const places = z.array(z.string().min(1).max(64)).max(MAX_PLACES);
/** POST /api/admin/people: a person as people.yaml holds one, a password instead of its hash (none: one is made). */
export const personAddSchema = z.strictObject({
  username: personSchema.shape.username,
  name: personSchema.shape.name,
  role: z.enum(ROLES),
  grids: places.optional(),
  districts: places.optional(),
  department: personSchema.shape.department,
  contacts: contactsSchema.optional(),
  password: z.string().max(1024).optional(),
});
export type PersonAdd = z.infer<typeof personAddSchema>;
/** PATCH /api/admin/people/:username: what may change; at least one. */
export const personPatchSchema = z.strictObject({
  name: personSchema.shape.name.optional(),
  role: z.enum(ROLES).optional(),
  grids: places.optional(),
  districts: places.optional(),
  disabled: z.boolean().optional(),
}).refine((p) => Object.keys(p).length > 0, { message: 'say what to change: name, role, grids, districts or disabled' });
export type PersonPatch = z.infer<typeof personPatchSchema>;

/** Zod's issues as "field: problem; ..." (never the value given). */
export function issuesText(error: z.ZodError): string {
  return error.issues.slice(0, 5).map((i) => `${i.path.length ? i.path.join('.') : 'body'}: ${i.message}`).join('; ');
}

export interface PeopleHealth { status: 'ok' | 'degraded'; detail?: string; problems?: string[] }

export interface PeopleAdminOptions {
  city: City;
  auth: Auth;
  logger: Logger;
  /** Watch the city folder for hand edits (default true). */
  watch?: boolean;
  debounceMs?: number;
}

interface Changed { username: string; what: string[] }

const same = (a: readonly string[] | undefined, b: readonly string[] | undefined) => (a ?? []).join('\n') === (b ?? []).join('\n');

/** What differs between two people lists, by username (never a hash: "password" says it changed). */
export function peopleDiff(before: readonly Person[], after: readonly Person[]): { added: string[]; removed: string[]; changed: Changed[] } {
  const old = new Map(before.map((p) => [p.username, p]));
  const now = new Map(after.map((p) => [p.username, p]));
  const changed: Changed[] = [];
  for (const [username, b] of now) {
    const a = old.get(username);
    if (!a) continue;
    const what: string[] = [];
    if (a.role !== b.role) what.push(`role ${a.role} → ${b.role}`);
    if (!same(a.grids, b.grids)) what.push(`grids [${(a.grids ?? []).join(', ')}] → [${(b.grids ?? []).join(', ')}]`);
    if (!same(a.districts, b.districts)) what.push(`districts [${(a.districts ?? []).join(', ')}] → [${(b.districts ?? []).join(', ')}]`);
    if (!!a.disabled !== !!b.disabled) what.push(b.disabled ? 'disabled' : 'enabled');
    if (a.name !== b.name) what.push('name');
    if (a.department !== b.department) what.push('department');
    if (JSON.stringify(a.contacts ?? {}) !== JSON.stringify(b.contacts ?? {})) what.push('contacts');
    if (a.password_hash !== b.password_hash) what.push('password');
    if (what.length) changed.push({ username, what });
  }
  return {
    added: [...now.keys()].filter((u) => !old.has(u)),
    removed: [...old.keys()].filter((u) => !now.has(u)),
    changed,
  };
}

export class PeopleAdmin {
  readonly file: string;
  /** The text of people.yaml the active people came from (what we loaded or wrote); null: no file. */
  private text: string | null;
  /** Problems of the last version on disk that was refused; empty once a good one is taken in. */
  private refused: string[] = [];
  private queue: Promise<unknown> = Promise.resolve();
  private watcher: FSWatcher | null = null;
  private debounce: NodeJS.Timeout | null = null;
  private readonly log: Logger;

  constructor(private readonly o: PeopleAdminOptions) {
    this.file = join(o.city.dir, PEOPLE_FILE);
    this.log = o.logger.child({ stage: 'people' });
    this.text = existsSync(this.file) ? readFileSync(this.file, 'utf8') : null;
    this.install(o.city.people);
    if (o.watch !== false) this.startWatching();
  }

  /** Everyone in people.yaml, disabled people too. */
  list(): Person[] {
    return this.o.auth.users.all();
  }

  health(): PeopleHealth {
    if (!this.refused.length) return { status: 'ok' };
    return {
      status: 'degraded',
      detail: `${PEOPLE_FILE} was refused (${this.refused.length} problem${this.refused.length > 1 ? 's' : ''}); the last good people stay active`,
      problems: [...this.refused],
    };
  }

  /** Adds a person; the password given, or a temporary one made here and returned (shown once). */
  async add(actor: string, input: PersonAdd): Promise<{ person: Person; temporaryPassword: string | null }> {
    const given = input.password;
    if (given !== undefined) {
      const why = passwordProblem(given, input.username);
      if (why) throw Errors.PASSWORD_WEAK(why);
    }
    const password = given ?? temporaryPassword();
    const hash = await this.hashOf(password);
    const { password: _omit, ...fields } = input;
    const person = await this.change((doc, current) => {
      if (current.some((p) => p.username === input.username)) throw Errors.PERSON_EXISTS(input.username);
      const entry: Record<string, unknown> = { username: fields.username, name: fields.name, role: fields.role };
      if (fields.grids?.length) entry.grids = fields.grids;
      if (fields.districts?.length) entry.districts = fields.districts;
      if (fields.department !== undefined) entry.department = fields.department;
      entry.password_hash = hash;
      if (fields.contacts && Object.keys(fields.contacts).length) entry.contacts = fields.contacts;
      const node = doc.createNode(entry) as unknown as { items: { value: unknown }[] };
      for (const pair of node.items) if (isSeq(pair.value)) pair.value.flow = true;
      if (!isSeq(doc.get('users'))) doc.set('users', doc.createNode([]));
      doc.addIn(['users'], node);
    }, input.username);
    const parts = [`role ${person.role}`, ...(person.grids?.length ? [`grids ${person.grids.join(', ')}`] : []), ...(person.districts?.length ? [`districts ${person.districts.join(', ')}`] : [])];
    this.o.auth.audit.record({ user: actor, action: 'person_add', target: person.username, note: `${parts.join('; ')}; ${given === undefined ? 'temporary password made' : 'password given'}`.slice(0, 500) });
    return { person, temporaryPassword: given === undefined ? password : null };
  }

  /** Changes a person's name, role, cells or disabled flag; the last enabled admin stays one. */
  async update(actor: string, username: string, patch: PersonPatch): Promise<Person> {
    let before: Person | undefined;
    const person = await this.change((doc, current) => {
      before = current.find((p) => p.username === username);
      if (!before) throw Errors.PERSON_NOT_FOUND(username.slice(0, 64));
      const staysAdmin = (patch.role ?? before.role) === 'admin' && !(patch.disabled ?? before.disabled);
      if (before.role === 'admin' && !before.disabled && !staysAdmin && current.filter((p) => p.role === 'admin' && !p.disabled).length <= 1) {
        throw Errors.LAST_ADMIN(username);
      }
      const at = this.indexIn(doc, username);
      if (patch.name !== undefined) doc.setIn(['users', at, 'name'], patch.name);
      if (patch.role !== undefined) doc.setIn(['users', at, 'role'], patch.role);
      for (const key of ['grids', 'districts'] as const) {
        const list = patch[key];
        if (list === undefined) continue;
        if (list.length === 0) doc.deleteIn(['users', at, key]);
        else {
          const seq = doc.createNode([...new Set(list)]);
          seq.flow = true;
          doc.setIn(['users', at, key], seq);
        }
      }
      if (patch.disabled === true) doc.setIn(['users', at, 'disabled'], true);
      if (patch.disabled === false) doc.deleteIn(['users', at, 'disabled']);
    }, username);
    const what = peopleDiff([before!], [person]).changed[0]?.what ?? ['nothing'];
    this.o.auth.audit.record({ user: actor, action: 'person_update', target: username, note: what.join('; ').slice(0, 500) });
    return person;
  }

  /** A new password for `username` (already checked against the current one); their other sessions end. */
  async setPassword(username: string, password: string, keepSid: string): Promise<void> {
    const why = passwordProblem(password, username);
    if (why) throw Errors.PASSWORD_WEAK(why);
    const hash = await this.hashOf(password);
    await this.change((doc, current) => {
      if (!current.some((p) => p.username === username)) throw Errors.PERSON_NOT_FOUND(username.slice(0, 64));
      doc.setIn(['users', this.indexIn(doc, username), 'password_hash'], hash);
    }, username, keepSid);
    this.o.auth.audit.record({ user: username, action: 'password_change', target: username, note: null });
  }

  /** Reads people.yaml again now (the watch does this by itself); its problems if it was refused. */
  reload(): Promise<string[]> {
    return this.serially(async () => {
      await this.takeFromDisk();
      return [...this.refused];
    });
  }

  close(): void {
    if (this.debounce) clearTimeout(this.debounce);
    this.watcher?.close();
  }

  // ---- inside ----

  /** bcrypt in the worker pool; a full queue answers 503 with Retry-After, as sign-in does. */
  private async hashOf(password: string): Promise<string> {
    try {
      return await this.o.auth.passwords.hash(password);
    } catch (err) {
      if (err instanceof PoolBusyError) throw Errors.SIGNIN_BUSY(1).withHeader('Retry-After', '1');
      throw err;
    }
  }

  private serially<T>(step: () => Promise<T>): Promise<T> {
    const run = this.queue.then(step, step);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** One change: the file read again, edited, checked, written, then applied. The person after it. */
  private change(edit: (doc: Document, current: Person[]) => void, username: string, keepSid?: string): Promise<Person> {
    return this.serially(async () => {
      await this.takeFromDisk();
      if (this.refused.length) throw Errors.PEOPLE_FILE_REFUSED(this.refused[0]!.slice(0, 300));
      const doc = this.text !== null ? parseDocument(this.text) : new Document({ users: [] });
      edit(doc, this.list());
      const text = doc.toString({ lineWidth: 0, flowCollectionPadding: false });
      const parsed = parsePeopleYaml(text, this.o.city.cells, this.o.city.districts);
      if (parsed.problems.length) throw Errors.PERSON_INVALID(parsed.problems.slice(0, 3).join('; '));
      try {
        writeFileAtomic(this.file, text, this.text === null ? 0o600 : undefined);
      } catch (err) {
        this.log.error({ err: (err as Error).message }, `${PEOPLE_FILE} could not be written; nothing changed`);
        throw Errors.PEOPLE_FILE_UNWRITABLE((err as NodeJS.ErrnoException).code ?? 'write failed');
      }
      this.text = text; // the watch will see our own write: the same text, nothing to take in
      await this.apply(parsed.loaded, keepSid);
      return parsed.loaded.people.find((p) => p.username === username)!;
    });
  }

  private indexIn(doc: Document, username: string): number {
    const users = doc.get('users');
    const i = isSeq(users) ? users.items.findIndex((u) => isMap(u) && u.get('username') === username) : -1;
    if (i < 0) throw Errors.PERSON_NOT_FOUND(username.slice(0, 64));
    return i;
  }

  /** people.yaml as it is on disk, if it changed since we read or wrote it: taken in, or refused. */
  private async takeFromDisk(): Promise<void> {
    let text: string | null;
    try {
      text = existsSync(this.file) ? readFileSync(this.file, 'utf8') : null;
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, `${PEOPLE_FILE} could not be read; the last good people stay active`);
      return;
    }
    if (text === this.text) {
      if (this.refused.length) this.log.info(`${PEOPLE_FILE} is back to the last good version`);
      this.refused = [];
      return;
    }
    const parsed = text === null
      ? { problems: [`${PEOPLE_FILE}: file is missing (the last good people stay active; put it back)`], loaded: null }
      : parsePeopleYaml(text, this.o.city.cells, this.o.city.districts);
    if (parsed.problems.length || !parsed.loaded) {
      const fresh = parsed.problems.join('\n') !== this.refused.join('\n');
      this.refused = parsed.problems;
      if (fresh) this.log.error({ problems: parsed.problems }, `${PEOPLE_FILE} refused; the last good people stay active:\n  - ${parsed.problems.join('\n  - ')}`);
      return;
    }
    this.refused = [];
    const before = this.list();
    this.text = text;
    await this.apply(parsed.loaded);
    const diff = peopleDiff(before, parsed.loaded.people);
    const note = [
      diff.added.length ? `added ${diff.added.join(', ')}` : '',
      diff.changed.length ? `changed ${diff.changed.map((c) => `${c.username} (${c.what.map((w) => w.split(' ')[0]).join(', ')})`).join(', ')}` : '',
      diff.removed.length ? `removed ${diff.removed.join(', ')}` : '',
    ].filter(Boolean).join('; ');
    this.log.info({ added: diff.added.length, changed: diff.changed.length, removed: diff.removed.length }, `${PEOPLE_FILE} changed on disk and was taken in`);
    if (note) this.o.auth.audit.record({ user: PEOPLE_FILE, action: 'people_file', target: null, note: note.slice(0, 500) });
  }

  /** The people from now on, and what that does to sessions and sockets at once. */
  private async apply(loaded: PeopleLoaded, keepSid?: string): Promise<void> {
    const before = this.list();
    this.install(loaded.people);
    const { city } = this.o;
    const deadlinesChanged = JSON.stringify([city.deadlines, city.resolveDeadlines, city.verify]) !== JSON.stringify([loaded.deadlines, loaded.resolveDeadlines, loaded.verify]);
    if (deadlinesChanged) {
      this.log.warn(`the deadlines or verified colours in ${PEOPLE_FILE} changed: they apply from the next start`);
      city.deadlines = loaded.deadlines;
      city.resolveDeadlines = loaded.resolveDeadlines;
      city.verify = loaded.verify;
    }
    const diff = peopleDiff(before, loaded.people);
    for (const username of diff.removed) await this.endSessions(username);
    for (const { username, what } of diff.changed) {
      const kinds = new Set(what.map((w) => w.split(' ')[0]));
      if (kinds.has('role') || kinds.has('disabled') || kinds.has('password')) await this.endSessions(username, keepSid);
      else if (kinds.has('grids') || kinds.has('districts')) await this.o.auth.reopenSocketsOf(username).catch((err: unknown) => this.log.warn({ err: (err as Error).message, user: username }, 'sockets could not be re-scoped'));
    }
  }

  private async endSessions(username: string, except?: string): Promise<void> {
    try {
      const n = await this.o.auth.endSessionsOf(username, except ? { except } : {});
      if (n) this.log.info({ user: username, sessions: n }, 'sessions ended: the person was disabled, removed, or their role or password changed');
    } catch (err) {
      // their tokens are refused anyway (session() reads people.yaml's people on every request)
      this.log.warn({ err: (err as Error).message, user: username }, 'sessions could not be ended in the session store');
    }
  }

  /** Sign-in reads every person; routing, the roster and dispatch read the enabled ones. */
  private install(people: Person[]): void {
    this.o.auth.users.replace(people);
    this.o.city.people = people.filter((p) => !p.disabled);
  }

  private startWatching(): void {
    try {
      this.watcher = watch(this.o.city.dir, (_event, name) => {
        if (name !== PEOPLE_FILE) return;
        if (this.debounce) clearTimeout(this.debounce);
        this.debounce = setTimeout(() => {
          this.debounce = null;
          void this.reload().catch((err: unknown) => this.log.error({ err }, `${PEOPLE_FILE} could not be taken in`));
        }, this.o.debounceMs ?? DEBOUNCE_MS);
      });
      this.watcher.on('error', (err) => this.log.warn({ err: err.message }, 'the city folder watch stopped; hand edits of people.yaml are not picked up'));
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'cannot watch the city folder; hand edits of people.yaml are not picked up until a restart');
    }
  }
}
