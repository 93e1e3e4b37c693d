/**
 * What `npm run conformance` expects of each server scenario of the official MCP conformance suite, for
 * each of the two lines of the suite it runs (LINES below):
 *
 * - `0.1`: the suite 0.1.16 (pinned in scripts/conformance/pinned/), the 2025 era (initialize,
 *   Mcp-Session-Id sessions), at the suite's own wire version, 2025-11-25.
 * - `0.2`: the suite 0.2.0-alpha.12 (pinned in scripts/conformance/pinned-0.2/), run at the 2026-07-28
 *   revision (`--spec-version 2026-07-28`: stateless, `server/discover`, the `_meta` envelope on every
 *   request, `subscriptions/listen`).
 *
 * Every scenario a line's suite lists (`conformance list --server`) must appear in exactly one of that
 * line's three lists: a scenario a newer suite adds stops the run until it is placed, so a bump of a pin
 * never silently runs less.
 *
 * When a feature lands, move its scenario from the known failures to the must-pass list (a known
 * failure that starts passing fails the run, as the suite's own `--expected-failures` baseline does, so
 * the list cannot go stale). docs/conformance.md shows the same tables; test/conformance-list.test.ts
 * keeps the 0.1.16 one in step with MUST_PASS, KNOWN_FAILURES and NOT_APPLICABLE.
 */

export type Expectation =
  | {
      kind: 'must-pass';
      /** Checks of the scenario that cannot apply to this server, and why: their outcome is not counted. */
      checksNotApplicable?: Readonly<Record<string, string>>;
    }
  | { kind: 'known-failure'; why: string }
  | { kind: 'not-applicable'; why: string };

export interface ScenarioLists {
  /** Scenarios that must pass: one failing fails `npm run conformance`, and CI. */
  mustPass: readonly string[];
  /** Scenarios that apply to this server but fail today, and why. */
  knownFailures: Readonly<Record<string, string>>;
  /** Scenarios that do not apply, and why: not run (`npm run conformance -- NAME` runs one anyway, for information). */
  notApplicable: Readonly<Record<string, string>>;
  /** For some must-pass scenarios, checks that need what this server does not have (a reference fixture), and why. */
  checksNotApplicable?: Readonly<Record<string, Readonly<Record<string, string>>>>;
  /** Scenarios run at another spec version than the line's, and which (the suite's `--spec-version`). */
  specVersions?: Readonly<Record<string, string>>;
}

export interface Line {
  /** What `--line` names it by. */
  id: '0.1' | '0.2';
  /** The folder under scripts/conformance/ that pins this line's suite and its Node. */
  pinned: string;
  /** The spec version the scenarios run at (`--spec-version`); null: the suite's own default. */
  specVersion: string | null;
  /** The wire the scenarios speak, for the reader: the era and revision. */
  wire: string;
  lists: ScenarioLists;
}

// ---------------------------------------------------------------------------------------------------
// The 0.1 line: the suite 0.1.16, the 2025 era.

/** 0.1.16: generic scenarios that must pass. */
export const MUST_PASS: readonly string[] = [
  'server-initialize',
  'ping',
  'logging-set-level',
  'tools-list',
  'server-sse-multiple-streams',
  'dns-rebinding-protection',
  'resources-list',
  'prompts-list',
];

/** 0.1.16: generic scenarios that apply to this server but fail today, and why. */
export const KNOWN_FAILURES: Readonly<Record<string, string>> = {};

/**
 * 0.1.16: scenarios that do not apply, and why: each calls a fixture of the suite's reference
 * ("everything") server by name — a `test_*` tool or prompt, a `test://` resource — which a real server
 * does not have and this one must not fake. They are not run (`npm run conformance -- NAME` runs one
 * anyway, for information).
 */
