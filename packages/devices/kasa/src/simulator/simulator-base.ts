import { systemClock, type Clock } from '@sps/core';
import type { MalformedAnswer } from './iot-handler.js';
import {
  KASA_PROFILES,
  KasaPlugModel,
  type KasaModelProfile,
  type KasaPlugModelOptions,
  type KasaProfileName,
} from './plug-model.js';

export interface KasaSimulatorFaults {
  /** Answer this much later (the driver's timeout path). */
  readonly responseDelayMs?: number;
  /** Close every connection as soon as a request arrives (connection_lost). */
  readonly dropConnections?: boolean;
  /** Answer with broken JSON, a wrong field type, or a broken frame/body. */
  readonly malformed?: MalformedAnswer | null;
}

export interface KasaSimulatorCommonOptions {
  readonly clock?: Clock;
  readonly profile?: KasaProfileName | KasaModelProfile;
  /** Initial state of the plug. */
  readonly plug?: Omit<KasaPlugModelOptions, 'clock'>;
  /** Share one model between simulators (one plug answering on both transports). */
  readonly model?: KasaPlugModel;
  /**
   * Demo mode: the appliance's draw wanders a little every few seconds so the dashboards move.
   * Off in tests, where the draw changes only when told.
   */
  readonly realtime?: boolean;
}

/** What both transport simulators share: the plug, its profile and the fault switches. */
export abstract class KasaSimulatorBase {
  readonly model: KasaPlugModel;
  readonly profile: KasaModelProfile;
  protected faults: Required<KasaSimulatorFaults> = { responseDelayMs: 0, dropConnections: false, malformed: null };
  protected readonly clock: Clock;
  private readonly pending = new Set<NodeJS.Timeout>();
  private wander: NodeJS.Timeout | null = null;
  private readonly realtime: boolean;
  requestCount = 0;

  constructor(options: KasaSimulatorCommonOptions) {
    this.clock = options.clock ?? systemClock;
    const profile = options.profile ?? 'hs110v2';
    this.profile = typeof profile === 'string' ? KASA_PROFILES[profile] : profile;
    this.model = options.model ?? new KasaPlugModel({ ...options.plug, clock: this.clock });
    this.realtime = options.realtime ?? false;
  }

  get state() {
    return this.model.state;
  }

  setFaults(faults: KasaSimulatorFaults): void {
    this.faults = { ...this.faults, ...faults };
  }

  protected startWandering(): void {
    if (!this.realtime || this.wander) return;
    const base = this.model.state.applianceW;
    let tick = 0;
    this.wander = setInterval(() => {
      tick++;
      // A deterministic wobble of ±5 %: enough to see the numbers live.
      this.model.setAppliance(Math.round(base * (1 + 0.05 * Math.sin(tick / 3)) * 10) / 10);
    }, 5000);
    this.wander.unref();
  }

  protected stopWandering(): void {
    if (this.wander) clearInterval(this.wander);
    this.wander = null;
  }

  /** Run `fn` after the configured delay; pending answers are cancelled by stop(). */
  protected later(fn: () => void): void {
    const delay = this.faults.responseDelayMs;
    if (delay <= 0) {
      fn();
      return;
    }
    const timer = setTimeout(() => {
      this.pending.delete(timer);
      fn();
    }, delay);
    this.pending.add(timer);
  }

  protected cancelPending(): void {
    for (const timer of this.pending) clearTimeout(timer);
    this.pending.clear();
  }
}
