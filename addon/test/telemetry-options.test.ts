import { builtInDrivers } from '../src/drivers';
import { parseOptions } from '../src/options';
import { telemetryOptionsSchema, toTelemetrySettings } from '../src/telemetry/telemetry-options';

const context = {
  deviceId: (name: string) => name.toLowerCase().replace(/[^a-z0-9]+/g, '_'),
  deviceIds: ['pylontech', 'studer'],
  readFile: (file: string) => (file.endsWith('.pem') ? '-----BEGIN CERTIFICATE-----\nx\n' : 'not pem'),
};
const settings = (options: Record<string, unknown>) =>
  toTelemetrySettings(telemetryOptionsSchema.parse(options), context);

describe('telemetry options', () => {
  it('is off unless enabled', () => {
    expect(settings({})).toBeUndefined();
    expect(settings({ url: 'https://t.example.org/in' })).toBeUndefined();
  });

  it('HTTP: defaults (seed fields, every battery, 60 s, 15-minute batches, no alarms) and the token', () => {
    expect(settings({ enabled: true, url: 'https://t.example.org/in', token: 'abc' })).toEqual({
      site: 'smart_power_station',
      intervalMs: 60_000,
      batchMs: 15 * 60_000,
      fields: [
        'battery_voltage',
        'battery_soc',
        'battery_soh',
        'battery_current',
        'battery_temperature',
        'charge_voltage_limit',
        'charge_current_limit',
        'discharge_current_limit',
      ],
      devices: null,
      includeAlarms: false,
      transport: { kind: 'http', url: 'https://t.example.org/in', token: 'abc' },
    });
  });

  it('MQTT: topic default from the site, credentials and certificates read from files', () => {
    const s = settings({
      enabled: true,
      url: 'mqtts://broker.example:8883',
      site: 'cabin',
      username: 'u',
      password: 'p',
      ca: '/ssl/ca.pem',
      cert: '/ssl/c.pem',
      key: '/ssl/k.pem',
      devices: 'Pylontech, Studer',
      fields: 'battery_soc,pv_power',
      batch_minutes: 60,
      include_alarms: true,
    });
    expect(s?.transport).toEqual({
      kind: 'mqtt',
      url: 'mqtts://broker.example:8883',
      topic: 'sps/cabin/telemetry',
      username: 'u',
      password: 'p',
      ca: '-----BEGIN CERTIFICATE-----\nx\n',
      cert: '-----BEGIN CERTIFICATE-----\nx\n',
      key: '-----BEGIN CERTIFICATE-----\nx\n',
    });
    expect(s?.devices).toEqual(['pylontech', 'studer']);
    expect(s?.fields).toEqual(['battery_soc', 'pv_power']);
    expect(s?.batchMs).toBe(3_600_000);
    expect(s?.includeAlarms).toBe(true);
  });

  it('names the field that is wrong', () => {
    const bad: Array<[Record<string, unknown>, RegExp]> = [
      [{ enabled: true }, /^url: needed/],
      [{ enabled: true, url: 'http://t.example.org/in' }, /^url: plain http:\/\/ only to loopback or the LAN/],
      [{ enabled: true, url: 'https://t.example.org/', username: 'u' }, /^username: only for an mqtt/],
      [{ enabled: true, url: 'mqtt://b:1883', token: 't' }, /^token: only for an http/],
      [{ enabled: true, url: 'mqtt://b:1883', ca: '/ssl/ca.pem' }, /^ca: only for an mqtts/],
      [{ enabled: true, url: 'mqtts://b:8883', cert: '/ssl/c.pem' }, /^key: cert and key go together/],
      [{ enabled: true, url: 'mqtts://b:8883', ca: '/ssl/ca.txt' }, /^ca: \/ssl\/ca.txt is not a PEM file/],
      [
        { enabled: true, url: 'https://t.example.org/', devices: 'nope' },
        /^devices: no configured device is named "nope"/,
      ],
      [
        { enabled: true, url: 'https://t.example.org/', fields: 'Battery SOC' },
        /^fields.0: "Battery SOC" is not a reading key/,
      ],
      [{ enabled: true, url: 'https://t.example.org/', site: 'a/b' }, /^site: /],
    ];
    for (const [options, message] of bad) expect(() => settings(options)).toThrow(message);
    expect(() => telemetryOptionsSchema.parse({ url: 'ftp://x/' })).toThrow(
      /https:\/\/, http:\/\/ \(LAN\), mqtt:\/\/ or mqtts:\/\//,
    );
    expect(() => telemetryOptionsSchema.parse({ interval_s: 1 })).toThrow();
    expect(() => telemetryOptionsSchema.parse({ nonsense: 1 })).toThrow();
  });

  it('the add-on options carry it, prefixed telemetry.', () => {
    const config = parseOptions({ telemetry: { enabled: true, url: 'http://192.168.1.5:8080/t' } }, builtInDrivers);
    expect(config.telemetry?.transport).toEqual({ kind: 'http', url: 'http://192.168.1.5:8080/t' });
    expect(() => parseOptions({ telemetry: { enabled: true } }, builtInDrivers)).toThrow(/telemetry\.url: needed/);
  });
});
