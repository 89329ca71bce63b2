// The per-user socket cap (socket-places.cases.ts), in memory as `npm start` keeps it.
import { placesCases } from './socket-places.cases.js';
import { MemorySocketPlaces } from './socket-places.js';

placesCases('MemorySocketPlaces', async ({ cap }) => new MemorySocketPlaces(cap));
