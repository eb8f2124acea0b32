import { bytesToHex, canFrameProblem, formatCanId, MAX_CAN_DATA_LENGTH, type CanFrame } from '../frame.js';

/**
 * The socketcand text protocol, as its project documents it (linux-can/socketcand, doc/protocol.md)
 * and as the daemon writes it (src/state_nobus.c, src/state_raw.c):
 * - the server greets with `< hi >`; the client answers `< open can0 >`, the server `< ok >` or
 *   `< error could not open bus >` and closes;
 * - `< rawmode >` → `< ok >`: from then on every frame on the bus comes as
 *   `< frame ID SECS.USECS DATA >`. ID is hex, 3 digits for a standard id and 8 for an extended
 *   one (the daemon prints %03X / %08X, and python-can's client treats any other length as
 *   extended); DATA is the bytes as %02X without separators (the protocol document shows them
 *   space-separated; both are accepted here); an empty frame has nothing between the timestamp and `>`;
 * - `< send ID DLC B0 B1 … >` sends one frame; an 8-digit ID marks it extended;
 * - `< error … >` reports a bus error frame (`< error CLASS SECS.USECS >`) or a refused command;
 * - `< echo >` comes back unchanged; `< rtr … >`/`< fdframe … >` (remote and CAN FD frames) are not used here.
 */
export type SocketcandMessage =
  | { readonly kind: 'hi' }
  | { readonly kind: 'ok' }
  | { readonly kind: 'echo' }
  | { readonly kind: 'frame'; readonly frame: CanFrame }
  | { readonly kind: 'error'; readonly text: string }
  /** Well-formed but of no use to a classic-CAN raw client: rtr, fdframe, stat. */
  | { readonly kind: 'ignored'; readonly command: string };

export type ParseResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly reason: string };

const fail = (reason: string): { ok: false; reason: string } => ({ ok: false, reason });
const HEX = /^[0-9a-fA-F]+$/;
const TIMESTAMP = /^(\d{1,12})(?:\.(\d{1,9}))?$/;

/** A hex CAN id: 8 digits = extended (socketcand's rule), otherwise standard (up to 0x7FF). */
export function parseSocketcandId(token: string): ParseResult<{ id: number; extended: boolean }> {
  if (!HEX.test(token) || token.length > 8) return fail(`bad CAN id "${token.slice(0, 16)}" (expected hex)`);
  const id = Number.parseInt(token, 16);
  const extended = token.length === 8;
  const frameIdProblem = canFrameProblem({ id, extended, data: new Uint8Array() });
  if (frameIdProblem !== null) return fail(frameIdProblem);
  return { ok: true, value: { id, extended } };
}

/** `SECS.USECS` → milliseconds since the epoch. */
export function parseSocketcandTimestamp(token: string): ParseResult<number> {
  const match = TIMESTAMP.exec(token);
  if (match === null) return fail(`bad timestamp "${token.slice(0, 24)}" (expected secs.usecs)`);
  const secs = Number(match[1]);
  const fraction = match[2] ?? '';
  const ms = secs * 1000 + (fraction === '' ? 0 : Number(`0.${fraction}`) * 1000);
  return { ok: true, value: ms };
}

/**
 * Data tokens → bytes: either one run of %02X pairs (what the daemon sends) or one token per
 * byte (the protocol document's examples, and `< send >`'s `1 F1`).
 */
export function parseSocketcandData(tokens: readonly string[]): ParseResult<Uint8Array> {
  const bytes: number[] = [];
  for (const token of tokens) {
    if (!HEX.test(token)) return fail(`bad data byte "${token.slice(0, 16)}" (expected hex)`);
    if (token.length <= 2) {
      bytes.push(Number.parseInt(token, 16));
    } else if (token.length % 2 === 0) {
      for (let i = 0; i < token.length; i += 2) bytes.push(Number.parseInt(token.slice(i, i + 2), 16));
    } else {
      return fail(`bad data "${token.slice(0, 24)}" (odd number of hex digits)`);
    }
    if (bytes.length > MAX_CAN_DATA_LENGTH) return fail(`more than ${MAX_CAN_DATA_LENGTH} data bytes`);
  }
  return { ok: true, value: Uint8Array.from(bytes) };
}

