/**
 * The rules of Home Assistant's add-on linter (frenck/action-addon-linter, src/lint.py and src/config.schema.json,
 * read at commit 2bd8faa of 2026-04-09) that apply to an add-on's config.yaml, restated as a check the tests run
 * without the action's container. The linter validates config.yaml against its JSON schema (required keys, no
 * unknown keys) and reports every key set to the value the schema names as its default ("'boot' should be removed,
 * it uses a default value"), then adds a few rules of its own, listed below. Its community-repository rules
 * (version `dev`, a build file) are not for this repository.
 */

/** Keys and the defaults the linter's schema gives them (a key set to its default is an error). */
export const LINTER_DEFAULTS: Readonly<Record<string, unknown>> = {
  advanced: false,
  apparmor: true,
  audio: false,
  auth_api: false,
  auto_uart: false,
  backup: 'hot',
  boot: 'auto',
  devicetree: false,
  docker_api: false,
  full_access: false,
  gpio: false,
  hassio_api: false,
  hassio_role: 'default',
  homeassistant: false,
  homeassistant_api: false,
  host_dbus: false,
  host_ipc: false,
  host_network: false,
  host_pid: false,
  host_uts: false,
  ingress: false,
  ingress_port: 8099,
  ingress_stream: false,
  init: true,
  journald: false,
  kernel_modules: false,
  legacy: false,
  options: {},
  panel_admin: true,
  panel_icon: 'mdi:puzzle',
  realtime: false,
  schema: {},
  stage: 'stable',
  startup: 'application',
  stdin: false,
  timeout: 10,
  tmpfs: false,
  uart: false,
  udev: false,
  ulimits: {},
  usb: false,
  video: false,
};

/** Keys the linter's schema knows without a default. */
const OTHER_KEYS = [
  'arch',
  'backup_exclude',
  'backup_post',
  'backup_pre',
  'breaking_versions',
  'codenotary',
  'description',
  'devices',
  'discovery',
  'environment',
  'image',
  'ingress_entry',
  'machine',
  'map',
  'name',
  'panel_title',
  'ports',
  'ports_description',
  'privileged',
  'services',
  'slug',
  'url',
  'version',
  'watchdog',
  'webui',
];

const REQUIRED = ['arch', 'description', 'name', 'slug', 'version'];
const DEPRECATED_ARCHES = ['armhf', 'armv7', 'i386'];

/** JSON equality, enough for the defaults above (scalars and empty objects). */
const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

/** The linter's findings for one parsed config.yaml; an empty list is a pass. */
export function lintAddonConfig(config: Record<string, unknown>): string[] {
  const findings: string[] = [];
  const known = new Set([...Object.keys(LINTER_DEFAULTS), ...OTHER_KEYS]);
  for (const key of REQUIRED) if (!(key in config)) findings.push(`'${key}' is a required property`);
  for (const key of Object.keys(config)) {
    if (!known.has(key)) findings.push(`'${key}' is not a known key`);
    if (key in LINTER_DEFAULTS && same(config[key], LINTER_DEFAULTS[key])) {
      findings.push(`'${key}' should be removed, it uses a default value`);
    }
  }
  const arch = Array.isArray(config['arch']) ? (config['arch'] as unknown[]) : [];
  for (const name of arch) {
    if (DEPRECATED_ARCHES.includes(String(name))) findings.push(`architecture '${String(name)}' is deprecated`);
  }
  if (config['ingress'] === true && config['webui'] !== undefined) {
    findings.push("'webui' should be removed, Ingress is enabled");
  }
  if (config['ingress'] === true && config['host_network'] !== true && config['ingress_port'] === 0) {
    findings.push("'ingress_port' need not be randomised (0) off the host network");
  }
  if (config['full_access'] === true && ['devices', 'gpio', 'uart', 'usb'].some((key) => key in config)) {
    findings.push("'full_access' makes 'devices', 'gpio', 'uart' and 'usb' unnecessary");
  }
  if ('auto_uart' in config) findings.push("'auto_uart' is deprecated, use 'uart'");
  const devices = Array.isArray(config['devices']) ? (config['devices'] as unknown[]) : [];
  if (devices.some((device) => String(device).includes(':'))) {
    findings.push("'devices' uses the deprecated host:container:permissions format");
  }
  if ('tmpfs' in config && typeof config['tmpfs'] !== 'boolean') findings.push("'tmpfs' is a boolean now");
  if (config['backup'] === 'cold') {
    for (const key of ['backup_pre', 'backup_post']) {
      if (key in config) findings.push(`'${key}' is not valid with cold backups`);
    }
  }
  if (config['watchdog']) findings.push("'watchdog' is obsolete, use the Docker HEALTHCHECK directive");
  if ('codenotary' in config) findings.push("'codenotary' is deprecated");
  const map = Array.isArray(config['map']) ? (config['map'] as unknown[]).map(String) : [];
  if (map.some((entry) => /^config(:r[ow])?$/.test(entry))) {
    findings.push("'map' uses 'config', replaced by 'homeassistant_config'");
  }
  return findings;
}
