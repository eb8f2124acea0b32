/**
 * The data source inside Home Assistant. What entities carry well (availability, the optimiser's
 * switch and goal) comes from `hass`; what they cannot carry (the plan with every interval's reason,
 * device descriptions, history) comes from the bridge's read-only websocket command
 * `smart_power_station/query` `{path}` → the add-on's JSON body for that GET path. Writes go through
 * the integration's services (the same ones automations use), so HA's permissions apply.
 *
 * Live: HA pushes a new `hass` on every state change; when one of the integration's entities changed
 * the snapshot is re-read (throttled), and at least every `refreshEveryMs`.
 */
import type { z } from 'zod';
import { hassTimeSettings, type TimeSettings } from '../format/time.js';
import {
  describeIssue,
  DevicesResponse,
  GOALS,
  HistoryResponse,
  PlanResponse,
  ReadingsResponse,
  type Goal,
} from './api-types.js';
import { DOMAIN, type Hass, type HassEntityRegistryEntry } from './hass-types.js';
import { messageOf, SnapshotStore } from './snapshot-store.js';
import {
  DEFAULT_STALE_AFTER_MS,
  type CommandOutcome,
  type DeviceCommand,
  type HistoryRequest,
  type OverrideRequest,
  type SpsDataSource,
  type SpsSnapshot,
} from './source.js';

export const QUERY_COMMAND = `${DOMAIN}/query`;

export interface HaDataSourceOptions {
  readonly refreshEveryMs?: number;
  /** Re-reads after entity changes are at most this frequent. */
  readonly throttleMs?: number;
  readonly staleAfterMs?: number;
}

export class HaDataSource implements SpsDataSource {
  readonly host = 'ha' as const;
  private readonly store = new SnapshotStore();
  private hass: Hass | null = null;
  private ourStates = new Map<string, unknown>();
  private refreshTimer: ReturnType<typeof setInterval> | null = null;
  private throttleTimer: ReturnType<typeof setTimeout> | null = null;
  private loading: Promise<void> | null = null;
  private lastLoadOk = 0;
  private readonly refreshEveryMs: number;
  private readonly throttleMs: number;
  private readonly staleAfterMs: number;

  constructor(options: HaDataSourceOptions = {}) {
    this.refreshEveryMs = options.refreshEveryMs ?? 15_000;
    this.throttleMs = options.throttleMs ?? 2_000;
    this.staleAfterMs = options.staleAfterMs ?? DEFAULT_STALE_AFTER_MS;
  }

  /** Every card hands over the `hass` it was given; only changes of the integration's entities cost a read. */
  setHass(hass: Hass): void {
    // Every card passes the same object on; HA makes a new one for each change.
    if (hass === this.hass) return;
    const first = this.hass === null;
    this.hass = hass;
    const ours = this.ourEntities();
    let changed = first;
    const next = new Map<string, unknown>();
    for (const entry of ours) {
      const state = hass.states[entry.entity_id];
      next.set(entry.entity_id, state);
      if (this.ourStates.get(entry.entity_id) !== state) changed = true;
    }
    this.ourStates = next;
    this.applyEntityStaleness(ours);
    if (first && this.store.listenerCount > 0) this.startTimer();
    if (changed) this.scheduleRefresh();
  }

  snapshot(): SpsSnapshot {
    return this.store.get();
  }

  subscribe(listener: (s: SpsSnapshot) => void): () => void {
    const off = this.store.subscribe(listener);
    if (this.hass) this.startTimer();
    return () => {
      off();
      if (this.store.listenerCount === 0 && this.refreshTimer) {
        clearInterval(this.refreshTimer);
        this.refreshTimer = null;
      }
    };
  }

  refresh(): Promise<void> {
    this.loading ??= this.load().finally(() => {
      this.loading = null;
    });
    return this.loading;
  }

  async history(request: HistoryRequest): Promise<HistoryResponse> {
    const q = new URLSearchParams({
      device: request.device,
      key: request.key,
      from: new Date(request.from).toISOString(),
      to: new Date(request.to).toISOString(),
      ...(request.step ? { step: request.step } : {}),
    });
    return this.query(`/api/readings/history?${q.toString()}`, HistoryResponse);
  }

