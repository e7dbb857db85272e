/** Chromium through Playwright (as the rest of the e2e suite), behind the cross-engine Tab. */
import { chromium } from '@playwright/test';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../../playwright.config.ts';
import type { EngineBrowser, Tab } from './engine.ts';

export async function launchChromium(): Promise<EngineBrowser> {
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, headless: true });
  return {
    name: 'chromium',
    version: `Chromium ${browser.version()}`,
    async newTab(): Promise<Tab> {
      const context = await browser.newContext({ acceptDownloads: true });
      const page = await context.newPage();
      return {
        goto: async (url) => void (await page.goto(url)),
        reload: async () => void (await page.reload()),
        evaluate: (expression) => page.evaluate(expression),
        setInputFiles: (selector, files) => page.locator(selector).setInputFiles(files),
        async download(action, timeoutMs) {
          const [download] = await Promise.all([page.waitForEvent('download', { timeout: timeoutMs }), action()]);
          const failure = await download.failure();
          if (failure) throw new Error(`download failed: ${failure}`);
          return { path: await download.path(), name: download.suggestedFilename() };
        },
        close: () => context.close(),
      };
    },
    close: () => browser.close(),
  };
}
