import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { DecodeError } from '@sps/core';
import {
  decodeAuthChallenge,
  decodeDeviceInfo,
  decodeGen1Status,
  decodeGen2Status,
  decodeRpcInbound,
  digestHa1,
  httpAuthorization,
  mergeStatus,
  parseDigestHeader,
  parseHttpChallenge,
  parseShellyConnection,
  rpcAuthObject,
  stateToReadings,
  verifyHttpAuthorization,
  verifyRpcAuth,
} from '@sps/device-shelly';

const fixture = (name: string): string => readFileSync(join(__dirname, 'fixtures', name), 'utf8');
const json = (name: string): { shelly: unknown; status: Record<string, unknown> } =>
  JSON.parse(fixture(name)) as { shelly: unknown; status: Record<string, unknown> };
const sha = (s: string): string => createHash('sha256').update(s).digest('hex');

/** Runs `fn`; anything thrown must be a DecodeError. */
function onlyDecodeErrors(fn: () => unknown): void {
  try {
    fn();
  } catch (err) {
    if (!(err instanceof DecodeError)) throw err;
  }
}

describe('real device status dumps (aioshelly fixtures, Apache-2.0)', () => {
  it('Plus Plug S: switch:0 becomes channel readings in W, V, A and Wh', () => {
    const f = json('plus-plug-s.json');
    expect(decodeDeviceInfo(f.shelly)).toMatchObject({
      generation: 2,
      model: 'SNPL-00112EU',
      app: 'PlusPlugS',
      deviceId: 'shellyplusplugs-aabbccddeeff',
      firmware: '1.1.0',
      authEnabled: false,
    });
    const values = stateToReadings(decodeGen2Status(f.status));
    expect(values).toEqual({
      switch_0: true,
      power_0: 2.7,
      voltage_0: 227.9,
      current_0: 0.121,
      // aenergy.total is Wh already (by_minute would be mWh).
      energy_0: 7258.589,
      temperature_0: 32.1,
    });
  });

  it('Pro 3EM: total_act_power is grid_power, EMData totals are Wh', () => {
    const f = json('pro-3em.json');
    const state = decodeGen2Status(f.status);
    expect(state.switches).toEqual([]);
    const values = stateToReadings(state);
    expect(values).toMatchObject({
      grid_power: 558.965,
      export_power: 0,
      grid_import_energy: 2589773.39,
      grid_export_energy: 1026.61,
      phase_a_power: 375.5,
      phase_b_voltage: 229.0,
      phase_c_current: 0.428,
      phase_c_export_energy: 985.91,
    });
  });

  it('Gen1 Plug S: meter total in watt-minutes becomes Wh', () => {
    const f = json('plug-s-gen1.json');
    const identity = decodeDeviceInfo(f.shelly);
    expect(identity).toMatchObject({ generation: 1, model: 'SHPLG-S', numOutputs: 1, numMeters: 1 });
    const values = stateToReadings(decodeGen1Status(f.status, identity.model));
    expect(values.switch_0).toBe(false);
    expect(values.power_0).toBe(0);
    expect(values.energy_0).toBeCloseTo(2632 / 60, 3);
    expect(values.temperature_0).toBe(24.14);
  });

  it('the real 401 frame carries a usable digest challenge', () => {
    const frame = decodeRpcInbound(fixture('auth-failure-frame.txt').trim());
    expect(frame).toMatchObject({ kind: 'error', id: 18, code: 401 });
    if (frame.kind !== 'error') throw new Error('expected an error frame');
    expect(decodeAuthChallenge(frame.message)).toEqual({
      realm: 'shellyplus2pm-485519992590',
      nonce: 1725185413,
      nc: 1,
      algorithm: 'SHA-256',
    });
  });
});

