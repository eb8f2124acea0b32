import path from 'node:path';
import { SpsProcess } from '../../../addon/test/support/addon-process';
import { venvAvailable, type HassInstance } from './hass.cjs';

/**
 * `describe` when the HA venv is there, `describe.skip` with a warning when it is not (run
 * scripts/setup.sh); on CI a missing venv is a failure.
 */
export function describeWithHass(file: string): jest.Describe {
  if (venvAvailable()) return describe;
  if (process.env['CI']) throw new Error('CI needs the HA venv: run scripts/setup.sh');
  console.warn(`${path.basename(file)} skipped: no .venv with homeassistant (run scripts/setup.sh)`);
  return describe.skip;
}

/** One row of HA's `config/entity_registry/list`. */
export interface RegistryEntity {
  unique_id: string;
  entity_id: string;
  platform: string;
}

/**
 * The real add-on (`sps run`, a child process) on `optionsFile`, its data in `dataDir`, HTTP on a
 * free port, talking to `hass` with its long-lived token (SPS_HA_TOKEN) and installing the bridge
 * into HA's config dir.
 */
export function startAddonWithHass(hass: HassInstance, optionsFile: string, dataDir: string): SpsProcess {
  return new SpsProcess(
    [
      'run',
      '--config',
      optionsFile,
      '--data-dir',
      dataDir,
      '--port',
      '0',
      '--ha-url',
      hass.wsUrl,
      '--ha-config-dir',
      hass.configDir,
    ],
    { SPS_HA_TOKEN: hass.token },
  );
}
