// Dispatch, verify and send back: the supervisor's actions on an alert, sent at once (not queued like
// the grid worker's acknowledge and resolve: they are made at a desk, and a refusal must be seen now).
// The people alerts can be dispatched to are loaded once, on first use.
import type { DispatchTarget } from '@citygrid/contract';
import { shallowRef } from 'vue';
import { api } from '../api/endpoints';
import { i18n } from '../i18n';
import { useAlertFeed } from './useAlertFeed';
import { notify } from './useNotice';

const people = shallowRef<readonly DispatchTarget[]>([]);
let loading: Promise<void> | null = null;

export type SupervisorAction = 'verify' | 'sendBack' | 'dispatch';

export function useSupervision() {
  const feed = useAlertFeed();
  const t = i18n.global.t;

  async function run(action: SupervisorAction, call: () => Promise<{ alert: import('@citygrid/contract').Alert } | null | undefined>): Promise<boolean> {
    try {
      const res = await call();
      if (res?.alert) feed.upsert(res.alert);
      return true;
    } catch (err) {
      const status = (err as { status?: number }).status;
      // a 403 is already explained by the API layer's "not allowed" notice
      if (status !== 403) notify(t('loop.failed', { action: t(`loop.${action}`), message: (err as Error).message }));
      return false;
    }
  }

  return {
    people,
    loadPeople(): Promise<void> {
      loading ??= api.people().then((r) => { people.value = r?.people ?? []; }, () => { loading = null; });
      return loading;
    },
    verify: (alertId: string, note: string) => run('verify', () => api.verify(alertId, note.trim() || undefined)),
    sendBack: (alertId: string, note: string) => run('sendBack', () => api.sendBack(alertId, note.trim())),
    dispatch: (alertId: string, to: string, note: string) => run('dispatch', () => api.dispatch(alertId, to, note.trim() || undefined)),
  };
}
