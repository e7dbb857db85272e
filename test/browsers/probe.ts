/**
 * `npx tsx test/browsers/probe.ts [engine…]`: what each engine offers the page (the features the
 * fallbacks are chosen by), printed as JSON — the smallest reproduction behind the README's table.
 */
import { startStack } from '../support/stack.ts';
import { chosenEngines, ENGINES, type EngineName, launchEngine } from './engine.ts';

const FEATURES = `(async () => ({
  opfs: typeof navigator.storage?.getDirectory === 'function',
  byobReader: typeof ReadableStreamBYOBReader === 'function',
  serviceWorker: 'serviceWorker' in navigator,
  saveFilePicker: typeof showSaveFilePicker === 'function',
  directoryPicker: 'webkitdirectory' in HTMLInputElement.prototype,
  transferableStreams: (() => { try { const s = new ReadableStream(); structuredClone(s, { transfer: [s] }); return true; } catch { return false; } })(),
  syncAccessHandleInWorker: await new Promise((resolve) => {
    const source = 'onmessage = async () => { try { const d = await navigator.storage.getDirectory(); const f = await d.getFileHandle("probe", { create: true }); const h = await f.createSyncAccessHandle(); h.close(); postMessage(true); } catch (e) { postMessage(String(e)); } }';
    const w = new Worker(URL.createObjectURL(new Blob([source], { type: 'text/javascript' })));
    w.onmessage = (e) => resolve(e.data);
    w.onerror = (e) => resolve('worker error: ' + e.message);
    w.postMessage(0);
  }),
  userAgent: navigator.userAgent,
}))()`;

const args = process.argv.slice(2);
const engines = args.length ? (args.filter((a) => (ENGINES as readonly string[]).includes(a)) as EngineName[]) : chosenEngines();
const stack = await startStack();
try {
  for (const name of engines) {
    const browser = await launchEngine(name);
    try {
      const tab = await browser.newTab();
      // A page of the store's origin: a secure context like the app's, without its CSP (which
      // refuses the blob: worker the probe needs).
      await tab.goto(`${stack.s3Url}/probe`);
      console.log(name, browser.version, JSON.stringify(await tab.evaluate(FEATURES), null, 1));
      await tab.close();
    } finally {
      await browser.close();
    }
  }
} finally {
  await stack.stop();
}
