/** Documents that users copy from or rely on must match the code: the example .mcp.json, the LiteLLM config, the security limits. */
import { existsSync, readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import jsYaml from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { MAX_FIELDS } from '../common/brain-contract.js';
import { BODY_LIMIT, PUBLIC_ROUTES as INGEST_PUBLIC_ROUTES } from '../ingestion/app.js';
import { FRONTMATTER_LIMITS } from '../common/frontmatter-bounds.js';
import { MAX_NAME_BYTES, MAX_PATH_BYTES } from '../ingestion/note-names.js';
import { MAX_NOTE_READ_BYTES } from '../ingestion/note-files.js';
import { DEFAULT_MAX_CALLS, DEFAULT_MAX_SESSIONS } from '../src/config.js';
import { loadModels } from '../src/llm/models.js';
import { MCP_BODY_LIMIT, PUBLIC_ROUTES as MCP_PUBLIC_ROUTES, TOKEN_REFUSED } from '../src/mcp/http.js';
import { FILE_CAP_BYTES, MAX_NAMED_FILES, TOTAL_CAP_BYTES } from '../src/consult/attach.js';
import { LIMITS } from '../src/tools/limits.js';
import { MAX_HISTORY_ENTRIES } from '../src/consult/prompt.js';
import { SESSION_REVIEW_BYTES } from '../src/consult/session-review.js';
import { CALL_READ_BYTES } from '../src/session/call-reads.js';
import { COUNTED_BYTES, RECENT_BYTES } from '../src/session/log.js';
import { REPO } from './support/cli.js';

describe('examples and docs match the code', () => {
  it('the README shows exactly examples/mcp.json, whose entries point at the MCP endpoint and the bridge command', async () => {
    const example = await readFile('examples/mcp.json', 'utf8');
    const readme = await readFile('README.md', 'utf8');
    const block = /## Connect Claude Code[\s\S]*?```json\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(JSON.parse(block ?? 'null')).toEqual(JSON.parse(example));
    const { mcpServers } = JSON.parse(example) as { mcpServers: Record<string, { type: string; url?: string; command?: string; args?: string[] }> };
    expect(mcpServers.supervisor).toMatchObject({ type: 'http', url: 'http://127.0.0.1:3200/mcp' });
    expect(mcpServers['supervisor-bridge']).toMatchObject({ type: 'stdio', command: 'supervisor', args: ['bridge'] });
    const manifest = JSON.parse(await readFile('package.json', 'utf8')) as { bin: Record<string, string> };
    expect(manifest.bin.supervisor).toBe('dist/src/cli.js');
  });

  it('docs/litellm.md serves every model that config/models.yaml names', async () => {
    const doc = await readFile('docs/litellm.md', 'utf8');
    const yaml = /```yaml\n([\s\S]*?)```/.exec(doc)?.[1] ?? '';
    const config = jsYaml.load(yaml) as { model_list: Array<{ model_name: string }> };
    const served = config.model_list.map((m) => m.model_name).sort();
    const models = await loadModels('config/models.yaml');
    expect(served).toEqual(models.allModels().sort());
  });
});

describe('docs/security.md matches the code', () => {
  const row = (doc: string, what: string) => doc.split('\n').find((line) => line.startsWith(`| ${what}`)) ?? '';

  it('lists exactly the public routes of both services', async () => {
    const doc = await readFile('docs/security.md', 'utf8');
    const listed = [...doc.matchAll(/^\| `GET (\/\w+)` \| (both|ingestion|MCP) \|/gm)];
    const routes = (service: string) => listed.filter((m) => m[2] === service || m[2] === 'both').map((m) => m[1]).sort();
    expect(routes('MCP')).toEqual([...MCP_PUBLIC_ROUTES].sort());
    expect(routes('ingestion')).toEqual([...INGEST_PUBLIC_ROUTES].sort());
  });

  it('gives the limits the code enforces', async () => {
    const doc = await readFile('docs/security.md', 'utf8');
    expect(row(doc, 'MCP request body')).toContain(`${MCP_BODY_LIMIT / 1024 / 1024} MiB`);
    expect(row(doc, 'brain request body')).toContain(`${BODY_LIMIT / 1024 / 1024} MiB`);
    expect(row(doc, 'open MCP sessions')).toContain(`default ${DEFAULT_MAX_SESSIONS}`);
    expect(row(doc, 'tool calls in flight')).toContain(`default ${DEFAULT_MAX_CALLS}`);
    expect(row(doc, '`files`, `attachments`')).toContain(`${LIMITS.files} entries`);
    expect(LIMITS.attachments).toBe(LIMITS.files);
    expect(row(doc, '`files`, `attachments`')).toContain(`paths ${LIMITS.pathChars} characters`);
    expect(row(doc, '`spec`')).toContain(LIMITS.textChars.toLocaleString('en'));
    expect(row(doc, '`test_path`')).toContain(`${LIMITS.pathChars} / ${LIMITS.commandChars} / ${LIMITS.projectRootChars} characters`);
    expect(row(doc, '`model`')).toContain(`1–${LIMITS.modelChars} characters`);
    expect(row(doc, 'session log read by `retrospective`')).toContain(`last ${SESSION_REVIEW_BYTES / 1024} KiB`);
    expect(row(doc, 'session log read by `retrospective`')).toContain(`at most ${COUNTED_BYTES / 1024 / 1024} MiB before it`);
    expect(row(doc, 'session log read by a consulting call')).toContain(`last ${CALL_READ_BYTES / 1024} KiB once`);
    expect(row(doc, 'session log read by a consulting call')).toContain(`${MAX_HISTORY_ENTRIES} newest entries`);
    expect(row(doc, 'session log read by a consulting call')).toContain(`last ${RECENT_BYTES / 1024} KiB`);
    expect(row(doc, 'note names')).toContain(`${MAX_NAME_BYTES} bytes (UTF-8) per folder or file name, ${MAX_PATH_BYTES} bytes in all`);
    expect(row(doc, 'frontmatter')).toContain(
      `${FRONTMATTER_LIMITS.bytes / 1024} KiB of YAML, ${FRONTMATTER_LIMITS.expandedChars / 1024} KiB once aliases are expanded, ${FRONTMATTER_LIMITS.depth} levels deep`,
    );
    expect(row(doc, 'note fields')).toContain(`at most ${MAX_FIELDS} fields a write`);
    expect(row(doc, 'a note read whole')).toContain(`${MAX_NOTE_READ_BYTES / 1024 / 1024} MiB (\`MAX_NOTE_READ_BYTES\`)`);
    expect(doc).toContain(`Each file is cut at ${FILE_CAP_BYTES / 1024} KiB and a call's files at ${TOTAL_CAP_BYTES / 1024} KiB`);
    expect(doc).toContain(`at most ${MAX_NAMED_FILES} files are read per call`);
    expect(doc).toContain(TOKEN_REFUSED.replace(/^Forbidden: /, ''));
  });
});

describe('the docs name only what the repository holds', () => {
  // A path in backticks, a markdown link target, or an entry of a file map (`src/tools/index.ts   the list…`).
  const MENTION = /(?:`|\]\(|^)((?:\.\.\/)?(?:src|common|ingestion|bench|scripts|test|config|deploy|docs|examples|\.github)\/[^`)\s#]*)/gm;
  const USER_PROJECT_FILES = new Set(['src/cart.ts']);
  const docs = ['README.md', ...readdirSync(join(REPO, 'docs')).map((name) => `docs/${name}`)];

  it.each(docs)('every file or folder %s names exists', async (doc) => {
    const text = await readFile(join(REPO, doc), 'utf8');
    const named = [...text.matchAll(MENTION)]
      .map((match) => match[1]!.replace(/[.,:;]+$/, ''))
      // placeholders and patterns (`src/tools/<tool>.ts`, `knowledge/**/*.md`) name no one file, and
      // the README's first run reviews a file of the reader's own project
      .filter((path) => !/[<*{$]/.test(path) && !USER_PROJECT_FILES.has(path));
    const missing = named.filter((path) => !existsSync(path.startsWith('../') ? join(REPO, 'docs', path) : join(REPO, path)));
    expect(missing).toEqual([]);
  });
});
