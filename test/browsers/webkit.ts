/**
 * Debian's WebKitGTK through classic WebDriver: WebKitWebDriver starts MiniBrowser in automation
 * mode. MiniBrowser is a GTK program and needs a display even to print its help ("cannot open
 * display"): there is no headless WebKitGTK here, so it runs on a private Xvfb. WebKitWebDriver
 * holds one session at a time: a tab is a session, and a new tab waits for the last to close.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { waitForSavedFile } from './downloads.ts';
import { type EngineBrowser, type Tab, waitFor } from './engine.ts';
import { WebDriverSession } from './webdriver.ts';

export const WEBKIT_DRIVER = process.env.WEBKIT_DRIVER ?? '/usr/bin/WebKitWebDriver';
export const MINIBROWSER =
  process.env.MINIBROWSER ??
  (() => {
    const lib = '/usr/lib/x86_64-linux-gnu';
    const dir = readdirSync(lib).find((name) => /^webkit2gtk-4\.\d$/.test(name)) ?? 'webkit2gtk-4.1';
    return path.join(lib, dir, 'MiniBrowser');
  })();

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

/** Starts Xvfb on the first free display it finds (it writes the number to the fd we give it). */
async function startXvfb(): Promise<{ display: string; process: ChildProcess }> {
  const xvfb = spawn('Xvfb', ['-displayfd', '3', '-screen', '0', '1280x1024x24', '-nolisten', 'tcp'], { stdio: ['ignore', 'ignore', 'ignore', 'pipe'] });
  const display = await new Promise<string>((resolve, reject) => {
    let text = '';
    xvfb.stdio[3]?.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      if (text.includes('\n')) resolve(`:${text.trim()}`);
    });
    xvfb.on('exit', (code) => reject(new Error(`Xvfb exited (${code})`)));
  });
  return { display, process: xvfb };
}

export async function launchWebKit(): Promise<EngineBrowser> {
  const home = mkdtempSync(path.join(tmpdir(), 'cipherdrop-webkit-home-'));
  const downloads = path.join(home, 'Downloads');
  mkdirSync(downloads);
  // MiniBrowser saves to GLib's download directory, which comes from this file (without it: $HOME).
  mkdirSync(path.join(home, '.config'));
  writeFileSync(path.join(home, '.config', 'user-dirs.dirs'), `XDG_DOWNLOAD_DIR="${downloads}"\n`);
  const xvfb = await startXvfb();
  const port = await freePort();
  const env = { ...process.env, DISPLAY: xvfb.display, HOME: home, XDG_CONFIG_HOME: path.join(home, '.config') };
  const driver = spawn(WEBKIT_DRIVER, [`--port=${port}`], { env, stdio: 'ignore' });
  // A Playwright worker torn down after a failure may never reach close(): leave no display behind.
  const stop = () => {
    driver.kill();
    xvfb.process.kill();
  };
  process.once('exit', stop);
  const driverUrl = `http://127.0.0.1:${port}`;
  await waitFor(
    () =>
      fetch(`${driverUrl}/status`).then(
        (r) => (r.ok ? true : undefined),
        () => undefined,
      ),
    20_000,
    'WebKitWebDriver',
  );
  const version = `WebKitGTK ${execFileSync('dpkg-query', ['-W', `-f=\${Version}`, 'libwebkit2gtk-4.1-0'], { encoding: 'utf8' }).split('-')[0]}`;
  let open: Promise<void> = Promise.resolve();

  return {
    name: 'webkit',
    version,
    downloads,
    async newTab(): Promise<Tab> {
      const previous = open;
      let closed!: () => void;
      open = new Promise((resolve) => {
        closed = resolve;
      });
      await previous;
      const session = await WebDriverSession.create(driverUrl, {
        'webkitgtk:browserOptions': { binary: MINIBROWSER, args: ['--automation'] },
      });
      let alive = true;
      return {
        goto: (url) => session.navigate(url),
        reload: () => session.refresh(),
        evaluate: (expression) => session.execute(`return ${expression};`),
        async setInputFiles(selector, files) {
          await session.sendKeys(await session.findCss(selector), files.join('\n'));
        },
        download: (action, timeoutMs, bytes) => waitForSavedFile(downloads, action, timeoutMs, bytes),
        async close() {
          if (!alive) return;
          alive = false;
          await session.delete().catch(() => undefined);
          closed();
        },
      };
    },
    async close() {
      process.off('exit', stop);
      stop();
    },
  };
}
