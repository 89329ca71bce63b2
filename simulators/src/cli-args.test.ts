// Proves the simulate CLI applies its defaults and reports every bad argument at once.
import { describe, expect, it } from 'vitest';
import { parseCli } from './cli-args.js';
import { SCENARIO_NAMES } from './scenarios/index.js';

describe('parseCli', () => {
  it('uses the defaults, with MQTT_URL from the environment', () => {
    expect(parseCli([], {})).toEqual({
      kind: 'run',
      options: { cityDir: 'config/demo-city', url: 'mqtt://127.0.0.1:1883', intervalMs: 5_000, seed: 42, speed: 1 },
    });
    const result = parseCli([], { MQTT_URL: 'mqtt://broker:1883' });
    expect(result.kind === 'run' && result.options.url).toBe('mqtt://broker:1883');
  });

  it('reads every option', () => {
    const result = parseCli(['--city', 'x', '--url', 'mqtt://h:1', '--interval', '500ms', '--seed', '7', '--speed', '60', '--devices', 'a-1, b-2'], {});
    expect(result).toEqual({
      kind: 'run',
      options: { cityDir: 'x', url: 'mqtt://h:1', intervalMs: 500, seed: 7, speed: 60, devices: ['a-1', 'b-2'] },
    });
    expect(parseCli(['-h'], {})).toEqual({ kind: 'help' });
  });

  it('takes several brokers, comma-separated (cluster mode\'s edges), and names a bad one', () => {
    const result = parseCli(['--url', 'mqtt://e1:1883,mqtt://e2:1884'], {});
    expect(result.kind === 'run' && result.options.url).toBe('mqtt://e1:1883,mqtt://e2:1884');
    const bad = parseCli(['--url', 'mqtt://e1:1883,e2'], {});
    expect(bad.kind === 'invalid' && bad.problems).toEqual([expect.stringContaining('--url "e2" is not a broker URL')]);
  });

  it('lists every problem', () => {
    const result = parseCli(['--interval', '5', '--seed', 'x', '--speed', '0', '--devices', 'Bad', '--url', 'foo'], {});
    expect(result.kind).toBe('invalid');
    expect(result.kind === 'invalid' && result.problems).toHaveLength(5);
  });

  it('reads a scenario and its device, and refuses an unknown scenario or a device without one', () => {
    expect(parseCli(['--scenario', 'flooding', '--scenario-device', 'wl-0007', '--speed', '20'], {})).toEqual({
      kind: 'run',
      options: { cityDir: 'config/demo-city', url: 'mqtt://127.0.0.1:1883', intervalMs: 5_000, seed: 42, speed: 20, scenario: 'flooding', scenarioDevice: 'wl-0007' },
    });
    const unknown = parseCli(['--scenario', 'earthquake'], {});
    expect(unknown.kind === 'invalid' && unknown.problems).toEqual([`--scenario "earthquake" is not a scenario; known scenarios: ${SCENARIO_NAMES.join(', ')}`]);
    const orphan = parseCli(['--scenario-device', 'Bad!'], {});
    expect(orphan.kind === 'invalid' && orphan.problems).toHaveLength(2);
  });

  it('reads gateway mode (--gateway, comma-separated) and refuses a bad id, an empty list or load mode with it', () => {
    const r = parseCli(['--gateway', 'sl-0001, sl-0002'], {});
    expect(r.kind === 'run' && r.options.gateways).toEqual(['sl-0001', 'sl-0002']);
    const bad = parseCli(['--gateway', 'Bad!,'], {});
    expect(bad.kind === 'invalid' && bad.problems).toEqual(['--gateway: "Bad!" is not a device id ([a-z0-9][a-z0-9-]{0,63})']);
    const empty = parseCli(['--gateway', ','], {});
    expect(empty.kind === 'invalid' && empty.problems).toEqual(['--gateway is empty; give comma-separated gateway device ids']);
    const load = parseCli(['--gateway', 'sl-0001', '--devices', '100'], {});
    expect(load.kind === 'invalid' && load.problems).toEqual(['--gateway cannot be combined with load mode (--devices <number>)']);
  });

  it('refuses unknown options and positional arguments', () => {
    expect(parseCli(['--bogus'], {}).kind).toBe('invalid');
    expect(parseCli(['city'], {}).kind).toBe('invalid');
  });
});

describe('parseCli load mode', () => {
  it('reads a number for --devices as load mode, with loopback source addresses per 20,000', () => {
    const r = parseCli(['--devices', '100000', '--interval', '10s', '--ramp', '5000', '--batch', '2', '--duration', '5m'], {});
    expect(r).toEqual({
      kind: 'run',
      options: {
        cityDir: 'config/demo-city', url: 'mqtt://127.0.0.1:1883', intervalMs: 10_000, seed: 42, speed: 1,
        load: { count: 100_000, rampPerS: 5000, batch: 2, sources: ['127.0.0.1', '127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.0.5'], durationMs: 300_000 },
      },
    });
    const small = parseCli(['--devices', '300'], {});
    expect(small.kind === 'run' && small.options.load).toEqual({ count: 300, rampPerS: 2000, batch: 1, sources: [], durationMs: null });
  });

  it('keeps a comma-separated list (even of one id) as device ids', () => {
    const r = parseCli(['--devices', 'wl-0001'], {});
    expect(r.kind === 'run' && r.options.devices).toEqual(['wl-0001']);
    expect(r.kind === 'run' && r.options.load).toBeUndefined();
  });

  it('refuses load options outside load mode and bad values in it', () => {
    expect(parseCli(['--batch', '5'], {})).toEqual({ kind: 'invalid', problems: ['--batch is for load mode only (--devices <number>)'] });
    const bad = parseCli(['--devices', '0', '--batch', '501', '--ramp', 'x', '--duration', '10ms', '--sources', '3', '--url', 'mqtt://broker:1883'], {});
    expect(bad.kind === 'invalid' && bad.problems).toHaveLength(5);
    expect(parseCli(['--devices', '10', '--scenario', 'flooding'], {}).kind).toBe('invalid');
  });
});
