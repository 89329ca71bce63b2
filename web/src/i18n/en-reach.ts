// English for the phone view as an installed app (merged into en.ts).
import type { zhCNReach } from './zh-CN-reach';

export const enReach: typeof zhCNReach = {
  reach: {
    offlineQueue: 'Offline — last known queue at {time}',
  },
};
