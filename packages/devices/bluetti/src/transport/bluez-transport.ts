import { DeviceError } from '@sps/core';
import type * as DBus from 'dbus-next';
import type { MessageBus, Variant } from 'dbus-next';
import { BLUETTI_NOTIFY_UUID, BLUETTI_SERVICE_UUID, BLUETTI_WRITE_UUID, normaliseAddress } from '../gatt.js';
import { TransportListeners, type BleLinkInfo, type BleTransport } from './ble-transport.js';
import { withDeadline } from './deadline.js';

export interface BluezTransportOptions {
  /** The station's MAC, `AA:BB:CC:DD:EE:FF`. */
  readonly address: string;
  /** BlueZ adapter, e.g. `hci0`; the first adapter BlueZ lists when absent. */
  readonly adapter?: string;
  /** Per D-Bus step (connect, service resolution, each write). */
  readonly timeoutMs: number;
  /** How long to let BlueZ scan for a station it has not seen yet. */
  readonly scanTimeoutMs?: number;
}

type DBusModule = typeof DBus;
type ManagedObjects = Record<string, Record<string, Record<string, Variant>>>;

/** The slices of BlueZ's D-Bus API this transport calls (org.bluez, see BlueZ's doc/*.txt). */
interface ObjectManager {
  GetManagedObjects(): Promise<ManagedObjects>;
  on(event: 'InterfacesAdded', listener: (path: string, interfaces: ManagedObjects[string]) => void): void;
  removeListener(event: 'InterfacesAdded', listener: (path: string, interfaces: ManagedObjects[string]) => void): void;
}
interface Adapter1 {
  SetDiscoveryFilter(filter: Record<string, Variant>): Promise<void>;
  StartDiscovery(): Promise<void>;
  StopDiscovery(): Promise<void>;
}
interface Device1 {
  Connect(): Promise<void>;
  Disconnect(): Promise<void>;
}
interface GattCharacteristic1 {
  StartNotify(): Promise<void>;
  StopNotify(): Promise<void>;
  WriteValue(value: Buffer, options: Record<string, Variant>): Promise<void>;
}
type PropertiesChanged = (iface: string, changed: Record<string, Variant>, invalidated: string[]) => void;
interface Properties {
  Get(iface: string, name: string): Promise<Variant>;
  on(event: 'PropertiesChanged', listener: PropertiesChanged): void;
  removeListener(event: 'PropertiesChanged', listener: PropertiesChanged): void;
}

const BLUEZ = 'org.bluez';

/**
 * BLE through BlueZ over D-Bus — the default inside Home Assistant. HA owns the Bluetooth
 * adapter through BlueZ; a raw-HCI client (noble) would take the adapter away from HA and
 * both would fight over it. Going through BlueZ's D-Bus API shares the adapter, its
 * connection slots and its scan results with HA (the add-on needs `host_dbus: true`).
 *
 * dbus-next is pure JavaScript and is loaded only when this transport connects, so tests and
 * installs without a system bus never touch it.
 */
export class BluezTransport implements BleTransport {
  readonly label: string;
  private readonly listeners = new TransportListeners();
  private bus: MessageBus | null = null;
  private device: Device1 | null = null;
  private notifyChar: GattCharacteristic1 | null = null;
  private writeChar: GattCharacteristic1 | null = null;
  private readonly cleanups: (() => void)[] = [];
  private dbus: DBusModule | null = null;

  constructor(private readonly options: BluezTransportOptions) {
    this.label = `BlueZ ${normaliseAddress(options.address)}`;
  }

  get connected(): boolean {
    return this.writeChar !== null;
  }

  async connect(): Promise<BleLinkInfo> {
    await this.disconnect();
    try {
      return await this.open();
    } catch (err) {
      await this.disconnect();
      throw this.classify(err);
    }
  }

  async write(data: Uint8Array): Promise<void> {
    const char = this.writeChar;
    if (char === null) throw new DeviceError('connection_lost', `${this.label} is not connected`);
    try {
      await withDeadline(char.WriteValue(Buffer.from(data), {}), this.options.timeoutMs, 'writing to FF02');
    } catch (err) {
      throw this.classify(err);
    }
  }

  async disconnect(): Promise<void> {
    for (const cleanup of this.cleanups.splice(0)) cleanup();
    const { notifyChar, device, bus } = this;
    this.notifyChar = null;
    this.writeChar = null;
    this.device = null;
    this.bus = null;
    // Best effort: the link may already be gone, and a dead bus must not hang close().
    const quietly = (p: Promise<unknown> | undefined): Promise<unknown> =>
      p ? withDeadline(p, 2000, 'disconnecting').catch(() => undefined) : Promise.resolve();
    await quietly(notifyChar?.StopNotify());
    await quietly(device?.Disconnect());
    bus?.disconnect();
  }