export const NOT_APPLICABLE: Readonly<Record<string, string>> = {
  'completion-complete': 'completes argument `arg1` of the reference prompt `test_prompt_with_arguments`',
  'tools-call-simple-text': 'calls the reference tool `test_simple_text`',
  'tools-call-image': 'calls the reference tool `test_image_content`',
  'tools-call-audio': 'calls the reference tool `test_audio_content`',
  'tools-call-embedded-resource': 'calls the reference tool `test_embedded_resource`',
  'tools-call-mixed-content': 'calls the reference tool `test_multiple_content_types`',
  'tools-call-with-logging': 'calls the reference tool `test_tool_with_logging`',
  'tools-call-error': 'calls the reference tool `test_error_handling`',
  'tools-call-with-progress': 'calls the reference tool `test_tool_with_progress`',
  'tools-call-sampling': 'calls the reference tool `test_sampling`',
  'tools-call-elicitation': 'calls the reference tool `test_elicitation`',
  'elicitation-sep1034-defaults': 'calls the reference tool `test_elicitation_sep1034_defaults`',
  'elicitation-sep1330-enums': 'calls the reference tool `test_elicitation_sep1330_enums`',
  'json-schema-2020-12': 'looks for the reference tool `json_schema_2020_12_tool` in tools/list',
  'server-sse-polling': 'calls the reference tool `test_reconnection`',
  'resources-read-text': 'reads the reference resource `test://static-text`',
  'resources-read-binary': 'reads the reference resource `test://static-binary`',
  'resources-templates-read': 'reads the reference template resource `test://template/123/data`',
  'resources-subscribe': 'subscribes to the reference resource `test://watched-resource`',
  'resources-unsubscribe': 'subscribes to and unsubscribes from the reference resource `test://watched-resource`',
  'prompts-get-simple': 'gets the reference prompt `test_simple_prompt`',
  'prompts-get-with-args': 'gets the reference prompt `test_prompt_with_arguments`',
  'prompts-get-embedded-resource': 'gets the reference prompt `test_prompt_with_embedded_resource`',
  'prompts-get-with-image': 'gets the reference prompt `test_prompt_with_image`',
};

// ---------------------------------------------------------------------------------------------------
// The 0.2 line: the suite 0.2.0-alpha.12 at the 2026-07-28 revision.

/** The 0.1 line's reasons for the reference fixtures that the 0.2 line still has. */
function fixturesOf(...names: string[]): Record<string, string> {
  return Object.fromEntries(
    names.map((name) => {
      const why = NOT_APPLICABLE[name];
      if (!why) throw new Error(`${name} is not a reference fixture of the 0.1 line`);
      return [name, why];
    }),
  );
}

/** Why a scenario the 2026-07-28 revision removed does not run in the 0.2 line. */
const REMOVED_IN_2026 = 'not in the 2026-07-28 revision (the suite skips it there)';
const TASKS = 'the tasks extension (SEP-2663), which this server does not offer; calls the reference tools';
const SKILLS = 'the skills extension (SEP-2640), which this server does not declare (every check is skipped)';
const INPUT_REQUIRED = 'a server asking the client for input mid-request (SEP-2322 InputRequiredResult), which this server never does; calls the reference';

/** 0.2: scenarios that must pass. */
export const MUST_PASS_0_2: readonly string[] = [
  'server-stateless',
  'tools-list',
  'server-sse-multiple-streams',
  'resources-list',
  'prompts-list',
  'dns-rebinding-protection',
  'sep-2164-resource-not-found',
  'caching',
  'http-header-validation',
  'input-required-result-unsupported-methods',
  'server-session-lifecycle',
];

/** 0.2: scenarios that apply to this server but fail today, and why. */
export const KNOWN_FAILURES_0_2: Readonly<Record<string, string>> = {};

