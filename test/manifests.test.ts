/**
 * Issue 9 items 2 and 4 and what a team's cluster needs: every object the k3s overlay, the secrets
 * and the Flux example render is held against the Kubernetes and Flux schemas (kubernetes-models,
 * @kubernetes-models/flux-cd: the API's OpenAPI schemas and Flux's CRD schemas, compiled, offline),
 * every namespaced object lands in a namespace, and Flux's Kustomizations are ordered so that a
 * first sync converges: nothing is applied before its namespace, no Deployment before its Secret.
 */
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { GitRepository } from '@kubernetes-models/flux-cd/source.toolkit.fluxcd.io/v1/GitRepository';
import { Kustomization } from '@kubernetes-models/flux-cd/kustomize.toolkit.fluxcd.io/v1/Kustomization';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { Ingress } from 'kubernetes-models/networking.k8s.io/v1/Ingress';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { PersistentVolumeClaim } from 'kubernetes-models/v1/PersistentVolumeClaim';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
import { beforeAll, describe, expect, it } from 'vitest';
import { hasKubectl, parseAll, render, type K8sObject } from './support/kustomize.js';

/** The schema of each kind the deployment uses; a kind not listed here fails, so none goes unchecked. */
const SCHEMAS: Record<string, new (data: any) => { validate(): void }> = {
  'v1/Namespace': Namespace,
  'v1/ConfigMap': ConfigMap,
  'v1/Secret': Secret,
  'v1/Service': Service,
  'v1/PersistentVolumeClaim': PersistentVolumeClaim,
  'apps/v1/Deployment': Deployment,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'networking.k8s.io/v1/Ingress': Ingress,
  'networking.k8s.io/v1/NetworkPolicy': NetworkPolicy,
  'source.toolkit.fluxcd.io/v1/GitRepository': GitRepository,
  'kustomize.toolkit.fluxcd.io/v1/Kustomization': Kustomization,
};

/** Kinds without a namespace (the API's cluster-scoped resources); every other kind needs one. */
const CLUSTER_SCOPED = new Set(['Namespace', 'Node', 'PersistentVolume', 'StorageClass', 'ClusterRole', 'ClusterRoleBinding', 'CustomResourceDefinition', 'IngressClass', 'PriorityClass', 'ClusterIssuer']);

/** Null when the object matches its kind's schema, else what is wrong. */
function schemaErrors(object: K8sObject): string | null {
  const Model = SCHEMAS[`${object.apiVersion}/${object.kind}`];
  if (!Model) return `no schema for ${object.apiVersion} ${object.kind}`;
  try {
    new Model(object).validate();
    return null;
  } catch (error) {
    return (error as Error).message;
  }
}

const id = (o: K8sObject) => `${o.kind}/${o.metadata.namespace ?? '-'}/${o.metadata.name}`;

async function readYamlDir(dir: string): Promise<K8sObject[]> {
  const files = (await readdir(dir)).filter((f) => /\.ya?ml$/.test(f)).sort();
  return (await Promise.all(files.map(async (f) => parseAll(await readFile(join(dir, f), 'utf8'))))).flat();
}

