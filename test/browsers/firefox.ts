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
    close: () => browser.close(),
  };
}
