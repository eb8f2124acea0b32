import type { SafetyGuard } from '@sps/control';
import { TypedEmitter, type Clock, type Command, type Device, type HaEntityPort } from '@sps/core';
import { createConfiguredDevice, membersFirst } from './device-members.js';
import { DeviceRunner, type CommandResult } from './device-runner.js';
import type { DriverLookup } from './driver-types.js';
import { parseDriverCommand } from './driver-commands.js';
import type { ReadingHub } from './hub.js';
import type { Logger } from './logger.js';
import { GatedDevice, holdSwitchedRelays } from './gated-device.js';
import { SharedDevice } from './shared-device.js';
import type { DeviceConfig } from './options.js';

export class UnknownDeviceError extends Error {
  override readonly name = 'UnknownDeviceError';
  constructor(readonly deviceId: string) {
    super(`no device with id "${deviceId}"`);
  }
}

export interface CommandAppliedEvent {
  readonly deviceId: string;
  readonly command: Command;
}

export interface DeviceManagerEvents extends Record<string, unknown> {
  /**
   * A command the device accepted (or an identical one it had just accepted), from any source: the
   * API, HA, the CLI through the add-on, the optimiser (`executeChecked`) and the hand-back.
   */
  applied: CommandAppliedEvent;
}

export interface DeviceManagerDeps {
  readonly drivers: DriverLookup;
  readonly hub: ReadingHub;
  readonly guard: SafetyGuard;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Passed to drivers that keep a file across restarts (DriverContext.dataDir). */
  readonly dataDir?: string;
  /** HA's entities for the drivers that map them; absent without HA. */
  readonly ha?: HaEntityPort;
}

/**
 * Owns one runner per configured device. Each runner lives on its own: a device that
 * hangs, refuses or disappears never delays or stops another.
 */
export class DeviceManager {
  private readonly runners = new Map<string, DeviceRunner>();
  /** Lets timed overrides (and later the controller) see every applied command, whoever sent it. */
  readonly events: TypedEmitter<DeviceManagerEvents>;
  /** Checks a driver's own commands against its schema before the guard. */
  private readonly drivers: DriverLookup;

  constructor(devices: readonly DeviceConfig[], deps: DeviceManagerDeps) {
    this.drivers = deps.drivers;
    this.events = new TypedEmitter<DeviceManagerEvents>((err) =>
      deps.logger.error({ err }, 'a command listener failed'),
    );
    // Devices named by a composite (the power station's members) are built first and shared: the
    // composite gets handles on the same Device instances, so one physical device keeps one connection.
    const named = new Set(devices.flatMap((config) => Object.values(config.members ?? {})));
    const shared = new Map<string, SharedDevice>();
    const built = new Map<string, DeviceRunner>();
    for (const config of membersFirst(devices)) {
      const deviceLog = deps.logger.child({ device: config.id });
      const device = createConfiguredDevice(
        config,
        deps.drivers,
        deps.clock,
        (memberId, field) => {
          const member = shared.get(memberId);
          if (!member) throw new Error(`device ${config.id}: ${field}: no device with id "${memberId}"`);
          // The composite's writes to a member pass the guard under the member's id, like direct ones.
          return new GatedDevice(member.handle(), deps.guard, memberId);
        },
        { dataDir: deps.dataDir, log: (level, details, message) => deviceLog[level](details, message), ha: deps.ha },
      );
      holdSwitchedRelays(config, deps);
      let polled: Device = device;
      if (named.has(config.id)) {
        const one = new SharedDevice(device);
        shared.set(config.id, one);
        polled = one.handle();
      }
      const onApplied = (deviceId: string, command: Command): void =>
        this.events.emit('applied', { deviceId, command });
      built.set(config.id, new DeviceRunner(config, polled, { ...deps, onApplied }));
    }
    for (const config of devices) {
      this.runners.set(config.id, built.get(config.id) as DeviceRunner);
      if (config.pollIntervalRaised) {
        deps.logger.warn(
          { device: config.id, poll_interval_s: config.pollIntervalMs / 1000 },
          'poll interval raised to the driver minimum',
        );
      }
    }
  }

  start(): void {
    for (const runner of this.runners.values()) runner.start();
  }

  list(): readonly DeviceRunner[] {
    return [...this.runners.values()];
  }

  get(id: string): DeviceRunner | undefined {
    return this.runners.get(id);
  }

  execute(id: string, command: unknown): Promise<CommandResult> {
    const runner = this.runners.get(id);
    if (!runner) return Promise.reject(new UnknownDeviceError(id));
    let checked: unknown;
    try {
      checked = parseDriverCommand(this.drivers.get(runner.config.driver), command);
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
    return runner.execute(checked).then((result) => {
      this.events.emit('applied', { deviceId: id, command: result.command });
      return result;
    });
  }

  /** Poll one device now (HA's sync_now); resolves with its availability afterwards. */
  pollNow(id: string): ReturnType<DeviceRunner['pollNow']> {
    const runner = this.runners.get(id);
    if (!runner) return Promise.reject(new UnknownDeviceError(id));
    return runner.pollNow();
  }

  /** Stop every device's polling (shutdown); commands and the hand-back still reach the devices. */
  quiesce(): void {
    for (const runner of this.runners.values()) runner.quiesce();
  }

  async stop(): Promise<void> {
    await Promise.allSettled([...this.runners.values()].map((r) => r.stop()));
  }
}
