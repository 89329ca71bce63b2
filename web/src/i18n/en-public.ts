// English for the public city conditions page (no sign-in; merged into en.ts).
import type { zhCNPublic } from './zh-CN-public';

export const enPublic: typeof zhCNPublic = {
  public: {
    title: 'City conditions',
    subtitle: 'What the sensors measured in each grid cell over the last hour, and the alerts open in each district now. Public, with no personal data.',
    updated: 'Updated {time} (every minute)',
    window: 'Period: {from} – {to}',
    mapLabel: 'Map of {city}\'s grid cells by condition',
    legend: { ok: 'Normal', warn: 'Watch', alarm: 'Abnormal', none: 'No data' },
    cellTitle: '{cell} ({district}): {condition}',
    cellsSummary: '{ok} cells normal, {warn} to watch, {alarm} abnormal, {none} without data',
    districts: 'Open alerts by district',
    district: 'District',
    total: 'Total',
    noAlerts: 'No alerts are open now.',
    licence: 'Data under {licence}; attribution: {attribution}.',
    openData: 'Open data (CSV, NGSI-LD)',
    signIn: 'Staff sign-in',
    loading: 'Loading the city\'s conditions…',
    failed: 'Could not load the city\'s conditions just now: {message}. Trying again in a minute.',
  },
};
