import { CONTROLLER_GOALS, OverrideRequestError, type ControllerGoal, type ControllerStatus } from '@sps/control';
import type { ActionReply, BridgeAction, BridgeDevice, BridgeEntity, HaBridgeClient } from '@sps/ha';
import type { PlatformTranslationKey } from '@sps/core';
import { z } from 'zod';
import { HaActionError } from '../ha/action-handler.js';
import { MAX_FORECAST_POINTS, OPTIMISER_DEVICE_ID, type ExtraHaDevices } from '../pricing/ha-pricing.js';
import { planChartPoints } from './plan-points.js';
import { OptimizerUnavailableError, type OptimizerRuntime, type OptimizerView } from './optimizer-runtime.js';

/** The plan changes every 5 minutes and is large: HA's recorder must not store it with every state. */
const UNRECORDED = ['forecast'] as const;

const KEYS = {
  enabled: 'optimization',
  goal: 'optimization_goal',
  action: 'current_action',
  reason: 'current_reason',
  next: 'next_action',
  nextAt: 'next_action_at',
  predicted: 'predicted_cost_today',
  baseline: 'baseline_cost_today',
  savings: 'savings_today',
  plan: 'plan',
  evReadyBy: 'ev_ready_by',
  evPlan: 'ev_plan',
  loadDecision: 'load_decision',
  unserved: 'unserved_energy',
} as const;

/** The deferrable loads' entity: the newest switching decision and why (issue 13 §6). */
function loadEntities(): BridgeEntity[] {
  return [
    {
      key: KEYS.loadDecision,
      platform: 'sensor',
      translationKey: KEYS.loadDecision,
      name: 'Load decision',
      icon: 'mdi:water-pump',
    },
  ];
}

/** Off-grid: the plan's unserved energy over the horizon (0 = the house stays powered). */
function offGridEntities(): BridgeEntity[] {
  return [
    {
      key: KEYS.unserved,
      platform: 'sensor',
      translationKey: KEYS.unserved,
      name: 'Unserved energy',
      deviceClass: 'energy',
      unit: 'kWh',
      icon: 'mdi:home-lightning-bolt-outline',
      suggestedDisplayPrecision: 2,
    },
  ];
}

/** The EV's entities, on the optimiser's device when an EV charger is configured. */
function evEntities(): BridgeEntity[] {
  return [
    {
      key: KEYS.evReadyBy,
      platform: 'sensor',
      translationKey: KEYS.evReadyBy,
      name: 'EV ready by',
      deviceClass: 'timestamp',
      icon: 'mdi:car-clock',
    },
    {
      key: KEYS.evPlan,
      platform: 'sensor',
      translationKey: KEYS.evPlan,
      name: 'EV plan',
      deviceClass: 'energy',
      unit: 'kWh',
      icon: 'mdi:car-electric',
      // Like the optimiser's plan: re-made every 5 minutes, so kept out of the recorder.
      unrecordedAttributes: ['intervals'],
    },
  ];
}

function optimizerEntities(currency: string, offGrid: boolean): BridgeEntity[] {
  // HA's `monetary` device class takes no state_class `measurement`; these are day totals that
  // are re-forecast, so no state class at all (not `total`: they go down as well as up).
  const money = (key: PlatformTranslationKey<'sensor'>, name: string, icon: string): BridgeEntity => ({
    key,
    platform: 'sensor',
    translationKey: key,
    name,
    unit: currency,
    deviceClass: 'monetary',
    icon,
    suggestedDisplayPrecision: 2,
  });
  return [
    { key: KEYS.enabled, platform: 'switch', translationKey: KEYS.enabled, name: 'Optimisation', icon: 'mdi:robot' },
    {
      key: KEYS.goal,
      platform: 'select',
      translationKey: KEYS.goal,
      name: 'Goal',
      icon: 'mdi:target',
      options: CONTROLLER_GOALS,
    },
    {
      key: KEYS.action,
      platform: 'sensor',
      translationKey: KEYS.action,
      name: 'Current action',
      icon: 'mdi:battery-sync',
    },
    {
      key: KEYS.reason,
      platform: 'sensor',
      translationKey: KEYS.reason,
      name: 'Current action reason',
      icon: 'mdi:comment-text-outline',
    },
    { key: KEYS.next, platform: 'sensor', translationKey: KEYS.next, name: 'Next action', icon: 'mdi:battery-clock' },
    {
      key: KEYS.nextAt,
      platform: 'sensor',
      translationKey: KEYS.nextAt,
      name: 'Next action at',
      deviceClass: 'timestamp',
      icon: 'mdi:clock-outline',
    },
    // Off-grid there is no tariff, so no money to show.
    ...(offGrid
      ? []
      : [
          money(KEYS.predicted, 'Predicted cost today', 'mdi:cash'),
          money(KEYS.baseline, 'Baseline cost today', 'mdi:cash-remove'),
          money(KEYS.savings, 'Savings today', 'mdi:piggy-bank'),
        ]),
    {
      key: KEYS.plan,
      platform: 'sensor',
      translationKey: KEYS.plan,
      name: 'Plan',
      icon: 'mdi:chart-timeline-variant',
      unrecordedAttributes: UNRECORDED,
    },
  ];
}

