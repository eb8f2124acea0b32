import { readdirSync } from 'node:fs';
import path from 'node:path';
import { CLI_COMMANDS } from '../../addon/src/cli/commands';
import { builtInDrivers } from '../../addon/src/drivers';
import { DEVICE_COMMON_FIELDS, addonOptionsSchema } from '../../addon/src/options';
import { INGRESS_PORT } from '../../addon/src/runtime';
import {
  DEVICE_CLOSE_BUDGET_MS,
  HAND_BACK_BUDGET_MS,
  HTTP_CLOSE_BUDGET_MS,
  OPTIMIZER_STOP_BUDGET_MS,
  SHUTDOWN_DEADLINE_MS,
  SUPERVISOR_STOP_TIMEOUT_S,
} from '../../addon/src/shutdown';
import { REPO_ROOT, readRepoText, readRepoYaml } from './lib/repo-files';
import { parseElementType, schemaNesting, schemaProblems, type OptionsSchema } from './lib/supervisor-options';

/**
 * config.yaml as the Supervisor loads it (supervisor/apps/validate.py, docs/apps/configuration.md), and the files
 * that must stay in step with it: the add-on's zod options, translations/en.yaml, DOCS.md, CHANGELOG.md.
 */

type Manifest = Record<string, unknown> & { schema: OptionsSchema; options: Record<string, unknown> };
const manifest = readRepoYaml('config.yaml') as Manifest;

/** Options the Supervisor's schema leaves out on purpose (see the comment in config.yaml). */
const OUTSIDE_SUPERVISOR_ONLY = ['http_port'];

/** The keys of a zod object schema, looking through .default()/.optional() wrappers. */
function zodKeys(schema: unknown): string[] {
  let current: unknown = schema;
  for (let depth = 0; depth < 5; depth += 1) {
    if (typeof current !== 'object' || current === null) break;
    if ('shape' in current && typeof current.shape === 'object' && current.shape !== null) {
      return Object.keys(current.shape).sort();
    }
    if ('unwrap' in current && typeof current.unwrap === 'function') {
      current = (current.unwrap as () => unknown).call(current);
      continue;
    }
    break;
  }
  throw new Error('not a zod object schema');
}

function dictAt(schema: OptionsSchema, key: string): OptionsSchema {
  const node = schema[key];
  const dict = Array.isArray(node) ? node[0] : node;
  if (typeof dict !== 'object' || dict === null || Array.isArray(dict)) throw new Error(`schema.${key} is not a dict`);
  return dict as OptionsSchema;
}

