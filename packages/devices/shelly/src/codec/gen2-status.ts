import { DecodeError } from '@sps/core';
import { z } from 'zod';
import {
  DEFAULT_DECODE_OPTIONS,
  singlePhaseMeter,
  type DecodeOptions,
  type GridMeter,
  type MeterChannel,
  type ShellyState,
  type SwitchChannel,
} from './state.js';
import { describeIssue } from './zod-issue.js';

/**
 * Decode a Gen2/3/4 `Shelly.GetStatus` result (or a status rebuilt from NotifyStatus deltas).
 * Component keys are `<type>:<id>`; we read `switch:N`, `em:0` + `emdata:0` (three-phase
 * Pro 3EM / 3EM Gen3) and `em1:N` + `em1data:N` (single-phase Pro EM / EM Gen3). Field names
 * and units: device-protocols.md §2.1 and the real fixtures of §2.4 (aioshelly, HA core).
 */
const reading = z.number().finite().nullable().optional();

const switchStatus = z.object({
  id: z.number().int().min(0),
  output: z.boolean(),
  apower: reading,
  voltage: reading,
  current: reading,
  aenergy: z.object({ total: z.number().finite().min(0) }).optional(),
  ret_aenergy: z.object({ total: z.number().finite().min(0) }).optional(),
  temperature: z.object({ tC: reading }).optional(),
});

const emStatus = z.object({
  total_act_power: reading,
  a_act_power: reading,
  b_act_power: reading,
  c_act_power: reading,
  a_voltage: reading,
  b_voltage: reading,
  c_voltage: reading,
  a_current: reading,
  b_current: reading,
  c_current: reading,
});

const emDataStatus = z.object({
  total_act: reading,
  total_act_ret: reading,
  a_total_act_energy: reading,
  b_total_act_energy: reading,
  c_total_act_energy: reading,
  a_total_act_ret_energy: reading,
  b_total_act_ret_energy: reading,
  c_total_act_ret_energy: reading,
});

const em1Status = z.object({ act_power: reading, voltage: reading, current: reading });
const em1DataStatus = z.object({ total_act_energy: reading, total_act_ret_energy: reading });

const COMPONENT_KEY = /^([a-z0-9_]+):(\d{1,3})$/;

export function decodeGen2Status(json: unknown, options: DecodeOptions = DEFAULT_DECODE_OPTIONS): ShellyState {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new DecodeError('Shelly.GetStatus: expected a JSON object');
  }
  const status = json as Record<string, unknown>;
  const switches: SwitchChannel[] = [];
  const em1 = new Map<number, MeterChannel>();
  for (const [key, value] of Object.entries(status)) {
    const m = COMPONENT_KEY.exec(key);
    if (!m) continue;
    const type = m[1] as string;
    const id = Number(m[2]);
    if (type === 'switch') switches.push(decodeSwitch(key, value));
    else if (type === 'em1') em1.set(id, decodeEm1(id, value, status[`em1data:${id}`]));
  }
  switches.sort((a, b) => a.channel - b.channel);
  let meter: GridMeter | null = null;
  if (status['em:0'] !== undefined) meter = decodeEm(status['em:0'], status['emdata:0']);
  else if (em1.size > 0)
    meter = singlePhaseMeter(
      [...em1.entries()].sort(([a], [b]) => a - b).map(([, c]) => c),
      options,
    );
  return { switches, meter };
}

function parse<T extends z.ZodType>(schema: T, value: unknown, field: string): z.output<T> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new DecodeError(`Shelly.GetStatus: ${describeIssue(parsed.error, field)}`);
  return parsed.data;
}

const n = (v: number | null | undefined): number | null => v ?? null;

function decodeSwitch(key: string, value: unknown): SwitchChannel {
  const s = parse(switchStatus, value, key);
  return {
    channel: s.id,
    on: s.output,
    powerW: n(s.apower),
    voltageV: n(s.voltage),
    currentA: n(s.current),
    energyWh: s.aenergy?.total ?? null,
    returnedEnergyWh: s.ret_aenergy?.total ?? null,
    temperatureC: n(s.temperature?.tC),
  };
}

function decodeEm(emValue: unknown, emDataValue: unknown): GridMeter {
  const em = parse(emStatus, emValue, 'em:0');
  const data = emDataValue === undefined ? null : parse(emDataStatus, emDataValue, 'emdata:0');
  const phase = (p: 'a' | 'b' | 'c'): MeterChannel => ({
    name: p,
    powerW: n(em[`${p}_act_power`]),
    voltageV: n(em[`${p}_voltage`]),
    currentA: n(em[`${p}_current`]),
    importWh: n(data?.[`${p}_total_act_energy`]),
    exportWh: n(data?.[`${p}_total_act_ret_energy`]),
  });
  return {
    layout: 'three_phase',
    powerW: n(em.total_act_power),
    // EMData totals are Wh (Shelly EMData docs; evcc PR #7335 fixed a kWh mix-up there).
    importWh: n(data?.total_act),
    exportWh: n(data?.total_act_ret),
    channels: [phase('a'), phase('b'), phase('c')],
  };
}

function decodeEm1(id: number, emValue: unknown, dataValue: unknown): MeterChannel {
  const em = parse(em1Status, emValue, `em1:${id}`);
  const data = dataValue === undefined ? null : parse(em1DataStatus, dataValue, `em1data:${id}`);
  return {
    name: String(id),
    powerW: n(em.act_power),
    voltageV: n(em.voltage),
    currentA: n(em.current),
    importWh: n(data?.total_act_energy),
    exportWh: n(data?.total_act_ret_energy),
  };
}

type Json = Record<string, unknown>;

const isPlainObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Overlay a NotifyStatus delta on the last known status: NotifyStatus carries only the fields
 * that changed (device-protocols.md §2.1), nested objects such as `aenergy` included.
 * Returns a new object; neither input is modified.
 */
export function mergeStatus(base: Readonly<Json>, delta: Readonly<Json>): Json {
  const out: Json = { ...base };
  for (const [key, value] of Object.entries(delta)) {
    // `ts` is the notification's timestamp, not a component.
    if (key === 'ts' && !isPlainObject(value)) continue;
    const current = out[key];
    out[key] = isPlainObject(current) && isPlainObject(value) ? mergeStatus(current, value) : value;
  }
  return out;
}
