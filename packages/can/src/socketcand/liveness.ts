import type { Clock, TimerHandle } from '@sps/core';

/**
 * Notices a gateway that went away without closing the TCP connection (power cut, Wi-Fi gone):
 * TCP keep-alive would take minutes with Linux's default probe count, and a silent CAN bus is
 * normal, so after `intervalMs` with nothing heard the client asks `< echo >` (socketcand answers
 * it in every mode, doc/protocol.md) and gives the link up when nothing at all arrives within
 * `timeoutMs`. Any input counts as a sign of life, so a busy bus costs no echo at all.
 */
export class EchoLiveness {
  private lastHeard = 0;
  private ticker: TimerHandle | null = null;
  private deadline: TimerHandle | null = null;

  constructor(
    private readonly clock: Clock,
    private readonly intervalMs: number,
    private readonly timeoutMs: number,
    private readonly sendEcho: () => void,
    private readonly onDead: (reason: string) => void,
  ) {}

  start(): void {
    this.stop();
    if (this.intervalMs <= 0) return;
    this.lastHeard = this.clock.now();
    this.ticker = this.clock.setInterval(() => this.tick(), this.intervalMs);
  }

  /** Something arrived from the gateway. */
  heard(): void {
    this.lastHeard = this.clock.now();
    this.deadline?.cancel();
    this.deadline = null;
  }

  stop(): void {
    this.ticker?.cancel();
    this.ticker = null;
    this.deadline?.cancel();
    this.deadline = null;
  }

  private tick(): void {
    if (this.deadline !== null || this.clock.now() - this.lastHeard < this.intervalMs) return;
    this.deadline = this.clock.setTimeout(() => {
      this.stop();
      this.onDead(`no answer from the gateway to an echo within ${this.timeoutMs} ms`);
    }, this.timeoutMs);
    this.sendEcho();
  }
}
