import {
  isKnownElementType,
  mergeOptions,
  parseElementType,
  schemaNesting,
  schemaProblems,
  validateOptions,
  type OptionsSchema,
} from './lib/supervisor-options';

/** The schema-language validator itself, on the rules the Supervisor documents and implements. */

const accepts = (schema: OptionsSchema, options: unknown): boolean => validateOptions(schema, options).ok;

describe('element types', () => {
  it.each([
    ['str', { kind: 'str', optional: false }],
    ['str(1,)', { kind: 'str', optional: false, min: 1 }],
    ['password(,8)?', { kind: 'password', optional: true, max: 8 }],
    ['int(-5,0)', { kind: 'int', optional: false, min: -5, max: 0 }],
    ['float(-5.0,-.5)', { kind: 'float', optional: false, min: -5, max: -0.5 }],
    ['port?', { kind: 'port', optional: true }],
    ['match(^(a|b)$)', { kind: 'match', optional: false, pattern: '^(a|b)$' }],
    ['list(lan|winet)?', { kind: 'list', optional: true, choices: ['lan', 'winet'] }],
    ['device(subsystem=tty)', { kind: 'device', optional: false, subsystem: 'tty' }],
  ])('parses %s', (typ, expected) => {
    expect(parseElementType(typ)).toEqual(expected);
  });

  it.each(['string', 'int(a,b)', 'float(-1.0,-.)', 'list()', 'device(tty)', '', '?', 'int?(1,2)'])(
    'rejects the unknown type %j',
    (typ) => {
      expect(parseElementType(typ)).toBeNull();
      expect(validateOptions({ x: typ }, { x: 1 })).toMatchObject({ ok: false, path: 'x' });
    },
  );
});

describe('values', () => {
  it('str needs text and counts its length in characters', () => {
    expect(accepts({ name: 'str(1,5)' }, { name: 'Ünïcø' })).toBe(true);
    expect(accepts({ name: 'str(1,5)' }, { name: '' })).toBe(false);
    expect(accepts({ name: 'str(1,5)' }, { name: 'sixsix' })).toBe(false);
    expect(accepts({ name: 'str' }, { name: 5 })).toBe(false);
  });

  it('int coerces text and truncates fractions, then checks the bounds', () => {
    expect(validateOptions({ n: 'int(0,10)' }, { n: '7' })).toMatchObject({ ok: true, options: { n: 7 } });
    expect(validateOptions({ n: 'int(0,10)' }, { n: 9.9 })).toMatchObject({ ok: true, options: { n: 9 } });
    expect(accepts({ n: 'int(0,10)' }, { n: 11 })).toBe(false);
    expect(accepts({ n: 'int(-5,0)' }, { n: '-6' })).toBe(false);
    expect(accepts({ n: 'int' }, { n: 'seven' })).toBe(false);
  });

  it('float bounds include both ends', () => {
    expect(accepts({ f: 'float(0.5,1.5)' }, { f: 0.5 })).toBe(true);
    expect(accepts({ f: 'float(0.5,1.5)' }, { f: '1.5' })).toBe(true);
    expect(accepts({ f: 'float(0.5,1.5)' }, { f: 1.6 })).toBe(false);
    expect(accepts({ f: 'float(0,)' }, { f: 'nan' })).toBe(false);
  });

  it('port is an integer from 1 to 65535', () => {
    expect(accepts({ p: 'port' }, { p: 1 })).toBe(true);
    expect(accepts({ p: 'port' }, { p: 65535 })).toBe(true);
    expect(accepts({ p: 'port' }, { p: 0 })).toBe(false);
    expect(accepts({ p: 'port' }, { p: 65536 })).toBe(false);
  });

  it('bool takes words and numbers', () => {
    expect(validateOptions({ b: 'bool' }, { b: 'on' })).toMatchObject({ options: { b: true } });
    expect(validateOptions({ b: 'bool' }, { b: 0 })).toMatchObject({ options: { b: false } });
    expect(accepts({ b: 'bool' }, { b: 'hah' })).toBe(false);
  });

  it('match anchors at the start only and returns text', () => {
    expect(validateOptions({ m: 'match(\\d+)' }, { m: '12abc' })).toMatchObject({ ok: true, options: { m: '12abc' } });
    expect(accepts({ m: 'match(\\d+)' }, { m: 'abc12' })).toBe(false);
    expect(validateOptions({ m: 'match(^\\d+$)' }, { m: 42 })).toMatchObject({ ok: true, options: { m: '42' } });
  });

  it('list compares the text of the value with the choices', () => {
    expect(accepts({ l: 'list(a|b)' }, { l: 'b' })).toBe(true);
    expect(accepts({ l: 'list(a|b)' }, { l: 'B' })).toBe(false);
    expect(validateOptions({ l: 'list(1|2)' }, { l: 2 })).toMatchObject({ ok: true, options: { l: '2' } });
  });

  it('email and url', () => {
    expect(accepts({ e: 'email' }, { e: 'me@example.org' })).toBe(true);
    expect(accepts({ e: 'email' }, { e: 'example.org' })).toBe(false);
    expect(accepts({ u: 'url' }, { u: 'http://example.org/x' })).toBe(true);
    expect(accepts({ u: 'url' }, { u: 'example.org/x' })).toBe(false);
  });

  it('device must be a device the host has, of the filtered subsystem', () => {
    const context = {
      devices: [
        { path: '/dev/ttyUSB0', subsystem: 'tty' },
        { path: '/dev/video0', subsystem: 'misc' },
      ],
    };
    expect(validateOptions({ d: 'device(subsystem=tty)' }, { d: '/dev/ttyUSB0' }, context).ok).toBe(true);
    expect(validateOptions({ d: 'device(subsystem=tty)' }, { d: '/dev/video0' }, context).ok).toBe(false);
    expect(validateOptions({ d: 'device' }, { d: '/dev/ttyACM9' }, context).ok).toBe(false);
    expect(validateOptions({ d: 'device' }, { d: 12345 }, context).ok).toBe(false);
  });

  it('null is never a value, not even for an optional option', () => {
    expect(validateOptions({ a: 'str?' }, { a: null })).toMatchObject({ ok: false, path: 'a' });
  });

  it('!secret reads HA secrets', () => {
    const context = { secrets: { modbus_host: '192.168.1.50' } };
    expect(validateOptions({ h: 'str' }, { h: '!secret modbus_host' }, context)).toMatchObject({
      ok: true,
      options: { h: '192.168.1.50' },
    });
    expect(validateOptions({ h: 'str' }, { h: '!secret nope' }, context)).toMatchObject({ ok: false, path: 'h' });
  });
});

