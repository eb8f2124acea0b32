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
  /** A fuller `--help` than the usage line; `positionals` are the words before it (`sps read shelly --help`). */
  help?(positionals: readonly string[]): string;
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

/** A value that starts with a dash but is a number (`--longitude -0.1`), not another option. */
const NEGATIVE_NUMBER = /^-(\d|\.\d)/;

/**
 * What node:util parseArgs gets: a lone `--` is dropped (`pnpm start -- --port N` forwards it, and
 * no command takes positionals that start with a dash), and a negative number after a string
 * option is joined to it (parseArgs calls `--longitude -0.1` ambiguous). An unknown `--flag` is
 * reported here, in our words: parseArgs' own message has an unbalanced quote.
 */
function normaliseArgs(args: readonly string[], options: OptionsConfig): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg === '--') continue;
    if (!arg.startsWith('--')) {
      out.push(arg);
      continue;
    }
    const name = arg.slice(2).split('=')[0] ?? '';
    const option = Object.hasOwn(options, name) ? options[name] : undefined;
    if (option === undefined) {
      throw new CliError(`--${name}: unknown option (--help lists the options)`, EXIT_BAD_INPUT);
    }
    const next = args[i + 1];
    if (option.type === 'string' && !arg.includes('=') && next !== undefined && NEGATIVE_NUMBER.test(next)) {
      out.push(`${arg}=${next}`);
      i++;
    } else out.push(arg);
  }
  return out;
}

/** parseArgs' remaining complaints as one line that names the flag. */
function parseErrorLine(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  const code = (err as { code?: unknown }).code;
  const flag = /'(--?[\w-]+)/.exec(message)?.[1];
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && flag !== undefined) {
    return /does not take an argument/.test(message) ? `${flag}: takes no value` : `${flag}: needs a value`;
  }
  if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') {
    const extra = /argument '([^']*)'/.exec(message)?.[1] ?? '';
    return `unexpected argument "${extra}" (--help lists the options)`;
  }
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && flag !== undefined) {
    return `${flag}: unknown option (--help lists the options)`;
  }
  return message.split('\n')[0] ?? 'bad arguments';
}

/** node:util parseArgs with its errors turned into one-line usage errors. */
export function parseFlags<O extends OptionsConfig>(
  args: readonly string[],
  options: O,
  allowPositionals: boolean,
): { values: Record<string, string | boolean | undefined>; positionals: string[] } {
  const normalised = normaliseArgs(args, options);
  try {
    const parsed = parseArgs({ args: normalised, options, allowPositionals, strict: true });
    return { values: parsed.values as Record<string, string | boolean | undefined>, positionals: parsed.positionals };
  } catch (err) {
    throw new CliError(parseErrorLine(err), EXIT_BAD_INPUT);
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
