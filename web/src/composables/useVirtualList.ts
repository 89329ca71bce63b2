// Render only the rows in view (fixed row height): keeps 1,000+ live rows cheap.
import { computed, onBeforeUnmount, onMounted, shallowRef, watch, type Ref } from 'vue';

export function useVirtualList(count: Ref<number>, rowHeight: number, overscan = 6) {
  const viewport = shallowRef<HTMLElement | null>(null);
  const scrollTop = shallowRef(0);
  const height = shallowRef(600);
  let observer: ResizeObserver | undefined;

  function onScroll() {
    if (viewport.value) scrollTop.value = viewport.value.scrollTop;
  }

  onMounted(() => {
    observer = new ResizeObserver(() => {
      if (viewport.value) height.value = viewport.value.clientHeight;
    });
    if (viewport.value) observer.observe(viewport.value);
  });
  onBeforeUnmount(() => observer?.disconnect());

  // When the list shrinks under the scroll position (a filter), go back to the top.
  watch(count, (n) => {
    if (viewport.value && scrollTop.value > n * rowHeight) {
      viewport.value.scrollTop = 0;
      scrollTop.value = 0;
    }
  });

  const start = computed(() => Math.max(0, Math.floor(scrollTop.value / rowHeight) - overscan));
  const end = computed(() =>
    Math.min(count.value, Math.ceil((scrollTop.value + height.value) / rowHeight) + overscan));

  return {
    viewport,
    onScroll,
    start,
    end,
    padTop: computed(() => start.value * rowHeight),
    totalHeight: computed(() => count.value * rowHeight),
    scrollToTop() {
      if (viewport.value) viewport.value.scrollTop = 0;
    },
  };
}
