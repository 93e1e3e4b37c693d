/**
 * What `npm run conformance` expects of each server scenario of the official MCP conformance suite
 * (the version pinned in scripts/conformance/pinned/package.json). Every scenario the suite lists must
 * appear in exactly one of the three lists below: a scenario the suite adds in a newer version stops
 * the run until it is placed, so a bump of the pin never silently runs less.
 *
 * When a feature lands, move its scenario from KNOWN_FAILURES to MUST_PASS (a known failure that
 * starts passing fails the run, as the suite's own `--expected-failures` baseline does, so the list
 * cannot go stale). docs/conformance.md shows the same table; test/conformance-list.test.ts keeps the
 * two in step.
 */

/** Generic scenarios that must pass: one failing fails `npm run conformance`, and CI. */
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

/** Generic scenarios that apply to this server but fail today, and why. */
export const KNOWN_FAILURES: Readonly<Record<string, string>> = {};

/**
 * Scenarios that do not apply, and why: each calls a fixture of the suite's reference ("everything")
 * server by name — a `test_*` tool or prompt, a `test://` resource — which a real server does not have
 * and this one must not fake. They are not run (`npm run conformance -- NAME` runs one anyway, for
 * information: a few "pass" against any server, as the tool-not-found error they get is text too).
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

export type Expectation = { kind: 'must-pass' } | { kind: 'known-failure'; why: string } | { kind: 'not-applicable'; why: string };

/** What is expected of a scenario; undefined for one in none of the lists. */
export function expectationOf(scenario: string): Expectation | undefined {
  if (MUST_PASS.includes(scenario)) return { kind: 'must-pass' };
  const failing = KNOWN_FAILURES[scenario];
  if (failing !== undefined) return { kind: 'known-failure', why: failing };
  const skipped = NOT_APPLICABLE[scenario];
  if (skipped !== undefined) return { kind: 'not-applicable', why: skipped };
  return undefined;
}

/**
 * The ways the lists and the suite's own list disagree: a scenario the suite has that no list places,
 * a listed name the suite does not have (a typo, or a scenario a newer suite dropped), and a name
 * placed in more than one list. Empty when they agree.
 */
export function listProblems(suiteScenarios: readonly string[]): string[] {
  const listed = [...MUST_PASS, ...Object.keys(KNOWN_FAILURES), ...Object.keys(NOT_APPLICABLE)];
  const problems: string[] = [];
  for (const name of suiteScenarios) if (!listed.includes(name)) problems.push(`the suite's scenario ${name} is in none of the lists`);
  for (const name of new Set(listed)) {
    if (!suiteScenarios.includes(name)) problems.push(`${name} is listed but the suite has no such scenario`);
    if (listed.filter((other) => other === name).length > 1) problems.push(`${name} is in more than one list`);
  }
  return problems;
}
