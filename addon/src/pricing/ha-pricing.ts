import type { Clock, PlatformTranslationKey } from '@sps/core';
import type { BridgeDevice, BridgeEntity, HaBridgeClient } from '@sps/ha';
import { energyKwh, upcomingPoints } from './pricing-json.js';
import type { ForecastService } from './forecast-service.js';
import type { PricingRuntime } from './pricing-runtime.js';

/** The add-on's own device in HA for prices and forecasts (below the hub, like every device). */
export const OPTIMISER_DEVICE_ID = 'sps:optimiser';
const OPTIMISER_SERIAL = 'sps_optimiser';
/** HA keeps the whole horizon in one attribute; 48 h of 5-minute intervals. */
export const MAX_FORECAST_POINTS = 576;
/** The horizon changes often and is large: HA's recorder must not store it with every state. */
const UNRECORDED = ['forecast'] as const;

const round6 = (x: number): number => Math.round(x * 1e6) / 1e6;
const round3 = (x: number): number => Math.round(x * 1e3) / 1e3;
const iso = (ms: number | undefined): string | null => (ms === undefined ? null : new Date(ms).toISOString());

/** HA devices the add-on declares besides the configured ones (see HaLink). */
export interface ExtraHaDevices {
  devices(): BridgeDevice[];
  /** Called after every declaration: send every state again. */
  declared(client: HaBridgeClient): void;
}

function priceEntities(currency: string): BridgeEntity[] {
  const unit = `${currency}/kWh`;
  // No device_class: HA's `monetary` does not allow state_class measurement, and a price is a measurement.
  const price = (key: PlatformTranslationKey<'sensor'>, name: string, icon: string): BridgeEntity => ({
    key,
    platform: 'sensor',
    translationKey: key,
    name,
    unit,
    stateClass: 'measurement',
    icon,
    suggestedDisplayPrecision: 4,
  });
  const forecast = (key: PlatformTranslationKey<'sensor'>, name: string): BridgeEntity => ({
    key,
    platform: 'sensor',
    translationKey: key,
    name,
    unit,
    icon: 'mdi:chart-line',
    suggestedDisplayPrecision: 4,
    unrecordedAttributes: UNRECORDED,
  });
  return [
    price('import_price', 'Import price', 'mdi:transmission-tower-import'),
    price('export_price', 'Export price', 'mdi:transmission-tower-export'),
    {
      key: 'price_spike',
      platform: 'binary_sensor',
      translationKey: 'price_spike',
      name: 'Price spike',
      icon: 'mdi:flash-alert',
    },
    {
      key: 'prices_available',
      platform: 'binary_sensor',
      translationKey: 'prices_available',
      name: 'Prices available',
      icon: 'mdi:cash-check',
    },
    forecast('import_price_forecast', 'Import price forecast'),
    forecast('export_price_forecast', 'Export price forecast'),
  ];
}

function powerForecastEntity(key: PlatformTranslationKey<'sensor'>, name: string, icon: string): BridgeEntity {
  return {
    key,
    platform: 'sensor',
    translationKey: key,
    name,
    unit: 'kW',
    deviceClass: 'power',
    icon,
    suggestedDisplayPrecision: 2,
    unrecordedAttributes: UNRECORDED,
  };
}

/**
 * Prices and forecasts as HA entities of one virtual device: current import/export price,
 * price spike, whether prices cover now (off with the reason when not), and forecast sensors
 * whose `forecast` attribute holds the horizon as [{start, value}] (kept out of the recorder).
 */
export class PricingHaDevice implements ExtraHaDevices {
  private client: HaBridgeClient | undefined;

  constructor(
    private readonly pricing: PricingRuntime,
    private readonly clock: Clock,
    private readonly configurationUrl?: string,
  ) {
    pricing.events.on('changed', () => this.publish());
  }

