import { DecodeError } from '@sps/core';
import { z } from 'zod';
import { parseJsonText, parseWith } from './json.js';
import { tidy, type MeterReading, type PlugIdentity, type PlugSnapshot } from './snapshot.js';

/**
 * The IOT JSON dialect of Kasa plugs (legacy XOR transport, and KLAP v1 on newer Kasa firmware):
 * `{"<module>":{"<method>":{params}}}`, answered in the same shape with `err_code` per method
 * (or per module: `{"emeter":{"err_code":-1,"err_msg":"module not support"}}` on plugs without a
 * meter). Facts: device-protocols.md §3.1; field names as in python-kasa's iot fixtures.
 */

/** One round trip: modules can be combined in one IOT request. */
export const IOT_POLL_REQUEST = { system: { get_sysinfo: {} }, emeter: { get_realtime: {} } } as const;
export const IOT_SYSINFO_REQUEST = { system: { get_sysinfo: {} } } as const;

export function iotSetRelayRequest(on: boolean): { system: { set_relay_state: { state: 0 | 1 } } } {
  return { system: { set_relay_state: { state: on ? 1 : 0 } } };
}

const errCode = z.number().int();

const sysinfoSchema = z.looseObject({
  err_code: errCode.optional(),
  model: z.string().min(1),
  alias: z.string().optional(),
  sw_ver: z.string().optional(),
  hw_ver: z.string().optional(),
  deviceId: z.string().optional(),
  mac: z.string().optional(),
  mic_mac: z.string().optional(),
  relay_state: z.union([z.literal(0), z.literal(1)]),
  on_time: z.number().nonnegative().optional(),
  rssi: z.number().optional(),
  feature: z.string().optional(),
  children: z.array(z.unknown()).optional(),
});

/** Hardware v2+ (and KP115/KP125/HS300): integers in mW, mV, mA, Wh. */
const realtimeMilli = z.looseObject({
  power_mw: z.number(),
  voltage_mv: z.number().optional(),
  current_ma: z.number().optional(),
  total_wh: z.number().optional(),
});

/** HS110 hardware v1: floats in W, V, A, kWh. */
const realtimeUnits = z.looseObject({
  power: z.number(),
  voltage: z.number().optional(),
  current: z.number().optional(),
  total: z.number().optional(),
});

const methodError = z.looseObject({ err_code: errCode, err_msg: z.string().optional() });

export interface IotError {
  readonly code: number;
  readonly message: string;
}

function errorOf(value: unknown): IotError | null {
  const parsed = methodError.safeParse(value);
  if (!parsed.success || parsed.data.err_code === 0) return null;
  return { code: parsed.data.err_code, message: parsed.data.err_msg ?? 'no message' };
}

/** The answer to one method: its body, or the error the device gave (module- or method-level). */
export type IotMethodResult =
  { readonly ok: true; readonly body: unknown } | { readonly ok: false; readonly error: IotError };

/** Pull `<module>.<method>` out of an IOT answer. A missing module or method is a DecodeError. */
export function iotMethodResult(response: unknown, module: string, method: string): IotMethodResult {
  if (typeof response !== 'object' || response === null || Array.isArray(response)) {
    throw new DecodeError('IOT answer is not a JSON object');
  }
  const moduleBody = (response as Record<string, unknown>)[module];
  if (typeof moduleBody !== 'object' || moduleBody === null || Array.isArray(moduleBody)) {
    throw new DecodeError(`IOT answer has no "${module}" module`);
  }
  const methodBody = (moduleBody as Record<string, unknown>)[method];
  if (methodBody === undefined) {
    const moduleError = errorOf(moduleBody);
    if (moduleError) return { ok: false, error: moduleError };
    throw new DecodeError(`IOT answer has no "${module}.${method}"`);
  }
  const error = errorOf(methodBody);
  return error ? { ok: false, error } : { ok: true, body: methodBody };
}

export function parseIotResponse(text: string): unknown {
  return parseJsonText(text, 'IOT answer');
}

export function decodeIotSysinfo(body: unknown): Omit<PlugSnapshot, 'meter'> {
  const s = parseWith(sysinfoSchema, body, 'system.get_sysinfo');
  const mac = s.mac ?? s.mic_mac ?? null;
  const identity: PlugIdentity = {
    dialect: 'iot',
    model: s.model,
    serial: s.deviceId ?? mac ?? s.model,
    mac,
    firmware: s.sw_ver ?? null,
    hardware: s.hw_ver ?? null,
    alias: s.alias ?? null,
    hasMeterFeature: (s.feature ?? '').split(':').includes('ENE'),
  };
  return { identity, relayOn: s.relay_state === 1, onTimeS: s.on_time ?? null, rssiDbm: s.rssi ?? null };
}

/** Outlets of a power strip (HS300/KP303/KP400 list them as `children`); 0 for a single plug. */
export function iotChildCount(body: unknown): number {
  const children = (body as { children?: unknown } | null)?.children;
  return Array.isArray(children) ? children.length : 0;
}

/** Both emeter generations normalised to W, V, A, Wh. */
export function decodeIotRealtime(body: unknown): MeterReading {
  const milli = realtimeMilli.safeParse(body);
  if (milli.success) {
    const m = milli.data;
    return {
      powerW: tidy(m.power_mw / 1000),
      voltageV: m.voltage_mv === undefined ? null : tidy(m.voltage_mv / 1000),
      currentA: m.current_ma === undefined ? null : tidy(m.current_ma / 1000),
      energyWh: m.total_wh === undefined ? null : tidy(m.total_wh),
      energyTodayWh: null,
      energyMonthWh: null,
    };
  }
  const units = realtimeUnits.safeParse(body);
  if (units.success) {
    const u = units.data;
    return {
      powerW: tidy(u.power),
      voltageV: u.voltage === undefined ? null : tidy(u.voltage),
      currentA: u.current === undefined ? null : tidy(u.current),
      energyWh: u.total === undefined ? null : tidy(u.total * 1000),
      energyTodayWh: null,
      energyMonthWh: null,
    };
  }
  throw new DecodeError('emeter.get_realtime: neither power_mw (hardware v2+) nor power (HS110 v1) is a number');
}

/** A plug refused the method; `rejected` unless the module does not exist on this model. */
export function isModuleUnsupported(error: IotError): boolean {
  return error.code === -1 || error.code === -2 || /not support/i.test(error.message);
}
