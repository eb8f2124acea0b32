import { TypedEmitter, type Clock, type TimerHandle } from '@sps/core';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import type { AggregatorLogger, BrokerConnection, BrokerOptions } from '../contracts.js';
import { reconnectDelayMs } from './backoff.js';
import { describeBrokerError } from './broker-errors.js';

/**
 * The connection to the aggregator's broker.
 *
 * MQTT 3.1.1: the community aggregator and its brokers speak it (smartPowerStation's MQTT.py), every
 * broker supports it, and its persistent session is simply `clean: false` with a stable client id
 * (in MQTT 5 it also needs a session expiry, and nothing here needs 5's extras).
 * The session persists in the broker, so QoS 1 messages on our subscription published while we
 * were away (a restart, a network drop, the broker restarting with persistence) are delivered when
 * we come back; QoS 0 messages published meanwhile are not (Mosquitto queues them only with
 * `queue_qos0_messages true`).
 *
 * Reconnects are ours, not mqtt.js's (reconnectPeriod 0): 1 s doubling to 60 s with jitter, on the
 * injected clock, with a fresh client per attempt so no half-closed state carries over.
 */
export interface AggregatorLinkOptions {
  readonly broker: BrokerOptions;
  /** Subscribed at QoS 1 whenever the broker has no session for us. */
  readonly subscriptions: readonly string[];
  readonly clock: Clock;
  readonly logger: AggregatorLogger;
  readonly onMessage: (topic: string, payload: Buffer) => void;
  /** false for one-off clients (`sps dr send`): no session is left behind in the broker. Default true. */
  readonly persistentSession?: boolean;
  /** How long one connect attempt may take before it counts as failed; default 10 s. */
  readonly connectTimeoutMs?: number;
  /**
   * MQTT keep-alive (PINGREQ interval) in seconds; default 30. Remote telemetry on a capped link
   * sets a long one: every ping and its answer cost ~150 B on the wire with TLS and TCP/IP headers.
   */
  readonly keepaliveS?: number;
}

type LinkEvents = { connection: BrokerConnection };

/** A connection that lasted this long resets the reconnect back-off. */
const STABLE_CONNECTION_MS = 10_000;

/** How long publish() waits for the message to be written (QoS 0) or acknowledged (QoS 1). */
const PUBLISH_BOUND_MS = 10_000;

/** How long stop() waits for the socket to close before it lets go anyway. */
const STOP_BOUND_MS = 2_000;

/** mqtt.js client options from ours: TLS material only for mqtts://, credentials only when given. */
export function clientOptions(
  broker: BrokerOptions,
  persistent: boolean,
  connectTimeoutMs: number,
  keepaliveS = 30,
): IClientOptions {
  const tls = broker.url.startsWith('mqtts://');
  return {
    protocolVersion: 4,
    clientId: broker.clientId,
    clean: !persistent,
    reconnectPeriod: 0,
    connectTimeout: connectTimeoutMs,
    keepalive: keepaliveS,
    resubscribe: false,
    ...(broker.username !== undefined ? { username: broker.username } : {}),
    ...(broker.password !== undefined ? { password: broker.password } : {}),
    ...(tls
      ? {
          rejectUnauthorized: true,
          ...(broker.ca !== undefined ? { ca: broker.ca } : {}),
          ...(broker.cert !== undefined ? { cert: broker.cert } : {}),
          ...(broker.key !== undefined ? { key: broker.key } : {}),
        }
      : {}),
  };
}

/** A broker URL we can use, or the reason not: one line naming the field. */
export function checkBrokerUrl(url: string): string | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return `broker url: "${url}" is not a URL (mqtt://host:1883 or mqtts://host:8883)`;
  }
  if (parsed.protocol !== 'mqtt:' && parsed.protocol !== 'mqtts:') {
    return `broker url: ${parsed.protocol}// is not supported (mqtt:// or mqtts://)`;
  }
  if (parsed.hostname === '') return 'broker url: no host';
  return null;
}

