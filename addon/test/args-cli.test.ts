import { PassThrough } from 'node:stream';
import { SungrowSimulator } from '@sps/device-sungrow';
import { main } from '../src/cli';
import { parseFlags } from '../src/cli/command';
import { CONNECTION_FLAGS } from '../src/cli/connection-flags';
import { driverFlags } from '../src/cli/driver-help';
import { commandFromFlags } from '../src/cli/write';
import { builtInDrivers } from '../src/drivers';

/**
 * What a new user types and reads back: every bad argument is one human line on stderr that names
 * the flag (exit 2), negative numbers parse as values, `pnpm start -- …`'s `--` is accepted,
 * `--until` is refused before anything is written, and `--help` shows each driver's flags from the
 * same schema the parser checks against.
 */

async function sps(args: readonly string[]): Promise<{ code: number; out: string; err: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  const code = await main(args, { stdout, stderr, env: {} });
  return { code, out, err };
}

const HOST = ['--host', '127.0.0.1'];

describe('one-line errors that name the flag (exit 2)', () => {
  const cases: [string, readonly string[], string][] = [
    ['a command without its power', ['write', 'sungrow-sh', 'force_charge', ...HOST], 'force_charge needs --power-w W'],
    ['set_relay without its state', ['write', 'shelly', 'set_relay', ...HOST], 'set_relay needs --on true|false'],
    [
      'a power that is not a number',
      ['write', 'sungrow-sh', 'force_charge', '--power-w', 'lots', ...HOST],
      '--power-w: expected a number (W), got "lots"',
    ],
    [
      'a negative power',
      ['write', 'sungrow-sh', 'force_charge', '--power-w', '-5', ...HOST],
      '--power-w: must be at least 0',
    ],
    [
      'a relay state that is not a boolean',
      ['write', 'shelly', 'set_relay', '--on', 'yes', ...HOST],
      '--on: expected true or false',
    ],
    [
      'a flag the command does not take',
      ['write', 'shelly', 'set_relay', '--on', 'true', '--percent', '5', ...HOST],
      '--percent: not an option of set_relay',
    ],
    [
      'an unknown command',
      ['write', 'shelly', 'explode', ...HOST],
      'unknown command "explode" (one of force_charge, force_discharge, restore_normal, set_backup_reserve, ' +
        'set_charge_limit, set_discharge_limit, set_export_limit, set_relay, set_operating_mode)',
    ],
    ['an unknown flag', ['read', 'shelly', '--hots', '127.0.0.1'], '--hots: unknown option (--help lists the options)'],
    ['a flag without its value', ['read', 'shelly', '--host'], '--host: needs a value'],
    ['a value given to a switch', ['read', 'shelly', '--json=yes', ...HOST], '--json: takes no value'],
    [
      'a word where none is taken',
      ['plan', '--scenario', 'x.json', 'extra'],
      'unexpected argument "extra" (--help lists the options)',
    ],
    [
      'a flag of another driver',
      ['read', 'shelly', '--unit-id', '3', ...HOST],
      '--unit-id: not an option of driver shelly',
    ],
  ];

  it.each(cases)('%s', async (_what, args, line) => {
    const { code, out, err } = await sps(args);
    expect(err).toBe(`sps ${args[0]}: ${line}\n`);
    expect(code).toBe(2);
    expect(out).toBe('');
    // Quotes come in pairs (node's own unknown-option message left one open).
    expect(err.split('"').length % 2).toBe(1);
    expect(err).not.toContain("'");
  });
});

describe('negative numbers are values', () => {
  it('after a space and after =', () => {
    const options = { latitude: { type: 'string' }, longitude: { type: 'string' }, json: { type: 'boolean' } } as const;
    expect(parseFlags(['--longitude', '-0.1', '--latitude=-33.8', '--json'], options, false).values).toEqual({
      longitude: '-0.1',
      latitude: '-33.8',
      json: true,
    });
    expect(parseFlags(['--longitude', '-.5'], options, false).values).toEqual({ longitude: '-.5' });
  });

  it('in the DOCS forecast example: the error is about the next bad flag, not "ambiguous"', async () => {
    const { code, err } = await sps([
      'forecast',
      'solar',
      '--source',
      'forecast.solar',
      '--latitude=-33.8',
      '--longitude',
      '-0.1',
      '--kwp',
      'four',
    ]);
    expect(err).toBe('sps forecast: --kwp: expected a number\n');
    expect(code).toBe(2);
  });

  it('still reports a missing value when the next word is another flag', () => {
    expect(() =>
      parseFlags(['--host', '--json'], { host: { type: 'string' }, json: { type: 'boolean' } }, false),
    ).toThrow('--host: needs a value');
  });
});

