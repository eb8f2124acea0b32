import type { ShellyPhysicalState } from './physics.js';
import type { ShellyProfile } from './profiles.js';

/**
 * The simulated device's answers, in the shapes real devices send (field names, nesting and
 * rounding as in the real fixtures listed in device-protocols.md §2.4). Facts only; the values
 * come from the physics.
 */
type Json = Record<string, unknown>;

const r = (value: number, digits: number): number => {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
};

export interface SimIdentity {
  readonly profile: ShellyProfile;
  /** 12 upper-case hex digits. */
  readonly mac: string;
  readonly name: string;
  readonly authEnabled: boolean;
}

export function deviceId(identity: SimIdentity): string {
  return `${identity.profile.idPrefix}-${identity.mac.toLowerCase()}`;
}

const GEN2_FW = {
  2: '20231219-134003/1.1.0-g34b5d4f',
  3: '20250319-103311/1.6.1-g8f3a2e4',
  4: '20250214-121701/1.5.99-g4prod1-gc32c24b',
};
const GEN2_VER = { 2: '1.1.0', 3: '1.6.1', 4: '1.5.99-g4prod1' };
const GEN1_FW = '20230913-113421/v1.14.0-gcb84623';

/** `GET /shelly` / `Shelly.GetDeviceInfo`. */
export function renderDeviceInfo(identity: SimIdentity): Json {
  const { profile } = identity;
  if (profile.generation === 1) {
    return {
      type: profile.model,
      mac: identity.mac,
      auth: identity.authEnabled,
      fw: GEN1_FW,
      discoverable: true,
      num_outputs: profile.relays,
      ...(profile.meter === null
        ? { num_meters: profile.metered ? profile.relays : 0 }
        : { num_emeters: profile.meterChannels }),
    };
  }
  const gen = profile.generation as 2 | 3 | 4;
  return {
    name: identity.name,
    id: deviceId(identity),
    mac: identity.mac,
    slot: 0,
    model: profile.model,
    gen,
    fw_id: GEN2_FW[gen],
    ver: GEN2_VER[gen],
    app: profile.app,
    auth_en: identity.authEnabled,
    auth_domain: identity.authEnabled ? deviceId(identity) : null,
    ...(profile.meter === 'three_phase' ? { profile: 'triphase' } : {}),
  };
}

/** One `switch:N` component status. */
export function renderSwitch(
  profile: ShellyProfile,
  s: ShellyPhysicalState,
  channel: number,
  unixSeconds: number,
): Json {
  const relay = s.relays[channel];
  if (relay === undefined) throw new RangeError(`no relay ${channel}`);
  const base: Json = { id: channel, source: relay.source, output: relay.on };
  const temperature = { tC: r(relay.temperatureC, 1), tF: r((relay.temperatureC * 9) / 5 + 32, 1) };
  if (!profile.metered) return { ...base, temperature };
  const minuteTs = unixSeconds - (unixSeconds % 60);
  return {
    ...base,
    apower: r(relay.powerW, 1),
    voltage: r(relay.voltageV, 1),
    ...(profile.generation >= 3 ? { freq: r(s.frequencyHz, 1) } : {}),
    current: r(relay.currentA, 3),
    ...(profile.generation >= 3 ? { pf: relay.powerW === 0 ? 0 : 0.98 } : {}),
    // by_minute is in mWh (device-protocols.md §2.1), total in Wh.
    aenergy: { total: r(relay.energyWh, 3), by_minute: [0, 0, 0], minute_ts: minuteTs },
    ...(profile.generation >= 3
      ? { ret_aenergy: { total: r(relay.returnedEnergyWh, 3), by_minute: [0, 0, 0], minute_ts: minuteTs } }
      : {}),
    temperature,
  };
}

/** `em:0` and `emdata:0` (three-phase), or `em1:N` and `em1data:N` (single-phase). */
export function renderMeter(profile: ShellyProfile, s: ShellyPhysicalState): Json {
  if (s.meter === null) return {};
  if (profile.meter === 'three_phase') {
    const em: Json = { id: 0 };
    const data: Json = { id: 0 };
    let total = 0;
    let totalAprt = 0;
    let totalCurrent = 0;
    s.meter.forEach((c, i) => {
      const p = ['a', 'b', 'c'][i] as string;
      const aprt = Math.abs(c.powerW) / c.pf;
      em[`${p}_current`] = r(c.currentA, 3);
      em[`${p}_voltage`] = r(c.voltageV, 1);
      em[`${p}_act_power`] = r(c.powerW, 1);
      em[`${p}_aprt_power`] = r(aprt, 1);
      em[`${p}_pf`] = c.pf;
      em[`${p}_freq`] = r(s.frequencyHz, 1);
      data[`${p}_total_act_energy`] = r(c.importWh, 2);
      data[`${p}_total_act_ret_energy`] = r(c.exportWh, 2);
      total += c.powerW;
      totalAprt += aprt;
      totalCurrent += c.currentA;
    });
    Object.assign(em, {
      n_current: null,
      total_current: r(totalCurrent, 3),
      total_act_power: r(total, 3),
      total_aprt_power: r(totalAprt, 3),
      user_calibrated_phase: [],
    });
    data.total_act = r(
      s.meter.reduce((a, c) => a + r(c.importWh, 2), 0),
      2,
    );
    data.total_act_ret = r(
      s.meter.reduce((a, c) => a + r(c.exportWh, 2), 0),
      2,
    );
    return { 'em:0': em, 'emdata:0': data };
  }
  const out: Json = {};
  s.meter.forEach((c, id) => {
    out[`em1:${id}`] = {
      id,
      current: r(c.currentA, 3),
      voltage: r(c.voltageV, 1),
      act_power: r(c.powerW, 1),
      aprt_power: r(Math.abs(c.powerW) / c.pf, 1),
      pf: c.pf,
      freq: r(s.frequencyHz, 1),
      calibration: 'factory',
    };
    out[`em1data:${id}`] = { id, total_act_energy: r(c.importWh, 2), total_act_ret_energy: r(c.exportWh, 2) };
  });
  return out;
}