describe('config.yaml', () => {
  it('has the keys the Supervisor requires, with valid values', () => {
    expect(manifest['name']).toBe('Smart Power Station');
    expect(manifest['slug']).toBe('smart_power_station');
    expect(manifest['slug']).toMatch(/^[-_.A-Za-z0-9]+$/);
    expect(typeof manifest['description']).toBe('string');
    expect(manifest['version']).toMatch(/^\d+\.\d+\.\d+$/);
    expect(manifest['arch']).toEqual(['aarch64', 'amd64']);
    // Left at their defaults (application, auto), which the add-on linter wants left out.
    expect(manifest['startup']).toBeUndefined();
    expect(manifest['boot']).toBeUndefined();
  });

  it('serves the panel through ingress on the port the add-on listens on', () => {
    expect(manifest['ingress']).toBe(true);
    // Left out: the Supervisor's default ingress port is 8099 (docs/apps/presentation.md, "Ingress").
    expect(manifest['ingress_port']).toBeUndefined();
    expect(INGRESS_PORT).toBe(8099);
    expect(manifest['panel_icon']).toMatch(/^mdi:[a-z0-9-]+$/);
    expect(typeof manifest['panel_title']).toBe('string');
    // No `ports`: the panel is reachable through ingress only.
    expect(manifest['ports']).toBeUndefined();
  });

  it("gives the shutdown's hand-back time: the stop timeout is above the add-on's hard deadline", () => {
    // The Supervisor's schema: `timeout` is an int, 10..300 s.
    expect(Number.isInteger(manifest['timeout'])).toBe(true);
    expect(manifest['timeout']).toBeGreaterThanOrEqual(10);
    expect(manifest['timeout']).toBeLessThanOrEqual(300);
    expect(manifest['timeout']).toBe(SUPERVISOR_STOP_TIMEOUT_S);
    expect(HTTP_CLOSE_BUDGET_MS + OPTIMIZER_STOP_BUDGET_MS + HAND_BACK_BUDGET_MS + DEVICE_CLOSE_BUDGET_MS).toBeLessThan(
      SHUTDOWN_DEADLINE_MS,
    );
    // Margin for the HA link, the device sockets and the store after the hand-back.
    expect(SHUTDOWN_DEADLINE_MS + 3000).toBeLessThanOrEqual(SUPERVISOR_STOP_TIMEOUT_S * 1000);
  });

  it('leaves the health check to the image: no obsolete watchdog URL, a Docker HEALTHCHECK on /api/health', () => {
    expect(manifest['watchdog']).toBeUndefined();
    expect(readRepoText('Dockerfile')).toContain(`http://127.0.0.1:${INGRESS_PORT}/api/health`);
  });

  it('uses the Home Assistant API and maps the HA config folder with current key names', () => {
    expect(manifest['homeassistant_api']).toBe(true);
    const map = manifest['map'] as string[];
    const volume =
      /^(data|config|ssl|local_apps|addons|backup|share|media|homeassistant_config|all_app_configs|all_addon_configs|app_config|addon_config)(?::(rw|ro))?$/;
    for (const entry of map) expect(entry).toMatch(volume);
    expect(map).toContain('homeassistant_config:rw');
    // `config` is the pre-2023 name of homeassistant_config.
    expect(map.some((entry) => entry.startsWith('config'))).toBe(false);
  });

  it('maps the I2C buses a configured INA260 may be on, Raspberry Pi bus 1 included', () => {
    // The Supervisor takes plain device paths (supervisor/addons/validate.py: `[str]`) and skips those the host lacks.
    const devices = manifest['devices'] as string[];
    expect(Array.isArray(devices)).toBe(true);
    for (const device of devices) expect(device).toMatch(/^\/dev\/i2c-\d{1,3}$/);
    expect(devices).toEqual(Array.from({ length: 11 }, (_, n) => `/dev/i2c-${n}`));
    // `bus` in the options schema must accept every bus mapped here.
    const bus = String(dictAt(manifest.schema, 'devices')['bus']);
    const pattern = new RegExp(/^match\((.*)\)\?$/.exec(bus)?.[1] ?? '$^');
    for (const device of devices) expect(device).toMatch(pattern);
  });

  it('runs one process under Docker init, as the Dockerfile expects', () => {
    // init: false is only right for images whose PID 1 is s6-overlay; this image resets the entrypoint.
    expect(manifest['init'] === undefined || manifest['init'] === true).toBe(true);
    expect(readRepoText('Dockerfile')).toMatch(/^ENTRYPOINT \[\]$/m);
  });

  it('is the only add-on manifest in the repository (the Supervisor searches folders for config.*)', () => {
    const found: string[] = [];
    const walk = (dir: string): void => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        if (entry.isDirectory()) {
          if (!['node_modules', '.git', '.venv', '.cache'].includes(entry.name)) walk(path.join(dir, entry.name));
        } else if (/^config\.(ya?ml|json)$/.test(entry.name)) {
          found.push(path.relative(REPO_ROOT, path.join(dir, entry.name)));
        }
      }
    };
    walk(REPO_ROOT);
    expect(found).toEqual(['config.yaml']);
  });

  it('has a schema the Supervisor loads, nested at most two levels', () => {
    expect(schemaProblems(manifest.schema)).toEqual([]);
    expect(schemaNesting(manifest.schema)).toBeLessThanOrEqual(2);
  });

  it('has a schema the Supervisors before 2026.03.3 load too (no negative bounds), so HA 2025.4 lists it', () => {
    expect(schemaProblems(manifest.schema, 'before-2026.03.3')).toEqual([]);
  });

  it('gives defaults only for options the schema knows, and none for optional ones', () => {
    const optional = Object.entries(manifest.schema).filter(([, typ]) => typeof typ === 'string' && typ.endsWith('?'));
    for (const key of Object.keys(manifest.options)) expect(Object.keys(manifest.schema)).toContain(key);
    // "If any default value is given, the option becomes a required value."
    for (const [key] of optional) expect(manifest.options).not.toHaveProperty(key);
  });
});

