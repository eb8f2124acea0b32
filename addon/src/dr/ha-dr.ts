import { DR_MODES, DrRequestError, SHARING_LEVELS, type DrChange, type SharingLevel } from '@sps/aggregator';
import type { Clock } from '@sps/core';
import {
  DR_EVENT_TYPE,
  type ActionReply,
  type BridgeAction,
  type BridgeDevice,
  type BridgeEntity,
  type HaBridgeClient,
} from '@sps/ha';
import { HaActionError } from '../ha/action-handler.js';
import type { ExtraHaDevices } from '../pricing/ha-pricing.js';
import { firstProblem, optOutRequestSchema, simulateRequestSchema, toSimulateInput } from './dr-requests.js';
import type { DrRuntime, DrStatusView } from './dr-runtime.js';

/** The "Demand response" virtual device (below the hub, like the optimiser's). */
export const DR_DEVICE_ID = 'sps:demand_response';

const KEYS = {
  mode: 'dr_mode',
  nextStart: 'dr_next_event_start',
  program: 'dr_program',
  goal: 'dr_goal',
  baseline: 'dr_baseline',
  avoidedEvent: 'dr_avoided_energy_event',
  avoidedTotal: 'dr_avoided_energy_total',
  performance: 'dr_performance',
  broker: 'dr_broker_connected',
  sharing: 'dr_sharing',
  optOut: 'dr_opt_out',
} as const;

function drEntities(): BridgeEntity[] {
  const kw = (key: typeof KEYS.goal | typeof KEYS.baseline, name: string, icon: string): BridgeEntity => ({
    key,
    translationKey: key,
    platform: 'sensor',
    name,
    unit: 'kW',
    deviceClass: 'power',
    stateClass: 'measurement',
    icon,
    suggestedDisplayPrecision: 2,
  });
  return [
    {
      key: KEYS.mode,
      translationKey: KEYS.mode,
      platform: 'sensor',
      name: 'DR mode',
      deviceClass: 'enum',
      options: DR_MODES,
      icon: 'mdi:transmission-tower',
    },
    {
      key: KEYS.nextStart,
      translationKey: KEYS.nextStart,
      platform: 'sensor',
      name: 'Next DR event',
      deviceClass: 'timestamp',
      icon: 'mdi:calendar-clock',
    },
    {
      key: KEYS.program,
      translationKey: KEYS.program,
      platform: 'sensor',
      name: 'DR programme',
      icon: 'mdi:card-account-details-outline',
    },
    kw(KEYS.goal, 'DR goal', 'mdi:target'),
    kw(KEYS.baseline, 'DR baseline now', 'mdi:chart-bell-curve'),
    // The event's own figure restarts with each event: `total` (not increasing); the sum never goes down.
    {
      key: KEYS.avoidedEvent,
      translationKey: KEYS.avoidedEvent,
      platform: 'sensor',
      name: 'Avoided energy this event',
      unit: 'kWh',
      deviceClass: 'energy',
      stateClass: 'total',
      icon: 'mdi:lightning-bolt-outline',
      suggestedDisplayPrecision: 2,
    },
    {
      key: KEYS.avoidedTotal,
      translationKey: KEYS.avoidedTotal,
      platform: 'sensor',
      name: 'Avoided energy total',
      unit: 'kWh',
      deviceClass: 'energy',
      stateClass: 'total_increasing',
      icon: 'mdi:lightning-bolt',
      suggestedDisplayPrecision: 2,
    },
    {
      key: KEYS.performance,
      translationKey: KEYS.performance,
      platform: 'sensor',
      name: 'DR performance',
      unit: '%',
      stateClass: 'measurement',
      icon: 'mdi:percent',
      suggestedDisplayPrecision: 0,
    },
    {
      key: KEYS.broker,
      translationKey: KEYS.broker,
      platform: 'binary_sensor',
      name: 'Aggregator connected',
      deviceClass: 'connectivity',
      icon: 'mdi:lan-connect',
    },
    {
      key: KEYS.sharing,
      translationKey: KEYS.sharing,
      platform: 'select',
      name: 'Sharing level',
      options: SHARING_LEVELS,
      icon: 'mdi:share-variant',
    },
    {
      key: KEYS.optOut,
      translationKey: KEYS.optOut,
      platform: 'switch',
      name: 'Opt out of DR event',
      icon: 'mdi:calendar-remove',
    },
  ];
}

