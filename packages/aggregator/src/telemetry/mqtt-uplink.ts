/**
 * The outbox's transport to an MQTT broker: one session (the aggregator's broker link, with its
 * reconnect back-off on the injected clock), each batch one QoS 1 PUBLISH, acknowledged by the
 * broker's PUBACK. While the link is down a send is a retry at once, so the outbox keeps the batch
 * and backs off; nothing is queued inside mqtt.js.
 */
import type { Clock } from '@sps/core';
import type { AggregatorLogger, BrokerConnection, BrokerOptions } from '../contracts.js';
import { AggregatorLink } from '../signals/aggregator-link.js';
import type { EncodedBatch, Uplink, UplinkResult } from '../sharing/uplink.js';

/**
 * 10 minutes between MQTT pings on an idle session: a ping and its answer cost ~150 B on the wire
 * (2 B of MQTT, a 22 B TLS record and 52 B of TCP/IP header each way), so the DR link's 30 s
 * would spend ~13 MB a month on pings alone; 10 min spends ~0.7 MB and still outlives most
 * mobile carriers' NAT idle timers only if they keep TCP mappings that long (most keep them for
 * hours; a lost mapping shows as a failed publish, retried on a new connection).
 */
export const DEFAULT_TELEMETRY_MQTT_KEEPALIVE_S = 600;

export interface MqttUplinkOptions {
  readonly broker: BrokerOptions;
  /** The topic each batch is published to (no wildcards). */
  readonly topic: string;
  readonly clock: Clock;
  readonly logger: AggregatorLogger;
  readonly keepaliveS?: number;
}

export class MqttUplink implements Uplink {
  private readonly link: AggregatorLink;
  private started = false;

  constructor(private readonly options: MqttUplinkOptions) {
    if (
      options.topic.length === 0 ||
      options.topic.length > 1024 ||
      /[#+]/.test(options.topic) ||
      options.topic.includes(String.fromCharCode(0))
    ) {
      throw new Error('telemetry topic: 1-1024 characters without "#" or "+"');
    }
    this.link = new AggregatorLink({
      broker: options.broker,
      subscriptions: [],
      clock: options.clock,
      logger: options.logger,
      onMessage: () => undefined,
      // No subscriptions, so nothing for a broker-side session to keep; the outbox is the queue.
      persistentSession: false,
      keepaliveS: options.keepaliveS ?? DEFAULT_TELEMETRY_MQTT_KEEPALIVE_S,
    });
  }

  /** Connects in the background (the outbox's first send would otherwise find it down). */
  start(): void {
    if (this.started) return;
    this.started = true;
    this.link.start();
  }

  connection(): BrokerConnection {
    return this.link.connection();
  }

  async send(batch: EncodedBatch, signal: AbortSignal): Promise<UplinkResult> {
    this.start();
    if (signal.aborted) return { kind: 'retry', error: 'mqtt uplink: attempt aborted (stopping)', retryAfterMs: null };
    const aborted = new Promise<UplinkResult>((resolve) => {
      signal.addEventListener(
        'abort',
        () => resolve({ kind: 'retry', error: 'mqtt uplink: attempt aborted (stopping)', retryAfterMs: null }),
        { once: true },
      );
    });
    const published = this.link.publish(this.options.topic, Buffer.from(batch.body), 1).then(
      (): UplinkResult => ({ kind: 'ack', status: 0 }),
      (error: unknown): UplinkResult => ({
        kind: 'retry',
        error: `mqtt uplink: ${(error as Error).message}`,
        retryAfterMs: null,
      }),
    );
    return Promise.race([published, aborted]);
  }

  async close(): Promise<void> {
    await this.link.stop();
  }
}
