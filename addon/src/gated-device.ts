import { waitBeforeRetryMs, type SafetyGuard } from '@sps/control';
import {
  CommandRejectedError,
  DeviceError,
  type Command,
  type CommandOutcome,
  type Device,
  type DeviceDescription,
  type ReadingSet,
} from '@sps/core';
import type { DriverLookup } from './driver-types.js';
import type { DeviceConfig } from './options.js';

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
      // A member inside its relay hold or over its write budget will take the command later: to the
      // composite's caller that is a busy device (the hand-back retries it), not a refusal for good.
      if (err instanceof CommandRejectedError) {
        const kind = waitBeforeRetryMs(err) === undefined ? 'rejected' : 'busy';
        throw new DeviceError(kind, err.message, { cause: err });
      }
      throw err;
    }
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

/**
 * A composite's relays in front of a transfer switch get their minimum on/off time in the guard,
 * keyed by the member's device id and channel, so it binds whoever writes to the relay.
 */
export function holdSwitchedRelays(
  config: DeviceConfig,
  deps: { readonly drivers: DriverLookup; readonly guard: SafetyGuard },
): void {
  const relays = deps.drivers.get(config.driver)?.switchedRelays?.(config.fields) ?? [];
  for (const relay of relays) {
    const deviceId = config.members?.[relay.field];
    if (deviceId === undefined || relay.minOnOffMs <= 0) continue;
    deps.guard.holdRelay({
      deviceId,
      channel: relay.channel,
      minOnOffMs: relay.minOnOffMs,
      label: `${relay.position} of ${config.id}`,
    });
  }
}
