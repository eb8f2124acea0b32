import type { CliCommand } from './command.js';
import { demoCommand } from './demo.js';
import { readCommand } from './read.js';
import { runCommand } from './run.js';
import { simulateCommand } from './simulate.js';
import { writeCommand } from './write.js';

/** Every `sps` subcommand; a new one (prices, plan, forecast) is one module and one line here. */
export const CLI_COMMANDS: readonly CliCommand[] = [
  demoCommand,
  runCommand,
  readCommand,
  writeCommand,
  simulateCommand,
];
