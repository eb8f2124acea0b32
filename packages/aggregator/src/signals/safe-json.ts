/**
 * JSON.parse that refuses prototype-polluting keys. The reviver sees every key after JSON escapes
 * are decoded (so `"\u005f_proto__"` is caught too), at any depth, in arrays and objects alike;
 * one such key rejects the whole payload rather than silently dropping it.
 */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

export type SafeJsonResult =
  { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly reason: string };

export function parseJsonSafely(text: string): SafeJsonResult {
  let forbidden: string | null = null;
  let value: unknown;
  try {
    value = JSON.parse(text, function (this: unknown, key: string, v: unknown) {
      if (forbidden === null && FORBIDDEN_KEYS.has(key)) forbidden = key;
      return v;
    });
  } catch (err) {
    // A RangeError is nesting deep enough to exhaust the stack (possible within 64 KiB).
    if (err instanceof RangeError) return { ok: false, reason: 'JSON: nested too deeply' };
    return { ok: false, reason: 'JSON: not valid JSON' };
  }
  if (forbidden !== null)
    return { ok: false, reason: `JSON: the key "${forbidden}" is not allowed anywhere in a payload` };
  return { ok: true, value };
}
