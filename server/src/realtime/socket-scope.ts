// Which Socket.IO rooms a signed-in user may be in. Viewers, operators and admins watch the whole city
// (`all`) and narrow it as they like; a grid worker only ever joins their own cells (`grid:<id>`),
// the districts they supervise (`district:<id>`) and `user:<username>`, and may only narrow within those.
// What is "their own" is auth/scope.ts's answer, which the REST reads use too.
import type { SubscribeRequest, UserView } from '@citygrid/contract';
import type { City } from '@citygrid/contract/node';
import { readScope } from '../auth/scope.js';

export const ALL = 'all';

export function defaultRooms(user: UserView): string[] {
  const own = `user:${user.username}`;
  if (user.role !== 'gridworker') return [ALL, own];
  return [...user.grids.map((g) => `grid:${g}`), ...user.districts.map((d) => `district:${d}`), own];
}

/** The rooms for a `subscribe` request, or why it is refused. */
export function checkSubscribe(req: unknown, city: City, user: UserView): { rooms: string[] } | { error: string } {
  if (req === null || typeof req !== 'object' || Array.isArray(req)) return { error: 'subscribe expects an object {grid?, district?, device?}' };
  const r = req as Record<string, unknown>;
  const extra = Object.keys(r).filter((k) => !['grid', 'district', 'device'].includes(k));
  if (extra.length) return { error: `unknown field(s): ${extra.join(', ')}` };
  const scope = readScope(user, city);
  const notYours = (what: string) => ({ error: `${user.username} may watch only their own cells and districts (${[...user.grids, ...user.districts].join(', ') || 'none'}); ${what} is not one of them` });
  const rooms: string[] = [];
  const { grid, district, device } = r as SubscribeRequest;
  if (grid !== undefined) {
    const cell = typeof grid === 'string' ? city.cellsById.get(grid) : undefined;
    if (!cell) return { error: `unknown grid "${String(grid)}"` };
    if (!scope.cell(cell.id, cell.district)) return notYours(`grid ${cell.id}`);
    rooms.push(`grid:${cell.id}`);
  }
  if (district !== undefined) {
    if (typeof district !== 'string' || !city.districts.some((d) => d.id === district)) return { error: `unknown district "${String(district)}"` };
    if (!scope.district(district)) return notYours(`district ${district}`);
    rooms.push(`district:${district}`);
  }
  if (device !== undefined) {
    const d = typeof device === 'string' ? city.devicesById.get(device) : undefined;
    // a grid worker gets one answer for another cell's device and a device that does not exist, as over REST (404)
    if (!scope.cityWide && !scope.device(device as string)) return notYours(`device ${String(device).slice(0, 64)}`);
    if (!d) return { error: `unknown device "${String(device)}"` };
    rooms.push(`device:${d.id}`);
  }
  if (!rooms.length) return { rooms: defaultRooms(user) };
  return { rooms: [...rooms, `user:${user.username}`] };
}
