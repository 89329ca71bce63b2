// Owns one ECharts instance: create on mount, resize with its box, dispose on unmount. The instance
// is also reachable from its element (non-enumerable `echarts` property), for browser tests and the
// devtools console: echarts.getInstanceByDom would need this bundle's copy of echarts.
import { onBeforeUnmount, onMounted, shallowRef, type Ref } from 'vue';
import { echarts, type ECharts, type EChartsCoreOption, type SetOptionOpts } from '../lib/echarts';

/** The chart's element carries its instance under this name. */
export const CHART_PROPERTY = 'echarts';

export function useEChart(el: Ref<HTMLElement | null>, onReady?: (chart: ECharts) => void) {
  const chart = shallowRef<ECharts | null>(null);
  let observer: ResizeObserver | undefined;
  const queued: [EChartsCoreOption, SetOptionOpts | undefined][] = [];

  onMounted(() => {
    if (!el.value) return;
    const c = echarts.init(el.value, null, { renderer: 'canvas' });
    chart.value = c;
    Object.defineProperty(el.value, CHART_PROPERTY, { value: c, configurable: true });
    observer = new ResizeObserver(() => c.resize());
    observer.observe(el.value);
    onReady?.(c);
    for (const args of queued.splice(0)) c.setOption(...args);
  });

  onBeforeUnmount(() => {
    observer?.disconnect();
    if (el.value) delete (el.value as unknown as Record<string, unknown>)[CHART_PROPERTY];
    chart.value?.dispose();
    chart.value = null;
  });

  /** Safe before mount: options are applied in order once the chart exists. */
  function setOption(option: EChartsCoreOption, opts?: SetOptionOpts) {
    if (chart.value) chart.value.setOption(option, opts);
    else queued.push([option, opts]);
  }

  return { chart, setOption };
}
