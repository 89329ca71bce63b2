// Delivery filter: dropped packets go nowhere; anonymous clients never receive city data.
import type { AedesPublishPacket, Client } from 'aedes';
import { identityOf, type BrokerContext } from '../context.js';
import { DROPPED_PREFIX } from './authorize-publish.js';

export function makeAuthorizeForward(ctx: BrokerContext) {
  return function authorizeForward(client: Client, packet: AedesPublishPacket): AedesPublishPacket | null {
    if (packet.topic.startsWith(DROPPED_PREFIX)) return null;
    if (packet.topic.startsWith('city/') && identityOf(ctx, client)?.type === 'anonymous') return null;
    return packet;
  };
}
