/**
 * Every setting the programs read, and the misspelt ones: an environment variable with one of our
 * prefixes that is no setting is most likely a typo (`SUPERVISOR_TOKNE` starts a server with no
 * token, silently), so `serve`, `ingest`, the bridge and `doctor` name it with the closest real one.
 * Only names are ever reported, never values: a misspelt token is still a secret.
 *
 * test/known-settings.test.ts scans the sources for names with these prefixes: a setting read
 * anywhere and missing here fails it.
 */

/** The prefixes whose names are ours: a name with one of them that is not listed below is reported. */
export const SETTING_PREFIXES = ['SUPERVISOR_', 'INGEST_', 'BRIDGE_', 'LITELLM_', 'FAKE_LLM_'] as const;

export const KNOWN_SETTINGS: readonly string[] = [
  // The MCP server (src/config.ts)
  'SUPERVISOR_HOST',
  'SUPERVISOR_PORT',
  'SUPERVISOR_TOKEN',
  'SUPERVISOR_ALLOWED_HOSTS',
  'SUPERVISOR_CONFIG_DIR',
  'SUPERVISOR_MODELS_FILE',
  'SUPERVISOR_MODEL_TIMEOUT_SECONDS',
  'SUPERVISOR_BRAIN_DIR',
  'SUPERVISOR_SESSIONS_DIR',
  'SUPERVISOR_EVAL_DIR',
  'SUPERVISOR_SESSION_IDLE_MINUTES',
  'SUPERVISOR_MAX_SESSIONS',
  'SUPERVISOR_MAX_CALLS',
  'SUPERVISOR_SHUTDOWN_SECONDS',
  'SUPERVISOR_PROJECT_ROOTS',
  'LITELLM_BASE_URL',
  'LITELLM_API_KEY',
  // The bridge (src/config.ts bridgeConfig)
  'SUPERVISOR_URL',
  'BRIDGE_FILE_CAP_KB',
  'BRIDGE_TOTAL_CAP_KB',
  'BRIDGE_PROJECT_ROOTS',
  'BRIDGE_CONNECT_SECONDS',
  // The ingestion service (ingestion/config.ts), and the MCP server's way to a separate one
  'INGEST_BASE_URL',
  'INGEST_HOST',
  'INGEST_PORT',
  'INGEST_BRAIN_DIR',
  'INGEST_SESSIONS_DIR',
  'INGEST_NEW_SESSIONS_PER_MINUTE',
  'INGEST_TOKEN',
  'INGEST_ALLOWED_HOSTS',
  'INGEST_RESCAN_SECONDS',
  // The fake model server (src/dev/fake-llm-command.ts)
  'FAKE_LLM_PORT',
  // The test run's built index worker (ingestion/index-thread.ts): set by vitest.config.ts, never by a user.
  'SUPERVISOR_TEST_BUILT_INDEX_WORKER',
];

/**
 * Names other programs put into a process's environment, which are not typos of ours: supervisord
 * (the process manager, a common way to keep a server up) sets these for every program it runs.
 */
const FOREIGN_NAMES = new Set(['SUPERVISOR_ENABLED', 'SUPERVISOR_SERVER_URL', 'SUPERVISOR_PROCESS_NAME', 'SUPERVISOR_GROUP_NAME', 'SUPERVISOR_SUPERVISORCTL_URL']);

/**
 * Kubernetes gives every pod variables for each Service of its namespace (`enableServiceLinks`):
 * a Service named `supervisor-mcp` or `litellm` yields `SUPERVISOR_MCP_SERVICE_HOST`,
 * `LITELLM_PORT=tcp://…`, `LITELLM_PORT_4000_TCP_ADDR` and so on. They are not typos.
 */
function isServiceLink(name: string, value: string | undefined): boolean {
  if (/_SERVICE_(HOST|PORT)(_[A-Z0-9_]+)?$/.test(name)) return true;
  if (/_PORT_\d+_(TCP|UDP|SCTP)(_(PROTO|PORT|ADDR))?$/.test(name)) return true;
  return /_PORT$/.test(name) && /^(tcp|udp|sctp):\/\//.test(value ?? '');
}

export interface UnknownSetting {
  /** The name as set in the environment. */
  name: string;
  /** The real setting it most likely meant. */
  closest: string;
}

/** The variables of `env` with one of our prefixes that no program reads, each with the closest real name. */
export function unknownSettings(env: Record<string, string | undefined>): UnknownSetting[] {
  const known = new Set(KNOWN_SETTINGS);
  return Object.keys(env)
    .filter((name) => SETTING_PREFIXES.some((prefix) => name.toUpperCase().startsWith(prefix)))
    .filter((name) => !known.has(name) && !FOREIGN_NAMES.has(name) && !isServiceLink(name, env[name]))
    .sort()
    .map((name) => ({ name, closest: closestSetting(name) }));
}

/** The one line `serve`, `ingest`, the bridge and `doctor` say about a misspelt name (never its value). */
export function unknownSettingLine({ name, closest }: UnknownSetting): string {
  return `${name} is not a setting supervisor reads (ignored): did you mean ${closest}?`;
}

/**
 * The real setting `name` most likely meant. Edit distance alone gets typos (`SUPERVISOR_TOKNE`:
 * one swap from SUPERVISOR_TOKEN) but not a word left out: `SUPERVISOR_ROOTS` is three edits from
 * SUPERVISOR_HOST and eight from SUPERVISOR_PROJECT_ROOTS, `INGEST_DIR` nearer INGEST_PORT than
 * INGEST_BRAIN_DIR. So names are first compared by the words they share (each word allowing one
 * typo), then by edit distance (which alone picks LITELLM_BASE_URL for `LITELLM_URL` too).
 */
export function closestSetting(name: string): string {
  const wanted = name.toUpperCase();
  let best = KNOWN_SETTINGS[0] as string;
  let bestShared = -1;
  let bestDistance = Infinity;
  for (const candidate of KNOWN_SETTINGS) {
    const shared = sharedWords(wanted, candidate);
    const distance = editDistance(wanted, candidate);
    if (shared > bestShared || (shared === bestShared && distance < bestDistance)) {
      best = candidate;
      bestShared = shared;
      bestDistance = distance;
    }
  }
  return best;
}

/** How many of `a`'s words (split at `_`) match a word of `b`, exactly or — words of four letters or more — with one typo. */
function sharedWords(a: string, b: string): number {
  const theirs = b.split('_').filter(Boolean);
  let shared = 0;
  for (const word of a.split('_').filter(Boolean)) {
    const match = theirs.findIndex((other) => other === word || (word.length >= 4 && other.length >= 4 && editDistance(word, other) <= 1));
    if (match === -1) continue;
    shared += 1;
    theirs.splice(match, 1);
  }
  return shared;
}

/** Edit distance counting a swap of two neighbouring letters as one edit (the commonest typo), as well as an insertion, deletion or change. */
export function editDistance(a: string, b: string): number {
  const rows = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  const at = (i: number, j: number) => rows[i]?.[j] ?? Infinity;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const change = a[i - 1] === b[j - 1] ? 0 : 1;
      let cost = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + change);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) cost = Math.min(cost, at(i - 2, j - 2) + 1);
      (rows[i] as number[])[j] = cost;
    }
  }
  return at(a.length, b.length);
}