  setOptimizer(change: { enabled?: boolean; goal?: Goal }): Promise<CommandOutcome> {
    const ids = this.optimizerEntities();
    return this.act(async (hass) => {
      if (change.enabled !== undefined) {
        if (!ids.enabled) throw new Error('the optimiser switch entity is missing');
        await hass.callService('switch', change.enabled ? 'turn_on' : 'turn_off', { entity_id: ids.enabled });
      }
      if (change.goal !== undefined) {
        if (!ids.goal) throw new Error('the optimiser goal entity is missing');
        await hass.callService('select', 'select_option', { entity_id: ids.goal, option: change.goal });
      }
      return change.goal ? `Goal: ${change.goal}` : change.enabled ? 'Optimiser on' : 'Optimiser off';
    });
  }

  startOverride(r: OverrideRequest): Promise<CommandOutcome> {
    const device = this.store.get().plan?.battery_device ?? undefined;
    return this.act(async (hass) => {
      if (r.kind === 'hold_soc') {
        await hass.callService(DOMAIN, 'hold_soc', {
          ...(device ? { device_id: device } : {}),
          duration_minutes: r.durationMinutes,
          ...(r.socPct === undefined ? {} : { soc_pct: r.socPct }),
        });
      } else {
        await hass.callService(DOMAIN, r.kind, {
          ...(device ? { device_id: device } : {}),
          duration_minutes: r.durationMinutes,
          // No power: the service's default (the battery's maximum), never 0 W.
          ...(r.powerW === undefined ? {} : { power_kw: r.powerW / 1000 }),
        });
      }
      return 'Override started';
    });
  }

  cancelOverride(): Promise<CommandOutcome> {
    const device = this.store.get().plan?.battery_device ?? undefined;
    return this.act(async (hass) => {
      await hass.callService(DOMAIN, 'restore_normal', device ? { device_id: device } : {});
      return 'Override cancelled';
    });
  }

  sendCommand(deviceId: string, command: DeviceCommand): Promise<CommandOutcome> {
    return this.act(async (hass) => {
      const target = { device_id: deviceId };
      switch (command.type) {
        case 'restore_normal':
          await hass.callService(DOMAIN, 'restore_normal', target);
          break;
        case 'set_backup_reserve':
          await hass.callService(DOMAIN, 'set_backup_reserve', { ...target, percent: command.percent });
          break;
        case 'set_charge_limit':
          await hass.callService(DOMAIN, 'set_charge_rate', { ...target, kw: command.power_w / 1000 });
          break;
        case 'set_discharge_limit':
          await hass.callService(DOMAIN, 'set_discharge_rate', { ...target, kw: command.power_w / 1000 });
          break;
        case 'set_export_limit':
          await hass.callService(DOMAIN, 'set_export_limit', { ...target, watts: command.power_w });
          break;
        case 'force_charge':
        case 'force_discharge': {
          const minutes = command.until
            ? Math.max(1, Math.round((Date.parse(command.until) - Date.now()) / 60_000))
            : 60;
          await hass.callService(DOMAIN, command.type, {
            ...target,
            power_kw: command.power_w / 1000,
            duration_minutes: minutes,
          });
          break;
        }
        case 'set_relay': {
          const entity = this.deviceEntity(deviceId, 'switch', (e) => e.command?.command === 'set_relay');
          if (!entity) throw new Error('no relay switch entity for this device in Home Assistant');
          await hass.callService('switch', command.on ? 'turn_on' : 'turn_off', { entity_id: entity });
          break;
        }
        case 'set_operating_mode': {
          const entity = this.deviceEntity(deviceId, 'select', (e) => e.command?.command === 'set_operating_mode');
          if (!entity) throw new Error('no operating mode entity for this device in Home Assistant');
          await hass.callService('select', 'select_option', { entity_id: entity, option: command.mode });
          break;
        }
        case 'device_command':
          await this.sendDeviceCommand(hass, deviceId, command);
          break;
      }
      return 'Done';
    });
  }

