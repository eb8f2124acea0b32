import type { HaEntityLookup, HaEntityPort, HaEntityState } from '@sps/core';

export interface ServiceCall {
  readonly domain: string;
  readonly service: string;
  readonly data: Readonly<Record<string, unknown>>;
  readonly entityId: string;
}

/**
 * An in-memory stand-in for the add-on's HA connection (unit tests stub the transport; the real
 * one is exercised against a real HA core in tests/e2e/ha-entities.e2e.test.ts). Service calls
 * are recorded and applied by `onCall`, like HA's helpers would.
 */
export class FakeHaPort implements HaEntityPort {
  connected = true;
  readonly calls: ServiceCall[] = [];
  private readonly states = new Map<string, HaEntityState>();
  private readonly watchers = new Set<{ ids: ReadonlySet<string>; onChange: () => void }>();
  /** Makes a call fail (HA refused it) when it returns an Error. */
  failWith: ((call: ServiceCall) => Error | undefined) | undefined;

  set(entityId: string, state: string, attributes: Record<string, unknown> = {}): void {
    const previous = this.states.get(entityId);
    this.states.set(entityId, { entityId, state, attributes: { ...previous?.attributes, ...attributes } });
    this.notify(entityId);
  }

  remove(entityId: string): void {
    this.states.delete(entityId);
    this.notify(entityId);
  }

  lookup(entityId: string): HaEntityLookup {
    if (!this.connected) return { status: 'disconnected' };
    const state = this.states.get(entityId);
    return state ? { status: 'present', state } : { status: 'missing' };
  }

  watch(entityIds: readonly string[], onChange: () => void): () => void {
    const watcher = { ids: new Set(entityIds), onChange };
    this.watchers.add(watcher);
    return () => this.watchers.delete(watcher);
  }

  async callService(
    domain: string,
    service: string,
    data: Readonly<Record<string, unknown>>,
    entityId: string,
  ): Promise<void> {
    const call = { domain, service, data, entityId };
    this.calls.push(call);
    // A turn of the event loop, as over the websocket: lets two commands try to interleave.
    await new Promise((resolve) => setImmediate(resolve));
    const failure = this.failWith?.(call);
    if (failure) throw failure;
    if (service === 'set_value') this.set(entityId, String(data['value']));
    if (service === 'select_option') this.set(entityId, String(data['option']));
    if (service === 'turn_on' || service === 'turn_off') this.set(entityId, service === 'turn_on' ? 'on' : 'off');
  }

  watcherCount(): number {
    return this.watchers.size;
  }

  private notify(entityId: string): void {
    for (const w of [...this.watchers]) if (w.ids.has(entityId)) w.onChange();
  }
}
