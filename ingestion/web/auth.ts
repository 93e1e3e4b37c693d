/**
 * Who may use the web page, and the checks on every change it makes.
 *
 * - Sign-in: with INGEST_TOKEN configured, the visitor types the token once; it is kept in a cookie
 *   that scripts cannot read (HttpOnly), that no other site's page makes the browser send
 *   (SameSite=Strict), Secure when the page is served over https. It is compared in constant time,
 *   and never put in a URL (the sign-in is a POST) or a log. Without a token (loopback) no sign-in.
 * - CSRF: every POST carries a hidden field that only this server can compute — an HMAC, under a
 *   key made at start, of a random per-browser value kept in a second HttpOnly cookie — and must come
 *   from this very origin (Origin names the Host it is sent to, port included). Cookies are not told
 *   apart by port, so a page of another local server (127.0.0.1:8080) counts as same-site: the
 *   origin check and the HMAC, which that page cannot compute, are what turn it away.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';

export const TOKEN_COOKIE = 'brain_token';
const CSRF_COOKIE = 'brain_csrf';

/** The request's cookies by name (values URI-decoded; a malformed one is left out). */
function cookiesOf(request: FastifyRequest): Map<string, string> {
  const cookies = new Map<string, string>();
  for (const part of (request.headers.cookie ?? '').split(';')) {
    const at = part.indexOf('=');
    if (at < 0) continue;
    const name = part.slice(0, at).trim();
    try {
      if (!cookies.has(name)) cookies.set(name, decodeURIComponent(part.slice(at + 1).trim()));
    } catch {
      // A value that is not valid percent-encoding is no value of ours.
    }
  }
  return cookies;
}

/**
 * Sets a cookie: HttpOnly and SameSite=Strict always, Secure when the page is served over https
 * (directly, or behind a proxy that says so). Fastify adds each Set-Cookie header to those already set.
 */
export function setCookie(request: FastifyRequest, reply: FastifyReply, name: string, value: string, { clear = false } = {}): void {
  const parts = [`${name}=${clear ? '' : encodeURIComponent(value)}`, 'Path=/', 'HttpOnly', 'SameSite=Strict'];
  if (request.protocol === 'https' || request.headers['x-forwarded-proto'] === 'https') parts.push('Secure');
  if (clear) parts.push('Max-Age=0');
  reply.header('set-cookie', parts.join('; '));
}

export class WebAuth {
  private readonly expected: Buffer | null;
  /** Made at start: forms of an earlier run of the service no longer pass (the page says to reload). */
  private readonly csrfKey = randomBytes(32);
  /** The value given to a request that came without one: every form of its page gets the same. */
  private readonly given = new WeakMap<FastifyRequest, string>();

  constructor(token: string | undefined) {
    this.expected = token ? digest(token) : null;
  }

  /** Whether a sign-in is asked for at all (a token is configured). */
  get required(): boolean {
    return this.expected !== null;
  }

  /** Whether `given` is the token: both hashed first, so the time taken says nothing of it. */
  matches(given: string | undefined): boolean {
    if (!this.expected) return true;
    return timingSafeEqual(digest(given ?? ''), this.expected) && given !== undefined;
  }

  signedIn(request: FastifyRequest): boolean {
    return !this.required || this.matches(cookiesOf(request).get(TOKEN_COOKIE));
  }

  /**
   * The browser's CSRF value: from its cookie, or a new one (sent with the page as a cookie) when it
   * has none. Answers the hidden field's value for the page's forms.
   */
  csrfFor(request: FastifyRequest, reply: FastifyReply): string {
    let nonce = this.given.get(request) ?? cookiesOf(request).get(CSRF_COOKIE);
    if (!nonce || !/^[0-9a-f]{64}$/.test(nonce)) {
      nonce = randomBytes(32).toString('hex');
      this.given.set(request, nonce);
      setCookie(request, reply, CSRF_COOKIE, nonce);
    }
    return this.sign(nonce);
  }

  /** Why a POST is refused (not from this origin, or without this browser's CSRF value), or null. */
  refuseWrite(request: FastifyRequest, field: unknown): string | null {
    const origin = request.headers.origin ?? request.headers.referer;
    if (!origin) return 'the request says nothing of the page it came from (no Origin header)';
    let from: string;
    try {
      from = new URL(origin).host;
    } catch {
      return 'the request came from an unknown page';
    }
    if (from !== request.headers.host) return 'the request came from another site';
    const nonce = cookiesOf(request).get(CSRF_COOKIE);
    if (!nonce || typeof field !== 'string' || !sameText(field, this.sign(nonce))) {
      return 'the form has expired or did not come from this page: reload the page and try again';
    }
    return null;
  }

  private sign(nonce: string): string {
    return createHmac('sha256', this.csrfKey).update(nonce).digest('hex');
  }
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

function sameText(a: string, b: string): boolean {
  return timingSafeEqual(digest(a), digest(b));
}

/**
 * The headers of every page: no script may run at all (there is none), nothing is loaded from
 * elsewhere, no site may frame the page, and a note read once is not kept in a shared cache.
 */
export const PAGE_HEADERS = {
  'content-security-policy':
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  // same-origin, not no-referrer: under no-referrer a browser sends `Origin: null` with the page's own
  // form posts, and the origin check needs the real one.
  'referrer-policy': 'same-origin',
  'cache-control': 'no-store',
} as const;
