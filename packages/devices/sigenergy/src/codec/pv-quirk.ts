/**
 * Firmware V100R001C21SPC108 reports the plant's PV power (30035) as 0 while the inverters' own
 * PV registers (31035) show the panels producing (TypQxQ/Sigenergy-Local-Modbus issue #86,
 * device-protocols.md §5.2). Left alone, every consumer would believe there is no sun: the plan
 * would buy what the roof is making. The inverters' figure is the truth then, and the quirk is
 * reported (a diagnostic reading, and a log line from the adapter) rather than hidden.
 */

/** Below this, an inverter's PV figure is standby noise, not a contradiction of the plant's 0. */
export const PV_QUIRK_THRESHOLD_W = 50;

export type PvPowerSource = 'plant' | 'inverters';

export interface ResolvedPvPower {
  readonly pvPowerW: number | null;
  readonly source: PvPowerSource;
  /** True when the plant said 0 (or nothing) while the inverters saw PV. */
  readonly plantPvReadsZero: boolean;
  /** Sum of the inverters' PV power, null when none reported it. */
  readonly inverterPvW: number | null;
}

export function resolvePvPower(plantPvW: number | null, inverterPvW: readonly (number | null)[]): ResolvedPvPower {
  const known = inverterPvW.filter((v): v is number => v !== null);
  const inverterSum = known.length === 0 ? null : known.reduce((a, b) => a + Math.max(0, b), 0);
  const plantSaysNothing = plantPvW === null || plantPvW <= 0;
  if (plantSaysNothing && inverterSum !== null && inverterSum >= PV_QUIRK_THRESHOLD_W) {
    return { pvPowerW: inverterSum, source: 'inverters', plantPvReadsZero: true, inverterPvW: inverterSum };
  }
  // PV never runs backwards; a small negative plant figure is the meter's standby draw.
  const pv = plantPvW === null ? inverterSum : Math.max(0, plantPvW);
  return {
    pvPowerW: pv,
    source: plantPvW === null && inverterSum !== null ? 'inverters' : 'plant',
    plantPvReadsZero: false,
    inverterPvW: inverterSum,
  };
}
