/**
 * The brain's web page (docs/web.md): served by the ingestion service at `/` and under `/web/`,
 * plain server-made HTML with forms and no script. Registered as its own fastify plugin, so its
 * form parser, its headers and its error pages apply to its routes only: the API (/write, /query …)
 * still takes JSON alone and answers JSON.
 */
import type { FastifyError, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { SESSION_ID_PATTERN } from '../../common/consultation-contract.js';
import { NotALogFile } from '../../common/session-log/files.js';
import type { Brain, Note } from '../brain.js';
import { BrainError } from '../errors.js';
import { parseNote } from '../frontmatter.js';
import { BadNoteName } from '../note-names.js';
import { PAGE_HEADERS, setCookie, TOKEN_COOKIE, WebAuth } from './auth.js';
import { csrfField, html, href, page, type Html, type PageFrame } from './html.js';
import { marksOf, savedBy } from './marks.js';
import { goneBody, listingBody, noteBody, searchBody, type NoteView } from './notes-view.js';
import { sessionBody, sessionsBody, type SessionRow } from './sessions-view.js';
import { SignInLimit } from './sign-in-limit.js';
import type { SessionsSource, WebSources } from './sources.js';
import { statusBody } from './status-view.js';
import { STYLE_SHEET } from './style.js';

/** The page's routes: they pass the service's Host/Origin check, then check the sign-in cookie themselves. */
export const WEB_ROUTES = ['/', '/web/style.css', '/web/signin', '/web/signout', '/web/note', '/web/sessions', '/web/session', '/web/status'] as const;
/** Routes that answer before a sign-in: the form itself and its style. */
const OPEN = new Set<string>(['/web/style.css', '/web/signin']);

/** Notes on one page of the listing: a page never grows with the brain. */
export const NOTES_PAGE = 50;
/** Hits a search shows (the most POST /query gives). */
const SEARCH_HITS = 50;
/** Sessions on one page of that listing. */
const SESSIONS_PAGE = 25;
/** What is read of each log for the sessions listing: its start (the first task) and its end. */
const SESSION_HEAD_BYTES = 16 * 1024;
const SESSION_TAIL_BYTES = 64 * 1024;
/** What is read of one session's log for its page: its end. */
const SESSION_PAGE_BYTES = 1024 * 1024;

export interface WebOptions {
  brain: Brain;
  token?: string | undefined;
  /** The session logs the service keeps, and what else this process has to show. */
  sources: WebSources & { sessions: SessionsSource };
  /** The largest form accepted: an edited note (at most a write's size) percent-encoded. */
  formLimit: number;
}

/** No route of the page is in the OpenAPI document: it documents the API. */
const HIDDEN = { schema: { hide: true } };

export function webPage({ brain, token, sources, formLimit }: WebOptions): FastifyPluginAsync {
  return async (app) => {
    const auth = new WebAuth(token);
    const signInLimit = new SignInLimit();

    // Forms only here: the API keeps refusing any body but JSON (a cross-site form cannot write a note).
    app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: formLimit }, (_request, body, done) => {
      done(null, Object.fromEntries(new URLSearchParams(body as string)));
    });

    app.addHook('onSend', async (_request, reply) => {
      reply.headers(PAGE_HEADERS);
    });

    app.addHook('onRequest', async (request, reply) => {
      const route = request.routeOptions.url ?? '';
      if (OPEN.has(route) || auth.signedIn(request)) return;
      if (request.method === 'GET') return reply.redirect('/web/signin', 303);
      return send(request, reply, { title: 'Sign in first', section: 'signin', body: html`<p class="notice">Sign in first: <a href="/web/signin">sign in</a>.</p>` }, 401);
    });

    /** Sends a whole page. */
    const send = (request: FastifyRequest, reply: FastifyReply, frame: Omit<PageFrame, 'csrf' | 'signedIn'>, status = 200) => {
      const csrf = auth.csrfFor(request, reply);
      const signedIn = auth.required && auth.signedIn(request);
      return reply.code(status).type('text/html; charset=utf-8').send(page({ ...frame, csrf, signedIn }));
    };

    /** The sign-in form, with why the last try failed. */
    const signInPage = (request: FastifyRequest, reply: FastifyReply, problem: string | null = null, status = 200) =>
      send(request, reply, { title: 'Sign in', section: 'signin', body: signInForm(auth.csrfFor(request, reply), problem) }, status);

    /** A note's page: the marks and the frontmatter's problem are read here, the rest is the caller's. */
    const notePage = async (
      request: FastifyRequest,
      reply: FastifyReply,
      note: Note,
      shown: Pick<NoteView, 'notice' | 'draft'>,
      status = 200,
    ) => {
      const by = await savedBy(brain.knowledgeDir, note.path);
      const body = noteBody({ note, by, problem: parseNote(note.text).problem, csrf: auth.csrfFor(request, reply), ...shown });
      return send(request, reply, { title: note.title, section: 'notes', body }, status);
    };

    /** A POST's form, after the origin and CSRF checks; null when refused (the answer is sent). */
    const form = (request: FastifyRequest, reply: FastifyReply): Record<string, string> | null => {
      const fields = (request.body && typeof request.body === 'object' ? request.body : {}) as Record<string, unknown>;
      const refused = auth.refuseWrite(request, fields.csrf);
      if (refused) {
        void send(request, reply, { title: 'Not done', section: 'signin', body: backToNotes(`Refused: ${refused}.`) }, 403);
        return null;
      }
      return Object.fromEntries(Object.entries(fields).filter((pair): pair is [string, string] => typeof pair[1] === 'string'));
    };

    app.setErrorHandler((error: FastifyError | BrainError, request, reply) => {
      const ours = error instanceof BrainError;
      // fastify's own client errors (a form too large, say) keep their status; any other failure is a 500.
      const status = ours ? error.status : error instanceof BadNoteName ? 400 : Math.min(error.statusCode || 500, 500);
      // A BrainError is told as it is; anything else unexpected is logged, and the page names its request id only.
      if (status >= 500 && !ours) request.log.error({ err: error }, 'web page failed');
      const message = status === 500 && !ours ? `internal error; the service log has the details under request id ${request.id}` : error.message;
      if (ours && status === 503) reply.header('retry-after', '1');
      const title = status === 404 ? 'Not found' : 'Cannot show this';
      return send(request, reply, { title, section: 'notes', body: backToNotes(message) }, status);
    });

    app.get('/web/style.css', HIDDEN, async (_request, reply) => reply.type('text/css; charset=utf-8').send(STYLE_SHEET));

    app.get('/web/signin', HIDDEN, async (request, reply) => {
      if (!auth.required || auth.signedIn(request)) return reply.redirect('/', 303);
      return signInPage(request, reply);
    });

    app.post('/web/signin', HIDDEN, async (request, reply) => {
      const fields = form(request, reply);
      if (!fields) return reply;
      if (!auth.required) return reply.redirect('/', 303);
      // The connection's peer, not X-Forwarded-For, which a guesser could write anew on each try
      // (behind a proxy, all its clients share one count).
      const address = request.socket.remoteAddress ?? '';
      const wait = signInLimit.retryAfter(address);
      if (wait > 0) {
        // Refused before the token is compared: a guess made now tells nothing.
        reply.header('retry-after', String(wait));
        const text = `Too many failed sign-ins from your address: ${signInLimit.rule} are allowed. Try again in ${wait} s.`;
        const body = html`<p class="notice" role="alert">${text}</p><p><a href="/web/signin">The sign-in form</a></p>`;
        return send(request, reply, { title: 'Sign in', section: 'signin', body }, 429);
      }
      if (!auth.matches(fields.token)) {
        signInLimit.failed(address);
        return signInPage(request, reply, 'That is not the token this service was started with (INGEST_TOKEN).', 401);
      }
      setCookie(request, reply, TOKEN_COOKIE, fields.token ?? '');
      return reply.redirect('/', 303);
    });

    app.post('/web/signout', HIDDEN, async (request, reply) => {
      if (!form(request, reply)) return reply;
      setCookie(request, reply, TOKEN_COOKIE, '', { clear: true });
      return reply.redirect(auth.required ? '/web/signin' : '/', 303);
    });

    app.get('/', HIDDEN, async (request, reply) => {
      const q = param(request, 'q', 10_000).trim();
      const prefix = param(request, 'prefix', 1024);
      const after = param(request, 'after', 1024);
      if (q) {
        const hits = await brain.search({ query: q, limit: SEARCH_HITS });
        const marks = await marksOf(brain.knowledgeDir, hits.map((hit) => hit.path));
        return send(request, reply, { title: 'Search', section: 'notes', body: searchBody(q, prefix, hits, marks) });
      }
      const listing = await brain.list({ prefix: prefix || undefined, after: after || undefined, limit: NOTES_PAGE });
      const marks = await marksOf(brain.knowledgeDir, listing.notes.map((note) => note.path));
      const body = listingBody({ prefix, notes: listing.notes, next: listing.next, later: after !== '', total: brain.noteCount(), marks });
      return send(request, reply, { title: 'Notes', section: 'notes', body });
    });

    app.get('/web/note', HIDDEN, async (request, reply) => {
      const note = await brain.read(param(request, 'path', 2048));
      return notePage(request, reply, note, { notice: param(request, 'saved', 10) === '1' ? { kind: 'ok', text: 'Saved.' } : undefined });
    });

    app.post('/web/note', HIDDEN, async (request, reply) => {
      const fields = form(request, reply);
      if (!fields) return reply;
      const path = fields.path ?? '';
      // A browser sends a textarea's line ends as CRLF; notes are written with \n.
      const draft = (fields.content ?? '').replace(/\r\n?/g, '\n');
      const expected = fields.sha256 || undefined;
      try {
        const result = await brain.write({ filename: path, mode: 'overwrite', content: draft, ...(expected ? { expected_sha256: expected } : {}) });
        return reply.redirect(href('/web/note', { path: result.path, saved: 1 }), 303);
      } catch (error) {
        if (!(error instanceof BrainError)) throw error;
        // Refused: nothing was changed; the page shows the note as it is now and keeps the user's text.
        const current = await brain.read(path).catch((readError: unknown) => {
          if (readError instanceof BrainError && readError.status === 404) return null;
          throw readError;
        });
        if (!current) {
          const body = goneBody(path, draft, auth.csrfFor(request, reply));
          return send(request, reply, { title: path, section: 'notes', body }, error.status);
        }
        const text =
          error.status === 409 && 'sha256' in error.details
            ? 'This note was changed since you opened it (by another writer, or on disk). Nothing was saved: the current version is shown, and your text is kept in the form below.'
            : `Not saved: ${error.message}. Your text is kept in the form below.`;
        return notePage(request, reply, current, { notice: { kind: 'notice', text }, draft }, error.status);
      }
    });

    app.get('/web/sessions', HIDDEN, async (request, reply) => {
      const sessions = sources.sessions;
      const after = param(request, 'after', 300);
      const listing = await sessions.list({ after: after || undefined, limit: SESSIONS_PAGE }).catch((error: Error) => {
        throw /cursor/i.test(error.message) ? new BrainError(error.message, 400) : error;
      });
      const rows = await Promise.all(
        listing.sessions.map(async (summary): Promise<SessionRow> => {
          // A name taken by no regular file (listed by name past the listing's stat bound) is a row without calls.
          const [head, tail] = await Promise.all([sessions.head(summary.id, SESSION_HEAD_BYTES), sessions.tail(summary.id, SESSION_TAIL_BYTES)]).catch((error: unknown) => {
            if (error instanceof NotALogFile) return [[], { entries: [], earlier: 0, earlierExact: true }] as const;
            throw error;
          });
          const skills = [...new Set([...head, ...tail.entries].map((call) => call.skill))];
          return { ...summary, first: head[0] ?? tail.entries[0] ?? null, skills, calls: head.length };
        }),
      );
      return send(request, reply, { title: 'Sessions', section: 'sessions', body: sessionsBody(rows, listing.order, listing.next, after !== '', sessions.dir) });
    });

    app.get('/web/session', HIDDEN, async (request, reply) => {
      const sessions = sources.sessions;
      const id = param(request, 'id', 200);
      if (!SESSION_ID_PATTERN.test(id)) throw new BrainError(`no session "${id.slice(0, 40)}": a session id is 1–128 letters, digits, - or _`, 400);
      const { entries, earlier, earlierExact } = await sessions.tail(id, SESSION_PAGE_BYTES).catch((error: unknown) => {
        throw error instanceof NotALogFile ? new BrainError(error.message, 409) : error;
      });
      if (entries.length === 0 && earlier === 0) throw new BrainError(`no session ${id} in ${sessions.dir}`, 404);
      return send(request, reply, { title: `Session ${id}`, section: 'sessions', body: sessionBody(id, entries, earlier, earlierExact) });
    });

    app.get('/web/status', HIDDEN, async (request, reply) => {
      const scoreboard = sources.scoreboard ? await sources.scoreboard() : undefined;
      const body = statusBody({ malformed: brain.malformed.list(100), malformedTotal: brain.malformed.total, scoreboard });
      return send(request, reply, { title: 'Problems & scores', section: 'status', body });
    });
  };
}

/** A query parameter as one string ('' when absent or repeated); longer than `max` is refused. */
function param(request: FastifyRequest, name: string, max: number): string {
  const value = (request.query as Record<string, unknown>)[name];
  if (typeof value !== 'string') return '';
  if (value.length > max) throw new BrainError(`${name} is longer than ${max} characters`, 400);
  return value;
}

/** A refusal or failure, and the way back. */
function backToNotes(message: string): Html {
  return html`<p class="notice">${message}</p><p><a href="/">Back to the notes</a></p>`;
}

function signInForm(csrf: string, problem: string | null): Html {
  return html`${problem ? html`<p class="notice" role="alert">${problem}</p>` : ''}
<p>This brain service asks for its token (INGEST_TOKEN). It is kept in a cookie this page's scripts cannot read — the page has none — and that no other site can make your browser send.</p>
<form method="post" action="/web/signin" class="signin">
${csrfField(csrf)}
<label>Token <input type="password" name="token" autocomplete="current-password" required autofocus></label>
<button type="submit">Sign in</button>
</form>`;
}
