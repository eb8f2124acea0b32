import type { DrChange, DrEvent, DrEventPerformance } from '@sps/aggregator';

export function drEvent(overrides: Partial<DrEvent> = {}): DrEvent {
  return {
    id: 'CSRP-2026-03-02T18:00:00.000Z',
    program: 'CSRP',
    type: 'contingency',
    startMs: Date.parse('2026-03-02T18:00:00Z'),
    endMs: Date.parse('2026-03-02T22:00:00Z'),
    goalKw: 1.5,
    goalPct: null,
    status: 'active',
    receivedAtMs: Date.parse('2026-03-02T10:00:00Z'),
    sentAt: '2026-03-02 05:00:00',
    optedOut: false,
    simulated: false,
    ...overrides,
  };
}

export function drChange(kind: DrChange['kind'], atMs: number, event: DrEvent = drEvent()): DrChange {
  return { kind, event, atMs };
}

export function drPerformance(eventId: string): DrEventPerformance {
  const start = Date.parse('2026-03-02T18:00:00Z');
  return {
    eventId,
    baselineMethod: 'average_day',
    baselineDays: ['2026-02-27', '2026-02-26'],
    baselineFallback: null,
    goalKw: 1.5,
    hours: [{ hourStartMs: start, baselineKw: 2.1, actualKw: 0.4, avoidedKwh: 1.7, goalMetPct: 113 }],
    avoidedKwh: 1.7,
    goalMetPct: 113,
    monthlyValue: 42.5,
  };
}

/** What one station reports every 10 s: the station's canonical readings and a few of its own. */
export function stationValues(atMs: number): Record<string, number | string | boolean> {
  const minute = Math.floor(atMs / 60_000);
  return {
    battery_soc: 80 + (minute % 10) / 2,
    battery_power: 350,
    grid_power: 120 + (minute % 7) * 10,
    load_power: 470,
    pv_power: 0,
    ac_output_power: 300,
    ac_input_power: 0,
    dc_output_power: 12,
    dc_input_power: 0,
    inverter_temperature: 31.5,
    running_state: 'discharging',
    ac_output_on: true,
  };
}
