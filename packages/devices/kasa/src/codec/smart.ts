import { DecodeError } from '@sps/core';
import { z } from 'zod';
import { parseJsonText, parseWith } from './json.js';
import { tidy, type MeterReading, type PlugIdentity, type PlugSnapshot } from './snapshot.js';

/**
 * The SMART JSON dialect of Tapo and newer Kasa plugs (spoken inside KLAP v2):
 * request `{"method","params","request_time_milis","terminal_uuid"}`, answer
 * `{"error_code":0,"result":{…}}`. Energy: `get_energy_usage` (current_power in **mW**,
 * today/month_energy in Wh) and, on some models, `get_emeter_data` (power_mw, voltage_mv,
 * current_ma, energy_wh). Facts: device-protocols.md §3.1; shapes as in python-kasa's smart fixtures.
 */
export interface SmartRequest {
  readonly method: string;
  readonly params?: Readonly<Record<string, unknown>>;
  readonly request_time_milis: number;
  readonly terminal_uuid: string;
}

export function smartRequest(
  method: string,
  nowMs: number,
  terminalUuid: string,
  params?: Record<string, unknown>,
): SmartRequest {
  return {
    method,
    ...(params === undefined ? {} : { params }),
    request_time_milis: nowMs,
    terminal_uuid: terminalUuid,
  };
}

const envelope = z.looseObject({
  error_code: z.number().int(),
  result: z.unknown().optional(),
  msg: z.string().optional(),
});

export type SmartResult =
  | { readonly ok: true; readonly result: unknown }
  | { readonly ok: false; readonly code: number; readonly message: string };

/** Known SMART error codes, for messages people can act on. */
const SMART_ERRORS: Readonly<Record<number, string>> = {
  [-1002]: 'method not supported',
  [-1008]: 'parameter value out of range',
  [-1010]: 'invalid public key length',
  [-1501]: 'invalid credentials',
  [-40401]: 'session timed out',
  [9999]: 'session timed out',
};

export function decodeSmartResponse(text: string): SmartResult {
  const e = parseWith(envelope, parseJsonText(text, 'SMART answer'), 'SMART answer');
  if (e.error_code !== 0) {
    return { ok: false, code: e.error_code, message: e.msg ?? SMART_ERRORS[e.error_code] ?? 'device error' };
  }
  return { ok: true, result: e.result ?? {} };
}

const deviceInfoSchema = z.looseObject({
  device_on: z.boolean(),
  model: z.string().min(1),
  device_id: z.string().optional(),
  mac: z.string().optional(),
  fw_ver: z.string().optional(),
  hw_ver: z.string().optional(),
  nickname: z.string().optional(),
  on_time: z.number().nonnegative().optional(),
  rssi: z.number().optional(),
});

/** Tapo sends the nickname base64-encoded. */
function decodeNickname(value: string | undefined): string | null {
  if (value === undefined || value === '') return null;
  const text = Buffer.from(value, 'base64').toString('utf8');
  return text === '' ? value : text;
}

export function decodeSmartDeviceInfo(result: unknown, hasMeterFeature: boolean): Omit<PlugSnapshot, 'meter'> {
  const d = parseWith(deviceInfoSchema, result, 'get_device_info');
  const identity: PlugIdentity = {
    dialect: 'smart',
    model: d.model,
    serial: d.device_id ?? d.mac ?? d.model,
    mac: d.mac ?? null,
    firmware: d.fw_ver ?? null,
    hardware: d.hw_ver ?? null,
    alias: decodeNickname(d.nickname),
    hasMeterFeature,
  };
  return { identity, relayOn: d.device_on, onTimeS: d.on_time ?? null, rssiDbm: d.rssi ?? null };
}

const energyUsageSchema = z.looseObject({
  current_power: z.number().nonnegative(),
  today_energy: z.number().nonnegative().optional(),
  month_energy: z.number().nonnegative().optional(),
});

const emeterDataSchema = z.looseObject({
  power_mw: z.number().optional(),
  voltage_mv: z.number().optional(),
  current_ma: z.number().optional(),
  energy_wh: z.number().optional(),
});

/**
 * `get_energy_usage` gives power (mW) and the daily/monthly counters; `get_emeter_data`, where the
 * model has it, adds voltage and current. Its power wins when both are present (same instant).
 */
export function decodeSmartEnergy(usage: unknown, emeter: unknown | null): MeterReading {
  const u = parseWith(energyUsageSchema, usage, 'get_energy_usage');
  const e = emeter === null ? null : parseWith(emeterDataSchema, emeter, 'get_emeter_data');
  const powerMw = e?.power_mw ?? u.current_power;
  if (!Number.isFinite(powerMw)) throw new DecodeError('get_energy_usage.current_power: not a finite number');
  return {
    powerW: tidy(powerMw / 1000),
    voltageV: e?.voltage_mv === undefined ? null : tidy(e.voltage_mv / 1000),
    currentA: e?.current_ma === undefined ? null : tidy(e.current_ma / 1000),
    energyWh: null,
    energyTodayWh: u.today_energy ?? null,
    energyMonthWh: u.month_energy ?? null,
  };
}

export const SMART_METHOD_NOT_SUPPORTED = -1002;
