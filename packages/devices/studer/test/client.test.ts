import { createCanBusPair, type CanBus, type CanFrame } from '@sps/can';
import { DeviceError, ManualClock } from '@sps/core';
import {
  decodeRequestFrame,
  encodeResponseFrame,
  StuderXcomClient,
  type XcomRequest,
  type XcomResponse,
} from '@sps/device-studer';

const XT = 101;

/** A scripted device on the other end of a virtual bus: it records requests and answers as told. */
async function setup(options: { retries?: number } = {}) {
  const { a, b } = await createCanBusPair(['client', 'device']);
  const timers = new ManualClock();
  const client = new StuderXcomClient({ bus: a, sourceAddress: 0, timers, minGapMs: 50, ...options });
  await client.open();
  const requests: XcomRequest[] = [];
  let answer: (req: XcomRequest) => XcomResponse | null = (req) =>
    req.service === 'read_user_info' ? { kind: 'value', service: req.service, object: req.object, value: 52.5 } : null;
  b.onFrame((frame: CanFrame) => {
    const decoded = decodeRequestFrame(frame);
    if (!decoded.ok) return;
    requests.push(decoded.value.body);
    const response = answer(decoded.value.body);
    if (response) void b.send(encodeResponseFrame(XT, decoded.value.source, response));
  });
  return {
    client,
    device: b,
    timers,
    requests,
    answerWith: (fn: typeof answer) => (answer = fn),
  };
}

/** Let microtasks (the virtual bus delivers in one) run without moving time. */
const settle = async (clock: ManualClock): Promise<void> => clock.advance(0);

async function pollUntil(clock: ManualClock, done: () => boolean, stepMs = 10): Promise<void> {
  for (let i = 0; i < 10_000 && !done(); i++) await clock.advance(stepMs);
  if (!done()) throw new Error('condition never met');
}

