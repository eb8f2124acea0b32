import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { builtInDrivers } from '../../src/drivers';
import { OptionsError, parseOptions } from '../../src/options';

const relay = { name: 'Dishwasher Relay', driver: 'shelly', host: '127.0.0.1' };

function parseError(raw: unknown): string {
  try {
    parseOptions(raw, builtInDrivers);
  } catch (err) {
    if (err instanceof OptionsError) return err.message;
    throw err;
  }
  throw new Error('expected an OptionsError');
}

describe('the aggregator option', () => {
  it('is off when the section is empty or absent: nothing to connect', () => {
    expect(parseOptions({}, builtInDrivers).aggregator).toBeUndefined();
    expect(parseOptions({ aggregator: {} }, builtInDrivers).aggregator).toBeUndefined();
  });

  it('fills the documented defaults around a broker URL', () => {
    const config = parseOptions(
      { forecast: { load: 'store', time_zone: 'Europe/London' }, aggregator: { broker_url: 'mqtt://127.0.0.1:1883' } },
      builtInDrivers,
    );
    expect(config.aggregator).toEqual({
      broker: { url: 'mqtt://127.0.0.1:1883' },
      network: 'default',
      participant: 'smart_power_station',
      timeZone: 'Europe/London',
      sharing: 'none',
      goal: { pct: 20 },
      allowCurtailment: [],
      allowShifting: false,
      eventSocTargetPct: 100,
    });
  });

  it('reads the PEM files at start and resolves relays by position or device name', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'sps-dr-options-'));
    const pem = (name: string): string => {
      const file = path.join(dir, name);
      writeFileSync(file, `-----BEGIN CERTIFICATE-----\n${name}\n-----END CERTIFICATE-----\n`);
      return file;
    };
    const config = parseOptions(
      {
        devices: [relay],
        aggregator: {
          broker_url: 'mqtts://broker.example.org:8883',
          ca: pem('ca.pem'),
          cert: pem('cert.pem'),
          key: pem('key.pem'),
          network: 'coned',
          sharing: 'events',
          uplink_url: 'https://agg.example.org/in',
          uplink_token: 't',
          goal_kw: 1.5,
          allow_curtailment: 'p4, Dishwasher Relay',
          grid_meter: 'Dishwasher Relay',
          rate_per_kw_month: 18,
        },
      },
      builtInDrivers,
    ).aggregator;
    expect(config?.broker?.ca).toContain('ca.pem');
    expect(config?.broker?.key).toContain('key.pem');
    expect(config).toMatchObject({
      network: 'coned',
      sharing: 'events',
      uplink: { url: 'https://agg.example.org/in', token: 't' },
      goal: { kw: 1.5 },
      allowCurtailment: ['P4', 'dishwasher_relay'],
      gridMeter: 'dishwasher_relay',
      ratePerKwMonth: 18,
    });
  });

  it.each([
    [{ broker_url: 'http://x' }, 'aggregator.broker_url: expected a broker URL'],
    [{ broker_url: 'mqtt://x', ca: '/nonexistent/ca.pem' }, 'aggregator.ca: cannot read /nonexistent/ca.pem (ENOENT)'],
    [{ broker_url: 'mqtt://x', cert: '/x.pem' }, 'aggregator.key: cert and key go together'],
    [{ username: 'u' }, 'aggregator.username: needs broker_url'],
    [
      { broker_url: 'mqtt://x', uplink_url: 'http://agg.example.org/in' },
      'aggregator.uplink_url: plain http:// only to loopback or the LAN',
    ],
    [{ broker_url: 'mqtt://x', goal_kw: 1, goal_pct: 10 }, 'aggregator.goal_pct: give goal_kw or goal_pct'],
    [{ broker_url: 'mqtt://x', sharing: 'all' }, 'aggregator.sharing: expected one of none|events|aggregate|full'],
    [{ sharing: 'events' }, 'aggregator.sharing: "events" needs uplink_url'],
    [{ broker_url: 'mqtt://x', allow_curtailment: 'P5' }, 'aggregator.allow_curtailment: "P5" is neither'],
    [{ broker_url: 'mqtt://x', grid_meter: 'Nope' }, 'aggregator.grid_meter: no configured device is named "Nope"'],
    [{ broker_url: 'mqtt://x', network: 'a/b' }, 'aggregator.network: expected a network name'],
    [{ broker_url: 'mqtt://x', time_zone: 'Mars/Base' }, 'aggregator.time_zone: expected an IANA time zone'],
    [{ broker_url: 'mqtt://x', event_soc_target_pct: 120 }, 'aggregator.event_soc_target_pct: expected an integer'],
    [{ broker_url: 'mqtt://x', colour: 'red' }, 'aggregator.colour: unknown field'],
  ])('rejects %j naming the field', (aggregator, message) => {
    expect(parseError({ aggregator })).toContain(message);
  });

  it('gives the optimiser the daily cycle as a stand-in tariff when DR is on without a tariff', () => {
    const config = parseOptions(
      { forecast: { time_zone: 'America/New_York' }, aggregator: { network: 'n' } },
      builtInDrivers,
    );
    expect(config.tariff).toMatchObject({ provider: 'tou', currency: 'XXX', timeZone: 'America/New_York' });
    // The load forecast defaults to the store, as with any tariff.
    expect(config.forecast.load.source).toBe('store');
    const own = parseOptions(
      { tariff: { provider: 'flat', currency: 'USD', import_rate: 0.3 }, aggregator: { network: 'n' } },
      builtInDrivers,
    );
    expect(own.tariff).toMatchObject({ provider: 'flat', currency: 'USD' });
    expect(parseOptions({}, builtInDrivers).tariff).toBeUndefined();
  });

  it('says a file that is not PEM is not PEM', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'sps-dr-options-'));
    const file = path.join(dir, 'ca.txt');
    writeFileSync(file, 'hello');
    expect(parseError({ aggregator: { broker_url: 'mqtts://x', ca: file } })).toBe(
      `aggregator.ca: ${file} is not a PEM file`,
    );
  });
});
