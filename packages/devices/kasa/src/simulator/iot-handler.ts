import type { KasaModelProfile } from './plug-model.js';
import type { KasaPlugModel } from './plug-model.js';

/** How a simulator can answer wrongly on purpose (tests of the driver's error paths). */
export type MalformedAnswer = 'json' | 'shape' | 'frame';

const round = (value: number, decimals: number): number => Math.round(value * 10 ** decimals) / 10 ** decimals;

/** The plug's sysinfo in the IOT shape (field names as real HS1xx/KP1xx plugs send them). */
export function iotSysinfo(model: KasaPlugModel, profile: KasaModelProfile): Record<string, unknown> {
  const s = model.state;
  return {
    sw_ver: profile.firmware,
    hw_ver: profile.hardware,
    model: profile.model,
    deviceId: model.deviceId,
    oemId: 'FFF22CFF774A0B89F7624BFC6F50D5DE',
    hwId: '044A516EE63C875F9458DA25C2CCC5A0',
    rssi: s.rssiDbm,
    latitude_i: 0,
    longitude_i: 0,
    alias: model.alias,
    status: 'new',
    type: 'IOT.SMARTPLUGSWITCH',
    mac: model.mac,
    dev_name: profile.meter === null ? 'Smart Wi-Fi Plug' : 'Smart Wi-Fi Plug With Energy Monitoring',
    updating: 0,
    led_off: 0,
    relay_state: s.relayOn ? 1 : 0,
    on_time: s.onTimeS,
    active_mode: 'none',
    icon_hash: '',
    feature: profile.meter === null ? 'TIM' : 'TIM:ENE',
    next_action: { type: -1 },
    err_code: 0,
  };
}

/** emeter.get_realtime in the unit generation of the profile. */
function iotRealtime(model: KasaPlugModel, profile: KasaModelProfile): Record<string, unknown> {
  const s = model.state;
  if (profile.meter === 'units') {
    return {
      current: round(s.currentA, 6),
      voltage: round(s.voltageV, 6),
      power: round(s.powerW, 6),
      total: round(Math.floor(s.energyWh) / 1000, 3),
      err_code: 0,
    };
  }
  return {
    voltage_mv: Math.round(s.voltageV * 1000),
    current_ma: Math.round(s.currentA * 1000),
    power_mw: Math.round(s.powerW * 1000),
    total_wh: Math.floor(s.energyWh),
    err_code: 0,
  };
}

/**
 * Answer one IOT request object module by module, the way plugs do: unknown modules get
 * `{"err_code":-1,"err_msg":"module not support"}`, unknown methods `-2 "member not support"`.
 */
export function handleIotRequest(
  request: unknown,
  model: KasaPlugModel,
  profile: KasaModelProfile,
  malformed: MalformedAnswer | null = null,
): unknown {
  if (typeof request !== 'object' || request === null || Array.isArray(request)) {
    return { err_code: -1, err_msg: 'request is not an object' };
  }
  const answer: Record<string, unknown> = {};
  for (const [module, methods] of Object.entries(request as Record<string, unknown>)) {
    if (module === 'emeter' && profile.meter === null) {
      answer[module] = { err_code: -1, err_msg: 'module not support' };
      continue;
    }
    if (module !== 'system' && module !== 'emeter') {
      answer[module] = { err_code: -1, err_msg: 'module not support' };
      continue;
    }
    const moduleAnswer: Record<string, unknown> = {};
    for (const [method, params] of Object.entries((methods ?? {}) as Record<string, unknown>)) {
      moduleAnswer[method] = handleMethod(module, method, params, model, profile);
    }
    answer[module] = moduleAnswer;
  }
  if (malformed === 'shape') {
    const system = answer['system'] as Record<string, Record<string, unknown>> | undefined;
    if (system?.['get_sysinfo']) system['get_sysinfo']['relay_state'] = 'on';
  }
  return answer;
}

function handleMethod(
  module: string,
  method: string,
  params: unknown,
  model: KasaPlugModel,
  profile: KasaModelProfile,
): unknown {
  if (module === 'system' && method === 'get_sysinfo') return iotSysinfo(model, profile);
  if (module === 'system' && method === 'set_relay_state') {
    const state = (params as { state?: unknown } | null)?.state;
    if (state !== 0 && state !== 1) return { err_code: -3, err_msg: 'invalid argument' };
    model.setRelay(state === 1);
    return { err_code: 0 };
  }
  if (module === 'emeter' && method === 'get_realtime') return iotRealtime(model, profile);
  return { err_code: -2, err_msg: 'member not support' };
}
