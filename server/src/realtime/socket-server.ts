// Socket.IO: the typed live feed for dashboards and phones. Clients get everything by default and
// narrow it with `subscribe {grid?, district?, device?}`; each event goes to the rooms it belongs to.
import type { Server as HttpServer } from 'node:http';
import { Server } from 'socket.io';
import type {
  AlertSocketEvent, ClientToServerEvents, DeviceStatusEvent, Rejection, ServerToClientEvents, StatsEvent, SubscribeRequest,
} from '@citygrid/contract';
import type { City } from '@citygrid/contract/node';
import type { Logger } from 'pino';
import type { Metrics } from '../metrics.js';
import type { LiveFeed } from '../pipeline/index.js';
import { ReadingCoalescer } from './reading-coalescer.js';

export interface Realtime {
  feed: LiveFeed;
  /** Every alert transition, to everyone watching the cell, the district, and the people it is assigned to. */
  alert(event: AlertSocketEvent): void;
  rejection(rejection: Rejection): void;
  clients(): number;
  close(): Promise<void>;
}

type IO = Server<ClientToServerEvents, ServerToClientEvents>;
const ALL = 'all';

function roomsFor(e: { device: string; grid: string; district: string }): string[] {
  return [ALL, `grid:${e.grid}`, `district:${e.district}`, `device:${e.device}`];
}

function checkSubscribe(req: unknown, city: City): { rooms: string[] } | { error: string } {
  if (req === null || typeof req !== 'object' || Array.isArray(req)) return { error: 'subscribe expects an object {grid?, district?, device?}' };
  const r = req as Record<string, unknown>;
  const extra = Object.keys(r).filter((k) => !['grid', 'district', 'device'].includes(k));
  if (extra.length) return { error: `unknown field(s): ${extra.join(', ')}` };
  const rooms: string[] = [];
  const { grid, district, device } = r as SubscribeRequest;
  if (grid !== undefined) {
    if (typeof grid !== 'string' || !city.cellsById.has(grid)) return { error: `unknown grid "${String(grid)}"` };
    rooms.push(`grid:${grid}`);
  }
  if (district !== undefined) {
    if (typeof district !== 'string' || !city.districts.some((d) => d.id === district)) return { error: `unknown district "${String(district)}"` };
    rooms.push(`district:${district}`);
  }
  if (device !== undefined) {
    if (typeof device !== 'string' || !city.devicesById.has(device)) return { error: `unknown device "${String(device)}"` };
    rooms.push(`device:${device}`);
  }
  return { rooms: rooms.length ? rooms : [ALL] };
}

export function createRealtime(http: HttpServer, deps: { city: City; metrics: Metrics; logger: Logger; stats: () => Omit<StatsEvent, 'socketClients'> }): Realtime {
  const log = deps.logger.child({ stage: 'realtime' });
  const io: IO = new Server(http, { serveClient: false, maxHttpBufferSize: 16 * 1024 });
  const count = (event: string) => deps.metrics.socketEvents.inc({ event });

  io.on('connection', (socket) => {
    void socket.join(ALL);
    deps.metrics.socketClients.set(io.engine.clientsCount);
    socket.on('subscribe', (req, ack) => {
      const result = checkSubscribe(req, deps.city);
      if ('error' in result) {
        if (typeof ack === 'function') ack({ ok: false, error: result.error });
        return;
      }
      for (const room of socket.rooms) if (room !== socket.id) void socket.leave(room);
      for (const room of result.rooms) void socket.join(room);
      if (typeof ack === 'function') ack({ ok: true });
    });
    socket.on('disconnect', () => deps.metrics.socketClients.set(io.engine.clientsCount));
  });

  const coalescer = new ReadingCoalescer((event) => {
    io.to(roomsFor(event)).emit('reading', event);
    count('reading');
  });

  const statsTimer = setInterval(() => {
    io.emit('stats', { ...deps.stats(), socketClients: io.engine.clientsCount });
    count('stats');
  }, 1000);
  statsTimer.unref();

  return {
    feed: {
      reading: (event) => coalescer.push(event),
      deviceStatus: (event: DeviceStatusEvent) => {
        io.to(roomsFor(event)).emit('device-status', event);
        count('device-status');
      },
    },
    alert(event) {
      const a = event.alert;
      io.to([ALL, `grid:${a.grid}`, `district:${a.district}`, ...a.assignees.map((u) => `user:${u}`)]).emit('alert', event);
      count('alert');
    },
    rejection(rejection) {
      io.to(rejection.device ? [ALL, `device:${rejection.device}`] : [ALL]).emit('rejection', rejection);
      count('rejection');
    },
    clients: () => io.engine.clientsCount,
    async close() {
      clearInterval(statsTimer);
      coalescer.close();
      await new Promise<void>((resolve) => {
        io.close(() => resolve());
      });
      log.debug('socket.io closed');
    },
  };
}
