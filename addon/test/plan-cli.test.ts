import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Plan } from '@sps/scheduler';
import { ensureBuilt, REPO_ROOT, runSps } from './support/addon-process';

/**
 * `sps plan --scenario FILE` as a child process of the built CLI: the JSON contract,
 * the human table, YAML input, one-line errors naming the field (exit 2), infeasible = exit 0.
 */

const tmp = mkdtempSync(path.join(os.tmpdir(), 'sps-plan-cli-'));

/** Eight hours at one hour: cheap night, dear evening, a 10 kWh battery half full. */
function scenario(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    interval_minutes: 60,
    start: '2026-01-15T00:00:00Z',
    prices: {
      import: [0.08, 0.08, 0.25, 0.25, 0.3, 0.55, 0.6, 0.3],
      export: [0.02, 0.02, 0.05, 0.05, 0.05, 0.3, 0.35, 0.05],
      currency: 'AUD',
    },
    solar_kw: [0, 0, 1, 3, 3, 0.5, 0, 0],
    load_kw: [0.4, 0.4, 0.6, 0.8, 0.8, 2, 2.2, 1],
    battery: {
      capacity_kwh: 10,
      soc_pct: 50,
      min_soc_pct: 10,
      max_soc_pct: 100,
      max_charge_kw: 5,
      max_discharge_kw: 5,
    },
    grid: { max_import_kw: 15, max_export_kw: 5 },
    ...overrides,
  };
}

function writeScenario(name: string, content: string): string {
  const file = path.join(tmp, name);
  writeFileSync(file, content);
  return file;
}

beforeAll(() => ensureBuilt(), 180_000);
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('sps plan', () => {
  it('prints the plan as JSON (the contract) for a JSON scenario', async () => {
    const file = writeScenario('ok.json', JSON.stringify(scenario()));
    const { code, stdout, stderr } = await runSps(['plan', '--scenario', file, '--json']);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const plan = Plan.parse(JSON.parse(stdout));
    expect(plan.status).toBe('optimal');
    expect(plan.solver).toBe('highs');
    expect(plan.intervals).toHaveLength(8);
    expect(plan.intervals[0]?.start).toBe('2026-01-15T00:00:00.000Z');
    // Cheap night → charge from the grid; dear evening → the battery covers the house or exports.
    expect(plan.intervals[0]?.action).toBe('CHARGE');
    expect(plan.intervals[6]?.battery_discharge_kw).toBeGreaterThan(0);
    expect(plan.savings).toBeGreaterThan(0);
    for (const key of ['objective', 'cost', 'baseline_objective', 'savings', 'solve_ms'] as const) {
      expect(typeof plan[key]).toBe('number');
    }
    for (const i of plan.intervals) {
      expect(Object.keys(i)).toEqual(
        expect.arrayContaining([
          'start',
          'action',
          'battery_charge_kw',
          'battery_discharge_kw',
          'grid_import_kw',
          'grid_export_kw',
          'curtail_kw',
          'ev_kw',
          'soc_pct',
        ]),
      );
    }
  }, 60_000);

  it('plans the example scenario DOCS.md points at (docs/examples/scenario.json)', async () => {
    const file = path.join(REPO_ROOT, 'docs', 'examples', 'scenario.json');
    const { code, stdout, stderr } = await runSps(['plan', '--scenario', file, '--json']);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const plan = Plan.parse(JSON.parse(stdout));
    expect(plan.status).toBe('optimal');
    expect(plan.intervals).toHaveLength(48);
    // The example is there to show what the plan is for: it beats plain self-consumption.
    expect(plan.savings).toBeGreaterThan(0);
  }, 60_000);

  it('reads YAML and prints a human table without --json', async () => {
    const yaml = [
      'interval_minutes: 60',
      'start: "2026-01-15T00:00:00Z"',
      'prices:',
      '  import: [0.1, 0.4]',
      '  export: [0.02, 0.02]',
      '  currency: GBP',
      'solar_kw: [0, 0]',
      'load_kw: [0.5, 0.5]',
      'battery: { capacity_kwh: 5, soc_pct: 20, max_charge_kw: 3, max_discharge_kw: 3 }',
      'terminal_energy_value_per_kwh: 0.3',
      '',
    ].join('\n');
    const file = writeScenario('ok.yaml', yaml);
    const { code, stdout, stderr } = await runSps(['plan', '--scenario', file, '--time-limit-ms', '5000']);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toMatch(/status: optimal/);
    expect(stdout).toMatch(/CHARGE/);
    expect(() => JSON.parse(stdout) as unknown).toThrow();
  }, 60_000);

  it('a bad scenario exits 2 with one stderr line naming the field', async () => {
    const bad = scenario({ battery: { capacity_kwh: -3, soc_pct: 50, max_charge_kw: 5, max_discharge_kw: 5 } });
    const file = writeScenario('bad.json', JSON.stringify(bad));
    const { code, stdout, stderr } = await runSps(['plan', '--scenario', file, '--json']);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toMatch(/^sps plan: battery\.capacity_kwh: /);
  }, 60_000);

  it('unequal array lengths name the array', async () => {
    const file = writeScenario('short.json', JSON.stringify(scenario({ load_kw: [1, 2] })));
    const { code, stderr } = await runSps(['plan', '--scenario', file]);
    expect(code).toBe(2);
    expect(stderr).toMatch(/^sps plan: load_kw: expected 8 values/);
  }, 60_000);

  it('an infeasible problem is a valid answer: status infeasible with its reason, exit 0', async () => {
    // At 05:00 the house needs 25 kW: 15 kW of import + 5 kW of battery + 0.5 kW of PV cannot supply it.
    const file = writeScenario(
      'infeasible.json',
      JSON.stringify(scenario({ load_kw: [0.4, 0.4, 0.6, 0.8, 0.8, 25, 2.2, 1] })),
    );
    const { code, stdout, stderr } = await runSps(['plan', '--scenario', file, '--json']);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const plan = Plan.parse(JSON.parse(stdout));
    expect(plan.status).toBe('infeasible');
    expect(plan.intervals).toEqual([]);
    expect(plan.reason).toMatch(/grid\.max_import_kw/);
  }, 60_000);

  it('usage errors: missing --scenario, unreadable file, broken JSON, bad --time-limit-ms', async () => {
    const missing = await runSps(['plan', '--json']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^sps plan: --scenario: /);

    const absent = await runSps(['plan', '--scenario', path.join(tmp, 'nope.json')]);
    expect(absent.code).toBe(2);
    expect(absent.stderr).toMatch(/^sps plan: --scenario: cannot read .*ENOENT/);

    const broken = await runSps(['plan', '--scenario', writeScenario('broken.json', '{"prices": [')]);
    expect(broken.code).toBe(2);
    expect(broken.stderr).toMatch(/^sps plan: --scenario: .* is not valid JSON/);

    const file = writeScenario('ok2.json', JSON.stringify(scenario()));
    const limit = await runSps(['plan', '--scenario', file, '--time-limit-ms', 'soon']);
    expect(limit.code).toBe(2);
    expect(limit.stderr).toMatch(/^sps plan: --time-limit-ms: /);
  }, 60_000);
});
