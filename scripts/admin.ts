/**
 * npm run admin -- delete <id>   remove a file's objects (abuse handling)
 * npm run admin -- sweep         delete expired files now
 */
import { isFileId } from '../server/ids.ts';
import { openOps } from '../server/ops.ts';
import { sweep } from '../server/sweeper.ts';

const [command, id] = process.argv.slice(2);
const usage = 'Usage: npm run admin -- delete <id> | sweep';
if (command !== 'sweep' && !(command === 'delete' && id && isFileId(id))) {
  console.error(usage);
  process.exit(2);
}
const ops = await openOps();
try {
  if (command === 'delete') {
    await Promise.all([ops.storage.remove(id, 'data'), ops.storage.remove(id, 'meta')]);
    console.log(`deleted ${id}`);
  } else {
    const { expired, orphaned, aborted } = await sweep(ops.storage);
    console.log(`deleted ${expired.length} expired file(s)${expired.length ? `: ${expired.join(' ')}` : ''}`);
    if (orphaned.length) console.log(`removed what ${orphaned.length} abandoned upload(s) left: ${orphaned.join(' ')}`);
    if (aborted.length) console.log(`aborted ${aborted.length} abandoned multipart upload(s): ${aborted.join(' ')}`);
  }
} finally {
  await ops.close();
}
