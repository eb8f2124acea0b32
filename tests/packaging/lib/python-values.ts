/**
 * How the Supervisor's validators (voluptuous on CPython) treat one JSON value. The Supervisor receives options as
 * JSON from HA's frontend, so a value here is what JSON.parse gives: an integral number is a Python int, any other
 * number a float. Each function mirrors one voluptuous validator the Supervisor uses (supervisor/apps/options.py);
 * python-values.test.ts checks them against the real voluptuous in .venv.
 */

export type Coerced<T> = { ok: true; value: T } | { ok: false; error: string };

const ok = <T>(value: T): Coerced<T> => ({ ok: true, value });
const fail = (error: string): Coerced<never> => ({ ok: false, error });

/** Python's str.strip() with no argument strips whitespace; this set covers what JS's trim() does. */
const stripPython = (text: string): string => text.trim();

/** Digits with single underscores between them, as Python's int() and float() accept ("1_000"). */
const DIGITS = String.raw`\d+(?:_\d+)*`;
const PY_INT_LITERAL = new RegExp(`^[+-]?${DIGITS}$`);
const PY_FLOAT_LITERAL = new RegExp(
  `^[+-]?(?:(?:${DIGITS}(?:\\.(?:${DIGITS})?)?|\\.${DIGITS})(?:[eE][+-]?${DIGITS})?|inf|infinity|nan)$`,
  'i',
);

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** vol.Coerce(int): Python's int(value). Floats truncate toward zero; True is 1; text must be a decimal literal. */
export function pyInt(value: unknown): Coerced<number> {
  if (typeof value === 'boolean') return ok(value ? 1 : 0);
  if (typeof value === 'number') {
    // int(nan) is a ValueError; int(inf) an OverflowError, which escapes voluptuous: the save fails either way.
    if (!Number.isFinite(value)) return fail('expected int');
    return ok(Math.trunc(value));
  }
  if (typeof value === 'string') {
    const text = stripPython(value);
    if (!PY_INT_LITERAL.test(text)) return fail('expected int');
    return ok(Number(text.replace(/_/g, '')));
  }
  return fail('expected int');
}

/** vol.Coerce(float): Python's float(value), which also reads "inf", "nan" and exponents from text. */
export function pyFloat(value: unknown): Coerced<number> {
  if (typeof value === 'boolean') return ok(value ? 1 : 0);
  if (typeof value === 'number') return ok(value);
  if (typeof value === 'string') {
    const text = stripPython(value);
    if (!PY_FLOAT_LITERAL.test(text)) return fail('expected float');
    const lower = text.toLowerCase().replace(/_/g, '');
    const sign = lower.startsWith('-') ? -1 : 1;
    const unsigned = lower.replace(/^[+-]/, '');
    if (unsigned === 'nan') return ok(Number.NaN);
    if (unsigned === 'inf' || unsigned === 'infinity') return ok(sign * Number.POSITIVE_INFINITY);
    return ok(Number(lower));
  }
  return fail('expected float');
}

const TRUE_WORDS = new Set(['1', 'true', 'yes', 'on', 'enable']);
const FALSE_WORDS = new Set(['0', 'false', 'no', 'off', 'disable']);

/** vol.Boolean(): a few words in any case; any other non-text value by Python truthiness. */
export function pyBool(value: unknown): Coerced<boolean> {
  if (typeof value === 'string') {
    const word = value.toLowerCase();
    if (TRUE_WORDS.has(word)) return ok(true);
    if (FALSE_WORDS.has(word)) return ok(false);
    return fail('expected boolean');
  }
  if (typeof value === 'boolean') return ok(value);
  // bool(nan) is True in Python, and so is any non-zero number.
  if (typeof value === 'number') return ok(value !== 0);
  if (Array.isArray(value)) return ok(value.length > 0);
  if (isPlainObject(value)) return ok(Object.keys(value).length > 0);
  return ok(false);
}

