import { MAX_NODE_TIMER_MS, systemClock } from '@sps/core';

/**
 * Node runs a timer of more than 2^31−1 ms (24.8 days) after 1 ms. systemClock must chain long
 * delays instead, so an override 30 days ahead does not end at once.
 */
describe('systemClock with delays beyond Node’s timer limit', () => {
  const DAY = 86_400_000;

  it('does not fire a timer of 2^31 ms and more early (real timers)', async () => {
    let fired = false;
    const timer = systemClock.setTimeout(() => (fired = true), MAX_NODE_TIMER_MS + 1000);
    try {
      // Long enough for an overflowed (1 ms) timer to fire; says nothing about speed.
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(fired).toBe(false);
    } finally {
      timer.cancel();
    }
  });

  describe('on jest’s fake timers', () => {
    beforeEach(() => jest.useFakeTimers({ now: Date.UTC(2026, 0, 1) }));
    afterEach(() => jest.useRealTimers());

    it('fires a 30-day timer after 30 days, not before', () => {
      const fn = jest.fn();
      systemClock.setTimeout(fn, 30 * DAY);
      jest.advanceTimersByTime(25 * DAY);
      expect(fn).not.toHaveBeenCalled();
      jest.advanceTimersByTime(5 * DAY - 1);
      expect(fn).not.toHaveBeenCalled();
      jest.advanceTimersByTime(1);
      expect(fn).toHaveBeenCalledTimes(1);
    });

    it('cancels a chained timer in any of its steps', () => {
      const fn = jest.fn();
      const timer = systemClock.setTimeout(fn, 60 * DAY);
      jest.advanceTimersByTime(30 * DAY);
      timer.cancel();
      jest.advanceTimersByTime(60 * DAY);
      expect(fn).not.toHaveBeenCalled();
    });

    it('repeats an interval longer than the limit once per period', () => {
      const fn = jest.fn();
      const timer = systemClock.setInterval(fn, 40 * DAY);
      jest.advanceTimersByTime(39 * DAY);
      expect(fn).toHaveBeenCalledTimes(0);
      jest.advanceTimersByTime(DAY);
      expect(fn).toHaveBeenCalledTimes(1);
      jest.advanceTimersByTime(40 * DAY);
      expect(fn).toHaveBeenCalledTimes(2);
      timer.cancel();
      jest.advanceTimersByTime(80 * DAY);
      expect(fn).toHaveBeenCalledTimes(2);
    });

    it('resolves sleep after a long delay only', async () => {
      let done = false;
      void systemClock.sleep(26 * DAY).then(() => (done = true));
      jest.advanceTimersByTime(25 * DAY);
      await Promise.resolve();
      expect(done).toBe(false);
      jest.advanceTimersByTime(DAY);
      await Promise.resolve();
      expect(done).toBe(true);
    });
  });
});
