import fc from 'fast-check';
import { DecodeError } from '@sps/core';
import {
  decodeIotRealtime,
  decodeIotSysinfo,
  decodeLegacyDiscoveryAnswer,
  decodeLegacyDiscoveryRequest,
  decodeSmartDeviceInfo,
  decodeSmartEnergy,
  decodeSmartResponse,
  decodeTdpAnswer,
  decodeTdpDatagram,
  decodeXorFrame,
  encodeLegacyDiscoveryAnswer,
  encodeLegacyDiscoveryRequest,
  encodeTdpDatagram,
  encodeTdpProbe,
  encodeXorFrame,
  IOT_POLL_REQUEST,
  iotChildCount,
  iotMethodResult,
  isModuleUnsupported,
  KlapCipherSession,
  klapAuthHash,
  klapClientHash,
  klapServerHash,
  snapshotReadings,
  splitHandshake1,
  XorFrameReader,
  xorDecrypt,
  xorEncrypt,
} from '@sps/device-kasa';

/** Calls `fn` and accepts only success or a DecodeError: anything else is a crash. */
function onlyDecodeErrors(fn: () => unknown): void {
  try {
    fn();
  } catch (err) {
    if (!(err instanceof DecodeError)) throw err;
  }
}

const jsonValue = fc.jsonValue();

describe('XOR autokey cipher and frames', () => {
  it('starts the key at 171 and chains each ciphertext byte as the next key', () => {
    // '{' 0x7b ^ 171 = 0xd0; '"' 0x22 ^ 0xd0 = 0xf2; 's' 0x73 ^ 0xf2 = 0x81 — worked by hand from §3.1.
    const cipher = xorEncrypt(Buffer.from('{"s'));
    expect([...cipher]).toEqual([0xd0, 0xf2, 0x81]);
  });

  it('round-trips any bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2048 }), (bytes) => {
        expect(Buffer.compare(xorDecrypt(xorEncrypt(bytes)), Buffer.from(bytes))).toBe(0);
      }),
    );
  });

  it('frames carry a big-endian length and survive any split of the TCP stream', () => {
    fc.assert(
      fc.property(
        fc.array(fc.string({ maxLength: 300 }), { minLength: 1, maxLength: 5 }),
        fc.integer({ min: 1, max: 64 }),
        (texts, cut) => {
          const stream = Buffer.concat(texts.map(encodeXorFrame));
          const reader = new XorFrameReader();
          const out: string[] = [];
          for (let i = 0; i < stream.length; i += cut) out.push(...reader.push(stream.subarray(i, i + cut)));
          expect(out).toEqual(texts);
          expect(reader.pendingBytes).toBe(0);
        },
      ),
    );
    const frame = encodeXorFrame('{}');
    expect(frame.readUInt32BE(0)).toBe(2);
    expect(decodeXorFrame(frame)).toBe('{}');
  });

  it('random bytes never crash the frame reader: frames or DecodeError', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => onlyDecodeErrors(() => decodeXorFrame(bytes))));
  });

  it('an HTTP server on the port is named as such', () => {
    expect(() => new XorFrameReader().push(Buffer.from('HTTP/1.1 400 Bad Request\r\n'))).toThrow(/like an HTTP server/);
    expect(() => decodeXorFrame(Buffer.from([0, 0, 0, 9, 1]))).toThrow(/incomplete XOR frame/);
  });
});

