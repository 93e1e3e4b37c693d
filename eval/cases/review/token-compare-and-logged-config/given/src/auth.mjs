import { bearerToken } from './headers.mjs';

/** Middleware: lets a request through when it carries the service's API token. */
export function requireToken(config) {
  return (req, res, next) => {
    const token = bearerToken(req.headers.authorization);
    if (token === null || token !== config.apiToken) {
      res.statusCode = 401;
      return res.end('unauthorized');
    }
    next();
  };
}
