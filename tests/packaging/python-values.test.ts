import { spawnSync } from 'node:child_process';
import { venvTool } from './lib/repo-files';
import { isEmail, isUrl, pyBool, pyFloat, pyFloatRepr, pyInt, pyLen, pyReMatch, pyStr } from './lib/python-values';

/**
 * The TypeScript copies of voluptuous's coercions against the real voluptuous (a Home Assistant dependency, in the
 * .venv that scripts/setup.sh makes): every sample goes through both, as the Supervisor would see it (JSON).
 */

type Fn = 'int' | 'float' | 'bool' | 'str' | 'email' | 'url' | 'match' | 'len';
interface Sample {
  readonly fn: Fn;
  /** JSON value; `{ $float: "nan" }` stands for a float JSON cannot carry. */
  readonly value: unknown;
  readonly arg?: string;
}
interface Outcome {
  readonly ok: boolean;
  readonly repr?: string;
}

// One Python process for all samples. It only calls voluptuous the way the Supervisor's options validator does.
const PYTHON = String.raw`
import json, sys
import voluptuous as vol

def untag(v):
    if isinstance(v, dict) and "$float" in v:
        return float(v["$float"])
    return v

def run(fn, value, arg):
    try:
        if fn == "int":
            return {"ok": True, "repr": repr(vol.Coerce(int)(value))}
        if fn == "float":
            return {"ok": True, "repr": repr(vol.Coerce(float)(value))}
        if fn == "bool":
            return {"ok": True, "repr": repr(vol.Boolean()(value))}
        if fn == "str":
            return {"ok": True, "repr": str(value)}
        if fn == "email":
            vol.Email()(value)
            return {"ok": True}
        if fn == "url":
            vol.Url()(value)
            return {"ok": True}
        if fn == "match":
            vol.Match(arg)(str(value))
            return {"ok": True}
        if fn == "len":
            return {"ok": True, "repr": str(len(value))}
    except (vol.Invalid, OverflowError, ValueError, TypeError):
        return {"ok": False}
    raise SystemExit("unknown fn " + fn)

samples = json.load(sys.stdin)
json.dump([run(s["fn"], untag(s["value"]), s.get("arg")) for s in samples], sys.stdout)
`;

const NAN = { $float: 'nan' };
const INF = { $float: 'inf' };

const INTS: unknown[] = [5, -4, 5.9, -5.9, true, false, 1e20, null, [1], { a: 1 }, NAN, INF];
const INT_TEXTS = ['502', ' 30 ', '+7', '-0', '1_000', '1__0', '_1', '5.0', '0x10', '', 'abc'];
const FLOATS: unknown[] = [true, 3, 0.1, -2.5, null, ['1']];
const FLOAT_TEXTS = [
  '1e3',
  '.5',
  '5.',
  '-.5',
  'inf',
  '-Infinity',
  'nan',
  'NaN',
  '1_0.5',
  '1e',
  'e3',
  '.',
  'abc',
  ' 2.5 ',
];
const BOOLS: unknown[] = [0, 2, 0.5, [], [1], {}, true, false, NAN];
const BOOL_TEXTS = ['yes', 'No', 'ON', 'enable', 'Disable', '1', '0', 'true ', 'maybe', ''];
const STRS: unknown[] = [
  5,
  -12,
  5.5,
  0.1,
  true,
  false,
  1e-5,
  1.5e-7,
  1e16,
  2.5e22,
  'text',
  [1, 'a'],
  { a: 1, b: "it's" },
];
const EMAILS: unknown[] = ['t@x.com', 'a.com', 'a@.com', 'first.last@sub.example.org', 'a@b', 'a@[192.168.1.1]'];
EMAILS.push('"quo ted"@x.com', 'a@x.c', 'a@localhost', 'a@b@x.org', 'a..b@x.org', 'a@x-.org', 5, '');
const URLS: unknown[] = ['http://w3.org', 'https://example.com:8123/path', 'ftp://x', 'example.com', 'http:/x'];
URLS.push('mailto:a@b.c', 'http://', ' http://x', 'http://[::1]:80/', '1http://x', 'h-t.t+p://x', 'http://?q', 5);
const MATCHES: [string, unknown][] = [
  ['^\\w*$', 'abc'],
  ['^\\w*$', 'a b'],
  ['abc', 'xabc'],
  ['abc', 'abcd'],
  ['^\\s*\\S(?:.{0,62}\\S)?\\s*$', '  Garage  '],
  ['^\\s*\\S(?:.{0,62}\\S)?\\s*$', '   '],
  ['^\\s*[A-Za-z0-9._:-]{1,253}\\s*$', '192.168.1.50'],
  ['^\\s*[A-Za-z0-9._:-]{1,253}\\s*$', 'http://x'],
  ['(?P<word>a+)(?P=word)', 'aaaa'],
  ['^\\d+$', 1234],
  ['^\\d+$', 1.5],
];

const samples: Sample[] = [
  ...[...INTS, ...INT_TEXTS].map((value): Sample => ({ fn: 'int', value })),
  ...[...FLOATS, ...FLOAT_TEXTS].map((value): Sample => ({ fn: 'float', value })),
  ...[...BOOLS, ...BOOL_TEXTS].map((value): Sample => ({ fn: 'bool', value })),
  ...STRS.map((value): Sample => ({ fn: 'str', value })),
  ...EMAILS.map((value): Sample => ({ fn: 'email', value })),
  ...URLS.map((value): Sample => ({ fn: 'url', value })),
  ...MATCHES.map(([arg, value]): Sample => ({ fn: 'match', value, arg })),
  ...['héllo', '😀', 'a\u0301'].map((value): Sample => ({ fn: 'len', value })),
];

function fromJson(value: unknown): unknown {
  if (typeof value === 'object' && value !== null && '$float' in value) {
    const text = (value as { $float: string }).$float;
    return text === 'nan' ? Number.NaN : Number.POSITIVE_INFINITY;
  }
  return value;
}

function typescript(sample: Sample): Outcome {
  const value = fromJson(sample.value);
  const result = (coerced: { ok: boolean; value?: unknown }, repr: (v: never) => string): Outcome =>
    coerced.ok ? { ok: true, repr: repr(coerced.value as never) } : { ok: false };
  switch (sample.fn) {
    case 'int':
      return result(pyInt(value), (v: number) => v.toFixed(0));
    case 'float':
      return result(pyFloat(value), pyFloatRepr);
    case 'bool':
      return result(pyBool(value), (v: boolean) => (v ? 'True' : 'False'));
    case 'str':
      return { ok: true, repr: pyStr(value) };
    case 'email':
      return { ok: isEmail(value) };
    case 'url':
      return { ok: isUrl(value) };
    case 'match':
      return { ok: pyReMatch(sample.arg ?? '', pyStr(value)) };
    case 'len':
      return { ok: true, repr: String(pyLen(value as string)) };
  }
}

describe('Python value semantics match voluptuous', () => {
  let python: Outcome[] = [];

  beforeAll(() => {
    const run = spawnSync(venvTool('python'), ['-c', PYTHON], {
      input: JSON.stringify(samples),
      encoding: 'utf8',
      timeout: 20_000,
    });
    if (run.status !== 0) throw new Error(`python failed (${run.status}): ${run.stderr}`);
    python = JSON.parse(run.stdout) as Outcome[];
  });

  it.each(samples.map((sample, index) => [`${sample.fn}(${JSON.stringify(sample.value)})`, index] as const))(
    '%s',
    (_label, index) => {
      const sample = samples[index] as Sample;
      expect(typescript(sample)).toEqual(python[index]);
    },
  );
});
