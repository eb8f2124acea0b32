import { pino, type DestinationStream, type Logger } from 'pino';
import type { LogLevel } from './options.js';

export type { Logger } from 'pino';

/** HA's option names to pino's. */
const PINO_LEVEL: Record<LogLevel, pino.Level> = {
  trace: 'trace',
  debug: 'debug',
  info: 'info',
  warning: 'warn',
  error: 'error',
};

const LEVEL_LABEL: Record<number, string> = {
  10: 'TRACE',
  20: 'DEBUG',
  30: 'INFO',
  40: 'WARN',
  50: 'ERROR',
  60: 'FATAL',
};
const SKIPPED_KEYS = new Set(['level', 'time', 'msg', 'pid', 'hostname', 'v']);

/**
 * HA's add-on log page shows plain text, so each pino record becomes one readable line
 * (`2026-01-01T00:00:00.000Z INFO message key=value`). Formatting runs in-process: a
 * pino transport would start a worker thread and cost memory for no benefit here.
 */
export function textDestination(out: NodeJS.WritableStream): DestinationStream {
  return {
    write(line: string): void {
      try {
        const record = JSON.parse(line) as Record<string, unknown>;
        const time = typeof record['time'] === 'number' ? new Date(record['time']).toISOString() : '';
        const level = LEVEL_LABEL[Number(record['level'])] ?? 'INFO';
        const extras = Object.entries(record)
          .filter(([k]) => !SKIPPED_KEYS.has(k))
          .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`);
        out.write(`${time} ${level} ${String(record['msg'] ?? '')}${extras.length ? ' ' + extras.join(' ') : ''}\n`);
      } catch {
        out.write(line);
      }
    },
  };
}

export function createLogger(level: LogLevel, out: NodeJS.WritableStream = process.stdout): Logger {
  return pino({ level: PINO_LEVEL[level], base: undefined }, textDestination(out));
}

/** A logger that drops everything (unit tests, one-shot CLI commands). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
