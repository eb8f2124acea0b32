import { discoverKasa, encodeTdpDatagram } from '@sps/device-kasa';
import { createSocket } from 'node:dgram';
import { cleanUp, startKlap, startXor } from './helpers';

afterEach(cleanUp);

// No broadcast in tests: the probes go unicast to 127.0.0.1, on the simulators' UDP ports.
describe('discoverKasa (unicast to loopback)', () => {
  it('finds a legacy plug on the XOR port and a KLAP plug on the TDP port', async () => {
    const xor = await startXor({ profile: 'hs110v2', plug: { alias: 'Kettle' } });
    const klap = await startKlap({ profile: 'p110' });
    const legacyPort = await xor.sim.startDiscovery({ host: '127.0.0.1', port: 0 });
    const tdpPort = await klap.sim.startDiscovery({ host: '127.0.0.1', port: 0 });
    const result = await discoverKasa({ target: '127.0.0.1', legacyPort, tdpPort, timeoutMs: 300, probes: 2 });
    const byTransport = new Map(result.plugs.map((p) => [p.transport, p]));
    expect(byTransport.get('xor')).toMatchObject({
      host: '127.0.0.1',
      port: 9999,
      model: 'HS110(EU)',
      alias: 'Kettle',
    });
    expect(byTransport.get('klap')).toMatchObject({
      host: '127.0.0.1',
      port: klap.port,
      model: 'P110',
      deviceType: 'SMART.TAPOPLUG',
      loginVersion: 2,
    });
    expect(result.plugs).toHaveLength(2);
    expect(result.skipped).toEqual([]);
  });

  it('reports an answer it cannot use instead of failing', async () => {
    const responder = createSocket('udp4');
    responder.on('message', (_datagram, remote) => {
      const aes = {
        error_code: 0,
        result: { device_type: 'SMART.IPCAMERA', device_model: 'C200', mgt_encrypt_schm: { encrypt_type: 'AES' } },
      };
      responder.send(encodeTdpDatagram(aes), remote.port, remote.address);
    });
    await new Promise<void>((resolve) => responder.bind(0, '127.0.0.1', resolve));
    try {
      const result = await discoverKasa({
        target: '127.0.0.1',
        legacyPort: 9, // discard port: nothing answers
        tdpPort: responder.address().port,
        timeoutMs: 200,
        probes: 1,
      });
      expect(result.plugs).toEqual([]);
      expect(result.skipped).toEqual([expect.stringContaining('C200 at 127.0.0.1 uses the AES scheme')]);
    } finally {
      await new Promise<void>((resolve) => responder.close(() => resolve()));
    }
  });
});
