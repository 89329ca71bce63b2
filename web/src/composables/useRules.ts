// The alert rules (GET /api/rules), fetched once and shared: charts draw their threshold levels.
import type { RuleStatusView } from '@citygrid/contract';
import { effectScope, shallowRef, watch } from 'vue';
import { api } from '../api/endpoints';
import { useSocket } from './useSocket';

const rules = shallowRef<RuleStatusView[]>([]);
const loaded = shallowRef(false);
let started = false;

async function load(): Promise<void> {
  try {
    rules.value = (await api.rules()).rules;
    loaded.value = true;
  } catch { /* charts still show the catalogue lines without the rules */ }
}

export function useRules() {
  if (!started) {
    started = true;
    void load();
    effectScope(true).run(() => watch(useSocket().connects, () => { if (!loaded.value) void load(); }));
  }
  return { rules, loaded, reload: load };
}
