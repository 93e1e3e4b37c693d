/**
 * The brain check in team mode (INGEST_BASE_URL set): the notes and the session logs are the
 * ingestion service's, not a local folder's, so doctor asks the service what the MCP server will ask
 * it — it answers, takes our token, and has the session-log API a replica writes every call to.
 */
import { BrainRefused, BrainTokenRefused, HttpBrainClient } from '../brain/client.js';
import { RemoteSessionLog } from '../session/remote.js';
import { VERSION } from '../version.js';
import { ok, problem, type Finding } from './findings.js';

/** Longer than the server's own 2 s: doctor reports a slow service as slow, not as down. */
const TIMEOUT_MS = 5000;

export async function checkBrainService(baseUrl: string, token: string | undefined): Promise<Finding[]> {
  const brain = new HttpBrainClient(baseUrl, token, TIMEOUT_MS);
  let notes: number;
  try {
    notes = await brain.count();
  } catch (error) {
    if (error instanceof BrainTokenRefused) return [problem(error.message)];
    return [problem(`${(error as Error).message}: start it, or fix INGEST_BASE_URL (the brain is the ingestion service's in team mode; no local folder is used)`)];
  }
  const findings = [ok(`${brain.where} answers and takes our token: ${notes} note(s)`)];
  try {
    await new RemoteSessionLog(brain, TIMEOUT_MS).list({ limit: 1 });
    findings.push(ok(`${brain.where} keeps the session logs (GET /sessions answers)`));
  } catch (error) {
    findings.push(
      error instanceof BrainRefused && error.status === 404
        ? problem(`${brain.where} has no session-log API (GET /sessions answered 404): update it to this version (${VERSION}): until then no call's session log is written`)
        : problem(`${brain.where} cannot list the session logs: ${(error as Error).message}`),
    );
  }
  return findings;
}
