/**
 * Team mode scaled out: 1, 2 and 3 MCP server replicas (`supervisor serve`, each its own process) behind
 * HAProxy, sharing one brain service (`supervisor ingest`) that keeps the session logs — the cluster of
 * test/replicas.test.ts (bench/replica-cluster.ts). One HAProxy serves three frontends: over r1,
 * over r1–r2, over r1–r3, so the three set-ups run side by side and their rounds are interleaved
 * (1, 2, 3, 1, 2, 3…): the machine's noise falls on all alike.
 *
 * Each round: CALLS consulting calls (`debug`) at once, half from 2025-era clients (a protocol session
 * each, kept on its replica by HAProxy), half from 2026-07-28 clients (stateless, round robin), against
 * a fake model that answers after MODEL_MS. Measured: calls per second (calls / the round's wall time),
 * overhead per call (its latency − MODEL_MS, p50 / p99 over the rounds), and CPU time (/proc utime +
 * stime) per logged call of the brain service, of the replicas together, of HAProxy and of this process
 * (the clients and the fake model).
 *
 * Every process runs on the same machine: on 2 cores the replicas, the brain service, HAProxy, the fake
 * model and the clients (this process) share them, so more replicas cannot add cores; what they show
 * is what spreading a session's calls over processes costs, and that nothing is lost.
 *
 * Prints one JSON line; run by bench/run.ts, or alone: `node dist/bench/replicas-bench.js`.
 */
import { cpus } from 'node:os';
import type { Client } from '@modelcontextprotocol/client';
import { startFakeLiteLlm } from '../src/dev/fake-litellm.js';
import { callTool, connectClient, haproxyCommand, startCluster, type Cluster, type Era } from './replica-cluster.js';
import { summarize, type Latency } from './latency.js';
import { processCpuMs } from './server-process.js';

const REPLICA_COUNTS = [1, 2, 3] as const;
/** Calls in flight at once in a round: CLIENTS_PER_ERA clients of each era, CALLS_PER_CLIENT calls each. */
const CLIENTS_PER_ERA = 50;
const CALLS_PER_CLIENT = 2;
const CALLS = 2 * CLIENTS_PER_ERA * CALLS_PER_CLIENT;
const MODEL_MS = 200;
const ROUNDS = 5;
const WARM_UP_ROUNDS = 2;

export interface ReplicaSetResult {
  replicas: number;
  /** Calls per second of each round, and their median. */
  callsPerSecond: number;
  roundsPerSecond: number[];
  /** A call's latency minus the model's MODEL_MS, over all timed rounds. */
  overhead: Latency;
  errors: number;
  /** CPU ms of the brain service per logged call (null without /proc). */
  brainCpuMsPerCall: number | null;
  /** CPU ms of the replicas in the set, together, per call. */
  replicaCpuMsPerCall: number | null;
  /** CPU ms of HAProxy per call. */
  haproxyCpuMsPerCall: number | null;
  /** CPU ms of this process per call: the clients (the SDK, both eras) and the fake model. */
  clientCpuMsPerCall: number;
}

export interface ReplicasResult {
  cores: number;
  calls: number;
  modelMs: number;
  rounds: number;
  sets: ReplicaSetResult[];
}

interface SetState {
  replicas: number;
  url: string;
  clients: Array<{ era: Era; client: Client; session: string | undefined }>;
  pids: number[];
  latencies: number[];
  perSecond: number[];
  errors: number;
  brainCpuMs: number;
  replicaCpuMs: number;
  haproxyCpuMs: number;
  clientCpuMs: number;
  logged: number;
}

const cpuOf = (pids: number[]) => pids.reduce((sum, pid) => sum + (processCpuMs(pid) ?? NaN), 0);

