/**
 * The add-on panel's data source: the add-on's HTTP API relative to the page (so it works behind HA
 * ingress, whose path prefix the page does not know) and the server-sent live stream `api/stream`.
 *
 * Writes the cards make (agreed with wip/ui, who adds the optimiser routes):
 * - POST   api/devices/{id}/commands   a core `Command` (exists);
 * - POST   api/optimizer               `{enabled?: boolean, goal?: "cost"|"self_consumption"|"off"}`;
 * - POST   api/optimizer/override      `{kind, power_w?, soc_pct?, duration_minutes}`;
 * - DELETE api/optimizer/override      cancel the override in force.
 * Every error answer is `{error: "one line", field?}`; a 401 asks for the write token.
 */
import { z } from 'zod';
import { browserTimeSettings, type TimeSettings } from '../format/time.js';
import {
  AvailabilityJson,
  DevicesResponse,
  describeIssue,
  HistoryResponse,
  PlanResponse,
  ReadingsResponse,
  type DeviceReadingsJson,
  type Goal,
} from './api-types.js';
import { messageOf, SnapshotStore } from './snapshot-store.js';
import {
  DEFAULT_STALE_AFTER_MS,
  type CommandOutcome,
  type DeviceCommand,
  type HistoryRequest,
  type OverrideRequest,
  type SpsDataSource,
  type SpsSnapshot,
} from './source.js';

/** The panel keeps the write token here (the same key the old panel used, so a stored token survives). */
export const WRITE_TOKEN_KEY = 'sps.writeToken';

export interface HttpDataSourceOptions {
  /** Base URL of the add-on's API, relative to the page by default (`./`). */
  readonly base?: string;
  readonly staleAfterMs?: number;
  /** How often plan and devices are re-read (the stream carries only readings and availability). */
  readonly refreshEveryMs?: number;
  readonly fetch?: typeof fetch;
  /** null: no live stream (tests). */
  readonly eventSource?: ((url: string) => EventSource) | null;
  readonly writeToken?: () => string | null;
  readonly timeSettings?: () => TimeSettings;
}

const StreamReadings = z
  .object({ device: z.string() })
  .and(
    z.object({ timestamp: z.string().nullable(), readings: ReadingsResponse.shape.devices.valueType.shape.readings }),
  );
const StreamAvailability = z.object({ device: z.string() }).and(AvailabilityJson);

const ErrorBody = z.object({ error: z.string(), field: z.string().optional() });

export class HttpDataSource implements SpsDataSource {
  readonly host = 'panel' as const;
  private readonly store = new SnapshotStore();
  private readonly base: string;
  private readonly staleAfterMs: number;
  private readonly refreshEveryMs: number;
  private readonly fetchFn: typeof fetch;
  private stream: EventSource | null = null;
  private refreshTimer: ReturnType<typeof setInterval> | null = null;
  private staleTimer: ReturnType<typeof setTimeout> | null = null;
  private started = false;
  private loading: Promise<void> | null = null;

  constructor(private readonly options: HttpDataSourceOptions = {}) {
    this.base = options.base ?? './';
    this.staleAfterMs = options.staleAfterMs ?? DEFAULT_STALE_AFTER_MS;
    this.refreshEveryMs = options.refreshEveryMs ?? 30_000;
    this.fetchFn = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  }

  snapshot(): SpsSnapshot {
    return this.store.get();
  }

  /** The first subscriber starts loading and the live stream; the last one to leave stops them. */
  subscribe(listener: (s: SpsSnapshot) => void): () => void {
    const off = this.store.subscribe(listener);
    if (!this.started) this.start();
    return () => {
      off();
      if (this.store.listenerCount === 0) this.stop();
    };
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    void this.refresh();
    this.refreshTimer = setInterval(() => void this.refresh(), this.refreshEveryMs);
    this.openStream();
  }

  stop(): void {
    this.started = false;
    if (this.refreshTimer) clearInterval(this.refreshTimer);
    this.refreshTimer = null;
    if (this.staleTimer) clearTimeout(this.staleTimer);
    this.staleTimer = null;
    this.stream?.close();
    this.stream = null;
  }

  /** Plan, devices and readings at once; concurrent callers share one load. */
  refresh(): Promise<void> {
    this.loading ??= this.load().finally(() => {
      this.loading = null;
    });
    return this.loading;
  }

  private async load(): Promise<void> {
    try {
      const [plan, devices, readings] = await Promise.all([
        this.getJson('api/plan', PlanResponse, '/api/plan'),
        this.getJson('api/devices', DevicesResponse, '/api/devices'),
        this.getJson('api/readings', ReadingsResponse, '/api/readings'),
      ]);
      this.store.update({
        plan,
        devices: devices.devices,
        readings: readings.devices,
        error: null,
        stale: false,
        staleReason: null,
        updatedAt: Date.now(),
      });
      this.armStaleTimer();
    } catch (err) {
      const message = messageOf(err);
      this.store.update({ error: message, stale: true, staleReason: `the add-on does not answer: ${message}` });
    }
  }

  async history(request: HistoryRequest): Promise<HistoryResponse> {
    const q = new URLSearchParams({
      device: request.device,
      key: request.key,
      from: new Date(request.from).toISOString(),
      to: new Date(request.to).toISOString(),
      ...(request.step ? { step: request.step } : {}),
    });
    return this.getJson(`api/readings/history?${q.toString()}`, HistoryResponse, '/api/readings/history');
  }

