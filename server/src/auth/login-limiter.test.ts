// The sign-in limiter's rules (login-limiter.cases.ts), in memory as `npm start` keeps them.
import { limiterCases } from './login-limiter.cases.js';
import { LoginLimiter } from './login-limiter.js';

limiterCases('LoginLimiter', async (o = {}) => {
  let now = 1_000_000;
  const l = new LoginLimiter({ now: () => now, ...o });
  return { l, advance: (ms: number) => { now += ms; } };
});
