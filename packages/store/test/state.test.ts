import { z } from 'zod';
import { MAX_STATE_BYTES, ReadingStore, StoreInputError } from '@sps/store';
import { openStore, tempDir, type Harness } from './helpers';

describe('key-value state', () => {
  let h: Harness;
  beforeEach(() => (h = openStore()));
  afterEach(() => h.store.close());

  it('round-trips JSON values and overwrites by (namespace, key)', () => {
    h.store.putState('prices', 'last', { currency: 'AUD', points: [0.21, 0.35] });
    h.store.putState('overrides', 'last', 42);
    expect(h.store.getState('prices', 'last')).toEqual({ currency: 'AUD', points: [0.21, 0.35] });
    expect(h.store.getState('overrides', 'last')).toBe(42);
    h.store.putState('overrides', 'last', null);
    expect(h.store.getState('overrides', 'last')).toBeNull();
    expect(h.store.getState('overrides', 'missing')).toBeUndefined();
    expect(h.store.getState('missing', 'last')).toBeUndefined();
  });

  it('deletes entries', () => {
    h.store.putState('ns', 'k', 'v');
    expect(h.store.deleteState('ns', 'k')).toBe(true);
    expect(h.store.deleteState('ns', 'k')).toBe(false);
    expect(h.store.getState('ns', 'k')).toBeUndefined();
  });

  it('validates with a schema; a stale shape reads as absent and is reported', () => {
    const Override = z.object({ mode: z.enum(['charge', 'discharge']), until: z.string() });
    h.store.putState('overrides', 'active', { mode: 'charge', until: '2026-01-01T13:00:00Z' });
    expect(h.store.getState('overrides', 'active', Override)).toEqual({
      mode: 'charge',
      until: '2026-01-01T13:00:00Z',
    });
    h.store.putState('overrides', 'active', { mode: 'boost' });
    expect(h.store.getState('overrides', 'active', Override)).toBeUndefined();
    expect(h.problems).toEqual([
      expect.objectContaining({ kind: 'state_invalid', namespace: 'overrides', key: 'active' }),
    ]);
    expect(JSON.stringify(h.problems[0])).toMatch(/mode/);
    expect(JSON.stringify(h.problems[0])).toMatch(/until/);
  });

  it('refuses what cannot be stored as JSON, naming the field', () => {
    const circular: Record<string, unknown> = {};
    circular['self'] = circular;
    expect(() => h.store.putState('ns', 'k', undefined)).toThrow(/^value: /);
    expect(() => h.store.putState('ns', 'k', 10n)).toThrow(StoreInputError);
    expect(() => h.store.putState('ns', 'k', circular)).toThrow(/value: not serialisable/);
    expect(() => h.store.putState('ns', 'k', 'x'.repeat(MAX_STATE_BYTES))).toThrow(/value: larger than/);
    expect(() => h.store.putState('', 'k', 1)).toThrow(/^namespace: /);
    expect(() => h.store.putState('ns', '', 1)).toThrow(/^key: /);
    expect(h.store.getState('ns', 'k')).toBeUndefined();
  });

  it('is durable at once, without waiting for a flush', () => {
    const tmp = tempDir();
    try {
      const writer = ReadingStore.open({ path: tmp.dbPath, clock: h.clock });
      writer.putState('prices', 'last', [1, 2, 3]);
      // A second connection (another process, or this one after a crash) sees it immediately.
      const reader = ReadingStore.open({ path: tmp.dbPath, clock: h.clock });
      expect(reader.getState('prices', 'last')).toEqual([1, 2, 3]);
      reader.close();
      writer.close();
    } finally {
      tmp.cleanup();
    }
  });
});