/** `Shelly.GetStatus`: every component plus the system ones real devices always report. */
export function renderGen2Status(identity: SimIdentity, s: ShellyPhysicalState, unixSeconds: number): Json {
  const { profile } = identity;
  const status: Json = { ble: {}, cloud: { connected: false }, mqtt: { connected: false } };
  s.relays.forEach((_, i) => (status[`switch:${i}`] = renderSwitch(profile, s, i, unixSeconds)));
  Object.assign(status, renderMeter(profile, s));
  status.sys = {
    mac: identity.mac,
    restart_required: false,
    unixtime: unixSeconds,
    uptime: 4242,
    ram_size: 246084,
    ram_free: 141748,
    fs_size: 458752,
    fs_free: 139264,
    cfg_rev: 25,
    kvs_rev: 0,
    schedule_rev: 0,
    webhook_rev: 0,
    available_updates: {},
  };
  status.wifi = { sta_ip: '127.0.0.1', status: 'got ip', ssid: 'Simulated', rssi: -55 };
  status.ws = { connected: false };
  return status;
}

/** `Shelly.GetConfig`, reduced to the parts a client looks at (names and switch limits). */
export function renderGen2Config(identity: SimIdentity): Json {
  const config: Json = {
    sys: { device: { name: identity.name, mac: identity.mac, fw_id: GEN2_FW[identity.profile.generation as 2] } },
  };
  for (let i = 0; i < identity.profile.relays; i++) {
    config[`switch:${i}`] = { id: i, name: null, initial_state: 'restore_last', auto_on: false, auto_off: false };
  }
  return config;
}

/** Gen1 relay object, as `/status.relays[]` and `/relay/N` return it. */
export function renderGen1Relay(s: ShellyPhysicalState, channel: number): Json {
  const relay = s.relays[channel];
  if (relay === undefined) throw new RangeError(`no relay ${channel}`);
  return {
    ison: relay.on,
    has_timer: false,
    timer_started: 0,
    timer_duration: 0,
    timer_remaining: 0,
    overpower: false,
    source: relay.source,
  };
}

/** Gen1 `GET /status`. Meter totals are watt-minutes for relays, Wh for emeters. */
export function renderGen1Status(identity: SimIdentity, s: ShellyPhysicalState, unixSeconds: number): Json {
  const { profile } = identity;
  const status: Json = {
    wifi_sta: { connected: true, ssid: 'Simulated', ip: '127.0.0.1', rssi: -60 },
    cloud: { enabled: false, connected: false },
    mqtt: { connected: false },
    time: new Date(unixSeconds * 1000).toISOString().slice(11, 16),
    unixtime: unixSeconds,
    serial: 16,
    has_update: false,
    mac: identity.mac,
    cfg_changed_cnt: 0,
    actions_stats: { skipped: 0 },
    relays: s.relays.map((_, i) => renderGen1Relay(s, i)),
  };
  if (profile.metered) {
    status.meters = s.relays.map((relay) => ({
      power: r(relay.powerW, 2),
      overpower: 0,
      is_valid: true,
      timestamp: unixSeconds,
      counters: [0, 0, 0],
      total: Math.floor(relay.energyWh * 60),
    }));
    if (profile.model === 'SHSW-25') status.voltage = r(s.relays[0]?.voltageV ?? 230, 2);
    const t = s.relays[0]?.temperatureC ?? 30;
    status.temperature = r(t, 2);
    status.overtemperature = false;
    status.tmp = { tC: r(t, 2), tF: r((t * 9) / 5 + 32, 2), is_valid: true };
  }
  if (s.meter !== null) {
    status.emeters = s.meter.map((c) => ({
      power: r(c.powerW, 2),
      reactive: 0,
      pf: c.pf,
      voltage: r(c.voltageV, 2),
      current: r(c.currentA, 2),
      is_valid: true,
      total: r(c.importWh, 1),
      total_returned: r(c.exportWh, 1),
    }));
    status.total_power = r(
      s.meter.reduce((a, c) => a + c.powerW, 0),
      2,
    );
  }
  status.uptime = 4242;
  return status;
}

/** Gen1 `GET /settings`, reduced to device, login and relay parts. */
export function renderGen1Settings(identity: SimIdentity, s: ShellyPhysicalState, username: string): Json {
  return {
    device: {
      type: identity.profile.model,
      mac: identity.mac,
      hostname: `${identity.profile.idPrefix}-${identity.mac.slice(6)}`,
      num_outputs: identity.profile.relays,
    },
    name: identity.name,
    fw: GEN1_FW,
    login: { enabled: identity.authEnabled, unprotected: false, username },
    relays: s.relays.map((relay) => ({ name: null, ison: relay.on, default_state: 'last', auto_on: 0, auto_off: 0 })),
  };
}
