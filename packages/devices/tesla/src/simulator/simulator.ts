import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { isoUtc, systemClock, type Clock } from '@sps/core';
import { z } from 'zod';
import { EXPORT_RULES } from '../codec/responses.js';
import { TouSettingsBody } from '../tariff.js';
import { defaultSite, stepSite, type SimulatedSite } from './site.js';

/** A fault the next matching requests meet. */
export type SimulatedFault =
  | { readonly kind: 'status'; readonly status: number; readonly retryAfter?: string; readonly error?: string }
  | { readonly kind: 'delay'; readonly ms: number };

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly body: unknown;
}

export interface TeslemetrySimulatorOptions {
  readonly token?: string;
  /** A string: ids are compared as text, and sent as a JSON number as the real API does. */
  readonly siteId?: string;
  readonly site?: Partial<SimulatedSite>;
  readonly clock?: Clock;
}

const BackupBody = z.strictObject({ backup_reserve_percent: z.number().int().min(0).max(100) });
const OperationBody = z.strictObject({ default_real_mode: z.enum(['self_consumption', 'autonomous', 'backup']) });
const GridBody = z
  .strictObject({
    disallow_charge_from_grid_with_solar_installed: z.boolean().nullish(),
    customer_preferred_export_rule: z.enum(EXPORT_RULES).nullish(),
  })
  .refine((b) => Object.keys(b).length > 0, 'give at least one field');

/**
 * The Teslemetry / Fleet API energy endpoints on loopback: products, site_info, live_status,
 * calendar_history and the command endpoints (backup, operation, grid_import_export,
 * time_of_use_settings with its body validated against the tariff_content_v2 shape), answering in
 * the real envelopes. The site's physics (simulator/site.ts) advance with the clock at every
 * request. Tests inject faults (401, 429 + Retry-After, 5xx, slow answers) and read the requests.
 */
export class TeslemetrySimulator {
  readonly token: string;
  readonly siteId: string;
  readonly site: SimulatedSite;
  readonly requests: RecordedRequest[] = [];
  private readonly clock: Clock;
  private readonly faults: { match: string; fault: SimulatedFault; times: number }[] = [];
  private lastStep: number;
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(options: TeslemetrySimulatorOptions = {}) {
    this.token = options.token ?? 'sim-token';
    this.siteId = options.siteId ?? '90071992547409931';
    this.site = defaultSite(options.site);
    this.clock = options.clock ?? systemClock;
    this.lastStep = this.clock.now();
    stepSite(this.site, this.lastStep, 0);
  }

  get state(): SimulatedSite {
    return this.site;
  }

  /** The next `times` requests whose path contains `match` ('' = any) meet `fault`. */
  inject(fault: SimulatedFault, options: { match?: string; times?: number } = {}): void {
    this.faults.push({ match: options.match ?? '', fault, times: options.times ?? 1 });
  }

  /** POSTs that reached the site (faulted ones included), for tests. */
  writes(endpoint?: string): RecordedRequest[] {
    return this.requests.filter(
      (r) => r.method === 'POST' && (endpoint === undefined || r.path.endsWith(`/${endpoint}`)),
    );
  }

