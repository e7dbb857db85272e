/**
 * The presign server on the real embedded store, as the Node tests use it: one temporary folder
 * (the store lives in it; a test may put its own files there too), the app built on that store,
 * listening on a loopback port or reached with `app.inject`. `build` makes another app on the same
 * bucket — a second process with the same secret, or one with other settings; `stop` closes them
 * all and removes the folder.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { type AppOptions, buildApp } from '../../server/app.ts';
import { type AccessSettings, type LimitSettings, openAccess, openLimits, type S3Settings } from '../../server/config.ts';
import { type LocalS3, startLocalS3 } from '../../server/local-s3.ts';
import { createStorage, type Storage } from '../../server/storage.ts';

/** How long presigned URLs live, unless a test says otherwise: longer than any test. */
const PRESIGN_EXPIRES_SECONDS = 600;

export interface TestServerOptions extends Partial<Omit<AppOptions, 'access' | 'limits' | 'storage'>> {
  /** the temporary folder's name starts with it */
  name?: string;
  access?: Partial<AccessSettings>;
  limits?: Partial<LimitSettings>;
  /** the store's settings a test varies: server-side encryption, part checksums */
  store?: Pick<S3Settings, 'sse' | 'partChecksum'>;
  /** listen on a loopback port (then `base` is its URL); API-only tests use `app.inject` */
  listen?: boolean;
}

export interface TestServer {
  dir: string;
  s3: LocalS3;
  storage: Storage;
  app: FastifyInstance;
  /** `http://127.0.0.1:<port>` when listening, else '' */
  base: string;
  /** another app on the same store: the same options (the same owner secret) unless overridden; `stop` closes it */
  build(overrides?: Partial<AppOptions>): Promise<FastifyInstance>;
  stop(): Promise<void>;
}

export const baseOf = (app: FastifyInstance): string => `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;

export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const { name = 'cipherdrop-', access, limits, store, listen = false, ...rest } = options;
  const presignExpiresSeconds = rest.presignExpiresSeconds ?? PRESIGN_EXPIRES_SECONDS;
  const dir = mkdtempSync(path.join(tmpdir(), name));
  const apps: FastifyInstance[] = [];
  let s3: LocalS3 | undefined;
  const stop = async () => {
    for (const app of apps) await app.close();
    await s3?.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    s3 = await startLocalS3(path.join(dir, 's3'));
    const storage = createStorage({ ...s3.settings, ...store }, 'cipherdrop/', presignExpiresSeconds);
    const appOptions: AppOptions = { ...rest, presignExpiresSeconds, storage, access: openAccess(access), limits: openLimits(limits) };
    const build = async (overrides: Partial<AppOptions> = {}) => {
      const app = await buildApp({ ...appOptions, ...overrides });
      apps.push(app);
      return app;
    };
    const app = await build();
    if (listen) await app.listen({ host: '127.0.0.1', port: 0 });
    return { dir, s3, storage, app, base: listen ? baseOf(app) : '', build, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