describe('structure', () => {
  const schema: OptionsSchema = {
    name: 'str',
    alias: 'str?',
    tags: ['str?'],
    hosts: ['str'],
    ssh: { key: 'str?' },
    devices: [{ name: 'str', port: 'port?' }],
  };
  const base = { name: 'x', hosts: [], ssh: {}, devices: [] };

  it('accepts the minimal options', () => {
    expect(validateOptions(schema, base)).toEqual({ ok: true, options: base, dropped: [] });
  });

  it('drops unknown keys at every level instead of rejecting them', () => {
    const result = validateOptions(schema, { ...base, extra: 1, ssh: { other: 2 }, devices: [{ name: 'a', x: 3 }] });
    expect(result).toEqual({
      ok: true,
      options: { ...base, devices: [{ name: 'a' }] },
      dropped: ['ssh.other', 'devices[0].x', 'extra'],
    });
  });

  it('a list may be missing only when its element type is optional; a dict never', () => {
    const { hosts: _hosts, ...withoutHosts } = base;
    const { tags: _tags, ...withoutTags } = { ...base, tags: [] };
    const { ssh: _ssh, ...withoutSsh } = base;
    const { devices: _devices, ...withoutDevices } = base;
    expect(validateOptions(schema, withoutTags).ok).toBe(true);
    expect(validateOptions(schema, withoutHosts)).toMatchObject({ ok: false, path: 'hosts' });
    expect(validateOptions(schema, withoutSsh)).toMatchObject({ ok: false, path: 'ssh' });
    expect(validateOptions(schema, withoutDevices)).toMatchObject({ ok: false, path: 'devices' });
  });

  it('checks each list item and names it', () => {
    expect(validateOptions(schema, { ...base, hosts: ['a', 1] })).toMatchObject({ ok: false, path: 'hosts[1]' });
    expect(validateOptions(schema, { ...base, devices: [{ name: 'a' }, { port: 1 }] })).toMatchObject({
      ok: false,
      path: 'devices[1].name',
    });
    expect(validateOptions(schema, { ...base, devices: ['a'] })).toMatchObject({ ok: false, path: 'devices[0]' });
    expect(validateOptions(schema, { ...base, hosts: 'a' })).toMatchObject({ ok: false, path: 'hosts' });
  });

  it('the options themselves must be a dict', () => {
    expect(validateOptions(schema, [base]).ok).toBe(false);
    expect(validateOptions(schema, null).ok).toBe(false);
  });
});

