import { EMPTY_SNAPSHOT, type SpsSnapshot } from './source.js';

/** The snapshot both data sources keep, and the listeners that hear every change. */
export class SnapshotStore {
  private current: SpsSnapshot = EMPTY_SNAPSHOT;
  private readonly listeners = new Set<(s: SpsSnapshot) => void>();

  get(): SpsSnapshot {
    return this.current;
  }

  update(change: Partial<SpsSnapshot>): void {
    this.current = { ...this.current, ...change };
    for (const listener of [...this.listeners]) {
      try {
        listener(this.current);
      } catch (err) {
        // One broken card must not stop the others from hearing the change.
        console.error('sps: a snapshot listener failed', err);
      }
    }
  }

  subscribe(listener: (s: SpsSnapshot) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get listenerCount(): number {
    return this.listeners.size;
  }
}

/** A one-line message of anything thrown. */
export function messageOf(err: unknown): string {
  if (err instanceof Error) return err.message;
  if (typeof err === 'string') return err;
  if (err && typeof err === 'object' && 'message' in err && typeof err.message === 'string') return err.message;
  return String(err);
}
