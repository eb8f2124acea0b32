import { systemClock, type Clock } from '@sps/core';
import { hex8 } from '../codec/word.js';
import { MemoryI2cBus } from '../bus/memory-bus.js';
import { FIRST_ADDRESS } from '../registers.js';
import { I2cTunnelServer } from '../tunnel/tunnel-server.js';
import { Ina260Chip, type Ina260ChipOptions, type Ina260ChipState } from './ina260-chip.js';

/** One simulated chip: its address and, optionally, its own panel, noise or identity. */
export interface SimulatedChipSpec {
  readonly address: number;
  readonly chip?: Omit<Ina260ChipOptions, 'clock'>;
}

export interface Ina260SimulatorOptions {
  /** The system clock (real time) unless a test gives a ManualClock. */
  readonly clock?: Clock;
  /** Chips on the simulated bus; one at 0x40 by default. */
  readonly chips?: readonly (number | SimulatedChipSpec)[];
}

export interface Ina260SimulatorSnapshot {
  readonly chips: readonly ({ readonly address: string } & Ina260ChipState)[];
}

/** The host's offset from UTC at the clock's time, so the simulated sun shines while people watch. */
export function hostUtcOffsetHours(clock: Clock): number {
  return -new Date(clock.now()).getTimezoneOffset() / 60;
}

/**
 * Simulated INA260s with their PV panels on a MemoryI2cBus, served over the loopback I2C tunnel
 * (`sps simulate ina260`; the adapter reaches it with `bus: tcp-sim`). Faults are injected on
 * `bus` exactly as for the in-memory path (nack, bus_error, timeout, hang, flip, short), and
 * `chip(address)` gives the chip for overrides and power cycles.
 */
export class Ina260Simulator {
  readonly bus = new MemoryI2cBus('tcp-sim');
  private readonly chips = new Map<number, Ina260Chip>();
  private readonly server = new I2cTunnelServer(this.bus);

  constructor(options: Ina260SimulatorOptions = {}) {
    const clock = options.clock ?? systemClock;
    const utcOffsetHours = hostUtcOffsetHours(clock);
    for (const entry of options.chips ?? [FIRST_ADDRESS]) {
      const spec = typeof entry === 'number' ? { address: entry } : entry;
      if (!Number.isInteger(spec.address) || spec.address < 0 || spec.address > 0x7f) {
        throw new RangeError(`simulated chip address ${spec.address} is not a 7-bit I2C address`);
      }
      const chip = new Ina260Chip({ ...spec.chip, clock, panel: { utcOffsetHours, ...spec.chip?.panel } });
      this.chips.set(spec.address, chip);
      this.bus.attach(spec.address, chip);
    }
  }

  /** Starts listening (127.0.0.1 and a free port by default); resolves to the port. */
  start(address: { host?: string; port?: number } = {}): Promise<number> {
    return this.server.start(address);
  }

  stop(): Promise<void> {
    return this.server.stop();
  }

  get port(): number | null {
    return this.server.port;
  }

  /** Close the clients' connections (a link drop); the simulator keeps listening. */
  dropClients(): void {
    this.server.dropClients();
  }

  chip(address: number = FIRST_ADDRESS): Ina260Chip {
    const chip = this.chips.get(address);
    if (chip === undefined) throw new RangeError(`no simulated INA260 at ${hex8(address)}`);
    return chip;
  }

  get addresses(): number[] {
    return [...this.chips.keys()];
  }

  snapshot(): Ina260SimulatorSnapshot {
    return { chips: [...this.chips].map(([address, chip]) => ({ address: hex8(address), ...chip.state })) };
  }
}