describe('a lone -- (what `pnpm start -- --port N` passes on)', () => {
  it('is dropped, so the flags after it are flags', () => {
    const options = { port: { type: 'string' } } as const;
    expect(parseFlags(['--', '--port', '8101'], options, false).values).toEqual({ port: '8101' });
  });
});

describe('sps write --until', () => {
  let sim: SungrowSimulator;
  let port: number;
  beforeAll(async () => {
    sim = new SungrowSimulator({});
    port = await sim.start({ host: '127.0.0.1', port: 0 });
  });
  afterAll(async () => {
    await sim.stop();
  });

  it('is refused, says where timed overrides live, and nothing is written to the device', async () => {
    const until = new Date(Date.now() + 2000).toISOString();
    const args = ['write', 'sungrow-sh', 'force_charge', '--power-w', '1000', '--until', until];
    const { code, out, err } = await sps([...args, ...HOST, '--port', String(port)]);
    expect(code).toBe(2);
    expect(out).toBe('');
    expect(err).toBe(
      'sps write: --until: sps write sends one command and exits, so nothing would end the override; for a timed ' +
        'override use the running add-on (the HA service with an end time, or POST api/devices/ID/commands with ' +
        '"until"), or end it yourself with sps write … restore_normal\n',
    );
    expect(sim.writeCount).toBe(0);
    expect(sim.requestCount).toBe(0);

    // Without --until the same command goes through: the simulator is reachable, the refusal was the flag.
    const plain = await sps([
      'write',
      'sungrow-sh',
      'force_charge',
      '--power-w',
      '1000',
      ...HOST,
      '--port',
      String(port),
    ]);
    expect(plain.err).toBe('');
    expect(plain.code).toBe(0);
    expect(sim.writeCount).toBeGreaterThan(0);
  });
});

describe('--help', () => {
  it('sps read --help lists every driver with its title', async () => {
    const { code, out } = await sps(['read', '--help']);
    expect(code).toBe(0);
    const rows = out.split('\n').map((line) => line.trim().split(/\s{2,}/));
    for (const name of builtInDrivers.names()) {
      expect(rows).toContainEqual([name, builtInDrivers.get(name)?.title]);
    }
  });

  it.each(builtInDrivers.names())(
    'sps read/write %s --help: every option with a description, and examples that parse',
    async (name) => {
      const driver = builtInDrivers.get(name)!;
      const flags = driverFlags(driver);
      expect(flags.length).toBeGreaterThan(0);
      const read = await sps(['read', name, '--help']);
      expect(read.code).toBe(0);
      for (const flag of flags) {
        expect(flag.help).not.toBe('');
        expect(read.out).toContain(flag.help);
        expect(read.out).toContain(driver.memberReferences ? `  ${flag.field}` : `  ${flag.flag} `);
      }
      const readExamples = exampleLines(read.out);
      expect(readExamples.length).toBeGreaterThan(0);
      const write = await sps(['write', name, '--help']);
      expect(write.code).toBe(0);
      expect(write.out).toContain('--power-w W');
      for (const line of [...readExamples, ...exampleLines(write.out)]) {
        // Each example parses with the command's own flags, and its device fields with the driver's schema.
        const words = line.split(' ').slice(1);
        const parsed = parseFlags(
          words.slice(1),
          {
            ...CONNECTION_FLAGS,
            config: { type: 'string' },
            device: { type: 'string' },
            'power-w': { type: 'string' },
            on: { type: 'string' },
          },
          true,
        );
        if (words[0] === 'write') expect(() => commandFromFlags(parsed.positionals[1], parsed.values)).not.toThrow();
      }
      if (driver.exampleFields) expect(driver.fields.safeParse(driver.exampleFields).success).toBe(true);
    },
  );

  it('sps simulate <driver> --help prints the sps read line that reaches the simulator', async () => {
    const { code, out } = await sps(['simulate', 'sungrow-sh', '--help']);
    expect(code).toBe(0);
    expect(out).toContain('sps read sungrow-sh --host 127.0.0.1 --port 5020\n');
  });
});

/** The `sps …` lines under "examples:" (without the trailing "(after: …)"). */
function exampleLines(help: string): string[] {
  const after = help.split('examples:\n')[1] ?? '';
  return after
    .split('\n')
    .filter((l) => l.startsWith('  sps '))
    .map((l) => l.trim().split('   (')[0]!.replace(' [--device NAME]', ''));
}