describe('digest authentication (SHA-256)', () => {
  it('builds the RPC auth object as Shelly documents it', () => {
    const challenge = { realm: 'shellyplus2pm-485519992590', nonce: 1725185413, nc: 1, algorithm: 'SHA-256' };
    const auth = rpcAuthObject(challenge, 'secret', 12345);
    const ha1 = sha('admin:shellyplus2pm-485519992590:secret');
    const ha2 = sha('dummy_method:dummy_uri');
    expect(auth).toEqual({
      realm: challenge.realm,
      username: 'admin',
      nonce: 1725185413,
      cnonce: 12345,
      response: sha(`${ha1}:1725185413:1:12345:auth:${ha2}`),
      algorithm: 'SHA-256',
    });
    expect(digestHa1(challenge.realm, 'secret')).toBe(ha1);
  });

  it('an auth object verifies with its password and no other', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1 }),
        fc.string({ minLength: 1 }),
        fc.string({ minLength: 1, maxLength: 40 }),
        fc.nat(),
        fc.nat(),
        (password, other, realm, nonce, cnonce) => {
          const auth = rpcAuthObject({ realm, nonce, nc: 1, algorithm: 'SHA-256' }, password, cnonce);
          expect(verifyRpcAuth(auth, password)).toBe(true);
          if (other !== password) expect(verifyRpcAuth(auth, other)).toBe(false);
        },
      ),
    );
  });

  it('answers an HTTP WWW-Authenticate challenge (RFC 7616, qop=auth, nc as 8 hex digits)', () => {
    const challenge = parseHttpChallenge(
      'Digest qop="auth", realm="shellypro4pm-aabbccddeeff", nonce="6634a1f2", algorithm=SHA-256',
    );
    expect(challenge).toEqual({
      realm: 'shellypro4pm-aabbccddeeff',
      nonce: '6634a1f2',
      algorithm: 'SHA-256',
      qop: 'auth',
    });
    const header = httpAuthorization({ challenge, password: 'pw', method: 'POST', uri: '/rpc', nc: 3, cnonce: 'abc' });
    const p = parseDigestHeader(header);
    expect(p).toMatchObject({ username: 'admin', nc: '00000003', qop: 'auth', uri: '/rpc', algorithm: 'SHA-256' });
    const ha1 = sha('admin:shellypro4pm-aabbccddeeff:pw');
    expect(p.response).toBe(sha(`${ha1}:6634a1f2:00000003:abc:auth:${sha('POST:/rpc')}`));
    expect(verifyHttpAuthorization(header, 'pw', 'POST')).not.toBeNull();
    expect(verifyHttpAuthorization(header, 'other', 'POST')).toBeNull();
    expect(verifyHttpAuthorization(header, 'pw', 'GET')).toBeNull();
  });

  it('refuses challenges it cannot answer, with the reason', () => {
    expect(() => parseHttpChallenge('Basic realm="x"')).toThrow(DecodeError);
    expect(() => parseHttpChallenge('Digest realm="x", nonce="1", algorithm=MD5')).toThrow(/MD5 is not supported/);
    expect(() => parseHttpChallenge('Digest realm="x"')).toThrow(/realm and nonce/);
    expect(() => decodeAuthChallenge('{"auth_type":"digest","nonce":1,"realm":"r","algorithm":"MD5"}')).toThrow(/MD5/);
  });

  it('random headers and challenge messages never crash the parsers', () => {
    fc.assert(
      fc.property(fc.string(), (text) => {
        onlyDecodeErrors(() => parseDigestHeader(text));
        onlyDecodeErrors(() => parseHttpChallenge(`Digest ${text}`));
        onlyDecodeErrors(() => decodeAuthChallenge(text));
        expect(verifyHttpAuthorization(text, 'pw', 'POST')).toBeNull();
      }),
    );
  });
});