/**
 * Demand response in Home Assistant: the mode and event sensors, the sharing select, the opt-out
 * switch (on = this station sits out the current or next event), the `opt_out_event` and
 * `simulate_event` services, and `smart_power_station_dr_event` on the bus at each change, so
 * automations can react (turn the dishwasher off on `started`). Wraps the optimiser's device set.
 */
export class DrHaDevice implements ExtraHaDevices {
  private client: HaBridgeClient | undefined;

  constructor(
    private readonly dr: DrRuntime,
    private readonly clock: Clock,
    private readonly inner: ExtraHaDevices | undefined,
    private readonly configurationUrl?: string,
  ) {
    dr.events.on('updated', () => this.publish());
    dr.events.on('change', (change) => void this.fire(change));
  }

  devices(): BridgeDevice[] {
    return [
      ...(this.inner?.devices() ?? []),
      {
        id: DR_DEVICE_ID,
        name: 'Demand response',
        info: { manufacturer: 'Smart Power Station', model: 'Demand response', serial: 'sps_demand_response' },
        entities: drEntities(),
        ...(this.configurationUrl === undefined ? {} : { configurationUrl: this.configurationUrl }),
      },
    ];
  }

  declared(client: HaBridgeClient): void {
    this.client = client;
    this.inner?.declared(client);
    this.publish();
  }

  publish(): void {
    const client = this.client;
    if (!client) return;
    const s = this.dr.status();
    const put = (key: string, state: string | number | boolean | null, attributes?: Record<string, unknown>): void =>
      client.publishState(DR_DEVICE_ID, key, state, attributes);
    const event = s.event;
    put(KEYS.mode, s.mode, modeAttributes(s));
    // HA wants timestamps as UTC ISO (the bridge parses them); the offset form is in the attributes.
    const next = s.next ?? (s.mode === 'upcoming' ? event : null);
    put(KEYS.nextStart, next ? new Date(next.start).toISOString() : null, {
      event_id: next?.id ?? null,
      end: next?.end ?? null,
    });
    put(KEYS.program, event?.program ?? s.next?.program ?? null, { type: event?.type ?? s.next?.type ?? null });
    put(KEYS.goal, event ? event.goal_kw : (s.next?.goal_kw ?? null));
    put(KEYS.baseline, s.baseline_kw, { method: s.baseline_method });
    put(KEYS.avoidedEvent, s.avoided_kwh, { event_id: event?.id ?? null, hours: s.hours });
    put(KEYS.avoidedTotal, s.total_avoided_kwh);
    put(KEYS.performance, s.goal_met_pct === null ? null : Math.round(s.goal_met_pct), {
      monthly_value: s.monthly_value,
    });
    put(KEYS.broker, s.broker.connected, {
      configured: s.connection.configured,
      network: s.connection.network,
      last_error: s.connection.last_error,
      since: s.connection.since,
    });
    put(KEYS.sharing, s.sharing, { outbox_pending: s.outbox.pending, outbox_dropped: s.outbox.dropped });
    const optedOut = optedOutEvent(s);
    put(KEYS.optOut, optedOut !== null, { event_id: optedOut ?? event?.id ?? s.next?.id ?? null });
  }

