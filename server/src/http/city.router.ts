// The city's shape with live status: GET /api/city, /api/grid, /api/districts.
import { Router } from 'express';
import type { CityMeta, CityResponse, DistrictsResponse, GridCellPeople, GridResponse } from '@citygrid/contract';
import type { AppDeps } from './app.js';

export function cityRouter({ city, registry }: AppDeps): Router {
  const router = Router();
  // what the contract says, not every key city.yaml may hold
  const { name_en, center } = city.meta as Pick<CityMeta, 'name_en' | 'center'>;
  const meta: CityResponse = { name: city.name, ...(name_en ? { name_en } : {}), ...(center ? { center } : {}) };
  router.get('/city', (_req, res) => {
    res.json(meta);
  });
  router.get('/grid', (_req, res) => {
    const status = registry.gridStatus();
    // only username and name: people.yaml also holds password hashes
    const ref = (p: { username: string; name: string }) => ({ username: p.username, name: p.name });
    const peopleOf = (cell: string, district: string): GridCellPeople => ({
      workers: city.people.filter((p) => p.grids?.includes(cell)).map(ref),
      supervisors: city.people.filter((p) => p.districts?.includes(district)).map(ref),
    });
    res.json({
      type: 'FeatureCollection',
      features: city.cells.map((c) => ({
        type: 'Feature',
        properties: { ...c.feature.properties, status: status.get(c.id)!, people: peopleOf(c.id, c.district) }, // gridStatus() has every cell
        geometry: c.feature.geometry,
      })),
    } satisfies GridResponse);
  });
  router.get('/districts', (_req, res) => {
    res.json({
      type: 'FeatureCollection',
      features: city.districts.flatMap((d) => (d.feature ? [d.feature] : [])),
    } satisfies DistrictsResponse);
  });
  return router;
}
