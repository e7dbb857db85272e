/**
 * Runs the embedded S3-compatible server (s3rver) in its own process, so that nothing it does
 * can take the presign server down, with store-guard.ts in front of s3rver's own middleware.
 * Started by local-s3.ts; reports its port over IPC, and takes new CORS origins over IPC
 * (`{ type: 'origins', origins, seq }`, acknowledged with `{ type: 'origins-set', seq }`).
 */
import S3rver from '@20minutes/s3rver';
import { createStoreGuard, type Middleware, type S3rverStore } from './store-guard.ts';

const { LOCAL_S3_DIR, LOCAL_S3_PORT, LOCAL_S3_BUCKET = 'cipherdrop', LOCAL_S3_ORIGINS = '' } = process.env;

const options = {
  address: '127.0.0.1',
  port: Number(LOCAL_S3_PORT ?? 0),
  directory: LOCAL_S3_DIR,
  silent: true,
  // Path-style only: with virtual hosts, s3rver would take a bucket name from any Host header.
  vhostBuckets: false,
  // No CORS rule: the guard answers CORS itself, for the app's origins only.
  configureBuckets: [{ name: LOCAL_S3_BUCKET }],
};
const server = new S3rver(options);

/** S3rver extends Koa: its middleware array and store are there, just not in its typings. */
const internals = server as unknown as { middleware: Middleware[]; store: S3rverStore };
const parseOrigins = (list: string) =>
  list
    .split(',')
    .map((o) => o.trim())
    .filter(Boolean);
const guard = createStoreGuard({ bucket: LOCAL_S3_BUCKET, origins: parseOrigins(LOCAL_S3_ORIGINS) });
// First in the chain (before s3rver's logger, XML and router), so every request meets it.
internals.middleware.unshift(guard.middleware);

process.on('message', (message: { type?: unknown; origins?: unknown; seq?: unknown }) => {
  if (message?.type !== 'origins' || !Array.isArray(message.origins)) return;
  guard.setOrigins(message.origins.filter((o): o is string => typeof o === 'string' && o !== ''));
  process.send?.({ type: 'origins-set', seq: message.seq });
});

const { port } = await server.run();
process.send?.({ port });
process.on('disconnect', () => process.exit(0));
