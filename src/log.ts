import { pino, type DestinationStream, type Logger } from 'pino';
import type { LogLevel } from '../common/env.js';

/**
 * JSON logs. Secrets are removed by configuration, not by care: whatever a future log line
 * carries, an Authorization header or an API key in it is censored.
 */
export function createLogger(level: LogLevel, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      redact: {
        paths: [
          'req.headers.authorization',
          'req.headers["proxy-authorization"]',
          'req.headers.cookie',
          // The brain's web page sets its sign-in cookie, which holds the token (docs/web.md).
          'res.headers["set-cookie"]',
          'headers.authorization',
          '*.apiKey',
          '*.token',
        ],
        censor: '[redacted]',
      },
    },
    destination,
  );
}