/** 0.2: scenarios that do not apply, and why (not run; `npm run conformance -- --line 0.2 NAME` runs one anyway, for information). */
export const NOT_APPLICABLE_0_2: Readonly<Record<string, string>> = {
  // The reference server's fixtures, as in the 0.1 line.
  ...fixturesOf('completion-complete', 'tools-call-simple-text', 'tools-call-image', 'tools-call-audio', 'tools-call-embedded-resource', 'tools-call-mixed-content', 'tools-call-error', 'tools-call-with-progress', 'json-schema-2020-12', 'resources-read-text', 'resources-read-binary', 'resources-templates-read', 'prompts-get-simple', 'prompts-get-with-args', 'prompts-get-embedded-resource', 'prompts-get-with-image'),
  'http-custom-header-server-validation': 'needs a tool whose input schema marks a parameter `x-mcp-header` (SEP-2243 custom Mcp-Param headers); none of ours does',
  // Removed in 2026-07-28: the 0.1 line runs those that apply, at 2025-11-25.
  'server-initialize': `${REMOVED_IN_2026}; the 0.1 line runs it`,
  ping: `${REMOVED_IN_2026}; the 0.1 line runs it`,
  'logging-set-level': `${REMOVED_IN_2026}; the 0.1 line runs it`,
  'tools-call-with-logging': `${REMOVED_IN_2026}; calls the reference tool \`test_tool_with_logging\``,
  'tools-call-sampling': `${REMOVED_IN_2026}; calls the reference tool \`test_sampling\``,
  'tools-call-elicitation': `${REMOVED_IN_2026}; calls the reference tool \`test_elicitation\``,
  'elicitation-sep1034-defaults': `${REMOVED_IN_2026}; calls the reference tool \`test_elicitation_sep1034_defaults\``,
  'elicitation-sep1330-enums': `${REMOVED_IN_2026}; calls the reference tool \`test_elicitation_sep1330_enums\``,
  'server-sse-polling': `${REMOVED_IN_2026}; calls the reference tool \`test_reconnection\``,
  'resources-subscribe': `${REMOVED_IN_2026}; subscribes to the reference resource \`test://watched-resource\``,
  'resources-unsubscribe': `${REMOVED_IN_2026}; unsubscribes from the reference resource \`test://watched-resource\``,
  // Extensions this server does not offer.
  'sep-2640-skills-directory': SKILLS,
  'sep-2640-skills-enumeration': SKILLS,
  'sep-2640-skills-manifest': SKILLS,
  'tasks-lifecycle': `${TASKS} \`greet\`, \`slow_compute\`, \`failing_job\`, \`protocol_error_job\``,
  'tasks-capability-negotiation': `${TASKS} \`slow_compute\` (and wants the extension advertised)`,
  'tasks-wire-fields': `${TASKS} \`slow_compute\``,
  'tasks-request-state-removal': `${TASKS} \`slow_compute\``,
  'tasks-mrtr-input': `${TASKS} \`confirm_delete\`, \`multi_input\``,
  'tasks-request-headers': `${TASKS} \`greet\`, \`slow_compute\``,
  'tasks-dispatch-and-envelope': `${TASKS} \`greet\`, \`slow_compute\`, \`failing_job\` (and wants tasks/get answered)`,
  'tasks-status-notifications': `the tasks extension (SEP-2663), which this server does not offer; the suite skips it today (its harness awaits a rewrite)`,
  'tasks-required-task-error': `${TASKS} \`failing_job\``,
  'tasks-mrtr-composition': `${TASKS} \`test_tool_with_task\``,
  // Multi-round-trip requests (SEP-2322): tools and a prompt that ask the client for input.
  'input-required-result-basic-elicitation': `${INPUT_REQUIRED} tool \`test_input_required_result_elicitation\``,
  'input-required-result-basic-sampling': `${INPUT_REQUIRED} tool \`test_input_required_result_sampling\``,
  'input-required-result-basic-list-roots': `${INPUT_REQUIRED} tool \`test_input_required_result_list_roots\``,
  'input-required-result-request-state': `${INPUT_REQUIRED} tool \`test_input_required_result_request_state\``,
  'input-required-result-multiple-input-requests': `${INPUT_REQUIRED} tool \`test_input_required_result_multiple_inputs\``,
  'input-required-result-multi-round': `${INPUT_REQUIRED} tool \`test_input_required_result_multi_round\``,
  'input-required-result-missing-input-response': `${INPUT_REQUIRED} tool \`test_input_required_result_elicitation\``,
  'input-required-result-non-tool-request': `${INPUT_REQUIRED} prompt \`test_input_required_result_prompt\``,
  'input-required-result-result-type': `${INPUT_REQUIRED} tool \`test_input_required_result_elicitation\``,
  'input-required-result-tampered-state': `${INPUT_REQUIRED} tool \`test_input_required_result_tampered_state\``,
  'input-required-result-capability-check': `${INPUT_REQUIRED} tool \`test_input_required_result_capabilities\``,
  'input-required-result-ignore-extra-params': `${INPUT_REQUIRED} tool \`test_input_required_result_elicitation\``,
  'input-required-result-validate-input': `${INPUT_REQUIRED} tool \`test_input_required_result_elicitation\` (it "passes" against any server: the tool-not-found error is what it hopes for)`,
};