describe('IOT dialect', () => {
  const sysinfo = {
    model: 'HS110(EU)',
    alias: 'Station charger',
    sw_ver: '1.5.10',
    hw_ver: '2.0',
    deviceId: 'ABC',
    mac: '50:C7:BF:00:00:01',
    relay_state: 1,
    on_time: 42,
    rssi: -60,
    feature: 'TIM:ENE',
    err_code: 0,
  };

  it('normalises both emeter generations to W, V, A, Wh', () => {
    const v1 = decodeIotRealtime({ power: 642.5, voltage: 239.4, current: 2.683793, total: 12.345, err_code: 0 });
    const v2 = decodeIotRealtime({
      power_mw: 642500,
      voltage_mv: 239400,
      current_ma: 2684,
      total_wh: 12345,
      err_code: 0,
    });
    for (const m of [v1, v2]) {
      expect(m).toMatchObject({ powerW: 642.5, voltageV: 239.4, energyWh: 12345 });
      expect(m.currentA).toBeCloseTo(2.684, 3);
    }
    expect(decodeIotRealtime({ power_mw: 1500 })).toMatchObject({
      powerW: 1.5,
      voltageV: null,
      currentA: null,
      energyWh: null,
    });
    expect(() => decodeIotRealtime({ power: 'lots' })).toThrow(/neither power_mw .* nor power/);
  });

  it('decodes sysinfo: relay, identity, meter feature', () => {
    const s = decodeIotSysinfo(sysinfo);
    expect(s).toMatchObject({ relayOn: true, onTimeS: 42, rssiDbm: -60 });
    expect(s.identity).toMatchObject({
      model: 'HS110(EU)',
      serial: 'ABC',
      hardware: '2.0',
      hasMeterFeature: true,
      dialect: 'iot',
    });
    expect(decodeIotSysinfo({ ...sysinfo, feature: 'TIM', relay_state: 0 }).identity.hasMeterFeature).toBe(false);
  });

  it('names the field of a malformed sysinfo', () => {
    expect(() => decodeIotSysinfo({ ...sysinfo, relay_state: 'on' })).toThrow(/system\.get_sysinfo\.relay_state/);
    expect(iotChildCount({ ...sysinfo, children: [{ id: '00' }, { id: '01' }] })).toBe(2);
    expect(iotChildCount(sysinfo)).toBe(0);
  });

  it('finds module- and method-level errors', () => {
    const noMeter = { system: { get_sysinfo: sysinfo }, emeter: { err_code: -1, err_msg: 'module not support' } };
    const result = iotMethodResult(noMeter, 'emeter', 'get_realtime');
    expect(result).toEqual({ ok: false, error: { code: -1, message: 'module not support' } });
    if (!result.ok) expect(isModuleUnsupported(result.error)).toBe(true);
    expect(
      iotMethodResult(
        { system: { set_relay_state: { err_code: -3, err_msg: 'invalid argument' } } },
        'system',
        'set_relay_state',
      ),
    ).toMatchObject({ ok: false });
    expect(() => iotMethodResult({ emeter: {} }, 'system', 'get_sysinfo')).toThrow(/no "system" module/);
    expect(() => iotMethodResult([], 'system', 'get_sysinfo')).toThrow(DecodeError);
  });

  it('random JSON never crashes the IOT decoders', () => {
    fc.assert(
      fc.property(jsonValue, (value) => {
        onlyDecodeErrors(() => iotMethodResult(value, 'system', 'get_sysinfo'));
        onlyDecodeErrors(() => decodeIotSysinfo(value));
        onlyDecodeErrors(() => decodeIotRealtime(value));
      }),
    );
    // Random values in the right places.
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom(...Object.keys(sysinfo)), jsonValue), (patch) => {
        onlyDecodeErrors(() => decodeIotSysinfo({ ...sysinfo, ...patch }));
      }),
    );
  });

  it('the poll asks for sysinfo and the meter in one request', () => {
    expect(IOT_POLL_REQUEST).toEqual({ system: { get_sysinfo: {} }, emeter: { get_realtime: {} } });
  });
});

describe('SMART dialect', () => {
  it('reads the envelope and its error codes', () => {
    expect(decodeSmartResponse('{"error_code":0,"result":{"a":1}}')).toEqual({ ok: true, result: { a: 1 } });
    expect(decodeSmartResponse('{"error_code":-1002}')).toEqual({
      ok: false,
      code: -1002,
      message: 'method not supported',
    });
    expect(() => decodeSmartResponse('{"result":{}}')).toThrow(/SMART answer\.error_code/);
    expect(() => decodeSmartResponse('<html>')).toThrow(/not JSON/);
  });

  it('decodes device info with the base64 nickname and energy in mW', () => {
    const s = decodeSmartDeviceInfo(
      {
        device_on: false,
        model: 'P110',
        device_id: 'D1',
        fw_ver: '1.3.1',
        hw_ver: '1.0',
        nickname: 'UGx1Zw==',
        on_time: 0,
        rssi: -50,
      },
      true,
    );
    expect(s).toMatchObject({ relayOn: false, onTimeS: 0, rssiDbm: -50 });
    expect(s.identity).toMatchObject({ model: 'P110', serial: 'D1', alias: 'Plug', dialect: 'smart' });
    const m = decodeSmartEnergy({ current_power: 74116, today_energy: 173, month_energy: 6110 }, null);
    expect(m).toEqual({
      powerW: 74.116,
      voltageV: null,
      currentA: null,
      energyWh: null,
      energyTodayWh: 173,
      energyMonthWh: 6110,
    });
    const withData = decodeSmartEnergy({ current_power: 1 }, { power_mw: 2000, voltage_mv: 230100, current_ma: 9 });
    expect(withData).toMatchObject({ powerW: 2, voltageV: 230.1, currentA: 0.009 });
    expect(() => decodeSmartDeviceInfo({ device_on: 1, model: 'P110' }, false)).toThrow(/get_device_info\.device_on/);
  });

  it('random text and JSON never crash the SMART decoders', () => {
    fc.assert(
      fc.property(fc.string(), jsonValue, jsonValue, (text, a, b) => {
        onlyDecodeErrors(() => decodeSmartResponse(text));
        onlyDecodeErrors(() => decodeSmartResponse(JSON.stringify(a)));
        onlyDecodeErrors(() => decodeSmartDeviceInfo(a, false));
        onlyDecodeErrors(() => decodeSmartEnergy(a, b));
      }),
    );
  });
});

