import { EventEmitter } from 'node:events';
import { DeviceError } from '@sps/core';
import { normaliseAddress } from '../gatt.js';
import { TransportListeners, type BleLinkInfo, type BleTransport } from './ble-transport.js';
import { withDeadline } from './deadline.js';

export interface NobleTransportOptions {
  readonly address: string;
  readonly timeoutMs: number;
  readonly scanTimeoutMs?: number;
}

/** The slices of @abandonware/noble used here; declared locally because the package is optional. */
interface NobleCharacteristic extends EventEmitter {
  readonly uuid: string;
  subscribeAsync(): Promise<void>;
  unsubscribeAsync(): Promise<void>;
  writeAsync(data: Buffer, withoutResponse: boolean): Promise<void>;
}
interface NoblePeripheral extends EventEmitter {
  readonly address: string;
  readonly advertisement?: { readonly localName?: string };
  connectAsync(): Promise<void>;
  disconnectAsync(): Promise<void>;
  discoverSomeServicesAndCharacteristicsAsync(
    services: string[],
    characteristics: string[],
  ): Promise<{ characteristics: NobleCharacteristic[] }>;
}
interface Noble extends EventEmitter {
  readonly state: string;
  startScanningAsync(services: string[], allowDuplicates: boolean): Promise<void>;
  stopScanningAsync(): Promise<void>;
}

const OPTIONAL_PACKAGE = '@abandonware/noble';

/**
 * BLE through noble over raw HCI, for standalone installs that own a Bluetooth adapter.
 * Not for Home Assistant OS: it takes the adapter from BlueZ and so from HA. noble is an
 * optional dependency (its native HCI socket needs libbluetooth-dev to build), loaded on the
 * first connect; without it this transport fails with a clear `unsupported`.
 */
export class NobleTransport implements BleTransport {
  readonly label: string;
  private readonly listeners = new TransportListeners();
  private peripheral: NoblePeripheral | null = null;
  private notifyChar: NobleCharacteristic | null = null;
  private writeChar: NobleCharacteristic | null = null;
  private readonly cleanups: (() => void)[] = [];

  constructor(private readonly options: NobleTransportOptions) {
    this.label = `noble ${normaliseAddress(options.address)}`;
  }

  get connected(): boolean {
    return this.writeChar !== null;
  }

  async connect(): Promise<BleLinkInfo> {
    await this.disconnect();
    const noble = await loadNoble();
    const { timeoutMs } = this.options;
    try {
      await this.poweredOn(noble);
      const peripheral = await this.scan(noble);
      this.peripheral = peripheral;
      await withDeadline(peripheral.connectAsync(), timeoutMs, `connecting to ${this.label}`);
      const onDisconnect = (): void => {
        if (this.writeChar === null) return;
        void this.disconnect().then(() => this.listeners.disconnected(`${this.label}: the station disconnected`));
      };
      peripheral.once('disconnect', onDisconnect);
      this.cleanups.push(() => peripheral.removeListener('disconnect', onDisconnect));
      // noble names 16-bit UUIDs in short lowercase form.
      const { characteristics } = await withDeadline(
        peripheral.discoverSomeServicesAndCharacteristicsAsync(['ff00'], ['ff01', 'ff02']),
        timeoutMs,
        'discovering service FF00',
      );
      const notifyChar = characteristics.find((c) => c.uuid === 'ff01');
      const writeChar = characteristics.find((c) => c.uuid === 'ff02');
      if (!notifyChar || !writeChar) {
        throw new DeviceError('unsupported', `${this.label} has no FF00/FF01/FF02 GATT layout: not a Bluetti station?`);
      }
      const onData = (data: Buffer): void => this.listeners.notify(Uint8Array.from(data));
      notifyChar.on('data', onData);
      this.cleanups.push(() => notifyChar.removeListener('data', onData));
      await withDeadline(notifyChar.subscribeAsync(), timeoutMs, 'enabling notifications on FF01');
      this.notifyChar = notifyChar;
      this.writeChar = writeChar;
      return { name: peripheral.advertisement?.localName ?? null };
    } catch (err) {
      await this.disconnect();
      if (err instanceof DeviceError) throw err;
      throw new DeviceError(
        'connection_refused',
        `${this.label}: ${err instanceof Error ? err.message : String(err)}`,
        {
          cause: err,
        },
      );
    }
  }