describe('config.yaml schema and the zod options have the same fields', () => {
  it('at the top level', () => {
    const zod = zodKeys(addonOptionsSchema).filter((key) => !OUTSIDE_SUPERVISOR_ONLY.includes(key));
    expect(Object.keys(manifest.schema).sort()).toEqual(zod);
  });

  it.each(['safety', 'store', 'tariff', 'forecast'])('in %s', (section) => {
    expect(Object.keys(dictAt(manifest.schema, section)).sort()).toEqual(
      zodKeys(addonOptionsSchema.shape[section as 'safety']),
    );
  });

  it('in a device: the common fields plus every driver field', () => {
    const driverFields = builtInDrivers.names().flatMap((name) => zodKeys(builtInDrivers.get(name)?.fields));
    const expected = [...new Set([...DEVICE_COMMON_FIELDS, ...driverFields])].sort();
    expect(Object.keys(dictAt(manifest.schema, 'devices')).sort()).toEqual(expected);
  });

  it('offers exactly the built-in drivers', () => {
    const driver = parseElementType(String(dictAt(manifest.schema, 'devices')['driver']));
    expect(driver?.kind).toBe('list');
    expect([...(driver?.choices ?? [])].sort()).toEqual([...builtInDrivers.names()].sort());
  });
});

describe('translations/en.yaml', () => {
  const translations = readRepoYaml('translations', 'en.yaml') as {
    configuration: Record<string, { name?: unknown; description?: unknown; fields?: Record<string, unknown> }>;
  };

  const named = (entry: unknown): boolean =>
    typeof entry === 'object' &&
    entry !== null &&
    typeof (entry as { name?: unknown }).name === 'string' &&
    typeof (entry as { description?: unknown }).description === 'string';

  it('names and describes every option and every field, and nothing else', () => {
    const { configuration } = translations;
    expect(Object.keys(configuration).sort()).toEqual(Object.keys(manifest.schema).sort());
    for (const [key, node] of Object.entries(manifest.schema)) {
      const entry = configuration[key];
      expect({ key, named: named(entry) }).toEqual({ key, named: true });
      if (typeof node === 'string' || (Array.isArray(node) && typeof node[0] === 'string')) continue;
      const fields = entry?.fields ?? {};
      expect(Object.keys(fields).sort()).toEqual(Object.keys(dictAt(manifest.schema, key)).sort());
      for (const [field, text] of Object.entries(fields)) {
        expect({ field: `${key}.${field}`, named: named(text) }).toEqual({ field: `${key}.${field}`, named: true });
      }
    }
  });
});

describe('DOCS.md and CHANGELOG.md stay true', () => {
  const docs = readRepoText('DOCS.md');

  it('documents every option and field', () => {
    const keys = Object.entries(manifest.schema).flatMap(([key, node]) =>
      typeof node === 'string' ? [key] : [key, ...Object.keys(dictAt(manifest.schema, key))],
    );
    const missing = keys.filter((key) => !docs.includes(`\`${key}\``));
    expect(missing).toEqual([]);
  });

  it('mentions only sps commands that exist', () => {
    const mentioned = [...docs.matchAll(/`sps ([a-z-]+)/g)].map((match) => match[1]);
    const known = CLI_COMMANDS.map((command) => command.name);
    expect(mentioned.length).toBeGreaterThan(0);
    expect(mentioned.filter((name) => !known.includes(name ?? ''))).toEqual([]);
  });

  it('describes the drivers that exist', () => {
    for (const name of builtInDrivers.names()) expect(docs).toContain(`\`${name}\``);
  });

  it('has the version of config.yaml at the top of the changelog, and in package.json', () => {
    const changelog = readRepoText('CHANGELOG.md');
    expect(changelog.match(/^## \[(\d+\.\d+\.\d+)\]/m)?.[1]).toBe(manifest['version']);
    const rootPackage = JSON.parse(readRepoText('package.json')) as { version: string };
    const addonPackage = JSON.parse(readRepoText('addon', 'package.json')) as { version: string };
    expect(rootPackage.version).toBe(manifest['version']);
    expect(addonPackage.version).toBe(manifest['version']);
  });
});
