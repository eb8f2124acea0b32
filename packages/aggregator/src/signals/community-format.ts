import { DR_EVENT_TYPES, DR_PROGRAMS, type DrEventType, type DrProgram } from '../contracts.js';
import { localWallToUtc } from './local-start.js';
import { DEFAULT_EVENT_DURATION_MINUTES, checkEventWindow, defaultEventId, type ParseResult } from './parsed-event.js';

/**
 * The community virtual power plant's event message (communityvirtualpowerplant smartPowerStation,
 * components/MQTT.py): `<program>#<type>#<start YYYY-MM-DD HH:MM:SS local>#<sent timestamp>`.
 * It carries no end, goal, id or cancellation: events last 4 h, the user's goal applies, and the
 * id is `<program>-<start>`, so the aggregator repeating the message is one event.
 */
const LOCAL_TIME = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})$/;
/** The sent timestamp is kept as it came (shown, not interpreted); printable, bounded. */
const SENT_AT = /^[\x20-\x7e]{1,64}$/;

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

export function parseCommunityEvent(
  text: string,
  ctx: { readonly timeZone: string; readonly receivedAtMs: number },
): ParseResult {
  const fields = text.trim().split('#');
  if (fields.length !== 4) {
    return {
      ok: false,
      reason: `community format: expected 4 '#'-separated fields (program#type#start#sent), got ${fields.length}`,
    };
  }
  const [programText, typeText, startText, sentText] = fields.map((f) => f.trim()) as [string, string, string, string];
  const program = programText.toUpperCase();
  if (!(DR_PROGRAMS as readonly string[]).includes(program)) {
    return { ok: false, reason: `program: expected one of ${DR_PROGRAMS.join(', ')}` };
  }
  const type = typeText.toLowerCase();
  if (!(DR_EVENT_TYPES as readonly string[]).includes(type)) {
    return { ok: false, reason: `type: expected one of ${DR_EVENT_TYPES.join(', ')}` };
  }
  const m = LOCAL_TIME.exec(startText);
  if (!m) return { ok: false, reason: 'start: expected a local time YYYY-MM-DD HH:MM:SS' };
  const [year, month, day, hour, minute, second] = m.slice(1).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month) || hour > 23 || minute > 59 || second > 59) {
    return { ok: false, reason: `start: ${startText} is not a date and time` };
  }
  if (!SENT_AT.test(sentText)) return { ok: false, reason: 'sent timestamp: expected 1–64 printable characters' };
  let start;
  try {
    start = localWallToUtc({ year, month, day, hour, minute, second }, ctx.timeZone);
  } catch {
    return { ok: false, reason: `time zone: ${ctx.timeZone} is not an IANA time zone` };
  }
  const endMs = start.ms + DEFAULT_EVENT_DURATION_MINUTES * 60_000;
  const bad = checkEventWindow(start.ms, endMs, ctx.receivedAtMs);
  if (bad !== null) return { ok: false, reason: bad };
  const event = {
    id: defaultEventId(program as DrProgram, start.ms),
    program: program as DrProgram,
    type: type as DrEventType,
    startMs: start.ms,
    endMs,
    goalKw: null,
    goalPct: null,
    status: 'active' as const,
    receivedAtMs: ctx.receivedAtMs,
    sentAt: sentText,
  };
  return start.note === null ? { ok: true, event } : { ok: true, event, warning: start.note };
}

/** The community payload for an event, for `sps dr send` and tests; `start` is the local wall time as text. */
export function formatCommunityEvent(
  program: DrProgram,
  type: DrEventType,
  localStart: string,
  sentAt: string,
): string {
  return `${program}#${type}#${localStart}#${sentAt}`;
}