const round2 = (x: number): number => Math.round(x * 100) / 100;

const holdSocData = z.strictObject({
  soc_pct: z.number({ error: 'soc_pct: expected a number from 0 to 100' }).min(0).max(100),
  duration_minutes: z.number({ error: 'duration_minutes: expected whole minutes' }).int().min(1).max(1440),
});
const forceData = z.strictObject({
  duration_minutes: z.number({ error: 'duration_minutes: expected whole minutes' }).int().min(1).max(1440),
  power_kw: z.number().min(0).max(1000).optional(),
});

/**
 * The optimiser's HA side, on the same virtual device as prices and forecasts (it wraps the
 * pricing device and adds its entities): the switch, the goal select, the current and next
 * action, today's costs, the plan as a `forecast` attribute kept out of the recorder, and the
 * HA actions that act on the controller (switch, select, optimize_now, hold_soc, and
 * force_charge/force_discharge/restore_normal on the optimised battery, which become manual
 * overrides so the plan does not overwrite them a minute later).
 */
export class OptimizerHaDevice implements ExtraHaDevices {
  private client: HaBridgeClient | undefined;

  constructor(
    private readonly optimizer: OptimizerRuntime,
    private readonly currency: string | undefined,
    private readonly inner: ExtraHaDevices | undefined,
    private readonly configurationUrl?: string,
  ) {
    optimizer.events.on('changed', () => this.publish());
  }

  devices(): BridgeDevice[] {
    const devices = this.inner?.devices() ?? [];
    if (this.currency === undefined) return devices;
    const offGrid = this.optimizer.offGrid;
    const mine = [
      ...optimizerEntities(this.currency, offGrid),
      ...(this.optimizer.evConfigured() ? evEntities() : []),
      ...(this.optimizer.loadsConfigured() ? loadEntities() : []),
      ...(offGrid ? offGridEntities() : []),
    ];
    const hub = devices.find((d) => d.id === OPTIMISER_DEVICE_ID);
    if (hub) return devices.map((d) => (d === hub ? { ...d, entities: [...d.entities, ...mine] } : d));
    return [
      ...devices,
      {
        id: OPTIMISER_DEVICE_ID,
        name: 'Smart Power Station Optimiser',
        info: { manufacturer: 'Smart Power Station', model: 'Optimiser', serial: 'sps_optimiser' },
        entities: mine,
        ...(this.configurationUrl === undefined ? {} : { configurationUrl: this.configurationUrl }),
      },
    ];
  }

  declared(client: HaBridgeClient): void {
    this.client = client;
    this.inner?.declared(client);
    this.publish();
  }

