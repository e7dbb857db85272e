/**
 * npm run audit [-- --json]: every object in the bucket, its size, expiry, server-side encryption
 * and whether it is client-side encrypted. Exits 1 if any object is not.
 */
import { auditBucket } from '../server/audit.ts';
import { openOps } from '../server/ops.ts';

const json = process.argv.includes('--json');
const ops = await openOps();
try {
  const objects = await auditBucket(ops.client, ops.settings.bucket);
  const bad = objects.filter((o) => o.clientSideEncrypted === false);
  if (json) console.log(JSON.stringify({ bucket: ops.settings.bucket, objects, notClientSideEncrypted: bad.length }, null, 1));
  else {
    for (const o of objects) {
      const expiry = o.expiresAt ? new Date(o.expiresAt).toISOString() : 'never';
      console.log(
        `${o.clientSideEncrypted ? 'ok ' : o.clientSideEncrypted === null ? 'n/a' : 'BAD'}  ${o.key}  ${o.size} bytes  expires ${expiry}  SSE ${o.serverSideEncryption ?? 'none'}${o.problem ? `  (${o.problem})` : ''}`,
      );
    }
    console.log(`${objects.length} objects, ${bad.length} not client-side encrypted`);
  }
  process.exitCode = bad.length ? 1 : 0;
} finally {
  await ops.close();
}