  async start(address: { host?: string; port?: number } = {}): Promise<number> {
    const server = createServer((req, res) => void this.handle(req, res));
    server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(address.port ?? 0, address.host ?? '127.0.0.1', () => resolve());
    });
    return (server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    const server = this.server;
    this.server = null;
    if (server === null) return;
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private advance(): void {
    const now = this.clock.now();
    const dt = Math.max(0, now - this.lastStep);
    // Long gaps are stepped in minutes so the reserve and a full battery stop the flows in time.
    for (let t = this.lastStep; t < now; t += 60_000)
      stepSite(this.site, Math.min(now, t + 60_000), Math.min(60_000, now - t));
    if (dt === 0) stepSite(this.site, now, 0);
    this.lastStep = now;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > 1_000_000) return send(res, 413, { response: null, error: 'body too large' });
      chunks.push(chunk);
    }
    const url = new URL(req.url ?? '/', 'http://sim');
    let body: unknown = null;
    const text = Buffer.concat(chunks).toString('utf8');
    if (text !== '') {
      try {
        body = JSON.parse(text);
      } catch {
        body = text;
      }
    }
    this.requests.push({ method: req.method ?? 'GET', path: url.pathname, body });
    const fault = this.takeFault(url.pathname);
    if (fault?.kind === 'delay') {
      await new Promise<void>((resolve) => {
        const t = setTimeout(() => {
          this.timers.delete(t);
          resolve();
        }, fault.ms);
        this.timers.add(t);
      });
      if (res.destroyed) return;
    } else if (fault?.kind === 'status') {
      const headers: Record<string, string> = fault.retryAfter === undefined ? {} : { 'retry-after': fault.retryAfter };
      return send(
        res,
        fault.status,
        { response: null, error: fault.error ?? `simulated HTTP ${fault.status}`, error_description: '' },
        headers,
      );
    }
    if (req.headers.authorization !== `Bearer ${this.token}`) {
      return send(res, 401, { response: null, error: 'invalid bearer token', error_description: '' });
    }
    this.advance();
    this.route(req.method ?? 'GET', url, body, res);
  }

  private takeFault(path: string): SimulatedFault | null {
    const index = this.faults.findIndex((f) => path.includes(f.match));
    const entry = this.faults[index];
    if (entry === undefined) return null;
    entry.times -= 1;
    if (entry.times <= 0) this.faults.splice(index, 1);
    return entry.fault;
  }

  private route(method: string, url: URL, body: unknown, res: ServerResponse): void {
    if (method === 'GET' && url.pathname === '/api/1/products') return this.sendProducts(res);
    const match = /^\/api\/1\/energy_sites\/([^/]+)\/([a-z_]+)$/.exec(url.pathname);
    if (match === null) return send(res, 404, { response: null, error: 'not found', error_description: '' });
    if (match[1] !== this.siteId) {
      return send(res, 404, {
        response: null,
        error: `energy site ${match[1] ?? ''} not found`,
        error_description: '',
      });
    }
    const endpoint = match[2] ?? '';
    const s = this.site;
    if (method === 'GET') {
      switch (endpoint) {
        case 'live_status':
          return send(res, 200, { response: this.liveStatus() });
        case 'site_info':
          return send(res, 200, { response: this.siteInfo() });
        case 'calendar_history':
          return send(res, 200, { response: this.history(url) });
      }
    }
    if (method === 'POST') {
      const reject = (issues: z.ZodError): void => {
        const issue = issues.issues[0];
        send(res, 400, {
          response: null,
          error: `invalid ${endpoint} body: ${issue?.path.map(String).join('.') ?? ''}: ${issue?.message ?? ''}`,
          error_description: '',
        });
      };
      const ok = (): void => send(res, 200, { response: { code: 201, message: 'Updated' } });
      switch (endpoint) {
        case 'backup': {
          const p = BackupBody.safeParse(body);
          if (!p.success) return reject(p.error);
          s.reservePct = p.data.backup_reserve_percent;
          return ok();
        }
        case 'operation': {
          const p = OperationBody.safeParse(body);
          if (!p.success) return reject(p.error);
          s.mode = p.data.default_real_mode;
          return ok();
        }
        case 'grid_import_export': {
          const p = GridBody.safeParse(body);
          if (!p.success) return reject(p.error);
          const blocked = p.data.disallow_charge_from_grid_with_solar_installed;
          if (typeof blocked === 'boolean') s.gridChargingBlocked = blocked;
          if (p.data.customer_preferred_export_rule) s.exportRule = p.data.customer_preferred_export_rule;
          return ok();
        }
        case 'time_of_use_settings': {
          const p = TouSettingsBody.safeParse(body);
          if (!p.success) return reject(p.error);
          s.tariff = p.data.tou_settings.tariff_content_v2;
          return ok();
        }
      }
    }
    send(res, 404, { response: null, error: `no ${method} ${endpoint}`, error_description: '' });
  }

  private sendProducts(res: ServerResponse): void {
    // energy_site_id is a bare JSON number on the wire, as in Home Assistant's products.json fixture.
    const site = JSON.stringify({
      energy_site_id: '@ID@',
      resource_type: 'battery',
      site_name: 'Simulated Powerwall',
      id: 'SIM-GATEWAY',
      percentage_charged: this.site.socPct,
      battery_type: 'ac_powerwall',
      components: { battery: true, solar: true, grid: true, load_meter: true },
    }).replace('"@ID@"', this.siteId);
    const text = `{"response":[{"id":1,"vehicle_id":1,"vin":"SIMVIN0000000000","state":"asleep"},${site}],"count":2}`;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(text);
  }

  private liveStatus(): Record<string, unknown> {
    const s = this.site;
    return {
      solar_power: s.solarW,
      percentage_charged: s.socPct,
      backup_capable: true,
      battery_power: s.batteryW,
      load_power: s.loadW,
      grid_status: s.gridUp ? 'Active' : 'Inactive',
      grid_services_active: false,
      grid_power: s.gridW,
      grid_services_power: 0,
      generator_power: 0,
      island_status: s.gridUp ? 'on_grid' : 'off_grid',
      storm_mode_active: false,
      timestamp: isoUtc(this.clock.now()),
      wall_connectors: [],
    };
  }

  private siteInfo(): Record<string, unknown> {
    const s = this.site;
    return {
      id: 'SIM-GATEWAY',
      site_name: 'Simulated Powerwall',
      backup_reserve_percent: s.reservePct,
      default_real_mode: s.mode,
      installation_date: '2024-01-01T00:00:00+00:00',
      components: {
        solar: true,
        battery: true,
        grid: true,
        backup: true,
        gateway: 'teg',
        load_meter: true,
        tou_capable: true,
        storm_mode_capable: true,
        battery_type: 'ac_powerwall',
        configurable: true,
        disallow_charge_from_grid_with_solar_installed: s.gridChargingBlocked,
        customer_preferred_export_rule: s.exportRule,
        net_meter_mode: 'battery_ok',
      },
      version: '24.12.1 sim',
      battery_count: s.batteryCount,
      nameplate_power: s.maxPowerW,
      nameplate_energy: s.capacityWh,
      installation_time_zone: s.timeZone,
      max_site_meter_power_ac: 1_000_000_000,
      min_site_meter_power_ac: -1_000_000_000,
      vpp_backup_reserve_percent: 0,
    };
  }

  /** Every period answers with the lifetime totals in one entry (enough for `period=lifetime`). */
  private history(url: URL): Record<string, unknown> {
    const t = this.site.totals;
    const r = Math.round;
    return {
      serial_number: 'SIM',
      period: url.searchParams.get('period') ?? 'day',
      installation_time_zone: this.site.timeZone,
      time_series: [
        {
          timestamp: '2024-01-01T00:00:00+10:00',
          solar_energy_exported: r(t.solar),
          grid_energy_imported: r(t.gridImported),
          grid_energy_exported_from_solar: r(t.gridExportedFromSolar),
          grid_energy_exported_from_battery: r(t.gridExportedFromBattery),
          battery_energy_exported: r(t.batteryExported),
          battery_energy_imported_from_grid: r(t.batteryFromGrid),
          battery_energy_imported_from_solar: r(t.batteryFromSolar),
          consumer_energy_imported_from_grid: r(t.homeFromGrid),
          consumer_energy_imported_from_solar: r(t.homeFromSolar),
          consumer_energy_imported_from_battery: r(t.homeFromBattery),
        },
      ],
    };
  }
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}