describe('StuderXcomClient', () => {
  it('reads a user info and keeps the gap before the next request', async () => {
    const { client, timers, requests } = await setup();
    const first = client.readUserInfo(XT, 3000);
    await settle(timers);
    await expect(first).resolves.toBe(52.5);
    const second = client.readUserInfo(XT, 3007);
    await timers.advance(49);
    expect(requests).toHaveLength(1); // still inside the 50 ms gap
    await timers.advance(1);
    await expect(second).resolves.toBe(52.5);
    expect(requests).toHaveLength(2);
    await client.close();
  });

  it('has one request in flight: a second waits until the first is answered', async () => {
    const { client, timers, requests, answerWith } = await setup();
    answerWith(() => null); // silent until told otherwise
    const one = client.readUserInfo(XT, 3000);
    const two = client.readUserInfo(XT, 3005);
    await timers.advance(500);
    expect(requests.map((r) => r.object)).toEqual([3000]);
    answerWith((req) => ({ kind: 'value', service: 'read_user_info', object: req.object, value: req.object }));
    await pollUntil(timers, () => requests.length >= 3);
    await expect(one).resolves.toBe(3000); // the first retry (after 1 s) was answered
    await pollUntil(timers, () => requests.some((r) => r.object === 3005));
    await expect(two).resolves.toBe(3005);
    await client.close();
  });

  it('retries twice on timeout, then fails with a timeout naming the object', async () => {
    const { client, timers, requests, answerWith } = await setup();
    answerWith(() => null);
    const result = client.readUserInfo(XT, 3000).catch((e: unknown) => e);
    await pollUntil(timers, () => client.stats.timeouts === 3, 100);
    const error = (await result) as DeviceError;
    expect(error).toBeInstanceOf(DeviceError);
    expect(error.kind).toBe('timeout');
    expect(error.message).toMatch(/user info 3000 within 1000 ms/);
    expect(requests).toHaveLength(3);
    expect(client.stats.retries).toBe(2);
    await client.close();
  });

  it('a write that times out is not sent again (it may have reached the flash)', async () => {
    const { client, timers, requests, answerWith } = await setup();
    answerWith(() => null);
    const result = client.writeParameter(XT, 1138, 50).catch((e: unknown) => e);
    await pollUntil(timers, () => client.stats.timeouts === 1, 100);
    expect(((await result) as DeviceError).kind).toBe('timeout');
    await timers.advance(5000);
    expect(requests).toHaveLength(1);
    expect(client.stats.retries).toBe(0);
    await client.close();
  });

  it('ignores and counts a stray answer (other object, other device, late), then takes the right one', async () => {
    const { client, device, timers, answerWith } = await setup();
    answerWith(() => null);
    const pending = client.readUserInfo(XT, 3000);
    await settle(timers);
    const wrongObject: XcomResponse = { kind: 'value', service: 'read_user_info', object: 3007, value: 80 };
    await device.send(encodeResponseFrame(XT, 0, wrongObject));
    await device.send(
      encodeResponseFrame(301, 0, { kind: 'value', service: 'read_user_info', object: 3000, value: 1 }),
    );
    await device.send(encodeResponseFrame(XT, 7, { kind: 'value', service: 'read_user_info', object: 3000, value: 2 }));
    await settle(timers);
    expect(client.stats.strayAnswers).toBe(2); // the one to address 7 is not ours at all
    await device.send(
      encodeResponseFrame(XT, 0, { kind: 'value', service: 'read_user_info', object: 3000, value: 51 }),
    );
    await settle(timers);
    await expect(pending).resolves.toBe(51);
    // A late duplicate after it settled is stray too.
    await device.send(
      encodeResponseFrame(XT, 0, { kind: 'value', service: 'read_user_info', object: 3000, value: 51 }),
    );
    await settle(timers);
    expect(client.stats.strayAnswers).toBe(3);
    await client.close();
  });

  it('a device error is a DeviceError: busy is retried, a refusal is not', async () => {
    const { client, timers, requests, answerWith } = await setup();
    let busy = 1;
    answerWith((req) => {
      if (req.service !== 'write_parameter') return null;
      if (busy-- > 0)
        return { kind: 'error', service: req.service, object: req.object, code: 0x13, name: 'GATEWAY_BUSY' };
      return { kind: 'error', service: req.service, object: req.object, code: 0x28, name: 'DATA_TOO_BIG' };
    });
    const result = client.writeParameter(XT, 1138, 500).catch((e: unknown) => e);
    await pollUntil(timers, () => requests.length === 2);
    const error = (await result) as DeviceError;
    expect(error.kind).toBe('rejected');
    expect(error.message).toMatch(/DATA_TOO_BIG/);
    expect(requests).toHaveLength(2);
    await client.close();
  });

  it('close() mid-request rejects it and the queued ones with not_connected, and leaves no timer', async () => {
    const { client, timers, answerWith } = await setup();
    answerWith(() => null);
    const one = client.readUserInfo(XT, 3000).catch((e: unknown) => e);
    const two = client.readUserInfo(XT, 3001).catch((e: unknown) => e);
    await settle(timers);
    await client.close();
    expect(((await one) as DeviceError).kind).toBe('not_connected');
    expect(((await two) as DeviceError).kind).toBe('not_connected');
    expect(timers.pendingTimers).toBe(0);
  });

  it('a bus that goes down fails the request in flight with connection_lost', async () => {
    const { bus, a } = await createCanBusPair();
    const timers = new ManualClock();
    const client = new StuderXcomClient({ bus: a as CanBus, sourceAddress: 0, timers });
    await client.open();
    const pending = client.readUserInfo(XT, 3000).catch((e: unknown) => e);
    await timers.advance(0);
    bus.bringDown('cable pulled');
    expect(((await pending) as DeviceError).kind).toBe('connection_lost');
    const next = await client.readUserInfo(XT, 3000).catch((e: unknown) => e);
    expect((next as DeviceError).kind).toBe('not_connected');
    await client.close();
  });
});
