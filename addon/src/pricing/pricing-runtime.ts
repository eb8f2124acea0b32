import { TypedEmitter, type Clock, type TimerHandle } from '@sps/core';
import {
  ForecastSolarProvider,
  type LoadBlend,
  HaSolarForecastProvider,
  LoadForecaster,
  OpenMeteoPvProvider,
  type HaForecastBridge,
  type SolarForecastProvider,
} from '@sps/forecasts';
import { PriceService, createPriceProvider, type TariffConfig } from '@sps/tariffs';
import type { Logger } from '../logger.js';
import type { ReadingArchive } from '../reading-archive.js';
import type { StateStore } from '../state-store.js';
import type { ForecastSettings, SolarSettings } from './forecast-options.js';
import { ForecastService } from './forecast-service.js';
import { HaStatisticsLoadHistory, StoreLoadHistory, type HaCommandSender } from './load-history.js';

const MINUTE = 60_000;

export interface PricingRuntimeOptions {
  readonly tariff?: TariffConfig;
  readonly forecast: ForecastSettings;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly state: StateStore;
  readonly archive: ReadingArchive;
  /** Configured device ids, in options order (load history falls back to the first with data). */
  readonly deviceIds: () => readonly string[];
  /** HA's websocket, when connected (HA solar forecast, load statistics). */
  readonly ha: () => HaCommandSender | undefined;
}

export interface PricingEvents extends Record<string, unknown> {
  /** Prices, their status or a forecast changed; or a minute passed (the current interval moves on). */
  changed: void;
}

/**
 * Prices and forecasts inside the add-on: the PriceService (persisted in the store, so prices
 * survive a restart) and one ForecastService each for solar and load. HA, the HTTP API and
 * later the scheduler read from here.
 */
export class PricingRuntime {
  readonly events: TypedEmitter<PricingEvents>;
  readonly prices: PriceService | undefined;
  readonly solar: ForecastService | undefined;
  readonly load: ForecastService | undefined;
  readonly currency: string | undefined;
  private ticker: TimerHandle | undefined;
  private readonly log: Logger;

  constructor(private readonly options: PricingRuntimeOptions) {
    this.log = options.logger.child({ component: 'pricing' });
    const onInternalError = (err: unknown) => this.log.error({ err }, 'prices/forecasts: internal error');
    this.events = new TypedEmitter<PricingEvents>(onInternalError);
    const { clock } = options;
    if (options.tariff) {
      const provider = createPriceProvider(options.tariff);
      this.currency = provider.currency;
      // The store hands back JSON; PriceService validates what it restores, so the cast is safe.
      const state = {
        getState: <T>(namespace: string, key: string) => options.state.getState(namespace, key) as T | undefined,
        putState: (namespace: string, key: string, value: unknown) => options.state.putState(namespace, key, value),
      };
      this.prices = new PriceService({ provider, clock, state, onInternalError });
      this.prices.on('status', (status) => {
        if (status.lastError) this.log.warn({ provider: status.provider }, `prices: ${status.lastError}`);
        this.events.emit('changed', undefined);
      });
    }
    const solarProvider = this.solarProvider(options.forecast.solar);
    const solar = options.forecast.solar;
    if (solarProvider && solar.source !== 'none') {
      this.solar = new ForecastService({
        kind: 'solar',
        source: solarProvider.id,
        clock,
        refreshMs: solar.refreshMs,
        // HA is local (and may just not be connected yet); remote services get the same
        // minimum spacing as their refresh allows, so a failure never costs extra calls.
        retryMs: solar.source === 'ha' ? MINUTE : Math.min(solar.refreshMs, 15 * MINUTE),
        produce: (grid) => solarProvider.forecast(grid),
        onInternalError,
      });
    }
    const load = options.forecast.load;
    if (load.source === 'store') {
      const forecaster = new LoadForecaster({
        history: new StoreLoadHistory(options.archive, options.deviceIds, load.device),
        ...(load.haSensor === undefined
          ? {}
          : { fallbackHistory: new HaStatisticsLoadHistory(options.ha, load.haSensor) }),
        model: { timeZone: load.timeZone },
        prior: load.dailyKwh === undefined ? {} : { dailyKwh: load.dailyKwh },
      });
      this.load = new ForecastService({
        kind: 'load',
        source: 'profile',
        clock,
        refreshMs: load.refreshMs,
        retryMs: 5 * MINUTE,
        // An hour past the plan's 48 h: between two refreshes the plan still finds its whole horizon.
        hours: 49,
        produce: async (grid, now) => {
          const forecast = await forecaster.forecast(grid, now);
          return {
            ...forecast,
            ...(forecast.blend === undefined ? {} : { basis: describeLoadBlend(forecast.blend) }),
          };
        },
        onInternalError,
      });
    }
    for (const service of [this.solar, this.load])
      service?.events.on('updated', () => this.events.emit('changed', undefined));
  }

