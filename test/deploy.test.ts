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
        'HorizontalPodAutoscaler/supervisor-mcp',
        'PodDisruptionBudget/supervisor-mcp',
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
    expect(ingestion).toMatchObject({ host: '0.0.0.0', port: 3300, brainDir: '/data/brain', sessionsDir: '/data/brain/sessions' });
    // config files inside the mounted ConfigMap; the brain and the session logs on the ingestion pod's
    // volume, where the MCP pod kept the logs before team mode (so they are kept)
    const mounts = (name: string) => container(name).volumeMounts as Array<{ name: string; mountPath: string }>;
    const configMount = mounts('supervisor-mcp').find((m) => m.name === 'config')?.mountPath;
    expect(supervisor.configDir).toBe(configMount);
    expect(supervisor.modelsFile).toBe(`${configMount}/models.yaml`);
    const brainMount = mounts('supervisor-ingestion').find((m) => m.name === 'brain')?.mountPath;
    expect(brainMount).toBe(ingestion.brainDir);
    expect(ingestion.sessionsDir?.startsWith(`${brainMount}/`)).toBe(true);
    // the eval scoreboards `status` reads: a folder on a writable mount (read-only root), so a
    // `supervisor eval` run in the pod can keep its board
    expect(supervisor.evalDir.startsWith(`${mounts('supervisor-mcp').find((m) => m.name === 'tmp')?.mountPath}/`)).toBe(true);
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

  describe('several MCP replicas', () => {
    const mcp = () => find('Deployment', 'supervisor-mcp')?.spec;
    const podLabels = () => mcp().template.metadata.labels as Record<string, string>;
    /** Whether a matchLabels-only selector selects the MCP pods. */
    const selectsMcpPods = (selector: { matchLabels?: Record<string, string>; matchExpressions?: unknown }) =>
      selector.matchExpressions === undefined && Object.keys(selector.matchLabels ?? {}).length > 0 && Object.entries(selector.matchLabels ?? {}).every(([k, v]) => podLabels()[k] === v);
    const hpa = () => find('HorizontalPodAutoscaler', 'supervisor-mcp')?.spec;

    it('the autoscaler owns the replica count, 2 at least, of the Deployment by its real name', () => {
      expect(hpa().scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: 'supervisor-mcp' });
      expect(hpa().minReplicas).toBeGreaterThanOrEqual(2);
      expect(hpa().maxReplicas).toBeGreaterThan(hpa().minReplicas);
      // a count in the Deployment would be set back by every Flux sync, fighting the autoscaler
      expect(mcp().replicas).toBeUndefined();
      // it scales on CPU utilization, which needs a CPU request
      expect(hpa().metrics).toEqual([{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: expect.any(Number) } } }]);
      expect(container('supervisor-mcp').resources.requests.cpu).toMatch(/^\d+m?$/);
      // scaling down ends a replica's 2025-era sessions: never faster than a drain
      expect(hpa().behavior.scaleDown.stabilizationWindowSeconds).toBeGreaterThanOrEqual(supervisorConfig(environment('supervisor-mcp')).shutdownGraceMs / 1000);
    });

    it('the MCP pods share no volume, so they run on any nodes, spread when there are several', () => {
      const pod = mcp().template.spec;
      for (const volume of pod.volumes) expect(Object.keys(volume).filter((k) => k !== 'name'), volume.name).toEqual([expect.stringMatching(/^(configMap|emptyDir)$/)]);
      expect(pod.affinity).toBeUndefined();
      expect(pod.topologySpreadConstraints).toHaveLength(1);
      const [spread] = pod.topologySpreadConstraints;
      // ScheduleAnyway: a one-node k3s still runs them all
      expect(spread).toMatchObject({ topologyKey: 'kubernetes.io/hostname', maxSkew: 1, whenUnsatisfiable: 'ScheduleAnyway' });
      expect(selectsMcpPods(spread.labelSelector)).toBe(true);
      // the brain's claim is the ingestion pod's alone
      const claimants = docs.filter((d) => d.kind === 'Deployment' && d.spec.template.spec.volumes.some((v: { persistentVolumeClaim?: unknown }) => v.persistentVolumeClaim));
      expect(claimants.map((d) => d.metadata.name)).toEqual(['supervisor-ingestion']);
    });

    it('a rollout or a stop cuts no call: new pods first, a pause out of the endpoints, then the drain within the grace period', () => {
      expect(mcp().strategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } });
      const config = supervisorConfig(environment('supervisor-mcp'));
      const shutdown = config.shutdownGraceMs / 1000;
      const preStop = container('supervisor-mcp').lifecycle.preStop.sleep.seconds as number;
      expect(preStop).toBeGreaterThanOrEqual(5);
      // a call to one model is never cut short by a stop
      expect(shutdown).toBeGreaterThanOrEqual(config.modelTimeoutMs / 1000);
      // + 3 s for the stopped calls' answers (FLUSH_MS of src/mcp/http.ts)
      expect(mcp().template.spec.terminationGracePeriodSeconds).toBeGreaterThanOrEqual(preStop + shutdown + 3);
      // readiness turns 503 on SIGTERM: /health, asked of a real server below
      expect(container('supervisor-mcp').readinessProbe.httpGet.path).toBe('/health');
    });

    it('a drain takes one MCP pod at a time, and can take one', () => {
      const budget = find('PodDisruptionBudget', 'supervisor-mcp')?.spec;
      expect(selectsMcpPods(budget.selector)).toBe(true);
      const allowed = budget.maxUnavailable ?? hpa().minReplicas - budget.minAvailable;
      expect(allowed).toBe(1);
    });

    it('a 2025-era client stays on one replica, for longer than an idle session lives, through the NodePort and through Traefik', () => {
      const idleSeconds = supervisorConfig(environment('supervisor-mcp')).sessionIdleMs / 1000;
      for (const name of ['supervisor-mcp', 'supervisor-mcp-nodeport']) {
        const service = find('Service', name)?.spec;
        expect(selectsMcpPods({ matchLabels: service.selector }), name).toBe(true);
        expect(service.sessionAffinity, name).toBe('ClientIP');
        expect(service.sessionAffinityConfig.clientIP.timeoutSeconds, name).toBeGreaterThan(idleSeconds);
      }
      // Traefik balances over the pods itself unless told to send to the Service, whose affinity then holds
      const backend = find('Ingress', 'supervisor-mcp')?.spec.rules[0].http.paths[0].backend.service.name;
      expect(find('Service', backend)?.metadata).toMatchObject({ annotations: { 'traefik.ingress.kubernetes.io/service.nativelb': 'true' } });
    });

    it('the ingestion service stays the brain\'s one writer', () => {
      const ingestion = find('Deployment', 'supervisor-ingestion')?.spec;
      expect(ingestion.replicas).toBe(1);
      expect(ingestion.strategy).toEqual({ type: 'Recreate' });
      expect(docs.filter((d) => d.kind === 'HorizontalPodAutoscaler').map((d) => d.spec.scaleTargetRef.name)).toEqual(['supervisor-mcp']);
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
