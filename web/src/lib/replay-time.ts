// Times in the replay's controls, pure and free of imports (the e2e test uses it too): datetime-local
// values in the browser's time zone, and a frame's width in words. Unit-tested in replay-state.test.ts.
const pad = (n: number) => String(n).padStart(2, '0');
/** Epoch ms as a datetime-local input's value (the browser's local time, to the second). */
export function toLocalInput(ms: number): string {
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}
/** A datetime-local input's value as epoch ms (NaN when empty or not a time). */
export function fromLocalInput(value: string): number {
  return /^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?$/.test(value) ? new Date(value).getTime() : Number.NaN;
}

/** A frame's width in words of the locale: "10 sec", "2 min", "1 hr" ("10秒", "2分钟", "1小时"). */
export function formatStep(ms: number, locale: string): string {
  const [value, unit] = ms < 60_000 ? [ms / 1000, 'second'] : ms < 3_600_000 ? [ms / 60_000, 'minute'] : [ms / 3_600_000, 'hour'];
  return new Intl.NumberFormat(locale, { style: 'unit', unit, unitDisplay: 'short', maximumFractionDigits: 1 }).format(value);
}
