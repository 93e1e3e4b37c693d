/**
 * Team mode with three MCP server replicas behind HAProxy (bench/replica-cluster.ts), one brain
 * service keeping the session logs, and 200 consulting calls of both protocol eras in flight while one
 * replica is killed (SIGKILL) and another is stopped (SIGTERM). What must hold: every answered call has
 * exactly one whole line in the brain service's log of its session, whichever replica served it; a call
 * cut by the kill fails at once and succeeds when called again; a session's log holds all its answered
 * calls however many replicas served them, and a retrospective served by yet another replica reads them
 * all; the stopped replica answers (and logs) every call it had accepted, then exits 0.
 *
 * Each replica has a fake model of its own, so the model request that carries a call's marker says which
 * replica served it. Nothing waits for time: all three answer each client's first call, then the models of
 * the replicas to be killed and stopped hold every answer of the second wave; the kills come once every
 * call in flight is held (so each call the kill cuts is cut at its model, before any log line), and the
 * stopped replica's model answers once the stop has begun.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CallToolResult, Client } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeLiteLlm, type ChatRequest, type FakeLiteLlm, type ModelBehaviour } from '../src/dev/fake-litellm.js';
import { MODELS } from './support/fixture-config.js';
import { callTool, connectClient, haproxyCommand, killClusterProcesses, startCluster, type Cluster, type Era, type Exit } from '../bench/replica-cluster.js';
import { gate, waitFor } from './support/wait.js';

const CLIENTS_PER_ERA = 20;
const CALLS_PER_CLIENT = 5;
/** How long a model answer takes where nothing holds it: calls are in flight for a while. */
const MODEL_MS = 300;
/** The kills come once at least this many calls are held at each of the two replicas (about 50 are). */
const HELD_BEFORE_KILLS = 10;
/** Each attempt of a call is bounded: a call never hangs the test. */
const CALL_TIMEOUT_MS = 30_000;
const ATTEMPTS = 4;
const [VICTIM, DRAINED, SURVIVOR] = [0, 1, 2] as const;
const NAMES = ['r1', 'r2', 'r3'];
/** A call's marker: era (L, M) or S (the session spread over all replicas), client, call. Fixed width: none is part of another. */
const MARKER = /mk-[LMS]\d{2}c\d/g;

interface Attempt {
  startedAt: number;
  /** 0 while in flight. */
  endedAt: number;
  ok: boolean;
  error?: string;
}

interface Call {
  marker: string;
  era: Era;
  attempts: Attempt[];
  answer?: { sessionId: string; text: string; structured: Record<string, unknown> };
}

interface LogLine {
  file: string;
  raw: string;
  entry: Record<string, any> | null;
}

const textOf = (result: CallToolResult) =>
  result.content
    .filter((c) => c.type === 'text')
    .map((c) => c.text)
    .join('\n');

const markersIn = (text: string) => [...new Set(text.match(MARKER) ?? [])];
const promptOf = (request: ChatRequest) => request.messages.map((m) => m.content).join('\n');

/** Attempts of calls started and not ended yet, over all clients: the scenario waits until only held ones are left. */
let attemptsInFlight = 0;

/** A client of one era that, when a 2025-era call fails, opens a new protocol session for the next attempt. */
class Driver {
  private connection: Promise<Client> | null = null;
  private generation = 0;

  constructor(
    readonly era: Era,
    readonly index: number,
    private readonly url: string,
    private readonly token: string,
  ) {}

  /** The client, connected (again, after a loss) with a few tries: the first may reach a replica being stopped. */
  client(): Promise<Client> {
    if (!this.connection) {
      const generation = this.generation;
      this.connection = (async () => {
        for (let tries = 1; ; tries++) {
          try {
            return await connectClient(this.url, this.era, this.token, `${this.era}-${this.index}`);
          } catch (error) {
            if (tries >= 5) throw error;
            await new Promise((resolve) => setTimeout(resolve, 100 * tries));
          }
        }
      })();
      this.connection.catch(() => this.lost(generation));
    }
    return this.connection;
  }

  /** A 2025-era call failed: its protocol session may have lived on a replica that is gone. Once, however many calls saw it. */
  private lost(generation: number): void {
    if (this.era === 'modern' || generation !== this.generation) return;
    this.generation++;
    const old = this.connection;
    this.connection = null;
    void old?.then((client) => client.close()).catch(() => undefined);
  }

  async close(): Promise<void> {
    await (await this.connection?.catch(() => null))?.close().catch(() => undefined);
  }

