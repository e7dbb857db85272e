/**
 * npm run admin -- delete <id>   remove a file's objects (abuse handling)
 * npm run admin -- sweep         delete expired files now
 */
import { isFileId } from '../server/ids.ts';
import { openOps } from '../server/ops.ts';
import { sweepExpired } from '../server/sweeper.ts';

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
    const ids = await sweepExpired(ops.storage);
    console.log(`deleted ${ids.length} expired file(s)${ids.length ? `: ${ids.join(' ')}` : ''}`);
  }
} finally {
  await ops.close();
}
