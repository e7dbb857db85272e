/** Starts Cipherdrop: the embedded local S3 unless S3 is configured, then the presign server. */
// The pinned AWS SDK supports Node 20; its notice about future releases would be the only
// other URL printed at start, so it is silenced here (README "Requirements" says the same).
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

import path from 'node:path';
import { buildApp } from './app.ts';
import { ConfigError, loadConfig, partChecksum } from './config.ts';
import { type LocalS3, startLocalS3 } from './local-s3.ts';
import { loggerOptions } from './logging.ts';
import { createStorage } from './storage.ts';
import { startSweeper } from './sweeper.ts';

async function main(): Promise<void> {
  const config = loadConfig();
  let local: LocalS3 | undefined;
  let settings = config.s3;
  if (!settings) {
    local = await startLocalS3(path.join(config.dataDir, 's3'));
    settings = { ...local.settings, partChecksum: partChecksum(process.env) };
  }
  const storage = createStorage(settings, config.prefix, config.presignExpiresSeconds);
  const app = await buildApp({
    storage,
    access: config.access,
    limits: config.limits,
    edge: config.edge,
    presignExpiresSeconds: config.presignExpiresSeconds,
    staticDir: config.staticDir,
    // Production (a configured bucket) logs every request; the embedded local setup only problems.
    logger: loggerOptions(config.logLevel ?? (local ? 'warn' : 'info')),
  });
  await app.listen({ host: config.host, port: config.port });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  // The embedded store allows cross-origin requests from the page's own origins only; the port is known now.
  const loopback = ['127.0.0.1', '0.0.0.0', '::'].includes(config.host) ? [`http://127.0.0.1:${port}`, `http://localhost:${port}`] : [];
  const own = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
  await local?.setAllowedOrigins([...new Set([own, ...loopback, ...config.edge.appOrigins])]);
  const where = local ? `embedded local S3 on 127.0.0.1, data in ${path.relative(process.cwd(), config.dataDir) || '.'}` : `bucket ${settings.bucket}`;
  console.log(`Cipherdrop is running at http://${config.host}:${port}/  (storage: ${where})`);

  const stopSweeper = startSweeper(storage, (line) => console.error(line));

  const shutdown = async () => {
    stopSweeper();
    await app.close();
    await local?.stop();
    process.exit(0);
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}

main().catch((error: unknown) => {
  console.error(error instanceof ConfigError ? `Configuration error: ${error.message}` : error);
  process.exit(1);
});