describe('KLAP crypto', () => {
  // Vectors computed independently with Python's hashlib and `cryptography` from the derivation in §3.1.
  const local = Buffer.from([...Array(16).keys()]);
  const remote = Buffer.from([...Array(16).keys()].map((i) => i + 16));

  it('derives the auth hashes of both versions', () => {
    expect(klapAuthHash(1, 'user@example.com', 'secret').toString('hex')).toBe('9d6ce791ce44316e9e52fc1bc9d36496');
    expect(klapAuthHash(2, 'user@example.com', 'secret').toString('hex')).toBe(
      'b039216532fc844e9ae0cc8fe3ea911c9ba09c641bb96a3e1f776d93f7b5ae9b',
    );
  });

  it('derives the handshake hashes of both versions', () => {
    const v1 = klapAuthHash(1, 'user@example.com', 'secret');
    const v2 = klapAuthHash(2, 'user@example.com', 'secret');
    expect(klapServerHash(1, local, remote, v1).toString('hex')).toBe(
      'c2d456076f946c707000874d2e226a1c09e89a21e459272b8ec0f01cdaf774cf',
    );
    expect(klapServerHash(2, local, remote, v2).toString('hex')).toBe(
      '8ed3b905e654fbee23900d0244156a33029c025b71b03bfcc601eff33aaebb70',
    );
    expect(klapClientHash(1, local, remote, v1).toString('hex')).toBe(
      '50ef3325d42cd7c999aa9e47e8cb0f8a7f6f239f1d51b39d46d581a4bb75c8c5',
    );
    expect(klapClientHash(2, local, remote, v2).toString('hex')).toBe(
      '1e590e7a4dc128da48ed17e06fe23ddb6ec646bb6da2eb00708d590f194201d7',
    );
  });

  it('seals a request exactly as the reference derivation does', () => {
    const session = new KlapCipherSession(local, remote, klapAuthHash(2, 'user@example.com', 'secret'));
    expect(session.sequence).toBe(-903964344);
    const { seq, body } = session.encryptRequest('{"method":"get_device_info"}');
    expect(seq).toBe(-903964343);
    expect(body.toString('hex')).toBe(
      '81da24b0a1db4c9ec2fd895b347d416921d7f7a822457b501a52072e5f9acebf' +
        '1119b459358000bec16c976ef226a249c491bf18064c9319a51d85792116a683',
    );
  });

  it('both ends agree for any text; tampering or the wrong seq is a DecodeError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.string({ maxLength: 400 }), (seed, text) => {
        const auth = klapAuthHash(2, '', '');
        const client = new KlapCipherSession(seed, remote, auth);
        const device = new KlapCipherSession(seed, remote, auth);
        const { seq, body } = client.encryptRequest(text);
        expect(device.open(body, seq, true)).toBe(text);
        expect(client.open(device.seal(`answer ${text}`, seq), seq, false)).toBe(`answer ${text}`);
        const tampered = Buffer.from(body);
        tampered[tampered.length - 1] = (tampered[tampered.length - 1] as number) ^ 1;
        expect(() => device.open(tampered, seq, true)).toThrow(DecodeError);
        expect(() => device.open(body, seq + 1, true)).toThrow(/signature does not match/);
      }),
      { numRuns: 50 },
    );
  });

  it('random bodies never crash open(); handshake1 answers must be 48 bytes', () => {
    const session = new KlapCipherSession(local, remote, klapAuthHash(1, '', ''));
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.integer(), fc.boolean(), (bytes, seq, verify) =>
        onlyDecodeErrors(() => session.open(bytes, seq, verify)),
      ),
    );
    expect(() => splitHandshake1(Buffer.alloc(47))).toThrow(/47 bytes, expected 48/);
    expect(splitHandshake1(Buffer.alloc(48)).remoteSeed).toHaveLength(16);
  });
});

