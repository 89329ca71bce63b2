// Proves people.yaml takes contact handles (DingTalk, WeCom, Feishu, mobile) and refuses a bad one naming
// the file, the user entry and the field, without echoing the handle.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { CityConfigError, loadCity } from './city-loader.js';

const PASSWORD_HASH = '$2b$10$OqSvAH4XyPvnAEJLjfelKO2Jidj4gdFQIjIoxX06ulFkjqVFuG9Ne';
const GRID = {
  type: 'FeatureCollection',
  features: [{ type: 'Feature', properties: { id: 'c-a', name: 'Cell A', district: 'east' }, geometry: { type: 'Polygon', coordinates: [[[114, 30], [114.01, 30], [114.01, 30.01], [114, 30.01], [114, 30]]] } }],
};

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
function cityWith(users: unknown[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'citygrid-city-'));
  dirs.push(dir);
  writeFileSync(join(dir, 'grid.geojson'), JSON.stringify(GRID));
  writeFileSync(join(dir, 'devices.yaml'), '[]\n');
  writeFileSync(join(dir, 'people.yaml'), stringify({ users }));
  return dir;
}
const person = (username: string, contacts?: unknown) => ({ username, name: username, role: 'gridworker', grids: ['c-a'], password_hash: PASSWORD_HASH, ...(contacts ? { contacts } : {}) });
function problems(dir: string): string[] {
  try {
    loadCity(dir);
  } catch (err) {
    if (err instanceof CityConfigError) return err.problems;
    throw err;
  }
  return [];
}

describe('people.yaml contacts', () => {
  it('loads every kind of handle, E.164 and 11-digit mobiles alike', () => {
    const city = loadCity(cityWith([
      person('w1', { dingtalk: 'manager4220', wecom: 'zhang.san@ops', feishu: 'ou_7d8a6e6df7621556ce0d21922b676706', mobile: '+8613912345678' }),
      person('w2', { mobile: '13912345678' }),
      person('w3'),
    ]));
    expect(city.people.map((p) => p.contacts)).toEqual([
      { dingtalk: 'manager4220', wecom: 'zhang.san@ops', feishu: 'ou_7d8a6e6df7621556ce0d21922b676706', mobile: '+8613912345678' },
      { mobile: '13912345678' },
      undefined,
    ]);
  });

  it.each([
    ['mobile', '55555', 'contacts.mobile'],
    ['mobile', '+0123456789', 'contacts.mobile'],
    ['mobile', '139 1234 5678', 'contacts.mobile'],
    ['dingtalk', 'has space', 'contacts.dingtalk'],
    ['wecom', '<@all>', 'contacts.wecom'],
    ['feishu', 'ou_x"></at><at id=all', 'contacts.feishu'],
    ['feishu', '', 'contacts.feishu'],
  ])('refuses %s %j, naming the file, the entry and the field (never the handle)', (kind, handle, field) => {
    const found = problems(cityWith([person('ok-1', { mobile: '13800000000' }), person('bad-1', { [kind]: handle })]));
    expect(found).toHaveLength(1);
    expect(found[0]).toContain('people.yaml: user 1 (bad-1)');
    expect(found[0]).toContain(`field ${field}`);
    if (handle) expect(found[0]).not.toContain(handle);
  });

  it('refuses an unknown kind of contact', () => {
    const found = problems(cityWith([person('w1', { wechat: 'someone' })]));
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(/people\.yaml: user 0 \(w1\) field contacts: .*wechat/);
  });
});
