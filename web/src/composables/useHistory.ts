// The history page's state: the filters being edited, the search last run (what a page and the CSV
// link use), the page of results the server answered, and its total. One request at a time: a new
// search or page aborts the one in flight.
import { HISTORY_DEFAULT_RANGE_MS, HISTORY_MAX_RANGE_MS, HISTORY_PAGE, type HistoryItem } from '@citygrid/contract';
import { computed, onScopeDispose, reactive, shallowRef } from 'vue';
import { historyPage, type HistoryFilters } from '../api/history';
import { isAbort, toApiError, type ApiRequestError } from '../api/http';

/** The form's fields: times as datetime-local text (this computer's time), the rest as chosen. */
export interface HistoryForm {
  from: string; to: string; district: string; grid: string; severity: string; kind: string; rule: string; state: string; assignee: string; text: string;
}

/** epoch ms -> the value of an <input type="datetime-local"> (local time, to the minute). */
export function toLocalInput(ms: number): string {
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
}

function blankForm(now: number): HistoryForm {
  return { from: toLocalInput(now - HISTORY_DEFAULT_RANGE_MS), to: toLocalInput(now + 60_000), district: '', grid: '', severity: '', kind: '', rule: '', state: '', assignee: '', text: '' };
}

/** The form as the server's filters, or null when its times are not a valid range. */
export function toFilters(form: HistoryForm): HistoryFilters | null {
  const from = new Date(form.from).getTime();
  const to = new Date(form.to).getTime();
  if (!Number.isFinite(from) || !Number.isFinite(to) || from >= to || to - from > HISTORY_MAX_RANGE_MS) return null;
  const pick = (v: string) => (v.trim() ? v.trim() : undefined);
  return {
    from, to, district: pick(form.district), grid: pick(form.grid), severity: pick(form.severity), kind: pick(form.kind),
    rule: pick(form.rule), state: pick(form.state), assignee: pick(form.assignee), text: pick(form.text),
  };
}

export function useHistory(limit: number = HISTORY_PAGE.default) {
  const form = reactive<HistoryForm>(blankForm(Date.now()));
  /** The search the page shows (set when it is run, not while the form is edited). */
  const filters = shallowRef<HistoryFilters | null>(null);
  const items = shallowRef<HistoryItem[]>([]);
  const total = shallowRef(0);
  const offset = shallowRef(0);
  const loading = shallowRef(false);
  const loaded = shallowRef(false);
  const error = shallowRef<ApiRequestError | null>(null);
  const invalid = shallowRef(false);
  let controller: AbortController | null = null;

  async function load(f: HistoryFilters, at: number) {
    controller?.abort();
    const ctl = (controller = new AbortController());
    loading.value = true;
    try {
      const page = await historyPage(f, at, limit, ctl.signal);
      filters.value = f;
      items.value = page.items;
      total.value = page.total;
      offset.value = page.offset;
      error.value = null;
      loaded.value = true;
    } catch (err) {
      if (!isAbort(err)) error.value = toApiError(err);
    } finally {
      if (controller === ctl) {
        loading.value = false;
        controller = null;
      }
    }
  }

  /** Runs the form's search from its first page. */
  function search() {
    const f = toFilters(form);
    invalid.value = f === null;
    if (f) void load(f, 0);
  }

  function reset() {
    Object.assign(form, blankForm(Date.now()));
    search();
  }

  const pages = computed(() => Math.max(1, Math.ceil(total.value / limit)));
  const page = computed(() => Math.floor(offset.value / limit));
  function go(n: number) {
    if (filters.value && n >= 0 && n < pages.value) void load(filters.value, n * limit);
  }

  onScopeDispose(() => controller?.abort());
  return { form, filters, items, total, offset, limit, page, pages, loading, loaded, error, invalid, search, reset, go };
}
