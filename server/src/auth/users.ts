// The people who may sign in (people.yaml), looked up by username, and what they may see of themselves.
// The list is replaced as a whole when people.yaml changes (people administration, or a hand edit
// picked up by the file watch: auth/people-admin.ts); a disabled person is known but may not sign in.
import type { Person, UserView } from '@citygrid/contract';

export class Users {
  private byName: ReadonlyMap<string, Person>;

  constructor(people: readonly Person[]) {
    this.byName = new Map(people.map((p) => [p.username, p]));
  }

  /** Someone who may sign in: known and not disabled (a disabled person is answered as an unknown one). */
  get(username: string): Person | undefined {
    const p = this.byName.get(username);
    return p && !p.disabled ? p : undefined;
  }

  /** Anyone in people.yaml, disabled or not. */
  find(username: string): Person | undefined {
    return this.byName.get(username);
  }

  /** people.yaml's people as they are now, disabled ones too. */
  all(): Person[] {
    return [...this.byName.values()];
  }

  /** people.yaml changed: these are the people from now on. */
  replace(people: readonly Person[]): void {
    this.byName = new Map(people.map((p) => [p.username, p]));
  }

  /** Never carries the password hash. */
  static view(p: Person): UserView {
    return { username: p.username, name: p.name, role: p.role, grids: [...(p.grids ?? [])], districts: [...(p.districts ?? [])] };
  }
}
