import { ModbusTcpClient, type ModbusTcpClientOptions } from '@sps/device-modbus';

export { isIllegalAddress, ModbusExceptionError, TRANSIENT_MODBUS_EXCEPTIONS } from '@sps/device-modbus';

export type SigenergyClientOptions = ModbusTcpClientOptions;

/**
 * Modbus TCP transport for a Sigenergy plant and its inverters: one TCP connection, the unit id
 * (247 for the plant, 1..n for the inverters) chosen per request. Register numbers go on the wire
 * as printed (Sigenergy's map has no off-by-one), so the shared client serves as it is.
 */
export class SigenergyModbusClient extends ModbusTcpClient {}
