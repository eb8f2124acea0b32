import { appendFileSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FileWriteLedger, WRITE_LEDGER_FILE } from '../src/write-ledger-file';

describe('FileWriteLedger', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(path.join(os.tmpdir(), 'sps-ledger-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('shares writes and relay changes between instances (processes) through one 0600 file', () => {
    const addon = new FileWriteLedger(dir);
    const cli = new FileWriteLedger(dir);
    addon.record('inverter', 1000);
    cli.record('inverter', 2000);
    cli.record('other', 2500);
    expect(addon.recent('inverter', 0)).toEqual([1000, 2000]);
    expect(addon.recent('inverter', 1500)).toEqual([2000]);
    cli.recordRelayChange('p1', 0, { on: true, at: 3000 });
    expect(addon.lastRelayChange('p1', 0)).toEqual({ on: true, at: 3000 });
    expect(addon.lastRelayChange('p1', 1)).toBeUndefined();
    // Relay lines are not writes: the budget counts the write itself once.
    expect(addon.recent('p1', 0)).toEqual([]);
    expect(statSync(path.join(dir, WRITE_LEDGER_FILE)).mode & 0o777).toBe(0o600);
  });

  it('keeps the file small: past 64 kB only the last minute of writes and the latest relay changes stay', () => {
    const ledger = new FileWriteLedger(dir);
    ledger.recordRelayChange('p1', 0, { on: true, at: 0 });
    ledger.recordRelayChange('p1', 0, { on: false, at: 1 });
    for (let i = 0; i < 3000; i++) ledger.record('inverter', i * 1000);
    expect(statSync(path.join(dir, WRITE_LEDGER_FILE)).size).toBeLessThan(64 * 1024);
    const fresh = new FileWriteLedger(dir);
    expect(fresh.recent('inverter', 0).length).toBeLessThan(1000);
    expect(fresh.recent('inverter', 2_940_000)).toHaveLength(60);
    expect(fresh.lastRelayChange('p1', 0)).toEqual({ on: false, at: 1 });
  });

  it('skips torn or foreign lines instead of failing', () => {
    const ledger = new FileWriteLedger(dir);
    ledger.record('inverter', 1000);
    appendFileSync(path.join(dir, WRITE_LEDGER_FILE), '{"d":"inverter","t":\n{"x":1}\nnot json\n');
    ledger.record('inverter', 2000);
    expect(ledger.recent('inverter', 0)).toEqual([1000, 2000]);
  });

  it('falls back to this process’s own writes when the file cannot be written, and says so once', () => {
    const errors: unknown[] = [];
    const ledger = new FileWriteLedger(path.join(dir, 'missing', 'deeper'), (err) => errors.push(err));
    ledger.record('inverter', 1000);
    ledger.record('inverter', 2000);
    expect(ledger.recent('inverter', 0)).toEqual([1000, 2000]);
    expect(errors).toHaveLength(1);
    expect(FileWriteLedger.inExistingDir(path.join(dir, 'missing'))).toBeUndefined();
  });
});
