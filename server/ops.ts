/** What operator commands share: the configured store, or the embedded one on the data directory. */
import path from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { loadConfig, type S3Settings } from './config.ts';
import { startLocalS3 } from './local-s3.ts';
import { s3Client } from './s3-client.ts';
import { createStorage, type Storage } from './storage.ts';

export interface OpsContext {
  settings: S3Settings;
  storage: Storage;
  client: S3Client;
  close(): Promise<void>;
}

export async function openOps(env: NodeJS.ProcessEnv = process.env): Promise<OpsContext> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const config = loadConfig(env);
  const local = config.s3 ? null : await startLocalS3(path.join(config.dataDir, 's3'));
  const settings = config.s3 ?? (local?.settings as S3Settings);
  return {
    settings,
    storage: createStorage(settings, config.prefix, config.presignExpiresSeconds),
    client: s3Client(settings, settings.endpoint),
    close: async () => local?.stop(),
  };
}