/** One element's inner text (between `<` and `>`), as a client receives it. Never throws. */
export function parseSocketcandMessage(inner: string): ParseResult<SocketcandMessage> {
  const tokens = inner
    .trim()
    .split(/\s+/)
    .filter((t) => t !== '');
  const [command, ...args] = tokens;
  switch (command) {
    case undefined:
      return fail('empty element');
    case 'hi':
    case 'ok':
    case 'echo':
      return args.length === 0 ? { ok: true, value: { kind: command } } : fail(`unexpected text after "${command}"`);
    case 'error':
      return { ok: true, value: { kind: 'error', text: args.join(' ') } };
    case 'frame': {
      const [idToken, timeToken, ...dataTokens] = args;
      if (idToken === undefined || timeToken === undefined) return fail('frame without id or timestamp');
      const id = parseSocketcandId(idToken);
      if (!id.ok) return id;
      const time = parseSocketcandTimestamp(timeToken);
      if (!time.ok) return time;
      const data = parseSocketcandData(dataTokens);
      if (!data.ok) return data;
      return {
        ok: true,
        value: { kind: 'frame', frame: { ...id.value, data: data.value, timestampMs: time.value } },
      };
    }
    case 'rtr':
    case 'fdframe':
    case 'stat':
      return { ok: true, value: { kind: 'ignored', command } };
    default:
      return fail(`unknown message "${command.slice(0, 32)}"`);
  }
}

/** A client's command as the server receives it. */
export type SocketcandCommand =
  | { readonly kind: 'open'; readonly bus: string }
  | { readonly kind: 'rawmode' }
  | { readonly kind: 'bcmmode' }
  | { readonly kind: 'echo' }
  | { readonly kind: 'send'; readonly frame: CanFrame }
  /** Understood by the daemon but not offered by this server (BCM jobs, filters, isotp…). */
  | { readonly kind: 'unsupported'; readonly command: string };

const UNSUPPORTED_COMMANDS = new Set([
  'add',
  'update',
  'delete',
  'filter',
  'muxfilter',
  'subscribe',
  'unsubscribe',
  'sendrtr',
  'fdsend',
  'controlmode',
  'statistics',
  'isotpmode',
  'isotpconf',
  'sendpdu',
]);

/** One element's inner text as a server receives it. Never throws. */
export function parseSocketcandCommand(inner: string): ParseResult<SocketcandCommand> {
  const tokens = inner
    .trim()
    .split(/\s+/)
    .filter((t) => t !== '');
  const [command, ...args] = tokens;
  switch (command) {
    case undefined:
      return fail('empty element');
    case 'open': {
      const [bus] = args;
      // The daemon reads the bus name into a 16-character buffer (IFNAMSIZ).
      if (bus === undefined || args.length !== 1 || bus.length > 16) return fail('open needs one bus name');
      return { ok: true, value: { kind: 'open', bus } };
    }
    case 'rawmode':
    case 'bcmmode':
    case 'echo':
      return { ok: true, value: { kind: command } };
    case 'send': {
      const [idToken, dlcToken, ...dataTokens] = args;
      if (idToken === undefined || dlcToken === undefined) return fail('send needs an id and a length');
      const id = parseSocketcandId(idToken);
      if (!id.ok) return id;
      if (!/^\d$/.test(dlcToken) || Number(dlcToken) > MAX_CAN_DATA_LENGTH) return fail(`bad length "${dlcToken}"`);
      // One token per byte here: the daemon scans `%hhx` per byte.
      if (dataTokens.some((t) => t.length > 2)) return fail('send data must be one hex byte per token');
      const data = parseSocketcandData(dataTokens);
      if (!data.ok) return data;
      if (data.value.length !== Number(dlcToken)) {
        return fail(`send says ${dlcToken} bytes but carries ${data.value.length}`);
      }
      return { ok: true, value: { kind: 'send', frame: { ...id.value, data: data.value } } };
    }
    default:
      if (UNSUPPORTED_COMMANDS.has(command)) return { ok: true, value: { kind: 'unsupported', command } };
      return fail(`unknown command "${command.slice(0, 32)}"`);
  }
}

/** `< send ID DLC B0 … >`, bytes space-separated as the daemon's sscanf expects. */
export function formatSendCommand(frame: CanFrame): string {
  const bytes = bytesToHex(frame.data, ' ');
  return `< send ${formatCanId(frame.id, frame.extended)} ${frame.data.length}${bytes === '' ? '' : ` ${bytes}`} >`;
}

/** `SECS.USECS` for a millisecond timestamp. */
export function formatSocketcandTimestamp(ms: number): string {
  const whole = Math.max(0, Math.floor(ms));
  const micros = Math.round((ms - whole) * 1000);
  const secs = Math.floor(whole / 1000);
  const usecs = (whole % 1000) * 1000 + Math.min(999, micros);
  return `${secs}.${String(usecs).padStart(6, '0')}`;
}

/** `< frame ID SECS.USECS DATA >` exactly as the daemon writes it (data as one %02X run, so an empty frame has two spaces). */
export function formatFrameMessage(frame: CanFrame, timestampMs: number): string {
  return `< frame ${formatCanId(frame.id, frame.extended)} ${formatSocketcandTimestamp(timestampMs)} ${bytesToHex(frame.data)} >`;
}