  async consult(call: Call, args: Record<string, unknown>): Promise<void> {
    for (let i = 0; i < ATTEMPTS; i++) {
      const generation = this.generation;
      const attempt: Attempt = { startedAt: performance.now(), endedAt: 0, ok: false };
      call.attempts.push(attempt);
      attemptsInFlight++;
      try {
        const result = await callTool(await this.client(), { name: 'debug', arguments: args }, CALL_TIMEOUT_MS);
        if (!result.isError) {
          attempt.ok = true;
          const structured = (result.structuredContent ?? {}) as Record<string, unknown>;
          call.answer = { sessionId: String(structured.session_id), text: textOf(result), structured };
          return;
        }
        attempt.error = `tool error: ${textOf(result)}`;
      } catch (error) {
        attempt.error = (error as Error).message;
      } finally {
        attempt.endedAt = performance.now();
        attemptsInFlight--;
      }
      this.lost(generation);
    }
  }
}

const debugArgs = (marker: string, sessionId?: string) => ({
  project_root: '/work/shop',
  error: `${marker} TypeError: Cannot read properties of undefined (reading 'total')\n    at checkout (src/cart.ts:${marker.length * 7})`,
  ...(sessionId ? { session_id: sessionId } : {}),
});

interface Run {
  cluster: Cluster;
  fakes: FakeLiteLlm[];
  calls: Call[];
  /** The session whose calls all three replicas served before the kills, and its calls. */
  spread: { sessionId: string; calls: Call[] };
  /** The sessions the 2026-era clients used, with their calls. */
  modernSessions: Map<string, Call[]>;
  /** Markers of the calls the killed replica held, and each one's attempt that was in flight then. */
  killed: Array<{ call: Call; attempt: Attempt }>;
  killedAt: number;
  /** The calls that reached the stopped replica's model after the first wave (all held there until it was stopped). */
  drained: Call[];
  stoppedAt: number;
  drainedExit: Exit;
  retrospective: { result: CallToolResult; prompt: string | null };
  lines: LogLine[];
  files: string[];
}

async function readLogs(sessionsDir: string): Promise<{ files: string[]; lines: LogLine[] }> {
  const files = (await readdir(sessionsDir)).filter((name) => name.endsWith('.jsonl'));
  const lines: LogLine[] = [];
  for (const file of files) {
    const text = await readFile(join(sessionsDir, file), 'utf8');
    if (!text.endsWith('\n')) lines.push({ file, raw: '(no line end at the end of the file)', entry: null });
    for (const raw of text.split('\n').filter((line) => line !== '')) {
      let entry: Record<string, any> | null = null;
      try {
        entry = JSON.parse(raw) as Record<string, any>;
      } catch {
        // a torn line: reported by the test
      }
      lines.push({ file, raw, entry });
    }
  }
  return { files, lines };
}

