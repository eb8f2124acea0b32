import {
  AvailabilityReporter,
  DecodeError,
  DeviceError,
  isoUtc,
  isValidTimeZone,
  parseDeviceCommand,
  systemClock,
  toDeviceError,
  TypedEmitter,
  type Clock,
  type Command,
  type CommandOutcome,
  type Device,
  type DeviceDescription,
  type DeviceEvents,
  type ReadingSet,
} from '@sps/core';
import type { z } from 'zod';
import { TeslemetryClient } from './client.js';
import { lifetimeTotals, neverLower, type LifetimeTotals } from './codec/lifetime.js';
import { GRID_CHARGING_OPTIONS, liveReadings, siteReadings, totalsReadings } from './codec/readings.js';
import {
  CommandResult,
  EnergyHistory,
  EXPORT_RULES,
  LiveStatus,
  parseProducts,
  SiteInfo,
  unwrap,
} from './codec/responses.js';
import { CommandQueue, type QueuedWrite } from './command-queue.js';
import { parseTeslemetryConnection, TESLEMETRY_POLL, type TeslemetryConnection } from './connection.js';
import { OPERATION_MODES, TESLEMETRY_OPERATING_MODES, teslemetryEntities } from './entities.js';
import { MemorySavedSettings, type SavedSettings, type SavedSettingsStore } from './saved-settings.js';
import {
  forcedTariff,
  planToTariff,
  pricesAt,
  TouSettingsBody,
  type TariffContentV2,
  type TariffPlan,
} from './tariff.js';

export const TESLEMETRY_DRIVER = 'teslemetry';

/** A forced tariff covers 24 h from its upload; a repeat of the same force within this re-uses it. */
const FORCED_TARIFF_REUSE_MS = 6 * 3_600_000;
/** Plan tariffs: at most one upload per this interval unless what the present half-hour costs changed. */
export const PLAN_UPLOAD_MIN_MS = 15 * 60_000;

export interface TeslemetryAdapterOptions {
  readonly id: string;
  /** Validated with `teslemetryConnectionSchema`; a bad value throws an Error naming the field. */
  readonly connection: unknown;
  readonly clock?: Clock;
  /** Where the user's own settings are kept while the add-on forces the site; default in memory. */
  readonly savedSettings?: SavedSettingsStore;
  /** Command retries (tests shorten them). */
  readonly retry?: { readonly attempts?: number; readonly backoffMs?: number; readonly maxRetryAfterWaitMs?: number };
}

type Forced = SavedSettings['forced'];

/** What `syncPlan` did: whether a new tariff went up, and the API writes it cost (0 when nothing changed). */
export interface TariffSyncOutcome {
  readonly uploaded: boolean;
  readonly writes: number;
}

/**
 * A Tesla Powerwall site through Teslemetry (Tesla Fleet API energy endpoints) behind the
 * project's `Device` interface. Reads: `live_status` every poll, `site_info` every 5 minutes and
 * after each write, lifetime `calendar_history` every `energy_interval_s`. Writes go through one
 * queue (coalescing, retries, Retry-After). Forced modes and tariff sync remember the user's own
 * settings first (`savedSettings`) and restore_normal puts them back.
 */
export class TeslemetryAdapter implements Device {
  readonly driver = TESLEMETRY_DRIVER;
  readonly events = new TypedEmitter<DeviceEvents>();
  readonly id: string;
  readonly connection: TeslemetryConnection;
  private readonly clock: Clock;
  private readonly client: TeslemetryClient;
  private readonly queue: CommandQueue;
  private readonly memory: SavedSettingsStore;
  private readonly availability: AvailabilityReporter;
  private siteId: string | null = null;
  private site: SiteInfo | null = null;
  private siteAt = 0;
  private siteStale = true;
  private live: LiveStatus | null = null;
  private totals: LifetimeTotals | null = null;
  private totalsAt = Number.NEGATIVE_INFINITY;
  private description: DeviceDescription | null = null;
  private inFlightRead: Promise<ReadingSet> | null = null;
  private lastTariffJson: string | null = null;
  /** The last forced tariff: a repeated force (the controller re-sends it every interval) uploads no new one. */
  private lastForcedTariff: { kind: 'charge' | 'discharge'; untilMs: number | null; at: number } | null = null;
  /** The last plan tariff: within PLAN_UPLOAD_MIN_MS only a change of the present half-hour's prices is uploaded. */
  private lastPlanTariff: { tariff: TariffContentV2; at: number } | null = null;
  private connected = false;

