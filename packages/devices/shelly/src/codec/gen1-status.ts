import { DecodeError } from '@sps/core';
import { z } from 'zod';
import {
  DEFAULT_DECODE_OPTIONS,
  singlePhaseMeter,
  sumKnown,
  type DecodeOptions,
  type GridMeter,
  type MeterChannel,
  type ShellyState,
  type SwitchChannel,
} from './state.js';
import { describeIssue } from './zod-issue.js';

/**
 * Decode a Gen1 `GET /status` (device-protocols.md §2.2; real fixture: aioshelly
 * `gen1_Shelly Plug S_SHPLG-S`). Relays pair with `meters[i]` by index; a meter's `total` is
 * in watt-minutes (÷ 60 → Wh). EM/3EM report `emeters[]` whose totals are already Wh.
 */
const reading = z.number().finite().nullable().optional();

const relay = z.object({ ison: z.boolean() });
const meter = z.object({ power: reading, is_valid: z.boolean().optional(), total: reading });
const emeter = z.object({
  power: reading,
  voltage: reading,
  current: reading,
  is_valid: z.boolean().optional(),
  total: reading,
  total_returned: reading,
});

const gen1Status = z.object({
  relays: z.array(relay).max(16).optional(),
  meters: z.array(meter).max(16).optional(),
  emeters: z.array(emeter).max(16).optional(),
  /** Shelly 2.5 reports the mains voltage once for the device. */
  voltage: reading,
  temperature: reading,
  tmp: z.object({ tC: reading }).optional(),
});

/** Gen1 3EM (`SHEM-3`) is three-phase; the Gen1 EM (`SHEM`) has two single-phase CT channels. */
export function isThreePhaseGen1(model: string): boolean {
  return /^SHEM-3/i.test(model);
}

const WATT_MINUTES_PER_WH = 60;

export function decodeGen1Status(
  json: unknown,
  model: string,
  options: DecodeOptions = DEFAULT_DECODE_OPTIONS,
): ShellyState {
  const parsed = gen1Status.safeParse(json);
  if (!parsed.success) throw new DecodeError(`/status: ${describeIssue(parsed.error)}`);
  const s = parsed.data;
  const temperature = s.tmp?.tC ?? s.temperature ?? null;
  const switches: SwitchChannel[] = (s.relays ?? []).map((r, i) => {
    const m = s.meters?.[i];
    const valid = m !== undefined && m.is_valid !== false;
    const power = valid ? (m.power ?? null) : null;
    const voltage = s.voltage ?? null;
    return {
      channel: i,
      on: r.ison,
      powerW: power,
      voltageV: voltage,
      // Gen1 relays do not report current; derive it when both factors are known.
      currentA: power !== null && voltage !== null && voltage > 0 ? round(power / voltage, 3) : null,
      energyWh: valid && m.total !== null && m.total !== undefined ? round(m.total / WATT_MINUTES_PER_WH, 3) : null,
      returnedEnergyWh: null,
      temperatureC: temperature,
    };
  });
  return { switches, meter: decodeEmeters(s.emeters, model, options) };
}

function decodeEmeters(
  emeters: z.output<typeof emeter>[] | undefined,
  model: string,
  options: DecodeOptions,
): GridMeter | null {
  if (emeters === undefined || emeters.length === 0) return null;
  const threePhase = isThreePhaseGen1(model);
  const channels: MeterChannel[] = emeters.map((e, i) => {
    const valid = e.is_valid !== false;
    const v = (x: number | null | undefined): number | null => (valid ? (x ?? null) : null);
    return {
      name: threePhase ? (['a', 'b', 'c'][i] ?? String(i)) : String(i),
      powerW: v(e.power),
      voltageV: v(e.voltage),
      currentA: v(e.current),
      importWh: v(e.total),
      exportWh: v(e.total_returned),
    };
  });
  if (!threePhase) return singlePhaseMeter(channels, options);
  return {
    layout: 'three_phase',
    powerW: sumKnown(channels.map((c) => c.powerW)),
    importWh: sumKnown(channels.map((c) => c.importWh)),
    exportWh: sumKnown(channels.map((c) => c.exportWh)),
    channels,
  };
}

function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