describe('decoders under random and malformed input', () => {
  const anyJson = fc.jsonValue();

  it('RPC frames: random text and random JSON give a frame or a DecodeError', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          anyJson.map((v) => JSON.stringify(v)),
        ),
        (text) => {
          onlyDecodeErrors(() => decodeRpcInbound(text));
        },
      ),
    );
  });

  it('status and identity decoders: random JSON never crashes them', () => {
    fc.assert(
      fc.property(anyJson, (value) => {
        onlyDecodeErrors(() => decodeGen2Status(value));
        onlyDecodeErrors(() => decodeGen1Status(value, 'SHEM-3'));
        onlyDecodeErrors(() => decodeDeviceInfo(value));
      }),
    );
  });

  it('status with random component values: a result or a DecodeError naming the component', () => {
    const key = fc.constantFrom('switch:0', 'switch:3', 'em:0', 'emdata:0', 'em1:1', 'em1data:1', 'sys');
    fc.assert(
      fc.property(fc.dictionary(key, anyJson), (status) => {
        try {
          const state = decodeGen2Status(status);
          const values = stateToReadings(state);
          for (const v of Object.values(values)) expect(['number', 'boolean', 'object']).toContain(typeof v);
        } catch (err) {
          expect(err).toBeInstanceOf(DecodeError);
          expect((err as Error).message).toMatch(/^Shelly\.GetStatus: (switch|em|emdata|em1|em1data):\d/);
        }
      }),
    );
  });

  it('truncations of a real status are decoded or refused, never crash', () => {
    const text = JSON.stringify(json('pro-3em.json').status);
    fc.assert(
      fc.property(fc.nat({ max: text.length }), (cut) => {
        onlyDecodeErrors(() => decodeRpcInbound(`{"id":1,"result":${text.slice(0, cut)}}`));
      }),
    );
  });

  it('a wrongly typed field is refused with the field named', () => {
    expect(() => decodeGen2Status({ 'switch:0': { id: 0, output: 'on' } })).toThrow(/switch:0\.output/);
    expect(() => decodeGen2Status({ 'em:0': { total_act_power: '5' } })).toThrow(/em:0\.total_act_power/);
    expect(() => decodeGen1Status({ relays: [{ ison: 1 }] }, 'SHPLG-S')).toThrow(/relays\.0\.ison/);
    expect(() => decodeDeviceInfo({ gen: 2, id: 'x', mac: 'y' })).toThrow(/\/shelly: model/);
  });
});

describe('NotifyStatus overlay and readings', () => {
  it('merges nested deltas without touching the inputs', () => {
    const base = {
      'switch:0': { id: 0, output: false, apower: 0, aenergy: { total: 10, minute_ts: 1 } },
      sys: { uptime: 1 },
    };
    const delta = { ts: 1700000000.5, 'switch:0': { id: 0, output: true, aenergy: { total: 11 } } };
    const merged = mergeStatus(base, delta);
    expect(merged).toEqual({
      'switch:0': { id: 0, output: true, apower: 0, aenergy: { total: 11, minute_ts: 1 } },
      sys: { uptime: 1 },
    });
    expect(base['switch:0'].output).toBe(false);
  });

  it('grid sign: negative total power is export', () => {
    const state = decodeGen2Status({ 'em:0': { total_act_power: -742.5 } });
    expect(stateToReadings(state)).toMatchObject({ grid_power: -742.5, export_power: 742.5 });
  });

  it('invalid Gen1 meters report nothing rather than zero', () => {
    const state = decodeGen1Status(
      { relays: [{ ison: true }], meters: [{ power: 0, is_valid: false, total: 0 }] },
      'SHPLG-S',
    );
    expect(stateToReadings(state)).toEqual({ switch_0: true });
  });
});

describe('connection options', () => {
  it('fills defaults and accepts the forms config.yaml and the CLI send', () => {
    expect(parseShellyConnection({ host: '10.0.0.5' })).toEqual({
      host: '10.0.0.5',
      port: 80,
      username: 'admin',
      generation: 'auto',
      transport: 'websocket',
      meter_channel: 0,
      timeout_ms: 3000,
    });
    expect(parseShellyConnection({ host: 'h', port: '8080', channels: '2, 0', generation: 1 })).toMatchObject({
      port: 8080,
      channels: [0, 2],
      generation: '1',
    });
    expect(parseShellyConnection({ host: 'h', channels: 3 }).channels).toEqual([3]);
  });

  it('names the bad field', () => {
    expect(() => parseShellyConnection({ host: 'h', port: 0 })).toThrow(/^connection\.port: /);
    expect(() => parseShellyConnection({ host: 'h', channels: 'a,b' })).toThrow(/^connection\.channels: /);
    expect(() => parseShellyConnection({ host: 'h', transport: 'mqtt' })).toThrow(/^connection\.transport: /);
    expect(() => parseShellyConnection({ host: 'h', colour: 'red' })).toThrow(/^connection\.colour: unknown field/);
    expect(() => parseShellyConnection({})).toThrow(/^connection\.host: /);
  });
});