describe('discovery datagrams', () => {
  it('the legacy probe is the XOR get_sysinfo without a length prefix', () => {
    expect(decodeLegacyDiscoveryRequest(encodeLegacyDiscoveryRequest())).toEqual({ system: { get_sysinfo: {} } });
    const answer = encodeLegacyDiscoveryAnswer({
      system: {
        get_sysinfo: {
          model: 'HS110(EU)',
          alias: 'Kettle',
          deviceId: 'D',
          mac: 'M',
          type: 'IOT.SMARTPLUGSWITCH',
          relay_state: 1,
        },
      },
    });
    expect(decodeLegacyDiscoveryAnswer(answer, '10.0.0.7')).toMatchObject({
      host: '10.0.0.7',
      transport: 'xor',
      port: 9999,
      model: 'HS110(EU)',
      alias: 'Kettle',
      deviceType: 'IOT.SMARTPLUGSWITCH',
    });
  });

  it('TDP datagrams carry a checked CRC32 and length', () => {
    const probe = encodeTdpProbe('-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n', 0xdeadbeef);
    const { header, payload } = decodeTdpDatagram(probe);
    expect(header).toMatchObject({ version: 2, msgType: 0, opCode: 1, flags: 17, serial: 0xdeadbeef });
    expect(payload).toEqual({ params: { rsa_key: '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n' } });
    const flipped = Buffer.from(probe);
    flipped[20] = (flipped[20] as number) ^ 0x01;
    expect(() => decodeTdpDatagram(flipped)).toThrow(/CRC32/);
    expect(() => decodeTdpDatagram(probe.subarray(0, 10))).toThrow(/shorter than its 16-byte header/);
  });

  it('a TDP answer gives the KLAP port and login version; other schemes are named', () => {
    const answer = (scheme: Record<string, unknown>) =>
      encodeTdpDatagram({
        error_code: 0,
        result: {
          device_type: 'SMART.TAPOPLUG',
          device_model: 'P110M(AU)',
          device_id: 'X',
          ip: '10.0.0.8',
          mac: 'F0-09',
          mgt_encrypt_schm: scheme,
        },
      });
    expect(
      decodeTdpAnswer(answer({ encrypt_type: 'KLAP', http_port: 80, is_support_https: false, lv: 2 }), '10.0.0.8'),
    ).toMatchObject({
      transport: 'klap',
      port: 80,
      model: 'P110M',
      loginVersion: 2,
    });
    expect(() => decodeTdpAnswer(answer({ encrypt_type: 'AES', is_support_https: false }), '10.0.0.8')).toThrow(
      /uses the AES scheme/,
    );
  });

  it('random datagrams never crash the discovery decoders', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        onlyDecodeErrors(() => decodeLegacyDiscoveryAnswer(bytes, 'h'));
        onlyDecodeErrors(() => decodeTdpAnswer(bytes, 'h'));
        onlyDecodeErrors(() => decodeTdpDatagram(bytes));
      }),
    );
  });
});

describe('snapshot → readings', () => {
  it('uses the canonical load keys and leaves out what the plug lacks', () => {
    const identity = decodeIotSysinfo({ model: 'HS100', relay_state: 0 }).identity;
    expect(snapshotReadings({ identity, relayOn: false, onTimeS: null, rssiDbm: null, meter: null })).toEqual({
      relay_on: false,
    });
    const meter = decodeIotRealtime({ power_mw: 1000, voltage_mv: 230000, current_ma: 4, total_wh: 7 });
    expect(snapshotReadings({ identity, relayOn: true, onTimeS: 3, rssiDbm: -40, meter })).toEqual({
      relay_on: true,
      load_power: 1,
      voltage: 230,
      current: 0.004,
      load_energy: 7,
      on_time: 3,
      rssi: -40,
    });
  });
});
