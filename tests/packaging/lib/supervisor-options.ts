import { inRange, isEmail, isUrl, pyBool, pyFloat, pyInt, pyLen, pyReMatch, pyStr } from './python-values';

/**
 * The Home Assistant Supervisor's add-on ("app") options schema language, as a validator the tests can run without
 * a Supervisor. The rules are the Supervisor's (supervisor/apps/options.py and supervisor/apps/validate.py in
 * home-assistant/supervisor, read in its 2026-08 snapshot; docs/apps/configuration.md in developers.home-assistant):
 *
 * - An element type is `str`, `password`, `int`, `float` (each with an optional `(min,max)`, either bound may be
 *   left out), `bool`, `email`, `url`, `port`, `match(REGEX)`, `list(a|b|…)` or `device`/`device(subsystem=…)`;
 *   a trailing `?` makes the option optional. `str`/`password` bounds are lengths; int bounds may be negative.
 * - A schema is a dict of element types, lists `[element]` and dicts; a list may not directly hold a list.
 * - Validation walks the options: keys the schema does not know are dropped (with a warning in the Supervisor's
 *   log), not rejected; `null` is never a value; a missing key is an error unless its type (or a list's element
 *   type) ends in `?` — a missing dict is always an error, even when all its fields are optional.
 * - Values are coerced: int/float/port via Python's int()/float() (so "502" and 5.9 are accepted as 502 and 5),
 *   bool via voluptuous's Boolean(), match/list via str(value); `str`/`password` must already be text.
 * - A value `!secret NAME` is replaced by that entry of HA's secrets.yaml first.
 * - What is validated is the user's options deep-merged over config.yaml's `options` (dicts merge key by key;
 *   lists and scalars replace), and the validated result is what /data/options.json receives.
 */

export type SchemaNode = string | readonly SchemaNode[] | { readonly [key: string]: SchemaNode };
export type OptionsSchema = { readonly [key: string]: SchemaNode };

export interface HostDevice {
  readonly path: string;
  readonly subsystem: string;
}

export interface SupervisorContext {
  /** HA's secrets.yaml; absent entries make `!secret NAME` an error. */
  readonly secrets?: Readonly<Record<string, unknown>>;
  /** Host devices the Supervisor knows, for `device` options. */
  readonly devices?: readonly HostDevice[];
}

export type ValidationResult =
  | { readonly ok: true; readonly options: Record<string, unknown>; readonly dropped: readonly string[] }
  | { readonly ok: false; readonly error: string; readonly path: string };

/** RE_SCHEMA_ELEMENT: which element types exist and where their arguments sit. */
const SCHEMA_ELEMENT = new RegExp(
  '^(?:' +
    '|bool' +
    '|email' +
    '|url' +
    '|port' +
    '|device(?:\\((?<filter>subsystem=[a-z]+)\\))?' +
    '|str(?:\\((?<s_min>\\d+)?,(?<s_max>\\d+)?\\))?' +
    '|password(?:\\((?<p_min>\\d+)?,(?<p_max>\\d+)?\\))?' +
    '|int(?:\\((?<i_min>-?\\d+)?,(?<i_max>-?\\d+)?\\))?' +
    '|float(?:\\((?<f_min>-?\\d*\\.?\\d+)?,(?<f_max>-?\\d*\\.?\\d+)?\\))?' +
    '|match\\((?<match>.*)\\)' +
    '|list\\((?<list>.+)\\)' +
    ')\\??$',
);

/**
 * The same pattern in the Supervisors before 2026.03.3 (checked in its git history: 2025.04.0 to 2026.03.2): `int`
 * bounds are digits only and `float` bounds digits and dots only, so a negative bound such as `float(-90,90)` is
 * an unknown type there and the whole config.yaml fails to load (the add-on disappears from the store).
 */
