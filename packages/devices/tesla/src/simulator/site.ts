import type { TariffContentV2 } from '../tariff.js';
import { localParts } from '@sps/core';

/** The simulated Powerwall site: what the API reports and what the commands change. */
export interface SimulatedSite {
  socPct: number;
  capacityWh: number;
  maxPowerW: number;
  batteryCount: number;
  reservePct: number;
  mode: 'self_consumption' | 'autonomous' | 'backup';
  exportRule: 'battery_ok' | 'pv_only' | 'never';
  gridChargingBlocked: boolean;
  tariff: TariffContentV2 | null;
  timeZone: string;
  gridUp: boolean;
  /** Last computed powers, W, in Tesla's (and our) signs. */
  solarW: number;
  loadW: number;
  batteryW: number;
  gridW: number;
  /** Lifetime counters, Wh. */
  totals: {
    solar: number;
    gridImported: number;
    gridExportedFromSolar: number;
    gridExportedFromBattery: number;
    batteryFromGrid: number;
    batteryFromSolar: number;
    batteryExported: number;
    homeFromGrid: number;
    homeFromSolar: number;
    homeFromBattery: number;
  };
}

export function defaultSite(overrides: Partial<SimulatedSite> = {}): SimulatedSite {
  return {
    socPct: 60,
    capacityWh: 27_000,
    maxPowerW: 10_000,
    batteryCount: 2,
    reservePct: 20,
    mode: 'self_consumption',
    exportRule: 'pv_only',
    gridChargingBlocked: true,
    tariff: null,
    timeZone: 'Australia/Brisbane',
    gridUp: true,
    solarW: 0,
    loadW: 0,
    batteryW: 0,
    gridW: 0,
    totals: {
      solar: 8_000_000,
      gridImported: 5_000_000,
      gridExportedFromSolar: 2_500_000,
      gridExportedFromBattery: 100_000,
      batteryFromGrid: 200_000,
      batteryFromSolar: 2_000_000,
      batteryExported: 2_000_000,
      homeFromGrid: 4_800_000,
      homeFromSolar: 3_500_000,
      homeFromBattery: 1_900_000,
    },
    ...overrides,
  };
}

/** Solar from a half-sine between 06:00 and 18:00 local; load with an evening bump. */
function household(ms: number, timeZone: string): { solarW: number; loadW: number } {
  const p = localParts(ms, timeZone);
  const hour = p.hour + p.minute / 60;
  const solarW = hour > 6 && hour < 18 ? Math.round(6000 * Math.sin(((hour - 6) / 12) * Math.PI)) : 0;
  const loadW = 500 + (hour >= 17 && hour < 21 ? 1500 : 0);
  return { solarW, loadW };
}

/** The tariff half-hour now: `cheap` when its buy price is the day's lowest, `sell` when its sell price is the day's highest. */
function tariffSignal(site: SimulatedSite, ms: number): 'cheap' | 'sell' | null {
  const tariff = site.tariff;
  if (tariff === null) return null;
  const season = Object.keys(tariff.seasons)[0];
  if (season === undefined) return null;
  const buyRates = tariff.energy_charges[season];
  const sellRates = tariff.sell_tariff.energy_charges[season];
  const buy = buyRates && 'rates' in buyRates ? buyRates.rates : {};
  const sell = sellRates && 'rates' in sellRates ? sellRates.rates : {};
  const p = localParts(ms, site.timeZone);
  const name = `PERIOD_${String(p.hour).padStart(2, '0')}_${p.minute >= 30 ? '30' : '00'}`;
  const buyNow = buy[name];
  const sellNow = sell[name];
  const buys = Object.values(buy);
  const sells = Object.values(sell);
  if (sellNow !== undefined && sellNow > 0 && sellNow >= Math.max(...sells)) return 'sell';
  if (buyNow !== undefined && buys.length > 0 && buyNow <= Math.min(...buys) && buyNow < Math.max(...buys))
    return 'cheap';
  return null;
}

/**
 * Advance the site by `dtMs` ending at `ms`. Self-consumption covers the house from the battery down
 * to the reserve and stores the solar surplus; a 100 % reserve with grid charging allowed charges
 * from the grid at full power; time-based control (autonomous) also charges in the tariff's
 * cheapest half-hours and, with export rule battery_ok, discharges to the grid in its best-paid one.
 */
export function stepSite(site: SimulatedSite, ms: number, dtMs: number): void {
  const { solarW, loadW } = household(ms, site.timeZone);
  site.solarW = solarW;
  site.loadW = loadW;
  const net = loadW - solarW;
  const signal = site.mode === 'autonomous' ? tariffSignal(site, ms) : null;
  let battery: number;
  if ((site.reservePct >= 100 || signal === 'cheap') && !site.gridChargingBlocked) battery = -site.maxPowerW;
  else if (signal === 'sell' && site.exportRule === 'battery_ok') battery = site.maxPowerW;
  else battery = Math.max(-site.maxPowerW, Math.min(site.maxPowerW, net));
  // Below the reserve the battery does not discharge; full, it does not charge.
  if (battery > 0 && site.socPct <= site.reservePct) battery = 0;
  if (battery < 0 && site.socPct >= 100) battery = 0;
  if (!site.gridUp) battery = Math.max(-site.maxPowerW, Math.min(site.maxPowerW, net));
  const hours = dtMs / 3_600_000;
  site.socPct = Math.max(0, Math.min(100, site.socPct - ((battery * hours) / site.capacityWh) * 100));
  site.batteryW = Math.round(battery);
  site.gridW = site.gridUp ? Math.round(net - battery) : 0;
  const t = site.totals;
  t.solar += solarW * hours;
  if (site.gridW > 0) t.gridImported += site.gridW * hours;
  if (battery > 0) {
    t.batteryExported += battery * hours;
    t.homeFromBattery += Math.min(battery, loadW) * hours;
    if (site.gridW < 0) t.gridExportedFromBattery += Math.min(-site.gridW, battery) * hours;
  } else if (battery < 0) {
    const fromSolar = Math.min(-battery, Math.max(0, solarW - loadW));
    t.batteryFromSolar += fromSolar * hours;
    t.batteryFromGrid += (-battery - fromSolar) * hours;
  }
  t.homeFromSolar += Math.min(solarW, loadW) * hours;
  if (site.gridW > 0) t.homeFromGrid += Math.min(site.gridW, loadW) * hours;
  if (site.gridW < 0 && battery <= 0) t.gridExportedFromSolar += -site.gridW * hours;
}
