/**
 * Issue 9 item 3: the server started with the k3s overlay's own environment answers where the docs
 * send clients — a node's IP on the NodePort (http://<node>:30320/mcp, the first deployment's URL)
 * and the Ingress host over HTTPS — and still refuses a foreign browser Origin.
 *
 * The rendered MCP container's env is used as is, except what only exists in a cluster: ports (0),
 * mount paths (temp dirs holding what is mounted there: the rendered ConfigMap, a brain), Secret
 * values (test tokens), and the Service URLs (a real ingestion service started from the ingestion
 * container's env, a fake LiteLLM). Both listen on every interface, as in the pod; every request
 * goes to 127.0.0.1 with the Host header a client of the NodePort or of Traefik sends (nothing is
 * sent to another address).
 */
import { request as httpRequest } from 'node:http';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../ingestion/app.js';
import { Brain } from '../ingestion/brain.js';
import { startIngestion, type RunningIngestion } from '../ingestion/service.js';
import { ingestionConfig } from '../ingestion/config.js';
import { supervisorConfig } from '../src/config.js';
import { startFakeLiteLlm, type FakeLiteLlm } from '../src/dev/fake-litellm.js';
import { createLogger } from '../src/log.js';
import { startSupervisor, type RunningSupervisor } from '../src/serve.js';
import { hasKubectl, render, type K8sObject } from './support/kustomize.js';
import { startTestSupervisor, type TestSupervisor } from './support/supervisor.js';

const SECRETS: Record<string, string> = {
  SUPERVISOR_TOKEN: 'overlay-mcp-token-0123456789abcdef',
  INGEST_TOKEN: 'overlay-ingest-token-0123456789abcdef',
  LITELLM_API_KEY: 'overlay-litellm-key',
};
/** A node's address as a client on the LAN would type it; only ever sent as a Host header. */
const NODE_IP = '10.0.0.5';

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef?: { name: string; key: string } };
}

/**
 * A fetch for the MCP client that sends every request to 127.0.0.1:`port` with the Host of the URL
 * the client was given, the way a NodePort or Traefik passes it on (Traefik ends TLS, so https
 * URLs arrive as plain HTTP with X-Forwarded-Proto).
 */
function viaLoopback(port: number) {
  return (url: string | URL, init: RequestInit = {}): Promise<Response> =>
    new Promise((resolve, reject) => {
      const target = new URL(url);
      const headers: Record<string, string> = Object.fromEntries(new Headers(init.headers).entries());
      headers.host = target.host;
      if (target.protocol === 'https:') headers['x-forwarded-proto'] = 'https';
      const request = httpRequest({ host: '127.0.0.1', port, method: init.method ?? 'GET', path: target.pathname + target.search, headers }, (response) => {
        const responseHeaders = new Headers();
        for (const [name, value] of Object.entries(response.headers)) if (value !== undefined) responseHeaders.set(name, Array.isArray(value) ? value.join(', ') : value);
        const status = response.statusCode ?? 0;
        const empty = status === 204 || status === 304;
        if (empty) response.resume();
        resolve(new Response(empty ? null : (Readable.toWeb(response) as ReadableStream<Uint8Array>), { status, headers: responseHeaders }));
      });
      request.on('error', reject);
      init.signal?.addEventListener('abort', () => request.destroy(init.signal?.reason instanceof Error ? init.signal.reason : new Error('aborted')), { once: true });
      request.end(typeof init.body === 'string' ? init.body : undefined);
    });
}

