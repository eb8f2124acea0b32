import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ManualClock } from '@sps/core';
import { silentLogger } from '../src/logger';
import { ProblemBoard, REPAIR_KEYS } from '../src/problems';

const BRIDGE = path.join(__dirname, '..', '..', 'integration-bridge', 'custom_components', 'smart_power_station');

describe('ProblemBoard', () => {
  it('raises, updates without a second log line, and clears; listeners see every change', () => {
    const clock = new ManualClock('2026-12-04T12:00:00Z');
    const board = new ProblemBoard(clock, silentLogger());
    const seen: number[] = [];
    board.events.on('changed', (list) => seen.push(list.length));
    board.raise({ id: 'a', severity: 'error', message: 'one' });
    clock.set(Date.parse('2026-12-04T12:05:00Z'));
    board.raise({ id: 'a', severity: 'error', message: 'one' });
    board.raise({ id: 'a', severity: 'error', message: 'two' });
    expect(board.list()).toEqual([{ id: 'a', severity: 'error', message: 'two', since: '2026-12-04T12:00:00.000Z' }]);
    board.clear('a');
    board.clear('a');
    expect(seen).toEqual([1, 1, 0]);
  });

  it('raises only repair keys the bridge has translated, with the placeholders its text needs', () => {
    const constPy = readFileSync(path.join(BRIDGE, 'const.py'), 'utf8');
    const block = /ADDON_REPAIR_PLACEHOLDERS[^{]*\{([\s\S]*?)\n\}/.exec(constPy)?.[1] ?? '';
    const bridgeKeys = [...block.matchAll(/"([a-z_]+)":/g)].map((m) => m[1]);
    expect([...bridgeKeys].sort()).toEqual([...REPAIR_KEYS].sort());
    for (const file of ['strings.json', path.join('translations', 'en.json')]) {
      const issues = (JSON.parse(readFileSync(path.join(BRIDGE, file), 'utf8')) as { issues: Record<string, unknown> })
        .issues;
      for (const key of REPAIR_KEYS) expect(issues).toHaveProperty(key);
    }
  });
});
