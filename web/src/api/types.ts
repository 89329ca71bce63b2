// Shapes the dashboard reads that are not (yet) in @citygrid/contract's api.ts.
import type { GridCellStatus, MultiPolygonGeometry, PolygonGeometry, Position } from '@citygrid/contract';

export interface Feature<P, G> { type: 'Feature'; properties: P; geometry: G }
export interface FeatureCollection<P, G> { type: 'FeatureCollection'; features: Feature<P, G>[] }

export interface GridCellProperties {
  id: string;
  name: string;
  name_en?: string;
  district: string;
  status: GridCellStatus;
}
export type GridCell = Feature<GridCellProperties, PolygonGeometry | MultiPolygonGeometry>;
export type GridResponse = FeatureCollection<GridCellProperties, PolygonGeometry | MultiPolygonGeometry>;

export interface DistrictProperties { id: string; name: string; name_en?: string }
export type District = Feature<DistrictProperties, PolygonGeometry | MultiPolygonGeometry>;
export type DistrictsResponse = FeatureCollection<DistrictProperties, PolygonGeometry | MultiPolygonGeometry>;

export interface CityResponse { name: string; name_en?: string; center?: Position }
