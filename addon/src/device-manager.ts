import type { SafetyGuard } from '@sps/control';
import { TypedEmitter, type Clock, type Command } from '@sps/core';
import { DeviceRunner, type CommandResult } from './device-runner.js';
import type { DriverLookup } from './driver-types.js';
import type { ReadingHub } from './hub.js';
import type { Logger } from './logger.js';
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
  /** A command the device accepted (or an identical one it had just accepted), from any source. */
  applied: CommandAppliedEvent;
}

export interface DeviceManagerDeps {
  readonly drivers: DriverLookup;
  readonly hub: ReadingHub;
  readonly guard: SafetyGuard;
  readonly clock: Clock;
  readonly logger: Logger;
}

/**
 * Owns one runner per configured device. Each runner lives on its own: a device that
 * hangs, refuses or disappears never delays or stops another.
 */
export class DeviceManager {
  private readonly runners = new Map<string, DeviceRunner>();
  /** Lets timed overrides (and later the controller) see every applied command, whoever sent it. */
  readonly events: TypedEmitter<DeviceManagerEvents>;

  constructor(devices: readonly DeviceConfig[], deps: DeviceManagerDeps) {
    this.events = new TypedEmitter<DeviceManagerEvents>((err) =>
      deps.logger.error({ err }, 'a command listener failed'),
    );
    for (const config of devices) {
      const driver = deps.drivers.get(config.driver);
      if (!driver) throw new Error(`device ${config.id}: unknown driver "${config.driver}"`);
      const device = driver.create(config.id, config.fields, { clock: deps.clock });
      this.runners.set(config.id, new DeviceRunner(config, device, deps));
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
    return runner.execute(command).then((result) => {
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

  async stop(): Promise<void> {
    await Promise.allSettled([...this.runners.values()].map((r) => r.stop()));
  }
}