  devices(): BridgeDevice[] {
    const entities: BridgeEntity[] = [];
    if (this.pricing.prices && this.pricing.currency) entities.push(...priceEntities(this.pricing.currency));
    if (this.pricing.solar) entities.push(powerForecastEntity('solar_forecast', 'Solar forecast', 'mdi:solar-power'));
    if (this.pricing.load)
      entities.push(powerForecastEntity('load_forecast', 'Load forecast', 'mdi:home-lightning-bolt'));
    if (entities.length === 0) return [];
    return [
      {
        id: OPTIMISER_DEVICE_ID,
        name: 'Smart Power Station Optimiser',
        info: { manufacturer: 'Smart Power Station', model: 'Prices and forecasts', serial: OPTIMISER_SERIAL },
        entities,
        ...(this.configurationUrl === undefined ? {} : { configurationUrl: this.configurationUrl }),
      },
    ];
  }

  declared(client: HaBridgeClient): void {
    this.client = client;
    this.publish();
  }

  /** Every state; unchanged ones are dropped by packages/ha's coalescer. */
  publish(): void {
    const client = this.client;
    if (!client) return;
    const now = this.clock.now();
    this.publishPrices(client, now);
    this.publishForecast(client, 'solar_forecast', this.pricing.solar, now);
    this.publishForecast(client, 'load_forecast', this.pricing.load, now);
  }

  private publishPrices(client: HaBridgeClient, now: number): void {
    const service = this.pricing.prices;
    if (!service) return;
    const status = service.status();
    const coverage = service.coverage(now);
    const current = coverage.current;
    const reason = coverage.reason ?? null;
    const common = {
      provider: status.provider,
      reason,
      kind: current?.kind ?? null,
      interval_start: iso(current?.start),
      interval_end: iso(current?.end),
      ...(current?.descriptor === undefined ? {} : { descriptor: current.descriptor }),
    };
    client.publishState(OPTIMISER_DEVICE_ID, 'import_price', current ? round6(current.import) : null, common);
    client.publishState(OPTIMISER_DEVICE_ID, 'export_price', current ? round6(current.export) : null, common);
    client.publishState(
      OPTIMISER_DEVICE_ID,
      'price_spike',
      current?.spike === undefined ? null : current.spike === 'spike',
      { status: current?.spike ?? null },
    );
    client.publishState(OPTIMISER_DEVICE_ID, 'prices_available', coverage.covered, {
      provider: status.provider,
      reason,
      horizon_end: iso(coverage.horizonEnd),
      last_success: iso(status.lastSuccessAt),
      last_error: status.lastError ?? null,
      next_poll: iso(status.nextPollAt),
    });
    const upcoming = service.upcoming(now).slice(0, MAX_FORECAST_POINTS);
    const horizon = { provider: status.provider, reason, horizon_end: iso(coverage.horizonEnd) };
    client.publishState(OPTIMISER_DEVICE_ID, 'import_price_forecast', current ? round6(current.import) : null, {
      ...horizon,
      forecast: upcoming.map((i) => ({ start: new Date(i.start).toISOString(), value: round6(i.import) })),
    });
    client.publishState(OPTIMISER_DEVICE_ID, 'export_price_forecast', current ? round6(current.export) : null, {
      ...horizon,
      forecast: upcoming.map((i) => ({ start: new Date(i.start).toISOString(), value: round6(i.export) })),
    });
  }

  private publishForecast(
    client: HaBridgeClient,
    key: string,
    service: ForecastService | undefined,
    now: number,
  ): void {
    if (!service) return;
    const snapshot = service.current();
    const points = upcomingPoints(snapshot, now).slice(0, MAX_FORECAST_POINTS);
    const current = points.find((p) => p.start <= now);
    client.publishState(OPTIMISER_DEVICE_ID, key, current ? round3(current.kw) : null, {
      source: snapshot.source,
      basis: snapshot.basis ?? null,
      updated: iso(snapshot.updatedAt),
      reason: snapshot.reason ?? null,
      energy_next_24h_kwh: points.length ? energyKwh(points, now, 24) : null,
      forecast: points.map((p) => ({ start: new Date(p.start).toISOString(), value: round3(p.kw) })),
    });
  }
}
