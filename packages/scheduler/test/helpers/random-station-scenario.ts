import { seededRandom, type ScenarioInput } from '../../src/index';

/**
 * Small random scenarios with a power station (issue 6 §5): alone or beside a battery, on/off or
 * continuous grid charging, PV at P4 or none, a P2 share of the load, prices that sometimes make
 * grid charging, holding and negative-price dumping attractive. Reproducible by seed.
 */
export function randomStationScenario(seed: number): ScenarioInput {
  const r = seededRandom(seed * 7919 + 13);
  const round = (v: number): number => Math.round(v * 1000) / 1000;
  const n = 6 + Math.floor(r() * 5);
  const interval = [15, 30, 60][Math.floor(r() * 3)]!;
  const imp: number[] = [];
  const exp: number[] = [];
  const solar: number[] = [];
  const load: number[] = [];
  const p2: number[] = [];
  const pv: number[] = [];
  for (let t = 0; t < n; t++) {
    const i = round(-0.05 + 0.6 * r());
    imp.push(i);
    exp.push(round(r() < 0.1 ? i + 0.05 * r() : i - 0.25 * r()));
    solar.push(round(r() < 0.5 ? 0 : 4 * r()));
    const l = round(0.2 + 2.5 * r());
    load.push(l);
    p2.push(round(l * (0.3 + 0.7 * r())));
    pv.push(round(r() < 0.4 ? 0 : 0.4 * r()));
  }
  const min = round(10 * r());
  const max = round(90 + 10 * r());
  const scenario: ScenarioInput = {
    interval_minutes: interval,
    start: '2025-03-01T00:00:00Z',
    prices: { import: imp, export: exp, currency: 'AUD' },
    solar_kw: solar,
    load_kw: load,
    station: {
      name: 'bluetti',
      capacity_kwh: round(1 + 2 * r()),
      soc_pct: round(min + (max - min) * r()),
      min_soc_pct: min,
      max_soc_pct: max,
      grid_charge_kw: round(0.35 + 1.1 * r()),
      grid_charge_mode: r() < 0.7 ? 'on_off' : 'continuous',
      max_discharge_kw: round(0.8 + 1.2 * r()),
      p2_load_kw: p2,
      ...(r() < 0.7 ? { pv_kw: pv } : {}),
      charge_efficiency: round(0.85 + 0.1 * r()),
      discharge_efficiency: round(0.85 + 0.1 * r()),
      cycle_cost_per_kwh: round(0.05 * r()),
    },
    grid: { max_import_kw: r() < 0.6 ? null : round(6 + 6 * r()), max_export_kw: r() < 0.3 ? null : round(4 * r()) },
    terminal_energy_value_per_kwh: round(0.3 * r()),
    allow_grid_charging: r() > 0.2,
    allow_battery_export: r() > 0.2,
    allow_curtailment: r() > 0.1,
  };
  if (r() < 0.35) {
    scenario.battery = {
      capacity_kwh: round(4 + 8 * r()),
      soc_pct: round(20 + 60 * r()),
      max_charge_kw: round(1 + 4 * r()),
      max_discharge_kw: round(1 + 4 * r()),
    };
  }
  return scenario;
}