  constructor(options: TeslemetryAdapterOptions) {
    this.id = options.id;
    this.connection = parseTeslemetryConnection(options.connection);
    this.clock = options.clock ?? systemClock;
    this.memory = options.savedSettings ?? new MemorySavedSettings();
    this.availability = new AvailabilityReporter(this.events, this.clock);
    this.client = new TeslemetryClient(
      { baseUrl: this.connection.base_url, token: this.connection.token, timeoutMs: this.connection.timeout_ms },
      this.clock,
    );
    this.queue = new CommandQueue({ clock: this.clock, send: (w) => this.send(w), ...options.retry });
  }

  /** The energy site in use (known after connect). */
  get energySiteId(): string | null {
    return this.siteId;
  }

  async connect(): Promise<void> {
    this.connected = false;
    try {
      this.siteId = this.connection.site_id ?? (await this.firstEnergySite());
      await this.refreshSite();
      await this.refreshTotals(true);
      this.description = this.buildDescription();
      this.connected = true;
      this.availability.report(true);
    } catch (err) {
      throw this.availability.connectFailed(err);
    }
  }

  describe(): DeviceDescription {
    if (this.description === null) throw new DeviceError('not_connected', 'describe() needs a successful connect()');
    return this.description;
  }

  /** Concurrent reads share one round of requests: a slow API never piles up calls. */
  read(): Promise<ReadingSet> {
    if (!this.connected) return Promise.reject(new DeviceError('not_connected', `${this.id} is not connected`));
    this.inFlightRead ??= this.readOnce().finally(() => {
      this.inFlightRead = null;
    });
    return this.inFlightRead;
  }

  async execute(input: Command): Promise<CommandOutcome> {
    this.requireConnected();
    const command = parseDeviceCommand(input);
    try {
      const outcome = await this.apply(command);
      this.availability.report(true);
      return outcome;
    } catch (err) {
      throw this.availability.requestFailed(err);
    }
  }

  /**
   * Tariff sync: upload the plan as the site's time-of-use tariff and let the Powerwall's
   * time-based control (autonomous) follow it. The user's settings are remembered first, so
   * restore_normal hands the site back. An unchanged tariff is not uploaded again.
   */
  async syncPlan(plan: TariffPlan): Promise<TariffSyncOutcome> {
    this.requireConnected();
    try {
      await this.remember('plan');
      const now = this.clock.now();
      const timeZone = this.timeZone();
      const tariff = planToTariff(plan, { now, timeZone });
      const last = this.lastPlanTariff;
      const same = (a: TariffContentV2, b: TariffContentV2, at: number): boolean =>
        JSON.stringify(pricesAt(a, at, timeZone)) === JSON.stringify(pricesAt(b, at, timeZone));
      const skip =
        last !== null &&
        now - last.at < PLAN_UPLOAD_MIN_MS &&
        same(last.tariff, tariff, now) &&
        same(last.tariff, tariff, now + 1_800_000);
      let writes = 0;
      let uploaded = false;
      if (!skip) {
        const sent = await this.uploadTariff(tariff);
        uploaded = sent > 0;
        writes += sent;
        this.lastPlanTariff = { tariff, at: now };
        this.lastForcedTariff = null;
      }
      writes += await this.setOperation('autonomous');
      this.availability.report(true);
      return { uploaded, writes };
    } catch (err) {
      throw this.availability.requestFailed(err);
    }
  }

  async close(): Promise<void> {
    this.connected = false;
    this.queue.close();
  }

  private requireConnected(): void {
    if (!this.connected || this.siteId === null) throw new DeviceError('not_connected', `${this.id} is not connected`);
  }

  private path(endpoint: string): string {
    return `/api/1/energy_sites/${encodeURIComponent(this.siteId ?? '')}/${endpoint}`;
  }

  private async firstEnergySite(): Promise<string> {
    const answer = await this.client.get('/api/1/products');
    const { siteIds } = decoding(() => parseProducts(answer.text));
    const first = siteIds[0];
    if (first === undefined) throw new DeviceError('unsupported', 'this token sees no energy site (/api/1/products)');
    return first;
  }

  private async fetch<T>(endpoint: string, schema: z.ZodType<T>): Promise<T> {
    const answer = await this.client.get(this.path(endpoint));
    return decoding(() => unwrap(answer.json, schema, endpoint.split('?')[0] ?? endpoint));
  }

  private async refreshSite(): Promise<void> {
    this.site = await this.fetch('site_info', SiteInfo);
    this.siteAt = this.clock.now();
    this.siteStale = false;
  }