/** One round: every client's calls at once; the latencies and the CPU it cost are added to the set's. */
async function round(cluster: Cluster, set: SetState, n: number, timed: boolean): Promise<void> {
  const brainBefore = processCpuMs(cluster.brain.pid);
  const replicasBefore = cpuOf(set.pids);
  const haproxyBefore = processCpuMs(cluster.haproxy.pid);
  const clientBefore = process.cpuUsage();
  const latencies: number[] = [];
  let errors = 0;
  const started = performance.now();
  await Promise.all(
    set.clients.flatMap(({ client, session }, c) =>
      Array.from({ length: CALLS_PER_CLIENT }, async (_, k) => {
        const callStarted = performance.now();
        const args = { project_root: '/work/shop', error: `TypeError in round ${n}, client ${c}, call ${k}: cannot read 'total' of undefined at checkout (src/cart.ts:42)`, ...(session ? { session_id: session } : {}) };
        try {
          const result = await callTool(client, { name: 'debug', arguments: args }, 60_000);
          if (result.isError) errors++;
          else latencies.push(performance.now() - callStarted);
        } catch {
          errors++;
        }
      }),
    ),
  );
  const wallMs = performance.now() - started;
  if (!timed) return;
  const brainAfter = processCpuMs(cluster.brain.pid);
  const haproxyAfter = processCpuMs(cluster.haproxy.pid);
  const client = process.cpuUsage(clientBefore);
  set.brainCpuMs += brainBefore === null || brainAfter === null ? NaN : brainAfter - brainBefore;
  set.replicaCpuMs += cpuOf(set.pids) - replicasBefore;
  set.haproxyCpuMs += haproxyBefore === null || haproxyAfter === null ? NaN : haproxyAfter - haproxyBefore;
  set.clientCpuMs += (client.user + client.system) / 1000;
  set.latencies.push(...latencies);
  set.perSecond.push((latencies.length / wallMs) * 1000);
  set.errors += errors;
  set.logged += latencies.length;
  process.stderr.write(`  ${set.replicas} replica(s), round ${n - WARM_UP_ROUNDS + 1}: ${Math.round((latencies.length / wallMs) * 1000)} calls/s, ${errors} errors\n`);
}

async function main(): Promise<void> {
  if (!haproxyCommand()) throw new Error('haproxy is not installed: apt-get install -y haproxy (.ci/run installs it)');
  const cores = cpus().length;
  process.stderr.write(
    `  ${cores} cores: ${REPLICA_COUNTS.at(-1)} replicas, the brain service, HAProxy, the fake model and ${2 * CLIENTS_PER_ERA} clients share them\n`,
  );
  const llm = await startFakeLiteLlm({ answer: { kind: 'answer', text: '## Hypotheses\n1. The cart is empty at checkout.', chunks: 4, delayMs: MODEL_MS } });
  const cluster = await startCluster({
    replicas: Math.max(...REPLICA_COUNTS),
    modelUrl: () => llm.url,
    frontends: REPLICA_COUNTS.map((count) => Array.from({ length: count }, (_, i) => i)),
    // Every client of every set starts a session: far more in a minute than the default allows.
    brainEnv: { INGEST_NEW_SESSIONS_PER_MINUTE: '1000000' },
  });
  try {
    const sets: SetState[] = [];
    for (const [i, frontend] of cluster.frontends.entries()) {
      const clients: SetState['clients'] = [];
      for (const era of ['legacy', 'modern'] as const) {
        for (let c = 0; c < CLIENTS_PER_ERA; c++) {
          // 2025-era calls use their protocol session's id; 2026-era clients name theirs.
          clients.push({ era, client: await connectClient(frontend.url, era, cluster.token, `bench-${era}`), session: era === 'modern' ? `bench-${i}-${c}` : undefined });
        }
      }
      const pids = frontend.replicas.map((r) => cluster.replicas[r]?.pid as number);
      sets.push({ replicas: frontend.replicas.length, url: frontend.url, clients, pids, latencies: [], perSecond: [], errors: 0, brainCpuMs: 0, replicaCpuMs: 0, haproxyCpuMs: 0, clientCpuMs: 0, logged: 0 });
    }
    for (let n = 0; n < WARM_UP_ROUNDS + ROUNDS; n++) {
      for (const set of sets) await round(cluster, set, n, n >= WARM_UP_ROUNDS);
    }
    await Promise.all(sets.flatMap((set) => set.clients.map(({ client }) => client.close().catch(() => undefined))));
    const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;
    const perCall = (ms: number, calls: number) => (Number.isFinite(ms) && calls > 0 ? Math.round((ms / calls) * 100) / 100 : null);
    const result: ReplicasResult = {
      cores,
      calls: CALLS,
      modelMs: MODEL_MS,
      rounds: ROUNDS,
      sets: sets.map((set) => ({
        replicas: set.replicas,
        callsPerSecond: Math.round(median(set.perSecond)),
        roundsPerSecond: set.perSecond.map(Math.round),
        overhead: summarize(set.latencies.map((ms) => ms - MODEL_MS)),
        errors: set.errors,
        brainCpuMsPerCall: perCall(set.brainCpuMs, set.logged),
        replicaCpuMsPerCall: perCall(set.replicaCpuMs, set.logged),
        haproxyCpuMsPerCall: perCall(set.haproxyCpuMs, set.logged),
        clientCpuMsPerCall: perCall(set.clientCpuMs, set.logged) ?? NaN,
      })),
    };
    console.log(JSON.stringify(result));
  } finally {
    await cluster.stop();
    await llm.close();
  }
}

await main();
