/**
 * A JSON body nested deeper than anything real is refused before it is parsed: recursive code
 * downstream (a schema check, a serializer) would otherwise run out of stack on it and answer an
 * internal error, or worse. One pass over the text, strings skipped; no parse, no recursion.
 */
import type { FastifyInstance } from 'fastify';

/** How deep a request body may nest: MCP messages and tool arguments use under 15 levels. */
export const MAX_JSON_DEPTH = 64;

/** Whether `text` (JSON) opens more than `max` arrays or objects inside one another. */
export function nestsDeeperThan(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: the next character is escaped
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > max) return true;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return false;
}

/** fastify's own JSON parser (prototype-poisoning checks included), behind the depth check. */
export function boundJsonDepth(app: FastifyInstance, max = MAX_JSON_DEPTH): void {
  const parse = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if (nestsDeeperThan(body as string, max)) {
      done(Object.assign(new Error(`the request body nests deeper than ${max} levels of arrays and objects, the most this server takes`), { statusCode: 400 }), undefined);
      return;
    }
    parse(request, body as string, done);
  });
}
