import { renderPlanSvg } from '../src/http/plan-chart';
import type { PlanChartPoint } from '../src/optimizer/plan-points';

const point = (i: number, evKw: number, loadsOn: string[]): PlanChartPoint => ({
  start: new Date(Date.UTC(2026, 2, 1, 0, i * 5)).toISOString(),
  action: 'SELF_CONSUMPTION',
  socPct: 50,
  batteryKw: 0,
  importPrice: 0.2,
  exportPrice: 0.05,
  evKw,
  loadsOn,
});

describe('the plan chart’s lanes for the EV and the deferrable loads', () => {
  it('draws one lane per load and one for the EV, with a bar for each planned interval', () => {
    const svg = renderPlanSvg([
      point(0, 3.7, ['water_heater']),
      point(1, 0, ['water_heater', 'pool & pump']),
      point(2, 0, []),
    ]);
    const lane = (name: string): string =>
      /<g class="plan-lane" data-name="([^"]*)">(.*?)<\/g>/g.exec(
        svg.slice(svg.indexOf(`data-name="${name}"`) - 30),
      )?.[2] ?? '';
    expect(svg).toContain('data-name="EV"');
    expect(svg).toContain('data-name="water_heater"');
    // Names are escaped.
    expect(svg).toContain('data-name="pool &amp; pump"');
    expect(lane('EV').match(/<rect/g)).toHaveLength(1);
    expect(lane('water_heater').match(/<rect/g)).toHaveLength(2);
  });

  it('draws no lanes without an EV or loads', () => {
    expect(renderPlanSvg([point(0, 0, [])])).not.toContain('plan-lane');
  });
});
