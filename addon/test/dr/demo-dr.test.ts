import { silentLogger } from '../../src/logger';
import { startDemo } from '../../src/cli/demo-runtime';

describe('the demo without Mosquitto', () => {
  it('says so and runs without demand response', async () => {
    const demo = await startDemo({
      logger: silentLogger(),
      httpPort: 0,
      demandResponse: true,
      mosquittoBinary: '/no/such/dir/mosquitto',
    });
    try {
      expect(demo.dr).toMatchObject({ brokerUrl: null, eventId: null });
      expect(demo.dr.note).toBe(
        'demand response off: mosquitto is not installed (apt-get install mosquitto, as the README setup does)',
      );
      expect(demo.runtime.dr).toBeUndefined();
      expect(demo.config.aggregator).toBeUndefined();
    } finally {
      await demo.stop();
    }
  }, 60_000);
});