  /** Lifetime totals are expensive: fetched at connect and every `energy_interval_s`; a failure keeps the last ones. */
  private async refreshTotals(atConnect = false): Promise<void> {
    if (!atConnect && this.clock.now() - this.totalsAt < this.connection.energy_interval_s * 1000) return;
    const query = new URLSearchParams({
      kind: 'energy',
      period: 'lifetime',
      end_date: isoUtc(this.clock.now()),
      time_zone: this.timeZone(),
    });
    try {
      const history = await this.fetch(`calendar_history?${query.toString()}`, EnergyHistory);
      this.totals = neverLower(this.totals, lifetimeTotals(history));
      this.totalsAt = this.clock.now();
    } catch (err) {
      const error = toDeviceError(err);
      if (error.kind === 'auth_failed') throw error;
      // Try again at the next poll, not at once: totals are a nice-to-have next to live power.
      this.totalsAt = this.clock.now() - this.connection.energy_interval_s * 1000 + TESLEMETRY_POLL.siteInfoMs;
    }
  }

  private async readOnce(): Promise<ReadingSet> {
    try {
      this.live = await this.fetch('live_status', LiveStatus);
      if (this.siteStale || this.clock.now() - this.siteAt >= TESLEMETRY_POLL.siteInfoMs) await this.refreshSite();
      await this.refreshTotals();
      this.availability.report(true);
      return this.readings();
    } catch (err) {
      throw this.availability.requestFailed(err);
    }
  }

  private readings(): ReadingSet {
    const saved = this.memory.load();
    return {
      timestamp: this.clock.now(),
      values: {
        ...(this.live === null ? {} : liveReadings(this.live)),
        ...(this.site === null ? {} : siteReadings(this.site)),
        ...totalsReadings(this.totals),
        control_state: saved?.forced ?? 'normal',
      },
    };
  }

  private timeZone(): string {
    const site = this.site?.installation_time_zone ?? '';
    if (site !== '' && isValidTimeZone(site)) return site;
    const configured = this.connection.time_zone;
    return configured !== undefined && isValidTimeZone(configured) ? configured : 'UTC';
  }

  private currency(): string {
    const tariff = this.site?.tariff_content_v2;
    const currency = tariff && typeof tariff['currency'] === 'string' ? tariff['currency'] : null;
    return currency !== null && /^[A-Z]{3}$/.test(currency) ? currency : 'USD';
  }

  // ---- writes -------------------------------------------------------------------------------

  private async send(write: QueuedWrite): Promise<void> {
    const answer = await this.client.post(this.path(write.key), write.body);
    const result = decoding(() => unwrap(answer.json, CommandResult, write.key));
    if (result !== null && typeof result === 'object' && 'result' in result && !result.result) {
      throw new DeviceError('rejected', `${write.key}: ${result.reason || 'refused by the site'}`);
    }
    this.siteStale = true;
  }

  /** Queue a write; the cached site_info is updated at once so the next diff sees it. */
  private async write(
    key: string,
    body: Record<string, unknown>,
    patch: (site: SiteInfo) => SiteInfo,
  ): Promise<number> {
    const { coalesced } = await this.queue.enqueue({ key, body });
    if (this.site !== null) this.site = patch(this.site);
    return coalesced ? 0 : 1;
  }

  private async setReserve(percent: number): Promise<number> {
    const value = Math.round(percent);
    if (this.site?.backup_reserve_percent === value) return 0;
    return this.write('backup', { backup_reserve_percent: value }, (s) => ({ ...s, backup_reserve_percent: value }));
  }

  private async setOperation(mode: string): Promise<number> {
    if (this.site?.default_real_mode === mode) return 0;
    return this.write('operation', { default_real_mode: mode }, (s) => ({ ...s, default_real_mode: mode }));
  }

  private async setExportRule(rule: string): Promise<number> {
    if (this.site?.components?.customer_preferred_export_rule === rule) return 0;
    return this.write('grid_import_export', { customer_preferred_export_rule: rule }, (s) => ({
      ...s,
      components: { ...s.components, customer_preferred_export_rule: rule },
    }));
  }

  private async setGridChargingBlocked(blocked: boolean): Promise<number> {
    if (this.site?.components?.disallow_charge_from_grid_with_solar_installed === blocked) return 0;
    return this.write('grid_import_export', { disallow_charge_from_grid_with_solar_installed: blocked }, (s) => ({
      ...s,
      components: { ...s.components, disallow_charge_from_grid_with_solar_installed: blocked },
    }));
  }