async function scenario(cluster: Cluster, fakes: FakeLiteLlm[], holds: { victim: ReturnType<typeof gate>; drained: ReturnType<typeof gate> }): Promise<Run> {
  const byMarker = new Map<string, Call>();
  const newCall = (marker: string, era: Era): Call => {
    const call: Call = { marker, era, attempts: [] };
    byMarker.set(marker, call);
    return call;
  };

  // 1. Before the load: one 2026-era session, its calls sent one at a time until each replica has served some (round robin does it in three).
  const spreader = new Driver('modern', 0, cluster.url, cluster.token);
  const spreadCalls: Call[] = [];
  let spreadSession: string | undefined;
  const servedBy = (marker: string) => fakes.findIndex((fake) => fake.requests.some((r) => promptOf(r).includes(marker)));
  for (let i = 0; i < 9 && new Set(spreadCalls.map((c) => servedBy(c.marker))).size < 3; i++) {
    const call = newCall(`mk-S00c${i}`, 'modern');
    spreadCalls.push(call);
    await spreader.consult(call, debugArgs(call.marker, spreadSession));
    spreadSession ??= call.answer?.sessionId;
  }
  if (!spreadSession) throw new Error(`the first call of the spread session failed: ${JSON.stringify(spreadCalls[0]?.attempts)}`);

  // 2. The load: the clients connect (a 2025-era initialize is balanced; its session then sticks to that replica). Each sends
  // one call, which all three replicas answer (a 2026-era client's first starts its session or names its own); then, at once,
  // the other four of each: 160 calls in flight.
  const drivers = Array.from({ length: CLIENTS_PER_ERA }, (_, i) => [new Driver('legacy', i, cluster.url, cluster.token), new Driver('modern', i, cluster.url, cluster.token)]).flat();
  for (const driver of drivers) await driver.client();
  const modernSessions = new Map<string, Call[]>();
  const secondWave = gate();
  let firstWave = 0;
  const load = drivers.map(async (driver) => {
    const tag = `${driver.era === 'legacy' ? 'L' : 'M'}${String(driver.index).padStart(2, '0')}`;
    const [first, ...rest] = Array.from({ length: CALLS_PER_CLIENT }, (_, c) => newCall(`mk-${tag}c${c}`, driver.era)) as [Call, ...Call[]];
    // 2025 era: half name their session, half use the protocol session's id (a new one after a reconnection). 2026 era: half
    // name their own session, half take the one their first call started.
    let session = driver.index % 2 === 0 ? (driver.era === 'legacy' ? `legacy-${driver.index}` : undefined) : driver.era === 'modern' ? `fixed-${driver.index}` : undefined;
    try {
      await driver.consult(first, debugArgs(first.marker, session));
    } finally {
      firstWave++;
    }
    if (driver.era === 'modern') {
      session ??= first.answer?.sessionId;
      if (!session) return;
      modernSessions.set(session, [first, ...rest]);
    }
    await secondWave.closed;
    await Promise.all(rest.map((call) => driver.consult(call, debugArgs(call.marker, session))));
  });

  // 3. Once the first calls are answered, r1's and r2's models hold every answer; then the second wave goes.
  await waitFor(() => firstWave === drivers.length, 'the first call of every client answered');
  const armed = fakes.map((fake) => fake.requests.length);
  const held = (replica: number) => (fakes[replica] as FakeLiteLlm).requests.length - (armed[replica] as number);
  const heldBehaviour = (name: string, until: Promise<void>): ModelBehaviour => ({ kind: 'answer', text: answerOf(name), until });
  for (const model of Object.values(MODELS)) {
    fakes[VICTIM]?.behave(model, heldBehaviour(NAMES[VICTIM] as string, holds.victim.closed));
    fakes[DRAINED]?.behave(model, heldBehaviour(NAMES[DRAINED] as string, holds.drained.closed));
  }
  secondWave.open();

  // 4. The kills, once the load has settled: every call in flight is held at r1 or r2 (the others were answered, and the
  // calls that follow them were sent), so none is between its model's answer and its log line, and the kill cuts each at the model.
  const settled = () => attemptsInFlight === held(VICTIM) + held(DRAINED) && held(VICTIM) >= HELD_BEFORE_KILLS && held(DRAINED) >= HELD_BEFORE_KILLS;
  await waitFor(settled, `every call in flight held at r1 or r2, at least ${HELD_BEFORE_KILLS} at each`);
  const killed = (fakes[VICTIM] as FakeLiteLlm).requests.slice(armed[VICTIM]).map((request) => {
    const call = byMarker.get(markersIn(promptOf(request))[0] ?? '') as Call;
    return { call, attempt: call.attempts.at(-1) as Attempt };
  });
  const victim = cluster.replicas[VICTIM];
  const drainedReplica = cluster.replicas[DRAINED];
  if (!victim || !drainedReplica) throw new Error('three replicas expected');
  const killedAt = performance.now();
  victim.signal('SIGKILL');
  await victim.exited;
  const stoppedAt = performance.now();
  drainedReplica.signal('SIGTERM');
  await drainedReplica.logged(/^shutting down$/);
  // The stop has begun: the calls the stopped replica holds may now be answered, as a slow model's would be.
  holds.drained.open();

  await Promise.all(load);
  const drainedExit = await drainedReplica.exited;
  // Every request that reached the stopped replica's model was of a call it had accepted (after the stop it refuses new ones).
  const drained = (fakes[DRAINED] as FakeLiteLlm).requests.slice(armed[DRAINED]).map((request) => byMarker.get(markersIn(promptOf(request))[0] ?? '') as Call);

  // 5. A retrospective of the spread session, after the kills: served by the one replica left.
  const before = fakes.map((fake) => fake.requests.length);
  const result = await callTool(await spreader.client(), { name: 'retrospective', arguments: { session_id: spreadSession } }, CALL_TIMEOUT_MS);
  const retrospectiveRequests = fakes.flatMap((fake, i) => fake.requests.slice(before[i]));
  const prompt = retrospectiveRequests.map(promptOf).find((text) => text.includes(spreadSession)) ?? null;

  await Promise.all([spreader, ...drivers].map((driver) => driver.close()));
  const { files, lines } = await readLogs(cluster.sessionsDir);
  return {
    cluster,
    fakes,
    calls: [...byMarker.values()],
    spread: { sessionId: spreadSession, calls: spreadCalls },
    modernSessions,
    killed,
    killedAt,
    drained,
    stoppedAt,
    drainedExit,
    retrospective: { result, prompt },
    lines,
    files,
  };
}

