/**
 * `supervisor eval`: the suite against the models a team names, through its LiteLLM, scored per
 * model and skill (docs/eval.md). Progress goes to stderr, results to stdout (a table, or JSON with
 * --json), and the scoreboard is kept in SUPERVISOR_EVAL_DIR, where `status` finds the latest.
 */
import { existsSync } from 'node:fs';
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { ConfigError } from '../../common/env.js';
import { commandOptions, wholeOption } from '../command-options.js';
import { startIngestion, type RunningIngestion } from '../../ingestion/index.js';
import { HttpBrainClient, LocalBrainClient, type BrainClient } from '../brain/client.js';
import { packageRoot, supervisorConfig } from '../config.js';
import { DisciplineFiles } from '../consult/disciplines.js';
import { PANEL_SIZE } from '../consult/panel.js';
import type { Deps } from '../deps.js';
import { errorLine } from '../errors.js';
import { ChainClient } from '../llm/chain.js';
import { loadModels, servedWindows } from '../llm/models.js';
import { createLogger } from '../log.js';
import { SessionLog } from '../session/log.js';
import { EVAL_SKILLS, loadCases, type EvalCase } from './cases.js';
import { suggestChains } from './chains.js';
import { saveScoreboard } from './kept.js';
import { argumentProblems, casesFor, PANEL_SKILLS, panelLabel, runEval, type CaseResult, type Contestant } from './runner.js';
import { DEFAULT_LIMITS } from './sandbox.js';
import { scoreboard, scoreJson, scoreMarkdown, scoreTable } from './scoreboard.js';

export const EVAL_USAGE = `usage: supervisor eval [options]

Runs the consulting cases (eval/cases, and your own with --cases) against models through LiteLLM
(LITELLM_BASE_URL) and prints a scoreboard per model and skill; model-written code runs contained.

options:
  --models a,b        the models to score (default: every model in models.yaml)
  --skills a,b        only these skills (${EVAL_SKILLS.join(', ')})
  --panel a,b         also score a panel of these models on review and debug (repeatable), against
                      the best single model: pass rate and latency
  --cases DIR         also run the cases in DIR (repeatable); --no-builtin: only those
  --case TEXT         only cases whose id contains TEXT
  --repeat N          run each case N times (models that sample; default 1, at most 20)
  --concurrency N     tool calls at once (default 1: latency as one user sees it; at most 16)
  --test-timeout S    seconds a model-written test may run before it is killed (default 15)
  --brain-url URL     search this brain service (default: INGEST_BASE_URL if set, else an empty brain)
  --json              print the scoreboard as JSON on stdout instead of the table
  --report FILE       also write the markdown report to FILE
  --suggest-chains    also print the models.yaml chains the scores support, as a diff to apply
  --no-save           do not keep the scoreboard in SUPERVISOR_EVAL_DIR
  --list              list the cases and exit

exit codes: 0 the run finished (whatever the scores), 1 it could not run, 2 a bad option or setting`;

const MAX_REPEAT = 20;
const MAX_CONCURRENCY = 16;
const MAX_TEST_SECONDS = 600;

export interface EvalOutput {
  out: (text: string) => void;
  err: (text: string) => void;
  /** Whether stderr is a terminal: the progress bar redraws one line instead of printing one per case. */
  tty: boolean;
}

const defaultOutput: EvalOutput = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  tty: Boolean(process.stderr.isTTY),
};

