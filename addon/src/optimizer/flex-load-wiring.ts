import {
  DeferrableLoadPolicy,
  EvPolicy,
  FlexLoads,
  minuteOfDay,
  type DeferrableLoadEvent,
  type EvChargerSpec,
  type EvPolicyEvent,
  type KeyValueState,
  type RelayPort,
} from '@sps/control';
import type { Clock } from '@sps/core';
import type { Plan } from '@sps/scheduler';
import { z } from 'zod';
import type { DeviceManager } from '../device-manager.js';
import type { ReadingHub } from '../hub.js';
import type { Logger } from '../logger.js';
import type { DeferrableLoadSettings } from './flex-load-options.js';

/** The driver whose devices are EV chargers the plan can co-optimise (wip/haentities' `ha-ev-charger`). */
export const EV_CHARGER_DRIVER = 'ha-ev-charger';

/**
 * The fields of an ha-ev-charger entry the plan needs (the driver validated them already; this
 * reads them back without importing the driver). Defaults are the driver's.
 */
const evChargerFields = z.object({
  departure_time: z.string().optional(),
  target_soc_pct: z.number().default(80),
  phases: z.union([z.literal(1), z.literal(3)]).default(1),
  voltage: z.number().default(230),
  min_current_a: z.number().default(6),
  max_current_a: z.number().default(16),
  battery_kwh: z.number().optional(),
});

/** min/max current × phases × voltage → the plan's power range; departure and target from the options. */
export function evChargerSpec(fields: unknown): EvChargerSpec {
  const f = evChargerFields.parse(fields ?? {});
  const wattsPerAmp = f.phases * f.voltage;
  const departure = f.departure_time === undefined ? undefined : minuteOfDay(f.departure_time);
  return {
    minPowerW: wattsPerAmp * f.min_current_a,
    maxPowerW: wattsPerAmp * f.max_current_a,
    stepW: wattsPerAmp,
    targetSocPct: f.target_soc_pct,
    ...(departure === undefined ? {} : { departureMinute: departure }),
    ...(f.battery_kwh === undefined ? {} : { batteryWh: f.battery_kwh * 1000 }),
  };
}

/** The relay state keys of the relay drivers: a Shelly's channel n, a Kasa plug (and an HA switch's). */
const relayKeys = (channel: number): readonly string[] => [`switch_${channel}`, ...(channel === 0 ? ['relay_on'] : [])];

/** A relay channel of a configured device: state from the hub, switches through the device manager (guarded). */
export function deviceRelay(manager: DeviceManager, hub: ReadingHub, deviceId: string, channel: number): RelayPort {
  return {
    state() {
      const latest = hub.latest(deviceId);
      if (!latest) return undefined;
      for (const key of relayKeys(channel)) {
        const v = latest.values[key];
        if (typeof v === 'boolean') return { on: v, at: latest.timestamp };
      }
      return undefined;
    },
    set: async (on) => {
      await manager.execute(deviceId, { type: 'set_relay', on, ...(channel === 0 ? {} : { channel }) });
    },
  };
}

/** Where the loads' plans come from: the optimiser's controller (or its fleet of them). */
export interface FlexPlanSource {
  /** Each new plan of the site (the EV and the loads are in its intervals). */
  onPlan(listener: (plan: Plan) => void): () => void;
  /** A plan may be followed now: optimising with a usable plan (else the policies' backstops only). */
  planUsable(): boolean;
  /** Re-plan soon (a car was plugged in or out). */
  replan(): void;
}

export interface FlexLoadWiringOptions {
  readonly loads: readonly DeferrableLoadSettings[];
  /** Device id of the EV charger, or undefined: the first ha-ev-charger device, if any. */
  readonly evCharger: string | undefined;
  readonly manager: DeviceManager;
  readonly hub: ReadingHub;
  readonly clock: Clock;
  readonly timeZone: string;
  readonly state: KeyValueState;
  readonly logger: Logger;
  /** The loads' state may have changed (after each pass over the policies): HA and the panel re-read it. */
  readonly onChange?: () => void;
  /**
   * Off-grid (`optimizer.grid: none`): the battery's live SOC and reserve. The loads lose their
   * deadline backstop and are switched off when the reserve would be crossed (FlexLoads `reserve`).
   */
  readonly offGrid?: { socPct(): number | undefined; reservePct(): number };
}

/** The flexible loads of the add-on's options, ready for a controller (`attach`). */
export class FlexLoadWiring {
  readonly flex: FlexLoads;
  readonly evChargerId: string | null;
  private readonly loadDevices: ReadonlySet<string>;
  private planner: FlexPlanSource | undefined;
  private lastPlugged: boolean | undefined;
  private readonly log: Logger;
  private readonly pluggedNow: () => boolean | undefined;
  private readonly chargingNow: () => boolean | undefined;
  private lastCharging: boolean | undefined;
  private readonly onChange: (() => void) | undefined;
  private readonly unsubscribe: () => void;
  private unsubscribePlans: (() => void) | undefined;

