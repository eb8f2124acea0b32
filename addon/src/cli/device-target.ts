import type { SafetyGuard } from '@sps/control';
import { systemClock, type Device, type HaEntityPort } from '@sps/core';
import { createConfiguredDevice } from '../device-members.js';
import { GatedDevice, holdSwitchedRelays } from '../gated-device.js';
import type { DriverDefinition, DriverLookup } from '../driver-types.js';
import { builtInDrivers } from '../drivers.js';
import { locateOptions, readOptionsFile, type OptionsLocation } from '../options-source.js';
import { deviceSlug, OptionsError, parseOptions, type AddonConfig, type DeviceConfig } from '../options.js';
import { CliError, EXIT_BAD_INPUT, stringFlag, type CliIo } from './command.js';
import { CONNECTION_FLAGS, connectionFields, findDriver } from './connection-flags.js';

/** `--config FILE` and `--device NAME`: take the device from an options file instead of flags. */
export const TARGET_FLAGS = {
  config: { type: 'string' },
  device: { type: 'string' },
  'data-dir': { type: 'string' },
} as const;

export const TARGET_USAGE = '(--host HOST [--port N] … | --config FILE [--device NAME])';

/** The device a one-shot `sps read` / `sps write` talks to. */
export interface DeviceTarget {
  /** The device id (the driver name when built from flags, the entry's id from an options file). */
  readonly id: string;
  readonly driver: DriverDefinition;
  /**
   * The data dir whose write ledger `sps write` shares with the add-on: `--data-dir`, else the
   * options' (the Supervisor's /data, or ./data as for `sps run`); none for a device from flags.
   */
  readonly dataDir?: string;
  /**
   * A fresh, unconnected device (with its members, for a composite). With a guard, a composite's
   * writes to its members pass it under the members' ids, and the relays it switches are held.
   */
  create(guard?: SafetyGuard, ha?: HaEntityPort): Device;
}

type FlagValues = Record<string, string | boolean | undefined>;

/**
 * From connection flags (`--host …`, the driver's own option fields), or from an options file:
 * `--config FILE` (inside the add-on the Supervisor's options are found without it) picks the entry
 * named by `--device`, or the only entry of the driver. The options file is the only way to reach a
 * composite such as the power station, whose members are other entries: they are built with it.
 */
export function deviceTarget(
  driverName: string | undefined,
  values: FlagValues,
  io: CliIo,
  drivers: DriverLookup = builtInDrivers,
): DeviceTarget {
  const driver = findDriver(driverName, drivers);
  const configFile = stringFlag(values, 'config');
  const deviceName = stringFlag(values, 'device');
  const supervised = Boolean(io.env['SUPERVISOR_TOKEN']);
  // A composite can only come from options: inside the add-on the Supervisor's, without asking.
  const fromOptions =
    configFile !== undefined || deviceName !== undefined || (driver.memberReferences !== undefined && supervised);
  if (!fromOptions) {
    if (driver.memberReferences) {
      throw new CliError(
        `${driver.name} is built from other configured devices: use --config FILE [--device NAME]`,
        EXIT_BAD_INPUT,
      );
    }
    const fields = connectionFields(driver, values);
    for (const note of driver.notes?.(fields) ?? []) io.stderr.write(`sps: note: ${note}\n`);
    const dataDir = stringFlag(values, 'data-dir');
    return {
      id: driver.name,
      driver,
      ...(dataDir === undefined ? {} : { dataDir }),
      create: (_guard, ha) =>
        driver.create(driver.name, fields, {
          clock: systemClock,
          ...(dataDir === undefined ? {} : { dataDir }),
          ...(ha ? { ha } : {}),
        }),
    };
  }
  const flag = Object.keys(CONNECTION_FLAGS).find((name) => stringFlag(values, name) !== undefined);
  if (flag !== undefined) {
    throw new CliError(`--${flag}: connection flags and --config/--device exclude each other`, EXIT_BAD_INPUT);
  }
  if (configFile === undefined && !supervised) {
    throw new CliError('--device needs --config FILE (outside Home Assistant)', EXIT_BAD_INPUT);
  }
  let config: AddonConfig;
  let location: OptionsLocation;
  try {
    const dataDir = stringFlag(values, 'data-dir');
    location = locateOptions({
      env: io.env,
      ...(configFile === undefined ? {} : { configFile }),
      ...(dataDir === undefined ? {} : { dataDir }),
    });
    config = parseOptions(readOptionsFile(location.file), drivers);
  } catch (err) {
    if (err instanceof OptionsError) throw new CliError(err.line, EXIT_BAD_INPUT);
    throw err;
  }
  const entry = pickEntry(config, driver, deviceName);
  return {
    id: entry.id,
    driver,
    dataDir: location.dataDir,
    create: (guard, ha) => buildWithMembers(entry, config.devices, drivers, guard, location.dataDir, ha),
  };
}

function pickEntry(config: AddonConfig, driver: DriverDefinition, deviceName: string | undefined): DeviceConfig {
  const ofDriver = config.devices.filter((d) => d.driver === driver.name);
  if (deviceName !== undefined) {
    const id = deviceSlug(deviceName);
    const entry = config.devices.find((d) => d.id === id);
    if (entry === undefined) {
      const known = config.devices.map((d) => `"${d.name}"`).join(', ') || 'none';
      throw new CliError(
        `--device: no configured device is named "${deviceName}" (configured: ${known})`,
        EXIT_BAD_INPUT,
      );
    }
    if (entry.driver !== driver.name) {
      throw new CliError(`--device: "${entry.name}" is a ${entry.driver} device, not ${driver.name}`, EXIT_BAD_INPUT);
    }
    return entry;
  }
  const [only, ...others] = ofDriver;
  if (only === undefined) throw new CliError(`--config: no ${driver.name} device is configured`, EXIT_BAD_INPUT);
  if (others.length > 0) {
    const names = ofDriver.map((d) => `"${d.name}"`).join(', ');
    throw new CliError(
      `--device: ${ofDriver.length} ${driver.name} devices are configured (${names}); name one`,
      EXIT_BAD_INPUT,
    );
  }
  return only;
}

/** The entry's device with its members built first; an entry named twice (P1 and P3 on one relay) is one device. */
function buildWithMembers(
  entry: DeviceConfig,
  all: readonly DeviceConfig[],
  drivers: DriverLookup,
  guard: SafetyGuard | undefined,
  dataDir: string,
  ha: HaEntityPort | undefined,
): Device {
  const built = new Map<string, Device>();
  const build = (config: DeviceConfig): Device => {
    const existing = built.get(config.id);
    if (existing) return existing;
    // parseOptions has already checked that every member exists and that there are no cycles.
    const device = createConfiguredDevice(
      config,
      drivers,
      systemClock,
      (memberId) => {
        const member = build(all.find((d) => d.id === memberId) as DeviceConfig);
        return guard ? new GatedDevice(member, guard, memberId) : member;
      },
      { dataDir, ha },
    );
    built.set(config.id, device);
    return device;
  };
  if (guard) {
    // Every station's relays are held, whichever entry is written: a relay may be named by one.
    for (const config of all) holdSwitchedRelays(config, { drivers, guard });
  }
  return build(entry);
}
