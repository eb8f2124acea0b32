/**
 * Grid import energy between two power samples: the trapezoid rule on the line joining them,
 * counting only the part above zero (export is zero import, not negative import). Pure.
 */

/** ∫ max(0, w(t)) dt over [a, b] where w is linear between (t0, w0) and (t1, w1); in W·ms. */
export function importIntegralWms(t0: number, w0: number, t1: number, w1: number, a: number, b: number): number {
  if (b <= a || t1 <= t0) return 0;
  const at = (t: number): number => w0 + ((w1 - w0) * (t - t0)) / (t1 - t0);
  const wa = at(a);
  const wb = at(b);
  if (wa >= 0 && wb >= 0) return ((wa + wb) / 2) * (b - a);
  if (wa <= 0 && wb <= 0) return 0;
  // The line crosses zero inside [a, b]: only the triangle on the import side counts.
  const tc = a + ((b - a) * wa) / (wa - wb);
  return wa > 0 ? (wa / 2) * (tc - a) : (wb / 2) * (b - tc);
}

export const WMS_PER_KWH = 3_600_000_000;
