import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';

/** The repository root: tests/packaging/lib → ../../.. */
export const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');

export function repoPath(...parts: string[]): string {
  return path.join(REPO_ROOT, ...parts);
}

export function readRepoText(...parts: string[]): string {
  return readFileSync(repoPath(...parts), 'utf8');
}

/** YAML 1.2 core schema, as the Supervisor's loader and HA's frontend read it (yes/no stay strings). */
export function readRepoYaml(...parts: string[]): unknown {
  return parseYaml(readRepoText(...parts));
}

/** The venv scripts/setup.sh makes; tests that need Python or hadolint say so when it is missing. */
export function venvTool(name: string): string {
  const tool = repoPath('.venv', 'bin', name);
  if (!existsSync(tool)) throw new Error(`${tool} is missing: run \`bash scripts/setup.sh\` first`);
  return tool;
}

/**
 * One example options file. Its leading comment says why it is there; `# expect-field: devices[0].port` names the
 * field the add-on's error must name, for examples the add-on rejects.
 */
export interface OptionsExample {
  readonly name: string;
  readonly file: string;
  readonly options: unknown;
  readonly expectField?: string;
  readonly why: string;
}

export const EXAMPLE_KINDS = ['valid', 'invalid', 'normalized', 'addon-only'] as const;
export type ExampleKind = (typeof EXAMPLE_KINDS)[number];

export function readExamples(kind: ExampleKind): OptionsExample[] {
  const dir = path.join(__dirname, '..', 'examples', kind);
  return readdirSync(dir)
    .filter((name) => name.endsWith('.yaml'))
    .sort()
    .map((name) => {
      const file = path.join(dir, name);
      const text = readFileSync(file, 'utf8');
      const comments = text
        .split('\n')
        .filter((line) => line.startsWith('#'))
        .map((line) => line.replace(/^#\s?/, ''));
      const expectField = comments.find((line) => line.startsWith('expect-field:'))?.replace(/^expect-field:\s*/, '');
      const why = comments.filter((line) => !line.startsWith('expect-field:')).join(' ');
      return {
        name: `${kind}/${name}`,
        file,
        options: parseYaml(text),
        why,
        ...(expectField === undefined ? {} : { expectField }),
      };
    });
}
