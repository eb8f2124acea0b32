import { builtInDrivers } from '../../addon/src/drivers';
import { OptionsError, parseOptions, type AddonConfig } from '../../addon/src/options';
import { readExamples, readRepoYaml, type OptionsExample } from './lib/repo-files';
import { mergeOptions, validateOptions, type OptionsSchema, type ValidationResult } from './lib/supervisor-options';

/**
 * The options the Supervisor checks (config.yaml's schema) and the options the add-on checks (zod, in
 * addon/src/options.ts) must agree, on a corpus of example files in examples/:
 *
 * - valid/       both accept, and the add-on reads the Supervisor's output (/data/options.json) the same way it
 *                reads the file itself;
 * - invalid/     both reject, and the add-on's error names the field the example says;
 * - normalized/  the Supervisor accepts by coercing a value or dropping an unknown key, the add-on (stricter when
 *                it reads a file itself, outside HA) rejects the raw file naming the field, and accepts what the
 *                Supervisor writes: nothing the Supervisor lets through stops the add-on;
 * - addon-only/  rules the schema language cannot express (comparing list items), or cannot express on the older
 *                Supervisors this add-on supports (a negative lower bound): the Supervisor accepts, the add-on
 *                refuses to start, naming the field.
 */

interface Manifest {
  readonly options: Record<string, unknown>;
  readonly schema: OptionsSchema;
}

const manifest = readRepoYaml('config.yaml') as Manifest;

/** What the Supervisor does with a user's options: merge over the defaults, validate, write JSON. */
function supervisor(options: unknown): ValidationResult {
  const result = validateOptions(manifest.schema, mergeOptions(manifest.options, options));
  if (!result.ok) return result;
  return { ...result, options: JSON.parse(JSON.stringify(result.options)) as Record<string, unknown> };
}

type AddonResult = { ok: true; config: AddonConfig } | { ok: false; error: string };

function addon(options: unknown): AddonResult {
  try {
    return { ok: true, config: parseOptions(options, builtInDrivers) };
  } catch (err) {
    if (err instanceof OptionsError) return { ok: false, error: err.message };
    throw err;
  }
}

/** A readable failure: which example, why it exists, and what each side said. */
function report(example: OptionsExample, ha: ValidationResult, raw: AddonResult, written?: AddonResult): string {
  const side = (r: ValidationResult | AddonResult): string =>
    r.ok ? 'accepted' : `rejected (${'error' in r ? r.error : ''})`;
  return [
    `${example.name}: ${example.why}`,
    `  Supervisor: ${side(ha)}`,
    `  add-on on the file: ${side(raw)}`,
    ...(written ? [`  add-on on /data/options.json: ${side(written)}`] : []),
  ].join('\n');
}

function expectFieldNamed(example: OptionsExample, result: AddonResult): void {
  if (result.ok || example.expectField === undefined) return;
  if (!result.error.startsWith(`${example.expectField}:`)) {
    throw new Error(`${example.name}: the add-on's error should name ${example.expectField}, got "${result.error}"`);
  }
}

describe('options corpus: the Supervisor schema and the add-on agree', () => {
  const valid = readExamples('valid');
  const invalid = readExamples('invalid');
  const normalized = readExamples('normalized');
  const addonOnly = readExamples('addon-only');

  it('has at least ten valid and ten invalid examples', () => {
    expect(valid.length).toBeGreaterThanOrEqual(10);
    expect(invalid.length).toBeGreaterThanOrEqual(10);
  });

  it('names the field for every example the add-on rejects', () => {
    const unnamed = [...invalid, ...normalized, ...addonOnly]
      .filter((example) => example.expectField === undefined)
      .map((example) => example.name);
    // The one example without a field is the one whose whole file is the wrong shape.
    expect(unnamed).toEqual(['invalid/35-options-a-list.yaml']);
  });

  it.each(valid.map((e) => [e.name, e] as const))('%s: both accept', (_name, example) => {
    const ha = supervisor(example.options);
    const raw = addon(example.options);
    const written = ha.ok ? addon(ha.options) : undefined;
    const agree = ha.ok && raw.ok && written?.ok === true;
    if (!agree) throw new Error(report(example, ha, raw, written));
    // The Supervisor's defaults are the add-on's defaults: reading either gives the same config, apart from
    // http_port, which the Supervisor's schema leaves out on purpose.
    if (raw.ok && written?.ok) {
      expect({ ...written.config, httpPort: undefined }).toEqual({ ...raw.config, httpPort: undefined });
    }
  });

  it.each(invalid.map((e) => [e.name, e] as const))('%s: both reject', (_name, example) => {
    const ha = supervisor(example.options);
    const raw = addon(example.options);
    if (ha.ok || raw.ok) throw new Error(report(example, ha, raw));
    expectFieldNamed(example, raw);
    if (example.expectField !== undefined) expect(ha.path).toBe(example.expectField);
  });

  it.each(normalized.map((e) => [e.name, e] as const))(
    '%s: the Supervisor normalises it into options the add-on accepts',
    (_name, example) => {
      const ha = supervisor(example.options);
      const raw = addon(example.options);
      const written = ha.ok ? addon(ha.options) : undefined;
      if (!ha.ok || raw.ok || written?.ok !== true) throw new Error(report(example, ha, raw, written));
      expectFieldNamed(example, raw);
    },
  );

  it.each(addonOnly.map((e) => [e.name, e] as const))(
    '%s: only the add-on can refuse it, and names the field',
    (_name, example) => {
      const ha = supervisor(example.options);
      const raw = addon(example.options);
      const written = ha.ok ? addon(ha.options) : undefined;
      if (!ha.ok || raw.ok || written === undefined || written.ok) throw new Error(report(example, ha, raw, written));
      expectFieldNamed(example, raw);
      expectFieldNamed(example, written);
    },
  );

  it('the defaults in config.yaml pass both schemas and equal the add-on defaults', () => {
    const ha = supervisor({});
    expect(ha).toMatchObject({ ok: true, dropped: [] });
    const fromDefaults = addon(manifest.options);
    const fromNothing = addon({});
    expect(fromDefaults.ok && fromNothing.ok).toBe(true);
    if (fromDefaults.ok && fromNothing.ok) expect(fromDefaults.config).toEqual(fromNothing.config);
  });
});
