import type { Clock } from '@sps/core';
import type { ShellyProfile } from './profiles.js';

export interface SimRelay {
  on: boolean;
  /** What the appliance behind the relay draws when the relay is on, W. */
  loadW: number;
  /** Negative power means energy flowing back through the relay (Gen3+ ret_aenergy). */
  energyWh: number;
  returnedEnergyWh: number;
  temperatureC: number;
  /** Who switched it last, as the device reports it (`init`, `http`, `WS_in`, `button`…). */
  source: string;
}

export interface SimMeterChannel {
  /** Active power, W; positive = from the grid into the house. */
  powerW: number;
  voltageV: number;
  pf: number;
  importWh: number;
  exportWh: number;
}

export interface ShellyPhysicalState {
  readonly relays: readonly (Readonly<SimRelay> & {
    readonly powerW: number;
    readonly currentA: number;
    readonly voltageV: number;
  })[];
  readonly meter: readonly (Readonly<SimMeterChannel> & { readonly currentA: number })[] | null;
  readonly frequencyHz: number;
}

const MS_PER_HOUR = 3_600_000;

/**
 * The electrical picture behind a simulated Shelly: appliances on its relays and the grid
 * flow at its meter, with energy counters integrated over the clock's time (so a ManualClock
 * can jump hours). Rendering into each generation's JSON lives elsewhere.
 */
export class ShellyPhysics {
  readonly relays: SimRelay[];
  readonly meterChannels: SimMeterChannel[] | null;
  voltageV = 230.4;
  frequencyHz = 50;
  private lastMs: number;

  constructor(
    profile: ShellyProfile,
    private readonly clock: Clock,
  ) {
    this.lastMs = clock.now();
    this.relays = Array.from({ length: profile.relays }, (_, i) => ({
      on: false,
      loadW: 0,
      energyWh: 1000 + 250 * i,
      returnedEnergyWh: 0,
      temperatureC: 38.5 + i,
      source: 'init',
    }));
    this.meterChannels =
      profile.meter === null
        ? null
        : Array.from({ length: profile.meterChannels }, (_, i) => ({
            powerW: i === 0 ? 450 : 120,
            voltageV: 230 + i * 0.4,
            pf: 0.92,
            importWh: 2_000_000 + 10_000 * i,
            exportWh: 1000 * i,
          }));
  }

  /** Integrate energy up to the clock's now. */
  advance(): void {
    const now = this.clock.now();
    const hours = Math.max(0, now - this.lastMs) / MS_PER_HOUR;
    this.lastMs = now;
    if (hours === 0) return;
    for (const r of this.relays) {
      const p = this.relayPower(r);
      if (p >= 0) r.energyWh += p * hours;
      else r.returnedEnergyWh += -p * hours;
    }
    for (const c of this.meterChannels ?? []) {
      if (c.powerW >= 0) c.importWh += c.powerW * hours;
      else c.exportWh += -c.powerW * hours;
    }
  }

  relayPower(r: SimRelay): number {
    return r.on ? r.loadW : 0;
  }

  setRelay(channel: number, on: boolean, source: string): boolean {
    this.advance();
    const relay = this.relays[channel];
    if (relay === undefined) throw new RangeError(`no relay ${channel}`);
    const wasOn = relay.on;
    relay.on = on;
    relay.source = source;
    return wasOn;
  }

  setLoad(channel: number, watts: number): void {
    this.advance();
    const relay = this.relays[channel];
    if (relay === undefined) throw new RangeError(`no relay ${channel}`);
    relay.loadW = watts;
  }

  setMeterPower(channel: number, watts: number): void {
    this.advance();
    const c = this.meterChannels?.[channel];
    if (c === undefined) throw new RangeError(`no meter channel ${channel}`);
    c.powerW = watts;
  }

  snapshot(): ShellyPhysicalState {
    this.advance();
    return {
      relays: this.relays.map((r) => {
        const powerW = this.relayPower(r);
        return { ...r, powerW, voltageV: this.voltageV, currentA: Math.abs(powerW) / this.voltageV };
      }),
      meter: this.meterChannels?.map((c) => ({ ...c, currentA: Math.abs(c.powerW) / (c.voltageV * c.pf) })) ?? null,
      frequencyHz: this.frequencyHz,
    };
  }
}