  /** Every optimiser state; unchanged ones are dropped by packages/ha's coalescer. */
  publish(): void {
    const client = this.client;
    if (!client || this.currency === undefined) return;
    const view = this.optimizer.view();
    const s = view.status;
    const put = (key: string, state: string | number | boolean | null, attributes?: Record<string, unknown>): void =>
      client.publishState(OPTIMISER_DEVICE_ID, key, state, attributes);
    put(KEYS.enabled, view.enabled, { reason: view.offReason });
    put(KEYS.goal, view.goal);
    put(KEYS.action, s?.current.action ?? 'OFF', {
      mode: s?.mode ?? 'off',
      reason: s?.current.reason ?? view.offReason,
      since: s?.current.since ?? null,
      fallback_reason: s?.fallbackReason ?? null,
      override: s?.override ?? null,
      last_error: s?.lastError?.message ?? null,
      battery_device: view.batteryDevice,
      // Each battery's own action and target (issue 12): attributes rather than entities per battery.
      batteries: view.batteries.map((b) => ({
        device: b.device,
        mode: b.status?.mode ?? 'off',
        action: b.status?.current.action ?? 'OFF',
        command: b.status?.current.command ?? null,
        soc_pct: socOfPlan(b.status),
        planned: b.planned,
        reason: b.reason,
      })),
    });
    // HA caps a state at 255 characters.
    put(KEYS.reason, truncate(s?.current.reason ?? view.offReason ?? ''));
    put(KEYS.next, s?.next?.action ?? null, { at: s?.next?.at ?? null, reason: s?.next?.reason ?? null });
    put(KEYS.nextAt, s?.next?.at ?? null);
    const today = s?.today ?? null;
    const dayAttrs = { date: today?.date ?? null };
    if (!this.optimizer.offGrid) {
      put(KEYS.predicted, today ? round2(today.predictedCost) : null, dayAttrs);
      put(KEYS.baseline, today ? round2(today.baselineCost) : null, dayAttrs);
      put(KEYS.savings, today ? round2(today.savings) : null, dayAttrs);
    } else {
      const og = s?.plan?.off_grid ?? null;
      put(KEYS.unserved, og ? round2(og.unserved_kwh) : null, {
        first_unserved_at: og?.first_unserved_at ?? null,
        reserve_kwh: og?.reserve_kwh ?? null,
        min_stored_kwh: og?.min_stored_kwh ?? null,
        min_stored_at: og?.min_stored_at ?? null,
        max_reserve_shortfall_kwh: og?.max_reserve_shortfall_kwh ?? null,
      });
    }
    put(KEYS.plan, s?.plan?.status ?? null, planAttributes(s));
    if (this.optimizer.loadsConfigured()) {
      const loads = view.flexLoads?.deferrables ?? [];
      // The state is the newest decision's reason (HA caps a state at 255 characters); each load's in the attributes.
      const newest = loads.find((l) => l.reason !== null);
      put(KEYS.loadDecision, newest ? truncate(`${newest.name}: ${newest.reason}`) : null, {
        loads: loads.map((l) => ({ name: l.name, on: l.on, reason: l.reason, manual_until: l.manualUntil })),
      });
    }
    if (this.optimizer.evConfigured()) {
      const ev = view.flexLoads?.ev ?? null;
      put(KEYS.evReadyBy, ev?.readyBy ?? null, {
        departure: ev?.departure ?? null,
        not_planned: ev?.notPlanned ?? null,
      });
      put(KEYS.evPlan, ev ? ev.energyKwh : null, {
        departure: ev?.departure ?? null,
        ready_by: ev?.readyBy ?? null,
        not_planned: ev ? ev.notPlanned : 'the optimiser is not running',
        charging: ev?.policy.charging ?? null,
        planned_kw_now: ev?.policy.plannedKw ?? null,
        intervals: (ev?.intervals ?? []).slice(0, MAX_FORECAST_POINTS),
      });
    }
  }

