/**
 * The six consulting tools (tdd_red, tdd_green, tdd_refactor, review, debug, spec) share their
 * machinery here: the arguments every one takes (project_root first, the code, model, session_id),
 * how its own arguments become labelled task fields, which files it reads, the consultation and its
 * session entry. Each tool's file declares only what is its own.
 */
import { z } from 'zod';
import type { CallContext } from '../consult/consultation.js';
import { runConsultation } from '../consult/consultation.js';
import { logged } from '../consult/session-entry.js';
import { tddCycleWarning } from '../consult/tdd-cycle.js';
import { readOnceForCall } from '../session/call-reads.js';
import { previousAdviceOutcome } from '../consult/advice-outcome.js';
import { panelModels } from '../consult/panel.js';
import type { Deps } from '../deps.js';
import { collectAttachments } from '../consult/attach.js';
import type { Task, TaskField } from '../consult/prompt.js';
import { codeArgs, commonArgs, projectRoot } from './arguments.js';
import { closingLine } from '../../common/closing-line.js';
import type { ConsultationResult } from '../../common/consultation-contract.js';
import { defineTool, type FileArgument, type Input, type Tool, type ToolAnswer } from './define.js';

// Minimal on purpose: every schema is sent to every Claude Code user's context with tools/list. The
// result also carries duration_ms, attempts, knowledge, phase, brain, cut (and files) (docs/mcp.md).
export const consultationOutput = z.object({ text: z.string(), model: z.string(), session_id: z.string() }).loose();

const sharedArgs = { ...codeArgs, ...commonArgs };
/** What the shared machinery reads: the shared arguments by type, a tool's own ones by name. */
type ConsultingShape = z.ZodRawShape & { project_root: typeof projectRoot } & typeof sharedArgs;

export interface ConsultingSpec<Own extends z.ZodRawShape> {
  /** The MCP tool name. */
  name: string;
  title: string;
  /** models.yaml key (`skills.<family>.chain`) and session log `skill`. */
  family: string;
  phase: string;
  /** Discipline file in SUPERVISOR_CONFIG_DIR, without .md. */
  discipline: 'tdd' | 'review' | 'debug' | 'spec';
  description: string;
  /** The tool's own arguments, between project_root and the shared ones. */
  input: Own;
  /** Labels of the arguments the model reads, in reading order (`cut.fields` names them by argument). */
  fields: Partial<Record<keyof Own & string, string>>;
  /** Arguments that name files (relative to project_root) to attach. */
  fileArguments?: ReadonlyArray<FileArgument<Own>>;
  /** The argument naming a file to save the answer to (the bridge writes it). */
  outputFile?: keyof Own & string;
}

export function consultingTool<Own extends z.ZodRawShape>(spec: ConsultingSpec<Own>): Tool {
  const input: ConsultingShape = { project_root: projectRoot, ...spec.input, ...sharedArgs };
  return defineTool({
    name: spec.name,
    title: spec.title,
    description: spec.description,
    kind: 'consult',
    family: spec.family,
    session: 'start',
    input,
    output: consultationOutput,
    fileArguments: spec.fileArguments,
    outputFile: spec.outputFile,
    run: async (args, { deps, call }) => consultationAnswer(await consult(deps, spec, args, call)),
  });
}

/** A consulting tool's call: arguments → task and files → consultation → session entry. */
async function consult<Own extends z.ZodRawShape>(sharedDeps: Deps, spec: ConsultingSpec<Own>, args: Input<ConsultingShape>, context: CallContext) {
  // The TDD order, the advice outcome and the history read the session's newest entries once.
  const deps: Deps = { ...sharedDeps, sessions: readOnceForCall(sharedDeps.sessions, context.sessionId) };
  const own: Record<string, unknown> = args;
  const projectRoot = args.project_root;
  // Refused before anything is read or logged: a panel that cannot be asked is the caller's to fix.
  const panel = own.panel === true || Array.isArray(own.panel) ? panelModels(deps, spec.name, spec.family, own.panel as true | string[], args.model) : undefined;
  const [attached, phaseWarning, adviceOutcome] = await Promise.all([
    collectAttachments({
      given: args.attachments ?? [],
      named: (spec.fileArguments ?? []).flatMap((name) => own[name] ?? []).filter((path): path is string => typeof path === 'string'),
      projectRoot,
      readableRoots: deps.projectRoots,
    }),
    tddCycleWarning(deps, spec.name, context.sessionId),
    previousAdviceOutcome(deps, context.sessionId, own.test_output),
  ]);
  if (adviceOutcome) deps.advice?.record(adviceOutcome);
  // Said at once (the answer may take minutes) and again in the result.
  if (phaseWarning) context.notice?.(phaseWarning);
  const fields = present(own, spec.fields);
  const task: Task = { phase: spec.phase, projectRoot, fields, attachments: attached.attachments };
  // The call's own words find knowledge; its code mostly does not (const, return, names) and only
  // makes every query prompt-length and slow, so attachments count by their paths alone.
  const searchText = [...fields.map(([, value]) => value), ...attached.attachments.map((a) => a.path)].join('\n');
  const call = { skill: spec.name, phase: spec.phase, projectRoot, sessionId: context.sessionId, arguments: own, adviceOutcome };
  return logged(deps, call, async () => ({
    ...(await runConsultation(deps, { tool: spec.name, family: spec.family, phase: spec.phase, discipline: spec.discipline, searchText, task, model: args.model, panel }, context)),
    files: attached.report,
    ...(phaseWarning ? { phase_warning: phaseWarning } : {}),
    ...(context.sessionStarted ? { session_started: true as const } : {}),
    ...(adviceOutcome ? { advice_outcome: adviceOutcome } : {}),
  }));
}

/** Labelled fields for the arguments that are set, named by argument (as `cut.fields` reports them). */
function present(args: Record<string, unknown>, labels: Partial<Record<string, string>>): TaskField[] {
  return Object.entries(labels).flatMap(([key, label]): TaskField[] => {
    const value = args[key];
    if (label === undefined || value === undefined || value === null || value === '') return [];
    return [[label, Array.isArray(value) ? value.join(', ') : String(value), { name: key }]];
  });
}

/**
 * A consultation as the tool's answer: the model's text, closed by a line saying what the agent must
 * know of how it was made (closing-line.ts), in the text and not only in structuredContent; a session
 * log that could not be written is said beside it.
 */
export function consultationAnswer(result: ConsultationResult): ToolAnswer {
  const closing = closingLine(result);
  return {
    text: closing ? `${result.text}\n\n${closing}` : result.text,
    structured: { ...result },
    model: result.model,
    attempts: result.attempts,
    notes: result.session_log ? [`Session log ${result.session_log}: this call is missing from the session's history.`] : [],
  };
}
