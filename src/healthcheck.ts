/**
 * The container's HEALTHCHECK: healthy when the role running in it answers /health — the MCP
 * server (SUPERVISOR_PORT) for `serve`, the ingestion service (INGEST_PORT) for `ingest`.
 */
const ports = [process.env.SUPERVISOR_PORT ?? '3200', process.env.INGEST_PORT ?? '3300'];
const checks = ports.map((port) =>
  fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(2000) }).then((response) => {
    if (!response.ok) throw new Error(`port ${port}: ${response.status}`);
  }),
);
Promise.any(checks).then(
  () => process.exit(0),
  () => process.exit(1),
);
