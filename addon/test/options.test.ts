import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { builtInDrivers } from '../src/drivers';
import { locateOptions, readOptionsFile } from '../src/options-source';
import { OptionsError, deviceSlug, parseOptions } from '../src/options';

const sungrow = { name: 'Sungrow SH10RT', driver: 'sungrow-sh', host: '192.168.1.50' };

function optionsError(raw: unknown): string {
  try {
    parseOptions(raw, builtInDrivers);
  } catch (err) {
    if (err instanceof OptionsError) return err.line;
    throw err;
  }
  throw new Error('expected the options to be rejected');
}

describe('parseOptions', () => {
  it('accepts the documented example and fills defaults', () => {
    const config = parseOptions(
      {
        log_level: 'debug',
        http_port: 8100,
        devices: [{ ...sungrow, port: 502, unit_id: 1, transport: 'lan', poll_interval_s: 5, position: 'P3' }],
        safety: { backup_reserve_pct: 15, max_charge_w: 5000, max_discharge_w: 4000, export_limit_w: 3000 },
        store: { raw_retention_days: 7, aggregate_retention_days: 365 },
      },
      builtInDrivers,
    );
    expect(config.logLevel).toBe('debug');
    expect(config.httpPort).toBe(8100);
    expect(config.devices).toEqual([
      {
        id: 'sungrow_sh10rt',
        name: 'Sungrow SH10RT',
        driver: 'sungrow-sh',
        position: 'P3',
        pollIntervalMs: 5000,
        pollIntervalRaised: false,
        fields: { host: '192.168.1.50', port: 502, unit_id: 1, transport: 'lan' },
      },
    ]);
    expect(config.safety).toEqual({ backupReservePct: 15, maxChargeW: 5000, maxDischargeW: 4000, exportLimitW: 3000 });
    expect(config.store).toEqual({ rawRetentionMs: 7 * 86_400_000, aggregateRetentionMs: 365 * 86_400_000 });
  });

  it('gives every option a default', () => {
    const config = parseOptions({}, builtInDrivers);
    expect(config).toMatchObject({ logLevel: 'info', httpPort: 8099, devices: [], safety: { backupReservePct: 10 } });
    expect(config.store.rawRetentionMs).toBe(10 * 86_400_000);
    expect(config.store.aggregateRetentionMs).toBe(730 * 86_400_000);
  });

  it('names the field in one line', () => {
    expect(optionsError({ devices: [{ ...sungrow, port: 70000 }] })).toBe(
      'invalid options: devices[0].port: expected an integer between 1 and 65535',
    );
    expect(optionsError({ devices: [{ ...sungrow, port: 'x' }] })).toBe(
      'invalid options: devices[0].port: expected an integer between 1 and 65535',
    );
    expect(optionsError({ log_level: 'loud' })).toBe(
      'invalid options: log_level: expected one of trace|debug|info|warning|error',
    );
    expect(optionsError({ safety: { backup_reserve_pct: 101 } })).toBe(
      'invalid options: safety.backup_reserve_pct: expected an integer between 0 and 100',
    );
    expect(optionsError({ devices: [sungrow, { driver: 'sungrow-sh', host: 'x' }] })).toBe(
      'invalid options: devices[1].name: is required',
    );
    expect(optionsError({ devices: [{ ...sungrow, position: 'P5' }] })).toBe(
      'invalid options: devices[0].position: expected one of P1|P2|P3|P4',
    );
    expect(optionsError({ devices: [{ ...sungrow, transport: 'usb' }] })).toBe(
      'invalid options: devices[0].transport: expected one of lan|winet',
    );
  });

  it('lets the driver decide which device fields exist', () => {
    expect(optionsError({ devices: [{ ...sungrow, driver: 'tesla' }] })).toBe(
      `invalid options: devices[0].driver: unknown driver "tesla" (known: ${builtInDrivers.names().join(', ')})`,
    );
    expect(optionsError({ devices: [{ ...sungrow, baud: 9600 }] })).toBe(
      'invalid options: devices[0].baud: unknown field',
    );
    expect(optionsError({ devices: [{ name: 'x', driver: 'sungrow-sh' }] })).toBe(
      'invalid options: devices[0].host: is required',
    );
    expect(optionsError({ colour: 'red' })).toBe('invalid options: colour: unknown field');
  });

  it('rejects two devices whose names give the same id', () => {
    expect(optionsError({ devices: [sungrow, { ...sungrow, name: 'sungrow  sh10rt!' }] })).toBe(
      'invalid options: devices[1].name: "sungrow  sh10rt!" gives the same device id "sungrow_sh10rt" as devices[0]',
    );
  });

  it('raises a poll interval below the driver minimum', () => {
    const [winet] = parseOptions(
      { devices: [{ ...sungrow, transport: 'winet', poll_interval_s: 2 }] },
      builtInDrivers,
    ).devices;
    expect(winet?.pollIntervalMs).toBe(10_000);
    expect(winet?.pollIntervalRaised).toBe(true);
    const [lan] = parseOptions({ devices: [sungrow] }, builtInDrivers).devices;
    expect(lan?.pollIntervalMs).toBe(5000);
  });
});

