/**
 * npm run setup [-- --apply] [-- --json]: prints what the bucket needs for Cipherdrop (CORS for the
 * page's origin, default encryption, lifecycle, public access block, a policy enforcing the
 * configured server-side encryption and TLS) and, with --apply, applies it. Idempotent.
 * The page's origin comes from APP_ORIGIN (comma-separated; default http://127.0.0.1:$PORT).
 */
import { loadConfig } from '../server/config.ts';
import { openOps } from '../server/ops.ts';
import { applySetup, planSetup } from '../server/setup.ts';

const apply = process.argv.includes('--apply');
const json = process.argv.includes('--json');
const config = loadConfig();
const origins = (process.env.APP_ORIGIN ?? `http://127.0.0.1:${config.port}`).split(',').map((o) => o.trim());
for (const origin of origins) {
  if (!/^https?:\/\/[^/\s]+$/.test(origin)) throw new Error(`APP_ORIGIN: "${origin}" is not an origin (scheme://host[:port])`);
}
const ops = await openOps();
try {
  const { settings } = ops;
  const endpoint = settings.endpoint ?? 'https://s3.amazonaws.com';
  const options = {
    bucket: settings.bucket,
    prefix: config.prefix,
    origins,
    sse: settings.sse ?? { mode: 'none' as const },
    tls: endpoint.startsWith('https:'),
  };
  const planned = await planSetup(ops.client, options);
  const steps = apply ? await applySetup(planned) : planned;
  if (json)
    console.log(JSON.stringify({ bucket: settings.bucket, applied: apply, steps: steps.map(({ name, state, detail }) => ({ name, state, detail })) }, null, 1));
  else {
    console.log(`Bucket ${settings.bucket} at ${endpoint}${apply ? '' : ' (plan only; --apply to change it)'}`);
    for (const s of steps) console.log(`  ${s.state === 'ok' ? 'ok         ' : s.state === 'change' ? 'WILL CHANGE' : 'unsupported'}  ${s.name}: ${s.detail}`);
  }
} finally {
  await ops.close();
}