  onNotification(listener: (chunk: Uint8Array) => void): () => void {
    return this.listeners.onNotification(listener);
  }

  onDisconnect(listener: (reason: string) => void): () => void {
    return this.listeners.onDisconnect(listener);
  }

  private async open(): Promise<BleLinkInfo> {
    const dbus = await this.loadDbus();
    const bus = dbus.systemBus();
    this.bus = bus;
    // Without a system bus (no host_dbus) the socket error arrives as an event, not as a rejection.
    const busFailed = new Promise<never>((_, reject) => bus.on('error', reject));
    busFailed.catch(() => undefined);
    const timeoutMs = this.options.timeoutMs;
    const address = normaliseAddress(this.options.address);

    const root = await withDeadline(
      Promise.race([bus.getProxyObject(BLUEZ, '/'), busFailed]),
      timeoutMs,
      'reaching BlueZ on the system bus',
    );
    const manager = root.getInterface('org.freedesktop.DBus.ObjectManager') as unknown as ObjectManager;
    let objects = await withDeadline(manager.GetManagedObjects(), timeoutMs, 'listing BlueZ objects');

    const adapterPath = this.findAdapter(objects);
    const devicePath = `${adapterPath}/dev_${address.replaceAll(':', '_')}`;
    if (!objects[devicePath]?.['org.bluez.Device1']) {
      await this.discover(dbus, bus, manager, adapterPath, devicePath);
    }

    const deviceObject = await bus.getProxyObject(BLUEZ, devicePath);
    const device = deviceObject.getInterface('org.bluez.Device1') as unknown as Device1;
    const deviceProps = deviceObject.getInterface('org.freedesktop.DBus.Properties') as unknown as Properties;
    this.device = device;

    const resolved = new Promise<void>((resolve) => {
      const onChange: PropertiesChanged = (iface, changed) => {
        if (iface !== 'org.bluez.Device1') return;
        if (changed.ServicesResolved?.value === true) resolve();
        if (changed.Connected?.value === false && this.writeChar !== null) this.dropped('the station disconnected');
      };
      deviceProps.on('PropertiesChanged', onChange);
      this.cleanups.push(() => deviceProps.removeListener('PropertiesChanged', onChange));
    });
    await withDeadline(device.Connect(), timeoutMs, `connecting to ${address}`);
    const already = await deviceProps.Get('org.bluez.Device1', 'ServicesResolved').catch(() => null);
    if (already?.value !== true) await withDeadline(resolved, timeoutMs, `resolving GATT services of ${address}`);

    objects = await withDeadline(manager.GetManagedObjects(), timeoutMs, 'listing GATT objects');
    const { notifyPath, writePath } = this.findCharacteristics(objects, devicePath);
    const notifyObject = await bus.getProxyObject(BLUEZ, notifyPath);
    const notifyChar = notifyObject.getInterface('org.bluez.GattCharacteristic1') as unknown as GattCharacteristic1;
    const notifyProps = notifyObject.getInterface('org.freedesktop.DBus.Properties') as unknown as Properties;
    const onValue: PropertiesChanged = (iface, changed) => {
      const value: unknown = changed.Value?.value;
      if (iface === 'org.bluez.GattCharacteristic1' && value instanceof Uint8Array) {
        this.listeners.notify(Uint8Array.from(value));
      }
    };
    notifyProps.on('PropertiesChanged', onValue);
    this.cleanups.push(() => notifyProps.removeListener('PropertiesChanged', onValue));
    await withDeadline(notifyChar.StartNotify(), timeoutMs, 'enabling notifications on FF01');
    this.notifyChar = notifyChar;
    const writeObject = await bus.getProxyObject(BLUEZ, writePath);
    this.writeChar = writeObject.getInterface('org.bluez.GattCharacteristic1') as unknown as GattCharacteristic1;

    const nameVariant = objects[devicePath]?.['org.bluez.Device1']?.Name;
    return { name: typeof nameVariant?.value === 'string' ? nameVariant.value : null };
  }

  private findAdapter(objects: ManagedObjects): string {
    const wanted = this.options.adapter;
    const adapters = Object.keys(objects).filter((path) => objects[path]?.['org.bluez.Adapter1'] !== undefined);
    const path = wanted === undefined ? adapters.sort()[0] : adapters.find((p) => p.endsWith(`/${wanted}`));
    if (path === undefined) {
      throw new DeviceError(
        'connection_refused',
        wanted === undefined ? 'BlueZ has no Bluetooth adapter' : `BlueZ has no adapter ${wanted}`,
      );
    }
    return path;
  }

