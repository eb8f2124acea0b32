import { mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ManualClock } from '@sps/core';
import { silentLogger } from '../src/logger';
import { openArchive, STORE_FILE } from '../src/open-archive';
import { ProblemBoard } from '../src/problems';

/** Issue 10 item 10: the data dir the add-on creates is its user's alone, and so is the store in it. */
describe('the data dir', () => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'sps-data-dir-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('is created 0700 with the store 0600 inside', async () => {
    const dataDir = path.join(tmp, 'new', 'data');
    const previous = process.umask(0o022);
    try {
      const archive = openArchive({
        dataDir,
        rawRetentionMs: 86_400_000,
        aggregateRetentionMs: 86_400_000,
        clock: new ManualClock(),
        logger: silentLogger(),
        problems: new ProblemBoard(new ManualClock(), silentLogger()),
      });
      await archive.close();
    } finally {
      process.umask(previous);
    }
    expect((statSync(dataDir).mode & 0o777).toString(8)).toBe('700');
    expect((statSync(path.join(dataDir, STORE_FILE)).mode & 0o777).toString(8)).toBe('600');
  });
});