  get configured(): boolean {
    return this.prices !== undefined || this.solar !== undefined || this.load !== undefined;
  }

  start(): void {
    this.prices?.start();
    this.solar?.start();
    this.load?.start();
    if (this.configured) this.tick();
  }

  stop(): void {
    this.ticker?.cancel();
    this.ticker = undefined;
    this.prices?.stop();
    this.solar?.stop();
    this.load?.stop();
  }

  /** On every minute boundary: HA's "current price" must move on even when nothing was fetched. */
  private tick(): void {
    const now = this.options.clock.now();
    const delay = MINUTE - (now % MINUTE) || MINUTE;
    this.ticker = this.options.clock.setTimeout(() => {
      this.events.emit('changed', undefined);
      this.tick();
    }, delay);
  }

  private solarProvider(solar: SolarSettings): SolarForecastProvider | undefined {
    switch (solar.source) {
      case 'none':
        return undefined;
      case 'ha':
        return new HaSolarForecastProvider(haForecastBridge(this.options.ha));
      case 'forecast_solar':
        return new ForecastSolarProvider({
          latitude: solar.latitude,
          longitude: solar.longitude,
          arrays: solar.arrays.map((a) => ({ declination: a.declination, azimuth: a.azimuth, kwp: a.kwp })),
          ...(solar.inverterKw === undefined ? {} : { inverterKw: solar.inverterKw }),
          ...(solar.lossesPct === undefined ? {} : { extraLossesPct: solar.lossesPct }),
          ...(solar.apiKey === undefined ? {} : { apiKey: solar.apiKey }),
          ...(solar.baseUrl === undefined ? {} : { baseUrl: solar.baseUrl }),
        });
      case 'open_meteo':
        return new OpenMeteoPvProvider({
          latitude: solar.latitude,
          longitude: solar.longitude,
          arrays: solar.arrays.map((a) => ({
            tilt: a.declination,
            azimuth: a.azimuth,
            kwp: a.kwp,
            ...(solar.lossesPct === undefined ? {} : { lossesPct: solar.lossesPct }),
          })),
          ...(solar.inverterKw === undefined ? {} : { inverterKw: solar.inverterKw }),
          ...(solar.baseUrl === undefined ? {} : { baseUrl: solar.baseUrl }),
        });
    }
  }
}

/** packages/forecasts' view of HA: the `energy/solar_forecast` command and entity attributes. */
export function haForecastBridge(ha: () => HaCommandSender | undefined): HaForecastBridge {
  const connected = (): HaCommandSender => {
    const sender = ha();
    if (!sender) throw new Error('not connected to Home Assistant');
    return sender;
  };
  return {
    solarForecast: () => connected().sendCommand({ type: 'energy/solar_forecast' }),
    entityAttributes: async (entityId) => {
      const states = await connected().sendCommand<{ entity_id: string; attributes: Record<string, unknown> }[]>({
        type: 'get_states',
      });
      return states.find((s) => s.entity_id === entityId)?.attributes;
    },
  };
}

/** The load forecast's basis in one line, for HA's `basis` attribute, the API and the panel. */
export function describeLoadBlend(blend: LoadBlend): string {
  const level = `${round1(blend.profileDailyKwh)} kWh/day (${
    blend.profileLevel === 'configured'
      ? 'load_daily_kwh'
      : blend.profileLevel === 'history'
        ? 'the level of the history'
        : 'the default: no load history yet'
  })`;
  const days = `${round1(blend.coveredDays)} days of recorded load`;
  if (blend.historyWeight <= 0) return `typical-day profile at ${level}`;
  if (blend.historyWeight >= 1) return `learnt from ${days}`;
  return (
    `learnt from ${days} (weight ${Math.round(blend.historyWeight * 100)} %), ` +
    `blended with the typical-day profile at ${level}`
  );
}

function round1(x: number): number {
  return Math.round(x * 10) / 10;
}