const options = (argv: string[]) =>
  commandOptions(
    argv,
    {
      models: { type: 'string' },
      skills: { type: 'string' },
      panel: { type: 'string', multiple: true },
      cases: { type: 'string', multiple: true },
      'no-builtin': { type: 'boolean' },
      case: { type: 'string' },
      repeat: { type: 'string', default: '1' },
      concurrency: { type: 'string', default: '1' },
      'test-timeout': { type: 'string', default: String(DEFAULT_LIMITS.timeoutMs / 1000) },
      'brain-url': { type: 'string' },
      json: { type: 'boolean' },
      report: { type: 'string' },
      'suggest-chains': { type: 'boolean' },
      'no-save': { type: 'boolean' },
      list: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    EVAL_USAGE,
  );

const list = (value: string | undefined) => (value ? value.split(',').map((v) => v.trim()).filter(Boolean) : []);

/** The cases a run takes: the built-in suite and the folders given, narrowed by --skills and --case. */
async function chosenCases(values: ReturnType<typeof options>): Promise<EvalCase[]> {
  const folders = [...(values['no-builtin'] ? [] : [join(packageRoot(), 'eval', 'cases')]), ...(values.cases ?? [])];
  if (folders.length === 0) throw new ConfigError('--no-builtin leaves no cases: name a folder with --cases DIR');
  const skills = list(values.skills);
  const unknown = skills.filter((skill) => !(EVAL_SKILLS as readonly string[]).includes(skill));
  if (unknown.length > 0) throw new ConfigError(`--skills names ${unknown.join(', ')}, which ${unknown.length > 1 ? 'are' : 'is'} not among ${EVAL_SKILLS.join(', ')}`);
  const all: EvalCase[] = [];
  for (const folder of folders) {
    if (!existsSync(folder)) throw new ConfigError(`--cases ${folder}: no such folder`);
    all.push(...(await loadCases(folder)));
  }
  const ids = new Set<string>();
  for (const c of all) {
    if (ids.has(c.id)) throw new ConfigError(`two cases have the id ${c.id}: rename one folder`);
    ids.add(c.id);
  }
  return all.filter((c) => (skills.length === 0 || skills.includes(c.skill)) && (!values.case || c.id.includes(values.case)));
}

/** The `--panel` lists: 2–5 different models each, and cases of a skill that takes a panel to run them on. */
function chosenPanels(given: readonly string[], cases: readonly EvalCase[]): string[][] {
  const panels = given.map((value) => [...new Set(list(value))]);
  for (const [i, panel] of panels.entries()) {
    if (panel.length < PANEL_SIZE.min || panel.length > PANEL_SIZE.max) {
      throw new ConfigError(`--panel ${given[i]} names ${panel.length} different model(s); a panel has ${PANEL_SIZE.min}–${PANEL_SIZE.max}`);
    }
  }
  if (panels.length > 0 && !cases.some((c) => PANEL_SKILLS.has(c.skill))) {
    throw new ConfigError(`--panel runs the ${[...PANEL_SKILLS].join(' and ')} cases, and --skills / --case leave none of them`);
  }
  // The same panel twice would be run and compared twice for nothing.
  return [...new Map(panels.map((panel) => [panelLabel(panel), panel])).values()];
}

export async function runEvalCommand(argv: string[], env: Record<string, string | undefined> = process.env, output: EvalOutput = defaultOutput): Promise<number> {
  const values = options(argv);
  if (values.help) {
    output.out(`${EVAL_USAGE}\n`);
    return 0;
  }
  const cases = await chosenCases(values);
  if (values.list) {
    output.out(`${cases.map((c) => `${c.id}  ${c.title}`).join('\n')}\n`);
    return 0;
  }
  if (cases.length === 0) throw new ConfigError('no case matches --skills / --case');
  const problems = argumentProblems(cases);
  if (problems.length > 0) throw new ConfigError(problems.join('\n'));
  const repeat = wholeOption('repeat', values.repeat, MAX_REPEAT);
  const concurrency = wholeOption('concurrency', values.concurrency, MAX_CONCURRENCY);
  const limits = { ...DEFAULT_LIMITS, timeoutMs: wholeOption('test-timeout', values['test-timeout'], MAX_TEST_SECONDS) * 1000 };

  const config = supervisorConfig(env);
  const modelsConfig = await loadModels(config.modelsFile);
  const models = list(values.models).length > 0 ? list(values.models) : modelsConfig.allModels();
  const panels = chosenPanels(values.panel ?? [], cases);
  const llm = new ChainClient({ baseUrl: config.litellmBaseUrl, apiKey: config.litellmApiKey, timeoutMs: config.modelTimeoutMs });
  let served: string[];
  try {
    served = await llm.servedModels(5000);
  } catch (error) {
    output.err(`supervisor eval: LiteLLM at ${config.litellmBaseUrl} is not reachable (${errorLine(error)}); start it or set LITELLM_BASE_URL\n`);
    return 1;
  }
  const missing = [...new Set([...models, ...panels.flat()])].filter((model) => !served.includes(model));
  if (missing.length > 0) throw new ConfigError(`LiteLLM at ${config.litellmBaseUrl} does not serve ${missing.join(', ')} (it serves ${served.join(', ') || 'nothing'})`);
  modelsConfig.adoptServedWindows(await servedWindows(config.litellmBaseUrl, config.litellmApiKey));

  const disciplines = new DisciplineFiles(config.configDir);
  await disciplines.check();
  const work = await mkdtemp(join(tmpdir(), 'supervisor-eval-run-'));
  const logger = createLogger('error', pino.destination(2));
  let ingestion: RunningIngestion | null = null;
  try {
    const brainUrl = values['brain-url'] ?? config.ingestBaseUrl;
    let brain: BrainClient;
    if (brainUrl) brain = new HttpBrainClient(brainUrl, config.ingestToken);
    else {
      ingestion = await emptyBrain(work, logger);
      brain = new LocalBrainClient(ingestion.brain);
    }
    const deps: Deps = { llm, models: modelsConfig, brain, sessions: new SessionLog(join(work, 'sessions')), disciplines, projectRoots: [], logger };
    const contestants: Contestant[] = [...models.map((model) => ({ label: model })), ...panels.map((panel) => ({ label: panelLabel(panel), panel }))];
    const total = contestants.reduce((n, who) => n + casesFor(cases, who).length, 0) * repeat;
    const panelsSaid = panels.length > 0 ? ` and ${panels.length} panel(s)` : '';
    output.err(`supervisor eval: ${cases.length} case(s) × ${models.length} model(s)${panelsSaid}${repeat > 1 ? ` × ${repeat}` : ''} = ${total} call(s) through ${config.litellmBaseUrl}\n`);
    const progress = progressLine(output);
    const results = await runEval(deps, { cases, contestants, repeat, concurrency, limits, onStart: progress.start, onResult: progress.result });
    progress.end();
    const board = scoreboard(results, {
      litellm: config.litellmBaseUrl,
      repeat,
      models: contestants.map((who) => who.label),
      panels: panels.map((panel) => ({ label: panelLabel(panel), models: panel })),
    });
    output.out(values.json ? `${scoreJson(board)}\n` : `\n${scoreTable(board)}\n`);
    if (values.report) {
      await writeFile(values.report, scoreMarkdown(board));
      output.err(`report: ${values.report}\n`);
    }
    if (!values['no-save']) output.err(`kept: ${await saveScoreboard(config.evalDir, board)}\n`);
    if (values['suggest-chains']) output.out(`\n${await suggestChains(config.modelsFile, board)}`);
    return 0;
  } finally {
    await ingestion?.close();
    await rm(work, { recursive: true, force: true });
  }
}

/**
 * An empty brain of the run's own, with the suite's notes (eval/brain) when it ships any: the calls
 * search it as they search a real one.
 */
async function emptyBrain(work: string, logger: pino.Logger): Promise<RunningIngestion> {
  const brainDir = join(work, 'brain');
  const notes = join(packageRoot(), 'eval', 'brain');
  if (existsSync(notes)) await cp(notes, brainDir, { recursive: true });
  const ingestion = await startIngestion({ host: '127.0.0.1', port: 0, brainDir, token: undefined, logLevel: 'error' }, logger);
  await ingestion.loaded;
  return ingestion;
}

/** The progress bar (a terminal) or one line per case (a log). */
function progressLine(output: EvalOutput) {
  let done = 0;
  let total = 0;
  let current = '';
  const draw = () => {
    const width = 24;
    const filled = total === 0 ? 0 : Math.round((done / total) * width);
    output.err(`\r\x1b[2K[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} ${current}`.slice(0, 200));
  };
  return {
    start: (caseId: string, model: string) => {
      current = `${caseId} with ${model}`;
      if (output.tty) draw();
    },
    result: (result: CaseResult, doneNow: number, totalNow: number) => {
      done = doneNow;
      total = totalNow;
      if (output.tty) return draw();
      output.err(`[${done}/${total}] ${result.passed ? 'pass' : 'FAIL'} ${result.case} with ${result.model} (${(result.latency_ms / 1000).toFixed(1)} s)${result.passed ? '' : `: ${result.reason.split('\n')[0]}`}\n`);
    },
    end: () => {
      if (output.tty) output.err('\n');
    },
  };
}
