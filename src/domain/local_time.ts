/**
 * Published times are central Mexico time, a fixed offset (UTC-6 since Mexico dropped DST in
 * 2022). The offset is a setting of the election; formatting is pure arithmetic, never the
 * machine's time zone.
 */
export interface LocalParts {
  readonly year: number;
  readonly month: number;
  readonly day: number;
  readonly hour: number;
  readonly minute: number;
  readonly second: number;
}

export function localParts(epochMs: number, utcOffsetMinutes: number): LocalParts {
  const shifted = new Date(epochMs + utcOffsetMinutes * 60_000);
  return {
    year: shifted.getUTCFullYear(),
    month: shifted.getUTCMonth() + 1,
    day: shifted.getUTCDate(),
    hour: shifted.getUTCHours(),
    minute: shifted.getUTCMinutes(),
    second: shifted.getUTCSeconds(),
  };
}

function two(value: number): string {
  return String(value).padStart(2, '0');
}

/** `UTC-6` for -360. */
export function utcOffsetLabel(utcOffsetMinutes: number): string {
  const sign = utcOffsetMinutes < 0 ? '-' : '+';
  const abs = Math.abs(utcOffsetMinutes);
  const hours = Math.floor(abs / 60);
  const minutes = abs % 60;
  return `UTC${sign}${hours}${minutes === 0 ? '' : `:${two(minutes)}`}`;
}

const DAY_MS = 86_400_000;
const dayLabels = new Map<number, string>();

/** `DD/MM/YYYY HH:MM:SS`, the acta timestamps of the CSV. Hot: a national cut formats ~1.5 million. */
export function formatActaTimestamp(epochMs: number, utcOffsetMinutes: number): string {
  const local = epochMs + utcOffsetMinutes * 60_000;
  const day = Math.floor(local / DAY_MS);
  let label = dayLabels.get(day);
  if (label === undefined) {
    const p = localParts(day * DAY_MS, 0);
    label = `${two(p.day)}/${two(p.month)}/${p.year}`;
    if (dayLabels.size < 10_000) dayLabels.set(day, label);
  }
  const seconds = Math.floor((local - day * DAY_MS) / 1000);
  return `${label} ${two(Math.floor(seconds / 3600))}:${two(Math.floor(seconds / 60) % 60)}:${two(seconds % 60)}`;
}

/** `DD/MM/YYYY HH:MM (UTC-6)`, line 2 of the CSV. */
export function formatCutLine(epochMs: number, utcOffsetMinutes: number): string {
  const p = localParts(epochMs, utcOffsetMinutes);
  return `${two(p.day)}/${two(p.month)}/${p.year} ${two(p.hour)}:${two(p.minute)} (${utcOffsetLabel(utcOffsetMinutes)})`;
}

/** `YYYYMMDD_HHMM`, the id of a cut and the stem of its zip. */
export function formatCutId(epochMs: number, utcOffsetMinutes: number): string {
  const p = localParts(epochMs, utcOffsetMinutes);
  return `${p.year}${two(p.month)}${two(p.day)}_${two(p.hour)}${two(p.minute)}`;
}

/** ISO 8601 with the local offset, e.g. 2024-06-02T20:05:00-06:00. */
export function formatIsoLocal(epochMs: number, utcOffsetMinutes: number): string {
  const p = localParts(epochMs, utcOffsetMinutes);
  const sign = utcOffsetMinutes < 0 ? '-' : '+';
  const abs = Math.abs(utcOffsetMinutes);
  return `${p.year}-${two(p.month)}-${two(p.day)}T${two(p.hour)}:${two(p.minute)}:${two(p.second)}${sign}${two(Math.floor(abs / 60))}:${two(abs % 60)}`;
}