export class AggregatorLink {
  private readonly emitter: TypedEmitter<LinkEvents>;
  private client: MqttClient | undefined;
  private retryTimer: TimerHandle | undefined;
  private attempt = 0;
  private running = false;
  private state: BrokerConnection = { connected: false, lastError: null, since: null };

  constructor(private readonly options: AggregatorLinkOptions) {
    this.emitter = new TypedEmitter<LinkEvents>((err) =>
      options.logger.error({ err: String(err) }, 'aggregator link: a connection listener failed'),
    );
  }

  on(event: 'connection', listener: (c: BrokerConnection) => void): () => void {
    return this.emitter.on(event, listener);
  }

  connection(): BrokerConnection {
    return this.state;
  }

  /** Connects in the background; failures are retried and reported through `connection()`. Never throws. */
  start(): void {
    if (this.running) return;
    this.running = true;
    const bad = checkBrokerUrl(this.options.broker.url);
    if (bad !== null) {
      this.setState(false, bad);
      return;
    }
    this.connect();
  }

  /** Quick and clean: no reconnect after this, the socket closed at once (bounded wait). */
  async stop(): Promise<void> {
    this.running = false;
    this.retryTimer?.cancel();
    this.retryTimer = undefined;
    const client = this.client;
    this.client = undefined;
    if (client !== undefined) await endClient(client, this.options.clock);
    if (this.state.connected) this.setState(false, null);
  }

  /** QoS 0 (telemetry) or QoS 1 (resolves on the broker's PUBACK). Rejects when not connected. */
  publish(topic: string, payload: string | Buffer, qos: 0 | 1 = 0): Promise<void> {
    const client = this.client;
    if (client === undefined || !client.connected) {
      return Promise.reject(
        new Error(`not connected to the broker${this.state.lastError ? `: ${this.state.lastError}` : ''}`),
      );
    }
    return new Promise<void>((resolve, reject) => {
      // A connection that drops mid-publish may never call back (a persistent session keeps the packet):
      // the caller hears within a bound either way.
      const bound = this.options.clock.setTimeout(
        () => reject(new Error(`the broker did not take the message within ${PUBLISH_BOUND_MS} ms`)),
        PUBLISH_BOUND_MS,
      );
      client.publish(topic, payload, { qos, retain: false }, (err) => {
        bound.cancel();
        if (err) reject(err);
        else resolve();
      });
    });
  }

  private connect(): void {
    const { broker, logger } = this.options;
    const opts = clientOptions(
      broker,
      this.options.persistentSession !== false,
      this.options.connectTimeoutMs ?? 10_000,
      this.options.keepaliveS ?? 30,
    );
    let client: MqttClient;
    try {
      client = mqtt.connect(broker.url, opts);
    } catch (err) {
      // A bad PEM text or option throws synchronously; retrying will not fix it, but keep the state honest.
      this.setState(false, describeBrokerError(err));
      this.scheduleRetry();
      return;
    }
    this.client = client;
    let failure: string | null = null;
    let connectedOnce = false;
    const tls = broker.url.startsWith('mqtts://');
    let connectedAt: number | null = null;
    client.on('connect', (connack) => {
      if (this.client !== client) return;
      connectedOnce = true;
      connectedAt = this.options.clock.now();
      this.setState(true, null);
      logger.info({ url: broker.url, sessionPresent: connack.sessionPresent }, 'aggregator broker connected');
      // Subscribed even when the broker kept our session: the network (so the topic) may have changed since.
      // Re-subscribing to the same filter replaces it without interrupting the flow, and the QoS 1 messages
      // queued for the session are delivered either way (MQTT 3.1.1 §3.8.4).
      if (this.options.subscriptions.length === 0) return;
      client.subscribe([...this.options.subscriptions], { qos: 1 }, (err, granted) => {
        if (err) {
          if (this.client === client) logger.warn({ err: describeBrokerError(err) }, 'aggregator subscribe failed');
          return;
        }
        const refused = (granted ?? []).filter((g) => g.qos === 128).map((g) => g.topic);
        if (refused.length > 0 && this.client === client) {
          const why = `the broker refused the subscription to ${refused.join(', ')} (not authorised?)`;
          logger.warn({ topics: refused }, why);
          this.setState(true, why);
        }
      });
    });
    client.on('message', (topic, payload) => {
      if (this.client !== client) return;
      try {
        this.options.onMessage(topic, payload);
      } catch (err) {
        logger.error({ err: String(err), topic }, 'aggregator message handler failed');
      }
    });
    client.on('error', (err) => {
      failure = describeBrokerError(err, {
        username: broker.username !== undefined,
        tlsHandshake: tls && !connectedOnce,
      });
      if (this.client === client) logger.warn({ url: broker.url, err: failure }, 'aggregator broker error');
    });
    client.on('close', () => {
      if (this.client !== client) return;
      this.client = undefined;
      client.removeAllListeners('message');
      // Errors after this point belong to a client we have let go of.
      client.on('error', () => undefined);
      client.end(true);
      const reason = failure ?? (this.state.connected ? 'the connection to the broker was lost' : 'could not connect');
      if (this.state.connected) logger.warn({ url: broker.url, reason }, 'aggregator broker connection lost');
      // The back-off restarts only after a connection that lasted: a broker that accepts and drops at once
      // (another client taking over our client id) is not hammered every second.
      if (connectedAt !== null && this.options.clock.now() - connectedAt >= STABLE_CONNECTION_MS) this.attempt = 0;
      this.setState(false, reason);
      this.scheduleRetry();
    });
  }

