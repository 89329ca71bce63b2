// Text that rules and people wrote, made safe for one line of a message; and times as China reads them.
/** The longest text one field carries. */
export const MAX_TEXT = 1000;

/** One line of plain text: control characters and line breaks become spaces, runs of spaces collapse. */
export function plainLine(input: string, max = MAX_TEXT): string {
  const line = input.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, ' ').replace(/\s+/g, ' ').trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

/** `2026-11-28 14:03` in Asia/Shanghai (UTC+8 all year: China has had no daylight saving since 1991). */
export function shanghaiTime(epochMs: number): string {
  const d = new Date(epochMs + 8 * 3_600_000);
  return Number.isFinite(d.getTime()) ? d.toISOString().slice(0, 16).replace('T', ' ') : '-';
}
