/**
 * Downloads seen as files in a directory, for drivers with no download events (Firefox over BiDi,
 * WebKitGTK over classic WebDriver). A browser writes into a temporary file (Firefox:
 * `<random>.bin.part` beside a 0-byte placeholder with the final name) and renames it over the
 * final name when the download ends well; a failed download leaves the temporary file behind (seen
 * in Firefox 153). So a download counts as saved when a new file is there, no new temporary file
 * is, and its size has held still for a moment. One download at a time per directory.
 */
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';

const SETTLE_MS = 500;

const isTemporary = (name: string) => /\.(part|download|wkdownload)$/.test(name);

/** New files in `dir` that look like finished downloads: none while a new temporary file is there. */
export function finishedFiles(dir: string, before: Set<string>): string[] {
  const fresh = readdirSync(dir).filter((name) => !before.has(name));
  return fresh.some(isTemporary) ? [] : fresh;
}

export async function waitForSavedFile(
  dir: string,
  action: () => Promise<void>,
  timeoutMs: number,
  /** only a file of this size counts (for a browser that writes into the final name) */
  bytes?: number,
): Promise<{ path: string; name: string }> {
  const before = new Set(readdirSync(dir));
  await action();
  const deadline = Date.now() + timeoutMs;
  let seen = '';
  while (Date.now() < deadline) {
    const [name] = finishedFiles(dir, before);
    if (name && (bytes === undefined || statSync(path.join(dir, name)).size === bytes)) {
      const file = path.join(dir, name);
      const size = statSync(file).size;
      await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
      if (finishedFiles(dir, before).includes(name) && statSync(file).size === size) return { path: file, name };
    }
    seen = readdirSync(dir)
      .filter((n) => !before.has(n))
      .join(', ');
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`no download finished in ${dir} within ${timeoutMs} ms${seen ? ` (there: ${seen})` : ''}`);
}
