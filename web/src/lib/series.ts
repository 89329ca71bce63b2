// A point of a (possibly downsampled) series: raw values have mean = min = max.
export interface ChartPoint { ts: number; mean: number; min: number; max: number }