/** What each replica's model answers: it names the replica, so the answer and its log line say who served the call. */
const answerOf = (name: string) => () => `## Hypotheses\n1. The cart is empty at checkout (served by ${name}).`;

describe('three MCP replicas behind HAProxy in team mode, one killed and one stopped under load', () => {
  let run: Run | undefined;
  let cluster: Cluster | undefined;
  const fakes: FakeLiteLlm[] = [];
  const holds = { victim: gate(), drained: gate() };

  beforeAll(async () => {
    if (!haproxyCommand()) {
      throw new Error('haproxy is not installed, and this test runs the replicas behind it: apt-get install -y haproxy (.ci/run installs it)');
    }
    for (const name of NAMES) fakes.push(await startFakeLiteLlm({ answer: { kind: 'answer', text: answerOf(name), delayMs: MODEL_MS } }));
    cluster = await startCluster({ replicas: 3, modelUrl: (i) => (fakes[i] as FakeLiteLlm).url, replicaEnv: { SUPERVISOR_SHUTDOWN_SECONDS: '20' } });
    run = await scenario(cluster, fakes, holds);
  });

  afterAll(async () => {
    holds.victim.open();
    holds.drained.open();
    await cluster?.stop().catch(() => undefined);
    killClusterProcesses();
    await Promise.all(fakes.map((fake) => fake.close()));
  });

  const ran = (): Run => {
    if (!run) throw new Error('the scenario did not run');
    return run;
  };

  it('answers every call, and logs each answered call in exactly one whole line at the brain service', () => {
    const { calls, lines, fakes: models } = ran();
    // Each consulting call's prompt carries its own marker and no other (no history of the same phase is shown).
    const prompts = models.flatMap((fake) => fake.requests).filter((request) => request.model !== MODELS.planner);
    expect(prompts.filter((request) => markersIn(promptOf(request)).length !== 1).map((request) => markersIn(promptOf(request)))).toEqual([]);
    expect(calls.length).toBe(2 * CLIENTS_PER_ERA * CALLS_PER_CLIENT + ran().spread.calls.length);
    const unanswered = calls.filter((call) => !call.answer).map((call) => ({ marker: call.marker, attempts: call.attempts }));
    expect(unanswered).toEqual([]);
    // No torn or half-written line in any log, whatever was killed while writing.
    expect(lines.filter((line) => line.entry === null).map((line) => `${line.file}: ${line.raw.slice(0, 200)}`)).toEqual([]);
    const problems: string[] = [];
    for (const call of calls.filter((c) => c.answer)) {
      const found = lines.filter((line) => line.raw.includes(call.marker));
      if (found.length !== 1) {
        problems.push(`${call.marker}: ${found.length} lines`);
        continue;
      }
      const entry = (found[0] as LogLine).entry ?? {};
      const answer = call.answer as NonNullable<Call['answer']>;
      if (entry.session_id !== answer.sessionId || (found[0] as LogLine).file !== `${answer.sessionId}.jsonl`) problems.push(`${call.marker}: logged in ${(found[0] as LogLine).file}, answered for ${answer.sessionId}`);
      if (entry.final_status !== 'ok' || entry.skill !== 'debug') problems.push(`${call.marker}: ${entry.skill} ${entry.final_status}`);
      if (!String(entry.arguments?.error ?? '').startsWith(call.marker)) problems.push(`${call.marker}: arguments ${JSON.stringify(entry.arguments)}`);
      // The log line holds the answer of the replica that answered the call.
      const servedBy = /served by (r\d)/.exec(answer.text)?.[1];
      if (!servedBy || !String(entry.message).includes(`served by ${servedBy}`)) problems.push(`${call.marker}: answered by ${servedBy}, logged ${String(entry.message).slice(0, 80)}`);
      if (answer.structured.session_log !== undefined) problems.push(`${call.marker}: session_log ${String(answer.structured.session_log)}`);
    }
    expect(problems).toEqual([]);
  });

  it('fails the calls the SIGKILL cut at once, with an error, and answers them when they are called again', () => {
    const { killed, killedAt, cluster: c } = ran();
    expect(killed.length).toBeGreaterThanOrEqual(HELD_BEFORE_KILLS);
    for (const { call, attempt } of killed) {
      expect(attempt.ok, `${call.marker}: the attempt the kill cut`).toBe(false);
      expect(attempt.error, call.marker).toBeTruthy();
      // Failed when the replica died, not at the call's timeout.
      expect(attempt.endedAt - killedAt, `${call.marker}: ${attempt.error}`).toBeLessThan(10_000);
      expect(call.answer, `${call.marker}: answered when called again (${JSON.stringify(call.attempts)})`).toBeDefined();
      expect(call.attempts.length).toBeLessThanOrEqual(ATTEMPTS);
    }
    // Both eras were cut: 2025-era sessions that lived on the killed replica (their clients start new ones), and 2026-era calls.
    expect(new Set(killed.map(({ call }) => call.era))).toEqual(new Set(['legacy', 'modern']));
    expect(c.replicas[VICTIM]?.alive()).toBe(false);
  });

  it("keeps a 2026-era session's whole history whichever replicas served its calls", () => {
    const { modernSessions, lines, fakes: models } = ran();
    expect(modernSessions.size).toBe(CLIENTS_PER_ERA);
    let spreadOverSeveral = 0;
    let withKilled = 0;
    for (const [sessionId, calls] of modernSessions) {
      const logged = lines.filter((line) => line.file === `${sessionId}.jsonl`).flatMap((line) => markersIn(String(line.entry?.arguments?.error ?? '')));
      expect(logged.sort(), sessionId).toEqual(calls.map((call) => call.marker).sort());
      const replicas = new Set(calls.map((call) => /served by (r\d)/.exec(call.answer?.text ?? '')?.[1]));
      if (replicas.size > 1) spreadOverSeveral++;
      if (replicas.size > 1 && replicas.has(NAMES[VICTIM])) withKilled++;
    }
    // Round robin spreads most sessions over several replicas (the calls of one are sent at once), some of them over the
    // replica that was killed later; each must be whole.
    expect(spreadOverSeveral).toBeGreaterThanOrEqual(CLIENTS_PER_ERA / 4);
    expect(withKilled).toBeGreaterThanOrEqual(1);
    expect(models.every((fake) => fake.requests.length > 0)).toBe(true);
  });

  it('gives a retrospective served by one replica every call of a session that all three served', () => {
    const { spread, retrospective } = ran();
    const servers = spread.calls.map((call) => /served by (r\d)/.exec(call.answer?.text ?? '')?.[1]);
    expect(new Set(servers)).toEqual(new Set(NAMES));
    expect(retrospective.result.isError, textOf(retrospective.result)).toBeFalsy();
    expect((retrospective.result.structuredContent as Record<string, unknown>).session_id).toBe(spread.sessionId);
    expect(textOf(retrospective.result)).toContain(`served by ${NAMES[SURVIVOR]}`);
    expect(retrospective.prompt, 'the retrospective reached a model').not.toBeNull();
    for (const call of spread.calls) expect(retrospective.prompt).toContain(call.marker);
  });

  it('lets the SIGTERMed replica drain: every call it had accepted is answered by it and logged, and it exits 0', () => {
    const { drained, drainedExit, stoppedAt, lines } = ran();
    expect(drained.length).toBeGreaterThanOrEqual(HELD_BEFORE_KILLS);
    for (const call of drained) {
      // Answered by the stopped replica's model, on the attempt that reached it: the stop failed none of the call's attempts.
      expect(call.answer?.text, `${call.marker}: ${JSON.stringify(call.attempts)}`).toContain(`served by ${NAMES[DRAINED]}`);
      expect(call.attempts.filter((a) => !a.ok && a.endedAt > stoppedAt), call.marker).toEqual([]);
      expect(lines.filter((line) => line.raw.includes(call.marker))).toHaveLength(1);
    }
    expect(drainedExit).toEqual({ code: 0, signal: null });
  });

  it("writes nothing on the replicas' own disks: the logs are the brain service's", async () => {
    const { cluster: c, files } = ran();
    expect(files.length).toBeGreaterThan(CLIENTS_PER_ERA);
    for (const dir of c.replicaDirs) expect(await readdir(dir, { recursive: true }), dir).toEqual([]);
  });
});
