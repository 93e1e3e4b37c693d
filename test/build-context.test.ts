/**
 * The image's build, checked without a Docker engine: the build context is what `docker build .` would
 * send (the working tree's files, git-tracked and untracked-but-not-git-ignored, filtered by .dockerignore
 * with Docker's own matching rules through @balena/dockerignore, a port of moby's matcher), and the
 * Dockerfile is read by a Dockerfile parser, not by regular expressions. The build stage is then replayed
 * in a temporary directory standing for its WORKDIR: its COPY lines copy from that context, and its
 * `npm run …` commands run there, so a source file the context leaves out fails the compile as it would
 * in `docker build`.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readFile, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join, posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import dockerignorePackage from '@balena/dockerignore';
import { DockerfileParser, type Copy, type Instruction } from 'dockerfile-ast';
import jsYaml from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { startCli } from './support/cli.js';

const root = fileURLToPath(new URL('..', import.meta.url));
// a CommonJS package whose types declare an ES default export; it sets `.default` for this very case
const ignore = dockerignorePackage.default;

async function dockerignore() {
  return ignore().add(await readFile(join(root, '.dockerignore'), 'utf8'));
}

/** The files `docker build .` sends, as paths relative to the context root. */
async function buildContext(): Promise<string[]> {
  const git = (...args: string[]) => execFileSync('git', args, { cwd: root, encoding: 'utf8' }).split('\0').filter(Boolean);
  // Docker sends the working tree, which git describes as tracked plus untracked-but-not-ignored files
  // (files deleted from the tree but still tracked are not there to send).
  const tree = [...new Set([...git('ls-files', '-z', '--cached', '--others', '--exclude-standard')])].filter((f) => existsSync(join(root, f)));
  const ig = await dockerignore();
  // Docker always sends the Dockerfile and .dockerignore, whatever .dockerignore says.
  return tree.filter((f) => f === 'Dockerfile' || f === '.dockerignore' || !ig.ignores(f));
}

interface Stage {
  name: string | null;
  instructions: Instruction[];
}

async function stages(): Promise<Stage[]> {
  const dockerfile = DockerfileParser.parse(await readFile(join(root, 'Dockerfile'), 'utf8'));
  const result: Stage[] = [];
  for (const instruction of dockerfile.getInstructions()) {
    const keyword = instruction.getKeyword();
    if (keyword === 'FROM') result.push({ name: (instruction as unknown as { getBuildStage(): string | null }).getBuildStage(), instructions: [] });
    else result.at(-1)?.instructions.push(instruction); // ARGs before the first FROM belong to no stage
  }
  return result;
}

const isCopy = (i: Instruction): i is Copy => i.getKeyword() === 'COPY';
/** COPY's sources and destination; `--from=` ones copy from another stage, not from the context. */
function copyArgs(copy: Copy): { from: string | null; sources: string[]; dest: string } {
  const args = copy.getArguments().map((a) => a.getValue());
  const dest = args.pop() ?? '';
  return { from: copy.getFromFlag()?.getValue() ?? null, sources: args.map((s) => posix.normalize(s).replace(/\/$/, '')), dest };
}

/** Files of the context that COPY `source` brings in: the file itself, or everything under the folder. */
const under = (context: string[], source: string) => context.filter((f) => source === '.' || f === source || f.startsWith(`${source}/`));

