// Acknowledge and resolve, never lost: every accepted action goes into a queue kept in localStorage
// (per user) and is retried until the server confirms, across reloads, reconnects and sign-ins.
import type { Alert } from '@citygrid/contract';
import { shallowRef } from 'vue';
import { api } from '../api/endpoints';
import { createActionQueue, type ActionQueue, type ActionType, type QueuedAction } from '../lib/action-queue';
import { i18n } from '../i18n';
import { useAlertFeed } from './useAlertFeed';
import { useAuth } from './useAuth';
import { notify } from './useNotice';
import { useOnline } from './useOnline';
import { useSocket } from './useSocket';

const STORAGE_PREFIX = 'citygrid.actions.v1.';
const pending = shallowRef<readonly QueuedAction[]>([]);
let queue: ActionQueue | null = null;
let owner: string | null = null;

function storage(): Storage | null {
  try {
    return window.localStorage;
  } catch {
    return null;
  }
}

function createFor(username: string): ActionQueue {
  const feed = useAlertFeed();
  const t = i18n.global.t;
  const q = createActionQueue({
    storage: storage(),
    key: STORAGE_PREFIX + username,
    async send(a) {
      const res = a.type === 'ack' ? await api.ack(a.alertId, a.note ?? undefined) : await api.resolve(a.alertId, a.note ?? '');
      if (res?.alert) feed.upsert(res.alert);
    },
    onChange: (list) => { pending.value = [...list]; },
    onConfirmed: (a) => { void feed.refreshOne(a.alertId); },
    onDropped: (a, f) => {
      // A 403 is already explained by the API layer's "not allowed" notice.
      if (f.status !== 403) notify(t('notice.actionDropped', { action: t(`alerts.${a.type}`), alert: a.alertId, message: f.message }));
      void feed.refreshOne(a.alertId);
    },
  });
  pending.value = [...q.list()];
  return q;
}

let wired = false;
function wire() {
  if (wired) return;
  wired = true;
  const auth = useAuth();
  const start = (username: string) => {
    if (owner !== username) {
      queue?.dispose();
      queue = createFor(username);
      owner = username;
    }
    void queue!.retryNow();
  };
  if (auth.user.value) start(auth.user.value.username);
  auth.onSignIn((u) => start(u.username));
  auth.onSignOut(() => queue?.pause());
  useOnline().onBackOnline(() => void queue?.retryNow());
  useSocket().socket.on('connect', () => void queue?.retryNow());
}

export function useAlertActions() {
  wire();
  return {
    pending,
    /** The queued action types for an alert ('ack', 'resolve'), for the "pending sync" state. */
    pendingOf(alertId: string): ActionType[] {
      return pending.value.filter((a) => a.alertId === alertId).map((a) => a.type);
    },
    acknowledge(alert: Pick<Alert, 'id'>, note?: string): void {
      queue?.enqueue(alert.id, 'ack', note?.trim() || null);
    },
    resolve(alert: Pick<Alert, 'id'>, note: string): void {
      queue?.enqueue(alert.id, 'resolve', note.trim());
    },
  };
}
