// Who answers for an alert: the cell's grid workers, then the district supervisor, then the control
// room; and how long each colour may wait for an acknowledgement (people.yaml, defaults by colour).
import { DEFAULT_ACK_DEADLINES, parseDuration, type EscalationLevel, type Severity } from '@citygrid/contract';
import type { City } from '@citygrid/contract/node';

export class Routing {
  private readonly deadlines: Record<Severity, number>;

  constructor(private readonly city: City) {
    const d = { ...DEFAULT_ACK_DEADLINES, ...city.deadlines } as Record<Severity, string>;
    this.deadlines = {
      red: parseDuration(d.red)!, orange: parseDuration(d.orange)!, yellow: parseDuration(d.yellow)!, blue: parseDuration(d.blue)!,
    };
  }

  deadline(severity: Severity): number {
    return this.deadlines[severity];
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
