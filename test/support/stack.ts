/**
 * The whole product on loopback, as the e2e tests use it: the real embedded S3 (s3rver in its
 * child process), the real presign server serving the built page, and a recording proxy in
 * front of each, so every byte the browser sends is on record.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { buildApp } from '../../server/app.ts';
import { type AccessSettings, openAccess } from '../../server/config.ts';
import { type LocalS3, startLocalS3 } from '../../server/local-s3.ts';
import { createStorage, s3Client } from '../../server/storage.ts';
import { type RecordingProxy, startRecordingProxy } from './recording-proxy.ts';

export const PREFIX = 'cipherdrop/';
export const ABUSE_CONTACT = 'mailto:abuse@cipherdrop.test';

export interface Stack {
  appUrl: string;
  s3Url: string;
  bucket: string;
  /** a client talking to the store directly, for reading and tampering with stored objects */
  s3: S3Client;
  local: LocalS3;
  /** reads a stored object straight from the store */
  getObject(id: string, role: 'data' | 'meta'): Promise<Buffer>;
  /** overwrites a stored object, as a hostile storage provider could */
  putObject(id: string, role: 'data' | 'meta', bytes: Uint8Array): Promise<void>;
  appProxy: RecordingProxy;
  s3Proxy: RecordingProxy;
  stop(): Promise<void>;
}

export async function startStack(access: AccessSettings = openAccess({ abuseContact: ABUSE_CONTACT })): Promise<Stack> {
  const dir = mkdtempSync(path.join(tmpdir(), 'cipherdrop-e2e-'));
  const local = await startLocalS3(path.join(dir, 's3'));
  const s3Proxy = await startRecordingProxy(local.settings.endpoint as string);
  const storage = createStorage({ ...local.settings, publicEndpoint: s3Proxy.url }, PREFIX, 3600);
  const app = await buildApp({ access, storage, presignExpiresSeconds: 3600, staticDir: path.resolve('dist') });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const appPort = (app.server.address() as { port: number }).port;
  const appProxy = await startRecordingProxy(`http://127.0.0.1:${appPort}`);
  const s3 = s3Client(local.settings, local.settings.endpoint);
  const bucket = local.settings.bucket;
  return {
    async getObject(id, role) {
      const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: `${PREFIX}${id}/${role}` }));
      return Buffer.from(await (out.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray());
    },
    async putObject(id, role, bytes) {
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: `${PREFIX}${id}/${role}`, Body: bytes }));
    },
    appUrl: appProxy.url,
    s3Url: s3Proxy.url,
    bucket,
    s3,
    local,
    appProxy,
    s3Proxy,
    async stop() {
      await appProxy.close();
      await s3Proxy.close();
      await app.close();
      await local.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
