import { parseStuderConnection, varioTrackAddresses } from '@sps/device-studer';

describe('parseStuderConnection', () => {
  it('fills the defaults of Studer’s address table and the request discipline', () => {
    const c = parseStuderConnection({ transport: 'socketcand', host: '192.168.1.80' });
    expect(c).toMatchObject({
      port: 29536,
      interface: 'can0',
      source_address: 0,
      xtender_address: 101,
      variotrack_address: 301,
      variotrack_count: 1,
      battery_nominal_voltage: 48,
      timeout_ms: 1000,
      min_gap_ms: 50,
    });
    expect(varioTrackAddresses({ ...c, variotrack_count: 3 })).toEqual([301, 302, 303]);
  });

  it('names the field that is wrong', () => {
    expect(() => parseStuderConnection({ transport: 'socketcand' })).toThrow(/^connection\.host: /);
    expect(() => parseStuderConnection({ transport: 'socketcand', host: 'h', xtender_address: 7 })).toThrow(
      /^connection\.xtender_address: /,
    );
    expect(() =>
      parseStuderConnection({ transport: 'socketcand', host: 'h', variotrack_address: 314, variotrack_count: 3 }),
    ).toThrow(/^connection\.variotrack_count: .*315/);
    expect(() => parseStuderConnection({ transport: 'candump', file: '/x.log' })).toThrow(
      /^connection\.transport: .*candump replay cannot answer/,
    );
    expect(() => parseStuderConnection({ transport: 'socketcand', host: 'h', baud: 500000 })).toThrow(/baud/);
  });
});
