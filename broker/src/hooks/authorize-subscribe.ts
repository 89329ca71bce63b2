// Subscribe ACL: a device may listen only to its own rejections topic; the service account (the
// CityGrid server) to what the server subscribes to (SERVER_SUBSCRIPTIONS) or narrower; anonymous
// development clients to anything outside city/ (delivery is filtered in authorizeForward).
import type { Client, Subscription } from 'aedes';
import { SERVER_SUBSCRIPTIONS, deviceTopic } from '@citygrid/contract';
import { identityOf, type BrokerContext } from '../context.js';

/** True when every topic `filter` matches is matched by `allowed` too (`allowed` holds no `#`). */
export function covers(allowed: string, filter: string): boolean {
  const a = allowed.split('/');
  const f = filter.split('/');
  if (a.length !== f.length) return false;
  return a.every((level, i) => (level === '+' ? f[i] !== '#' : f[i] === level));
}

export function makeAuthorizeSubscribe(ctx: BrokerContext) {
  return function authorizeSubscribe(client: Client, sub: Subscription, done: (err: Error | null, sub?: Subscription | null) => void): void {
    const who = identityOf(ctx, client);
    if (who?.type === 'service' && SERVER_SUBSCRIPTIONS.some((allowed) => covers(allowed, sub.topic))) return done(null, sub);
    if (who?.type === 'device' && sub.topic === deviceTopic(who.id, 'rejections')) return done(null, sub);
    if (who?.type === 'anonymous' && !sub.topic.startsWith('city/') && !sub.topic.startsWith('$')) return done(null, sub);
    ctx.logger.warn({ clientId: client.id, topic: sub.topic }, 'subscription refused');
    done(null, null); // negated: SUBACK 0x80, the connection stays up
  };
}