describe('the image build context', () => {
  it('holds every COPY source, and every tracked file under one', async () => {
    const context = await buildContext();
    const tracked = execFileSync('git', ['ls-files', '-z'], { cwd: root, encoding: 'utf8' }).split('\0').filter(Boolean);
    const copies = (await stages()).flatMap((s) => s.instructions.filter(isCopy).map(copyArgs)).filter((c) => !c.from);
    expect(copies.length).toBeGreaterThan(0);
    for (const { sources } of copies) {
      for (const source of sources) {
        // This replay copies plain paths only; a wildcard source would need Docker's glob rules.
        expect(source, 'COPY source with a wildcard').not.toMatch(/[*?[]/);
        expect(under(context, source), `COPY ${source}: not in the build context`).not.toEqual([]);
        // a folder copied whole must not lose a file to .dockerignore (the way src/brain/ was lost)
        const lost = under(tracked, source).filter((f) => existsSync(join(root, f)) && !context.includes(f));
        expect(lost, `COPY ${source}: tracked files .dockerignore leaves out`).toEqual([]);
      }
    }
  });

  it('leaves out what must not reach an image: secrets, keys, brains, local builds, git history', async () => {
    const ig = await dockerignore();
    // paths a working tree may hold, committed or not (the age key is made in the repository root by docs/deploy.md)
    for (const path of [
      '.env',
      '.env.local',
      'brain/knowledge/team.md',
      'deploy/secrets/supervisor-secrets.yaml',
      'age.key',
      'keys/age.agekey',
      'tls/server.pem',
      '.sops.yaml',
      '.mcp.json',
      '.git/config',
      'node_modules/zod/package.json',
      'dist/src/cli.js',
      'test/cli.test.ts',
    ]) {
      expect(ig.ignores(path), path).toBe(true);
    }
  });

  it(
    'compiles with the Dockerfile\'s own build stage, and holds what the runtime stage runs',
    async () => {
      const all = await stages();
      const context = await buildContext();
      const final = all.at(-1)!;
      const fromStages = new Set(final.instructions.filter(isCopy).map((c) => copyArgs(c).from).filter((f): f is string => !!f));
      const builds = all.filter((s) => s.name && fromStages.has(s.name));
      expect(builds.map((s) => s.name)).toEqual(['build']);
      const app = await mkdtemp(join(tmpdir(), 'supervisor-image-'));
      try {
        let workdir: string | null = null;
        const scripts: string[] = [];
        for (const instruction of builds[0]!.instructions) {
          const keyword = instruction.getKeyword();
          if (keyword === 'WORKDIR') {
            workdir = instruction.getArgumentsContent();
          } else if (isCopy(instruction)) {
            const { from, sources, dest } = copyArgs(instruction);
            expect(from).toBeNull();
            // the temporary directory stands for WORKDIR; a relative destination is under it
            const target = join(app, posix.isAbsolute(dest) ? posix.relative(workdir ?? '/', dest) : dest);
            const intoFolder = dest.endsWith('/') || sources.length > 1;
            for (const source of sources) {
              for (const file of under(context, source)) {
                const inside = file === source ? basename(file) : posix.relative(source, file);
                const to = file === source && !intoFolder ? target : join(target, inside);
                await mkdir(join(to, '..'), { recursive: true });
                await cp(join(root, file), to);
              }
            }
          } else if (keyword === 'RUN') {
            // Run the project's own scripts (`npm run build`) as written. `npm ci` cannot run offline here,
            // so the repository's installed node_modules stands in for it (symlinked below), and steps that
            // change node_modules (npm ci, npm prune) or the OS (apt-get) are not replayed.
            const command = instruction.getArgumentsContent() ?? '';
            for (const step of command.split('&&').map((s) => s.trim())) {
              if (/^npm run /.test(step)) scripts.push(step);
            }
          }
        }
        expect(workdir).not.toBeNull();
        expect(scripts.some((s) => /^npm run build\b/.test(s)), 'the build stage runs npm run build').toBe(true);
        await symlink(join(root, 'node_modules'), join(app, 'node_modules'), 'dir');
        for (const script of scripts) {
          try {
            execFileSync('sh', ['-c', script], { cwd: app, encoding: 'utf8', stdio: 'pipe' });
          } catch (error) {
            const e = error as { stdout?: string; stderr?: string };
            throw new Error(`${script} failed in the build stage:\n${e.stdout ?? ''}${e.stderr ?? ''}`, { cause: error });
          }
        }
        // what the runtime stage starts: the ENTRYPOINT's and the HEALTHCHECK's scripts, from the build's dist
        const runs = final.instructions
          .filter((i) => i.getKeyword() === 'ENTRYPOINT' || i.getKeyword() === 'HEALTHCHECK')
          .flatMap((i) => JSON.parse((i.getArgumentsContent() ?? '').replace(/^CMD\s+/, '')) as string[])
          .filter((arg) => arg.endsWith('.js'));
        expect(runs).toContain('dist/src/cli.js');
        for (const script of runs) expect(existsSync(join(app, script)) && statSync(join(app, script)).isFile(), script).toBe(true);
      } finally {
        await rm(app, { recursive: true, force: true });
      }
    },
    240_000,
  );
});

describe('what an image tells about itself', () => {
  it('the OCI labels come from build args the release passes, with defaults for a build by hand', async () => {
    const final = (await stages()).at(-1)!;
    // ARG name[=default] of the runtime stage, and its LABEL key=value pairs
    const args = new Map(
      final.instructions
        .filter((i) => i.getKeyword() === 'ARG')
        .map((i) => (i.getArgumentsContent() ?? '').split('=') as [string, string | undefined]),
    );
    const labels = Object.fromEntries(
      final.instructions
        .filter((i) => i.getKeyword() === 'LABEL')
        .flatMap((i) => i.getArguments().map((a) => a.getValue().split(/=(.*)/s).slice(0, 2)))
        .map(([key, value]) => [key, value?.replace(/^"|"$/g, '')]),
    ) as Record<string, string>;
    const fromArg: Record<string, string> = {};
    for (const key of ['version', 'revision', 'source']) {
      const name = /^\$\{(\w+)\}$/.exec(labels[`org.opencontainers.image.${key}`] ?? '')?.[1];
      expect(name, `label org.opencontainers.image.${key} is set from a build arg`).toBeDefined();
      expect(args.get(name!), `ARG ${name} has a default`).toMatch(/.+/);
      fromArg[key] = name!;
    }
    // the release passes exactly those build args (Docker ignores, with a warning, an arg it does not declare)
    const release = jsYaml.load(await readFile(join(root, '.github/workflows/release.yml'), 'utf8')) as any;
    const build = release.jobs.image.steps.find((s: { uses?: string }) => s.uses?.startsWith('docker/build-push-action'));
    const passed = String(build.with['build-args']).trim().split('\n').map((line) => line.split('=')[0]!.trim());
    expect(passed.sort()).toEqual(Object.values(fromArg).sort());
  });

  it('the start-up lines of both services carry the version', async () => {
    const { version } = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as { version: string };
    const brain = await mkdtemp(join(tmpdir(), 'supervisor-version-'));
    const both = /MCP server listening[\s\S]*ingestion service listening|ingestion service listening[\s\S]*MCP server listening/;
    const server = await startCli(['serve'], { INGEST_BRAIN_DIR: brain, INGEST_PORT: '0', SUPERVISOR_PORT: '0' }, both);
    try {
      const lines = server.stdout().split('\n').filter(Boolean).map((line) => JSON.parse(line) as { msg: string; version?: string });
      for (const msg of ['MCP server listening', 'ingestion service listening']) {
        expect(lines.find((l) => l.msg === msg)?.version, msg).toBe(version);
      }
    } finally {
      await server.stop();
      await rm(brain, { recursive: true, force: true });
    }
  });
});