const SCHEMA_ELEMENT_BEFORE_2026_03_3 = new RegExp(
  '^(?:' +
    '|bool' +
    '|email' +
    '|url' +
    '|port' +
    '|device(?:\\((?<filter>subsystem=[a-z]+)\\))?' +
    '|str(?:\\((?<s_min>\\d+)?,(?<s_max>\\d+)?\\))?' +
    '|password(?:\\((?<p_min>\\d+)?,(?<p_max>\\d+)?\\))?' +
    '|int(?:\\((?<i_min>\\d+)?,(?<i_max>\\d+)?\\))?' +
    '|float(?:\\((?<f_min>[\\d.]+)?,(?<f_max>[\\d.]+)?\\))?' +
    '|match\\((?<match>.*)\\)' +
    '|list\\((?<list>.+)\\)' +
    ')\\??$',
);

/**
 * Which Supervisor's rules: `current` (2026.03.3 and later) or `before-2026.03.3` (the Supervisors of the Home
 * Assistant releases from 2025.4 on that this project supports; see README "Home Assistant versions").
 */
export type SupervisorRules = 'current' | 'before-2026.03.3';

/** Whether a Supervisor with these rules knows the element type at all (its config.yaml loads). */
export function isKnownElementType(typ: string, rules: SupervisorRules): boolean {
  if (rules === 'current') return parseElementType(typ) !== null;
  return SCHEMA_ELEMENT_BEFORE_2026_03_3.test(typ) && parseElementType(typ) !== null;
}

export interface ElementType {
  readonly kind: 'str' | 'password' | 'int' | 'float' | 'bool' | 'email' | 'url' | 'port' | 'match' | 'list' | 'device';
  readonly optional: boolean;
  readonly min?: number;
  readonly max?: number;
  readonly pattern?: string;
  readonly choices?: readonly string[];
  readonly subsystem?: string;
}

// The Supervisor dispatches on the type's prefix in this order.
const KINDS: readonly ElementType['kind'][] = [
  'str',
  'password',
  'int',
  'float',
  'bool',
  'email',
  'url',
  'port',
  'match',
  'list',
  'device',
];

/** Parse one element type; null when the Supervisor would call it an unknown type. */
export function parseElementType(typ: string): ElementType | null {
  const match = SCHEMA_ELEMENT.exec(typ);
  if (!match) return null;
  const groups = match.groups ?? {};
  const kind = KINDS.find((k) => typ.startsWith(k));
  // `""` and `"?"` match the pattern's empty alternative but no kind: the Supervisor fails them at validation.
  if (!kind) return null;
  const bound = (name: 'min' | 'max'): number | undefined => {
    for (const prefix of ['i', 'f', 's', 'p']) {
      // A group that matched an empty string counts as absent, as in the Supervisor (`if group_value:`).
      const text = groups[`${prefix}_${name}`];
      if (text) return Number.parseFloat(text);
    }
    return undefined;
  };
  const min = bound('min');
  const max = bound('max');
  return {
    kind,
    optional: typ.endsWith('?'),
    ...(min === undefined ? {} : { min }),
    ...(max === undefined ? {} : { max }),
    ...(groups['match'] === undefined ? {} : { pattern: groups['match'] }),
    ...(groups['list'] === undefined ? {} : { choices: groups['list'].split('|') }),
    ...(groups['filter'] === undefined ? {} : { subsystem: groups['filter'].replace(/^subsystem=/, '') }),
  };
}

/**
 * Whether config.yaml's `schema` is one the Supervisor loads (validate.py SCHEMA_ELEMENT). The Supervisors before
 * 2026.03.3 also fix the shape: a top-level option is an element, a dict, or a list of elements or of dicts, and
 * the values of those dicts are elements or lists of elements (nothing deeper).
 */
export function schemaProblems(schema: unknown, rules: SupervisorRules = 'current', path = 'schema'): string[] {
  if (!isPlainObject(schema)) return [`${path}: expected a dict`];
  const problems: string[] = [];
  for (const [key, node] of Object.entries(schema)) {
    problems.push(...nodeProblems(node, `${path}.${key}`, false, rules));
    if (rules === 'before-2026.03.3') problems.push(...olderShapeProblems(node, `${path}.${key}`));
  }
  return problems;
}

