import type { Clock } from '@sps/core';
import type { KasaDialect } from '../codec/snapshot.js';

/**
 * Model profiles the simulator can be. The facts that differ between them are what the
 * driver must cope with (device-protocols.md §3.1): which dialect, whether there is a meter,
 * and the meter's units (HS110 hardware v1: floats in W/V/A/kWh; v2+: integers in mW/mV/mA/Wh).
 */
export interface KasaModelProfile {
  readonly dialect: KasaDialect;
  readonly model: string;
  readonly hardware: string;
  readonly firmware: string;
  /** 'units' = HS110 v1 floats; 'milli' = v2+ integers; 'smart' = get_energy_usage; null = no meter. */
  readonly meter: 'units' | 'milli' | 'smart' | null;
  /** SMART models that also answer get_emeter_data (voltage, current). */
  readonly emeterData?: boolean;
}

export const KASA_PROFILES = {
  hs110v1: {
    dialect: 'iot',
    model: 'HS110(EU)',
    hardware: '1.0',
    firmware: '1.2.6 Build 200727 Rel.121701',
    meter: 'units',
  },
  hs110v2: {
    dialect: 'iot',
    model: 'HS110(EU)',
    hardware: '2.0',
    firmware: '1.5.10 Build 191125 Rel.094314',
    meter: 'milli',
  },
  kp115: {
    dialect: 'iot',
    model: 'KP115(AU)',
    hardware: '1.0',
    firmware: '1.0.17 Build 210506 Rel.075231',
    meter: 'milli',
  },
  hs100: {
    dialect: 'iot',
    model: 'HS100(UK)',
    hardware: '4.1',
    firmware: '1.1.0 Build 201016 Rel.175121',
    meter: null,
  },
  p110: { dialect: 'smart', model: 'P110', hardware: '1.0', firmware: '1.3.1 Build 240621 Rel.162048', meter: 'smart' },
  kp125m: {
    dialect: 'smart',
    model: 'KP125M',
    hardware: '1.0',
    firmware: '1.2.3 Build 240624 Rel.154806',
    meter: 'smart',
    emeterData: true,
  },
  p100: {
    dialect: 'smart',
    model: 'P100',
    hardware: '1.0.0',
    firmware: '1.4.0 Build 20230316 Rel. 57386',
    meter: null,
  },
} as const satisfies Record<string, KasaModelProfile>;

export type KasaProfileName = keyof typeof KASA_PROFILES;

/** The physical state of the simulated plug and what it has metered. */
export interface KasaPlugState {
  readonly relayOn: boolean;
  /** What the appliance behind the plug draws while the relay is on, W. */
  readonly applianceW: number;
  readonly voltageV: number;
  /** The power flowing now, W: the appliance's draw while on, 0 while off. */
  readonly powerW: number;
  readonly currentA: number;
  /** Lifetime energy, Wh (unrounded). */
  readonly energyWh: number;
  /** Energy since UTC midnight / since the first of the UTC month, Wh (unrounded). */
  readonly todayWh: number;
  readonly monthWh: number;
  /** Seconds since the relay switched on; 0 while off. */
  readonly onTimeS: number;
  readonly rssiDbm: number;
  /** How many times the relay actually changed state (tests check commands are spared). */
  readonly relaySwitches: number;
}

export interface KasaPlugModelOptions {
  readonly clock: Clock;
  readonly relayOn?: boolean;
  readonly applianceW?: number;
  readonly voltageV?: number;
  readonly energyWh?: number;
  readonly deviceId?: string;
  readonly mac?: string;
  readonly alias?: string;
}

/** A plug with a relay and an energy meter, integrating energy over the clock's time. */
export class KasaPlugModel {
  readonly deviceId: string;
  readonly mac: string;
  readonly alias: string;
  private readonly clock: Clock;
  private relayOn: boolean;
  private applianceW: number;
  private voltageV: number;
  private energyWh: number;
  private todayWh = 0;
  private monthWh = 0;
  private onSince: number | null;
  private relaySwitches = 0;
  private lastStep: number;

  constructor(options: KasaPlugModelOptions) {
    this.clock = options.clock;
    this.relayOn = options.relayOn ?? true;
    this.applianceW = options.applianceW ?? 642.5;
    this.voltageV = options.voltageV ?? 239.4;
    this.energyWh = options.energyWh ?? 12_345;
    this.deviceId = options.deviceId ?? '8006A1B2C3D4E5F60718293A4B5C6D7E8F901234';
    this.mac = options.mac ?? '50:C7:BF:00:00:01';
    this.alias = options.alias ?? 'Station charger';
    this.lastStep = this.clock.now();
    this.onSince = this.relayOn ? this.lastStep : null;
  }

  /** The model's clock time, ms. */
  now(): number {
    return this.clock.now();
  }

  get state(): KasaPlugState {
    this.step();
    const powerW = this.relayOn ? this.applianceW : 0;
    return {
      relayOn: this.relayOn,
      applianceW: this.applianceW,
      voltageV: this.voltageV,
      powerW,
      currentA: powerW / this.voltageV,
      energyWh: this.energyWh,
      todayWh: this.todayWh,
      monthWh: this.monthWh,
      onTimeS: this.onSince === null ? 0 : Math.floor((this.clock.now() - this.onSince) / 1000),
      rssiDbm: -52,
      relaySwitches: this.relaySwitches,
    };
  }

  setRelay(on: boolean): void {
    this.step();
    if (on === this.relayOn) return;
    this.relayOn = on;
    this.relaySwitches++;
    this.onSince = on ? this.clock.now() : null;
  }

  /** Change what the appliance draws (a kettle switching on, the station's charger tapering). */
  setAppliance(watts: number, voltageV = this.voltageV): void {
    this.step();
    this.applianceW = watts;
    this.voltageV = voltageV;
  }

  /** Integrate energy up to now; the daily/monthly counters restart at UTC midnight / month start. */
  private step(): void {
    const now = this.clock.now();
    if (now <= this.lastStep) return;
    const power = this.relayOn ? this.applianceW : 0;
    const from = new Date(this.lastStep);
    const to = new Date(now);
    if (to.getUTCFullYear() !== from.getUTCFullYear() || to.getUTCMonth() !== from.getUTCMonth()) this.monthWh = 0;
    if (to.toISOString().slice(0, 10) !== from.toISOString().slice(0, 10)) this.todayWh = 0;
    const wh = (power * (now - this.lastStep)) / 3_600_000;
    this.energyWh += wh;
    this.todayWh += wh;
    this.monthWh += wh;
    this.lastStep = now;
  }
}
