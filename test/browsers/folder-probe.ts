/**
 * `npx tsx test/browsers/folder-probe.ts [engine…]`: the smallest reproduction of folder picking
 * through each driver — a page with one `<input type=file webkitdirectory>`, the driver given a
 * nested folder's path, and what the page then sees (the files' `webkitRelativePath`s, or the
 * driver's error). Printed as JSON per engine.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chosenEngines, ENGINES, type EngineName, launchEngine } from './engine.ts';

const root = mkdtempSync(path.join(tmpdir(), 'cipherdrop-folder-probe-'));
const folder = path.join(root, 'picked');
mkdirSync(path.join(folder, 'sub', 'deeper'), { recursive: true });
writeFileSync(path.join(folder, 'a.txt'), 'a');
writeFileSync(path.join(folder, 'sub', 'b.txt'), 'bb');
writeFileSync(path.join(folder, 'sub', 'deeper', 'c.txt'), 'ccc');

const PAGE = `data:text/html,<input type=file webkitdirectory id=f>`;
const SEEN = `(() => Array.from(document.getElementById('f').files, (f) => f.webkitRelativePath + ':' + f.size).sort())()`;

const args = process.argv.slice(2);
const engines = args.length ? (args.filter((a) => (ENGINES as readonly string[]).includes(a)) as EngineName[]) : chosenEngines();
for (const name of engines) {
  const browser = await launchEngine(name);
  try {
    const tab = await browser.newTab();
    await tab.goto(PAGE);
    const result: Record<string, unknown> = { engine: name, version: browser.version, folder };
    try {
      await tab.setInputFiles('#f', [folder]);
      result.set = 'accepted';
    } catch (error) {
      result.set = `refused: ${(error as Error).message.slice(0, 300)}`;
    }
    result.pageSees = await tab.evaluate(SEEN).catch((error: Error) => `evaluate failed: ${error.message}`);
    console.log(JSON.stringify(result));
    await tab.close();
  } finally {
    await browser.close();
  }
}