describe.skipIf(!hasKubectl)('the MCP server with the k3s overlay\'s environment', () => {
  let overlay: K8sObject[];
  let llm: FakeLiteLlm;
  let ingestion: RunningIngestion;
  let supervisor: RunningSupervisor;
  let port: number;
  const dirs: string[] = [];
  const clients: Client[] = [];

  const find = (kind: string, name: string) => overlay.find((o) => o.kind === kind && o.metadata.name === name);

  beforeAll(async () => {
    overlay = render('deploy/overlays/k3s');
    llm = await startFakeLiteLlm();
    // What the pods mount: the generated ConfigMap's files, and the brain volume (one, shared).
    const mounted = { config: await mkdtemp(join(tmpdir(), 'supervisor-overlay-config-')), brain: await mkdtemp(join(tmpdir(), 'supervisor-overlay-brain-')), tmp: await mkdtemp(join(tmpdir(), 'supervisor-overlay-tmp-')) };
    dirs.push(...Object.values(mounted));
    const configMap = overlay.find((o) => o.kind === 'ConfigMap' && o.metadata.name.startsWith('supervisor-config-'));
    for (const [file, content] of Object.entries(configMap?.data ?? {})) await writeFile(join(mounted.config, file), content as string);
    await mkdir(join(mounted.brain, 'knowledge'), { recursive: true });

    /** The container's env as the process would see it, cluster-only values replaced. */
    const environment = (deployment: string, services: Record<string, string>): Record<string, string> => {
      const container = find('Deployment', deployment)?.spec.template.spec.containers[0];
      const mounts = container.volumeMounts as Array<{ name: keyof typeof mounted; mountPath: string }>;
      const env: Record<string, string> = {};
      for (const e of container.env as EnvVar[]) {
        let value = e.value ?? SECRETS[e.valueFrom?.secretKeyRef?.key ?? ''];
        expect(value, `${deployment}: no value for ${e.name}`).toBeDefined();
        const mount = mounts.find((m) => value === m.mountPath || value?.startsWith(`${m.mountPath}/`));
        if (mount && value) value = mounted[mount.name] + value.slice(mount.mountPath.length);
        env[e.name] = services[value as string] ?? (value as string);
      }
      return env;
    };
    const ingestEnv = environment('supervisor-ingestion', {});
    ingestion = await startIngestion(ingestionConfig({ ...ingestEnv, INGEST_PORT: '0' }), createLogger('silent'));
    await ingestion.loaded;
    const ingestPort = new URL(ingestion.url).port;
    const mcpEnv = environment('supervisor-mcp', {
      'http://supervisor-ingestion:3300': `http://127.0.0.1:${ingestPort}`,
      'http://litellm.litellm.svc.cluster.local:4000': llm.url,
    });
    expect(mcpEnv).toMatchObject({ SUPERVISOR_HOST: '0.0.0.0', INGEST_BASE_URL: `http://127.0.0.1:${ingestPort}`, SUPERVISOR_TOKEN: SECRETS.SUPERVISOR_TOKEN });
    supervisor = await startSupervisor(supervisorConfig({ ...mcpEnv, SUPERVISOR_PORT: '0' }), ingestionConfig(mcpEnv), createLogger('silent'));
    port = Number(new URL(supervisor.mcpUrl).port);
  });

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
    await supervisor?.close();
    await ingestion?.close();
    await llm?.close();
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  async function connect(url: string, headers: Record<string, string>): Promise<Client> {
    const client = new Client({ name: 'overlay-test', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(url), { fetch: viaLoopback(port), requestInit: { headers } }));
    clients.push(client);
    return client;
  }
  const bearer = { authorization: `Bearer ${SECRETS.SUPERVISOR_TOKEN}` };

  it('answers at the NodePort address the docs give, http://<node>:30320/mcp, and reaches the brain service', async () => {
    const client = await connect(`http://${NODE_IP}:30320/mcp`, bearer);
    expect(client.getServerVersion()?.name).toBeTruthy();
    expect(find('Service', 'supervisor-mcp-nodeport')?.spec.ports[0].nodePort).toBe(30320);
    const written = await client.callTool({ name: 'brain_write', arguments: { content: 'Traefik keeps event streams open.', title: 'Overlay check', filename: 'overlay-check' } });
    expect(written.isError).toBeFalsy();
    const found = await client.callTool({ name: 'brain_query', arguments: { query: 'overlay check' } });
    expect(JSON.stringify(found.structuredContent)).toContain('overlay-check.md');
  });

  it('answers at the Ingress host over HTTPS, https://supervisor.local/mcp', async () => {
    const ingress = find('Ingress', 'supervisor-mcp');
    const host = ingress?.spec.rules[0].host as string;
    expect(ingress?.spec.tls[0].hosts).toContain(host);
    const client = await connect(`https://${host}/mcp`, { ...bearer, origin: `https://${host}` });
    expect((await client.listTools()).tools.map((t) => t.name)).toContain('brain_query');
  });

  it('refuses a foreign Origin, and a client without the token, with 403', async () => {
    await expect(connect(`http://${NODE_IP}:30320/mcp`, { ...bearer, origin: 'http://evil.example' })).rejects.toThrow(/403|Origin/);
    const post = (headers: Record<string, string>) =>
      viaLoopback(port)(`http://${NODE_IP}:30320/mcp`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } } }),
      });
    const foreign = await post({ ...bearer, origin: 'http://evil.example' });
    expect(foreign.status).toBe(403);
    expect(await foreign.text()).toContain('Origin \\"http://evil.example\\" is not allowed');
    const rebound = await post({ ...bearer, origin: 'https://supervisor.local' }); // an Origin that is not the Host it is sent to
    expect(rebound.status).toBe(403);
    const noToken = await post({});
    expect(noToken.status).toBe(403);
    expect(await noToken.text()).toContain('wrong or missing bearer token');
  });
});

