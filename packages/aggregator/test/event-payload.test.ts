import fc from 'fast-check';
import { MAX_PAYLOAD_BYTES, parseEventPayload, type ParseResult } from '../src';

const NY = { timeZone: 'America/New_York', receivedAtMs: Date.parse('2026-06-30T12:00:00Z') };

function ok(result: ParseResult) {
  if (!result.ok) throw new Error(`expected ok, got: ${result.reason}`);
  return result;
}

function reason(result: ParseResult): string {
  if (result.ok) throw new Error(`expected a rejection, got event ${result.event.id}`);
  return result.reason;
}

describe('parseEventPayload: the community # format', () => {
  it('reads program, type and a local start in the configured zone; 4 h; id is program + UTC start', () => {
    const r = ok(parseEventPayload('CSRP#contingency#2026-07-01 16:00:00#2026-06-30 19:00:02.123456', NY));
    expect(r.event).toEqual({
      id: 'CSRP-2026-07-01T20:00:00Z',
      program: 'CSRP',
      type: 'contingency',
      startMs: Date.parse('2026-07-01T20:00:00Z'),
      endMs: Date.parse('2026-07-02T00:00:00Z'),
      goalKw: null,
      goalPct: null,
      status: 'active',
      receivedAtMs: NY.receivedAtMs,
      sentAt: '2026-06-30 19:00:02.123456',
    });
    expect(r.warning).toBeUndefined();
  });

  it('uses winter time in winter and takes a Buffer as well as a string', () => {
    const r = ok(parseEventPayload(Buffer.from('DLRP#immediate#2026-12-15 17:00:00#x\n'), NY));
    expect(r.event.startMs).toBe(Date.parse('2026-12-15T22:00:00Z'));
    expect(r.event.type).toBe('immediate');
  });

  it('accepts programme and type in any case (normalised)', () => {
    const r = ok(parseEventPayload('csrp#Contingency#2026-07-01 16:00:00#x', NY));
    expect([r.event.program, r.event.type]).toEqual(['CSRP', 'contingency']);
  });

  it('reads a start the clocks skip (spring forward) with the offset before the jump, and says so', () => {
    // New York, 2026-03-08: 02:00 EST → 03:00 EDT. 02:30 EST = 07:30Z (= 03:30 EDT), as Python's zoneinfo (fold=0).
    const r = ok(
      parseEventPayload('DLRP#contingency#2026-03-08 02:30:00#x', {
        ...NY,
        receivedAtMs: Date.parse('2026-03-07T12:00:00Z'),
      }),
    );
    expect(r.event.startMs).toBe(Date.parse('2026-03-08T07:30:00Z'));
    expect(r.warning).toMatch(/does not exist in America\/New_York/);
  });

  it('reads a start the clocks show twice (fall back) as the first one, and says so', () => {
    // New York, 2026-11-01: 02:00 EDT → 01:00 EST. The first 01:30 is EDT = 05:30Z.
    const r = ok(
      parseEventPayload('DLRP#contingency#2026-11-01 01:30:00#x', {
        ...NY,
        receivedAtMs: Date.parse('2026-10-31T12:00:00Z'),
      }),
    );
    expect(r.event.startMs).toBe(Date.parse('2026-11-01T05:30:00Z'));
    expect(r.warning).toMatch(/happens twice/);
  });

  it('handles the southern hemisphere: Sydney spring forward on 2026-10-04', () => {
    const ctx = { timeZone: 'Australia/Sydney', receivedAtMs: Date.parse('2026-10-01T00:00:00Z') };
    const gap = ok(parseEventPayload('CSRP#contingency#2026-10-04 02:30:00#x', ctx));
    expect(gap.event.startMs).toBe(Date.parse('2026-10-03T16:30:00Z')); // 02:30 AEST (+10)
    expect(gap.warning).toMatch(/does not exist/);
    const after = ok(parseEventPayload('CSRP#contingency#2026-10-04 03:30:00#x', ctx));
    expect(after.event.startMs).toBe(Date.parse('2026-10-03T16:30:00Z')); // 03:30 AEDT (+11): the same instant
    expect(after.warning).toBeUndefined();
  });

  it.each([
    ['CSRP#contingency#2026-07-01 16:00:00', /expected 4 '#'-separated fields .* got 3/],
    ['CSRP#contingency#2026-07-01 16:00:00#x#y', /got 5/],
    ['CSRP', /got 1/],
    ['XYZ#contingency#2026-07-01 16:00:00#x', /^program: expected one of DLRP, CSRP/],
    ['CSRP#planned#2026-07-01 16:00:00#x', /^type: expected one of contingency, immediate/],
    ['CSRP#contingency#2026-02-30 16:00:00#x', /^start: 2026-02-30 16:00:00 is not a date and time/],
    ['CSRP#contingency#2026-07-01 24:00:00#x', /^start: .* is not a date and time/],
    ['CSRP#contingency#2026-13-01 10:00:00#x', /^start: .* is not a date and time/],
    ['CSRP#contingency#01/07/2026 16:00#x', /^start: expected a local time YYYY-MM-DD HH:MM:SS/],
    ['CSRP#contingency#2031-07-01 16:00:00#x', /^start: more than a year from now/],
    ['CSRP#contingency#2026-07-01 16:00:00#', /^sent timestamp/],
  ])('rejects %j', (payload, expected) => {
    expect(reason(parseEventPayload(payload, NY))).toMatch(expected);
  });

  it('rejects an unknown time zone with a reason, not a throw', () => {
    expect(
      reason(parseEventPayload('CSRP#contingency#2026-07-01 16:00:00#x', { ...NY, timeZone: 'Mars/Olympus' })),
    ).toMatch(/time zone/);
  });
});

