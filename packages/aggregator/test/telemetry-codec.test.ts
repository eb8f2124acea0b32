import { brotliCompressSync, deflateRawSync } from 'node:zlib';
import { Encoder } from 'cbor-x';
import fc from 'fast-check';
import {
  decodeTelemetryBatch,
  deltaDecode,
  deltaEncode,
  encodeTelemetryBatch,
  fieldDecimals,
  type BatchEnvelope,
  type TelemetryCompression,
  type TelemetryRecord,
} from '@sps/aggregator';

const T0 = Date.UTC(2026, 5, 1, 12, 0);

function envelope(records: readonly TelemetryRecord[], seq = 3): BatchEnvelope {
  return {
    batch_id: '6f1c1a2e-0000-4000-8000-00000000000a',
    seq,
    site: 'offgrid-pi',
    level: 'telemetry',
    sent_at: new Date(T0 + 15 * 60_000).toISOString(),
    records,
  };
}

const pylontechMinute = (m: number, device = 'pylontech_1'): TelemetryRecord => ({
  k: 's',
  t: T0 + m * 60_000,
  d: device,
  v: {
    battery_voltage: 52.31 + m * 0.01,
    battery_soc: 81,
    battery_soh: 99,
    battery_current: -12.3,
    battery_temperature: 24.6,
    charge_voltage_limit: 53.2,
    charge_current_limit: 50,
    discharge_current_limit: 100,
  },
});

/** What the decoder gives back for a record: values at the field's resolution. */
function expectClose(actual: Record<string, number>, expected: Record<string, number>): void {
  expect(Object.keys(actual).sort()).toEqual(Object.keys(expected).sort());
  for (const [key, value] of Object.entries(expected)) {
    const step = 10 ** -fieldDecimals(key);
    expect(Math.abs((actual[key] as number) - value)).toBeLessThanOrEqual(
      step / 2 + 1e-9 * Math.max(1, Math.abs(value)),
    );
  }
}