  /** Scan (LE only) until BlueZ reports the station, or give up. HA may be scanning too; BlueZ merges the two. */
  private async discover(
    dbus: DBusModule,
    bus: MessageBus,
    manager: ObjectManager,
    adapterPath: string,
    devicePath: string,
  ): Promise<void> {
    const adapter = (await bus.getProxyObject(BLUEZ, adapterPath)).getInterface(
      'org.bluez.Adapter1',
    ) as unknown as Adapter1;
    const scanMs = this.options.scanTimeoutMs ?? Math.max(10_000, this.options.timeoutMs * 3);
    let onAdded: ((path: string) => void) | null = null;
    const seen = new Promise<void>((resolve) => {
      onAdded = (path) => {
        if (path === devicePath) resolve();
      };
      manager.on('InterfacesAdded', onAdded);
    });
    try {
      await adapter.SetDiscoveryFilter({ Transport: new dbus.Variant('s', 'le') }).catch(() => undefined);
      await adapter.StartDiscovery().catch(() => undefined);
      await withDeadline(seen, scanMs, 'scanning').catch(() => {
        throw new DeviceError(
          'connection_refused',
          `${normaliseAddress(this.options.address)} was not seen within ${scanMs} ms (out of range, switched off, ` +
            'or connected to another phone/app — a station accepts one BLE connection)',
        );
      });
    } finally {
      if (onAdded) manager.removeListener('InterfacesAdded', onAdded);
      await adapter.StopDiscovery().catch(() => undefined);
    }
  }

  private findCharacteristics(objects: ManagedObjects, devicePath: string): { notifyPath: string; writePath: string } {
    const under = Object.entries(objects).filter(([path]) => path.startsWith(`${devicePath}/`));
    const uuidOf = (ifaces: ManagedObjects[string], name: string): string =>
      String(ifaces[name]?.UUID?.value ?? '').toLowerCase();
    const service = under.find(([, ifaces]) => uuidOf(ifaces, 'org.bluez.GattService1') === BLUETTI_SERVICE_UUID);
    if (!service) {
      throw new DeviceError('unsupported', `${this.label} has no GATT service FF00: not a Bluetti power station?`);
    }
    const characteristic = (uuid: string): string | undefined =>
      under.find(
        ([path, ifaces]) =>
          path.startsWith(`${service[0]}/`) && uuidOf(ifaces, 'org.bluez.GattCharacteristic1') === uuid,
      )?.[0];
    const notifyPath = characteristic(BLUETTI_NOTIFY_UUID);
    const writePath = characteristic(BLUETTI_WRITE_UUID);
    if (notifyPath === undefined || writePath === undefined) {
      throw new DeviceError('unsupported', `${this.label}: service FF00 lacks characteristic FF01 or FF02`);
    }
    return { notifyPath, writePath };
  }

  private dropped(reason: string): void {
    if (this.writeChar === null) return;
    void this.disconnect().then(() => this.listeners.disconnected(`${this.label}: ${reason}`));
  }

  private async loadDbus(): Promise<DBusModule> {
    if (this.dbus) return this.dbus;
    try {
      const mod = (await import('dbus-next')) as DBusModule & { default?: DBusModule };
      this.dbus = mod.default ?? mod;
      return this.dbus;
    } catch (err) {
      throw new DeviceError('unsupported', 'the dbus-next package cannot be loaded', { cause: err });
    }
  }

  /** D-Bus failures → DeviceError kinds with a hint of what to check. */
  private classify(err: unknown): DeviceError {
    if (err instanceof DeviceError) return err;
    const name = typeof err === 'object' && err !== null && 'type' in err ? String(err.type) : '';
    const message = err instanceof Error ? err.message : String(err);
    // dbus-next sometimes re-wraps the socket error, leaving the errno only in the text.
    const code =
      typeof err === 'object' && err !== null && 'code' in err
        ? String(err.code)
        : (/\b(ENOENT|ECONNREFUSED|EACCES)\b/.exec(message)?.[1] ?? '');
    if (code === 'ENOENT' || code === 'ECONNREFUSED' || code === 'EACCES') {
      return new DeviceError(
        'connection_refused',
        `cannot reach BlueZ on the system D-Bus (${code}); the add-on needs host_dbus and the host a running bluetoothd`,
        { cause: err },
      );
    }
    if (name.endsWith('.NotPermitted') || name.endsWith('.InProgress')) {
      return new DeviceError('connection_refused', `${this.label}: ${message}`, { cause: err });
    }
    if (name.endsWith('.Failed') || name.endsWith('.NotConnected')) {
      return new DeviceError('connection_lost', `${this.label}: ${message}`, { cause: err });
    }
    if (name === 'org.freedesktop.DBus.Error.ServiceUnknown') {
      return new DeviceError('connection_refused', 'BlueZ (org.bluez) is not running on the system bus', {
        cause: err,
      });
    }
    return new DeviceError('connection_refused', `${this.label}: ${message}`, { cause: err });
  }
}