  async write(data: Uint8Array): Promise<void> {
    const char = this.writeChar;
    if (char === null) throw new DeviceError('connection_lost', `${this.label} is not connected`);
    try {
      await withDeadline(char.writeAsync(Buffer.from(data), false), this.options.timeoutMs, 'writing to FF02');
    } catch (err) {
      throw err instanceof DeviceError
        ? err
        : new DeviceError('connection_lost', `${this.label}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  async disconnect(): Promise<void> {
    for (const cleanup of this.cleanups.splice(0)) cleanup();
    const { notifyChar, peripheral } = this;
    this.notifyChar = null;
    this.writeChar = null;
    this.peripheral = null;
    await notifyChar?.unsubscribeAsync().catch(() => undefined);
    await peripheral?.disconnectAsync().catch(() => undefined);
  }

  onNotification(listener: (chunk: Uint8Array) => void): () => void {
    return this.listeners.onNotification(listener);
  }

  onDisconnect(listener: (reason: string) => void): () => void {
    return this.listeners.onDisconnect(listener);
  }

  private async poweredOn(noble: Noble): Promise<void> {
    if (noble.state === 'poweredOn') return;
    const state = await withDeadline(
      new Promise<string>((resolve) => {
        const onState = (s: string): void => {
          if (s === 'poweredOn' || s === 'unsupported' || s === 'unauthorized' || s === 'poweredOff') {
            noble.removeListener('stateChange', onState);
            resolve(s);
          }
        };
        noble.on('stateChange', onState);
      }),
      this.options.timeoutMs,
      'waiting for the Bluetooth adapter',
    );
    if (state !== 'poweredOn') throw new DeviceError('unsupported', `noble: the Bluetooth adapter is ${state}`);
  }

  private async scan(noble: Noble): Promise<NoblePeripheral> {
    const wanted = normaliseAddress(this.options.address);
    const scanMs = this.options.scanTimeoutMs ?? Math.max(10_000, this.options.timeoutMs * 3);
    let onDiscover: ((p: NoblePeripheral) => void) | null = null;
    const found = new Promise<NoblePeripheral>((resolve) => {
      onDiscover = (p) => {
        if (normaliseAddress(p.address) === wanted) resolve(p);
      };
      noble.on('discover', onDiscover);
    });
    try {
      await noble.startScanningAsync([], false);
      return await withDeadline(found, scanMs, 'scanning').catch(() => {
        throw new DeviceError('connection_refused', `${wanted} was not seen within ${scanMs} ms (out of range or off)`);
      });
    } finally {
      if (onDiscover) noble.removeListener('discover', onDiscover);
      await noble.stopScanningAsync().catch(() => undefined);
    }
  }
}

let nobleModule: Promise<Noble> | null = null;

async function loadNoble(): Promise<Noble> {
  nobleModule ??= (async () => {
    // A variable specifier keeps TypeScript from requiring the optional package at build time.
    const specifier: string = OPTIONAL_PACKAGE;
    const mod: unknown = await import(specifier);
    const candidate = (mod as { default?: unknown }).default ?? mod;
    if (
      !(candidate instanceof EventEmitter) ||
      typeof (candidate as Partial<Noble>).startScanningAsync !== 'function'
    ) {
      throw new Error(`${OPTIONAL_PACKAGE} does not look like noble`);
    }
    return candidate as Noble;
  })();
  try {
    return await nobleModule;
  } catch (err) {
    nobleModule = null;
    throw new DeviceError(
      'unsupported',
      `transport "noble" needs the optional package ${OPTIONAL_PACKAGE}, which is not installed or did not build ` +
        '(it needs libbluetooth-dev); inside Home Assistant use transport "bluez"',
      { cause: err },
    );
  }
}
