import { SafetyGuard } from '@sps/control';
import type { Command, CommandOutcome, Device } from '@sps/core';
import { FileWriteLedger } from '../write-ledger-file.js';
import type { DeviceTarget } from './device-target.js';

/**
 * The guard of one `sps write`: the same limits, write budget and relay holds as the add-on. The
 * budget and the holds are counted in the data dir's write ledger when that directory exists, so
 * they hold across repeated `sps write` runs and against an add-on using the same data dir; a
 * device given by connection flags without `--data-dir` has only this one run's budget.
 */
export function cliGuard(target: DeviceTarget, backupReservePct: number): SafetyGuard {
  const ledger = target.dataDir === undefined ? undefined : FileWriteLedger.inExistingDir(target.dataDir);
  return new SafetyGuard({ limits: { backupReservePct }, ...(ledger ? { rateLimit: { ledger } } : {}) });
}

/** Reserve the write's slot and send it; rejects with the guard's refusal or the device's failure. */
export async function writeThroughGuard(
  guard: SafetyGuard,
  deviceId: string,
  command: Command,
  device: Device,
): Promise<CommandOutcome> {
  const written = await guard.write(deviceId, command, () => device.execute(command));
  // A fresh process has no duplicate memory and nothing in flight: only 'written' can happen.
  return written.status === 'duplicate' ? { command, applied: {}, writes: 0 } : written.outcome;
}
