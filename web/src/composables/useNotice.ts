// Short messages for the user (a refused action, a forbidden page), shown as toasts.
import { shallowRef } from 'vue';

export interface Notice { id: number; tone: 'error' | 'info'; text: string }
const notices = shallowRef<Notice[]>([]);
let next = 1;
const SHOW_MS = 8000; // 8 seconds

export function notify(text: string, tone: Notice['tone'] = 'error'): void {
  // The same message twice in a row is shown once.
  if (notices.value.some((n) => n.text === text)) return;
  const notice = { id: next++, tone, text };
  notices.value = [...notices.value, notice].slice(-4);
  setTimeout(() => dismiss(notice.id), SHOW_MS);
}

export function dismiss(id: number): void {
  notices.value = notices.value.filter((n) => n.id !== id);
}

export function useNotice() {
  return { notices, notify, dismiss };
}
