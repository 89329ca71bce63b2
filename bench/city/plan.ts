// How `npm run bench:city` spreads its devices: each process (an edge holding the devices' MQTT
// connections, a generator holding their client sockets) must stay under the per-process open-file
// limit, with headroom for the process's own files (its NATS connection, logs, node's internals).
// Pure: the benchmark and its test use the same plan.

/** Files a process keeps for itself besides the devices' sockets. */
export const FILE_HEADROOM = 2_000;

/** Device sockets one process may hold under an open-files limit of `limit`. */
export function socketsPerProcess(limit: number, headroom = FILE_HEADROOM): number {
  const n = limit - headroom;
  if (!Number.isFinite(n) || n < 100) throw new Error(`an open-files limit of ${limit} leaves no room for devices (${headroom} are kept for the process itself)`);
  return n;
}

/** The fewest processes that hold `devices` sockets with at most `perProcess` each. */
export function processesFor(devices: number, perProcess: number): number {
  return Math.max(1, Math.ceil(devices / perProcess));
}

export interface Share<T> {
  generator: number;
  edge: number;
  devices: T[];
}

export interface CityPlan<T> {
  edges: number;
  generators: number;
  /** One share per (generator, edge) pair that has devices: what that generator connects to that edge. */
  shares: Share<T>[];
  /** Devices (= sockets) per edge and per generator. */
  perEdge: number[];
  perGenerator: number[];
}

/**
 * Deals device i to edge i mod E and generator i mod G: every edge and every generator gets an
 * equal share (±1), and with E = G each generator talks to one edge only. Throws when a process
 * would hold more than `perProcess` sockets.
 */
export function planCity<T>(devices: readonly T[], o: { edges: number; generators: number; perProcess: number }): CityPlan<T> {
  const { edges, generators, perProcess } = o;
  if (!Number.isInteger(edges) || edges < 1 || !Number.isInteger(generators) || generators < 1) throw new Error(`edges (${edges}) and generators (${generators}) must be whole numbers ≥ 1`);
  const cells = new Map<number, Share<T>>();
  const perEdge = new Array<number>(edges).fill(0);
  const perGenerator = new Array<number>(generators).fill(0);
  devices.forEach((d, i) => {
    const edge = i % edges, generator = i % generators;
    const key = generator * edges + edge;
    let share = cells.get(key);
    if (!share) cells.set(key, (share = { generator, edge, devices: [] }));
    share.devices.push(d);
    perEdge[edge]!++;
    perGenerator[generator]!++;
  });
  const over = [...perEdge.map((n, i) => [`edge ${i + 1}`, n] as const), ...perGenerator.map((n, i) => [`generator ${i + 1}`, n] as const)].filter(([, n]) => n > perProcess);
  if (over.length) throw new Error(`${over.map(([w, n]) => `${w} would hold ${n} sockets`).join(', ')}: more than ${perProcess} per process (the open-files limit less ${FILE_HEADROOM}); use more edges or generators`);
  return { edges, generators, shares: [...cells.values()].sort((a, b) => a.generator - b.generator || a.edge - b.edge), perEdge, perGenerator };
}