  /**
   * The HA actions this device answers; undefined for every other action (the device manager's
   * handler takes those). Errors are HaActionError: HA shows the message to the caller.
   */
  handle(action: BridgeAction): Promise<ActionReply> | undefined {
    if (action.kind === 'entity') {
      if (action.device_id !== OPTIMISER_DEVICE_ID) return undefined;
      if (action.key === KEYS.enabled) {
        const on = action.action === 'turn_on';
        return this.run(() => this.optimizer.setEnabled(on)).then(() => ({ state: on }));
      }
      if (action.key === KEYS.goal) {
        const goal = action.value;
        if (typeof goal !== 'string' || !(CONTROLLER_GOALS as readonly string[]).includes(goal)) {
          return Promise.reject(new HaActionError(`goal: expected one of ${CONTROLLER_GOALS.join(', ')}`));
        }
        return this.run(() => this.optimizer.setGoal(goal as ControllerGoal)).then(() => ({ state: goal }));
      }
      return undefined;
    }
    // The optimiser's device (or none) means the first battery; a battery's own device means that one.
    const target =
      action.device_id === undefined || action.device_id === OPTIMISER_DEVICE_ID ? undefined : action.device_id;
    const driven = target === undefined || this.optimizer.controllerFor(target) !== undefined;
    const forBattery = driven;
    switch (action.service) {
      case 'optimize_now':
        return this.run(async () => void (await this.optimizer.require().optimizeNow()));
      case 'hold_soc': {
        if (!forBattery)
          return Promise.reject(new HaActionError(`device_id: "${action.device_id}" is not the optimised battery`));
        const parsed = holdSocData.safeParse(action.data);
        if (!parsed.success) return Promise.reject(new HaActionError(firstMessage(parsed.error)));
        return this.run(async () => {
          await this.optimizer.require(target).startOverride({ kind: 'hold_soc', ...parsed.data });
        });
      }
      case 'force_charge':
      case 'force_discharge': {
        // Only while the optimiser drives this battery; otherwise the device manager's timed override does it.
        if (action.device_id === undefined || target === undefined || !this.optimizer.controllerFor(target))
          return undefined;
        const parsed = forceData.safeParse(action.data);
        if (!parsed.success) return Promise.reject(new HaActionError(firstMessage(parsed.error)));
        const { duration_minutes, power_kw } = parsed.data;
        const kind = action.service;
        return this.run(async () => {
          await this.optimizer.require(target).startOverride({
            kind,
            duration_minutes,
            ...(power_kw === undefined ? {} : { power_w: Math.round(power_kw * 1000) }),
          });
        });
      }
      case 'restore_normal': {
        const controller = target === undefined ? undefined : this.optimizer.controllerFor(target);
        if (!controller || !controller.status().override) return undefined;
        // Ends the override early; the plan (or the battery's own mode) takes over again.
        return this.run(() => controller.clearOverride());
      }
      default:
        return undefined;
    }
  }

  private async run(act: () => Promise<void>): Promise<ActionReply> {
    try {
      await act();
    } catch (err) {
      if (err instanceof OptimizerUnavailableError || err instanceof OverrideRequestError)
        throw new HaActionError(err.message);
      throw new HaActionError(err instanceof Error ? err.message : String(err));
    }
    this.publish();
    return {};
  }
}

function planAttributes(s: ControllerStatus | null): Record<string, unknown> {
  const plan = s?.plan;
  if (!plan) return { forecast: [], currency: null, made_at: null, reason: null };
  return {
    currency: plan.currency,
    made_at: s?.planAt ?? null,
    solver: plan.solver,
    reason: plan.reason,
    interval_minutes: plan.interval_minutes,
    cost: plan.cost,
    baseline_cost: plan.baseline_cost,
    savings: plan.savings,
    ...(plan.off_grid ? { off_grid: plan.off_grid } : {}),
    forecast: planChartPoints(plan)
      .slice(0, MAX_FORECAST_POINTS)
      .map((p) => ({
        start: p.start,
        action: p.action,
        soc_pct: p.socPct,
        battery_kw: p.batteryKw,
        import_price: p.importPrice,
        export_price: p.exportPrice,
        ...(p.evKw > 0 ? { ev_kw: p.evKw } : {}),
        ...(p.loadsOn.length > 0 ? { loads_on: p.loadsOn } : {}),
        ...((p.unservedKw ?? 0) > 0 ? { unserved_kw: p.unservedKw } : {}),
      })),
  };
}

/** The battery's SOC at the end of the current plan interval (the plan's expectation), null without a plan. */
function socOfPlan(s: ControllerStatus | null): number | null {
  const plan = s?.plan;
  if (!plan) return null;
  const now = Date.parse(s.updatedAt);
  const step = plan.interval_minutes * 60_000;
  const first = plan.intervals[0];
  if (!first) return null;
  const i = plan.intervals[Math.floor((now - Date.parse(first.start)) / step)];
  return i ? Math.round(i.soc_pct * 10) / 10 : null;
}

function firstMessage(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'invalid data';
  const field = issue.path.join('.');
  return field !== '' && !issue.message.startsWith(field) ? `${field}: ${issue.message}` : issue.message;
}

function truncate(text: string): string {
  return text.length <= 255 ? text : `${text.slice(0, 254)}…`;
}

export type { OptimizerView };
