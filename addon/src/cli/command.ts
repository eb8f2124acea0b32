import { parseArgs, type ParseArgsConfig } from 'node:util';

/** What a subcommand may touch, so tests can run one in-process. */
export interface CliIo {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  readonly env: NodeJS.ProcessEnv;
}

/** One `sps` subcommand. Each lives in its own module; cli.ts only dispatches. */
export interface CliCommand {
  readonly name: string;
  readonly summary: string;
  readonly usage: string;
  /** Resolves to the exit code. Long-running commands (demo, run, simulate) resolve only at exit. */
  run(args: readonly string[], io: CliIo): Promise<number>;
}

/** A failure shown as one line on stderr with this exit code. */
export class CliError extends Error {
  override readonly name = 'CliError';
  constructor(
    message: string,
    readonly exitCode: number = 1,
  ) {
    super(message);
  }
}

/** Exit code for bad input: usage, flags, options files. */
export const EXIT_BAD_INPUT = 2;
/** Exit code when the device could not be reached or refused. */
export const EXIT_DEVICE_FAILED = 1;

type OptionsConfig = NonNullable<ParseArgsConfig['options']>;

/** node:util parseArgs with its errors turned into one-line usage errors. */
export function parseFlags<O extends OptionsConfig>(
  args: readonly string[],
  options: O,
  allowPositionals: boolean,
): { values: Record<string, string | boolean | undefined>; positionals: string[] } {
  try {
    const parsed = parseArgs({ args: [...args], options, allowPositionals, strict: true });
    return { values: parsed.values as Record<string, string | boolean | undefined>, positionals: parsed.positionals };
  } catch (err) {
    throw new CliError(
      (err instanceof Error ? err.message : String(err)).split('\n')[0] ?? 'bad arguments',
      EXIT_BAD_INPUT,
    );
  }
}

export function stringFlag(values: Record<string, string | boolean | undefined>, name: string): string | undefined {
  const value = values[name];
  return typeof value === 'string' ? value : undefined;
}

/** An integer flag, e.g. `--port 8099`; `min` 0 allows "any free port". */
export function intFlag(
  values: Record<string, string | boolean | undefined>,
  name: string,
  min: number,
  max: number,
): number | undefined {
  const text = stringFlag(values, name);
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!/^\d+$/.test(text.trim()) || value < min || value > max) {
    throw new CliError(`--${name}: expected an integer between ${min} and ${max}`, EXIT_BAD_INPUT);
  }
  return value;
}