describe('the schema check itself', () => {
  it('refuses a wrong field type, a missing required field, a bad enum and an unknown kind', () => {
    const service = { apiVersion: 'v1', kind: 'Service', metadata: { name: 's' }, spec: { type: 'NodePort', ports: [{ port: 3200, nodePort: 30320 }] } };
    expect(schemaErrors(service)).toBeNull();
    expect(schemaErrors({ ...service, spec: { ...service.spec, ports: [{ port: 3200, nodePort: '30320' }] } })).toMatch(/nodePort must be integer/);
    const deployment = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd' }, spec: { template: { spec: { containers: [{ name: 'c' }] } } } };
    expect(schemaErrors(deployment)).toMatch(/selector/);
    const flux = { apiVersion: 'kustomize.toolkit.fluxcd.io/v1', kind: 'Kustomization', metadata: { name: 'k', namespace: 'flux-system' }, spec: { interval: '10m', prune: true, sourceRef: { kind: 'GitRepository', name: 'g' } } };
    expect(schemaErrors(flux)).toBeNull();
    expect(schemaErrors({ ...flux, spec: { ...flux.spec, sourceRef: { kind: 'Git', name: 'g' } } })).toMatch(/sourceRef\/kind must be equal to one of the allowed values/);
    expect(schemaErrors({ ...flux, spec: { ...flux.spec, prune: undefined } })).toMatch(/prune/);
    expect(schemaErrors({ ...service, apiVersion: 'v2' })).toMatch(/no schema/);
    // the kinds and fields the MCP replicas brought: a preStop sleep, a topology spread, the autoscaler
    const pod = { containers: [{ name: 'c', lifecycle: { preStop: { sleep: { seconds: 10 } } } }], topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'ScheduleAnyway' }] };
    const spread = { ...deployment, spec: { selector: { matchLabels: { a: 'b' } }, template: { spec: pod } } };
    expect(schemaErrors(spread)).toBeNull();
    expect(schemaErrors({ ...spread, spec: { ...spread.spec, template: { spec: { ...pod, containers: [{ name: 'c', lifecycle: { preStop: { sleep: { seconds: '10' } } } }] } } } })).toMatch(/sleep\/seconds must be integer/);
    expect(schemaErrors({ ...spread, spec: { ...spread.spec, template: { spec: { ...pod, topologySpreadConstraints: [{ ...pod.topologySpreadConstraints[0], whenUnsatisfiable: 'Maybe' }] } } } })).toMatch(/whenUnsatisfiable must be equal to one of the allowed values/);
    const hpa = { apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: { name: 'h' }, spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'd' }, minReplicas: 2, maxReplicas: 6 } };
    expect(schemaErrors(hpa)).toBeNull();
    expect(schemaErrors({ ...hpa, spec: { ...hpa.spec, maxReplicas: '6' } })).toMatch(/maxReplicas must be integer/);
    expect(schemaErrors({ ...hpa, spec: { ...hpa.spec, scaleTargetRef: undefined } })).toMatch(/scaleTargetRef/);
  });
});

