import { DeviceError, ManualClock } from '@sps/core';
import {
  canConnectionSchema,
  canFrame,
  openCanBus,
  SocketcandCanBus,
  SocketcandServer,
  VirtualCanBus,
  type CanBus,
  type CanFrame,
  type SocketcandProblem,
} from '@sps/can';
import { answerHandshake, ScriptedGateway, until } from './helpers';

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function startGateway(clock = new ManualClock('2026-06-01T00:00:00Z')): Promise<{
  virtual: VirtualCanBus;
  server: SocketcandServer;
  port: number;
  clock: ManualClock;
}> {
  const virtual = new VirtualCanBus({ clock });
  const server = new SocketcandServer({ bus: virtual, clock });
  const port = await server.start();
  cleanups.push(() => server.stop());
  return { virtual, server, port, clock };
}

function client(
  port: number,
  extra: Partial<ConstructorParameters<typeof SocketcandCanBus>[0]> = {},
): SocketcandCanBus {
  const bus = new SocketcandCanBus({ host: '127.0.0.1', port, ...extra });
  cleanups.push(() => bus.close());
  return bus;
}

function collect(bus: CanBus): CanFrame[] {
  const frames: CanFrame[] = [];
  bus.onFrame((f) => frames.push(f));
  return frames;
}

