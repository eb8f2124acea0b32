/**
 * One device at a glance, from its description and latest readings: the main readings with units
 * and friendly names, the relay state, and the controls its entity catalogue binds to commands.
 * Pure; unit-tested.
 */
import type { DeviceJson, DeviceReadingsJson, EntityJson } from '../data/api-types.js';
import type { DeviceCommand } from '../data/source.js';
import { formatReading, friendlyName } from '../format/units.js';
import { relayOn, relayPower } from './flow-model.js';

export interface ReadingRow {
  readonly key: string;
  readonly name: string;
  readonly text: string;
}

export interface DeviceControl {
  readonly key: string;
  readonly name: string;
  readonly kind: 'button' | 'switch' | 'select' | 'number';
  readonly command: string;
  /** Current state for a switch (on/off) or select (option). */
  readonly current: boolean | string | number | null;
  readonly options?: readonly string[];
  readonly min?: number;
  readonly max?: number;
  readonly step?: number;
  readonly unit?: string;
  readonly binding: NonNullable<EntityJson['command']>;
}

const MAX_MAIN = 8;
const MAIN_KEYS = ['battery_soc', 'battery_power', 'pv_power', 'grid_power', 'load_power'];

export function readingRows(
  device: DeviceJson,
  readings: DeviceReadingsJson | undefined,
  keys: readonly string[],
): ReadingRow[] {
  const values = readings?.readings ?? {};
  const byKey = new Map(device.entities.map((e) => [e.key, e]));
  const chosen =
    keys.length > 0
      ? [...keys]
      : [
          ...MAIN_KEYS.filter((k) => k in values),
          ...device.entities
            .filter(
              (e) =>
                (e.platform === 'sensor' || e.platform === 'binary_sensor') &&
                e.entityCategory !== 'diagnostic' &&
                !MAIN_KEYS.includes(e.key) &&
                e.key in values,
            )
            .map((e) => e.key),
        ].slice(0, MAX_MAIN);
  return chosen.map((key) => {
    const entity = byKey.get(key);
    const reading = values[key];
    return {
      key,
      name: friendlyName(key, entity?.name),
      text: formatReading(
        reading?.value ?? null,
        reading?.unit ?? entity?.unit ?? null,
        entity?.suggestedDisplayPrecision,
      ),
    };
  });
}

export function deviceRelay(
  readings: DeviceReadingsJson | undefined,
): { on: boolean | null; powerW: number | null } | null {
  const on = relayOn(readings?.readings);
  return on === null ? null : { on, powerW: relayPower(readings?.readings) };
}

export function deviceControls(device: DeviceJson, readings: DeviceReadingsJson | undefined): DeviceControl[] {
  const values = readings?.readings ?? {};
  const controls: DeviceControl[] = [];
  for (const e of device.entities) {
    if (!e.command || e.entityCategory === 'config') continue;
    const kind =
      e.platform === 'button' || e.platform === 'switch' || e.platform === 'select' || e.platform === 'number'
        ? e.platform
        : null;
    if (!kind) continue;
    const current = values[e.key]?.value ?? null;
    controls.push({
      key: e.key,
      name: friendlyName(e.key, e.name),
      kind,
      command: e.command.command,
      current,
      ...(e.options ? { options: e.options } : {}),
      ...(e.min === undefined ? {} : { min: e.min }),
      ...(e.max === undefined ? {} : { max: e.max }),
      ...(e.step === undefined ? {} : { step: e.step }),
      ...(e.unit === undefined ? {} : { unit: e.unit }),
      binding: e.command,
    });
  }
  return controls;
}

/** The command a control sends: its fixed fields plus the value in its bound field. */
export function controlCommand(control: DeviceControl, value?: boolean | string | number): DeviceCommand | null {
  const b = control.binding;
  const body: Record<string, unknown> = { type: b.command, ...b.fixed };
  if (control.kind === 'switch') body[b.field ?? 'on'] = value === true;
  else if (control.kind === 'select') body[b.field ?? 'mode'] = String(value ?? '');
  else if (control.kind === 'number') {
    if (typeof value !== 'number' || !Number.isFinite(value)) return null;
    body[b.field ?? 'power_w'] = value;
  }
  return isDeviceCommand(body) ? body : null;
}

const TYPES = new Set([
  'force_charge',
  'force_discharge',
  'restore_normal',
  'set_backup_reserve',
  'set_charge_limit',
  'set_discharge_limit',
  'set_export_limit',
  'set_relay',
  'set_operating_mode',
  'device_command',
]);

function isDeviceCommand(body: Record<string, unknown>): body is DeviceCommand {
  if (body['type'] === 'device_command' && typeof body['name'] !== 'string') return false;
  return typeof body['type'] === 'string' && TYPES.has(body['type']);
}