describe('parseEventPayload: the JSON form', () => {
  const base = { program: 'DLRP', type: 'contingency', start: '2026-07-01T16:00:00-04:00' };

  it('reads every field; end given', () => {
    const r = ok(
      parseEventPayload(
        JSON.stringify({ ...base, id: 'evt-42', end: '2026-07-01T18:30:00-04:00', goal_kw: 1.5, status: 'active' }),
        NY,
      ),
    );
    expect(r.event).toMatchObject({
      id: 'evt-42',
      program: 'DLRP',
      startMs: Date.parse('2026-07-01T20:00:00Z'),
      endMs: Date.parse('2026-07-01T22:30:00Z'),
      goalKw: 1.5,
      goalPct: null,
      status: 'active',
    });
  });

  it('defaults: 4 h, no goal, active, id from program + start (same id as the # format for the same event)', () => {
    const r = ok(parseEventPayload(JSON.stringify(base), NY));
    expect(r.event).toMatchObject({ id: 'DLRP-2026-07-01T20:00:00Z', goalKw: null, goalPct: null, status: 'active' });
    expect(r.event.endMs - r.event.startMs).toBe(4 * 3_600_000);
    const community = ok(parseEventPayload('DLRP#contingency#2026-07-01 16:00:00#x', NY));
    expect(community.event.id).toBe(r.event.id);
  });

  it('takes duration_minutes, goal_pct and a cancellation', () => {
    const r = ok(
      parseEventPayload(JSON.stringify({ ...base, duration_minutes: 90, goal_pct: 30, status: 'cancelled' }), NY),
    );
    expect(r.event.endMs - r.event.startMs).toBe(90 * 60_000);
    expect(r.event).toMatchObject({ goalPct: 30, status: 'cancelled' });
  });

  it.each([
    [{ ...base, start: '2026-07-01T16:00:00' }, /^start: expected an ISO 8601 time with an offset/],
    [{ ...base, start: '2026-02-30T16:00:00Z' }, /^start: expected an ISO 8601/],
    [{ ...base, start: 'tomorrow' }, /^start: /],
    [{ ...base, end: '2026-07-01T16:00:00-04:00' }, /^end: must be after start/],
    [{ ...base, end: '2026-07-01T15:00:00-04:00' }, /^end: must be after start/],
    [{ ...base, end: '2026-07-05T15:00:00-04:00' }, /^end: the event would last .* minutes/],
    [{ ...base, duration_minutes: 100_000 }, /^duration_minutes: /],
    [{ ...base, duration_minutes: 0 }, /^duration_minutes: /],
    [
      { ...base, end: '2026-07-01T18:00:00-04:00', duration_minutes: 60 },
      /^end: give end or duration_minutes, not both/,
    ],
    [{ ...base, goal_kw: 1, goal_pct: 10 }, /^goal_kw: give goal_kw or goal_pct, not both/],
    [{ ...base, goal_kw: -1 }, /^goal_kw: /],
    [{ ...base, goal_pct: 150 }, /^goal_pct: /],
    [{ ...base, program: 'OTHER' }, /^program: /],
    [{ ...base, type: 7 }, /^type: /],
    [{ ...base, status: 'paused' }, /^status: /],
    [{ ...base, id: 'has space' }, /^id: /],
    [{ type: 'contingency', start: base.start }, /^program: /],
  ])('rejects %j', (body, expected) => {
    expect(reason(parseEventPayload(JSON.stringify(body), NY))).toMatch(expected);
  });

  it('rejects JSON that is not an object, or not JSON', () => {
    expect(reason(parseEventPayload('[1,2]', NY))).toMatch(/expected an object/);
    expect(reason(parseEventPayload('{"program":', NY))).toMatch(/not valid JSON/);
  });

  it.each([
    ['at the top', `{"__proto__": {"polluted": true}, "program": "DLRP"}`],
    ['as constructor', `{"constructor": {"prototype": {"x": 1}}}`],
    ['deep inside', `{"program":"DLRP","x":{"a":[{"b":{"c":{"prototype":1}}}]}}`],
    ['escaped', `{"\\u005f_proto__": {}}`],
  ])('rejects a forbidden key %s, and nothing is polluted', (_where, payload) => {
    expect(reason(parseEventPayload(payload, NY))).toMatch(
      /the key "(__proto__|constructor|prototype)" is not allowed/,
    );
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect(({} as Record<string, unknown>)['x']).toBeUndefined();
  });

  it('rejects nesting deep enough to exhaust the stack, without throwing', () => {
    const deep = '{"a":' + '['.repeat(30_000) + ']'.repeat(30_000) + '}';
    expect(deep.length).toBeLessThan(MAX_PAYLOAD_BYTES);
    const r = parseEventPayload(deep, NY);
    expect(r.ok).toBe(false);
  });
});

