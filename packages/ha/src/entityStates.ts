import type { HaEntityLookup, HaEntityPort, HaEntityState } from '@sps/core';
import { z } from 'zod';
import type { Connection } from './haws.js';
import { describeError, type HaLogger } from './logger.js';

/**
 * HA's `subscribe_entities` messages (home-assistant websocket_api, messages.py: the compressed
 * state format). `a`: entities added, with full state (`s`) and attributes (`a`); `c`: changes,
 * `+` what is new (state and/or changed attributes), `-` the attribute keys removed; `r`: entities
 * removed. The first message after subscribing is an `a` with every matching entity, even if none.
 */
const CompressedState = z.looseObject({ s: z.string(), a: z.record(z.string(), z.unknown()).optional() });
const CompressedChange = z.looseObject({
  '+': z.looseObject({ s: z.string().optional(), a: z.record(z.string(), z.unknown()).optional() }).optional(),
  '-': z.looseObject({ a: z.array(z.string()).optional() }).optional(),
});
const EntitiesMessage = z.looseObject({
  a: z.record(z.string(), CompressedState).optional(),
  c: z.record(z.string(), CompressedChange).optional(),
  r: z.array(z.string()).optional(),
});

/** What HaEntityStates needs of the add-on's HA client (HaBridgeClient's `connection` event). */
export interface HaConnectionSource {
  readonly events: {
    on(event: 'connection', listener: (conn: Connection | null) => void): () => void;
  };
}

interface Watcher {
  readonly ids: ReadonlySet<string>;
  readonly onChange: () => void;
}

/**
 * The add-on's one read/write port onto HA entities for drivers (core's HaEntityPort): one
 * `subscribe_entities` on the add-on's existing connection, filtered to the entities that
 * devices map, renewed on every new connection and whenever a device maps an entity not yet in
 * it; service calls over the same connection.
 */
export class HaEntityStates implements HaEntityPort {
  private conn: Connection | null = null;
  private generation = 0;
  /** Every entity any device ever watched: the subscription never shrinks (see HaEntityPort.watch). */
  private readonly subscribed = new Set<string>();
  /** The entities the live subscription has reported on (its first message covers them all). */
  private readonly covered = new Set<string>();
  private readonly states = new Map<string, HaEntityState>();
  private readonly watchers = new Set<Watcher>();
  private unsubscribe: (() => Promise<void>) | null = null;
  private detach: (() => void) | null = null;
  private settledWaiters: (() => void)[] = [];

  constructor(private readonly log: HaLogger) {}

  /** Follow the client's connections from now on (the add-on calls it once HaLink exists). */
  attach(source: HaConnectionSource): void {
    this.detach?.();
    this.detach = source.events.on('connection', (conn) => this.onConnection(conn));
  }

  /** Stop following (shutdown); states are forgotten, lookups say disconnected. */
  stop(): void {
    this.detach?.();
    this.detach = null;
    this.onConnection(null);
  }

  /**
   * Resolves once HA has reported on every watched entity over a live connection (present or
   * missing): for a one-shot reader (`sps read`), which must not take "not yet" for "no HA".
   */
  settled(): Promise<void> {
    if (this.isSettled()) return Promise.resolve();
    return new Promise((resolve) => this.settledWaiters.push(resolve));
  }

  lookup(entityId: string): HaEntityLookup {
    if (!this.conn || !this.covered.has(entityId)) return { status: 'disconnected' };
    const state = this.states.get(entityId);
    return state ? { status: 'present', state } : { status: 'missing' };
  }

  watch(entityIds: readonly string[], onChange: () => void): () => void {
    const watcher: Watcher = { ids: new Set(entityIds), onChange };
    this.watchers.add(watcher);
    const fresh = entityIds.filter((id) => !this.subscribed.has(id));
    for (const id of fresh) this.subscribed.add(id);
    if (fresh.length > 0 && this.conn) void this.subscribe(this.conn);
    return () => {
      this.watchers.delete(watcher);
    };
  }

