import { seededRandom, type ScenarioInput } from '../../src/index';

/** Small random scenarios (6–10 intervals) covering every contract feature, reproducible by seed. */
export function randomScenario(seed: number): ScenarioInput {
  const r = seededRandom(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const n = 6 + Math.floor(r() * 5);
  const interval = pick([15, 30, 60] as const);
  const round = (v: number): number => Math.round(v * 1000) / 1000;
  const imp: number[] = [];
  const exp: number[] = [];
  const solar: number[] = [];
  const load: number[] = [];
  for (let t = 0; t < n; t++) {
    const i = round(-0.1 + 0.7 * r());
    imp.push(i);
    // Mostly below import (retail), sometimes above it (premium feed-in), sometimes negative.
    exp.push(round(r() < 0.15 ? i + 0.05 * r() : i - 0.25 * r()));
    solar.push(round(r() < 0.4 ? 0 : 5 * r()));
    load.push(round(0.2 + 3 * r()));
  }
  const twoBatteries = r() < 0.2;
  const battery = () => {
    const min = round(20 * r());
    const max = round(80 + 20 * r());
    return {
      capacity_kwh: round(4 + 12 * r()),
      soc_pct: round(min + (max - min) * r()),
      min_soc_pct: min,
      max_soc_pct: max,
      max_charge_kw: round(1 + 5 * r()),
      max_discharge_kw: round(1 + 5 * r()),
      charge_efficiency: round(0.85 + 0.15 * r()),
      discharge_efficiency: round(0.85 + 0.15 * r()),
      cycle_cost_per_kwh: round(0.05 * r()),
    };
  };
  const scenario: ScenarioInput = {
    interval_minutes: interval,
    start: '2025-03-01T00:00:00Z',
    prices: { import: imp, export: exp, currency: 'AUD' },
    solar_kw: solar,
    load_kw: load,
    battery: twoBatteries ? [battery(), battery()] : battery(),
    grid: { max_import_kw: r() < 0.5 ? null : round(8 + 10 * r()), max_export_kw: r() < 0.3 ? null : round(5 * r()) },
    terminal_energy_value_per_kwh: round(0.3 * r()),
    allow_grid_charging: r() > 0.2,
    allow_battery_export: r() > 0.2,
    allow_curtailment: r() > 0.1,
  };
  const h = interval / 60;
  if (r() < 0.35) {
    const maxKw = Array.from({ length: n }, () => (r() < 0.6 ? 7.2 : 0));
    const deadline = n - Math.floor(r() * 2);
    let deliverable = 0;
    for (let t = 0; t < deadline; t++) deliverable += maxKw[t]! * 0.9 * h;
    scenario.ev = {
      max_kw: maxKw,
      min_kw: r() < 0.7 ? 1.4 : 0,
      energy_needed_kwh: round(deliverable * 0.5 * r()),
      charge_efficiency: 0.9,
      deadline_index: deadline,
    };
  }
  if (r() < 0.25) {
    const start = Math.floor(r() * (n - 3));
    scenario.deferrable_loads = [
      {
        name: 'dishwasher',
        power_kw: round(0.5 + 1.5 * r()),
        start_index: start,
        end_index: n,
        run_minutes: interval * 2,
      },
    ];
  }
  if (r() < 0.25) {
    scenario.demand_charge = {
      cost_per_kw: round(0.5 * r()),
      windows: [{ start_index: 0, end_index: Math.ceil(n / 2) }],
    };
  }
  return scenario;
}
