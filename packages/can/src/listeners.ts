/**
 * A set of listeners called in subscription order. One listener's exception must not starve the
 * others nor unwind into a socket's data handler, so each call is isolated and the error handed
 * to `onError` (default: dropped; transports pass their logger when they have one).
 */
export class Listeners<T> {
  private readonly listeners = new Set<(value: T) => void>();

  constructor(private readonly onError: (err: unknown) => void = () => undefined) {}

  add(listener: (value: T) => void): () => void {
    // A wrapper, so the same function subscribed twice is called twice and removed once per handle.
    const entry = (value: T): void => listener(value);
    this.listeners.add(entry);
    return () => {
      this.listeners.delete(entry);
    };
  }

  emit(value: T): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(value);
      } catch (err) {
        this.onError(err);
      }
    }
  }

  get size(): number {
    return this.listeners.size;
  }
}
