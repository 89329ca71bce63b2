// A real Redis (Debian's redis-server 7) for tests, in a temp dir (scripts/engines.ts).
import { redisServer } from '../../scripts/engines.js';
import { tempDir } from './system.js';

export interface TestRedis {
  url: string;
  stop(signal?: NodeJS.Signals): Promise<void>;
  start(): Promise<void>;
  remove(): Promise<void>;
}

export async function startRedis(): Promise<TestRedis> {
  const dir = tempDir('citygrid-redis-');
  const redis = await redisServer(dir.path);
  return { url: redis.url, start: redis.start, stop: redis.stop, remove: async () => { await redis.stop('SIGKILL'); dir.remove(); } };
}
