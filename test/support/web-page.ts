/**
 * The brain service with its web page, as `supervisor serve` starts it (sessions folder and eval
 * scoreboards handed in) or alone (team mode: neither), on a loopback port over a temporary brain,
 * with everything it logs kept (at debug level: the most it ever says) for the tests to search.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { startIngestion, type RunningIngestion } from '../../ingestion/service.js';
import { latestScoreboard } from '../../src/eval/kept.js';
import { createLogger } from '../../src/log.js';
import { SessionLog } from '../../src/session/log.js';

export interface WebService extends RunningIngestion {
  root: string;
  knowledge: string;
  sessionsDir: string;
  evalDir: string;
  logs(): string;
  stop(): Promise<void>;
}

export async function startWebService({ token, embedded = true }: { token?: string; embedded?: boolean } = {}): Promise<WebService> {
  const root = await mkdtemp(join(tmpdir(), 'supervisor-web-'));
  const sessionsDir = join(root, 'sessions');
  const evalDir = join(root, 'eval');
  await mkdir(sessionsDir, { recursive: true });
  let logged = '';
  const sink = new Writable({
    write(chunk, _encoding, done) {
      logged += String(chunk);
      done();
    },
  });
  const web = embedded ? { sessions: new SessionLog(sessionsDir), scoreboard: () => latestScoreboard(evalDir) } : undefined;
  const service = await startIngestion({ host: '127.0.0.1', port: 0, brainDir: join(root, 'brain'), token, logLevel: 'debug' }, createLogger('debug', sink), web);
  await service.loaded;
  return {
    ...service,
    root,
    knowledge: join(root, 'brain', 'knowledge'),
    sessionsDir,
    evalDir,
    logs: () => logged,
    async stop() {
      await service.close();
      await rm(root, { recursive: true, force: true });
    },
  };
}

/** A session-log line as src/consult/session-entry.ts writes it. */
export function sessionLine(fields: Record<string, unknown>): string {
  return `${JSON.stringify({
    session_id: 'x',
    timestamp: '2026-01-01T10:00:00.000Z',
    skill: 'review',
    phase: 'review',
    project_root: '/work/project',
    final_status: 'ok',
    model_used: 'qwen-coder',
    duration_ms: 1234,
    message: 'Looks fine.',
    message_chars: 11,
    arguments: {},
    attempts: [{ model: 'qwen-coder', outcome: 'ok', ms: 1200 }],
    usage: { prompt_tokens: 100, completion_tokens: 20 },
    knowledge: [],
    cut: null,
    ...fields,
  })}\n`;
}
