// How long the broker's first-connect secret check takes at different scrypt costs (sequential, and
// 400 at once through libuv's thread pool), to size 100,000 connects.
import { hashSecret, verifySecret } from '../../broker/src/secrets.js';
for (const logN of [4, 10, 14]) {
  const hash = await hashSecret('demo-x', logN);
  let t = performance.now();
  const n = logN === 14 ? 20 : 200;
  for (let i = 0; i < n; i++) await verifySecret('demo-x', hash);
  const seq = (performance.now() - t) / n;
  t = performance.now();
  const par = logN === 14 ? 40 : 400;
  await Promise.all(Array.from({ length: par }, () => verifySecret('demo-x', hash)));
  const perS = par / ((performance.now() - t) / 1000);
  console.log(`scrypt N=2^${logN}: ${seq.toFixed(2)} ms per check, ${Math.round(perS)} checks/s in parallel -> 100,000 first connects need ${(100_000 / perS).toFixed(0)} s of checks`);
}