describe('the Host rule behind a token (both services)', () => {
  let sup: TestSupervisor | undefined;
  afterAll(async () => {
    await sup?.stop();
  });
  const initialize = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } } };

  it('MCP server on every interface with SUPERVISOR_ALLOWED_HOSTS and a token: a node IP passes, a foreign Origin does not', async () => {
    const token = 'guard-token-0123456789abcdef';
    sup = await startTestSupervisor({ SUPERVISOR_HOST: '0.0.0.0', SUPERVISOR_ALLOWED_HOSTS: 'supervisor.local', SUPERVISOR_TOKEN: token });
    const port = Number(new URL(sup.mcpUrl).port);
    const post = (host: string, headers: Record<string, string>) =>
      viaLoopback(port)(`http://${host}/mcp`, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers }, body: JSON.stringify(initialize) });
    const ok = async (response: Response) => {
      await response.body?.cancel();
      return response.status;
    };
    expect(await ok(await post(`${NODE_IP}:30320`, { authorization: `Bearer ${token}` }))).toBe(200);
    expect(await ok(await post('supervisor.local', { authorization: `Bearer ${token}`, origin: 'https://supervisor.local' }))).toBe(200);
    // a listed host may be the Origin of a page calling another name of the server
    expect(await ok(await post(`${NODE_IP}:30320`, { authorization: `Bearer ${token}`, origin: 'https://supervisor.local' }))).toBe(200);
    expect(await ok(await post(`${NODE_IP}:30320`, { authorization: `Bearer ${token}`, origin: 'http://evil.example' }))).toBe(403);
    expect(await ok(await post(`${NODE_IP}:30320`, {}))).toBe(403);
  });

  it('ingestion service: the same rule with INGEST_TOKEN; without a token, listed hosts only, as before', async () => {
    const brainDir = await mkdtemp(join(tmpdir(), 'supervisor-guard-'));
    const brain = await Brain.open(brainDir, createLogger('silent'));
    const token = 'ingest-guard-token-0123456789';
    const withToken = buildApp({ brain, logger: createLogger('silent'), bindHost: '0.0.0.0', allowedHosts: ['brain.local'], token });
    const withoutToken = buildApp({ brain, logger: createLogger('silent'), bindHost: '0.0.0.0', allowedHosts: ['brain.local'] });
    try {
      await brain.reconcile();
      const query = (app: typeof withToken, headers: Record<string, string>) =>
        app.inject({ method: 'POST', url: '/query', headers: { 'content-type': 'application/json', ...headers }, payload: { query: 'x' } }).then((r) => r.statusCode);
      expect(await query(withToken, { host: `${NODE_IP}:3300`, authorization: `Bearer ${token}` })).toBe(200);
      expect(await query(withToken, { host: `${NODE_IP}:3300`, authorization: `Bearer ${token}`, origin: 'http://evil.example' })).toBe(403);
      expect(await query(withToken, { host: `${NODE_IP}:3300` })).toBe(401);
      expect(await query(withoutToken, { host: `${NODE_IP}:3300` })).toBe(403);
      expect(await query(withoutToken, { host: 'brain.local:3300' })).toBe(200);
    } finally {
      await withToken.close();
      await withoutToken.close();
      await brain.close();
      await rm(brainDir, { recursive: true, force: true });
    }
  });
});
