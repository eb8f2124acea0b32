/**
 * One classic CAN frame as every transport in this package hands it over. Transports know
 * nothing about what the bytes mean: vendor decoding lives in the device packages.
 */
export interface CanFrame {
  /** 11-bit (0..0x7FF) or, when `extended`, 29-bit (0..0x1FFFFFFF) identifier. */
  readonly id: number;
  /** 29-bit identifier (CAN 2.0B). */
  readonly extended: boolean;
  /** 0..8 bytes (classic CAN; CAN FD is not supported). */
  readonly data: Uint8Array;
  /** Milliseconds since the Unix epoch, when the source says (socketcand rawmode, candump log, a virtual bus). */
  readonly timestampMs?: number;
}

export const MAX_STANDARD_ID = 0x7ff;
export const MAX_EXTENDED_ID = 0x1fffffff;
export const MAX_CAN_DATA_LENGTH = 8;

/** Why a frame cannot go on a classic CAN bus, or null when it can. Never throws. */
export function canFrameProblem(frame: CanFrame): string | null {
  const max = frame.extended ? MAX_EXTENDED_ID : MAX_STANDARD_ID;
  if (!Number.isInteger(frame.id) || frame.id < 0 || frame.id > max) {
    return `id ${String(frame.id)} is outside 0..0x${max.toString(16).toUpperCase()} for a${frame.extended ? 'n extended (29-bit)' : ' standard (11-bit)'} frame`;
  }
  if (!(frame.data instanceof Uint8Array)) return 'data is not a byte array';
  if (frame.data.length > MAX_CAN_DATA_LENGTH) {
    return `data has ${frame.data.length} bytes; classic CAN carries at most ${MAX_CAN_DATA_LENGTH}`;
  }
  return null;
}

/**
 * A frame from an id and bytes; `extended` defaults to what the id needs (ids above 0x7FF are
 * 29-bit). Copies the bytes so a caller reusing its buffer cannot change a frame in flight.
 */
export function canFrame(
  id: number,
  data: ArrayLike<number>,
  options: { extended?: boolean; timestampMs?: number } = {},
): CanFrame {
  const extended = options.extended ?? id > MAX_STANDARD_ID;
  const frame: CanFrame = { id, extended, data: Uint8Array.from(data) };
  return options.timestampMs === undefined ? frame : { ...frame, timestampMs: options.timestampMs };
}

/** The id as candump and socketcand write it: 3 hex digits for standard, 8 for extended ids, upper case. */
export function formatCanId(id: number, extended: boolean): string {
  return id
    .toString(16)
    .toUpperCase()
    .padStart(extended ? 8 : 3, '0');
}

export function bytesToHex(data: Uint8Array, separator = ''): string {
  return Array.from(data, (b) => b.toString(16).toUpperCase().padStart(2, '0')).join(separator);
}

/** `351#1402B0044006C201` (candump's compact form), for logs and reasons. */
export function formatCanFrame(frame: CanFrame): string {
  return `${formatCanId(frame.id, frame.extended)}#${bytesToHex(frame.data)}`;
}

/** Same identifier, same kind, same bytes (timestamps ignored). */
export function sameCanFrame(a: CanFrame, b: CanFrame): boolean {
  if (a.id !== b.id || a.extended !== b.extended || a.data.length !== b.data.length) return false;
  return a.data.every((byte, i) => byte === b.data[i]);
}