  constructor(o: FlexLoadWiringOptions) {
    this.log = o.logger.child({ component: 'flex-loads' });
    const onLoadEvent = (e: DeferrableLoadEvent): void => {
      if (e.kind === 'switch_failed') this.log.warn(e, 'deferrable load switch failed');
      else
        this.log.info(
          e,
          e.kind === 'manual' ? 'deferrable load switched by hand: standing back' : 'deferrable load switched',
        );
    };
    const policies = o.loads.map(
      (l) =>
        new DeferrableLoadPolicy({
          load: l.load,
          relay: deviceRelay(o.manager, o.hub, l.deviceId, l.channel),
          clock: o.clock,
          timeZone: o.timeZone,
          state: o.state,
          onEvent: onLoadEvent,
          // Off-grid a run is "up to": no backstop that would run the pump on the battery in the dark.
          ...(o.offGrid ? { deadlineBackstop: false } : {}),
        }),
    );
    this.loadDevices = new Set(o.loads.map((l) => l.deviceId));
    const charger =
      o.evCharger !== undefined
        ? o.manager.get(o.evCharger)
        : o.manager.list().find((r) => r.config.driver === EV_CHARGER_DRIVER);
    this.evChargerId = charger?.config.id ?? null;
    const chargerId = this.evChargerId;
    const value = (key: string): unknown => (chargerId === null ? undefined : o.hub.latest(chargerId)?.values[key]);
    const num = (key: string): number | undefined => {
      const v = value(key);
      return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
    };
    const bool = (key: string): boolean | undefined => {
      const v = value(key);
      return typeof v === 'boolean' ? v : undefined;
    };
    this.pluggedNow = () => bool('ev_plugged');
    this.chargingNow = () => bool('ev_charging');
    this.onChange = o.onChange;
    const plugged = (): { plugged?: boolean } => {
      const p = bool('ev_plugged');
      return p === undefined ? {} : { plugged: p };
    };
    let ev: ConstructorParameters<typeof FlexLoads>[0]['ev'];
    if (charger && chargerId !== null) {
      const spec = evChargerSpec(charger.config.fields);
      const onEvEvent = (e: EvPolicyEvent): void => {
        if (e.kind === 'failed') this.log.warn(e, 'EV charger command failed');
        else this.log.info(e, 'EV charger follows the plan');
      };
      ev = {
        spec,
        state: () => {
          const soc = num('ev_soc');
          return { ...plugged(), ...(soc === undefined ? {} : { socPct: soc }) };
        },
        policy: new EvPolicy({
          spec,
          clock: o.clock,
          onEvent: onEvEvent,
          charger: {
            state: () => {
              const charging = bool('ev_charging');
              if (charging === undefined) return undefined;
              const limit = num('ev_charge_limit');
              return { ...plugged(), charging, ...(limit === undefined ? {} : { limitW: limit }) };
            },
            setCharging: async (on) => void (await o.manager.execute(chargerId, { type: 'set_relay', on })),
            setLimit: async (powerW) =>
              void (await o.manager.execute(chargerId, { type: 'set_charge_limit', power_w: Math.round(powerW) })),
          },
        }),
      };
    }
    this.flex = new FlexLoads({
      deferrables: policies,
      ...(ev ? { ev } : {}),
      clock: o.clock,
      timeZone: o.timeZone,
      planUsable: () => this.planner?.planUsable() ?? false,
      ...(o.onChange ? { onFollowed: o.onChange } : {}),
      ...(o.offGrid ? { reserve: o.offGrid } : {}),
    });
    this.unsubscribe = o.hub.on('readings', ({ deviceId }) => this.readings(deviceId));
  }

  get empty(): boolean {
    return this.loadDevices.size === 0 && this.evChargerId === null;
  }

  /** Follows the optimiser's plans from now on. */
  attach(planner: FlexPlanSource): void {
    this.planner = planner;
    this.unsubscribePlans = planner.onPlan((plan) => void this.flex.planChanged(plan));
    this.flex.start();
  }

  stop(): Promise<void> {
    this.unsubscribe();
    this.unsubscribePlans?.();
    return this.flex.stop();
  }

  private readings(deviceId: string): void {
    if (this.loadDevices.has(deviceId)) this.flex.relayReadings();
    if (deviceId === this.evChargerId) {
      // A car plugged in or out changes the plan at once, not at the next 5-minute re-plan.
      const plugged = this.pluggedNow();
      if (plugged !== this.lastPlugged) {
        this.lastPlugged = plugged;
        this.planner?.replan();
      }
      // The charger answered a switch (or someone else switched it): HA's EV plan shows whether it charges.
      const charging = this.chargingNow();
      if (charging !== this.lastCharging) {
        this.lastCharging = charging;
        this.onChange?.();
      }
    }
  }
}
