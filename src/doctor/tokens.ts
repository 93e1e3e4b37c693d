/**
 * The token check: a service listening beyond loopback without a token lets anyone who reaches its
 * port call the tools or write notes; a short token is guessable. Tokens are measured, never shown.
 */
import { isIP } from 'node:net';
import { WEAK_TOKEN_LENGTH } from '../../common/env.js';
import type { IngestionConfig } from '../../ingestion/index.js';
import type { SupervisorConfig } from '../config.js';
import { ok, problem, warn, type Finding } from './findings.js';

/** Whether only this machine can reach an address: 127.0.0.0/8, ::1, localhost. */
function isLoopback(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (bare === 'localhost' || bare === '::1') return true;
  const v4 = bare.startsWith('::ffff:') ? bare.slice('::ffff:'.length) : bare;
  return isIP(v4) === 4 && v4.startsWith('127.');
}

interface Listener {
  what: string;
  hostSetting: string;
  host: string;
  tokenSetting: string;
  token: string | undefined;
}

export function checkTokens(supervisor: SupervisorConfig, ingestion: IngestionConfig): Finding[] {
  const listeners: Listener[] = [
    { what: 'the MCP server', hostSetting: 'SUPERVISOR_HOST', host: supervisor.host, tokenSetting: 'SUPERVISOR_TOKEN', token: supervisor.token },
    { what: 'the ingestion service', hostSetting: 'INGEST_HOST', host: ingestion.host, tokenSetting: 'INGEST_TOKEN', token: ingestion.token },
  ];
  return listeners.map(({ what, hostSetting, host, tokenSetting, token }) => {
    if (token && token.length < WEAK_TOKEN_LENGTH) {
      return warn(`${tokenSetting} is shorter than ${WEAK_TOKEN_LENGTH} characters: use a long random one (openssl rand -hex 32)`);
    }
    if (token) return ok(`${what} requires ${tokenSetting}`);
    if (isLoopback(host)) return ok(`${what} listens on ${host} (${hostSetting}), this machine only: no token needed`);
    return problem(`${what} listens beyond loopback (${hostSetting}=${host}) without a token: anyone who reaches it can use it; set ${tokenSetting} (openssl rand -hex 32), or listen on 127.0.0.1`);
  });
}
