import {
  DeviceError,
  toDeviceError,
  type Command,
  type CommandOutcome,
  type Device,
  type DeviceDescription,
  type ReadingSet,
} from '@sps/core';

/**
 * One physical device used by several parts of the add-on: its own runner (it stays an HA device
 * of its own, polled as usual) and a composite that names it (the power station). Each user gets
 * a handle; all handles share one connection and one queue, so a composite never opens a second
 * connection and two users' requests never interleave on the device's transport.
 *
 * - `connect()` connects the device only if the link is down; it is idempotent across handles.
 * - A read or command that fails for a transport reason drops the link (the device is closed so
 *   the next connect starts fresh); any handle's next call reconnects.
 * - `close()` releases a handle; the device is closed when the last handle is released.
 */
export class SharedDevice {
  private linkUp = false;
  private readonly open = new Set<SharedDeviceHandle>();
  private queue: Promise<unknown> = Promise.resolve();

  constructor(readonly device: Device) {
    // The transport saw the device go away between requests: the next request reconnects.
    device.events.on('availability', (availability) => {
      if (!availability.available) this.linkUp = false;
    });
  }

  handle(): Device {
    return new SharedDeviceHandle(this);
  }

  /** @internal */
  connectFor(handle: SharedDeviceHandle): Promise<void> {
    return this.exclusive(async () => {
      await this.ensureLink();
      this.open.add(handle);
    });
  }

  /** @internal */
  readFor(handle: SharedDeviceHandle): Promise<ReadingSet> {
    return this.exclusive(() => this.use(handle, () => this.device.read()));
  }

  /** @internal */
  executeFor(handle: SharedDeviceHandle, command: Command): Promise<CommandOutcome> {
    return this.exclusive(() => this.use(handle, () => this.device.execute(command)));
  }

  /** @internal */
  closeFor(handle: SharedDeviceHandle): Promise<void> {
    return this.exclusive(async () => {
      this.open.delete(handle);
      if (this.open.size === 0) await this.dropLink();
    });
  }

  private async use<T>(handle: SharedDeviceHandle, work: () => Promise<T>): Promise<T> {
    if (!this.open.has(handle)) throw new DeviceError('not_connected', `${this.device.id}: connect() first`);
    await this.ensureLink();
    try {
      return await work();
    } catch (err) {
      const error = toDeviceError(err);
      if (!error.deviceAnswered) await this.dropLink();
      throw err;
    }
  }

  private async ensureLink(): Promise<void> {
    if (this.linkUp) return;
    try {
      await this.device.connect();
    } catch (err) {
      await this.device.close().catch(() => undefined);
      throw err;
    }
    this.linkUp = true;
  }

  private async dropLink(): Promise<void> {
    this.linkUp = false;
    await this.device.close().catch(() => undefined);
  }

  private exclusive<T>(operation: () => Promise<T>): Promise<T> {
    const run = this.queue.then(operation, operation);
    this.queue = run.catch(() => undefined);
    return run;
  }
}

/** What one user of a shared device holds: a Device whose calls go through the shared connection. */
class SharedDeviceHandle implements Device {
  constructor(private readonly shared: SharedDevice) {}

  get id(): string {
    return this.shared.device.id;
  }

  get driver(): string {
    return this.shared.device.driver;
  }

  get events(): Device['events'] {
    return this.shared.device.events;
  }

  connect(): Promise<void> {
    return this.shared.connectFor(this);
  }

  describe(): DeviceDescription {
    return this.shared.device.describe();
  }

  read(): Promise<ReadingSet> {
    return this.shared.readFor(this);
  }

  execute(command: Command): Promise<CommandOutcome> {
    return this.shared.executeFor(this, command);
  }

  close(): Promise<void> {
    return this.shared.closeFor(this);
  }
}
