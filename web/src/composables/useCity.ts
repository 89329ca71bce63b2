// The city's name (GET /api/city), in the current language.
import { localName, type CityResponse } from '@citygrid/contract';
import { computed, effectScope, shallowRef, watch } from 'vue';
import { useI18n } from 'vue-i18n';
import { api } from '../api/endpoints';
import { useSocket } from './useSocket';

const city = shallowRef<CityResponse | null>(null);
let started = false;

async function load() {
  try {
    city.value = await api.city();
  } catch { /* the header shows the product name until the server answers */ }
}

export function useCity() {
  const { locale } = useI18n();
  if (!started) {
    started = true;
    void load();
    effectScope(true).run(() => watch(useSocket().connects, () => { if (!city.value) void load(); }));
  }
  const name = computed(() => {
    const c = city.value;
    if (!c) return null;
    return localName(c, locale.value);
  });
  return { city, name, reload: load };
}
