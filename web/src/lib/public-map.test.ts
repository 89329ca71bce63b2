// Proves the public map's geometry: the city fits the box with north up and its aspect kept, paths
// close every ring (holes too), and the counts behind the legend.
import { describe, expect, it } from 'vitest';
import { conditionCounts, fillOf, fitProjection, svgPath, PUBLIC_FILL } from './public-map';

const square = (x: number, y: number, size: number) => ({
  type: 'Polygon' as const,
  coordinates: [[[x, y], [x + size, y], [x + size, y + size], [x, y + size], [x, y]] as [number, number][]],
});

describe('fitProjection', () => {
  it('fits the features into the width with the margin, north up, keeping the shape (longitudes shrunk by cos(lat))', () => {
    const p = fitProjection([square(114, 30, 0.1), square(114.1, 30.1, 0.1)], 400, 10)!;
    expect(p.width).toBe(400);
    const kx = Math.cos((30.1 * Math.PI) / 180);
    // 0.2° wide and 0.2° tall: the height is the width divided by cos(lat), plus margins
    expect(p.height).toBe(Math.ceil((380 / kx) + 20));
    const [x0, y0] = p.project([114, 30.2]); // north-west corner
    expect(x0).toBeCloseTo(10);
    expect(y0).toBeCloseTo(10);
    const [x1, y1] = p.project([114.2, 30]); // south-east corner
    expect(x1).toBeCloseTo(390);
    // the height is rounded up to whole pixels: the bottom margin is 10 to 11
    expect(p.height - y1).toBeGreaterThanOrEqual(10);
    expect(p.height - y1).toBeLessThan(11);
  });

  it('gives up on nothing to fit', () => {
    expect(fitProjection([], 400)).toBeNull();
    expect(fitProjection([square(114, 30, 0)], 400)).toBeNull();
  });
});

describe('svgPath', () => {
  it('draws each ring as a closed path, outer ring and hole alike', () => {
    const p = fitProjection([square(0, 0, 10)], 108, 4)!;
    const withHole = { type: 'Polygon' as const, coordinates: [square(0, 0, 10).coordinates[0]!, square(2, 2, 2).coordinates[0]!] };
    const d = svgPath(withHole, p);
    expect(d.match(/M/g)).toHaveLength(2);
    expect(d.match(/Z/g)).toHaveLength(2);
    expect(d.startsWith('M4 104')).toBe(true); // (0, 0) is the south-west corner: left, bottom
  });

  it('draws every polygon of a multipolygon', () => {
    const multi = { type: 'MultiPolygon' as const, coordinates: [square(0, 0, 1).coordinates, square(3, 3, 1).coordinates] };
    const p = fitProjection([multi], 200)!;
    expect(svgPath(multi, p).match(/Z/g)).toHaveLength(2);
  });
});

describe('conditions', () => {
  it('counts cells per condition, and colours a cell without data grey', () => {
    expect(conditionCounts([{ condition: 'ok' }, { condition: 'alarm' }, { condition: null }, { condition: 'ok' }])).toEqual({ ok: 2, warn: 0, alarm: 1, none: 1 });
    expect(fillOf(null)).toBe(PUBLIC_FILL.none);
    expect(fillOf('warn')).toBe(PUBLIC_FILL.warn);
  });
});