/** repr() of a Python float: shortest round-trip digits like JS, but exponents as e+XX/e-XX and 1e16 up. */
export function pyFloatRepr(value: number): string {
  if (Number.isNaN(value)) return 'nan';
  if (!Number.isFinite(value)) return value > 0 ? 'inf' : '-inf';
  const abs = Math.abs(value);
  if (abs !== 0 && (abs < 1e-4 || abs >= 1e16)) {
    const [mantissa, exponent = '0'] = value.toExponential().split('e');
    const exp = Number(exponent);
    return `${mantissa}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  const text = String(value);
  return Number.isInteger(value) ? `${text}.0` : text;
}

/** str() of the Python value the JSON gives. Containers get a Python-like repr (only matters for match/list). */
export function pyStr(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === null || value === undefined) return 'None';
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (typeof value === 'number') {
    // What json.loads makes of JSON.stringify(value): digits alone are a Python int of any size (the frontend
    // serialises 5.0 as 5); a fraction or an exponent (1e+21 and up) makes a float.
    const json = JSON.stringify(value);
    if (/^-?\d+$/.test(json)) return BigInt(json).toString();
    return pyFloatRepr(value);
  }
  if (Array.isArray(value)) return `[${value.map(pyRepr).join(', ')}]`;
  if (isPlainObject(value)) {
    return `{${Object.entries(value)
      .map(([k, v]) => `${pyRepr(k)}: ${pyRepr(v)}`)
      .join(', ')}}`;
  }
  return String(value);
}

/** repr() of a str picks double quotes when the text has a single quote and no double quote. */
function pyRepr(value: unknown): string {
  if (typeof value !== 'string') return pyStr(value);
  const escaped = value.replace(/\\/g, '\\\\');
  if (value.includes("'") && !value.includes('"')) return `"${escaped}"`;
  return `'${escaped.replace(/'/g, "\\'")}'`;
}

/** Python's len() of a str counts code points, not UTF-16 units. */
export function pyLen(text: string): number {
  return [...text].length;
}

/**
 * vol.Range(min, max): inclusive bounds written as `not v >= min`, so NaN fails any bound (and passes when there
 * is none, as in Python).
 */
export function inRange(value: number, min: number | undefined, max: number | undefined): boolean {
  if (min !== undefined && !(value >= min)) return false;
  if (max !== undefined && !(value <= max)) return false;
  return true;
}

// voluptuous's Email(): the part before the last "@" is a dot-atom or a quoted string; the part after is a host
// name with a TLD, or an IPv4 literal in brackets (voluptuous validators.py USER_REGEX/DOMAIN_REGEX, RFC 5322).
const EMAIL_USER =
  // eslint-disable-next-line no-control-regex -- the quoted-string form allows these control characters
  /^(?:[-!#$%&'*+/=?^_`{}|~0-9A-Z]+(?:\.[-!#$%&'*+/=?^_`{}|~0-9A-Z]+)*|"(?:[\x01-\x08\x0b\x0c\x0e-\x1f!#-[\]-\x7f]|\\[\x01-\x09\x0b\x0c\x0e-\x7f])*")$/i;
const EMAIL_DOMAIN =
  /^(?:(?:[A-Z0-9](?:[A-Z0-9-]{0,61}[A-Z0-9])?\.)+(?:[A-Z]{2,6}\.?|[A-Z0-9-]{2,}\.?)|\[(?:25[0-5]|2[0-4]\d|[0-1]?\d?\d)(?:\.(?:25[0-5]|2[0-4]\d|[0-1]?\d?\d)){3}\])$/i;

/** vol.Email(). */
export function isEmail(value: unknown): boolean {
  if (typeof value !== 'string' || value === '' || !value.includes('@')) return false;
  const at = value.lastIndexOf('@');
  return EMAIL_USER.test(value.slice(0, at)) && EMAIL_DOMAIN.test(value.slice(at + 1));
}

/**
 * vol.Url(): urllib.parse.urlparse must find a scheme and a network location. urlparse first drops leading C0
 * controls and spaces and removes tabs and newlines anywhere; the scheme is the text before the first ":" when it
 * starts with a letter and holds only letters, digits, "+", "-" and "."; the location follows "//" up to "/", "?"
 * or "#". A bracket that does not close an IPv6 literal makes urlparse raise, which is also a rejection.
 */
export function isUrl(value: unknown): boolean {
  if (typeof value !== 'string') return false;
  // eslint-disable-next-line no-control-regex
  const text = value.replace(/^[\x00-\x20]+/, '').replace(/[\t\r\n]/g, '');
  const colon = text.indexOf(':');
  if (colon <= 0) return false;
  const scheme = text.slice(0, colon);
  if (!/^[A-Za-z][A-Za-z0-9+.-]*$/.test(scheme)) return false;
  const rest = text.slice(colon + 1);
  if (!rest.startsWith('//')) return false;
  const netloc = rest.slice(2).split(/[/?#]/, 1)[0] ?? '';
  if (netloc.includes('[') !== netloc.includes(']')) return false;
  return netloc !== '';
}

/**
 * vol.Match(pattern) on str(value): Python's re.match, which anchors at the start only. Python-only syntax
 * ((?P<name>…), (?P=name)) is translated; a pattern JS cannot compile throws, so a schema using one fails loudly.
 */
export function pyReMatch(pattern: string, text: string): boolean {
  const js = pattern.replace(/\(\?P</g, '(?<').replace(/\(\?P=(\w+)\)/g, '\\k<$1>');
  const regex = new RegExp(js, 'y');
  regex.lastIndex = 0;
  return regex.test(text);
}