  private async uploadTariff(tariff: TariffContentV2 | Record<string, unknown>): Promise<number> {
    const body = { tou_settings: { tariff_content_v2: tariff } };
    const json = JSON.stringify(body);
    if (json === this.lastTariffJson) return 0;
    const checked = TouSettingsBody.safeParse(body);
    if (!checked.success) {
      const issue = checked.error.issues[0];
      throw new DeviceError(
        'rejected',
        `tariff_content_v2.${issue?.path.slice(2).join('.') ?? ''}: ${issue?.message ?? 'invalid'}`,
      );
    }
    const writes = await this.write('time_of_use_settings', body, (s) => s);
    this.lastTariffJson = json;
    return writes;
  }

  /** Remember the user's own settings the first time the add-on takes the site over. */
  private async remember(forced: Forced): Promise<SavedSettings> {
    const saved = this.memory.load();
    if (saved !== null) {
      const next = { ...saved, forced };
      this.memory.save(next);
      return next;
    }
    if (this.site === null || this.siteStale) await this.refreshSite();
    const site = this.site as SiteInfo;
    const settings: SavedSettings = {
      operation_mode: site.default_real_mode ?? 'self_consumption',
      backup_reserve: site.backup_reserve_percent ?? 20,
      export_rule: site.components?.customer_preferred_export_rule ?? null,
      grid_charging_blocked: site.components?.disallow_charge_from_grid_with_solar_installed ?? null,
      tariff: site.tariff_content_v2 ?? null,
      forced,
      since: isoUtc(this.clock.now()),
    };
    this.memory.save(settings);
    return settings;
  }

  private async apply(command: Command): Promise<CommandOutcome> {
    switch (command.type) {
      case 'set_backup_reserve': {
        const saved = this.memory.load();
        if (saved !== null) {
          // Forced: the reserve the user asks for is theirs, applied when the force ends.
          this.memory.save({ ...saved, backup_reserve: Math.round(command.percent) });
          return { command, applied: { percent: Math.round(command.percent), after_restore: true }, writes: 0 };
        }
        return {
          command,
          applied: { percent: Math.round(command.percent) },
          writes: await this.setReserve(command.percent),
        };
      }
      case 'set_operating_mode':
        return this.applyMode(command);
      case 'force_charge':
        return command.power_w === 0 ? this.hold(command) : this.forceCharge(command);
      case 'force_discharge':
        return this.forceDischarge(command);
      case 'restore_normal':
        return this.restore(command);
      default:
        throw new DeviceError('unsupported', `a Powerwall through Teslemetry cannot do ${command.type}`);
    }
  }

  private async applyMode(command: Extract<Command, { type: 'set_operating_mode' }>): Promise<CommandOutcome> {
    const mode = command.mode;
    if (!TESLEMETRY_OPERATING_MODES.includes(mode)) {
      throw new DeviceError(
        'rejected',
        `mode: unknown mode "${mode}" (known: ${TESLEMETRY_OPERATING_MODES.join(', ')})`,
      );
    }
    const saved = this.memory.load();
    const isOperation = (OPERATION_MODES as readonly string[]).includes(mode);
    const isRule = (EXPORT_RULES as readonly string[]).includes(mode);
    if (saved !== null) {
      const next: SavedSettings = isOperation
        ? { ...saved, operation_mode: mode }
        : isRule
          ? { ...saved, export_rule: mode }
          : { ...saved, grid_charging_blocked: mode === GRID_CHARGING_OPTIONS[1] };
      this.memory.save(next);
      return { command, applied: { mode, after_restore: true }, writes: 0 };
    }
    const writes = isOperation
      ? await this.setOperation(mode)
      : isRule
        ? await this.setExportRule(mode)
        : await this.setGridChargingBlocked(mode === GRID_CHARGING_OPTIONS[1]);
    return { command, applied: { mode }, writes };
  }

  /** Force charge: grid charging allowed, reserve 100 %, a tariff that is cheap now, time-based control. */
  private async forceCharge(command: Extract<Command, { type: 'force_charge' }>): Promise<CommandOutcome> {
    await this.remember('charge');
    let writes = await this.setGridChargingBlocked(false);
    writes += await this.setReserve(100);
    writes += await this.uploadForcedTariff('charge', command.until);
    writes += await this.setOperation('autonomous');
    return {
      command,
      // The Powerwall picks its own charge power; the requested power cannot be set through the API.
      applied: { backup_reserve: 100, operation_mode: 'autonomous', tariff: 'cheap now', power_settable: false },
      writes,
    };
  }

