/**
 * The deployment, checked the only way it can be here (no cluster, no Docker engine): render the k3s
 * overlay with `kubectl kustomize` and hold the result against the code — its environment goes
 * through the code's own config validation, its probe paths are asked of a real running server.
 */
import { execFileSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import jsYaml from 'js-yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { ingestionConfig } from '../ingestion/config.js';
import { supervisorConfig } from '../src/config.js';
import { DISCIPLINES } from '../src/consult/disciplines.js';
import { useTestSupervisor, type TestSupervisor } from './support/supervisor.js';

type Doc = { kind: string; metadata: { name: string }; spec?: any; data?: Record<string, string>; stringData?: Record<string, string> };

function kubectlVersion(): string | null {
  try {
    return execFileSync('kubectl', ['version', '--client'], { encoding: 'utf8' });
  } catch {
    return null;
  }
}

const kubectl = kubectlVersion();
if (!kubectl) console.warn('deploy tests SKIPPED: kubectl is not installed (apt-get install kubernetes-client)');

function render(path: string): Doc[] {
  return (jsYaml.loadAll(execFileSync('kubectl', ['kustomize', path], { encoding: 'utf8' })) as Doc[]).filter(Boolean);
}

describe.skipIf(!kubectl)('the k3s overlay, rendered', () => {
  let docs: Doc[];
  const find = (kind: string, name: string) => docs.find((d) => d.kind === kind && d.metadata.name === name);
  const container = (name: string) => find('Deployment', name)?.spec.template.spec.containers[0];
  /** The container's environment as the process would see it; secret values stand in as dummies. */
  const environment = (name: string) =>
    Object.fromEntries(
      (container(name).env as Array<{ name: string; value?: string; valueFrom?: unknown }>).map((e) => [e.name, e.value ?? 'secret-value-0123456789abcdef']),
    );

  beforeAll(() => {
    docs = render('deploy/overlays/k3s');
  });

  it('has both Deployments and Services, the brain claim, the ingestion NetworkPolicy and the generated config; the namespace comes with the secrets', () => {
    expect(docs.map((d) => `${d.kind}/${d.metadata.name}`).sort()).toEqual(
      expect.arrayContaining([
        'Deployment/supervisor-mcp',
        'Deployment/supervisor-ingestion',
        'Service/supervisor-mcp',
        'Service/supervisor-ingestion',
        'Service/supervisor-mcp-nodeport',
        'Ingress/supervisor-mcp',
        'PersistentVolumeClaim/supervisor-brain',
        'NetworkPolicy/supervisor-ingestion',
      ]),
    );
    // one owner for the Namespace: the secrets (applied first), not the app
    expect(docs.filter((d) => d.kind === 'Namespace')).toEqual([]);
    expect(render('deploy/secrets').map((d) => `${d.kind}/${d.metadata.name}`).sort()).toEqual(['Namespace/supervisor', 'Secret/supervisor-secrets']);
    const config = docs.find((d) => d.kind === 'ConfigMap' && d.metadata.name.startsWith('supervisor-config-'));
    expect(Object.keys(config?.data ?? {}).sort()).toEqual(['models.yaml', ...DISCIPLINES.map((d) => `${d}.md`)].sort());
    // the Deployment mounts exactly the generated (hashed) ConfigMap, so a config change rolls it
    expect(find('Deployment', 'supervisor-mcp')?.spec.template.spec.volumes).toContainEqual({ name: 'config', configMap: { name: config?.metadata.name } });
  });

  it('sets every setting the code needs, with values the code accepts', () => {
    const mcp = environment('supervisor-mcp');
    const ingest = environment('supervisor-ingestion');
    const supervisor = supervisorConfig(mcp);
    const ingestion = ingestionConfig(ingest);
    expect(supervisor).toMatchObject({ host: '0.0.0.0', port: 3200, ingestBaseUrl: 'http://supervisor-ingestion:3300', litellmBaseUrl: 'http://litellm.litellm.svc.cluster.local:4000' });
    expect(ingestion).toMatchObject({ host: '0.0.0.0', port: 3300, brainDir: '/data/brain' });
    // config files inside the mounted ConfigMap, sessions and brain on the volume
    const mounts = (name: string) => container(name).volumeMounts as Array<{ name: string; mountPath: string }>;
    const configMount = mounts('supervisor-mcp').find((m) => m.name === 'config')?.mountPath;
    expect(supervisor.configDir).toBe(configMount);
    expect(supervisor.modelsFile).toBe(`${configMount}/models.yaml`);
    expect(supervisor.sessionsDir.startsWith(mounts('supervisor-mcp').find((m) => m.name === 'brain')?.mountPath ?? '-')).toBe(true);
    expect(mounts('supervisor-ingestion').find((m) => m.name === 'brain')?.mountPath).toBe(ingestion.brainDir);
    // the ingestion service's port is the one the MCP server is told to reach
    expect(find('Service', 'supervisor-ingestion')?.spec.ports[0].port).toBe(ingestion.port);
    expect(container('supervisor-mcp').ports[0].containerPort).toBe(supervisor.port);
    expect(container('supervisor-ingestion').ports[0].containerPort).toBe(ingestion.port);
  });

  it('takes secrets by reference only, from supervisor-secrets', () => {
    const refs = ['supervisor-mcp', 'supervisor-ingestion'].flatMap((name) =>
      (container(name).env as Array<{ name: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } }>).filter((e) => e.valueFrom),
    );
    expect(refs.map((e) => [e.name, e.valueFrom?.secretKeyRef?.name, e.valueFrom?.secretKeyRef?.key]).sort()).toEqual(
      [
        ['INGEST_TOKEN', 'supervisor-secrets', 'INGEST_TOKEN'],
        ['INGEST_TOKEN', 'supervisor-secrets', 'INGEST_TOKEN'],
        ['LITELLM_API_KEY', 'supervisor-secrets', 'LITELLM_API_KEY'],
        ['SUPERVISOR_TOKEN', 'supervisor-secrets', 'SUPERVISOR_TOKEN'],
      ].sort(),
    );
    expect(docs.filter((d) => d.kind === 'Secret')).toEqual([]);
  });

  it('runs the release image in both roles, locked down, with requests and limits', () => {
    for (const [name, role] of [['supervisor-mcp', 'serve'], ['supervisor-ingestion', 'ingest']] as const) {
      const c = container(name);
      expect(c.image).toBe('ghcr.io/example/supervisor:0.1.0');
      expect(c.args).toEqual([role]);
      expect(c.securityContext).toEqual({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
      expect(find('Deployment', name)?.spec.template.spec.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000 });
      expect(c.resources.requests).toMatchObject({ cpu: expect.any(String), memory: expect.any(String) });
      expect(c.resources.limits).toMatchObject({ cpu: expect.any(String), memory: expect.any(String) });
      expect(c.volumeMounts).toContainEqual({ name: 'tmp', mountPath: '/tmp' }); // writable /tmp on a read-only root
    }
    const claim = find('Deployment', 'supervisor-ingestion')?.spec.template.spec.volumes.find((v: { name: string }) => v.name === 'brain');
    expect(claim.persistentVolumeClaim.claimName).toBe('supervisor-brain');
  });

  it('exposes /mcp on NodePort 30320 (the first deployment\'s, in its users\' .mcp.json) and through Traefik', () => {
    expect(find('Service', 'supervisor-mcp-nodeport')?.spec).toMatchObject({ type: 'NodePort', ports: [{ nodePort: 30320, targetPort: 'http' }] });
    // one NodePort: the docs give one URL
    expect(docs.filter((d) => d.kind === 'Service' && d.spec.type === 'NodePort').flatMap((d) => d.spec.ports.map((p: { nodePort: number }) => p.nodePort))).toEqual([30320]);
    expect(find('Ingress', 'supervisor-mcp')?.spec).toMatchObject({
      ingressClassName: 'traefik',
      rules: [{ http: { paths: [{ path: '/mcp', backend: { service: { name: 'supervisor-mcp', port: { name: 'http' } } } }] } }],
    });
  });

  describe('probe paths answer on a real server', () => {
    let sup: TestSupervisor;
    useTestSupervisor((started) => (sup = started));

    it.each(['supervisor-mcp', 'supervisor-ingestion'])('%s', async (name) => {
      const c = container(name);
      const base = name === 'supervisor-mcp' ? new URL(sup.mcpUrl).origin : sup.ingestion!.url;
      for (const probe of ['livenessProbe', 'readinessProbe', 'startupProbe']) {
        if (!c[probe]) continue;
        expect(c[probe].httpGet.port).toBe('http');
        const response = await fetch(base + c[probe].httpGet.path);
        expect(response.status, `${name} ${probe} ${c[probe].httpGet.path}`).toBe(200);
      }
    });
  });
});

describe('image and secrets templates', () => {
  it('the Dockerfile builds in two stages and runs as non-root with a health check, both roles by command', async () => {
    const dockerfile = await readFile('Dockerfile', 'utf8');
    expect(dockerfile.match(/^FROM /gm)).toHaveLength(2);
    expect(dockerfile).toMatch(/^FROM node:\$\{NODE_VERSION\}-slim AS build$/m);
    expect(dockerfile).toMatch(/npm prune --omit=dev/);
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(dockerfile).toMatch(/^HEALTHCHECK .*dist\/src\/healthcheck\.js/m);
    expect(dockerfile).toMatch(/^EXPOSE 3200 3300$/m);
    expect(dockerfile).toMatch(/^ENTRYPOINT \["node", "dist\/src\/cli\.js"\]$/m);
    expect(dockerfile).toMatch(/^VOLUME \["\/data\/brain"\]$/m);
    const ignore = (await readFile('.dockerignore', 'utf8')).split('\n');
    for (const kept of ['test', 'brain', 'node_modules', '.env', '.git']) expect(ignore).toContain(kept);
  });

  it('the secret template holds placeholders, never values', async () => {
    const secret = jsYaml.load(await readFile('deploy/secrets/supervisor-secrets.example.yaml', 'utf8')) as Doc;
    expect(Object.keys(secret.stringData ?? {}).sort()).toEqual(['INGEST_TOKEN', 'LITELLM_API_KEY', 'SUPERVISOR_TOKEN']);
    for (const value of Object.values(secret.stringData ?? {})) expect(value).toMatch(/^<.+>$/);
  });
});

describe('pipelines', () => {
  it('CI runs the README test command; the release builds the image and bumps the overlay\'s tag', async () => {
    const ci = jsYaml.load(await readFile('.github/workflows/ci.yml', 'utf8')) as any;
    const readme = await readFile('README.md', 'utf8');
    expect(readme).toContain('npm ci && npm test');
    expect(ci.jobs.test.steps.map((s: { run?: string }) => s.run).filter(Boolean)).toEqual(['npm ci && npm test']);
    const release = jsYaml.load(await readFile('.github/workflows/release.yml', 'utf8')) as any;
    expect(release.on.push).toMatchObject({ branches: ['main'], tags: ['v*'], 'paths-ignore': ['deploy/overlays/**'] });
    expect(release.jobs.image.needs).toBe('test');
    expect(release.jobs.bump.needs).toBe('image');
    const bump = release.jobs.bump.steps.map((s: { run?: string }) => s.run ?? '').join('\n');
    expect(bump).toContain('cd deploy/overlays/k3s');
    expect(bump).toContain('kustomize edit set image "supervisor=${IMAGE}:${TAG}"');
  });
});
