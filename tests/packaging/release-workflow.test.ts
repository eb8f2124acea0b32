import { readRepoText, readRepoYaml } from './lib/repo-files';

/**
 * .github/workflows/release.yml cannot run on these machines (no Actions runner, no Docker daemon, no registry), so
 * what can be checked by reading it is: it builds the image config.yaml names, for config.yaml's architectures, with
 * Home Assistant's builder actions pinned to a commit, with provenance, and it ships the HACS files.
 */

interface Step {
  readonly uses?: string;
  readonly run?: string;
  readonly id?: string;
  readonly with?: Record<string, unknown>;
}
interface Job {
  readonly needs?: string | string[];
  readonly permissions?: Record<string, string>;
  readonly steps: Step[];
}
interface Workflow {
  readonly on: Record<string, unknown>;
  readonly env: Record<string, string>;
  readonly permissions: Record<string, string>;
  readonly jobs: Record<string, Job>;
}

const text = readRepoText('.github', 'workflows', 'release.yml');
const workflow = readRepoYaml('.github', 'workflows', 'release.yml') as Workflow;
const manifest = readRepoYaml('config.yaml') as { image: string; arch: string[]; url: string };
const steps = Object.values(workflow.jobs).flatMap((job) => job.steps);

describe('.github/workflows/release.yml', () => {
  it('says in its header that it has not run here', () => {
    expect(text.split('\n').slice(0, 12).join('\n')).toContain('IT HAS NOT RUN');
  });

  it("publishes the per-architecture image config.yaml names, for config.yaml's architectures", () => {
    const owner = new URL(manifest.url).pathname.split('/')[1];
    // prepare-multi-arch-matrix names each image <registry-prefix>/<arch>-<image-name>, the prefix being
    // ghcr.io/<repository owner>.
    expect(manifest.image).toBe(`ghcr.io/${owner}/{arch}-${workflow.env['IMAGE_NAME']}`);
    expect((JSON.parse(workflow.env['ARCHITECTURES'] ?? '[]') as string[]).sort()).toEqual([...manifest.arch].sort());
  });

  it("runs on a published release whose tag must be config.yaml's version", () => {
    expect(workflow.on).toEqual({ release: { types: ['published'] } });
    const check = workflow.jobs['init']?.steps.find((step) => step.id === 'version');
    expect(check?.run).toContain('config.yaml');
    expect(check?.run).toContain('exit 1');
  });

  it("uses Home Assistant's builder actions, pinned to a commit", () => {
    const builder = steps.filter((step) => step.uses?.startsWith('home-assistant/builder/'));
    expect(builder.map((step) => step.uses?.split('@')[0])).toEqual([
      'home-assistant/builder/actions/prepare-multi-arch-matrix',
      'home-assistant/builder/actions/build-image',
      'home-assistant/builder/actions/publish-multi-arch-manifest',
    ]);
    for (const step of builder) expect(step.uses).toMatch(/@[0-9a-f]{40}$/);
    // Not the deprecated all-in-one action.
    expect(steps.some((step) => /^home-assistant\/builder@/.test(step.uses ?? ''))).toBe(false);
  });

  it('publishes with provenance: a cosign signature and a build-provenance attestation per image', () => {
    const build = workflow.jobs['build'];
    const image = build?.steps.find((step) => step.uses?.includes('/build-image@'));
    expect(image?.with).toMatchObject({ push: 'true', cosign: 'true' });
    const attest = build?.steps.find((step) => step.uses?.startsWith('actions/attest-build-provenance@'));
    expect(attest?.with).toEqual({
      'subject-name': '${{ matrix.image }}',
      'subject-digest': `\${{ steps.${image?.id ?? '?'}.outputs.digest }}`,
      'push-to-registry': true,
    });
    expect(build?.permissions).toMatchObject({ 'id-token': 'write', attestations: 'write', packages: 'write' });
    // Everything else reads only.
    expect(workflow.permissions).toEqual({ contents: 'read' });
  });

  it('attaches the HACS release files built by scripts/release-zips.sh', () => {
    const hacs = workflow.jobs['hacs'];
    expect(hacs?.steps.some((step) => step.run?.includes('bash scripts/release-zips.sh'))).toBe(true);
    expect(hacs?.steps.some((step) => step.run?.includes('gh release upload'))).toBe(true);
    const hacsJson = JSON.parse(readRepoText('hacs.json')) as { filename: string };
    expect(text).toContain(`dist/release/${hacsJson.filename}`);
  });
});
