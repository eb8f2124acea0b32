import { builtInDrivers } from '../drivers.js';
import { createLogger } from '../logger.js';
import { createDataDir, locateOptions, readOptionsFile } from '../options-source.js';
import { OptionsError, parseOptions } from '../options.js';
import { AddonRuntime } from '../runtime.js';
import { exitOnSignals } from '../shutdown.js';
import { CliError, EXIT_BAD_INPUT, intFlag, parseFlags, stringFlag, type CliCommand } from './command.js';
import { HA_FLAGS, HA_USAGE, haTargetFromFlags } from './ha-flags.js';
import { HTTP_FLAGS, HTTP_USAGE, describeWriteToken, httpOptionsFromFlags } from './http-flags.js';
import { startErrorLine } from './start-error.js';

export const runCommand: CliCommand = {
  name: 'run',
  summary: 'run the add-on (what the Docker image starts)',
  usage:
    `sps run --config FILE [--data-dir DIR] ${HTTP_USAGE} [--port N] ${HA_USAGE} [--ha-config-dir DIR]   ` +
    '(under the Supervisor: sps run)\n' +
    '  --port N        the web panel and API port (default: the http_port option, 8099)\n' +
    '  --data-dir DIR  the store and state (default $XDG_DATA_HOME/smart-power-station, else\n' +
    '                  ~/.local/share/smart-power-station; /data under the Supervisor)',
  async run(args, io) {
    const { values } = parseFlags(
      args,
      {
        config: { type: 'string' },
        'data-dir': { type: 'string' },
        ...HTTP_FLAGS,
        port: { type: 'string' },
        ...HA_FLAGS,
        'ha-config-dir': { type: 'string' },
      },
      false,
    );
    const port = intFlag(values, 'port', 0, 65535);
    const warn = (line: string): void => void io.stderr.write(`${line}\n`);
    const ha = haTargetFromFlags(values, io.env, warn);
    const http = httpOptionsFromFlags(values, io.env, warn);
    const haConfigDir = stringFlag(values, 'ha-config-dir');
    let location;
    let config;
    try {
      const configFile = stringFlag(values, 'config');
      const dataDir = stringFlag(values, 'data-dir');
      location = locateOptions({
        env: io.env,
        ...(configFile === undefined ? {} : { configFile }),
        ...(dataDir === undefined ? {} : { dataDir }),
      });
      config = parseOptions(readOptionsFile(location.file), builtInDrivers);
    } catch (err) {
      if (err instanceof OptionsError) throw new CliError(err.line, EXIT_BAD_INPUT);
      throw err;
    }

    try {
      createDataDir(location.dataDir);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? String(err);
      throw new CliError(`--data-dir: cannot create ${location.dataDir} (${code})`, EXIT_BAD_INPUT);
    }
    const logger = createLogger(config.logLevel, io.stdout);
    let runtime: AddonRuntime;
    try {
      runtime = await AddonRuntime.start({
        config,
        dataDir: location.dataDir,
        supervised: location.supervised,
        drivers: builtInDrivers,
        logger,
        ...http,
        ...(port === undefined ? {} : { httpPort: port }),
        ...(ha === undefined ? {} : { ha }),
        ...(haConfigDir === undefined ? {} : { haConfigDirs: [haConfigDir] }),
      });
    } catch (err) {
      throw new CliError(`cannot start: ${startErrorLine(err, port ?? config.httpPort)}`);
    }
    // Handlers first: whoever reads this line may send SIGTERM at once, and must get a clean stop.
    const stopped = exitOnSignals(() => runtime.stop(), logger);
    io.stdout.write(`Smart Power Station listening on ${runtime.url}\n${describeWriteToken(runtime.writeToken)}`);
    return stopped;
  },
};
