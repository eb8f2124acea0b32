import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Clock } from '@sps/core';

/**
 * The off-grid demo's solar forecast, offline: a loopback server that answers Forecast.Solar's
 * `GET /estimate/watts/{lat}/{lon}/{dec}/{az}/{kWp}` (the format the add-on's `forecast_solar` source
 * reads: `{ result: { iso8601: W } }`, doc.forecast.solar) with the Studer simulator's own sun, so the
 * optimiser's PV forecast is what the simulated VarioTrack will produce (a forecast that is right,
 * which is what the off-grid plan's promise is about). The demo points `forecast.solar_base_url` here.
 */

const HOUR_MS = 3_600_000;
const STEP_MS = 15 * 60_000;
const DAYS = 2;

export interface OffGridSun {
  readonly url: string;
  close(): Promise<void>;
}

/** The Studer simulator's PV curve: a sine from 06:00 to 18:00 local time, its peak capped by the VT-65's 65 A. */
export function simulatedPvW(timeMs: number, utcOffsetHours: number, pvPeakW = 3400): number {
  const hour = ((((timeMs / HOUR_MS + utcOffsetHours) % 24) + 24) % 24) as number;
  const sun = hour > 6 && hour < 18 ? Math.sin((Math.PI * (hour - 6)) / 12) : 0;
  // 65 A into a bank near 51 V (the simulator caps at 65 A × its voltage).
  return Math.round(Math.min(pvPeakW * sun, 65 * 51));
}

export async function startOffGridSun(clock: Clock, utcOffsetHours: number): Promise<OffGridSun> {
  const server = http.createServer((req, res) => {
    if (req.method !== 'GET' || !/\/estimate\/watts\//.test(req.url ?? '')) {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ message: { code: 404, text: 'not found' } }));
      return;
    }
    const start = Math.floor(clock.now() / STEP_MS) * STEP_MS;
    const result: Record<string, number> = {};
    for (let t = start; t <= start + DAYS * 24 * HOUR_MS; t += STEP_MS) {
      result[new Date(t).toISOString()] = simulatedPvW(t, utcOffsetHours);
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ result, message: { code: 0, type: 'success', text: '' } }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
