/**
 * What HACS checks before it installs an integration, restated from its source (hacs/integration at 3249355 of
 * 2026-08-07: custom_components/hacs/utils/validate.py HACS_MANIFEST_JSON_SCHEMA and
 * INTEGRATION_MANIFEST_JSON_SCHEMA, repositories/integration.py validate_repository, repositories/base.py
 * should_try_releases and async_download_zip_file), plus the manifest fields Home Assistant itself reads from a
 * custom integration (developers.home-assistant docs/creating_integration_manifest.md) and the places brand images
 * are read from (docs/core/integration/brand_images, and the blog post of 2026-02-24: HA 2026.3 and later read
 * custom_components/<domain>/brand/; older releases take the brands repository's custom_integrations/<domain>/).
 */

const HACS_JSON_KEYS: Readonly<Record<string, 'string' | 'boolean' | 'country'>> = {
  content_in_root: 'boolean',
  country: 'country',
  filename: 'string',
  hacs: 'string',
  hide_default_branch: 'boolean',
  homeassistant: 'string',
  persistent_directory: 'string',
  render_readme: 'boolean',
  zip_release: 'boolean',
  name: 'string',
};

const VERSION = /^\d+\.\d+\.\d+$/;

/** hacs.json: HACS's schema (name required, no other keys than its own), and a zip asset when zip_release. */
export function hacsJsonProblems(hacs: Record<string, unknown>): string[] {
  const problems: string[] = [];
  if (typeof hacs['name'] !== 'string') problems.push("hacs.json: 'name' is required text");
  for (const [key, value] of Object.entries(hacs)) {
    const kind = HACS_JSON_KEYS[key];
    if (kind === undefined) problems.push(`hacs.json: '${key}' is not a HACS key`);
    else if (kind === 'country') {
      if (typeof value !== 'string' && !Array.isArray(value)) problems.push("hacs.json: 'country' is text or a list");
    } else if (typeof value !== kind) problems.push(`hacs.json: '${key}' must be ${kind}`);
  }
  // HACS downloads the release asset only when `filename` ends in .zip (should_try_releases).
  if (hacs['zip_release'] === true && !String(hacs['filename'] ?? '').endsWith('.zip')) {
    problems.push("hacs.json: zip_release needs a 'filename' ending in .zip");
  }
  if (hacs['homeassistant'] !== undefined && !VERSION.test(String(hacs['homeassistant']))) {
    problems.push("hacs.json: 'homeassistant' is a version such as 2025.4.0");
  }
  return problems;
}

const IOT_CLASSES = ['assumed_state', 'calculated', 'cloud_polling', 'cloud_push', 'local_polling', 'local_push'];
const HTTPS_URL = /^https:\/\/[^\s/]+\.[^\s/]+\/\S*$/;

/** manifest.json of a custom integration: HACS's required fields and the ones Home Assistant reads. */
export function integrationManifestProblems(manifest: Record<string, unknown>, folderName: string): string[] {
  const problems: string[] = [];
  const text = (key: string): void => {
    if (typeof manifest[key] !== 'string' || manifest[key] === '') problems.push(`manifest.json: '${key}' is text`);
  };
  text('domain');
  text('name');
  if (manifest['domain'] !== folderName) problems.push('manifest.json: domain must be the folder name');
  // A custom integration without a version is not loaded by Home Assistant; HACS parses it with AwesomeVersion.
  if (typeof manifest['version'] !== 'string' || !VERSION.test(manifest['version'])) {
    problems.push("manifest.json: 'version' is a version such as 0.1.2");
  }
  for (const key of ['documentation', 'issue_tracker']) {
    if (!HTTPS_URL.test(String(manifest[key] ?? ''))) problems.push(`manifest.json: '${key}' is an https URL`);
  }
  if (!Array.isArray(manifest['codeowners'])) problems.push("manifest.json: 'codeowners' is a list");
  else if (!manifest['codeowners'].every((owner) => typeof owner === 'string' && /^@[\w-]+(\/[\w-]+)?$/.test(owner))) {
    problems.push("manifest.json: 'codeowners' lists GitHub @names");
  }
  if (!IOT_CLASSES.includes(String(manifest['iot_class']))) problems.push("manifest.json: 'iot_class' is unknown");
  if (!Array.isArray(manifest['requirements']) || !manifest['requirements'].every((r) => typeof r === 'string')) {
    problems.push("manifest.json: 'requirements' is a list of pip requirements");
  }
  if (typeof manifest['config_flow'] !== 'boolean') problems.push("manifest.json: 'config_flow' is true or false");
  return problems;
}

/**
 * Whether HACS accepts a repository (its file paths, relative to the root) as an integration repository, and
 * where it would take the integration from.
 */
export function hacsRepositoryVerdict(
  files: readonly string[],
  hacs: Record<string, unknown>,
): { ok: true; integration: string } | { ok: false; reason: string } {
  if (hacs['content_in_root'] === true) {
    return files.includes('manifest.json')
      ? { ok: true, integration: '' }
      : { ok: false, reason: 'content_in_root without a manifest.json at the root' };
  }
  const folder = files.find((file) => /^custom_components\/[^/]+\//.test(file))?.split('/')[1];
  if (folder === undefined) {
    if (files.some((file) => /^repository\.(json|ya?ml)$/.test(file))) {
      return { ok: false, reason: 'an add-on repository (repository.yaml, no custom_components/ at the root)' };
    }
    return { ok: false, reason: 'no custom_components/ at the root' };
  }
  if (!files.includes(`custom_components/${folder}/manifest.json`)) {
    return { ok: false, reason: `no custom_components/${folder}/manifest.json` };
  }
  return { ok: true, integration: `custom_components/${folder}` };
}

/** Brand images for a domain, in either place Home Assistant reads them from; [] when the icon is there. */
export function brandProblems(files: readonly string[], domain: string): string[] {
  const inIntegration = files.some((file) => file.endsWith(`custom_components/${domain}/brand/icon.png`));
  const brandsLayout = files.some((file) => file.endsWith(`custom_integrations/${domain}/icon.png`));
  return inIntegration || brandsLayout
    ? []
    : [`no brand icon: custom_components/${domain}/brand/icon.png or custom_integrations/${domain}/icon.png`];
}
