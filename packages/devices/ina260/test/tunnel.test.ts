import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { DeviceError, ManualClock, type Availability } from '@sps/core';
import {
  encodeFrame,
  I2cFrameType,
  Ina260Adapter,
  Ina260Simulator,
  REGISTER,
  TunnelI2cBus,
  parseIna260Connection,
} from '@sps/device-ina260';
import { num, rejectionOf } from './helpers';

/** Simulated chips served on loopback and adapters reaching them through `bus: tcp-sim`. */
describe('the loopback I2C tunnel (sps simulate ina260)', () => {
  const clock = new ManualClock('2026-06-01T11:00:00Z');
  let simulator: Ina260Simulator;
  let port: number;
  const adapters: Ina260Adapter[] = [];

  function adapter(connection: Record<string, unknown> = {}): { device: Ina260Adapter; availability: Availability[] } {
    const device = new Ina260Adapter({
      id: 'pv',
      clock,
      connection: { bus: 'tcp-sim', host: '127.0.0.1', port, timeout_ms: 300, ...connection },
    });
    const availability: Availability[] = [];
    device.events.on('availability', (a) => availability.push(a));
    adapters.push(device);
    return { device, availability };
  }

  beforeEach(async () => {
    simulator = new Ina260Simulator({ clock, chips: [0x40, { address: 0x45, chip: { panel: { peakPowerW: 100 } } }] });
    port = await simulator.start();
  });

  afterEach(async () => {
    for (const device of adapters.splice(0)) await device.close();
    await simulator.stop();
  });

  it('reads what the simulated chips measure, at each address', async () => {
    const { device } = adapter();
    await device.connect();
    expect(device.describe().info).toMatchObject({ model: 'INA260', serial: `tcp-sim 127.0.0.1:${port}@0x40` });
    const r = await device.read();
    const state = simulator.chip(0x40).state;
    expect(state.powerW).toBeGreaterThan(50);
    expect(num(r, 'pv_voltage')).toBeCloseTo(state.voltageV, 5);
    expect(num(r, 'pv_current')).toBeCloseTo(state.currentA, 5);
    expect(num(r, 'pv_power')).toBeCloseTo(state.powerW, 2);

    const { device: second } = adapter({ address: '0x45' });
    await second.connect();
    const r2 = await second.read();
    expect(num(r2, 'pv_power')).toBeCloseTo(simulator.chip(0x45).state.powerW, 2);
    expect(num(r2, 'pv_power')).toBeLessThan(num(r, 'pv_power'));
    expect(simulator.snapshot().chips.map((c) => c.address)).toEqual(['0x40', '0x45']);
  });

  it('writes the averaging into the chip through the tunnel', async () => {
    expect(simulator.chip().state.config.averaging).toBe(1);
    const { device } = adapter({ averaging: 64 });
    await device.connect();
    expect(simulator.chip().state.config.averaging).toBe(64);
    expect(simulator.chip().configWrites).toBe(1);
    expect(num(await device.read(), 'averaging')).toBe(64);
  });

  it('an empty address does not acknowledge: refused, with the reason', async () => {
    const { device, availability } = adapter({ address: 0x41 });
    const err = await rejectionOf(device.connect());
    expect(err).toMatchObject({ kind: 'connection_refused' });
    expect((err as Error).message).toBe(`no device acknowledges address 0x41 on tcp-sim 127.0.0.1:${port} (ENXIO)`);
    expect(availability).toEqual([
      expect.objectContaining({ available: false, reason: expect.stringMatching(/ENXIO/) }),
    ]);
  });

  it('honours the simulator fault injection with the errno a real bus gives', async () => {
    const { device } = adapter();
    await device.connect();
    simulator.bus.injectFault({ kind: 'bus_error' }, { times: 1 });
    await expect(device.read()).rejects.toMatchObject({ kind: 'connection_lost' });
    simulator.bus.injectFault({ kind: 'timeout' }, { times: 1 });
    await expect(device.read()).rejects.toMatchObject({ kind: 'timeout' });
    simulator.bus.injectFault({ kind: 'short' }, { times: 1, register: REGISTER.CURRENT });
    await expect(device.read()).rejects.toMatchObject({ kind: 'bad_response' });
    // A transfer that never completes: the tunnel's own per-request timeout ends it.
    simulator.bus.injectFault({ kind: 'hang' }, { times: 1 });
    const hung = await rejectionOf(device.read());
    expect(hung).toMatchObject({ kind: 'timeout' });
    expect((hung as Error).message).toMatch(/no answer within 300 ms/);
    expect(num(await device.read(), 'pv_power')).toBeCloseTo(simulator.chip().state.powerW, 2);
  });

  it('a stopped simulator makes the adapter unavailable; it recovers when the simulator is back', async () => {
    const { device, availability } = adapter();
    await device.connect();
    await device.read();
    await simulator.stop();
    const lost = await rejectionOf(device.read());
    expect(lost).toBeInstanceOf(DeviceError);
    expect(availability.at(-1)).toMatchObject({ available: false });
    expect(availability.at(-1)?.reason).toMatch(/tcp-sim 127\.0\.0\.1:\d+/);
    // Still down: refused, not a hang.
    await expect(device.read()).rejects.toMatchObject({ kind: 'connection_refused' });

    await simulator.start({ port });
    const back = await device.read();
    expect(num(back, 'pv_power')).toBeCloseTo(simulator.chip().state.powerW, 2);
    expect(availability.at(-1)).toMatchObject({ available: true });
  });

  it('a dropped link reconnects on the next transfer', async () => {
    const { device } = adapter();
    await device.connect();
    simulator.dropClients();
    // The drop may land before or during the next poll; either way the one after reads again.
    await device.read().catch(() => undefined);
    expect(num(await device.read(), 'pv_power')).toBeCloseTo(simulator.chip().state.powerW, 2);
  });

  it('keeps serving other clients when one sends garbage', async () => {
    const socket = await connect(port);
    const closed = new Promise((resolve) => socket.once('close', resolve));
    socket.write(Uint8Array.of(0x42, 0, 0, 0xff, 0xff));
    await closed;
    const bad = await connect(port);
    const reply = new Promise<Buffer>((resolve) => bad.once('data', resolve));
    // A read of a register from a 7-bit address is fine; a READ with count 0 is refused with EINVAL.
    bad.write(Uint8Array.of(1, 0, 9, 0, 3, 0x40, 0, 0));
    const answer = await reply;
    expect(Array.from(answer.subarray(0, 3))).toEqual([I2cFrameType.ERROR, 0, 9]);
    expect(answer.subarray(5).toString('utf8')).toMatch(/^EINVAL READ of 0 bytes/);
    bad.destroy();
    const { device } = adapter();
    await device.connect();
    await expect(device.read()).resolves.toBeDefined();
  });
});

