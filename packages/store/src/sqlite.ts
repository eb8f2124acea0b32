/**
 * Loads `node:sqlite` (built into Node 22.13+, no native build) while silencing exactly
 * one warning: the ExperimentalWarning Node emits the first time the module is loaded.
 * Every other warning, including other ExperimentalWarnings, still goes through.
 */
import type * as NodeSqlite from 'node:sqlite';

export type { DatabaseSync, StatementSync } from 'node:sqlite';

type EmitWarning = typeof process.emitWarning;

function isSqliteExperimentalWarning(warning: string | Error, rest: readonly unknown[]): boolean {
  const message = typeof warning === 'string' ? warning : warning.message;
  const type = typeof warning === 'string' ? rest[0] : warning.name;
  // `type` may also be passed inside an options object: emitWarning(msg, { type }).
  const optionType = typeof rest[0] === 'object' && rest[0] !== null ? (rest[0] as { type?: unknown }).type : undefined;
  return (type === 'ExperimentalWarning' || optionType === 'ExperimentalWarning') && /SQLite/i.test(message);
}

let loaded: typeof NodeSqlite | undefined;

export function loadSqlite(): typeof NodeSqlite {
  if (loaded) return loaded;
  // The process object Node's internals warn through; under a test runner's sandbox the
  // global `process` can be a copy, and patching the copy would not catch the warning.
  const host = process.getBuiltinModule('node:process');
  const original: EmitWarning = host.emitWarning;
  const filtered = function (this: unknown, warning: string | Error, ...rest: unknown[]): void {
    if (isSqliteExperimentalWarning(warning, rest)) return;
    (original as (...args: unknown[]) => void).call(host, warning, ...rest);
  };
  host.emitWarning = filtered as EmitWarning;
  try {
    // getBuiltinModule (not a static import) so the filter is in place before the module
    // loads: a static import would be hoisted above this function in the CommonJS output.
    loaded = process.getBuiltinModule('node:sqlite');
  } finally {
    host.emitWarning = original;
  }
  return loaded;
}
