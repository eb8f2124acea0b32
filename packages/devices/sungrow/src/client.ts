import { ModbusTcpClient, type ModbusTcpClientOptions } from '@sps/device-modbus';
import { toWireAddress, type RegisterTable } from './registers.js';

export { isIllegalAddress, ModbusExceptionError, TRANSIENT_MODBUS_EXCEPTIONS } from '@sps/device-modbus';

export interface SungrowClientOptions extends ModbusTcpClientOptions {
  readonly unitId: number;
  /**
   * Quiet time between the end of one exchange and the next request. The WiNet-S dongle drops
   * requests that come faster than ~30 ms apart; the inverter's LAN port is happy with ~5 ms
   * (device-protocols.md §4.3).
   */
  readonly interMessageDelayMs: number;
}

/**
 * Modbus TCP transport for a Sungrow SH inverter: the shared client on one unit id. Takes DOC
 * register numbers (the vendor's 1-based numbering) and converts to wire addresses in one place
 * (`toWireAddress`); errors name the DOC numbers, as the register map does.
 *
 * Timeouts, reconnects, the quiet gap and the exception mapping are the shared client's
 * (@sps/device-modbus): every failure is a DeviceError.
 */
export class SungrowModbusClient {
  private readonly modbus: ModbusTcpClient;

  constructor(readonly options: SungrowClientOptions) {
    this.modbus = new ModbusTcpClient(options);
  }

  get isConnected(): boolean {
    return this.modbus.isConnected;
  }

  /** Open the connection now (otherwise the first request does). */
  connect(): Promise<void> {
    return this.modbus.connect();
  }

  readInputRegisters(docStart: number, count: number): Promise<number[]> {
    return this.read('input', docStart, count);
  }

  readHoldingRegisters(docStart: number, count: number): Promise<number[]> {
    return this.read('holding', docStart, count);
  }

  read(table: RegisterTable, docStart: number, count: number): Promise<number[]> {
    const what = `reading ${table} ${docStart}..${docStart + count - 1}`;
    return this.modbus.read(this.options.unitId, table, toWireAddress(docStart), count, what);
  }

  /** FC6: one holding register. */
  writeRegister(docRegister: number, value: number): Promise<void> {
    const what = `writing holding ${docRegister}←${value}`;
    return this.modbus.writeRegister(this.options.unitId, toWireAddress(docRegister), value, what);
  }

  /** FC16: consecutive holding registers. */
  writeRegisters(docStart: number, values: readonly number[]): Promise<void> {
    const what = `writing holding ${docStart}..${docStart + values.length - 1}`;
    return this.modbus.writeRegisters(this.options.unitId, toWireAddress(docStart), values, what);
  }

  /** Close the socket; later requests fail with not_connected until `connect()` is called again. */
  close(): Promise<void> {
    return this.modbus.close();
  }
}
