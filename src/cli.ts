#!/usr/bin/env node
/**
 * supervisor's command line: `serve` runs the embedded default (the MCP server, with the ingestion
 * service in the same process unless INGEST_BASE_URL is set), `ingest` runs the ingestion service alone.
 *
 * Each command loads its modules when it runs (dynamic `import()`), and this file imports none at the
 * top: `supervisor bridge`, which Claude Code starts for every session, and `--help` must not wait for
 * fastify, SQLite, the model client and the MCP server to load.
 */
const USAGE = `usage: supervisor <command>

commands:
  serve    run the embedded default: the MCP server on SUPERVISOR_PORT (3200) and, unless
           INGEST_BASE_URL is set, the ingestion service on INGEST_PORT (3300), over one brain
  ingest   run the ingestion service alone (INGEST_PORT, INGEST_HOST, INGEST_BRAIN_DIR, INGEST_TOKEN)
  bridge   a stdio MCP server that forwards to the MCP server at SUPERVISOR_URL and attaches the
           files a call names (for clients that speak only stdio, or a server on another machine)
  init     add supervisor to a project's .mcp.json (HTTP, or the bridge with --bridge), or print the
           \`claude mcp add\` line with --print; \`supervisor init --help\` for its options
  eval     score models per consulting skill on the shipped cases (and yours), through LiteLLM;
           \`supervisor eval --help\` for its options
  fake-llm run a fake OpenAI-compatible model server on --port N or FAKE_LLM_PORT (4000) that lists
           the models of models.yaml and answers by describing the prompt it got: try every tool
           without a GPU
  doctor   check a setup: settings, LiteLLM and its models, the brain folder, tokens, a project's
           .mcp.json; one line per check, exit code 1 on a problem; \`supervisor doctor --help\`
  version  print the version (also --version, -v)`;

async function main(argv: string[]): Promise<void> {
  const command = argv[0];
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    console.log(USAGE);
    return;
  }
  if (command === '--version' || command === '-v' || command === 'version') {
    // version.js loads nothing heavy: a script may call this often.
    console.log((await import('./version.js')).VERSION);
    return;
  }
  if (command === 'doctor') {
    process.exitCode = await (await import('./doctor/command.js')).runDoctor(argv.slice(1));
    return;
  }
  if (command === 'init') {
    process.exitCode = await (await import('./init.js')).runInit(argv.slice(1));
    return;
  }
  if (command === 'fake-llm') return (await import('./dev/fake-llm-command.js')).runFakeLlm(process.env, argv.slice(1));
  if (command === 'bridge') return (await import('./bridge/main.js')).runBridge();
  if (command === 'eval') {
    process.exitCode = await (await import('./eval/command.js')).runEvalCommand(argv.slice(1));
    return;
  }
  if (command !== 'serve' && command !== 'ingest') {
    console.error(`supervisor: unknown command "${command}"\n\n${USAGE}`);
    process.exitCode = 2;
    return;
  }
  const [{ supervisorConfig }, { ingestionConfig, startIngestion }] = await Promise.all([import('./config.js'), import('../ingestion/index.js')]);
  const ingest = ingestionConfig();
  const supervisor = command === 'serve' ? supervisorConfig() : null;
  const { createLogger } = await import('./log.js');
  const logger = createLogger(supervisor?.logLevel ?? ingest.logLevel);
  // A misspelt name is otherwise ignored in silence (SUPERVISOR_TOKNE: a server with no token).
  const { unknownSettingLine, unknownSettings } = await import('../common/known-settings.js');
  for (const unknown of unknownSettings(process.env)) logger.warn({ setting: unknown.name, closest: unknown.closest }, unknownSettingLine(unknown));
  const { VERSION } = await import('./version.js');
  const service = supervisor
    ? await (await import('./serve.js')).startSupervisor(supervisor, ingest, logger)
    : await startIngestion(ingest, logger);
  const ingestion = 'loaded' in service ? service : service.ingestion;
  if (ingestion) {
    logger.info({ version: VERSION, url: ingestion.url }, 'ingestion service listening');
    // A brain that cannot be loaded (an unreadable folder) would leave the service up but never ready.
    ingestion.loaded.catch(() => process.exit(1));
  }

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    service.close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'unclean shutdown');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main(process.argv.slice(2)).catch(async (error: unknown) => {
  const { ConfigError } = await import('../common/env.js');
  const badSetting = error instanceof ConfigError;
  console.error(`supervisor: ${badSetting ? error.message : startupFailure(error)}`);
  process.exit(badSetting ? 2 : 1);
});

/** One line a person can act on, for the failures that happen at start. */
function startupFailure(error: unknown): string {
  const { code, message, port, address } = error as NodeJS.ErrnoException & { port?: number; address?: string };
  if (code === 'EADDRINUSE') {
    return `port ${port} on ${address} is already in use; stop the other process or choose another port (SUPERVISOR_PORT for the MCP server, INGEST_PORT for the ingestion service)`;
  }
  if (code === 'EADDRNOTAVAIL') return `cannot listen on ${address}: no such local address; check INGEST_HOST`;
  if (code === 'EACCES' && port !== undefined) return `not allowed to listen on port ${port}; choose a port above 1023`;
  if (code === 'EACCES' || code === 'EROFS') return `cannot create the brain folder: ${message}; check INGEST_BRAIN_DIR`;
  return message;
}
