import type { Clock, Device, HaEntityPort } from '@sps/core';
import type { DriverLog, DriverLookup } from './driver-types.js';
import type { DeviceConfig } from './options.js';

/** One device entry as the member check sees it. */
export interface MemberCheckEntry {
  readonly id: string;
  readonly driver: string;
  readonly fields: unknown;
}

/** A member reference that cannot be resolved; `field` is the option path, e.g. `devices[4].p1`. */
export class MemberReferenceError extends Error {
  override readonly name = 'MemberReferenceError';
  constructor(
    readonly field: string,
    reason: string,
  ) {
    super(`${field}: ${reason}`);
  }
}

/**
 * Resolves the fields of composite entries (the power station) that name other device entries
 * into device ids (field → id, per entry index). Names match as `optimizer.battery_device` does:
 * through the same slug as the device id. Refuses unknown names, an entry naming itself, and
 * cycles (a composite that would contain itself through other composites).
 */
export function resolveMemberReferences(
  entries: readonly MemberCheckEntry[],
  drivers: DriverLookup,
  slug: (name: string) => string,
): Map<number, Readonly<Record<string, string>>> {
  const indexById = new Map(entries.map((entry, index) => [entry.id, index]));
  const resolved = new Map<number, Readonly<Record<string, string>>>();
  entries.forEach((entry, index) => {
    const references = drivers.get(entry.driver)?.memberReferences?.(entry.fields) ?? [];
    const members: Record<string, string> = {};
    for (const { field, name } of references) {
      const at = `devices[${index}].${field}`;
      const id = slug(name);
      if (id === entry.id) throw new MemberReferenceError(at, `"${name}" is this entry itself`);
      if (!indexById.has(id)) throw new MemberReferenceError(at, `no configured device is named "${name}"`);
      members[field] = id;
    }
    if (references.length > 0) resolved.set(index, members);
  });
  refuseCycles(entries, resolved, indexById);
  return resolved;
}

function refuseCycles(
  entries: readonly MemberCheckEntry[],
  resolved: ReadonlyMap<number, Readonly<Record<string, string>>>,
  indexById: ReadonlyMap<string, number>,
): void {
  const done = new Set<number>();
  const visit = (index: number, path: readonly number[]): void => {
    if (done.has(index)) return;
    const members = resolved.get(index) ?? {};
    for (const [field, id] of Object.entries(members)) {
      const next = indexById.get(id) as number;
      if (path.includes(next)) {
        const cycle = [...path.slice(path.indexOf(next)), index, next].map((i) => entries[i]?.id ?? '?');
        throw new MemberReferenceError(
          `devices[${index}].${field}`,
          `device entries name each other in a cycle (${cycle.join(' → ')})`,
        );
      }
      visit(next, [...path, index]);
    }
    done.add(index);
  };
  for (const index of resolved.keys()) visit(index, []);
}

/** Device ids in an order where every member comes before the entries that name it. */
export function membersFirst<T extends { readonly id: string; readonly members?: Readonly<Record<string, string>> }>(
  devices: readonly T[],
): T[] {
  const byId = new Map(devices.map((d) => [d.id, d]));
  const ordered: T[] = [];
  const placed = new Set<string>();
  const place = (device: T, depth: number): void => {
    if (placed.has(device.id)) return;
    if (depth > devices.length) throw new Error(`device ${device.id}: its members name each other in a cycle`);
    for (const id of Object.values(device.members ?? {})) {
      const member = byId.get(id);
      if (!member) throw new Error(`device ${device.id}: no device with id "${id}" to use as a member`);
      place(member, depth + 1);
    }
    placed.add(device.id);
    ordered.push(device);
  };
  for (const device of devices) place(device, 0);
  return ordered;
}

/** What a driver may get besides its options (see DriverContext); each absent where it does not apply. */
export interface ConfiguredDeviceExtras {
  readonly dataDir?: string | undefined;
  readonly log?: DriverLog | undefined;
  readonly ha?: HaEntityPort | undefined;
}

/**
 * A configured device built by its driver, with the devices a composite names (its members) from
 * `memberDevice(id, field)`: the add-on hands out handles on shared devices, the CLI plain ones.
 */
export function createConfiguredDevice(
  config: DeviceConfig,
  drivers: DriverLookup,
  clock: Clock,
  memberDevice: (memberId: string, field: string) => Device,
  extras: ConfiguredDeviceExtras = {},
): Device {
  const { dataDir, log, ha } = extras;
  const driver = drivers.get(config.driver);
  if (!driver) throw new Error(`device ${config.id}: unknown driver "${config.driver}"`);
  const members = new Map<string, Device>();
  for (const [field, memberId] of Object.entries(config.members ?? {})) {
    members.set(field, memberDevice(memberId, field));
  }
  return driver.create(config.id, config.fields, {
    clock,
    ...(members.size > 0 ? { members } : {}),
    ...(dataDir === undefined ? {} : { dataDir }),
    ...(log === undefined ? {} : { log }),
    ...(ha === undefined ? {} : { ha }),
  });
}
