import type { CurtailableRelay } from '@sps/control';
import type { DeviceManager } from '../device-manager.js';
import type { ReadingHub } from '../hub.js';
import type { DeviceConfig } from '../options.js';

/** Relay state and load readings of the relay drivers (Shelly channel 0, Kasa). */
const STATE_KEYS = ['switch_0', 'relay_on'] as const;
const POWER_KEYS = ['power_0', 'power'] as const;

/**
 * The relays `aggregator.allow_curtailment` names (device ids, or positions P1–P4 meaning the
 * devices placed there), as the controller switches them at the battery's floor. Every switch is
 * a `set_relay` through the device manager, so the SafetyGuard's minimum on/off time applies.
 * Devices that are members of a composite (the power station's own relays) are never curtailed:
 * switching them would move the transfer switch, not shed a load.
 */
export function curtailableRelays(
  allowed: readonly string[],
  devices: readonly DeviceConfig[],
  manager: DeviceManager,
  hub: ReadingHub,
): CurtailableRelay[] {
  const members = new Set(devices.flatMap((d) => Object.values(d.members ?? {})));
  const ids = new Set<string>();
  for (const name of allowed) {
    const matches = /^P[1-4]$/.test(name)
      ? devices.filter((d) => d.position === name)
      : devices.filter((d) => d.id === name);
    for (const d of matches) if (!members.has(d.id) && d.members === undefined) ids.add(d.id);
  }
  return [...ids].map((id) => {
    const value = (keys: readonly string[]) => {
      const values = hub.latest(id)?.values ?? {};
      for (const key of keys) if (values[key] !== undefined && values[key] !== null) return values[key];
      return undefined;
    };
    return {
      id,
      // Read at each decision: the load behind a relay changes.
      get powerW(): number | undefined {
        const power = value(POWER_KEYS);
        return typeof power === 'number' ? power : undefined;
      },
      isOn: () => {
        const state = value(STATE_KEYS);
        return typeof state === 'boolean' ? state : undefined;
      },
      switchOff: async () => void (await manager.execute(id, { type: 'set_relay', on: false })),
      switchOn: async () => void (await manager.execute(id, { type: 'set_relay', on: true })),
    };
  });
}
