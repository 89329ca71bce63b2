// The cell canvas's pure parts: the geo's affine transform and its inverse, simplification for small
// cells, hit-testing through the bucket index, and paints made opaque.
import type { Ring } from '@citygrid/contract';
import { describe, expect, it } from 'vitest';
import { affineFrom, CellIndex, coarseRing, invert, opaqueOver, parseColour } from './map-cells';

describe('affineFrom', () => {
  it("recovers a linear projection from three points, and invert undoes it", () => {
    // like the geo: y flipped, latitude squeezed by an aspect scale, then moved
    const project = ([lng, lat]: [number, number]) => [100 * lng + 5, -86 * lat + 3000];
    const t = affineFrom(project, [114, 30])!;
    expect(t.a).toBeCloseTo(100, 6);
    expect(t.d).toBeCloseTo(-86, 6);
    const [x, y] = [t.a * 114.3 + t.c * 30.5 + t.e, t.b * 114.3 + t.d * 30.5 + t.f];
    expect(x).toBeCloseTo(project([114.3, 30.5])[0]!, 6);
    expect(y).toBeCloseTo(project([114.3, 30.5])[1]!, 6);
    const back = invert(t, [x, y]);
    expect(back[0]).toBeCloseTo(114.3, 9);
    expect(back[1]).toBeCloseTo(30.5, 9);
  });

  it('says null when the chart cannot tell (no geo yet)', () => {
    expect(affineFrom(() => null, [0, 0])).toBeNull();
  });
});

describe('coarseRing', () => {
  it('drops vertices closer than the tolerance, keeping the ring closed and at least a triangle', () => {
    const ring: Ring = [[0, 0], [0.01, 0.001], [1, 0], [1.01, 0.5], [1, 1], [0.5, 1.01], [0, 1], [0, 0]];
    const out = coarseRing(ring, 0.1);
    expect(out).toEqual([[0, 0], [1, 0], [1.01, 0.5], [1, 1], [0.5, 1.01], [0, 1], [0, 0]]);
    expect(coarseRing(ring, 10).length).toBe(ring.length); // too coarse: left as it was
  });
});

describe('CellIndex', () => {
  const square = (x: number, y: number): Ring => [[x, y], [x + 1, y], [x + 1, y + 1], [x, y + 1], [x, y]];
  const rings = Array.from({ length: 100 }, (_, i) => [square(i % 10, Math.floor(i / 10))]);
  const index = new CellIndex(rings);

  it('finds the cell holding a point, and -1 outside every cell', () => {
    expect(index.find([3.5, 7.5])).toBe(73);
    expect(index.find([0.1, 0.1])).toBe(0);
    expect(index.find([9.9, 9.9])).toBe(99);
    expect(index.find([10.5, 3])).toBe(-1);
    expect(index.find([-3, -3])).toBe(-1);
  });
});

describe('opaqueOver', () => {
  it('makes a translucent paint opaque over its district colour, as the canvas would blend it', () => {
    expect(parseColour('#0c1a2e')).toEqual([12, 26, 46, 1]);
    expect(parseColour('rgba(34, 197, 94, 0.15)')).toEqual([34, 197, 94, 0.15]);
    expect(opaqueOver('rgba(255, 0, 0, 0.5)', '#000')).toBe('rgb(128, 0, 0)');
    expect(opaqueOver('#123456', '#ffffff')).toBe('rgb(18, 52, 86)');
    expect(opaqueOver('hsl(1, 2%, 3%)', '#000')).toBe('hsl(1, 2%, 3%)'); // not understood: left as it was
  });
});

describe('CellIndex.near', () => {
  it('lists the cells that may touch a cell: its neighbours, not the far ones', () => {
    const sq = (x: number): Ring => [[x, 0], [x + 1, 0], [x + 1, 1], [x, 1], [x, 0]];
    const index = new CellIndex(Array.from({ length: 40 }, (_, i) => [sq(i)]));
    const near = index.near(20);
    expect(near.has(19) && near.has(20) && near.has(21)).toBe(true);
    expect(near.has(0) || near.has(39)).toBe(false);
  });
});