  timeSettings(): TimeSettings {
    return hassTimeSettings(this.hass ?? {});
  }

  deviceLink(deviceId: string): string | null {
    const haDevice = this.haDeviceId(deviceId);
    return haDevice ? `/config/devices/device/${encodeURIComponent(haDevice)}` : null;
  }

  // ---- internals ----

  private async load(): Promise<void> {
    try {
      const [plan, devices, readings] = await Promise.all([
        this.query('/api/plan', PlanResponse),
        this.query('/api/devices', DevicesResponse),
        this.query('/api/readings', ReadingsResponse),
      ]);
      this.lastLoadOk = Date.now();
      const entityStale = this.entityStaleReason();
      this.store.update({
        plan,
        devices: devices.devices,
        readings: readings.devices,
        error: null,
        stale: entityStale !== null,
        staleReason: entityStale,
        updatedAt: this.lastLoadOk,
      });
    } catch (err) {
      const message = messageOf(err);
      const silentFor = Date.now() - this.lastLoadOk;
      // One failed read is not yet "stopped"; a first failure, or none answered for staleAfterMs, is.
      const stale = this.lastLoadOk === 0 || silentFor >= this.staleAfterMs;
      this.store.update({
        error: message,
        ...(stale ? { stale: true, staleReason: `the add-on does not answer: ${message}` } : {}),
      });
    }
  }

  private async query<T>(path: string, schema: z.ZodType<T>): Promise<T> {
    const hass = this.hass;
    if (!hass) throw new Error('Home Assistant is not connected yet');
    const body = await hass.callWS<unknown>({ type: QUERY_COMMAND, path });
    const parsed = schema.safeParse(body);
    if (!parsed.success) throw new Error(describeIssue(parsed.error, path.split('?')[0] ?? path));
    return parsed.data;
  }

  private async act(run: (hass: Hass) => Promise<string>): Promise<CommandOutcome> {
    const hass = this.hass;
    if (!hass) return { ok: false, message: 'Home Assistant is not connected yet' };
    if (this.store.get().stale)
      return { ok: false, message: 'The add-on is not answering; try again when it is back.' };
    try {
      const message = await run(hass);
      void this.refresh();
      return { ok: true, message };
    } catch (err) {
      // Service errors carry the add-on's refusal (the safety guard's reason) as their message.
      return { ok: false, message: messageOf(err) };
    }
  }

  private startTimer(): void {
    if (this.refreshTimer) return;
    this.refreshTimer = setInterval(() => void this.refresh(), this.refreshEveryMs);
    void this.refresh();
  }

  private scheduleRefresh(): void {
    if (this.throttleTimer || this.store.listenerCount === 0) return;
    this.throttleTimer = setTimeout(() => {
      this.throttleTimer = null;
      void this.refresh();
    }, this.throttleMs);
  }

  private ourEntities(): HassEntityRegistryEntry[] {
    const entities = this.hass?.entities;
    if (!entities) return [];
    return Object.values(entities).filter((e) => e.platform === DOMAIN);
  }

  /** HA marks every entity unavailable when the add-on's link is down (the bridge's `addon_alive`). */
  private entityStaleReason(): string | null {
    const ours = this.ourEntities();
    if (ours.length === 0) return null;
    const states = ours.map((e) => this.hass?.states[e.entity_id]).filter((s) => s !== undefined);
    if (states.length > 0 && states.every((s) => s.state === 'unavailable')) {
      return 'Home Assistant reports the Smart Power Station entities as unavailable (is the add-on running?)';
    }
    return null;
  }

  private applyEntityStaleness(_ours: HassEntityRegistryEntry[]): void {
    const reason = this.entityStaleReason();
    const snap = this.store.get();
    if (reason && !snap.stale) this.store.update({ stale: true, staleReason: reason });
    else if (!reason && snap.stale && snap.staleReason?.startsWith('Home Assistant reports')) {
      this.store.update({ stale: false, staleReason: null });
    }
  }

