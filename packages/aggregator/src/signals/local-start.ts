import { localParts, offsetMs } from '@sps/core';

/**
 * A local wall-clock time in an IANA zone → the UTC instant, saying what it did at a DST change.
 *
 * The community aggregator (Python) sends naive local times. We read them the way Python's zoneinfo
 * does with fold=0 (PEP 495), so both sides agree on the instant:
 * - a time the clocks skip (spring forward, e.g. 02:30 in New York on the second Sunday of March)
 *   is read with the offset in force before the jump, landing one hour later by the new clock (03:30);
 * - a time the clocks show twice (fall back, 01:30) is the first of the two (still summer time).
 * Either case comes back with a note, which the caller logs: the sender may have meant something else.
 */
export interface LocalWallTime {
  readonly year: number;
  readonly month: number;
  readonly day: number;
  readonly hour: number;
  readonly minute: number;
  readonly second: number;
}

export type LocalStartResult = { readonly ms: number; readonly note: string | null };

function pad(n: number): string {
  return String(n).padStart(2, '0');
}

function formatWall(t: LocalWallTime): string {
  return `${t.year}-${pad(t.month)}-${pad(t.day)} ${pad(t.hour)}:${pad(t.minute)}:${pad(t.second)}`;
}

function matchesWall(ms: number, timeZone: string, t: LocalWallTime): boolean {
  const p = localParts(ms, timeZone);
  return (
    p.year === t.year &&
    p.month === t.month &&
    p.day === t.day &&
    p.hour === t.hour &&
    p.minute === t.minute &&
    p.second === t.second
  );
}

export function localWallToUtc(t: LocalWallTime, timeZone: string): LocalStartResult {
  const wall = Date.UTC(t.year, t.month - 1, t.day, t.hour, t.minute, t.second);
  // Every offset in use within a day of the wall time; real zones change at most once or twice a day.
  const offsets = new Set<number>();
  for (const probe of [
    wall - 36 * 3_600_000,
    wall - 12 * 3_600_000,
    wall,
    wall + 12 * 3_600_000,
    wall + 36 * 3_600_000,
  ]) {
    offsets.add(offsetMs(probe, timeZone));
  }
  const candidates = [...offsets]
    .map((o) => wall - o)
    .filter((ms) => matchesWall(ms, timeZone, t))
    .sort((a, b) => a - b);
  const first = candidates[0];
  if (first !== undefined) {
    const unique = [...new Set(candidates)];
    if (unique.length === 1) return { ms: first, note: null };
    return {
      ms: first,
      note: `start ${formatWall(t)} happens twice in ${timeZone} (clocks go back); read as the first, ${new Date(first).toISOString()}`,
    };
  }
  // The clocks skip this time: use the offset in force just before the jump.
  const before = offsetMs(wall - 24 * 3_600_000, timeZone);
  const ms = wall - before;
  return {
    ms,
    note: `start ${formatWall(t)} does not exist in ${timeZone} (clocks go forward); read as ${new Date(ms).toISOString()}`,
  };
}