describe('parseEventPayload: size and encoding', () => {
  it('rejects 64 KiB + 1 byte, and a 1 MB message, by size before decoding', () => {
    const justOver = Buffer.alloc(MAX_PAYLOAD_BYTES + 1, 0x41);
    expect(reason(parseEventPayload(justOver, NY))).toBe(
      `payload: ${MAX_PAYLOAD_BYTES + 1} bytes (at most ${MAX_PAYLOAD_BYTES})`,
    );
    expect(reason(parseEventPayload(Buffer.alloc(1_000_000, 0xff), NY))).toMatch(/^payload: 1000000 bytes/);
    // A string counts in UTF-8 bytes, not characters.
    expect(reason(parseEventPayload('é'.repeat(MAX_PAYLOAD_BYTES / 2 + 1), NY))).toMatch(/^payload: \d+ bytes/);
  });

  it('accepts a payload of exactly 64 KiB as far as size goes', () => {
    const padded = JSON.stringify({ program: 'DLRP', type: 'contingency', start: '2026-07-01T16:00:00Z', pad: '' });
    const body = padded.replace('"pad":""', `"pad":"${'x'.repeat(MAX_PAYLOAD_BYTES - padded.length)}"`);
    expect(Buffer.byteLength(body)).toBe(MAX_PAYLOAD_BYTES);
    expect(parseEventPayload(body, NY).ok).toBe(true);
  });

  it('rejects bytes that are not UTF-8, and an empty payload', () => {
    expect(reason(parseEventPayload(Buffer.from([0x43, 0x53, 0xc3, 0x28]), NY))).toBe('payload: not UTF-8 text');
    expect(reason(parseEventPayload(Buffer.alloc(0), NY))).toBe('payload: empty');
    expect(reason(parseEventPayload('  \n', NY))).toBe('payload: empty');
  });
});

describe('parseEventPayload: property tests', () => {
  const valid = (r: ParseResult): boolean =>
    r.ok
      ? r.event.endMs > r.event.startMs && typeof r.event.id === 'string' && r.event.id.length > 0
      : typeof r.reason === 'string' && r.reason.length > 0;

  it('any bytes → an event or a reason, never a throw', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), (bytes) => valid(parseEventPayload(Buffer.from(bytes), NY))),
      { numRuns: 2000 },
    );
  });

  it('any string, any JSON value → an event or a reason, never a throw', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (s) => valid(parseEventPayload(s, NY))),
      { numRuns: 1000 },
    );
    fc.assert(
      fc.property(fc.json({ maxDepth: 6 }), (s) => valid(parseEventPayload(s, NY))),
      { numRuns: 1000 },
    );
  });

  it('# payloads from the right alphabet, with any zone → an event or a reason', () => {
    const zones = fc.constantFrom(
      'America/New_York',
      'Australia/Sydney',
      'Europe/London',
      'UTC',
      'Asia/Kolkata',
      'Bogus/Zone',
    );
    const field = fc.stringMatching(/^[0-9A-Za-z :.#-]{0,25}$/);
    fc.assert(
      fc.property(field, field, field, field, zones, (a, b, c, d, timeZone) =>
        valid(parseEventPayload(`${a}#${b}#${c}#${d}`, { timeZone, receivedAtMs: NY.receivedAtMs })),
      ),
      { numRuns: 1000 },
    );
  });

  it('a well-formed # event round-trips: any local time in any zone gives an instant with that wall time (or a note)', () => {
    const zones = fc.constantFrom('America/New_York', 'Australia/Sydney', 'Europe/London', 'Asia/Kolkata');
    fc.assert(
      fc.property(
        fc.integer({ min: Date.parse('2026-01-01T00:00:00Z'), max: Date.parse('2026-12-31T00:00:00Z') }),
        zones,
        (ms, timeZone) => {
          const wall = new Intl.DateTimeFormat('sv-SE', {
            timeZone,
            year: 'numeric',
            month: '2-digit',
            day: '2-digit',
            hour: '2-digit',
            minute: '2-digit',
            second: '2-digit',
            hourCycle: 'h23',
          }).format(new Date(Math.floor(ms / 1000) * 1000));
          const r = parseEventPayload(`CSRP#immediate#${wall}#x`, { timeZone, receivedAtMs: ms });
          if (!r.ok) return false;
          // The same wall time may belong to two instants (fall back): then ours is the earlier one.
          const exact = r.event.startMs === Math.floor(ms / 1000) * 1000;
          return exact || (r.warning !== undefined && r.event.startMs < ms);
        },
      ),
      { numRuns: 500 },
    );
  });
});