function nodeProblems(node: unknown, path: string, inList: boolean, rules: SupervisorRules): string[] {
  if (typeof node === 'string') return isKnownElementType(node, rules) ? [] : [`${path}: unknown type "${node}"`];
  if (Array.isArray(node)) {
    if (inList) return [`${path}: a list may not directly contain another list`];
    if (node.length !== 1) return [`${path}: a list schema holds exactly one element type`];
    return nodeProblems(node[0], `${path}[]`, true, rules);
  }
  if (isPlainObject(node)) {
    return Object.entries(node).flatMap(([key, child]) => nodeProblems(child, `${path}.${key}`, false, rules));
  }
  return [`${path}: expected a type, a list or a dict`];
}

/** The older Supervisors' fixed nesting for one top-level option (element types are checked separately). */
function olderShapeProblems(node: unknown, path: string): string[] {
  const elementOrList = (value: unknown): boolean =>
    typeof value === 'string' || (Array.isArray(value) && value.length === 1 && typeof value[0] === 'string');
  const flatDict = (value: unknown): boolean => isPlainObject(value) && Object.values(value).every(elementOrList);
  if (typeof node === 'string' || flatDict(node)) return [];
  if (Array.isArray(node) && node.length === 1 && (typeof node[0] === 'string' || flatDict(node[0]))) return [];
  return [`${path}: nested deeper than Supervisors before 2026.03.3 allow`];
}

/** How deeply a schema nests below its top level: the docs allow two (a list of dicts, or a dict of lists). */
export function schemaNesting(schema: OptionsSchema): number {
  return Math.max(0, ...Object.values(schema).map(nodeDepth));
}

function nodeDepth(node: SchemaNode): number {
  if (typeof node === 'string') return 0;
  const children: readonly SchemaNode[] = Array.isArray(node) ? node : Object.values(node as OptionsSchema);
  return 1 + Math.max(0, ...children.map(nodeDepth));
}

/** The Supervisor's merge of defaults and user options (deepmerge: dicts merge, everything else replaces). */
export function mergeOptions(defaults: unknown, user: unknown): unknown {
  if (!isPlainObject(defaults) || !isPlainObject(user)) return user;
  const merged: Record<string, unknown> = { ...defaults };
  for (const [key, value] of Object.entries(user)) {
    merged[key] = key in defaults ? mergeOptions(defaults[key], value) : value;
  }
  return merged;
}

class OptionsInvalid extends Error {
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(`${path}: ${message}`);
  }
}

/**
 * Validate options (already merged with the defaults, see mergeOptions) against a schema. On success, `options`
 * is what the Supervisor writes to /data/options.json and `dropped` lists the unknown keys it left out.
 */
export function validateOptions(
  schema: OptionsSchema,
  options: unknown,
  context: SupervisorContext = {},
): ValidationResult {
  const dropped: string[] = [];
  try {
    if (!isPlainObject(options)) throw new OptionsInvalid('(root)', 'expected a dict of options');
    const result = validateDict(schema, options, '', context, dropped);
    return { ok: true, options: result, dropped };
  } catch (err) {
    if (err instanceof OptionsInvalid) return { ok: false, error: err.message, path: err.path };
    throw err;
  }
}

function join(parent: string, key: string | number): string {
  if (typeof key === 'number') return `${parent}[${key}]`;
  return parent === '' ? key : `${parent}.${key}`;
}

function validateNode(
  typ: SchemaNode,
  value: unknown,
  path: string,
  context: SupervisorContext,
  dropped: string[],
): unknown {
  if (Array.isArray(typ)) {
    if (!Array.isArray(value)) throw new OptionsInvalid(path, 'invalid list');
    const element = typ[0];
    if (element === undefined) throw new OptionsInvalid(path, 'type error (empty list schema)');
    return value.map((item, index) => validateNode(element, item, join(path, index), context, dropped));
  }
  if (typeof typ === 'object') {
    if (!isPlainObject(value)) throw new OptionsInvalid(path, 'invalid dict');
    return validateDict(typ as OptionsSchema, value, path, context, dropped);
  }
  return validateElement(typ as string, value, path, context);
}

