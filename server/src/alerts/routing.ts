// Who answers for an alert: the cell's grid workers, then the district supervisor, then the control
// room; how long each colour may wait for an acknowledgement and to be handled, and which colours a
// supervisor verifies before they close (people.yaml, defaults by colour).
import { DEFAULT_ACK_DEADLINES, DEFAULT_RESOLVE_DEADLINES, DEFAULT_VERIFY, SEVERITIES, parseDuration, type EscalationLevel, type Severity } from '@citygrid/contract';
import type { City } from '@citygrid/contract/node';

const durations = (d: Record<Severity, string>) => Object.fromEntries(SEVERITIES.map((s) => [s, parseDuration(d[s])!])) as Record<Severity, number>;

export class Routing {
  private readonly deadlines: Record<Severity, number>;
  private readonly resolveDeadlines: Record<Severity, number>;
  private readonly verified: ReadonlySet<Severity>;

  constructor(private readonly city: City) {
    this.deadlines = durations({ ...DEFAULT_ACK_DEADLINES, ...city.deadlines } as Record<Severity, string>);
    this.resolveDeadlines = durations({ ...DEFAULT_RESOLVE_DEADLINES, ...city.resolveDeadlines } as Record<Severity, string>);
    this.verified = new Set(city.verify ?? DEFAULT_VERIFY);
  }

  /** How long this colour may wait for an acknowledgement (each escalation step). */
  deadline(severity: Severity): number {
    return this.deadlines[severity];
  }

  /** How long this colour may take to be handled, from when it fires (or is dispatched). */
  resolveDeadline(severity: Severity): number {
    return this.resolveDeadlines[severity];
  }

  /** Does a supervisor verify this colour's handling before it closes? */
  verifies(severity: Severity): boolean {
    return this.verified.has(severity);
  }

  /** A person alerts can be dispatched to (not a viewer: they may not act). */
  person(username: string): City['people'][number] | undefined {
    return this.city.people.find((p) => p.username === username && p.role !== 'viewer');
  }

  /** Usernames who must act at this escalation level. */
  assignees(grid: string, district: string, level: EscalationLevel): string[] {
    const people = this.city.people;
    if (level === 0) return people.filter((p) => p.grids?.includes(grid)).map((p) => p.username);
    if (level === 1) return people.filter((p) => p.districts?.includes(district)).map((p) => p.username);
    return people.filter((p) => p.role === 'operator' || p.role === 'admin').map((p) => p.username);
  }

  describe(level: EscalationLevel): string {
    return ['the grid workers of the cell', 'the district supervisor', 'the control room'][level]!;
  }
}