describe('telemetry codec', () => {
  it('round-trips a batch of two batteries and an alarm with every compression', () => {
    const records: TelemetryRecord[] = [];
    for (let m = 0; m < 15; m += 1) records.push(pylontechMinute(m), pylontechMinute(m, 'pylontech_2'));
    records.push({
      k: 'a',
      t: T0 + 7 * 60_000,
      id: 'battery_alarm:pylontech_1',
      on: true,
      d: 'pylontech_1',
      m: 'cell over-voltage',
    });
    for (const compression of ['none', 'deflate-raw', 'brotli', 'gzip'] as TelemetryCompression[]) {
      const result = decodeTelemetryBatch(encodeTelemetryBatch(envelope(records), compression));
      if (!result.ok) throw new Error(result.reason);
      const { batch } = result;
      expect(batch).toMatchObject({
        batchId: '6f1c1a2e-0000-4000-8000-00000000000a',
        seq: 3,
        site: 'offgrid-pi',
        level: 'telemetry',
      });
      expect(batch.sentAtMs).toBe(T0 + 15 * 60_000);
      expect(batch.samples).toHaveLength(30);
      expect(batch.samples.filter((s) => s.device === 'pylontech_1').map((s) => s.t)).toEqual(
        Array.from({ length: 15 }, (_, m) => T0 + m * 60_000),
      );
      expectClose({ ...batch.samples[14]?.values }, (pylontechMinute(14) as { v: Record<string, number> }).v);
      expect(batch.alarms).toEqual([
        {
          t: T0 + 7 * 60_000,
          id: 'battery_alarm:pylontech_1',
          active: true,
          device: 'pylontech_1',
          message: 'cell over-voltage',
        },
      ]);
    }
  });

  it('is small: 15 minutes of the default fields for two batteries fit in a few hundred bytes', () => {
    const records: TelemetryRecord[] = [];
    for (let m = 0; m < 15; m += 1) records.push(pylontechMinute(m), pylontechMinute(m, 'pylontech_2'));
    const frame = encodeTelemetryBatch(envelope(records));
    expect(frame.length).toBeLessThan(Buffer.byteLength(JSON.stringify(envelope(records))) / 10);
  });

  it('keeps gaps: a field missing in some minutes decodes as missing there, deltas run over the gap', () => {
    const records: TelemetryRecord[] = [
      { k: 's', t: T0, d: 'b', v: { battery_soc: 50, battery_voltage: 51.1 } },
      { k: 's', t: T0 + 60_000, d: 'b', v: { battery_voltage: 51.2 } },
      { k: 's', t: T0 + 180_000, d: 'b', v: { battery_soc: 48.4 } },
    ];
    const result = decodeTelemetryBatch(encodeTelemetryBatch(envelope(records)));
    if (!result.ok) throw new Error(result.reason);
    expect(result.batch.samples).toEqual([
      { t: T0, device: 'b', values: { battery_soc: 50, battery_voltage: 51.1 } },
      { t: T0 + 60_000, device: 'b', values: { battery_voltage: 51.2 } },
      { t: T0 + 180_000, device: 'b', values: { battery_soc: 48.4 } },
    ]);
  });

  it('delta coding: first absolute, then differences over present values', () => {
    expect(deltaEncode([100, 101, null, 99, 99])).toEqual([100, 1, null, -2, 0]);
    expect(deltaDecode([100, 1, null, -2, 0])).toEqual([100, 101, null, 99, 99]);
  });

  it('property: decode(encode(x)) == x within each field’s scaling, for random series', () => {
    const key = fc.constantFrom(
      'battery_voltage',
      'battery_soc',
      'battery_current',
      'battery_temperature',
      'pv_power',
      'some_energy',
    );
    const value = fc.double({ min: -1e6, max: 1e6, noNaN: true, noDefaultInfinity: true });
    const minute = fc.record({
      device: fc.constantFrom('pylontech_1', 'pylontech_2', 'studer'),
      values: fc.dictionary(key, value, { maxKeys: 6 }),
    });
    fc.assert(
      fc.property(fc.array(minute, { maxLength: 60 }), fc.integer({ min: 0, max: 2 ** 40 }), (minutes, seq) => {
        // One sample per device per minute, in time order.
        const records: TelemetryRecord[] = minutes.map((m, i) => ({
          k: 's',
          t: T0 + i * 60_000,
          d: m.device,
          v: m.values,
        }));
        const result = decodeTelemetryBatch(encodeTelemetryBatch(envelope(records, seq)));
        if (!result.ok) throw new Error(result.reason);
        expect(result.batch.seq).toBe(seq);
        const byKey = (s: { t: number; device: string }) => `${s.device}@${s.t}`;
        const decoded = new Map(result.batch.samples.map((s) => [byKey(s), s.values]));
        expect(decoded.size).toBe(records.length);
        for (const r of records) {
          if (r.k !== 's') continue;
          expectClose({ ...decoded.get(byKey({ t: r.t, device: r.d })) }, r.v);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('malformed input is a reason, never a throw (fast-check over bytes and over mangled frames)', () => {
    const good = encodeTelemetryBatch(envelope([pylontechMinute(0), pylontechMinute(1)]));
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), (bytes) => {
        const result = decodeTelemetryBatch(bytes);
        expect(typeof result.ok).toBe('boolean');
        if (!result.ok) expect(result.reason).toMatch(/^telemetry: /);
      }),
      { numRuns: 500 },
    );
    fc.assert(
      fc.property(
        fc.nat({ max: good.length - 1 }),
        fc.integer({ min: 0, max: 255 }),
        fc.nat({ max: good.length }),
        (at, byte, cut) => {
          const mangled = Buffer.from(good).subarray(0, Math.max(1, cut));
          if (at < mangled.length) mangled[at] = byte;
          const result = decodeTelemetryBatch(mangled);
          if (!result.ok) expect(result.reason).toMatch(/^telemetry: /);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('names what is wrong: short frame, unknown format, bad compression, not CBOR, wrong shape, hostile keys, bombs', () => {
    const cbor = new Encoder({ useRecords: false, mapsAsObjects: true });
    const frame = (code: number, body: Uint8Array) => Buffer.concat([Buffer.from([code]), Buffer.from(body)]);
    const wire = (d: unknown) => ({ f: 1, id: 'x', q: 1, s: 'site', l: 'telemetry', at: 1, d });
    const reason = (bytes: Uint8Array) => {
      const r = decodeTelemetryBatch(bytes);
      return r.ok ? 'ok' : r.reason;
    };
    expect(reason(Buffer.from([0x12]))).toBe('telemetry: frame too short');
    expect(reason(Buffer.from([0x20, 0]))).toBe('telemetry: unknown format 2');
    expect(reason(frame(0x17, Buffer.from('abc')))).toMatch(/cannot decompress \(unknown compression 7\)/);
    expect(reason(frame(0x12, Buffer.from('not brotli at all')))).toMatch(/cannot decompress/);
    expect(reason(frame(0x10, Buffer.from([0xff, 0xff])))).toMatch(/not CBOR/);
    expect(reason(frame(0x10, cbor.encode({ f: 1 })))).toMatch(/^telemetry: id: /);
    expect(reason(frame(0x10, cbor.encode(wire([{ n: 'b', t: [1, 60], c: [['battery_soc', 1, [5]]] }]))))).toMatch(
      /column battery_soc has 1 values for 2 times/,
    );
    expect(reason(frame(0x10, cbor.encode(wire([{ n: 'b', t: [1], c: [['__proto__', 1, [5]]] }]))))).toMatch(
      /forbidden key/,
    );
    expect(reason(frame(0x10, cbor.encode(wire([{ n: 'b', t: [1, 2 ** 53 - 1], c: [] }]))))).toMatch(
      /time is out of range/,
    );
    expect(reason(frame(0x10, cbor.encode(wire([{ n: 'b', t: [1], c: [['x', 1, [2 ** 52, 2 ** 52]]] }]))))).toMatch(
      /values for|overflows/,
    );
    const map = new Map<unknown, unknown>([[1, 2]]);
    expect(reason(frame(0x10, new Encoder({ useRecords: false, mapsAsObjects: false }).encode(map)))).toMatch(
      /map key is not text/,
    );
    // 8 MiB of zeros compress to a few kB; the decoder stops at its bound instead of inflating them.
    const bomb = deflateRawSync(Buffer.alloc(8 * 1024 * 1024));
    expect(reason(frame(0x11, bomb))).toMatch(/cannot decompress/);
    expect(reason(frame(0x12, brotliCompressSync(Buffer.alloc(8 * 1024 * 1024))))).toMatch(/cannot decompress/);
  });
});
