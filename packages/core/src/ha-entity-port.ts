/**
 * A device's view of Home Assistant entities (drivers `ha-battery`, `ha-ev-charger`): the current
 * state of the entities it maps, a change signal, and HA service calls. The add-on implements it
 * once on its one HA connection (packages/ha `HaEntityStates`) and hands it to drivers, so a driver
 * never sees the add-on's HA link and many devices share one websocket and one subscription.
 */

/** One entity's state as HA reports it (`state` is always text in HA: "21.5", "on", "unavailable"). */
export interface HaEntityState {
  readonly entityId: string;
  readonly state: string;
  readonly attributes: Readonly<Record<string, unknown>>;
}

/**
 * `disconnected`: the add-on has no live HA connection, or HA has not yet sent the entity's state
 * since it subscribed; `missing`: HA is connected and has no such entity.
 */
export type HaEntityLookup =
  | { readonly status: 'disconnected' }
  | { readonly status: 'missing' }
  | { readonly status: 'present'; readonly state: HaEntityState };

export interface HaEntityPort {
  /** The state of one entity, as of the last message from HA. */
  lookup(entityId: string): HaEntityLookup;
  /**
   * Keep these entities' states current (the port subscribes to them on every HA connection) and
   * call `onChange` after any of them changes, appears, disappears, or the connection comes or goes.
   * Returns the way to stop listening; the entities stay subscribed for the port's lifetime, so a
   * device that reconnects does not wait for a fresh subscription.
   */
  watch(entityIds: readonly string[], onChange: () => void): () => void;
  /**
   * Call an HA service, e.g. `('number', 'set_value', {value: 3000}, 'number.charge_limit')`.
   * Resolves when HA has run it; rejects with an Error carrying HA's message, or when not connected.
   */
  callService(
    domain: string,
    service: string,
    data: Readonly<Record<string, unknown>>,
    entityId: string,
  ): Promise<void>;
}

/** The reason a device on HA entities shows while the add-on runs without Home Assistant. */
export const NO_HA_CONNECTION = 'no Home Assistant connection';
