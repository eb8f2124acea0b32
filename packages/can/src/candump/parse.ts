import { canFrameProblem, MAX_CAN_DATA_LENGTH, type CanFrame } from '../frame.js';

/**
 * One line of a candump capture (linux-can/can-utils), in either of its two common shapes:
 * - the log format (`candump -l` files, `candump -L`): `(1700000000.000000) can0 351#1402B0044006C201`,
 *   an 8-digit id for an extended frame, `123#R` / `123#R4` for a remote request, `123##1…` for CAN FD;
 * - the default screen format: `can0  351   [8]  14 02 B0 04 40 06 C2 01`, optionally behind a
 *   `(secs.usecs)` timestamp (`-ta`/`-tz`) and followed by `'ascii'` (`-a`), with `remote request`
 *   in place of the bytes for a remote frame.
 * Remote, CAN FD and error frames are skipped with a note; blank lines and `#` comments too.
 */
export type CandumpLine =
  | { readonly kind: 'frame'; readonly frame: CanFrame; readonly interface: string }
  /** Nothing to replay on this line, for a reason that is not an error (blank, comment, remote frame…). */
  | { readonly kind: 'skip'; readonly reason: string }
  | { readonly kind: 'malformed'; readonly reason: string };

const HEX = /^[0-9a-fA-F]+$/;
const TIMESTAMP = /^\((\d{1,12})(?:\.(\d{1,9}))?\)$/;
/** CAN_ERR_FLAG: candump writes error frames with it set in an 8-digit id. */
const CAN_ERR_FLAG = 0x20000000;

const malformed = (reason: string): CandumpLine => ({ kind: 'malformed', reason });
const skip = (reason: string): CandumpLine => ({ kind: 'skip', reason });

function parseTimestamp(token: string): number | null {
  const match = TIMESTAMP.exec(token);
  if (match === null) return null;
  const fraction = match[2] ?? '';
  return Number(match[1]) * 1000 + (fraction === '' ? 0 : Number(`0.${fraction}`) * 1000);
}

/** `351` → standard, `0000351`/8 digits → extended (can-utils lib.c: 3 digits SFF, 8 digits EFF). */
function parseId(token: string): { id: number; extended: boolean } | string {
  if (!HEX.test(token)) return `bad CAN id "${token.slice(0, 16)}"`;
  if (token.length === 8) {
    const raw = Number.parseInt(token, 16);
    if ((raw & CAN_ERR_FLAG) !== 0) return 'error frame';
    return { id: raw, extended: true };
  }
  if (token.length > 3)
    return `bad CAN id "${token.slice(0, 16)}" (3 hex digits for a standard id, 8 for an extended one)`;
  return { id: Number.parseInt(token, 16), extended: false };
}

function frameOrProblem(
  id: { id: number; extended: boolean },
  bytes: number[],
  timestampMs: number | null,
  iface: string,
): CandumpLine {
  const frame: CanFrame =
    timestampMs === null
      ? { ...id, data: Uint8Array.from(bytes) }
      : { ...id, data: Uint8Array.from(bytes), timestampMs };
  const problem = canFrameProblem(frame);
  return problem === null ? { kind: 'frame', frame, interface: iface } : malformed(problem);
}

/** `351#1402B004…` (log format). */
function parseCompact(token: string, timestampMs: number | null, iface: string): CandumpLine {
  const hash = token.indexOf('#');
  const id = parseId(token.slice(0, hash));
  if (id === 'error frame') return skip('error frame');
  if (typeof id === 'string') return malformed(id);
  const payload = token.slice(hash + 1);
  if (payload.startsWith('#')) return skip('CAN FD frame (not supported)');
  if (/^R\d?$/i.test(payload)) return skip('remote frame');
  // can-utils accepts '.' between bytes for readability (`351#14.02.B0`).
  const hex = payload.replaceAll('.', '');
  if (hex !== '' && !HEX.test(hex)) return malformed(`bad data "${payload.slice(0, 24)}" (expected hex)`);
  if (hex.length % 2 !== 0) return malformed(`bad data "${payload.slice(0, 24)}" (odd number of hex digits)`);
  if (hex.length > MAX_CAN_DATA_LENGTH * 2) return malformed(`more than ${MAX_CAN_DATA_LENGTH} data bytes`);
  const bytes: number[] = [];
  for (let i = 0; i < hex.length; i += 2) bytes.push(Number.parseInt(hex.slice(i, i + 2), 16));
  return frameOrProblem(id, bytes, timestampMs, iface);
}

/** `351   [8]  14 02 …` (screen format), tokens after the interface. */
function parseSpaced(tokens: readonly string[], timestampMs: number | null, iface: string): CandumpLine {
  const [idToken, dlcToken, ...rest] = tokens;
  if (idToken === undefined || dlcToken === undefined) return malformed('expected an id and [length]');
  const id = parseId(idToken);
  if (id === 'error frame') return skip('error frame');
  if (typeof id === 'string') return malformed(id);
  const dlc = /^\[(\d{1,2})\]$/.exec(dlcToken);
  if (dlc === null) return malformed(`bad length "${dlcToken.slice(0, 8)}" (expected [0]..[8])`);
  const length = Number(dlc[1]);
  if (length > MAX_CAN_DATA_LENGTH) return malformed(`length [${length}] is more than ${MAX_CAN_DATA_LENGTH}`);
  if (rest[0] === 'remote') return skip('remote frame');
  const byteTokens = rest.slice(0, length);
  const after = rest.slice(length);
  // `-a` appends the bytes as ASCII in quotes; anything else after the bytes is not candump's.
  if (after.length > 0 && !after.join(' ').startsWith("'")) return malformed(`unexpected text after ${length} bytes`);
  if (byteTokens.length !== length) return malformed(`[${length}] but ${byteTokens.length} data bytes`);
  const bytes: number[] = [];
  for (const token of byteTokens) {
    if (!/^[0-9a-fA-F]{2}$/.test(token)) return malformed(`bad data byte "${token.slice(0, 8)}"`);
    bytes.push(Number.parseInt(token, 16));
  }
  return frameOrProblem(id, bytes, timestampMs, iface);
}

/** One line of a candump capture → a frame, a skip with its reason, or why it is malformed. Never throws. */
export function parseCandumpLine(line: string): CandumpLine {
  const text = line.trim();
  if (text === '') return skip('blank line');
  if (text.startsWith('#')) return skip('comment');
  let tokens = text.split(/\s+/);
  let timestampMs: number | null = null;
  if (tokens[0]?.startsWith('(')) {
    timestampMs = parseTimestamp(tokens[0]);
    if (timestampMs === null) return malformed(`bad timestamp "${tokens[0].slice(0, 24)}" (expected (secs.usecs))`);
    tokens = tokens.slice(1);
  }
  const [iface, first, ...rest] = tokens;
  if (iface === undefined || first === undefined) return malformed('expected an interface and a frame');
  if (!/^[^\s/#()[\]]{1,15}$/.test(iface)) return malformed(`bad interface name "${iface.slice(0, 16)}"`);
  if (first.includes('#')) {
    // The log format ends after the frame, save can-utils' optional direction flag (T/R) on newer versions.
    if (rest.length > 1 || (rest.length === 1 && !/^[TR]$/.test(rest[0] ?? ''))) {
      return malformed('unexpected text after the frame');
    }
    return parseCompact(first, timestampMs, iface);
  }
  return parseSpaced([first, ...rest], timestampMs, iface);
}
