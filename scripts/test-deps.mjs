// What the test suite needs from the machine beyond `npm ci`, in one list: `npm test` checks it
// first (scripts/test-preflight.mjs), and `npm run test:setup` and CI install it (scripts/test-setup.mjs).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const onPath = (command) => spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;

/** Each: the Debian package, how to tell it is there, and what in the suite needs it. */
export const TEST_PACKAGES = [
  { pkg: 'chromium', present: () => existsSync('/usr/bin/chromium') || onPath('chromium'), why: 'the end-to-end tests drive Debian\'s Chromium (never a downloaded browser)' },
  { pkg: 'mosquitto-clients', present: () => onPath('mosquitto_pub'), why: 'the README\'s device quick-start is tested as written, with mosquitto_pub' },
  { pkg: 'mosquitto', present: () => existsSync('/usr/sbin/mosquitto'), why: 'the server\'s external-broker mode (MQTT_URL) is tested against Debian\'s mosquitto 2, configured by `npm run mosquitto:config`' },
  { pkg: 'influxdb', present: () => onPath('influxd'), why: 'the store contract, InfluxDB and fault tests start their own influxd' },
  { pkg: 'nats-server', present: () => onPath('nats-server'), why: 'the cluster-mode tests start their own 3-node NATS JetStream cluster' },
  { pkg: 'redis-server', present: () => onPath('redis-server'), why: 'the cluster-mode tests share live events across replicas through their own Redis' },
  { pkg: 'haproxy', present: () => onPath('haproxy'), why: 'the compose file\'s cluster profile puts HAProxy in front; its config is checked with `haproxy -c`' },
  { pkg: 'docker-compose', present: () => onPath('docker-compose'), why: 'docker-compose.yml is validated with `docker-compose config` (no engine needed)' },
  { pkg: 'prometheus', present: () => onPath('promtool'), why: 'ops/prometheus (alerting rules, scrape config) is checked with `promtool check rules|config`' },
  { pkg: 'fonts-wqy-microhei', present: () => existsSync('/usr/share/fonts/truetype/wqy/wqy-microhei.ttc'), why: 'Chinese text in the end-to-end screenshots' },
];

export function missingPackages() {
  return TEST_PACKAGES.filter((p) => !p.present());
}