describe('deviceSlug', () => {
  it.each([
    ['Sungrow SH10RT', 'sungrow_sh10rt'],
    ['  Garage — Bluetti AC200  ', 'garage_bluetti_ac200'],
    ['Wärmepumpe', 'warmepumpe'],
    ['10 kWh battery', 'device_10_kwh_battery'],
    ['!!!', 'device'],
  ])('%s → %s', (name, slug) => expect(deviceSlug(name)).toBe(slug));
});

describe('locating and reading options', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sps-options-'));
  const supervisorFile = path.join(dir, 'options.json');
  writeFileSync(supervisorFile, JSON.stringify({ devices: [sungrow] }));

  it('uses the Supervisor file only when SUPERVISOR_TOKEN is set and the file exists', () => {
    expect(
      locateOptions({ env: { SUPERVISOR_TOKEN: 't' }, configFile: 'x.yaml', supervisorOptionsPath: supervisorFile }),
    ).toEqual({ supervised: true, file: supervisorFile, dataDir: dir });
    expect(
      locateOptions({ env: { HOME: '/home/u' }, configFile: 'x.yaml', supervisorOptionsPath: supervisorFile }),
    ).toMatchObject({
      supervised: false,
      file: 'x.yaml',
      dataDir: '/home/u/.local/share/smart-power-station',
    });
    expect(locateOptions({ env: {}, configFile: 'x.yaml', dataDir: 'mine' })).toMatchObject({
      dataDir: path.resolve('mine'),
    });
    expect(() =>
      locateOptions({ env: { SUPERVISOR_TOKEN: 't' }, supervisorOptionsPath: path.join(dir, 'no') }),
    ).toThrow(/--config/);
  });

  it('reads YAML and JSON, and reports a broken file in one line', () => {
    const yamlFile = path.join(dir, 'options.yaml');
    writeFileSync(
      yamlFile,
      'log_level: debug\ndevices:\n  - name: Inverter\n    driver: sungrow-sh\n    host: 10.0.0.2\n',
    );
    expect(parseOptions(readOptionsFile(yamlFile), builtInDrivers).devices[0]?.id).toBe('inverter');
    expect(readOptionsFile(supervisorFile)).toEqual({ devices: [sungrow] });
    const broken = path.join(dir, 'broken.yaml');
    writeFileSync(broken, 'devices: [\n  name: x\n');
    expect(() => readOptionsFile(broken)).toThrow(OptionsError);
    expect(() => readOptionsFile(path.join(dir, 'missing.yaml'))).toThrow(/cannot read .*missing\.yaml \(ENOENT\)/);
  });
});

describe('the example options file', () => {
  it('is valid', () => {
    const config = parseOptions(readOptionsFile(path.join(__dirname, '..', 'options.example.yaml')), builtInDrivers);
    expect(config.devices.map((d) => d.id)).toEqual(['sungrow_sh10rt']);
    expect(config.safety).toEqual({ backupReservePct: 10, maxChargeW: 5000, maxDischargeW: 5000, exportLimitW: 5000 });
  });
});
