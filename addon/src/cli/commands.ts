import type { CliCommand } from './command.js';
import { demoCommand } from './demo.js';
import { drCommand } from './dr.js';
import { forecastCommand } from './forecast.js';
import { planCommand } from './plan.js';
import { pricesCommand } from './prices.js';
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
  planCommand,
  pricesCommand,
  forecastCommand,
  drCommand,
];
