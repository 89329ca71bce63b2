// Subscribe ACL: a device may listen only to its own rejections topic; the server to everything;
// anonymous development clients to anything outside city/ (delivery is filtered in authorizeForward).
import type { Client, Subscription } from 'aedes';
import { deviceTopic } from '@citygrid/contract';
import { identityOf, type BrokerContext } from '../context.js';

export function makeAuthorizeSubscribe(ctx: BrokerContext) {
  return function authorizeSubscribe(client: Client, sub: Subscription, done: (err: Error | null, sub?: Subscription | null) => void): void {
    const who = identityOf(ctx, client);
    if (who?.type === 'service') return done(null, sub);
    if (who?.type === 'device' && sub.topic === deviceTopic(who.id, 'rejections')) return done(null, sub);
    if (who?.type === 'anonymous' && !sub.topic.startsWith('city/') && !sub.topic.startsWith('$')) return done(null, sub);
    ctx.logger.warn({ clientId: client.id, topic: sub.topic }, 'subscription refused');
    done(null, null); // negated: SUBACK 0x80, the connection stays up
  };
}