  async callService(
    domain: string,
    service: string,
    data: Readonly<Record<string, unknown>>,
    entityId: string,
  ): Promise<void> {
    const conn = this.conn;
    if (!conn) throw new Error('not connected to Home Assistant');
    try {
      await conn.sendMessagePromise({
        type: 'call_service',
        domain,
        service,
        service_data: { ...data },
        target: { entity_id: entityId },
      });
    } catch (err) {
      // HA answers {code, message}: make it an Error whose message is HA's.
      throw new Error(describeError(err));
    }
  }

  private onConnection(conn: Connection | null): void {
    this.generation++;
    this.conn = conn;
    this.covered.clear();
    this.states.clear();
    // The old socket's subscription went with it.
    this.unsubscribe = null;
    if (conn && this.subscribed.size > 0) void this.subscribe(conn);
    this.notify(null);
  }

  /** (Re)subscribe to every entity in `subscribed`; the states already known stay until replaced. */
  private async subscribe(conn: Connection): Promise<void> {
    const generation = ++this.generation;
    const previous = this.unsubscribe;
    this.unsubscribe = null;
    const ids = [...this.subscribed];
    let first = true;
    try {
      const unsubscribe = await conn.subscribeMessage<unknown>(
        (message) => {
          if (generation !== this.generation) return;
          this.apply(message, first ? ids : []);
          first = false;
        },
        { type: 'subscribe_entities', entity_ids: ids },
        { resubscribe: false },
      );
      if (generation !== this.generation) {
        unsubscribe().catch(() => undefined);
        return;
      }
      this.unsubscribe = unsubscribe;
      // Unsubscribe the narrower one only now, so no change falls between the two.
      if (previous) previous().catch(() => undefined);
    } catch (err) {
      if (generation !== this.generation) return;
      // The connection is failing; the client reconnects and we subscribe again then.
      this.log.warn(`cannot subscribe to the mapped HA entities: ${describeError(err)}`);
    }
  }

  /** Apply one message; `initial` lists the entities its first message covers (present or not). */
  private apply(raw: unknown, initial: readonly string[]): void {
    const parsed = EntitiesMessage.safeParse(raw);
    if (!parsed.success) {
      this.log.warn(`ignored a malformed subscribe_entities message: ${parsed.error.issues[0]?.message ?? ''}`);
      return;
    }
    const message = parsed.data;
    const changed = new Set<string>(initial);
    for (const id of initial) this.covered.add(id);
    for (const [entityId, s] of Object.entries(message.a ?? {})) {
      this.states.set(entityId, { entityId, state: s.s, attributes: s.a ?? {} });
      this.covered.add(entityId);
      changed.add(entityId);
    }
    for (const [entityId, change] of Object.entries(message.c ?? {})) {
      const current = this.states.get(entityId);
      if (!current) continue;
      const attributes: Record<string, unknown> = { ...current.attributes, ...(change['+']?.a ?? {}) };
      for (const key of change['-']?.a ?? []) delete attributes[key];
      this.states.set(entityId, { entityId, state: change['+']?.s ?? current.state, attributes });
      changed.add(entityId);
    }
    for (const entityId of message.r ?? []) {
      this.states.delete(entityId);
      changed.add(entityId);
    }
    if (changed.size > 0) this.notify(changed);
    if (this.settledWaiters.length > 0 && this.isSettled()) {
      for (const resolve of this.settledWaiters.splice(0)) resolve();
    }
  }

  private isSettled(): boolean {
    return this.conn !== null && [...this.subscribed].every((id) => this.covered.has(id));
  }

  /** `null`: the connection changed, every watcher hears of it. */
  private notify(changed: ReadonlySet<string> | null): void {
    for (const watcher of [...this.watchers]) {
      if (changed && ![...changed].some((id) => watcher.ids.has(id))) continue;
      try {
        watcher.onChange();
      } catch (err) {
        this.log.error(`an HA entity watcher failed: ${describeError(err)}`);
      }
    }
  }
}
