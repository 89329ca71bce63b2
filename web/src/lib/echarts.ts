// ECharts, tree-shaken: only the charts and components the dashboard draws.
import * as echarts from 'echarts/core';
import { LineChart, LinesChart, ScatterChart } from 'echarts/charts';
import {
  GeoComponent, GridComponent, MarkLineComponent, TooltipComponent,
} from 'echarts/components';
import { CanvasRenderer } from 'echarts/renderers';

echarts.use([
  GeoComponent, GridComponent, MarkLineComponent, TooltipComponent,
  ScatterChart, LinesChart, LineChart, CanvasRenderer,
]);

export { echarts };
export type { ECharts, EChartsCoreOption, SetOptionOpts } from 'echarts/core';
