// A clock that ticks once a second, shared by everything that shows ages.
import { shallowRef, type Ref } from 'vue';

const now = shallowRef(Date.now());
let timer: ReturnType<typeof setInterval> | undefined;

export function useNow(): Readonly<Ref<number>> {
  timer ??= setInterval(() => { now.value = Date.now(); }, 1000);
  return now;
}