function validateDict(
  schema: OptionsSchema,
  value: Record<string, unknown>,
  path: string,
  context: SupervisorContext,
  dropped: string[],
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value)) {
    const typ = schema[key];
    if (typ === undefined) {
      dropped.push(join(path, key));
      continue;
    }
    out[key] = validateNode(typ, child, join(path, key), context, dropped);
  }
  for (const [key, typ] of Object.entries(schema)) {
    if (key in out) continue;
    // A list's element type decides whether the list may be missing (["str?"]); a dict never may.
    const decisive = Array.isArray(typ) ? typ[0] : typ;
    if (typeof decisive === 'string' && decisive.endsWith('?')) continue;
    throw new OptionsInvalid(join(path, key), 'missing option');
  }
  return out;
}

function validateElement(typ: string, raw: unknown, path: string, context: SupervisorContext): unknown {
  if (raw === null || raw === undefined) throw new OptionsInvalid(path, 'missing required option (null)');
  let value = raw;
  const asText = pyStr(value);
  if (asText.startsWith('!secret ')) {
    const name = asText.slice('!secret '.length);
    const secret = context.secrets?.[name];
    if (secret === undefined || secret === null) throw new OptionsInvalid(path, `unknown secret '${name}'`);
    value = secret;
  }
  const type = parseElementType(typ);
  if (!type) throw new OptionsInvalid(path, `unknown type '${typ}'`);

  switch (type.kind) {
    case 'str':
    case 'password': {
      if (typeof value !== 'string') throw new OptionsInvalid(path, 'expected str');
      if (!inRange(pyLen(value), type.min, type.max)) {
        throw new OptionsInvalid(path, `length of value must be between ${type.min ?? '…'} and ${type.max ?? '…'}`);
      }
      return value;
    }
    case 'int':
    case 'port': {
      const coerced = pyInt(value);
      if (!coerced.ok) throw new OptionsInvalid(path, 'expected int');
      const [min, max] = type.kind === 'port' ? [1, 65535] : [type.min, type.max];
      if (!inRange(coerced.value, min, max)) {
        throw new OptionsInvalid(path, `value must be between ${min ?? '…'} and ${max ?? '…'}`);
      }
      return coerced.value;
    }
    case 'float': {
      const coerced = pyFloat(value);
      if (!coerced.ok) throw new OptionsInvalid(path, 'expected float');
      if (!inRange(coerced.value, type.min, type.max)) {
        throw new OptionsInvalid(path, `value must be between ${type.min ?? '…'} and ${type.max ?? '…'}`);
      }
      return coerced.value;
    }
    case 'bool': {
      const coerced = pyBool(value);
      if (!coerced.ok) throw new OptionsInvalid(path, 'expected boolean');
      return coerced.value;
    }
    case 'email':
      if (!isEmail(value)) throw new OptionsInvalid(path, 'expected an email address');
      return value;
    case 'url':
      if (!isUrl(value)) throw new OptionsInvalid(path, 'expected a URL');
      return value;
    case 'match': {
      const text = pyStr(value);
      if (!pyReMatch(type.pattern ?? '', text)) {
        throw new OptionsInvalid(path, `does not match regular expression ${type.pattern ?? ''}`);
      }
      return text;
    }
    case 'list': {
      const text = pyStr(value);
      if (!(type.choices ?? []).includes(text)) {
        throw new OptionsInvalid(path, `value must be one of [${(type.choices ?? []).join(', ')}]`);
      }
      return text;
    }
    case 'device': {
      if (typeof value !== 'string') throw new OptionsInvalid(path, 'expected a string');
      const device = (context.devices ?? []).find((d) => d.path === value);
      if (!device) throw new OptionsInvalid(path, `device '${value}' does not exist`);
      if (type.subsystem !== undefined && device.subsystem !== type.subsystem) {
        throw new OptionsInvalid(path, `device '${value}' does not match the filter subsystem=${type.subsystem}`);
      }
      return value;
    }
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
