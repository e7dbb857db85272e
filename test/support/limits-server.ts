/**
 * One server process for the Redis limit test: the real app (limits read from the environment
 * as in production, REDIS_URL included) over a stub store, on a free loopback port, which it
 * prints as `{"port":N}`. Logs (warnings) go to stderr.
 */
import { buildApp } from '../../server/app.ts';
import { limitSettings, openAccess } from '../../server/config.ts';
import { loggerOptions } from '../../server/logging.ts';
import { stubStorage } from './limits.ts';

const app = await buildApp({
  storage: stubStorage(),
  access: openAccess(),
  limits: limitSettings(process.env),
  presignExpiresSeconds: 60,
  logger: loggerOptions('warn', process.stderr),
});
await app.listen({ host: '127.0.0.1', port: 0 });
console.log(JSON.stringify({ port: (app.server.address() as { port: number }).port }));
