/** The little the bridge client needs from the add-on's logger. */
export interface HaLogger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export const consoleLogger: HaLogger = {
  debug: () => undefined,
  info: (m) => console.info(`[ha] ${m}`),
  warn: (m) => console.warn(`[ha] ${m}`),
  error: (m) => console.error(`[ha] ${m}`),
};

export const silentLogger: HaLogger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

export function describeError(err: unknown): string {
  if (err instanceof Error) return err.message;
  if (typeof err === 'object' && err !== null) {
    const maybe = err as { message?: unknown; code?: unknown; error?: { message?: unknown } };
    if (typeof maybe.message === 'string') return maybe.message;
    if (maybe.error && typeof maybe.error.message === 'string') return maybe.error.message;
    return JSON.stringify(err);
  }
  return String(err);
}
