/**
 * The one gate in front of both services: every request passes the Host/Origin check and, when a
 * token is configured, the bearer-token check, unless it was routed to one of the few routes named
 * public. The decision uses the route fastify matched (`routeOptions.url`), never the raw URL:
 * `/%6dcp` is routed to `/mcp` and so is guarded like it, and a request no route matches (a 404)
 * is guarded too, so no spelling of a path can reach a handler around the gate.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { HostCheck } from './host-guard.js';

export interface RouteGuardOptions {
  /** Route patterns, as registered, that answer without Host or token checks. */
  publicRoutes: readonly string[];
  /**
   * Route patterns that pass the Host/Origin check but check their own credentials instead of the
   * bearer token: the brain's web page, whose browser holds the token in a cookie (ingestion/web/).
   */
  ownCredentialRoutes?: readonly string[];
  checkHost: HostCheck;
  /** Null: no token configured. */
  authorized: ((authorization: string | undefined) => boolean) | null;
  /** Answers a request refused by the Host/Origin check (`reason` says why). */
  refuseHost(reply: FastifyReply, reason: string): FastifyReply;
  /** Answers a request with a missing or wrong token. */
  refuseToken(reply: FastifyReply): FastifyReply;
}

/** Adds the gate as an onRequest hook; call it before any route is added. */
export function guardRoutes(app: FastifyInstance, options: RouteGuardOptions): void {
  const open = new Set(options.publicRoutes);
  const ownCredentials = new Set(options.ownCredentialRoutes ?? []);
  app.addHook('onRequest', async (request, reply) => {
    if (isPublic(request, open)) return;
    // The Host rule depends on whether a token is required (host-guard.ts says why).
    const refused = options.checkHost(request.headers.host, request.headers.origin, options.authorized !== null);
    if (refused) return options.refuseHost(reply, refused);
    if (isPublic(request, ownCredentials)) return;
    if (options.authorized && !options.authorized(request.headers.authorization)) return options.refuseToken(reply);
  });
}

/** Whether the route fastify matched is one of `open`. */
function isPublic(request: FastifyRequest, open: ReadonlySet<string>): boolean {
  // routeOptions.url is the pattern fastify routed to; it is unset for requests no route matched.
  const route = request.is404 ? undefined : request.routeOptions.url;
  return route !== undefined && open.has(route);
}
