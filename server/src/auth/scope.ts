// What part of the city a signed-in user may read: one answer for the Socket.IO rooms
// (realtime/socket-scope.ts) and the REST reads (http/*.router.ts). Viewers, operators and admins read
// the whole city. A grid worker reads their own cells (`grids`), every cell of the districts they
// supervise (`districts`), and the alerts assigned to them (their `user:<name>` room): alerts, devices
// with their values and history, camera events, rejections and maintenance windows there, nothing else.
import type { UserView } from '@citygrid/contract';
import type { City } from '@citygrid/contract/node';

/** Filters for a store query ({grid} or {district}); together they cover what one user may read. */
export type ScopeFilter = { grid?: string; district?: string };

export interface ReadScope {
  /** True for viewers, operators and admins: nothing is filtered. */
  readonly cityWide: boolean;
  /** A cell of this user's (their own, or in a district they supervise). */
  cell(grid: string, district: string): boolean;
  /** A district this user supervises as a whole. */
  district(district: string): boolean;
  /** A known device in this user's cells; unknown ids are false. */
  device(id: string | null | undefined): boolean;
  /** An alert in this user's cells, or assigned to them. */
  alert(alert: { grid: string; district: string; assignees: readonly string[] }): boolean;
  /** A cell by id (its district looked up); unknown ids are false for a grid worker. */
  grid(grid: string): boolean;
  /**
   * The store filters for a request's own {grid?, district?} narrowed to this scope: [] when nothing
   * of the request is this user's; [request] for the whole city.
   */
  filters(request: ScopeFilter): ScopeFilter[];
}

export function readScope(user: Pick<UserView, 'username' | 'role' | 'grids' | 'districts'>, city: City): ReadScope {
  if (user.role !== 'gridworker') {
    return {
      cityWide: true,
      cell: () => true,
      district: () => true,
      device: (id) => typeof id === 'string' && city.devicesById.has(id),
      alert: () => true,
      grid: () => true,
      filters: (request) => [request],
    };
  }
  const cell = (grid: string, district: string) => user.grids.includes(grid) || user.districts.includes(district);
  const grid = (id: string) => {
    const c = city.cellsById.get(id);
    return c !== undefined && cell(c.id, c.district);
  };
  return {
    cityWide: false,
    cell,
    district: (d) => user.districts.includes(d),
    device: (id) => {
      const d = typeof id === 'string' ? city.devicesById.get(id) : undefined;
      return d !== undefined && cell(d.grid, d.district);
    },
    alert: (a) => cell(a.grid, a.district) || a.assignees.includes(user.username),
    grid,
    filters(request) {
      if (request.grid !== undefined) {
        const c = city.cellsById.get(request.grid);
        if (!c || !grid(c.id) || (request.district !== undefined && request.district !== c.district)) return [];
        return [{ grid: c.id }];
      }
      if (request.district !== undefined) {
        if (user.districts.includes(request.district)) return [{ district: request.district }];
        return user.grids.filter((g) => city.cellsById.get(g)?.district === request.district).map((g) => ({ grid: g }));
      }
      // own cells outside the supervised districts, and the districts
      const cells = user.grids.filter((g) => {
        const c = city.cellsById.get(g);
        return c !== undefined && !user.districts.includes(c.district);
      });
      return [...cells.map((g) => ({ grid: g })), ...user.districts.map((d) => ({ district: d }))];
    },
  };
}
