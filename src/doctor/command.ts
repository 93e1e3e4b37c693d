/**
 * `supervisor doctor`: checks a setup before the first call fails — the settings, LiteLLM and the
 * models it serves, the chains against Claude Code's tool timeout, the brain folder (in team mode the
 * brain service), the tokens and a project's .mcp.json — one line per finding, each problem with what to do (docs/doctor.md).
 */
import { resolve } from 'node:path';
import type { Env } from '../../common/env.js';
import { commandOptions, wholeOption } from '../command-options.js';
import { VERSION } from '../version.js';
import { checkBrain } from './brain.js';
import { checkBrainService } from './brain-service.js';
import { checkModelsFile, checkToolTimeout } from './chains.js';
import { findingLine, summaryLine, type Finding } from './findings.js';
import { checkLiteLlm } from './litellm.js';
import { checkMcpJson } from './mcp-json.js';
import { checkSettings } from './settings.js';
import { checkTokens } from './tokens.js';

const DOCTOR_USAGE = `usage: supervisor doctor [options]

Checks this machine's setup and prints one line per check: ok, warn, or PROBLEM with what to do.
It reads the same settings as \`supervisor serve\` (run it with the environment the server gets).

options:
  --project DIR       check DIR/.mcp.json (default: the current folder's)
  --no-answers        do not ask each model for a short answer (LiteLLM's list is still checked)
  --answer-seconds S  how long each model may take for its short answer (default 30, at most 600)

exit codes: 0 no problem (warnings allowed), 1 a problem was found, 2 a bad option`;

const DEFAULT_ANSWER_SECONDS = 30;
const MAX_ANSWER_SECONDS = 600;

export interface DoctorOutput {
  out: (text: string) => void;
}

const defaultOutput: DoctorOutput = { out: (text) => process.stdout.write(text) };

const options = (argv: string[]) =>
  commandOptions(
    argv,
    {
      project: { type: 'string' },
      'no-answers': { type: 'boolean' },
      'answer-seconds': { type: 'string', default: String(DEFAULT_ANSWER_SECONDS) },
      help: { type: 'boolean', short: 'h' },
    },
    DOCTOR_USAGE,
  );

/** Runs every check, printing each finding as it comes; the exit code: 0 no problem, 1 a problem. A bad option throws ConfigError (exit 2). */
export async function runDoctor(argv: string[], env: Env = process.env, output: DoctorOutput = defaultOutput, cwd = process.cwd()): Promise<number> {
  const values = options(argv);
  if (values.help) {
    output.out(`${DOCTOR_USAGE}\n`);
    return 0;
  }
  const answerTimeoutMs = wholeOption('answer-seconds', values['answer-seconds'], MAX_ANSWER_SECONDS) * 1000;
  const findings: Finding[] = [];
  const report = (found: Finding[]) => {
    findings.push(...found);
    for (const finding of found) output.out(`${findingLine(finding)}\n`);
  };
  output.out(`supervisor doctor ${VERSION}\n`);

  const settings = checkSettings(env);
  report(settings.findings);
  const { supervisor, ingestion } = settings;
  const { models, findings: modelFindings } = await checkModelsFile(supervisor);
  report(modelFindings);
  report(await checkLiteLlm(supervisor, models, { timeAnswers: !values['no-answers'], answerTimeoutMs }));
  report(checkToolTimeout(supervisor, models, env));
  if (supervisor.ingestBaseUrl) {
    report(await checkBrainService(supervisor.ingestBaseUrl, supervisor.ingestToken));
  } else {
    const brainSetting = env.SUPERVISOR_BRAIN_DIR ? 'SUPERVISOR_BRAIN_DIR' : 'INGEST_BRAIN_DIR';
    report(await checkBrain({ brainDir: supervisor.brainDir, setting: brainSetting }));
  }
  report(checkTokens(supervisor, ingestion));
  report(await checkMcpJson({ projectDir: resolve(cwd, values.project ?? '.'), named: values.project !== undefined }, env));

  output.out(`${summaryLine(findings)}\n`);
  return findings.some((finding) => finding.verdict === 'problem') ? 1 : 0;
}
