// Draws the phone view's app icons (web/public/icons/*.png) from the favicon's design: a dark tile with
// three blue cells and one red one. Plain PNG encoding with node:zlib, no image library; the output is
// committed, so this runs only when the design changes:  node scripts/make-pwa-icons.mjs
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { crc32, deflateSync } from 'node:zlib';

const out = resolve(fileURLToPath(new URL('..', import.meta.url)), 'web', 'public', 'icons');
const TILE = [0x0b, 0x18, 0x30];
const BLUE = [0x38, 0xbd, 0xf8];
const RED = [0xef, 0x44, 0x44];
/** The favicon's 16-unit design: cells as [x, y, size, colour]. */
const CELLS = [[4, 4, 3, BLUE], [9, 4, 3, BLUE], [4, 9, 3, BLUE], [9, 9, 3, RED]];

/**
 * RGBA pixels of one icon. `maskable`: the tile fills the square (the platform cuts its own shape) and
 * the cells shrink into the central safe zone (a circle of 80% of the width).
 */
function draw(size, maskable) {
  const px = Buffer.alloc(size * size * 4);
  const unit = size / 16;
  const radius = maskable ? 0 : 3 * unit;
  const scale = maskable ? 0.7 : 1; // the cells' block, 8 units wide, stays inside the safe circle
  const offset = (size - 16 * unit * scale) / 2;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      // rounded corners: outside the quarter circles stays transparent
      const cx = Math.min(Math.max(x + 0.5, radius), size - radius);
      const cy = Math.min(Math.max(y + 0.5, radius), size - radius);
      if (radius > 0 && (x + 0.5 - cx) ** 2 + (y + 0.5 - cy) ** 2 > radius ** 2) continue;
      let colour = TILE;
      for (const [cxu, cyu, s, c] of CELLS) {
        const left = offset + cxu * unit * scale;
        const top = offset + cyu * unit * scale;
        if (x >= left && x < left + s * unit * scale && y >= top && y < top + s * unit * scale) colour = c;
      }
      px.set([...colour, 255], (y * size + x) * 4);
    }
  }
  return px;
}

function chunk(type, data) {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])) >>> 0, 0);
  return Buffer.concat([head, data, crc]);
}

function png(size, rgba) {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr.set([8, 6, 0, 0, 0], 8); // 8-bit RGBA, no interlace
  const rows = Buffer.alloc(size * (size * 4 + 1));
  for (let y = 0; y < size; y++) rgba.copy(rows, y * (size * 4 + 1) + 1, y * size * 4, (y + 1) * size * 4); // filter 0 per row
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr), chunk('IDAT', deflateSync(rows, { level: 9 })), chunk('IEND', Buffer.alloc(0)),
  ]);
}

mkdirSync(out, { recursive: true });
for (const [name, size, maskable] of [['icon-192.png', 192, false], ['icon-512.png', 512, false], ['icon-maskable-512.png', 512, true]]) {
  const file = png(size, draw(size, maskable));
  writeFileSync(join(out, name), file);
  console.log(`${join(out, name)}: ${file.length} bytes`);
}
