import type { MalformedAnswer } from './iot-handler.js';
import type { KasaModelProfile, KasaPlugModel } from './plug-model.js';

/** The SMART dialect's answers (shapes as Tapo P110 / KP125M send them). */
export function handleSmartRequest(
  request: unknown,
  model: KasaPlugModel,
  profile: KasaModelProfile,
  malformed: MalformedAnswer | null = null,
): unknown {
  const r = request as { method?: unknown; params?: unknown } | null;
  if (typeof r !== 'object' || r === null || typeof r.method !== 'string') return { error_code: -1003 };
  const s = model.state;
  switch (r.method) {
    case 'get_device_info':
      return {
        error_code: 0,
        result: {
          device_id: model.deviceId,
          fw_ver: profile.firmware,
          hw_ver: profile.hardware,
          type: 'SMART.TAPOPLUG',
          model: profile.model,
          mac: model.mac.replaceAll(':', '-'),
          nickname: Buffer.from(model.alias, 'utf8').toString('base64'),
          avatar: 'plug',
          // The driver must refuse a non-boolean here: this is what the "shape" fault breaks.
          device_on: malformed === 'shape' ? 1 : s.relayOn,
          on_time: s.onTimeS,
          overheated: false,
          power_protection_status: 'normal',
          rssi: s.rssiDbm,
          signal_level: 3,
          region: 'Australia/Sydney',
          time_diff: 600,
        },
      };
    case 'set_device_info': {
      const on = (r.params as { device_on?: unknown } | null)?.device_on;
      if (typeof on !== 'boolean') return { error_code: -1008 };
      model.setRelay(on);
      return { error_code: 0 };
    }
    case 'get_energy_usage':
      if (profile.meter === null) return { error_code: -1002 };
      return {
        error_code: 0,
        result: {
          today_runtime: 306,
          month_runtime: 12_572,
          today_energy: Math.floor(s.todayWh),
          month_energy: Math.floor(s.monthWh),
          local_time: new Date(model.now()).toISOString().slice(0, 19).replace('T', ' '),
          electricity_charge: [0, 0, 0],
          current_power: Math.round(s.powerW * 1000),
        },
      };
    case 'get_emeter_data':
      if (profile.meter === null || profile.emeterData !== true) return { error_code: -1002 };
      return {
        error_code: 0,
        result: {
          power_mw: Math.round(s.powerW * 1000),
          voltage_mv: Math.round(s.voltageV * 1000),
          current_ma: Math.round(s.currentA * 1000),
          energy_wh: Math.floor(s.energyWh),
        },
      };
    case 'get_current_power':
      if (profile.meter === null) return { error_code: -1002 };
      return { error_code: 0, result: { current_power: Math.round(s.powerW) } };
    default:
      return { error_code: -1002 };
  }
}