/** 0.2: checks of must-pass scenarios that need a reference fixture, and why; the scenario's other checks must all pass. */
export const CHECKS_NOT_APPLICABLE_0_2: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  'server-stateless': {
    'sep-2575-server-rejects-undeclared-capability': 'calls the reference tool `test_missing_capability` (a tool that needs the client’s `sampling`); none of ours needs a client capability',
    'sep-2575-missing-capability-http-400': 'calls the reference tool `test_missing_capability`, as above',
    'sep-2575-http-server-no-independent-requests-on-stream': 'calls the reference tool `test_streaming_elicitation`; this server never sends the client a request',
    'sep-2575-server-no-log-without-loglevel': 'calls the reference tool `test_logging_tool`; test/modern-era.test.ts checks it with our own tools (a notice only on a request that set a log level)',
  },
};

/** 0.2: scenarios run at another spec version than 2026-07-28. */
export const SPEC_VERSIONS_0_2: Readonly<Record<string, string>> = {
  // New in the 0.2 line, for the 2025 era (DELETE of a session, then 404 for it), which no 0.1.16
  // scenario covers: run at 2025-11-25, the era of this server's sessions leg.
  'server-session-lifecycle': '2025-11-25',
};

const LINE_0_1: Line = {
  id: '0.1',
  pinned: 'pinned',
  specVersion: null,
  wire: 'the 2025 era (initialize, Mcp-Session-Id sessions)',
  lists: { mustPass: MUST_PASS, knownFailures: KNOWN_FAILURES, notApplicable: NOT_APPLICABLE },
};

export const LINES: readonly Line[] = [
  LINE_0_1,
  {
    id: '0.2',
    pinned: 'pinned-0.2',
    specVersion: '2026-07-28',
    wire: 'the 2026-07-28 revision (stateless: server/discover, _meta on every request)',
    lists: {
      mustPass: MUST_PASS_0_2,
      knownFailures: KNOWN_FAILURES_0_2,
      notApplicable: NOT_APPLICABLE_0_2,
      checksNotApplicable: CHECKS_NOT_APPLICABLE_0_2,
      specVersions: SPEC_VERSIONS_0_2,
    },
  },
];

/** What is expected of a scenario in a line (the 0.1 line when none is given); undefined for one in none of the lists. */
export function expectationOf(scenario: string, lists: ScenarioLists = LINE_0_1.lists): Expectation | undefined {
  if (lists.mustPass.includes(scenario)) {
    const checks = lists.checksNotApplicable?.[scenario];
    return checks ? { kind: 'must-pass', checksNotApplicable: checks } : { kind: 'must-pass' };
  }
  const failing = lists.knownFailures[scenario];
  if (failing !== undefined) return { kind: 'known-failure', why: failing };
  const skipped = lists.notApplicable[scenario];
  if (skipped !== undefined) return { kind: 'not-applicable', why: skipped };
  return undefined;
}

/** The spec version a scenario runs at in a line: its own, else the line's; null for the suite's default. */
export function specVersionOf(scenario: string, line: Line): string | null {
  return line.lists.specVersions?.[scenario] ?? line.specVersion;
}

/**
 * The ways a line's lists and its suite's own list disagree: a scenario the suite has that no list
 * places, a listed name the suite does not have (a typo, or a scenario a newer suite dropped), a name
 * placed in more than one list, and per-check exceptions or spec versions for a scenario that is not a
 * must-pass one. Empty when they agree.
 */
export function listProblems(suiteScenarios: readonly string[], lists: ScenarioLists = LINE_0_1.lists): string[] {
  const listed = [...lists.mustPass, ...Object.keys(lists.knownFailures), ...Object.keys(lists.notApplicable)];
  const problems: string[] = [];
  for (const name of suiteScenarios) if (!listed.includes(name)) problems.push(`the suite's scenario ${name} is in none of the lists`);
  for (const name of new Set(listed)) {
    if (!suiteScenarios.includes(name)) problems.push(`${name} is listed but the suite has no such scenario`);
    if (listed.filter((other) => other === name).length > 1) problems.push(`${name} is in more than one list`);
  }
  for (const name of Object.keys(lists.checksNotApplicable ?? {})) {
    if (!lists.mustPass.includes(name)) problems.push(`${name} has checks marked not applicable but is not a must-pass scenario`);
  }
  for (const name of Object.keys(lists.specVersions ?? {})) {
    if (!listed.includes(name) || Object.keys(lists.notApplicable).includes(name)) problems.push(`${name} has its own spec version but is not run`);
  }
  return problems;
}
