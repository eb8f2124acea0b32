import { TypedEmitter, type Availability, type ReadingSet } from '@sps/core';

export interface ReadingsEvent {
  readonly deviceId: string;
  readonly readings: ReadingSet;
}

export interface AvailabilityEvent {
  readonly deviceId: string;
  readonly availability: Availability;
}

export interface HubEvents extends Record<string, unknown> {
  readings: ReadingsEvent;
  availability: AvailabilityEvent;
}

/**
 * The one in-process bus between devices and everything that consumes their data:
 * the store, the live stream, and later HA and the aggregator. Subscribers are
 * isolated (one that throws is logged, the rest still get the event), and the hub
 * keeps the latest value of every reading so late subscribers start with a snapshot.
 */
export class ReadingHub extends TypedEmitter<HubEvents> {
  private readonly latestByDevice = new Map<string, ReadingSet>();
  private readonly availabilityByDevice = new Map<string, Availability>();

  constructor(onSubscriberError: (err: unknown) => void = () => undefined) {
    super(onSubscriberError);
  }

  publishReadings(deviceId: string, readings: ReadingSet): void {
    // Pushed partial updates must not erase keys an earlier poll delivered.
    const previous = this.latestByDevice.get(deviceId);
    const merged: ReadingSet = previous
      ? {
          timestamp: Math.max(previous.timestamp, readings.timestamp),
          values: { ...previous.values, ...readings.values },
        }
      : readings;
    this.latestByDevice.set(deviceId, merged);
    this.emit('readings', { deviceId, readings });
  }

  publishAvailability(deviceId: string, availability: Availability): void {
    this.availabilityByDevice.set(deviceId, availability);
    this.emit('availability', { deviceId, availability });
  }

  latest(deviceId: string): ReadingSet | undefined {
    return this.latestByDevice.get(deviceId);
  }

  availability(deviceId: string): Availability | undefined {
    return this.availabilityByDevice.get(deviceId);
  }

  /** Snapshot of every device's latest readings, for new subscribers. */
  latestAll(): ReadonlyMap<string, ReadingSet> {
    return this.latestByDevice;
  }

  availabilityAll(): ReadonlyMap<string, Availability> {
    return this.availabilityByDevice;
  }
}
