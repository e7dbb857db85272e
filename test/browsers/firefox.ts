/**
 * Debian's Firefox ESR through puppeteer-core over WebDriver BiDi (Playwright drives only its own
 * patched Firefox). Each tab is a fresh browser context (its own storage and service workers).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import puppeteer from 'puppeteer-core';
import { waitForSavedFile } from './downloads.ts';
import type { EngineBrowser, Tab } from './engine.ts';

export const FIREFOX_PATH = process.env.FIREFOX_PATH ?? '/usr/bin/firefox-esr';

export async function launchFirefox(): Promise<EngineBrowser> {
  const downloads = mkdtempSync(path.join(tmpdir(), 'cipherdrop-firefox-downloads-'));
  const browser = await puppeteer.launch({
    browser: 'firefox',
    executablePath: FIREFOX_PATH,
    headless: true,
    extraPrefsFirefox: {
      'browser.download.dir': downloads,
      'browser.download.folderList': 2,
      'browser.download.useDownloadDir': true,
      'browser.download.always_ask_before_handling_new_types': false,
      'browser.download.start_downloads_in_tmp_dir': false,
    },
  });
  const version = execFileSync(FIREFOX_PATH, ['--version'], { encoding: 'utf8' })
    .trim()
    .replace(/^Mozilla /, '');
  return {
    name: 'firefox',
    version,
    downloads,
    async newTab(): Promise<Tab> {
      const context = await browser.createBrowserContext();
      const page = await context.newPage();
      return {
        goto: async (url) => void (await page.goto(url)),
        reload: async () => void (await page.reload()),
        evaluate: <T>(expression: string) => page.evaluate(expression) as Promise<T>,
        async setInputFiles(selector, files) {
          const input = await page.$(selector);
          if (!input) throw new Error(`no element matches ${selector}`);
          await (input as import('puppeteer-core').ElementHandle<HTMLInputElement>).uploadFile(...files);
        },
        download: (action, timeoutMs) => waitForSavedFile(downloads, action, timeoutMs),
        close: () => context.close(),
      };
    },
    close: () => closeOrKill(browser),
  };
}

/** How long Firefox may take to quit before its process is killed. */
const CLOSE_MS = 20_000;

/**
 * Quits Firefox, killing it if it has not quit within CLOSE_MS: once in a local run its BiDi quit
 * never answered after every test had passed, and the worker fixture's teardown timed out (an
 * error outside any test, which fails the run). Nothing is checked after this: the specs are done.
 */
async function closeOrKill(browser: import('puppeteer-core').Browser): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), CLOSE_MS);
  });
  const closed = browser.close().then(() => 'closed' as const);
  closed.catch(() => undefined);
  const outcome = await Promise.race([closed, timedOut]).finally(() => clearTimeout(timer));
  if (outcome === 'timeout') {
    console.warn(`Firefox did not quit within ${CLOSE_MS / 1000} s: its process is killed`);
    browser.process()?.kill('SIGKILL');
  }
}
