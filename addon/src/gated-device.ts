import type { SafetyGuard } from '@sps/control';
import {
  CommandRejectedError,
  DeviceError,
  type Command,
  type CommandOutcome,
  type Device,
  type DeviceDescription,
  type ReadingSet,
} from '@sps/core';

/**
 * A member device as a composite (the power station) sees it: every command it sends to the member
 * passes the SafetyGuard's write path under the member's own id — the same write budget and relay
 * hold that a direct command to the member meets — so a composite never writes around them.
 * A guard refusal reaches the composite as a `rejected` DeviceError (a refusal: the member is fine).
 */
export class GatedDevice implements Device {
  constructor(
    private readonly inner: Device,
    private readonly guard: SafetyGuard,
    /** The member's device id (the key of its budget and holds). */
    private readonly memberId: string,
  ) {}

  get id(): string {
    return this.inner.id;
  }

  get driver(): string {
    return this.inner.driver;
  }

  get events(): Device['events'] {
    return this.inner.events;
  }

  connect(): Promise<void> {
    return this.inner.connect();
  }

  describe(): DeviceDescription {
    return this.inner.describe();
  }

  read(): Promise<ReadingSet> {
    return this.inner.read();
  }

  async execute(command: Command): Promise<CommandOutcome> {
    try {
      const written = await this.guard.write(this.memberId, command, () => this.inner.execute(command));
      if (written.status === 'duplicate') return { command, applied: {}, writes: 0 };
      if (written.status === 'joined') return { ...written.outcome, writes: 0 };
      return written.outcome;
    } catch (err) {
      if (err instanceof CommandRejectedError) throw new DeviceError('rejected', err.message, { cause: err });
      throw err;
    }
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