describe('merging user options over the defaults', () => {
  it('merges dicts key by key and replaces lists and scalars', () => {
    const defaults = { level: 'info', safety: { reserve: 10, max: 5000 }, devices: [{ name: 'demo' }] };
    expect(mergeOptions(defaults, { safety: { max: 3000 }, devices: [] })).toEqual({
      level: 'info',
      safety: { reserve: 10, max: 3000 },
      devices: [],
    });
    expect(mergeOptions(defaults, { safety: null })).toEqual({ ...defaults, safety: null });
  });
});

describe('schema shape', () => {
  it('accepts types, lists of types or dicts, and dicts', () => {
    expect(schemaProblems({ a: 'str', b: ['int?'], c: [{ d: 'port' }], e: { f: 'bool' } })).toEqual([]);
  });

  it('reports unknown types, lists in lists and non-types', () => {
    expect(schemaProblems({ a: 'text', b: [['str']], c: 5, d: [] })).toEqual([
      'schema.a: unknown type "text"',
      'schema.b[]: a list may not directly contain another list',
      'schema.c: expected a type, a list or a dict',
      'schema.d: a list schema holds exactly one element type',
    ]);
  });

  it('measures nesting depth', () => {
    expect(schemaNesting({ a: 'str' })).toBe(0);
    expect(schemaNesting({ a: ['str'], b: { c: 'str' } })).toBe(1);
    expect(schemaNesting({ a: [{ b: 'str' }] })).toBe(2);
  });
});

describe('the Supervisors before 2026.03.3 (the HA 2025.4 era)', () => {
  const older = 'before-2026.03.3' as const;

  it('know no negative bounds: float(-90,90) and int(-5,0) are unknown types there, as the whole config fails', () => {
    expect(isKnownElementType('float(-90,90)?', 'current')).toBe(true);
    expect(isKnownElementType('float(-90,90)?', older)).toBe(false);
    expect(isKnownElementType('int(-5,0)', older)).toBe(false);
    expect(schemaProblems({ f: { lat: 'float(-90,90)?' } }, older)).toEqual([
      'schema.f.lat: unknown type "float(-90,90)?"',
    ]);
  });

  it('take an upper bound alone and every other type the current Supervisor takes', () => {
    for (const typ of ['float(,90)?', 'float(0.5,1)', 'int(0,247)?', 'str?', 'password?', 'url?', 'port?', 'bool?']) {
      expect({ typ, known: isKnownElementType(typ, older) }).toEqual({ typ, known: true });
    }
    for (const typ of ['match(^[A-Z]{3}$)?', 'list(a|b)?', 'email', 'device(subsystem=tty)']) {
      expect({ typ, known: isKnownElementType(typ, older) }).toEqual({ typ, known: true });
    }
  });

  it('allow only their fixed nesting: a dict, or a list of dicts, holding elements or lists of elements', () => {
    expect(schemaProblems({ a: [{ b: 'str', c: ['int'] }], d: { e: ['str'] }, f: ['str'] }, older)).toEqual([]);
    expect(schemaProblems({ a: { b: { c: 'str' } } }, older)).toEqual([
      'schema.a: nested deeper than Supervisors before 2026.03.3 allow',
    ]);
    expect(schemaProblems({ a: { b: [{ c: 'str' }] } }, older)).toEqual([
      'schema.a: nested deeper than Supervisors before 2026.03.3 allow',
    ]);
    // The current Supervisor nests freely (a list still may not hold a list directly).
    expect(schemaProblems({ a: { b: { c: 'str' } } })).toEqual([]);
  });
});