  setOptimizer(change: { enabled?: boolean; goal?: Goal }): Promise<CommandOutcome> {
    return this.write('POST', 'api/optimizer', change, change.goal ? `Goal: ${change.goal}` : 'Optimiser updated');
  }

  startOverride(r: OverrideRequest): Promise<CommandOutcome> {
    const body = {
      kind: r.kind,
      duration_minutes: r.durationMinutes,
      ...(r.powerW === undefined ? {} : { power_w: r.powerW }),
      ...(r.socPct === undefined ? {} : { soc_pct: r.socPct }),
    };
    return this.write('POST', 'api/optimizer/override', body, 'Override started');
  }

  cancelOverride(): Promise<CommandOutcome> {
    return this.write('DELETE', 'api/optimizer/override', undefined, 'Override cancelled');
  }

  sendCommand(deviceId: string, command: DeviceCommand): Promise<CommandOutcome> {
    return this.write('POST', `api/devices/${encodeURIComponent(deviceId)}/commands`, command, 'Done');
  }

  timeSettings(): TimeSettings {
    return this.options.timeSettings?.() ?? browserTimeSettings();
  }

  deviceLink(deviceId: string): string | null {
    return `#device-${encodeURIComponent(deviceId)}`;
  }

  private async write(method: string, path: string, body: unknown, done: string): Promise<CommandOutcome> {
    if (this.store.get().stale)
      return { ok: false, message: 'The add-on is not answering; try again when it is back.' };
    const token = this.options.writeToken ? this.options.writeToken() : readStoredToken();
    try {
      const response = await this.fetchFn(this.base + path, {
        method,
        headers: {
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const json: unknown = await response.json().catch(() => null);
      if (!response.ok) {
        const parsed = ErrorBody.safeParse(json);
        const message = parsed.success ? parsed.data.error : `HTTP ${response.status}`;
        return { ok: false, message: response.status === 401 ? `Write token needed: ${message}` : message };
      }
      void this.refresh();
      return { ok: true, message: done };
    } catch (err) {
      return { ok: false, message: `The add-on did not answer: ${messageOf(err)}` };
    }
  }

  private async getJson<T>(path: string, schema: z.ZodType<T>, what: string): Promise<T> {
    const response = await this.fetchFn(this.base + path, { headers: { accept: 'application/json' } });
    const json: unknown = await response.json().catch(() => null);
    if (!response.ok) {
      const parsed = ErrorBody.safeParse(json);
      throw new Error(`${what}: ${parsed.success ? parsed.data.error : `HTTP ${response.status}`}`);
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) throw new Error(describeIssue(parsed.error, what));
    return parsed.data;
  }

  private openStream(): void {
    const make = this.options.eventSource === undefined ? defaultEventSource : this.options.eventSource;
    if (!make) return;
    const stream = make(`${this.base}api/stream`);
    this.stream = stream;
    stream.addEventListener('open', () => {
      // Back after a gap: the plan may have changed meanwhile.
      if (this.store.get().stale) void this.refresh();
    });
    stream.addEventListener('readings', (event) => this.onReadings(event));
    stream.addEventListener('availability', (event) => this.onAvailability(event));
    stream.addEventListener('error', () => {
      // EventSource reconnects by itself; meanwhile ask whether the add-on is still there.
      void this.refresh();
    });
  }

  private onReadings(event: Event): void {
    const parsed = StreamReadings.safeParse(parseData(event));
    if (!parsed.success) return;
    const { device, timestamp, readings } = parsed.data;
    const prev = this.store.get().readings[device];
    const merged: DeviceReadingsJson = {
      ...(prev?.available === undefined ? {} : { available: prev.available }),
      timestamp,
      readings: { ...prev?.readings, ...readings },
    };
    this.markLive({ readings: { ...this.store.get().readings, [device]: merged } });
  }

  private onAvailability(event: Event): void {
    const parsed = StreamAvailability.safeParse(parseData(event));
    if (!parsed.success) return;
    const { device, available, reason } = parsed.data;
    const devices = this.store
      .get()
      .devices.map((d) =>
        d.id === device ? { ...d, availability: { ...d.availability, available, reason: reason ?? null } } : d,
      );
    this.markLive({ devices });
  }

  private markLive(change: Partial<SpsSnapshot>): void {
    this.store.update({ ...change, stale: false, staleReason: null, updatedAt: Date.now() });
    this.armStaleTimer();
  }

  private armStaleTimer(): void {
    if (this.staleTimer) clearTimeout(this.staleTimer);
    if (!this.started) return;
    this.staleTimer = setTimeout(() => {
      const seconds = Math.round(this.staleAfterMs / 1000);
      this.store.update({ stale: true, staleReason: `no update from the add-on for ${seconds} s` });
    }, this.staleAfterMs);
  }
}

function parseData(event: Event): unknown {
  try {
    return JSON.parse((event as MessageEvent<string>).data);
  } catch {
    return null;
  }
}

function defaultEventSource(url: string): EventSource {
  return new EventSource(url);
}

function readStoredToken(): string | null {
  try {
    return globalThis.localStorage?.getItem(WRITE_TOKEN_KEY) ?? null;
  } catch {
    return null;
  }
}