  /** The goal select is the integration's select offering exactly the goals; the switch sits on its device. */
  private optimizerEntities(): { enabled: string | null; goal: string | null } {
    const hass = this.hass;
    if (!hass) return { enabled: null, goal: null };
    const ours = this.ourEntities();
    const goal = ours.find((e) => {
      if (!e.entity_id.startsWith('select.')) return false;
      const options = hass.states[e.entity_id]?.attributes['options'];
      return Array.isArray(options) && options.length === GOALS.length && GOALS.every((g) => options.includes(g));
    });
    const device = goal?.device_id ?? null;
    const enabled = ours.find((e) => e.entity_id.startsWith('switch.') && device !== null && e.device_id === device);
    return { enabled: enabled?.entity_id ?? null, goal: goal?.entity_id ?? null };
  }

  /** The HA device of an add-on device: the integration's device carrying the same name. */
  private haDeviceId(deviceId: string): string | null {
    const hass = this.hass;
    const device = this.store.get().devices.find((d) => d.id === deviceId);
    if (!hass?.devices || !device) return null;
    const haDeviceIds = new Set(
      this.ourEntities()
        .map((e) => e.device_id)
        .filter((id): id is string => !!id),
    );
    for (const id of haDeviceIds) {
      const d = hass.devices[id];
      if (d && (d.name === device.name || d.name_by_user === device.name)) return id;
    }
    return null;
  }

  /**
   * A driver's own command through the HA entity bound to it (a number or a switch): HA has no
   * service for it, and the entity's action reaches the add-on's same command path.
   */
  private async sendDeviceCommand(
    hass: Hass,
    deviceId: string,
    command: Extract<DeviceCommand, { type: 'device_command' }>,
  ): Promise<void> {
    const bound = (e: EntityMatch): boolean =>
      e.command?.command === 'device_command' && e.command.fixed?.['name'] === command.name;
    const descriptor = this.store
      .get()
      .devices.find((d) => d.id === deviceId)
      ?.entities.find(bound);
    const field = descriptor?.command?.field;
    const value = field === undefined ? undefined : command[field];
    const isSwitch = descriptor?.platform === 'switch' && typeof value === 'boolean';
    const isNumber = descriptor?.platform === 'number' && typeof value === 'number';
    const entity = isSwitch || isNumber ? this.deviceEntity(deviceId, isSwitch ? 'switch' : 'number', bound) : null;
    if (!entity) throw new Error(`no ${command.name} entity for this device in Home Assistant`);
    if (isSwitch) await hass.callService('switch', value === true ? 'turn_on' : 'turn_off', { entity_id: entity });
    else await hass.callService('number', 'set_value', { entity_id: entity, value });
  }

  private deviceEntity(
    deviceId: string,
    domain: 'switch' | 'select' | 'number',
    matches: (e: EntityMatch) => boolean,
  ): string | null {
    const haDevice = this.haDeviceId(deviceId);
    const descriptor = this.store
      .get()
      .devices.find((d) => d.id === deviceId)
      ?.entities.find(matches);
    if (!haDevice || !descriptor || !this.hass) return null;
    const hass = this.hass;
    const found = this.ourEntities().find(
      (e) =>
        e.device_id === haDevice &&
        e.entity_id.startsWith(`${domain}.`) &&
        (e.name === descriptor.name ||
          String(hass.states[e.entity_id]?.attributes['friendly_name'] ?? '').endsWith(descriptor.name)),
    );
    return found?.entity_id ?? null;
  }
}

/** One source per page: every card in a dashboard shares the reads. */
let shared: HaDataSource | null = null;
export function sharedHaDataSource(hass: Hass): HaDataSource {
  shared ??= new HaDataSource();
  shared.setHass(hass);
  return shared;
}

/** What an entity of /api/devices is matched by. */
interface EntityMatch {
  readonly key: string;
  readonly name: string;
  readonly command?: { readonly command: string; readonly fixed?: Readonly<Record<string, unknown>> } | undefined;
}
