/**
 * Small durable documents the add-on keeps between restarts (pending timed overrides, the
 * last device declarations sent to HA). @sps/store's ReadingStore fits this port; tests and
 * benchmarks that run without SQLite get the in-memory one.
 */
export interface StateStore {
  putState(namespace: string, key: string, value: unknown): void;
  getState(namespace: string, key: string): unknown;
  deleteState(namespace: string, key: string): boolean;
}

export function isStateStore(candidate: unknown): candidate is StateStore {
  if (typeof candidate !== 'object' || candidate === null) return false;
  const c = candidate as Partial<Record<keyof StateStore, unknown>>;
  return typeof c.putState === 'function' && typeof c.getState === 'function' && typeof c.deleteState === 'function';
}

/** Keeps documents for the life of the process only (JSON round-trip, like the real store). */
export class MemoryStateStore implements StateStore {
  private readonly documents = new Map<string, string>();

  putState(namespace: string, key: string, value: unknown): void {
    this.documents.set(`${namespace}\u0000${key}`, JSON.stringify(value));
  }

  getState(namespace: string, key: string): unknown {
    const json = this.documents.get(`${namespace}\u0000${key}`);
    return json === undefined ? undefined : (JSON.parse(json) as unknown);
  }

  deleteState(namespace: string, key: string): boolean {
    return this.documents.delete(`${namespace}\u0000${key}`);
  }
}