  /** HA actions this device answers (entities and the two DR services); undefined otherwise. */
  handle(action: BridgeAction): Promise<ActionReply> | undefined {
    if (action.kind === 'entity') {
      if (action.device_id !== DR_DEVICE_ID) return undefined;
      if (action.key === KEYS.sharing) {
        const level = action.value;
        if (typeof level !== 'string' || !(SHARING_LEVELS as readonly string[]).includes(level)) {
          return Promise.reject(new HaActionError(`level: expected one of ${SHARING_LEVELS.join(', ')}`));
        }
        return this.run(() => this.dr.setSharing(level as SharingLevel)).then(() => ({ state: level }));
      }
      if (action.key === KEYS.optOut) {
        // Opting back in is not offered: the aggregator was told (events level and up) and an opt-out
        // is for one event only; the switch turns off by itself when that event is over.
        if (action.action === 'turn_off') {
          return Promise.reject(new HaActionError('an opt-out cannot be undone; it ends with its event'));
        }
        return this.run(() => void this.dr.optOut()).then(() => ({ state: true }));
      }
      return undefined;
    }
    switch (action.service) {
      case 'opt_out_event': {
        const parsed = optOutRequestSchema.safeParse(action.data);
        if (!parsed.success) return Promise.reject(new HaActionError(firstProblem(parsed.error).message));
        return this.run(() => void this.dr.optOut(parsed.data.event_id));
      }
      case 'simulate_event': {
        const parsed = simulateRequestSchema.safeParse(action.data);
        if (!parsed.success) return Promise.reject(new HaActionError(firstProblem(parsed.error).message));
        return this.run(() => void this.dr.simulate(toSimulateInput(parsed.data, this.clock.now())));
      }
      default:
        return undefined;
    }
  }

  private async run(act: () => void): Promise<ActionReply> {
    try {
      act();
    } catch (err) {
      throw new HaActionError(err instanceof DrRequestError || err instanceof Error ? err.message : String(err));
    }
    this.publish();
    return {};
  }

  /** The bus event for automations; never rejects (HA down: logged by the client and dropped). */
  private async fire(change: DrChange): Promise<void> {
    const client = this.client;
    if (!client) return;
    const e = change.event;
    let s: DrStatusView | undefined;
    try {
      s = this.dr.status();
    } catch {
      // The event's own fields still go out (times in UTC).
    }
    const described = s ? [s.event, s.next].find((x) => x?.id === e.id) : undefined;
    await client.fireEvent(DR_EVENT_TYPE, {
      kind: change.kind,
      event_id: e.id,
      program: e.program,
      type: e.type,
      start: described?.start ?? new Date(e.startMs).toISOString(),
      end: described?.end ?? new Date(e.endMs).toISOString(),
      goal_kw: described?.goal_kw ?? e.goalKw,
      goal_pct: e.goalPct,
      status: e.status,
      opted_out: e.optedOut,
      simulated: e.simulated,
      sent_at: e.sentAt,
      at: new Date(change.atMs).toISOString(),
    });
  }
}

function modeAttributes(s: DrStatusView): Record<string, unknown> {
  return {
    event_id: s.event?.id ?? null,
    event_start: s.event?.start ?? null,
    event_end: s.event?.end ?? null,
    opted_out: s.event?.opted_out ?? false,
    post_event_until: s.post_event_until,
    actual_kw: s.actual_kw,
    grid_meter: s.grid_meter,
    // The controller's feedback loop during an event (setpoint, error, integral, output).
    pi: s.pi,
  };
}

/** The id of the event the user opted out of (the one the mode is about, or the next). */
function optedOutEvent(s: DrStatusView): string | null {
  if (s.event?.opted_out) return s.event.id;
  if (s.next?.opted_out) return s.next.id;
  return null;
}

/** With DR off, the DR services say so (instead of "unknown service" from the device handler). */
export function drOffActions(action: BridgeAction): Promise<ActionReply> | undefined {
  if (action.kind === 'service' && (action.service === 'opt_out_event' || action.service === 'simulate_event')) {
    return Promise.reject(new HaActionError('demand response is off (the aggregator option section is empty)'));
  }
  return undefined;
}
