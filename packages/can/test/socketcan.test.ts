import { DeviceError } from '@sps/core';
import {
  canConnectionSchema,
  canFrame,
  openCanBus,
  SocketcanBus,
  type CanFrame,
  type SocketcanModule,
  type SocketcanProblem,
  type SocketcanRawChannel,
} from '@sps/can';

/**
 * A stand-in for the native `socketcan` channel with the same surface and behaviour that matters:
 * the constructor throws for an interface that does not exist, stop() calls the onStopped listeners
 * synchronously, send() returns the bytes written or -1.
 */
class StubChannel implements SocketcanRawChannel {
  readonly sent: Array<{ id: number; ext: boolean; rtr: boolean; data: Buffer }> = [];
  readonly listeners: Record<'onMessage' | 'onStopped', Array<(message?: unknown) => void>> = {
    onMessage: [],
    onStopped: [],
  };
  started = false;
  sendResult = 16;

  addListener(event: 'onMessage' | 'onStopped', callback: (message?: unknown) => void): this {
    this.listeners[event].push(callback);
    return this;
  }
  start(): this {
    this.started = true;
    return this;
  }
  stop(): this {
    if (!this.started) throw new Error('Channel not started');
    this.started = false;
    for (const l of this.listeners.onStopped) l();
    return this;
  }
  send(message: { id: number; ext: boolean; rtr: boolean; data: Buffer }): number {
    this.sent.push(message);
    return this.sendResult;
  }
  /** The kernel delivering a frame. */
  deliver(message: unknown): void {
    for (const l of this.listeners.onMessage) l(message);
  }
  /** The receive thread ending on its own (interface deleted). */
  die(): void {
    this.started = false;
    for (const l of this.listeners.onStopped) l();
  }
}

function stubModule(interfaces: readonly string[] = ['can0']): { module: SocketcanModule; channels: StubChannel[] } {
  const channels: StubChannel[] = [];
  return {
    channels,
    module: {
      createRawChannelWithOptions(name) {
        if (!interfaces.includes(name)) throw new Error('Error while creating channel');
        const channel = new StubChannel();
        channels.push(channel);
        return channel;
      },
    },
  };
}

