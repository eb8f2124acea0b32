import {
  CardConfigError,
  ControlCardConfig,
  DeviceCardConfig,
  FlowCardConfig,
  HistoryCardConfig,
  parseCardConfig,
  PlanCardConfig,
} from '../src/config/card-configs.js';

/** The message `setConfig` throws (HA shows it in its error card). */
function problem(schema: Parameters<typeof parseCardConfig>[0], config: unknown): string {
  try {
    parseCardConfig(schema, config);
  } catch (err) {
    expect(err).toBeInstanceOf(CardConfigError);
    return (err as Error).message;
  }
  throw new Error('expected the config to be refused');
}

describe('card configs', () => {
  it('fills defaults for the stub configs the card picker uses', () => {
    expect(parseCardConfig(FlowCardConfig, { type: 'custom:sps-flow-card' })).toEqual({
      type: 'custom:sps-flow-card',
      show_relays: true,
      show_loads: true,
    });
    expect(parseCardConfig(PlanCardConfig, { type: 'custom:sps-plan-card' })).toMatchObject({
      view: 'chart',
      hours: 48,
    });
    expect(parseCardConfig(ControlCardConfig, { type: 'custom:sps-control-card' }).duration_presets).toEqual([
      30, 60, 120, 240,
    ]);
    expect(parseCardConfig(HistoryCardConfig, { type: 'custom:sps-history-card' })).toMatchObject({
      range: '24h',
      series: ['soc', 'grid', 'solar', 'battery', 'cost'],
    });
    expect(parseCardConfig(DeviceCardConfig, { type: 'custom:sps-device-card', device: 'station' }).show_controls).toBe(
      true,
    );
  });

  it('names the field of every mistake', () => {
    expect(problem(FlowCardConfig, null)).toBe('config: expected an object');
    expect(problem(FlowCardConfig, { type: 'custom:sps-flow-card', show_relays: 'yes' })).toMatch(
      /^show_relays: .*boolean/,
    );
    expect(problem(FlowCardConfig, { type: 'custom:sps-flow-card', colour: 'red' })).toBe('colour: unknown option');
    expect(problem(PlanCardConfig, { type: 'custom:sps-plan-card', hours: 72 })).toMatch(/^hours: /);
    expect(problem(PlanCardConfig, { type: 'custom:sps-plan-card', view: 'pie' })).toMatch(/^view: /);
    expect(problem(ControlCardConfig, { type: 'custom:sps-control-card', duration_presets: [] })).toMatch(
      /^duration_presets: /,
    );
    expect(problem(ControlCardConfig, { type: 'custom:sps-control-card', duration_presets: [30, 0] })).toMatch(
      /^duration_presets\.1: /,
    );
    expect(problem(DeviceCardConfig, { type: 'custom:sps-device-card' })).toMatch(/^device: /);
    expect(problem(DeviceCardConfig, { type: 'custom:sps-device-card', device: '' })).toBe(
      'device: expected the add-on device id, e.g. station',
    );
    expect(problem(HistoryCardConfig, { type: 'custom:sps-history-card', range: '30d' })).toMatch(/^range: /);
    expect(problem(HistoryCardConfig, { type: 'custom:sps-history-card', series: ['soc', 'price'] })).toMatch(
      /^series\.1: /,
    );
    expect(problem(HistoryCardConfig, { type: 'custom:sps-plan-card' })).toMatch(/^type: /);
  });
});
