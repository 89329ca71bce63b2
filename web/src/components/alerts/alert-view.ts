// What an alert row shows, translated and formatted: built by useAlertViews() for the feed and the
// phone view; AlertItem and PhoneAlertCard only display it.
import { alertDetail, alertGuidance, alertHeadline, localName, metricsOf, SEVERITY_LEVEL, type Alert, type AlertState, type Locale, type Severity } from '@citygrid/contract';
import { useI18n } from 'vue-i18n';
import { useAlertActions } from '../../composables/useAlertActions';
import { useAuth } from '../../composables/useAuth';
import { useDevices } from '../../composables/useDevices';
import { useGrid } from '../../composables/useGrid';
import type { ActionType } from '../../lib/action-queue';
import { canAct, canSupervise } from '../../lib/alerts';
import { formatAge, formatClock, formatMetricValue, formatNumber, formatTime } from '../../lib/format';

export interface AlertView {
  id: string;
  severity: Severity;
  state: AlertState;
  severityLabel: string;
  stateLabel: string;
  message: string;
  guidance: string;
  cell: string;
  /** The cell's id: its page is #/cells/<id>. */
  cellId: string;
  district: string;
  /** "<kind> <id>" of each device ("Manhole cover mh-0001"). */
  devices: string[];
  values: string;
  startedAt: string;
  age: string;
  /** Acknowledge countdown while it still needs acknowledging; then the countdown to handle it. */
  deadline: { text: string; overdue: boolean } | null;
  escalation: string | null;
  assignees: string[];
  actedBy: string | null;
  suppressed: boolean;
  flapping: boolean;
  reraised: boolean;
  incident: string | null;
  /** Receipts of the residents' reports that joined it (AlertReports reads their texts). */
  reports: string[];
  canAct: boolean;
  /** Dispatch, verify, send back (a supervisor in their districts, an operator, an admin). */
  canSupervise: boolean;
  pending: ActionType[];
}

export function useAlertViews() {
  const { t, te, locale } = useI18n();
  const grid = useGrid();
  const devices = useDevices();
  const auth = useAuth();
  const actions = useAlertActions();

  const nameOf = (p?: { name: string; name_en?: string }) => p && localName(p, locale.value);

  /** The values behind the alert in the user's language: the device's metrics first, then what
   *  the rule reports (threshold, ETA, events...). "Level: 34.2 cm · Threshold: 30" */
  function translated(a: Alert): string {
    const kind = a.devices[0] ? devices.get(a.devices[0])?.kind : undefined;
    const metrics = kind ? metricsOf(kind) : {};
    const parts: string[] = [];
    for (const [k, v] of Object.entries(a.values)) {
      if (typeof v === 'string') continue;
      if (kind && k in metrics) parts.unshift(`${te(`metric.${k}`) ? t(`metric.${k}`) : k}: ${formatMetricValue(kind, k, v, locale.value, t)}`);
      else if (te(`alertValue.${k}`) && typeof v === 'number') parts.push(`${t(`alertValue.${k}`)}: ${formatNumber(v, locale.value, 2)}`);
    }
    return parts.slice(0, 4).join(' · ');
  }

  const lang = (): Locale => (locale.value === 'zh-CN' ? 'zh-CN' : 'en');

  /** The alert's detail in the user's language, from the contract's catalogue ("水位 36.0 cm，高于 30 cm");
   *  an alert recorded before it had one (its message says it all): our translation of its values. */
  function values(a: Alert): string {
    return alertDetail(a, lang()) ?? translated(a);
  }

  return function toView(a: Alert, now: number): AlertView {
    const pending = actions.pendingOf(a.id);
    const open = a.state === 'firing' || a.state === 'pending';
    const left = a.ackDeadline - now;
    const toHandle = a.state === 'acknowledged' && a.resolveDeadline != null ? a.resolveDeadline - now : null;
    const who = a.state === 'resolved' ? a.resolvedBy : a.state === 'acknowledged' ? a.acknowledgedBy : a.state === 'handled' ? a.handledBy ?? null : null;
    const byKey = a.state === 'resolved' ? 'alerts.resolvedBy' : a.state === 'handled' ? 'loop.handledBy' : 'alerts.acknowledgedBy';
    return {
      id: a.id,
      severity: a.severity,
      state: a.state,
      severityLabel: t('severityLevel', { colour: t(`severity.${a.severity}`), roman: SEVERITY_LEVEL[a.severity] }),
      stateLabel: t(`alertState.${a.state}`),
      message: alertHeadline(a, lang()),
      guidance: alertGuidance(a, lang()),
      cell: nameOf(grid.cellById.value.get(a.grid)?.properties) ?? a.grid,
      cellId: a.grid,
      district: nameOf(grid.districtById.value.get(a.district)?.properties) ?? a.district,
      devices: a.devices.map((id) => {
        const kind = devices.get(id)?.kind;
        return kind ? `${t(`kind.${kind}`)} ${id}` : id;
      }),
      values: values(a),
      startedAt: formatTime(a.firedAt ?? a.startedAt, locale.value, true),
      age: formatAge(a.firedAt ?? a.startedAt, now, locale.value),
      deadline: pending.includes('ack') || pending.includes('resolve') ? null
        : open ? { text: left >= 0 ? t('alerts.deadlineIn', { t: formatClock(left) }) : t('alerts.overdue', { t: formatClock(left) }), overdue: left < 0 }
        : toHandle !== null ? { text: t(toHandle >= 0 ? 'loop.resolveIn' : 'loop.resolveOverdue', { t: formatClock(toHandle) }), overdue: toHandle < 0 }
        : null,
      escalation: a.escalation > 0 ? t('alerts.escalated', { level: t(`escalation.l${a.escalation}`) }) : null,
      assignees: a.assignees,
      actedBy: who ? t(byKey, { user: who }) : null,
      suppressed: a.suppressed,
      flapping: Boolean(a.flapping),
      reraised: Boolean(a.reraises),
      incident: a.parts?.length ? t('alerts.incident', { n: a.parts.length }) : null,
      reports: a.reports ?? [],
      canAct: canAct(auth.user.value, a) && !pending.includes('resolve'),
      canSupervise: canSupervise(auth.user.value, a),
      pending,
    };
  };
}
