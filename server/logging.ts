/**
 * Structured logs: one JSON line per event (pino, through Fastify), never a secret. Requests are
 * logged by method, path without the query string, status and time; headers and bodies are not
 * logged at all, so bearer tokens, owner tokens and presigned signatures cannot appear. Keys and
 * link secrets never reach this server in the first place.
 */
import type { FastifyServerOptions } from 'fastify';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

interface LoggedRequest {
  method: string;
  ip?: string;
  /** Fastify's request: the route's pattern, when one matched */
  routeOptions?: { url?: string };
}

export function loggerOptions(level: LogLevel, stream?: NodeJS.WritableStream): FastifyServerOptions['logger'] {
  return {
    level,
    ...(stream ? { stream } : {}),
    serializers: {
      // The route's pattern (`/api/files/:id`), never the raw path: a path may hold anything a
      // user pasted, a link secret behind a percent-encoded `#` included.
      req: (req: LoggedRequest) => ({ method: req.method, route: req.routeOptions?.url ?? '(no route)', ip: req.ip }),
      res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
    },
    // Belt and braces: should anything ever log these, they are replaced.
    redact: { paths: ['req.headers', 'headers.authorization', '*.ownerToken', 'body'], censor: '[redacted]' },
  };
}
