import { canConnectionSchema, describeCanConnection } from '@sps/can';

describe('canConnectionSchema', () => {
  it('fills the defaults: port 29536, interface can0, replay speed 1', () => {
    expect(canConnectionSchema.parse({ transport: 'socketcand', host: '192.168.1.20' })).toEqual({
      transport: 'socketcand',
      host: '192.168.1.20',
      port: 29536,
      interface: 'can0',
      replay_speed: 1,
    });
  });

  it('accepts numbers as strings (CLI flags, HA str options)', () => {
    const parsed = canConnectionSchema.parse({ transport: 'candump', file: '/share/cap.log', replay_speed: '0' });
    expect(parsed.replay_speed).toBe(0);
    expect(canConnectionSchema.parse({ transport: 'socketcand', host: 'gw', port: '29537' }).port).toBe(29537);
  });

  it.each([
    [{ transport: 'socketcand' }, 'host'],
    [{ transport: 'candump' }, 'file'],
    [{ transport: 'serial' }, 'transport'],
    [{ transport: 'socketcand', host: 'gw', port: 70000 }, 'port'],
    [{ transport: 'socketcan', interface: 'a very long interface name' }, 'interface'],
    [{ transport: 'candump', file: 'x.log', replay_speed: -1 }, 'replay_speed'],
  ])('names the field that is wrong: %j', (input, field) => {
    const result = canConnectionSchema.safeParse(input);
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((i) => i.path.join('.'))).toContain(field);
  });

  it('describes a connection for reasons', () => {
    expect(describeCanConnection(canConnectionSchema.parse({ transport: 'socketcand', host: '127.0.0.1' }))).toBe(
      'socketcand 127.0.0.1:29536 can0',
    );
    expect(describeCanConnection(canConnectionSchema.parse({ transport: 'socketcan', interface: 'can1' }))).toBe(
      'socketcan can1',
    );
  });
});
