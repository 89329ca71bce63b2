// Tooltip text for the map: a cell's name and counts, a district, or a device.
import { useI18n } from 'vue-i18n';
import { localName } from '@citygrid/contract';
import { SEVERITY_COLOR } from '../lib/alerts';
import { deviceState } from '../lib/conditions';
import { escapeHtml, formatAge } from '../lib/format';
import { useAlertFeed } from './useAlertFeed';
import { useDevices } from './useDevices';
import { useGrid } from './useGrid';

interface TooltipParams { componentType?: string; seriesId?: string; name?: string }

export function useMapTooltip(): (params: unknown) => string {
  const { t, locale } = useI18n();
  const grid = useGrid();
  const devices = useDevices();
  const feed = useAlertFeed();

  const nameOf = (p: { name: string; name_en?: string }) => localName(p, locale.value);
  const line = (label: string, value: string) =>
    `<div class="tt-row"><span>${escapeHtml(label)}</span><b>${escapeHtml(value)}</b></div>`;
  const title = (text: string, sub?: string) =>
    `<div class="tt-title">${escapeHtml(text)}${sub ? ` <small>${escapeHtml(sub)}</small>` : ''}</div>`;
  const dot = (state: string) => `<i class="tt-dot tt-dot--${state}"></i>`;

  function cell(id: string): string {
    const c = grid.cellById.value.get(id);
    if (!c) return escapeHtml(id);
    const s = grid.status.value.get(id);
    const district = grid.districtById.value.get(c.properties.district);
    const condition = s?.condition ?? c.properties.status.condition;
    const alerts = feed.items.value.filter((a) => a.grid === id && a.state !== 'resolved');
    const worst = feed.cellColour.value.get(id);
    const alertLine = worst
      ? `<div class="tt-state"><i class="tt-dot" style="background:${SEVERITY_COLOR[worst]}"></i>${escapeHtml(`${t('alerts.title')} · ${t(`severity.${worst}`)} · ${alerts.length}`)}</div>`
      : '';
    return title(nameOf(c.properties), district ? nameOf(district.properties) : c.properties.district)
      + alertLine
      + `<div class="tt-state">${dot(condition)}${escapeHtml(t(`condition.${condition}`))}</div>`
      + line(t('map.devices'), t('map.online', { online: s?.online ?? 0, total: s?.devices ?? 0 }))
      + (s && (s.alarm || s.warn) ? line(t('condition.alarm'), t('map.alarmWarn', { alarm: s.alarm, warn: s.warn })) : '');
  }

  function district(id: string): string {
    const d = grid.districtById.value.get(id);
    return title(d ? nameOf(d.properties) : id, t('map.district'));
  }

  function device(id: string): string {
    const d = devices.get(id);
    if (!d) return escapeHtml(id);
    const state = deviceState(d);
    const c = grid.cellById.value.get(d.grid);
    return title(d.id, d.name)
      + `<div class="tt-state">${dot(state)}${escapeHtml(t(`condition.${state}`))}</div>`
      + line(t('devices.col.kind'), t(`kind.${d.kind}`))
      + line(t('devices.col.cell'), c ? nameOf(c.properties) : d.grid)
      + line(t('devices.col.age'), d.lastSeen ? formatAge(d.lastSeen, Date.now(), locale.value) : t('devices.never'));
  }

  return (raw: unknown) => {
    const p = raw as TooltipParams;
    const name = p.name ?? '';
    if (p.seriesId === 'cells' && name.startsWith('c:')) return cell(name.slice(2));
    if (p.componentType === 'geo') return name.startsWith('d:') ? district(name.slice(2)) : '';
    if (p.seriesId?.startsWith('dev-')) return device(name);
    return '';
  };
}
