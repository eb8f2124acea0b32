import { DeviceError, ManualClock } from '@sps/core';
import { canFrame, createCanBusPair, VirtualCanBus, type CanFrame } from '@sps/can';

/** Polls until `check` holds; never a fixed sleep. */
async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

describe('VirtualCanBus', () => {
  it('delivers a frame to every other open endpoint, never back to its sender, stamped by the bus clock', async () => {
    const clock = new ManualClock('2026-06-01T12:00:00Z');
    const bus = new VirtualCanBus({ clock });
    const a = bus.attach('a');
    const b = bus.attach('b');
    const c = bus.attach('c');
    const closed = bus.attach('closed');
    await Promise.all([a.open(), b.open(), c.open()]);
    const seen: Record<string, CanFrame[]> = { a: [], b: [], c: [], closed: [] };
    for (const [name, endpoint] of Object.entries({ a, b, c, closed })) endpoint.onFrame((f) => seen[name]?.push(f));

    await a.send(canFrame(0x351, [0x14, 0x02, 0xb0, 0x04]));
    await until(() => seen.b?.length === 1 && seen.c?.length === 1, 'delivery');
    expect(seen.a).toEqual([]);
    expect(seen.closed).toEqual([]);
    expect(seen.b?.[0]).toEqual({
      id: 0x351,
      extended: false,
      data: Uint8Array.from([0x14, 0x02, 0xb0, 0x04]),
      timestampMs: Date.parse('2026-06-01T12:00:00Z'),
    });
  });

  it('keeps the send order even when a station answers inside its listener', async () => {
    const { a, b } = await createCanBusPair();
    const atA: number[] = [];
    b.onFrame((f) => {
      if (f.id === 1) void b.send(canFrame(0x100, []));
    });
    a.onFrame((f) => atA.push(f.id));
    const atB: number[] = [];
    b.onFrame((f) => atB.push(f.id));
    await a.send(canFrame(1, []));
    await a.send(canFrame(2, []));
    await until(() => atB.length === 2 && atA.length === 1, 'frames');
    expect(atB).toEqual([1, 2]);
    expect(atA).toEqual([0x100]);
  });

  it('refuses to send before open and frames classic CAN cannot carry', async () => {
    const bus = new VirtualCanBus();
    const a = bus.attach('a');
    await expect(a.send(canFrame(1, []))).rejects.toMatchObject({ kind: 'not_connected' });
    await a.open();
    await expect(a.send(canFrame(0x800, [], { extended: false }))).rejects.toMatchObject({ kind: 'rejected' });
    await expect(a.send(canFrame(1, [1, 2, 3, 4, 5, 6, 7, 8, 9]))).rejects.toBeInstanceOf(DeviceError);
    await expect(a.send(canFrame(0x20000000, []))).rejects.toMatchObject({ kind: 'rejected' });
    expect(() => bus.inject(canFrame(-1, []))).toThrow(DeviceError);
  });

  it('ids above 0x7FF are extended unless said otherwise', () => {
    expect(canFrame(0x7ff, []).extended).toBe(false);
    expect(canFrame(0x800, []).extended).toBe(true);
    expect(canFrame(0x10, [], { extended: true }).extended).toBe(true);
  });

  it('bringDown closes open endpoints and fires onDown once with the reason; a listener that throws does not stop others', async () => {
    const errors: unknown[] = [];
    const bus = new VirtualCanBus({ onListenerError: (e) => errors.push(e) });
    const a = bus.attach('station a');
    const idle = bus.attach('idle');
    await a.open();
    const reasons: string[] = [];
    const idleReasons: string[] = [];
    a.onDown(() => {
      throw new Error('listener bug');
    });
    a.onDown((r) => reasons.push(r));
    idle.onDown((r) => idleReasons.push(r));
    bus.bringDown('bus-off');
    bus.bringDown('again');
    expect(reasons).toEqual(['station a: bus-off']);
    expect(idleReasons).toEqual([]);
    expect(a.isOpen).toBe(false);
    expect(errors).toHaveLength(1);
    await a.open();
    expect(a.isOpen).toBe(true);
  });

  it('inject and tap see the bus from outside; an unsubscribed listener hears nothing more', async () => {
    const { bus, a, b } = await createCanBusPair();
    const tapped: number[] = [];
    bus.tap((f) => tapped.push(f.id));
    const atA: number[] = [];
    const off = a.onFrame((f) => atA.push(f.id));
    bus.inject(canFrame(0x35e, [0x50, 0x59, 0x4c, 0x4f, 0x4e]));
    await until(() => atA.length === 1, 'inject');
    off();
    await b.send(canFrame(0x305, []));
    await until(() => tapped.length === 2, 'tap');
    expect(atA).toEqual([0x35e]);
    expect(tapped).toEqual([0x35e, 0x305]);
    expect(bus.openEndpoints).toBe(2);
    await a.close();
    expect(bus.openEndpoints).toBe(1);
  });
});
