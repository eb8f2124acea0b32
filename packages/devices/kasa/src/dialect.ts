import { randomUUID } from 'node:crypto';
import { DeviceError, type Clock } from '@sps/core';
import {
  decodeIotRealtime,
  decodeIotSysinfo,
  IOT_POLL_REQUEST,
  IOT_SYSINFO_REQUEST,
  iotChildCount,
  iotMethodResult,
  iotSetRelayRequest,
  isModuleUnsupported,
  parseIotResponse,
} from './codec/iot.js';
import {
  decodeSmartDeviceInfo,
  decodeSmartEnergy,
  decodeSmartResponse,
  SMART_METHOD_NOT_SUPPORTED,
  smartRequest,
} from './codec/smart.js';
import type { KasaDialect, MeterReading, PlugSnapshot } from './codec/snapshot.js';
import type { KasaTransport } from './transport/transport.js';

/** What the adapter needs from a plug, whatever JSON dialect it speaks. */
export interface PlugDialect {
  readonly name: KasaDialect;
  poll(): Promise<PlugSnapshot>;
  setRelay(on: boolean): Promise<void>;
}

export function createDialect(name: KasaDialect, transport: KasaTransport, clock: Clock): PlugDialect {
  return name === 'iot' ? new IotDialect(transport) : new SmartDialect(transport, clock);
}

/** Kasa IOT JSON: sysinfo and the meter in one request. */
export class IotDialect implements PlugDialect {
  readonly name = 'iot' as const;
  /** Plugs without a meter answer "module not support"; stop asking after the first time. */
  private meterMissing = false;

  constructor(private readonly transport: KasaTransport) {}

  async poll(): Promise<PlugSnapshot> {
    const request = this.meterMissing ? IOT_SYSINFO_REQUEST : IOT_POLL_REQUEST;
    const response = parseIotResponse(await this.transport.request(JSON.stringify(request)));
    const sysinfo = iotMethodResult(response, 'system', 'get_sysinfo');
    if (!sysinfo.ok) throw refusal('system.get_sysinfo', sysinfo.error.code, sysinfo.error.message);
    const state = decodeIotSysinfo(sysinfo.body);
    const outlets = iotChildCount(sysinfo.body);
    if (outlets > 0) {
      // Strips need child_ids contexts per outlet; switching without one would switch every outlet at once.
      throw new DeviceError(
        'unsupported',
        `${state.identity.model} is a power strip with ${outlets} outlets; only single plugs are supported`,
      );
    }
    let meter: MeterReading | null = null;
    if (!this.meterMissing) {
      const realtime = iotMethodResult(response, 'emeter', 'get_realtime');
      if (realtime.ok) meter = decodeIotRealtime(realtime.body);
      else if (isModuleUnsupported(realtime.error)) this.meterMissing = true;
      else throw refusal('emeter.get_realtime', realtime.error.code, realtime.error.message);
    }
    return { ...state, meter };
  }

  async setRelay(on: boolean): Promise<void> {
    const response = parseIotResponse(await this.transport.request(JSON.stringify(iotSetRelayRequest(on))));
    const result = iotMethodResult(response, 'system', 'set_relay_state');
    if (!result.ok) throw refusal('system.set_relay_state', result.error.code, result.error.message);
  }
}

/** Tapo / new Kasa SMART JSON: one method per request. */
export class SmartDialect implements PlugDialect {
  readonly name = 'smart' as const;
  private energyMissing = false;
  private emeterDataMissing = false;
  private readonly terminalUuid = Buffer.from(randomUUID().replaceAll('-', ''), 'hex').toString('base64');

  constructor(
    private readonly transport: KasaTransport,
    private readonly clock: Clock,
  ) {}

  async poll(): Promise<PlugSnapshot> {
    const info = await this.call('get_device_info');
    if (!info.ok) throw refusal('get_device_info', info.code, info.message);
    let meter: MeterReading | null = null;
    if (!this.energyMissing) {
      const usage = await this.call('get_energy_usage');
      if (usage.ok) {
        let emeter: unknown = null;
        if (!this.emeterDataMissing) {
          const data = await this.call('get_emeter_data');
          // Only some models (KP125M, P110M v2, EP25 v2) have it; voltage and current come from here.
          if (data.ok) emeter = data.result;
          else this.emeterDataMissing = true;
        }
        meter = decodeSmartEnergy(usage.result, emeter);
      } else if (usage.code === SMART_METHOD_NOT_SUPPORTED) this.energyMissing = true;
      else throw refusal('get_energy_usage', usage.code, usage.message);
    }
    const state = decodeSmartDeviceInfo(info.result, meter !== null);
    return { ...state, meter };
  }

  async setRelay(on: boolean): Promise<void> {
    const result = await this.call('set_device_info', { device_on: on });
    if (!result.ok) throw refusal('set_device_info', result.code, result.message);
  }

  private async call(method: string, params?: Record<string, unknown>) {
    const request = smartRequest(method, this.clock.now(), this.terminalUuid, params);
    return decodeSmartResponse(await this.transport.request(JSON.stringify(request)));
  }
}

function refusal(method: string, code: number, message: string): DeviceError {
  return new DeviceError('rejected', `${method} answered error ${code} (${message})`);
}
