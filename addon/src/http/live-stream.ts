import type { ServerResponse } from 'node:http';
import type { Clock, TimerHandle } from '@sps/core';
import type { FastifyInstance } from 'fastify';
import type { DeviceManager } from '../device-manager.js';
import type { AvailabilityEvent, ReadingHub, ReadingsEvent } from '../hub.js';
import { availabilityJson, readingsJson } from './presenters.js';

/** Demand response as the stream needs it (DrRuntime fits): its status on every change. */
export interface LiveDrSource {
  readonly events: { on(event: 'updated', listener: () => void): () => void };
  status(): unknown;
}

export const HEARTBEAT_MS = 15_000;
/** A client that cannot keep up this far is dropped rather than buffered without bound. */
const MAX_BUFFERED_BYTES = 1_000_000;

/**
 * GET /api/stream: server-sent events `readings` and `availability` as they happen, and `dr` (the
 * /api/dr body) on every demand-response change when DR is on.
 * A new client first gets the current snapshot, then live events; a comment line every
 * 15 s keeps proxies (HA ingress among them) from closing an idle stream.
 */
export class LiveStream {
  private readonly clients = new Set<ServerResponse>();
  private heartbeat: TimerHandle | undefined;
  private readonly unsubscribe: (() => void)[] = [];

  constructor(
    private readonly hub: ReadingHub,
    private readonly manager: DeviceManager,
    private readonly clock: Clock,
    private readonly dr?: LiveDrSource,
  ) {}

  get clientCount(): number {
    return this.clients.size;
  }

  register(app: FastifyInstance): void {
    this.unsubscribe.push(
      this.hub.on('readings', (event) => this.broadcast('readings', this.readingsData(event))),
      this.hub.on('availability', (event) => this.broadcast('availability', this.availabilityData(event))),
    );
    const dr = this.dr;
    if (dr) this.unsubscribe.push(dr.events.on('updated', () => this.broadcast('dr', dr.status())));
    this.heartbeat = this.clock.setInterval(() => this.broadcastRaw(': heartbeat\n\n'), HEARTBEAT_MS);

    app.get('/api/stream', (request, reply) => {
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        connection: 'keep-alive',
        // Ask nginx-style proxies (ingress) not to buffer the stream.
        'x-accel-buffering': 'no',
      });
      res.write('retry: 3000\n\n');
      for (const runner of this.manager.list()) {
        const deviceId = runner.config.id;
        this.write(res, 'availability', this.availabilityData({ deviceId, availability: runner.availability }));
        const latest = this.hub.latest(deviceId);
        if (latest) this.write(res, 'readings', this.readingsData({ deviceId, readings: latest }));
      }
      if (this.dr) this.write(res, 'dr', this.dr.status());
      this.clients.add(res);
      const drop = (): void => {
        this.clients.delete(res);
      };
      request.raw.on('close', drop);
      res.on('close', drop);
      res.on('error', drop);
    });

    // Open streams would otherwise hold server.close() until the clients go away.
    app.addHook('preClose', async () => this.close());
  }

  close(): void {
    this.heartbeat?.cancel();
    this.heartbeat = undefined;
    for (const off of this.unsubscribe.splice(0)) off();
    for (const res of this.clients) res.end();
    this.clients.clear();
  }

  private readingsData(event: ReadingsEvent): unknown {
    const description = this.manager.get(event.deviceId)?.description;
    return { device: event.deviceId, ...readingsJson(event.readings, description) };
  }

  private availabilityData(event: AvailabilityEvent): unknown {
    return { device: event.deviceId, ...availabilityJson(event.availability) };
  }

  private broadcast(event: string, data: unknown): void {
    if (this.clients.size === 0) return;
    this.broadcastRaw(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  }

  private broadcastRaw(chunk: string): void {
    for (const res of this.clients) {
      if (res.writableLength > MAX_BUFFERED_BYTES) {
        this.clients.delete(res);
        res.destroy();
        continue;
      }
      res.write(chunk);
    }
  }

  private write(res: ServerResponse, event: string, data: unknown): void {
    res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  }
}
