/**
 * Runs the embedded S3-compatible server (s3rver) in its own process: a malformed
 * CompleteMultipartUpload can crash s3rver, and that must not take the presign server down.
 * Started by local-s3.ts; reports its port over IPC.
 */
import S3rver from '@20minutes/s3rver';

const { LOCAL_S3_DIR, LOCAL_S3_PORT, LOCAL_S3_BUCKET, LOCAL_S3_CORS } = process.env;

const server = new S3rver({
  address: '127.0.0.1',
  port: Number(LOCAL_S3_PORT ?? 0),
  directory: LOCAL_S3_DIR,
  silent: true,
  configureBuckets: [{ name: LOCAL_S3_BUCKET, configs: [LOCAL_S3_CORS] }],
});

const { port } = await server.run();
process.send?.({ port });
process.on('disconnect', () => process.exit(0));