describe('SocketcanBus over a stubbed socketcan module', () => {
  it('maps received messages to frames with the kernel timestamp; remote frames ignored, error frames reported', async () => {
    const { module, channels } = stubModule();
    const problems: SocketcanProblem[] = [];
    const bus = new SocketcanBus({ interface: 'can0', load: () => module, onProblem: (p) => problems.push(p) });
    const frames: CanFrame[] = [];
    bus.onFrame((f) => frames.push(f));
    await bus.open();
    expect(bus.isOpen).toBe(true);
    expect(bus.label).toBe('socketcan can0');
    const channel = channels[0];
    if (channel === undefined) throw new Error('no channel');
    expect(channel.started).toBe(true);

    channel.deliver({ id: 0x351, data: Buffer.from([0x14, 0x02]), ts_sec: 1_700_000_000, ts_usec: 250_000 });
    channel.deliver({ id: 0x1806e5f4, ext: true, data: Buffer.from([]) });
    channel.deliver({ id: 0x123, rtr: true, data: Buffer.from([]) });
    channel.deliver({ id: 0x4, err: true, data: Buffer.alloc(8) });
    channel.deliver({ id: 'x', data: 'nope' });
    channel.deliver({ id: 0x900, data: Buffer.from([]) }); // 11-bit id out of range: never from a real kernel
    expect(frames).toEqual([
      { id: 0x351, extended: false, data: Uint8Array.from([0x14, 0x02]), timestampMs: 1_700_000_000_250 },
      { id: 0x1806e5f4, extended: true, data: new Uint8Array() },
    ]);
    expect(problems.map((p) => p.kind)).toEqual(['error_frame', 'malformed', 'malformed']);
  });

  it('sends frames as the package expects; a full queue is busy; invalid frames never reach it', async () => {
    const { module, channels } = stubModule();
    const bus = new SocketcanBus({ interface: 'can0', load: () => module });
    await expect(bus.send(canFrame(0x305, []))).rejects.toMatchObject({ kind: 'not_connected' });
    await bus.open();
    const channel = channels[0];
    if (channel === undefined) throw new Error('no channel');
    await bus.send(canFrame(0x305, [1, 2]));
    await bus.send(canFrame(0x10, [], { extended: true }));
    expect(channel.sent).toEqual([
      { id: 0x305, ext: false, rtr: false, data: Buffer.from([1, 2]) },
      { id: 0x10, ext: true, rtr: false, data: Buffer.from([]) },
    ]);
    channel.sendResult = -1;
    await expect(bus.send(canFrame(0x305, []))).rejects.toMatchObject({ kind: 'busy' });
    await expect(bus.send(canFrame(0x305, [0, 0, 0, 0, 0, 0, 0, 0, 0]))).rejects.toMatchObject({ kind: 'rejected' });
    expect(channel.sent).toHaveLength(3);
  });

  it('the interface going away fires onDown once; close() does not; open() again makes a new channel', async () => {
    const { module, channels } = stubModule();
    const bus = new SocketcanBus({ interface: 'can0', load: () => module });
    const downs: string[] = [];
    bus.onDown((r) => downs.push(r));
    await bus.open();
    channels[0]?.die();
    expect(downs).toEqual(['socketcan can0: the CAN interface stopped (removed, down for good, or a socket error)']);
    expect(bus.isOpen).toBe(false);
    await bus.open();
    expect(channels).toHaveLength(2);
    await bus.close();
    expect(channels[1]?.started).toBe(false);
    expect(downs).toHaveLength(1);
    await bus.close();
  });

  it('a listener that throws never reaches the native callback', async () => {
    const { module, channels } = stubModule();
    const errors: unknown[] = [];
    const bus = new SocketcanBus({ interface: 'can0', load: () => module, onListenerError: (e) => errors.push(e) });
    bus.onFrame(() => {
      throw new Error('driver bug');
    });
    await bus.open();
    expect(() => channels[0]?.deliver({ id: 1, data: Buffer.from([]) })).not.toThrow();
    expect(errors).toHaveLength(1);
  });

  it('a missing interface is connection_refused naming it and how to bring it up', async () => {
    const { module } = stubModule(['can0']);
    const err = await new SocketcanBus({ interface: 'can1', load: () => module }).open().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeviceError);
    expect(err).toMatchObject({ kind: 'connection_refused' });
    expect((err as Error).message).toContain('cannot open CAN interface can1 (Error while creating channel)');
    expect((err as Error).message).toContain('ip link set can1 up type can bitrate');
  });

  it('a missing or unbuilt package is an unsupported DeviceError: "SocketCAN is not available: …"', async () => {
    const missing = new SocketcanBus({
      interface: 'can0',
      load: () => {
        throw Object.assign(new Error("Cannot find module '../build/Release/can.node'"), { code: 'MODULE_NOT_FOUND' });
      },
    });
    await expect(missing.open()).rejects.toMatchObject({
      kind: 'unsupported',
      message: expect.stringMatching(/^SocketCAN is not available: .*can\.node.*socketcand/) as string,
    });
    const odd = new SocketcanBus({ interface: 'can0', load: () => ({ something: 1 }) });
    await expect(odd.open()).rejects.toMatchObject({ kind: 'unsupported' });
    // An ESM namespace wrapping the CommonJS export works too.
    const { module } = stubModule();
    const wrapped = new SocketcanBus({ interface: 'can0', load: () => ({ default: module }) });
    await wrapped.open();
    expect(wrapped.isOpen).toBe(true);
    await wrapped.close();
  });

  it('the real package on this machine: absent, unbuilt, or built without AF_CAN, it fails open with a clear DeviceError', async () => {
    const bus = openCanBus(canConnectionSchema.parse({ transport: 'socketcan', interface: 'can0' }));
    const err = await bus.open().then(
      () => null,
      (e: unknown) => e,
    );
    if (err === null) {
      // A machine with a real can0 (never these build machines): nothing to assert beyond opening.
      await bus.close();
      return;
    }
    expect(err).toBeInstanceOf(DeviceError);
    expect((err as Error).message).toMatch(
      /^SocketCAN is not available: |^socketcan can0: cannot open CAN interface can0/,
    );
  });
});
