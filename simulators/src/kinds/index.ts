// One signal model per sensor kind in the contract catalogue.
import type { SensorKind } from '@citygrid/contract';
import type { ModelContext, ModelFactory, SignalModel } from '../model.js';
import { createAirQualityModel } from './air-quality.js';
import { createBridgeModel } from './bridge.js';
import { createGasModel } from './gas.js';
import { createManholeCoverModel } from './manhole-cover.js';
import { createNoiseModel } from './noise.js';
import { createRainfallModel } from './rainfall.js';
import { createStreetlightModel } from './streetlight.js';
import { createTrafficModel } from './traffic.js';
import { createWasteBinModel } from './waste-bin.js';
import { createWaterLevelModel } from './water-level.js';
import { createWeatherModel } from './weather.js';

export const MODELS: Record<SensorKind, ModelFactory> = {
  air_quality: createAirQualityModel,
  noise: createNoiseModel,
  water_level: createWaterLevelModel,
  rainfall: createRainfallModel,
  traffic: createTrafficModel,
  manhole_cover: createManholeCoverModel,
  gas: createGasModel,
  streetlight: createStreetlightModel,
  waste_bin: createWasteBinModel,
  bridge: createBridgeModel,
  weather: createWeatherModel,
};

export function createModel(kind: SensorKind, ctx: ModelContext): SignalModel {
  return MODELS[kind](ctx);
}