describe('TunnelI2cBus against a misbehaving server', () => {
  let server: Server;
  let port: number;
  let reply: (request: Buffer, socket: Socket) => void;

  beforeEach(async () => {
    server = createServer((socket) => {
      socket.on('error', () => undefined);
      socket.on('data', (data) => reply(data, socket));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as { port: number }).port;
  });

  afterEach(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  /** The seq of the request the server received (bytes 1-2). */
  const seqOf = (request: Buffer): number => request.readUInt16BE(1);

  async function readThroughBus(): Promise<unknown> {
    const bus = new TunnelI2cBus({ host: '127.0.0.1', port, timeoutMs: 300 });
    try {
      return await rejectionOf(bus.readRegister(0x40, REGISTER.DIE_ID, 2));
    } finally {
      await bus.close();
    }
  }

  it.each([
    ['an unknown frame type', (_seq: number) => Uint8Array.of(0x7e, 0, 0, 0, 0), /unexpected frame type 126/],
    ['an oversized frame', (seq: number) => Uint8Array.of(3, seq >> 8, seq & 0xff, 0x40, 0), /DATA frame of 16384/],
    [
      'more bytes than asked for',
      (seq: number) => encodeFrame(I2cFrameType.DATA, seq, Uint8Array.of(1, 2, 3)),
      /3 bytes for a read of 2/,
    ],
    ['a reply to another request', (seq: number) => encodeFrame(I2cFrameType.ACK, seq + 1), /a reply to no request/],
    ['an ACK to a read', (seq: number) => encodeFrame(I2cFrameType.ACK, seq), /wrong kind/],
    ['an ERROR without an errno', (seq: number) => encodeFrame(I2cFrameType.ERROR, seq, Buffer.from('oops')), /ERROR/],
  ])('%s is a bad_response', async (_what, answer, detail) => {
    reply = (request, socket) => socket.write(answer(seqOf(request)));
    const err = await readThroughBus();
    expect(err).toBeInstanceOf(DeviceError);
    expect(err).toMatchObject({ kind: 'bad_response' });
    expect((err as Error).message).toMatch(detail);
  });

  it('a frame cut short by a closed connection is a bad_response', async () => {
    reply = (request, socket) =>
      socket.end(encodeFrame(I2cFrameType.DATA, seqOf(request), Uint8Array.of(1, 2)).subarray(0, 6));
    const err = await readThroughBus();
    expect(err).toMatchObject({ kind: 'bad_response' });
    expect((err as Error).message).toMatch(/closed the connection in the middle of a frame/);
  });

  it('a server that closes without answering loses the connection', async () => {
    reply = (_request, socket) => socket.end();
    await expect(readThroughBus()).resolves.toMatchObject({ kind: 'connection_lost' });
  });

  it('a server that never answers times out, and the bus works again afterwards', async () => {
    let answer = false;
    reply = (request, socket) => {
      if (answer) socket.write(encodeFrame(I2cFrameType.DATA, seqOf(request), Uint8Array.of(0x22, 0x70)));
    };
    const bus = new TunnelI2cBus({ host: '127.0.0.1', port, timeoutMs: 200 });
    try {
      const err = await rejectionOf(bus.readRegister(0x40, REGISTER.DIE_ID, 2));
      expect(err).toMatchObject({ kind: 'timeout' });
      expect((err as Error).message).toBe(`tcp-sim 127.0.0.1:${port}: no answer within 200 ms`);
      answer = true;
      await expect(bus.readRegister(0x40, REGISTER.DIE_ID, 2)).resolves.toEqual(Uint8Array.of(0x22, 0x70));
    } finally {
      await bus.close();
    }
  });

  it('the adapter reports a never-answering server as unavailable with a timeout', async () => {
    reply = () => undefined;
    const device = new Ina260Adapter({
      id: 'pv',
      clock: new ManualClock(),
      connection: { bus: 'tcp-sim', host: '127.0.0.1', port, timeout_ms: 100 },
    });
    const err = await rejectionOf(device.connect());
    expect(err).toMatchObject({ kind: 'timeout' });
    await device.close();
  });

  it('a closed bus refuses further transfers', async () => {
    const bus = new TunnelI2cBus({ host: '127.0.0.1', port, timeoutMs: 200 });
    await bus.close();
    await expect(bus.writeRegister(0x40, 0, Uint8Array.of(1, 2))).rejects.toMatchObject({ kind: 'not_connected' });
  });
});

describe('bus tcp-sim options', () => {
  it('needs host and port, naming the missing one', () => {
    expect(() => parseIna260Connection({ bus: 'tcp-sim', port: 5000 })).toThrow(
      /^connection\.host: is required for bus tcp-sim$/,
    );
    expect(() => parseIna260Connection({ bus: 'tcp-sim', host: '127.0.0.1' })).toThrow(
      /^connection\.port: is required for bus tcp-sim$/,
    );
    expect(() => parseIna260Connection({ bus: 'tcp-sim', host: 'http://x', port: 1 })).toThrow(/^connection\.host: /);
    expect(() => parseIna260Connection({ bus: 'tcp-sim', host: 'x', port: 0 })).toThrow(/^connection\.port: /);
    expect(parseIna260Connection({ bus: 'tcp-sim', host: '127.0.0.1', port: '5000' })).toMatchObject({
      bus: 'tcp-sim',
      host: '127.0.0.1',
      port: 5000,
    });
  });
});

function connect(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host: '127.0.0.1', port }, () => resolve(socket));
    socket.once('error', reject);
  });
}
