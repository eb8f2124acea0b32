import type { SafetyGuard } from '@sps/control';
import {
  CANONICAL_READINGS,
  isCanonicalReadingKey,
  isoUtc,
  type Availability,
  type DeviceDescription,
  type ReadingSet,
  type ReadingValue,
} from '@sps/core';
import type { DeviceRunner } from '../device-runner.js';

/** JSON shapes of the HTTP API. Timestamps become UTC ISO strings; readings carry their unit. */

export interface ReadingJson {
  readonly value: ReadingValue | null;
  readonly unit: string | null;
}

export interface AvailabilityJson {
  readonly available: boolean;
  readonly reason: string | null;
  readonly since: string;
}

export function availabilityJson(availability: Availability): AvailabilityJson {
  return { available: availability.available, reason: availability.reason ?? null, since: isoUtc(availability.since) };
}

/** The unit of a reading: the device's own entity first, then the canonical catalogue. */
export function unitOf(key: string, description: DeviceDescription | undefined): string | null {
  const entity = description?.entities.find((e) => e.key === key);
  if (entity?.unit !== undefined) return entity.unit;
  return isCanonicalReadingKey(key) ? CANONICAL_READINGS[key].unit : null;
}

export function readingsJson(
  readings: ReadingSet,
  description: DeviceDescription | undefined,
): { timestamp: string; readings: Record<string, ReadingJson> } {
  const out: Record<string, ReadingJson> = {};
  for (const [key, value] of Object.entries(readings.values)) out[key] = { value, unit: unitOf(key, description) };
  return { timestamp: isoUtc(readings.timestamp), readings: out };
}

export function deviceJson(runner: DeviceRunner, guard: SafetyGuard): Record<string, unknown> {
  const { config, description } = runner;
  const capabilities = description?.capabilities;
  return {
    id: config.id,
    name: config.name,
    driver: config.driver,
    position: config.position ?? null,
    poll_interval_s: runner.pollIntervalMs / 1000,
    info: description?.info ?? null,
    availability: availabilityJson(runner.availability),
    entities: description?.entities ?? [],
    capabilities: capabilities
      ? {
          commands: capabilities.commands,
          operating_modes: capabilities.operatingModes ?? [],
          // The driver's own commands: POST {"type":"device_command","name":…, …arguments}.
          device_commands: (capabilities.deviceCommands ?? []).map((c) => c.name),
          // What a command may ask for after the user's safety options are applied.
          limits: guard.limitsFor(capabilities),
        }
      : null,
  };
}