describe.skipIf(!hasKubectl)('rendered manifests', () => {
  let overlay: K8sObject[];
  let secrets: K8sObject[];
  let flux: K8sObject[];
  beforeAll(async () => {
    overlay = render('deploy/overlays/k3s');
    secrets = render('deploy/secrets');
    flux = await readYamlDir('deploy/flux');
  });

  it('every object of the overlay, the secrets and deploy/flux matches its Kubernetes or Flux schema', () => {
    for (const object of [...overlay, ...secrets, ...flux]) expect({ object: id(object), errors: schemaErrors(object) }).toEqual({ object: id(object), errors: null });
    expect(flux.map(id).sort()).toEqual(['GitRepository/flux-system/supervisor', 'Kustomization/flux-system/supervisor', 'Kustomization/flux-system/supervisor-secrets']);
  });

  it('every namespaced object renders in a namespace: the overlay\'s and the secrets\' in supervisor, Flux\'s in flux-system', () => {
    const namespaced = (objects: K8sObject[]) => objects.filter((o) => !CLUSTER_SCOPED.has(o.kind));
    // the NodePort Service and the Ingress are the overlay's own resources: they must not fall into `default`
    expect(overlay.map(id)).toEqual(expect.arrayContaining(['Service/supervisor/supervisor-mcp-nodeport', 'Ingress/supervisor/supervisor-mcp']));
    for (const o of [...namespaced(overlay), ...namespaced(secrets)]) expect(id(o)).toBe(`${o.kind}/supervisor/${o.metadata.name}`);
    for (const o of namespaced(flux)) expect(id(o)).toBe(`${o.kind}/flux-system/${o.metadata.name}`);
    for (const o of [...overlay, ...secrets].filter((o) => CLUSTER_SCOPED.has(o.kind))) expect(o.metadata.namespace).toBeUndefined();
  });

  it('Flux never deletes the brain: the namespace and the volume claim are exempt from pruning', () => {
    const kept = [...overlay, ...secrets].filter((o) => o.metadata.annotations?.['kustomize.toolkit.fluxcd.io/prune'] === 'disabled').map(id);
    expect(kept.sort()).toEqual(['Namespace/-/supervisor', 'PersistentVolumeClaim/supervisor/supervisor-brain']);
  });

  it('Flux converges in one pass: each Kustomization depends on the ones that create its namespace and its Secrets, which wait until Ready', () => {
    const repo = flux.find((o) => o.kind === 'GitRepository');
    const kustomizations = flux.filter((o) => o.kind === 'Kustomization');
    const rendered = new Map(kustomizations.map((k) => [k.metadata.name, render(k.spec.path)]));
    const byName = new Map(kustomizations.map((k) => [k.metadata.name, k]));
    /** The Kustomizations applied and Ready before this one: its dependsOn, transitively. */
    const before = (name: string, seen = new Set<string>()): Set<string> => {
      for (const dep of byName.get(name)?.spec.dependsOn ?? []) {
        expect(byName.has(dep.name), `${name} depends on ${dep.name}, which deploy/flux does not define`).toBe(true);
        expect(dep.name, 'a Kustomization depending on itself never becomes Ready').not.toBe(name);
        if (!seen.has(dep.name)) before(dep.name, seen.add(dep.name));
      }
      return seen;
    };
    // one owner per object: two Kustomizations applying the same object fight over it and prune it
    const owners = new Map<string, string>();
    for (const [name, objects] of rendered) {
      for (const o of objects) {
        expect(owners.get(id(o)), `${id(o)} is applied by both ${owners.get(id(o))} and ${name}`).toBeUndefined();
        owners.set(id(o), name);
      }
    }
    for (const k of kustomizations) {
      expect(k.spec.sourceRef).toEqual({ kind: 'GitRepository', name: repo?.metadata.name });
      expect(k.spec.wait, `${k.metadata.name} must wait for its objects, so that Ready means they exist`).toBe(true);
      const earlier = before(k.metadata.name);
      const available = (key: string) => {
        const owner = owners.get(key);
        return owner !== undefined && (owner === k.metadata.name || earlier.has(owner));
      };
      for (const o of rendered.get(k.metadata.name) ?? []) {
        if (!o.metadata.namespace) continue;
        const namespace = `Namespace/-/${o.metadata.namespace}`;
        // Flux applies a Kustomization's own Namespaces before its other objects
        expect(available(namespace), `${k.metadata.name} applies ${id(o)} before ${namespace} exists`).toBe(true);
        for (const secret of secretsUsedBy(o)) {
          const key = `Secret/${o.metadata.namespace}/${secret}`;
          expect(earlier.has(owners.get(key) ?? '-'), `${k.metadata.name} rolls out ${id(o)} before ${key} exists`).toBe(true);
        }
      }
    }
    expect([...before('supervisor')]).toEqual(['supervisor-secrets']);
  });

  it('the Ingress serves /mcp over HTTPS only, with a certificate for its host', () => {
    const ingress = overlay.find((o) => o.kind === 'Ingress');
    const hosts = ingress?.spec.rules.map((r: { host: string }) => r.host);
    expect(hosts).toEqual(['supervisor.local']);
    expect(ingress?.spec.tls).toEqual([{ hosts, secretName: 'supervisor-tls' }]);
    // only Traefik's websecure entry point: the token never crosses the network in clear text this way
    expect(ingress?.metadata.annotations).toMatchObject({ 'traefik.ingress.kubernetes.io/router.entrypoints': 'websecure', 'traefik.ingress.kubernetes.io/router.tls': 'true' });
  });

  it('the NetworkPolicy lets only the MCP pods and opted-in pods reach the ingestion service, on its port', () => {
    const policies = overlay.filter((o) => o.kind === 'NetworkPolicy');
    const podLabels = (name: string) => overlay.find((o) => o.kind === 'Deployment' && o.metadata.name === name)?.spec.template.metadata.labels as Record<string, string>;
    const matches = (selector: { matchLabels?: Record<string, string>; matchExpressions?: unknown } | undefined, labels: Record<string, string>) => {
      expect(selector?.matchExpressions).toBeUndefined(); // this small evaluator reads matchLabels only
      return Object.entries(selector?.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
    };
    /** Whether a pod with these labels, in this namespace, may connect to the ingestion pods' port. */
    const admitted = (labels: Record<string, string>, namespace: string, port: string | number) => {
      const selecting = policies.filter((p) => p.metadata.namespace === 'supervisor' && matches(p.spec.podSelector, podLabels('supervisor-ingestion')) && p.spec.policyTypes.includes('Ingress'));
      expect(selecting.length).toBeGreaterThan(0);
      return selecting.some((p) =>
        (p.spec.ingress ?? []).some(
          (rule: { from?: Array<{ podSelector?: any; namespaceSelector?: any }>; ports?: Array<{ port: string | number }> }) =>
            (rule.ports ?? []).some((p) => p.port === port) &&
            (rule.from ?? []).some((peer) => (peer.namespaceSelector ? true : namespace === 'supervisor') && (!peer.podSelector || matches(peer.podSelector, labels)) && (peer.podSelector || peer.namespaceSelector)),
        ),
      );
    };
    const ingestion = overlay.find((o) => o.kind === 'Deployment' && o.metadata.name === 'supervisor-ingestion')?.spec.template.spec.containers[0];
    const port = ingestion.ports[0].name;
    expect(admitted(podLabels('supervisor-mcp'), 'supervisor', port)).toBe(true);
    expect(admitted({ 'supervisor.brain/client': 'true' }, 'backups', port)).toBe(true);
    expect(admitted({ 'supervisor.brain/client': 'true', app: 'git-sync' }, 'supervisor', port)).toBe(true);
    expect(admitted({ app: 'anything-else' }, 'supervisor', port)).toBe(false);
    expect(admitted({ 'app.kubernetes.io/name': 'supervisor-mcp' }, 'other-namespace', port)).toBe(false);
    expect(admitted(podLabels('supervisor-ingestion'), 'supervisor', port)).toBe(false);
    expect(admitted(podLabels('supervisor-mcp'), 'supervisor', 22)).toBe(false);
  });

  it('the private-registry component gives both Deployments the pull secret, and the result still matches the schemas', async () => {
    // Enabled as a team would: a kustomization that takes the overlay and adds the component
    // (kustomize takes relative paths only).
    const dir = await mkdtemp(join(tmpdir(), 'supervisor-overlay-'));
    try {
      await writeFile(
        join(dir, 'kustomization.yaml'),
        `apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - ${relative(dir, resolve('deploy/overlays/k3s'))}\ncomponents:\n  - ${relative(dir, resolve('deploy/components/private-registry'))}\n`,
      );
      const withRegistry = render(dir);
      for (const object of withRegistry) expect({ object: id(object), errors: schemaErrors(object) }).toEqual({ object: id(object), errors: null });
      const deployments = withRegistry.filter((o) => o.kind === 'Deployment');
      expect(deployments.map((d) => d.metadata.name).sort()).toEqual(['supervisor-ingestion', 'supervisor-mcp']);
      for (const d of deployments) expect(d.spec.template.spec.imagePullSecrets).toEqual([{ name: 'registry-credentials' }]);
      // off by default: the overlay as committed pulls without a secret
      for (const d of overlay.filter((o) => o.kind === 'Deployment')) expect(d.spec.template.spec.imagePullSecrets).toBeUndefined();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

/** Secrets a workload needs before its pods can start: env and envFrom references, pull secrets. */
function secretsUsedBy(o: K8sObject): string[] {
  const pod = o.spec?.template?.spec;
  if (!pod) return [];
  const names = new Set<string>();
  for (const c of [...(pod.initContainers ?? []), ...(pod.containers ?? [])]) {
    for (const e of c.env ?? []) if (e.valueFrom?.secretKeyRef && !e.valueFrom.secretKeyRef.optional) names.add(e.valueFrom.secretKeyRef.name);
    for (const e of c.envFrom ?? []) if (e.secretRef && !e.secretRef.optional) names.add(e.secretRef.name);
  }
  for (const s of pod.imagePullSecrets ?? []) names.add(s.name);
  for (const v of pod.volumes ?? []) if (v.secret && !v.secret.optional) names.add(v.secret.secretName);
  return [...names];
}
