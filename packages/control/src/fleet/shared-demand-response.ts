import type { DemandResponseDirective, DemandResponsePort, GridMeasurement } from '../demand-response.js';

/**
 * One demand-response port shared by several batteries' policies. Each battery runs its own grid
 * PI (its own limits, floor, write hysteresis), and during an ongoing event each sees the error
 * `measured − setpoint` scaled by its share, `setpoint + share·(measured − setpoint)`: the PI is
 * linear, so the batteries' outputs add up to what one PI would ask of one battery, split in
 * proportion to the discharge power each has available now (0 for a battery at its reserve or
 * planned out). With one battery its share is 1 and the port is the port.
 *
 * The ramp after the event (post_event) and the plan's upcoming target are not scaled: the ramp's
 * ceiling is each loop's own, so two batteries step back from the event at most twice as fast as
 * one (the ceiling then stops them), and the target is one target for all batteries together.
 */
export class SharedDemandResponse {
  constructor(
    private readonly port: DemandResponsePort,
    /** Discharge power a battery can give now, W (≥ 0). */
    private readonly availableW: (name: string) => number,
    /** Every battery sharing the event now. */
    private readonly names: () => readonly string[],
  ) {}

  /** The port one battery's policy uses. */
  portFor(name: string): DemandResponsePort {
    return {
      directive: (nowMs: number): DemandResponseDirective => this.port.directive(nowMs),
      gridImport: (): GridMeasurement | undefined => this.scaled(name),
    };
  }

  /** This battery's share of the loop's output, in [0, 1]. */
  shareOf(name: string): number {
    const names = this.names();
    if (!names.includes(name)) return 0;
    const avail = names.map((n) => Math.max(0, finiteOr0(this.availableW(n))));
    const total = avail.reduce((s, v) => s + v, 0);
    if (total <= 0) return 1 / names.length;
    return (avail[names.indexOf(name)] ?? 0) / total;
  }

  private scaled(name: string): GridMeasurement | undefined {
    const m = this.port.gridImport();
    if (!m || this.names().length <= 1) return m;
    const d = this.port.directive(m.atMs);
    if (d.mode !== 'ongoing') return m;
    const share = this.shareOf(name);
    return { w: d.importSetpointW + share * (m.w - d.importSetpointW), atMs: m.atMs };
  }
}

function finiteOr0(v: number): number {
  return Number.isFinite(v) ? v : 0;
}
