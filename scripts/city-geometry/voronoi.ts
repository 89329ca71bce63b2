// Voronoi cells of a set of seeds inside a box, hand-written: each cell is the box clipped by the
// half-planes of its nearer neighbours' bisectors (Sutherland-Hodgman against one line at a time).
// Neighbours are found through a bucket index and tried nearest first; once the next candidate is
// more than twice as far as the cell's farthest vertex, no bisector can cut the cell any more.
// Every edge remembers whose bisector it lies on (or -1: the box), so shared edges can be shaped alike.

export type Pt = [number, number];
/** [west, south, east, north] */
export type Box = [number, number, number, number];

export interface VoronoiCell {
  /** Counter-clockwise, open (the first vertex is not repeated). */
  ring: Pt[];
  /** edges[k]: the neighbour whose bisector the edge ring[k] → ring[k + 1] lies on, -1 for the box. */
  edges: number[];
}

/** Clips a convex polygon to the half-plane nearer `s` than `o`; the new edge is labelled `label`. */
export function clipToBisector(cell: VoronoiCell, s: Pt, o: Pt, label: number): VoronoiCell {
  const nx = o[0] - s[0], ny = o[1] - s[1];
  const c = (nx * (s[0] + o[0]) + ny * (s[1] + o[1])) / 2;
  const side = (p: Pt) => nx * p[0] + ny * p[1] - c; // ≤ 0: kept
  const n = cell.ring.length;
  const ring: Pt[] = [], edges: number[] = [];
  let cut = false;
  for (let k = 0; k < n; k++) {
    const p = cell.ring[k]!, q = cell.ring[(k + 1) % n]!;
    const dp = side(p), dq = side(q);
    if (dp <= 0) {
      ring.push(p);
      edges.push(cell.edges[k]!);
    } else cut = true;
    if ((dp <= 0) !== (dq <= 0)) {
      const t = dp / (dp - dq);
      const x: Pt = [p[0] + t * (q[0] - p[0]), p[1] + t * (q[1] - p[1])];
      ring.push(x);
      // leaving the kept side: the edge from here runs along the bisector; entering: the old edge goes on
      edges.push(dp <= 0 ? label : cell.edges[k]!);
    }
  }
  if (!cut) return cell;
  // Drop vertices that coincide (a cut through a vertex) so that no edge has zero length.
  const outRing: Pt[] = [], outEdges: number[] = [];
  for (let k = 0; k < ring.length; k++) {
    const p = ring[k]!, q = ring[(k + 1) % ring.length]!;
    if (Math.abs(p[0] - q[0]) < 1e-12 && Math.abs(p[1] - q[1]) < 1e-12) continue;
    outRing.push(p);
    outEdges.push(edges[k]!);
  }
  return { ring: outRing, edges: outEdges };
}

/** The Voronoi cell of every seed, within `box` (seeds are expected inside it). */
export function voronoiCells(seeds: Pt[], box: Box): VoronoiCell[] {
  const [w, s, e, n] = box;
  const size = Math.max(1e-12, Math.sqrt(((e - w) * (n - s)) / Math.max(1, seeds.length)));
  const cols = Math.max(1, Math.ceil((e - w) / size)), rows = Math.max(1, Math.ceil((n - s) / size));
  const buckets: number[][] = Array.from({ length: cols * rows }, () => []);
  const col = (x: number) => Math.min(cols - 1, Math.max(0, Math.floor((x - w) / size)));
  const row = (y: number) => Math.min(rows - 1, Math.max(0, Math.floor((y - s) / size)));
  seeds.forEach((p, i) => buckets[row(p[1]) * cols + col(p[0])]!.push(i));

  return seeds.map((p, i) => {
    let cell: VoronoiCell = { ring: [[w, s], [e, s], [e, n], [w, n]], edges: [-1, -1, -1, -1] };
    const c0 = col(p[0]), r0 = row(p[1]);
    // Rings of buckets outwards; each ring's seeds nearest first.
    for (let radius = 0; radius <= Math.max(cols, rows); radius++) {
      const found: Array<[number, number]> = [];
      for (let r = r0 - radius; r <= r0 + radius; r++) {
        if (r < 0 || r >= rows) continue;
        for (let c = c0 - radius; c <= c0 + radius; c++) {
          if (c < 0 || c >= cols || (Math.abs(r - r0) !== radius && Math.abs(c - c0) !== radius)) continue;
          for (const j of buckets[r * cols + c]!) if (j !== i) found.push([j, (seeds[j]![0] - p[0]) ** 2 + (seeds[j]![1] - p[1]) ** 2]);
        }
      }
      found.sort((a, b) => a[1] - b[1] || a[0] - b[0]);
      for (const [j] of found) cell = clipToBisector(cell, p, seeds[j]!, j);
      // Any seed beyond this ring of buckets is at least radius × size away: done once that is
      // more than twice the distance to the cell's farthest vertex.
      const far = Math.max(...cell.ring.map((v) => Math.hypot(v[0] - p[0], v[1] - p[1])));
      if (radius * size > 2 * far) break;
    }
    return cell;
  });
}

/** Twice the signed area (counter-clockwise positive). */
export function signedArea2(ring: Pt[]): number {
  let a = 0;
  for (let k = 0, j = ring.length - 1; k < ring.length; j = k++) a += ring[j]![0] * ring[k]![1] - ring[k]![0] * ring[j]![1];
  return a;
}
