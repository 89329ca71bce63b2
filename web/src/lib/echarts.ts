// ECharts, tree-shaken: only the charts and components the dashboard draws.
import * as echarts from 'echarts/core';
import { BarChart, CustomChart, EffectScatterChart, LineChart, LinesChart, ScatterChart } from 'echarts/charts';
import {
  GeoComponent, GridComponent, LegendComponent, MarkLineComponent, TooltipComponent,
} from 'echarts/components';
import { CanvasRenderer } from 'echarts/renderers';

echarts.use([
  GeoComponent, GridComponent, LegendComponent, MarkLineComponent, TooltipComponent,
  ScatterChart, EffectScatterChart, LinesChart, CustomChart, LineChart, BarChart, CanvasRenderer,
]);

export { echarts };
export type { ECharts, EChartsCoreOption, SetOptionOpts } from 'echarts/core';