  private scheduleRetry(): void {
    if (!this.running) return;
    this.retryTimer?.cancel();
    const delay = reconnectDelayMs(this.attempt++);
    this.options.logger.debug({ delayMs: delay }, 'aggregator broker: reconnecting');
    this.retryTimer = this.options.clock.setTimeout(() => {
      this.retryTimer = undefined;
      if (this.running) this.connect();
    }, delay);
  }

  private setState(connected: boolean, lastError: string | null): void {
    if (connected === this.state.connected && lastError === this.state.lastError) return;
    const since =
      connected !== this.state.connected || this.state.since === null
        ? new Date(this.options.clock.now()).toISOString()
        : this.state.since;
    this.state = { connected, lastError, since };
    this.emitter.emit('connection', this.state);
  }
}

/** end(true) — no waiting for in-flight messages — bounded, so a dead socket cannot hold up shutdown. */
export function endClient(client: MqttClient, clock: Clock): Promise<void> {
  client.on('error', () => undefined);
  return new Promise<void>((resolve) => {
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      bound.cancel();
      resolve();
    };
    const bound = clock.setTimeout(finish, STOP_BOUND_MS);
    try {
      client.end(true, {}, finish);
    } catch {
      finish();
    }
  });
}

/**
 * One message to a broker and back: connect (no persistent session), publish at QoS 1, wait for the
 * PUBACK, disconnect. For `sps dr send`. Rejects with the described reason on the first failure.
 */
export async function publishOnce(
  broker: BrokerOptions,
  topic: string,
  payload: string,
  clock: Clock,
  timeoutMs = 10_000,
): Promise<void> {
  const bad = checkBrokerUrl(broker.url);
  if (bad !== null) throw new Error(bad);
  let client: MqttClient;
  try {
    client = mqtt.connect(broker.url, clientOptions(broker, false, timeoutMs));
  } catch (err) {
    // A PEM text Node cannot read fails here, before any socket.
    throw new Error(describeBrokerError(err));
  }
  const used = { username: broker.username !== undefined, tlsHandshake: broker.url.startsWith('mqtts://') };
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = clock.setTimeout(
        () => reject(new Error(`no answer from the broker within ${timeoutMs} ms`)),
        timeoutMs,
      );
      const fail = (err: unknown): void => {
        timer.cancel();
        reject(new Error(describeBrokerError(err, used)));
      };
      client.on('error', fail);
      client.on('close', () => fail(new Error('the broker closed the connection')));
      client.once('connect', () => {
        used.tlsHandshake = false;
        client.publish(topic, payload, { qos: 1, retain: false }, (err) => {
          timer.cancel();
          if (err) fail(err);
          else resolve();
        });
      });
    });
  } finally {
    await endClient(client, clock);
  }
}
