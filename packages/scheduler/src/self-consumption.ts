import { emptyDispatch, type Dispatch } from './dispatch.js';
import { dischargeCapKw, privatePvKw, type BatteryParams, type PlanningProblem } from './problem.js';

/** EV charging as a plain charger does it: as soon as it is plugged in, until the energy is delivered. */
export function plugInEvCharging(p: PlanningProblem, d: Dispatch): void {
  if (!p.ev) return;
  const ev = p.ev;
  let remaining = ev.energyNeededKwh;
  for (let t = 0; t < ev.deadlineIndex && remaining > 1e-9; t++) {
    const max = ev.maxKw[t] ?? 0;
    if (max <= 0 || max < ev.minKw) continue;
    const kw = Math.min(max, Math.max(ev.minKw, remaining / (ev.chargeEfficiency * p.hours)));
    d.evKw[t] = kw;
    remaining -= kw * ev.chargeEfficiency * p.hours;
  }
}

/** Deferrable loads as a timer would run them: from the start of their window. */
export function earliestDeferrables(p: PlanningProblem, d: Dispatch): void {
  // Off-grid a timer would run them on the battery whatever the sun does: the baseline leaves them off.
  if (p.offGrid) return;
  p.deferrables.forEach((def, k) => {
    for (let t = def.startIndex; t < Math.min(def.endIndex, def.startIndex + def.runIntervals); t++) {
      d.deferrableKw[k]![t] = def.powerKw;
    }
  });
}

/**
 * Fills battery and grid flows for interval t given the loads already in `d`: the batteries first
 * follow `batteryTargetKw` (positive = discharge; null = self-consumption: cover the house's
 * deficit, store its surplus), within power and energy limits; the grid takes the rest; surplus
 * beyond the export cap is curtailed. `stored` (kWh per battery) is advanced in place.
 */
export function settleInterval(
  p: PlanningProblem,
  d: Dispatch,
  t: number,
  stored: number[],
  batteryTargetKw: number | null,
): void {
  const h = p.hours;
  let houseNet = (p.loadKw[t] ?? 0) + d.evKw[t]! - (p.solarKw[t] ?? 0);
  for (const row of d.deferrableKw) houseNet += row[t]!;
  // Self-consumption moves the battery by the house's net; a target moves it by the target.
  let want = batteryTargetKw ?? houseNet;
  if (!p.allowGridCharging) want = Math.max(want, Math.min(0, houseNet));
  if (!p.allowBatteryExport) want = Math.min(want, Math.max(0, houseNet));
  let batteryNet = 0;
  p.batteries.forEach((b, k) => {
    if (b.station) {
      const kw = settleStation(p, d, t, stored, k, b, batteryTargetKw === null ? 0 : want);
      want -= kw;
      batteryNet += kw;
      return;
    }
    const e = stored[k]!;
    if (want > 1e-12) {
      const kw = Math.max(0, Math.min(b.maxDischargeKw, ((e - b.minKwh) * b.dischargeEfficiency) / h, want));
      d.dischargeKw[k]![t] = kw;
      stored[k] = e - (kw / b.dischargeEfficiency) * h;
      want -= kw;
      batteryNet += kw;
    } else if (want < -1e-12) {
      const kw = Math.max(0, Math.min(b.maxChargeKw, (b.maxKwh - e) / (b.chargeEfficiency * h), -want));
      d.chargeKw[k]![t] = kw;
      stored[k] = e + kw * b.chargeEfficiency * h;
      want += kw;
      batteryNet -= kw;
    }
  });
  const gridNet = houseNet - batteryNet;
  if (gridNet >= 0) {
    // Off-grid there is nobody to import from: the house goes dark for the share the battery cannot carry.
    if (p.offGrid) d.unservedKw[t] = gridNet;
    else d.gridImportKw[t] = gridNet;
  } else {
    const surplus = -gridNet;
    const exportKw = p.maxExportKw === null ? surplus : Math.min(surplus, p.maxExportKw);
    d.gridExportKw[t] = exportKw;
    d.curtailKw[t] = p.allowCurtailment ? Math.min(p.solarKw[t] ?? 0, surplus - exportKw) : 0;
    // Anything left is surplus the contract cannot place; firstLimitViolation reports it.
    d.gridExportKw[t] = surplus - d.curtailKw[t]!;
  }
}

/**
 * The power station in interval t: it always takes its own PV (P4) while it has room; with a target
 * it discharges into the P2 load or grid-charges through P1 (all or nothing when P1 is on/off). In
 * normal mode (`want` 0: the baseline) P1 and P3 are off, so it neither charges from the grid nor
 * carries the loads. Returns the station's net power on the house bus (+ discharge).
 */
function settleStation(
  p: PlanningProblem,
  d: Dispatch,
  t: number,
  stored: number[],
  k: number,
  b: BatteryParams,
  want: number,
): number {
  const h = p.hours;
  let e = stored[k]!;
  const pv = Math.max(0, Math.min(privatePvKw(b, t), (b.maxKwh - e) / (b.chargeEfficiency * h)));
  d.stationPvKw[k]![t] = pv;
  e += pv * b.chargeEfficiency * h;
  let net = 0;
  if (want > 1e-12) {
    const kw = Math.max(0, Math.min(dischargeCapKw(b, t), ((e - b.minKwh) * b.dischargeEfficiency) / h, want));
    d.dischargeKw[k]![t] = kw;
    e -= (kw / b.dischargeEfficiency) * h;
    net = kw;
  } else if (want < -1e-12) {
    const room = Math.max(0, (b.maxKwh - e) / (b.chargeEfficiency * h));
    let kw = Math.min(b.maxChargeKw, room, -want);
    // P1 is a relay: the station charges at its fixed power or not at all.
    if (b.station?.gridChargeMode === 'on_off') kw = kw < b.maxChargeKw - 1e-9 ? 0 : b.maxChargeKw;
    d.chargeKw[k]![t] = kw;
    e += kw * b.chargeEfficiency * h;
    net = -kw;
  }
  stored[k] = e;
  return net;
}

/**
 * The baseline: the battery in its own self-consumption mode on the same forecasts (no grid
 * charging, no battery export), the EV charged on plug-in and deferrable loads at window start.
 */
export function selfConsumptionDispatch(p: PlanningProblem): Dispatch {
  const d = emptyDispatch(p);
  plugInEvCharging(p, d);
  earliestDeferrables(p, d);
  const stored = p.batteries.map((b) => b.initialKwh);
  for (let t = 0; t < p.n; t++) settleInterval(p, d, t, stored, null);
  return d;
}
