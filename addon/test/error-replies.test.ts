import { DeviceError } from '@sps/core';
import { DEVICE_BUSY_RETRY_AFTER_S, errorReply } from '../src/http/error-replies';

describe('errorReply', () => {
  it('answers a busy device with 503 and Retry-After: it is worth asking again shortly', () => {
    const reply = errorReply(
      new DeviceError('busy', 'Modbus exception 6 (server device busy) writing holding 13050←0'),
    );
    expect(reply).toEqual({
      status: 503,
      body: { error: 'busy: Modbus exception 6 (server device busy) writing holding 13050←0', kind: 'busy' },
      headers: { 'retry-after': String(DEVICE_BUSY_RETRY_AFTER_S) },
    });
  });

  it('keeps a refusal that can never succeed at 409, without Retry-After', () => {
    const reply = errorReply(new DeviceError('rejected', 'Modbus exception 3 (illegal data value)'));
    expect(reply.status).toBe(409);
    expect(reply.headers).toBeUndefined();
  });
});
