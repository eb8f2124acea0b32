#!/usr/bin/env node
import { CLI_COMMANDS } from './cli/commands.js';
import { CliError, EXIT_BAD_INPUT, type CliIo } from './cli/command.js';
import { installUnhandledRejectionLogger } from './unhandled-rejections.js';

function usage(): string {
  const width = Math.max(...CLI_COMMANDS.map((c) => c.name.length));
  return (
    'usage: sps <command> [options]\n\n' +
    CLI_COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join('\n') +
    '\n\nsps <command> --help shows its options.\n'
  );
}

/** Dispatch to a subcommand; every failure ends as one line on stderr and a non-zero exit code. */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.stdout.write(usage());
    return name === undefined ? EXIT_BAD_INPUT : 0;
  }
  const command = CLI_COMMANDS.find((c) => c.name === name);
  if (!command) {
    io.stderr.write(`sps: unknown command "${name}" (one of ${CLI_COMMANDS.map((c) => c.name).join(', ')})\n`);
    return EXIT_BAD_INPUT;
  }
  try {
    if (args.includes('--help') || args.includes('-h')) {
      const words = args.filter((a) => !a.startsWith('-'));
      io.stdout.write(command.help ? command.help(words) : `usage: ${command.usage}\n`);
      return 0;
    }
    return await command.run(args, io);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    io.stderr.write(`sps ${name}: ${message.split('\n')[0]}\n`);
    return err instanceof CliError ? err.exitCode : 1;
  }
}

if (require.main === module) {
  // A stray rejection in a long-running add-on is a bug to log, not a reason to drop every device.
  installUnhandledRejectionLogger();
  main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env }).then(
    (code) => exitAfterOutput(code),
    (err: unknown) => {
      process.stderr.write(`sps: ${err instanceof Error ? err.message : String(err)}\n`);
      exitAfterOutput(1);
    },
  );
}

/**
 * Exit once stdout and stderr have handed everything to the OS. A pipe takes 64 KiB before its
 * reader catches up and Node queues the rest, so `process.exit()` straight away cut `sps plan
 * --json | jq` at 65,536 bytes. An empty write's callback runs after everything queued before it;
 * exiting then (rather than waiting for the event loop to empty) still ends a command whose
 * device library left a timer behind.
 */
function exitAfterOutput(code: number): void {
  process.exitCode = code;
  process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
}
