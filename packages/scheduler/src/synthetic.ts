import type { ScenarioInput } from './scenario.js';

/** Deterministic PRNG (mulberry32) so generated scenarios are reproducible from a seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface SyntheticOptions {
  readonly hours?: number;
  readonly intervalMinutes?: 5 | 15 | 30 | 60;
  readonly seed?: number;
  readonly maxExportKw?: number | null;
  /** Add an EV plugged in overnight with a minimum charging power. */
  readonly ev?: boolean;
  readonly start?: string;
}

/**
 * A realistic household day pattern (time-of-use style import prices with noise, feed-in below
 * import and negative around midday, PV bell curve, evening load peak), used by benchmarks,
 * tests and the demo. Not a forecast of anything.
 */
export function syntheticScenario(o: SyntheticOptions = {}): ScenarioInput {
  const minutes = o.intervalMinutes ?? 5;
  const n = Math.round(((o.hours ?? 48) * 60) / minutes);
  const rnd = seededRandom(o.seed ?? 1);
  const imp: number[] = [];
  const exp: number[] = [];
  const solar: number[] = [];
  const load: number[] = [];
  const evMax: number[] = [];
  for (let t = 0; t < n; t++) {
    const hour = ((t * minutes) / 60) % 24;
    const day = Math.floor((t * minutes) / 60 / 24);
    const peak = hour >= 16 && hour < 21;
    const night = hour < 6;
    const sun = Math.max(0, Math.sin(((hour - 6) / 13) * Math.PI));
    const wholesale = (night ? 0.06 : peak ? 0.3 + 0.2 * rnd() : 0.1) - 0.12 * sun + 0.02 * (rnd() - 0.5);
    imp.push(Number((wholesale + 0.12).toFixed(4)));
    exp.push(Number((wholesale - 0.01).toFixed(4)));
    solar.push(Number((6 * sun * (0.75 + 0.25 * rnd()) * (day % 2 === 0 ? 1 : 0.7)).toFixed(3)));
    load.push(Number((0.4 + (peak ? 1.6 : 0.3) * rnd() + (hour >= 7 && hour < 9 ? 0.8 : 0)).toFixed(3)));
    evMax.push(hour >= 18 || hour < 7 ? 7.2 : 0);
  }
  return {
    interval_minutes: minutes,
    start: o.start ?? '2025-01-01T00:00:00Z',
    prices: { import: imp, export: exp, currency: 'AUD' },
    solar_kw: solar,
    load_kw: load,
    battery: {
      capacity_kwh: 13.5,
      soc_pct: 40,
      min_soc_pct: 10,
      max_soc_pct: 100,
      max_charge_kw: 5,
      max_discharge_kw: 5,
      charge_efficiency: 0.95,
      discharge_efficiency: 0.95,
      cycle_cost_per_kwh: 0.02,
    },
    grid: { max_import_kw: 15, max_export_kw: o.maxExportKw === undefined ? 5 : o.maxExportKw },
    terminal_energy_value_per_kwh: 0.15,
    ...(o.ev
      ? {
          ev: {
            max_kw: evMax,
            min_kw: 1.4,
            energy_needed_kwh: 20,
            charge_efficiency: 0.9,
            deadline_index: Math.min(n, Math.round((31 * 60) / minutes)),
          },
        }
      : {}),
  };
}