  /** Force discharge: export from the battery allowed, the user's reserve, a tariff that sells high now. */
  private async forceDischarge(command: Extract<Command, { type: 'force_discharge' }>): Promise<CommandOutcome> {
    const saved = await this.remember('discharge');
    let writes = await this.setExportRule('battery_ok');
    writes += await this.setReserve(saved.backup_reserve);
    writes += await this.uploadForcedTariff('discharge', command.until);
    writes += await this.setOperation('autonomous');
    return {
      command,
      applied: {
        export_rule: 'battery_ok',
        backup_reserve: saved.backup_reserve,
        operation_mode: 'autonomous',
        tariff: 'high sell now',
        power_settable: false,
      },
      writes,
    };
  }

  /** Hold (force_charge at 0 W, the controller's IDLE): the reserve at today's charge, so the battery does not discharge. */
  private async hold(command: Extract<Command, { type: 'force_charge' }>): Promise<CommandOutcome> {
    const saved = await this.remember('hold');
    if (this.live === null) this.live = await this.fetch('live_status', LiveStatus);
    const soc = this.live.percentage_charged;
    if (typeof soc !== 'number') throw new DeviceError('bad_response', 'live_status: no percentage_charged to hold at');
    const reserve = Math.min(100, Math.max(saved.backup_reserve, Math.ceil(soc)));
    let writes = await this.setReserve(reserve);
    writes += await this.setOperation('self_consumption');
    return { command, applied: { backup_reserve: reserve, operation_mode: 'self_consumption' }, writes };
  }

  private async restore(command: Command): Promise<CommandOutcome> {
    const saved = this.memory.load();
    if (saved === null) return { command, applied: { already_normal: true }, writes: 0 };
    if (this.site === null || this.siteStale) await this.refreshSite();
    let writes = 0;
    if (saved.grid_charging_blocked !== null) writes += await this.setGridChargingBlocked(saved.grid_charging_blocked);
    if (saved.export_rule !== null) writes += await this.setExportRule(saved.export_rule);
    writes += await this.setReserve(saved.backup_reserve);
    if (saved.tariff !== null && this.lastTariffJson !== null) writes += await this.uploadTariff(saved.tariff);
    writes += await this.setOperation(saved.operation_mode);
    this.memory.save(null);
    this.lastTariffJson = null;
    this.lastForcedTariff = null;
    this.lastPlanTariff = null;
    return {
      command,
      applied: { operation_mode: saved.operation_mode, backup_reserve: saved.backup_reserve },
      writes,
    };
  }

  private async uploadForcedTariff(kind: 'charge' | 'discharge', until: string | undefined): Promise<number> {
    const now = this.clock.now();
    const untilMs = until === undefined ? null : Date.parse(until);
    const last = this.lastForcedTariff;
    if (
      last !== null &&
      last.kind === kind &&
      last.untilMs === untilMs &&
      now - last.at < FORCED_TARIFF_REUSE_MS &&
      (untilMs === null || now < untilMs)
    ) {
      return 0;
    }
    const tariff = forcedTariff(kind, {
      now,
      timeZone: this.timeZone(),
      currency: this.currency(),
      ...(untilMs === null ? {} : { untilMs }),
    });
    const writes = await this.uploadTariff(tariff);
    this.lastForcedTariff = { kind, untilMs, at: now };
    this.lastPlanTariff = null;
    return writes;
  }

  private buildDescription(): DeviceDescription {
    const site = this.site;
    const battery = site?.components?.battery_type ?? 'ac_powerwall';
    const count = site?.battery_count;
    const model = `${battery === 'ac_powerwall' ? 'Powerwall' : battery}${typeof count === 'number' ? ` ×${count}` : ''}`;
    const power = site?.nameplate_power ?? undefined;
    const energy = site?.nameplate_energy ?? undefined;
    return {
      info: {
        manufacturer: 'Tesla',
        model,
        serial: this.siteId ?? '',
        ...(site?.version ? { firmware: site.version } : {}),
        hardware: `gateway ${site?.components?.gateway ?? 'unknown'}`,
      },
      entities: teslemetryEntities(),
      capabilities: {
        commands: ['force_charge', 'force_discharge', 'restore_normal', 'set_backup_reserve', 'set_operating_mode'],
        operatingModes: TESLEMETRY_OPERATING_MODES,
        limits: {
          ...(power === undefined ? {} : { maxChargeW: power, maxDischargeW: power }),
          ...(energy === undefined ? {} : { capacityWh: energy }),
          minBackupReservePct: 0,
          maxBackupReservePct: 100,
        },
        minPollIntervalMs: TESLEMETRY_POLL.minMs,
      },
    };
  }
}

function decoding<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof DecodeError) throw new DeviceError('bad_response', err.message, { cause: err });
    throw err;
  }
}
