// The people who may sign in (people.yaml), looked up by username, and what they may see of themselves.
import type { Person, UserView } from '@citygrid/contract';

export class Users {
  private readonly byName: ReadonlyMap<string, Person>;

  constructor(people: readonly Person[]) {
    this.byName = new Map(people.map((p) => [p.username, p]));
  }

  get(username: string): Person | undefined {
    return this.byName.get(username);
  }

  /** Never carries the password hash. */
  static view(p: Person): UserView {
    return { username: p.username, name: p.name, role: p.role, grids: [...(p.grids ?? [])], districts: [...(p.districts ?? [])] };
  }
}