describe('socketcand client ↔ SocketcandServer over loopback', () => {
  it('round trip: frames both ways, gateway timestamps from the injected clock, extended ids kept', async () => {
    const { virtual, port } = await startGateway();
    const station = virtual.attach('bms');
    await station.open();
    const atStation = collect(station);

    const bus = openCanBus(canConnectionSchema.parse({ transport: 'socketcand', host: '127.0.0.1', port }));
    cleanups.push(() => bus.close());
    expect(bus.label).toBe(`socketcand 127.0.0.1:${port} can0`);
    const atClient = collect(bus);
    await bus.open();
    expect(bus.isOpen).toBe(true);

    await station.send(canFrame(0x351, [0x14, 0x02, 0xb0, 0x04, 0x40, 0x06, 0xc2, 0x01]));
    await station.send(canFrame(0x1806e5f4, [], { extended: true }));
    await until(() => atClient.length === 2, 'frames at the client');
    expect(atClient[0]).toEqual({
      id: 0x351,
      extended: false,
      data: Uint8Array.from([0x14, 0x02, 0xb0, 0x04, 0x40, 0x06, 0xc2, 0x01]),
      timestampMs: Date.parse('2026-06-01T00:00:00Z'),
    });
    expect(atClient[1]).toMatchObject({ id: 0x1806e5f4, extended: true, data: new Uint8Array() });

    await bus.send(canFrame(0x305, [0, 0, 0, 0, 0, 0, 0, 0]));
    await bus.send(canFrame(0x00000123, [0xaa], { extended: true }));
    await until(() => atStation.length === 2, 'frames at the station');
    expect(atStation.map((f) => [f.id, f.extended, Array.from(f.data)])).toEqual([
      [0x305, false, [0, 0, 0, 0, 0, 0, 0, 0]],
      [0x123, true, [0xaa]],
    ]);
  });

  it('bus silence is not a failure: ten minutes without frames, the echo probe keeps the link, sending still works', async () => {
    const { virtual, port } = await startGateway();
    const clock = new ManualClock();
    const bus = client(port, { clock, livenessIntervalMs: 10_000, livenessTimeoutMs: 5000 });
    const downs: string[] = [];
    bus.onDown((r) => downs.push(r));
    await bus.open();
    for (let probe = 1; probe <= 60; probe += 1) {
      await clock.advance(10_000);
      // The echo goes over the real socket: its answer must be in before simulated time moves on.
      await until(() => bus.stats.echoReplies === probe, `echo reply ${probe}`);
    }
    expect(bus.isOpen).toBe(true);
    expect(downs).toEqual([]);
    const tapped: CanFrame[] = [];
    virtual.tap((f) => tapped.push(f));
    await bus.send(canFrame(0x305, []));
    await until(() => tapped.length === 1, 'the send after silence');
  });

  it('a gateway that stops answering (no FIN, no RST) is declared lost after the echo timeout', async () => {
    const gateway = new ScriptedGateway(answerHandshake);
    const port = await gateway.start();
    cleanups.push(() => gateway.stop());
    const clock = new ManualClock();
    const bus = client(port, { clock, livenessIntervalMs: 10_000, livenessTimeoutMs: 5000 });
    const downs: string[] = [];
    bus.onDown((r) => downs.push(r));
    await bus.open();
    await clock.advance(10_000);
    await until(() => gateway.text.includes('< echo >'), 'the echo at the gateway');
    await clock.advance(4999);
    expect(downs).toEqual([]);
    await clock.advance(1);
    await until(() => downs.length === 1, 'onDown');
    expect(downs[0]).toBe(`socketcand 127.0.0.1:${port} can0: no answer from the gateway to an echo within 5000 ms`);
    expect(bus.isOpen).toBe(false);
  });

  it('two open() calls at once share one connection; close() while opening rejects the open', async () => {
    const { port, server } = await startGateway();
    const bus = client(port);
    await Promise.all([bus.open(), bus.open()]);
    expect(server.clientCount).toBe(1);
    await bus.close();
    await until(() => server.clientCount === 0, 'the server to see the close');

    const never = new ScriptedGateway();
    const neverPort = await never.start();
    cleanups.push(() => never.stop());
    const slow = client(neverPort, { clock: new ManualClock() });
    const opening = slow.open().catch((e: unknown) => e);
    await until(() => never.connections.length === 1, 'the TCP connection');
    await slow.close();
    expect(await opening).toMatchObject({
      kind: 'not_connected',
      message: expect.stringContaining('closed while opening') as string,
    });
    expect(slow.isOpen).toBe(false);
  });

  it('elements arriving one byte per TCP write still make whole frames', async () => {
    const gateway = new ScriptedGateway(answerHandshake);
    const port = await gateway.start();
    cleanups.push(() => gateway.stop());
    const bus = client(port);
    const frames = collect(bus);
    await bus.open();
    const socket = gateway.connections[0];
    if (socket === undefined) throw new Error('no connection');
    const text = '< frame 351 1700000000.000000 1402B0044006C201 >< frame 1806E5F4 1700000000.500000  >';
    for (const char of text) {
      socket.write(char);
      await new Promise((resolve) => setImmediate(resolve));
    }
    await until(() => frames.length === 2, 'both frames');
    expect(frames[0]).toEqual({
      id: 0x351,
      extended: false,
      data: Uint8Array.from([0x14, 0x02, 0xb0, 0x04, 0x40, 0x06, 0xc2, 0x01]),
      timestampMs: 1_700_000_000_000,
    });
    expect(frames[1]).toMatchObject({ id: 0x1806e5f4, extended: true, timestampMs: 1_700_000_000_500 });
    expect(bus.stats.garbage + bus.stats.malformed).toBe(0);
  });

  it('two clients see each other’s frames, never their own', async () => {
    const { port, server } = await startGateway();
    const a = client(port);
    const b = client(port);
    await Promise.all([a.open(), b.open()]);
    expect(server.clientCount).toBe(2);
    const atA = collect(a);
    const atB = collect(b);
    await a.send(canFrame(0x100, [1]));
    await b.send(canFrame(0x200, [2]));
    await until(() => atA.length === 1 && atB.length === 1, 'cross delivery');
    expect(atA.map((f) => f.id)).toEqual([0x200]);
    expect(atB.map((f) => f.id)).toEqual([0x100]);
  });

  it('the gateway dropping the TCP connection fires onDown once with the reason; open() reconnects', async () => {
    const { virtual, server, port } = await startGateway();
    const bus = client(port);
    const downs: string[] = [];
    bus.onDown((r) => downs.push(r));
    const frames = collect(bus);
    await bus.open();
    server.disconnectAll();
    await until(() => downs.length === 1, 'onDown');
    expect(downs[0]).toBe(`socketcand 127.0.0.1:${port} can0: the gateway closed the connection`);
    expect(bus.isOpen).toBe(false);
    await expect(bus.send(canFrame(1, []))).rejects.toMatchObject({ kind: 'not_connected' });

    await bus.open();
    expect(bus.isOpen).toBe(true);
    virtual.inject(canFrame(0x35c, [0xc0]));
    await until(() => frames.length === 1, 'a frame after reconnecting');
    expect(downs).toHaveLength(1);
    // close() is not a loss.
    await bus.close();
    expect(downs).toHaveLength(1);
  });

  it("the bus failing at the gateway ends its clients' sessions (onDown); closed clients leave the bus", async () => {
    const { virtual, server, port } = await startGateway();
    const bus = client(port);
    const downs: string[] = [];
    bus.onDown((r) => downs.push(r));
    await bus.open();
    expect(virtual.attachedEndpoints).toBe(1);
    virtual.bringDown('bus-off');
    await until(() => downs.length === 1, 'onDown');
    expect(downs[0]).toContain('the gateway closed the connection');
    await until(() => server.clientCount === 0 && virtual.attachedEndpoints === 0, 'the session to end');
    await bus.open();
    await bus.close();
    await until(() => virtual.attachedEndpoints === 0, 'the closed client to leave the bus');
  });

  it('a bus the gateway does not serve is a rejected open naming it', async () => {
    const { port } = await startGateway();
    const bus = client(port, { interface: 'can7' });
    const err = await bus.open().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeviceError);
    expect(err).toMatchObject({ kind: 'rejected' });
    expect((err as DeviceError).message).toContain('refused to open can7: could not open bus');
    expect(bus.isOpen).toBe(false);
  });

  it('nothing listening is connection_refused, naming the gateway', async () => {
    const { port, server } = await startGateway();
    await server.stop();
    const err = await client(port)
      .open()
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: 'connection_refused' });
    expect((err as Error).message).toContain(`socketcand 127.0.0.1:${port} can0`);
  });

  it('a gateway that never greets times out on the injected clock', async () => {
    const gateway = new ScriptedGateway();
    const port = await gateway.start();
    cleanups.push(() => gateway.stop());
    const clock = new ManualClock();
    const bus = client(port, { clock, connectTimeoutMs: 3000 });
    const opening = bus.open().catch((e: unknown) => e);
    await until(() => gateway.connections.length === 1, 'the TCP connection');
    await clock.advance(3000);
    const err = await opening;
    expect(err).toMatchObject({ kind: 'timeout' });
    expect((err as Error).message).toContain('no answer to the hi step within 3000 ms');
  });

  it('garbage, malformed and over-long input from the gateway is counted and skipped; frames around it arrive', async () => {
    const gateway = new ScriptedGateway(answerHandshake);
    const port = await gateway.start();
    cleanups.push(() => gateway.stop());
    const problems: SocketcandProblem[] = [];
    const bus = client(port, { maxElementLength: 64, onProblem: (p) => problems.push(p) });
    const frames = collect(bus);
    await bus.open();
    const socket = gateway.connections[0];
    if (socket === undefined) throw new Error('no connection');
    socket.write('< frame 101 1.0 01 >garbage\n< frame 1XYZ 1.0 00 >');
    socket.write(`< frame 102 1.0 ${'AB'.repeat(60)} >`);
    socket.write('< error 004 1.5 >< frame 10');
    socket.write('3 2.0 03 >');
    await until(() => frames.length === 2, 'the good frames');
    expect(frames.map((f) => f.id)).toEqual([0x101, 0x103]);
    expect(problems.map((p) => p.kind)).toEqual(['garbage', 'malformed', 'overlong', 'gateway_error']);
    expect(bus.stats).toMatchObject({ framesReceived: 2, garbage: 1, malformed: 1, overlong: 1, gatewayErrors: 1 });
    expect(bus.isOpen).toBe(true);
  });
});
