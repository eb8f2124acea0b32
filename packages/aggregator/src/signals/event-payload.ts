import { parseCommunityEvent } from './community-format.js';
import { parseJsonEvent } from './json-format.js';
import type { ParseResult } from './parsed-event.js';
import { parseJsonSafely } from './safe-json.js';

/** Larger than any event message by far; checked on the raw bytes, before anything is decoded. */
export const MAX_PAYLOAD_BYTES = 64 * 1024;

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

export interface ParseContext {
  /** IANA zone of the community format's local start time. */
  readonly timeZone: string;
  readonly receivedAtMs: number;
}

/**
 * One MQTT payload → one event, or the reason it was refused. Pure and total: any bytes give
 * `{ok:false, reason}` rather than a throw, so a hostile broker message cannot stop the link.
 * A payload starting with `{` is the JSON form, anything else the community `#` form.
 */
export function parseEventPayload(payload: Buffer | string, ctx: ParseContext): ParseResult {
  try {
    const bytes = typeof payload === 'string' ? Buffer.byteLength(payload, 'utf8') : payload.byteLength;
    if (bytes > MAX_PAYLOAD_BYTES)
      return { ok: false, reason: `payload: ${bytes} bytes (at most ${MAX_PAYLOAD_BYTES})` };
    let text: string;
    if (typeof payload === 'string') {
      text = payload;
    } else {
      try {
        text = utf8.decode(payload);
      } catch {
        return { ok: false, reason: 'payload: not UTF-8 text' };
      }
    }
    const trimmed = text.trim();
    if (trimmed === '') return { ok: false, reason: 'payload: empty' };
    if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
      const json = parseJsonSafely(trimmed);
      if (!json.ok) return json;
      return parseJsonEvent(json.value, ctx);
    }
    return parseCommunityEvent(trimmed, ctx);
  } catch (err) {
    // Nothing above should throw; if something does, the message is refused, not the process.
    return { ok: false, reason: `payload: could not be read (${err instanceof Error ? err.name : 'error'})` };
  }
}
