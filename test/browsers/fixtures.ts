/**
 * Fixtures of the cross-engine specs: the project's engine (an option set per Playwright project in
 * playwright.config.ts), the browser launched once per worker, the running stack, and fresh tabs
 * that are closed after each test. Playwright Test is only the runner here: the browser comes
 * from the adapter (engine.ts), so Chromium, Firefox and WebKit run the same spec code.
 */
import { test as base } from '@playwright/test';
import { type Stack, startStack } from '../support/stack.ts';
import { type EngineBrowser, type EngineName, launchEngine, type Tab } from './engine.ts';
import { DownloadPage, UploadPage } from './pages.ts';

export interface EngineOptions {
  engine: EngineName;
}

interface TestFixtures {
  /** opens a tab in a fresh profile; every tab opened is closed after the test */
  newTab: () => Promise<Tab>;
  uploadPage: UploadPage;
}
interface WorkerFixtures extends EngineOptions {
  browserEngine: EngineBrowser;
  stack: Stack;
}

export const test = base.extend<TestFixtures, WorkerFixtures>({
  engine: ['chromium', { option: true, scope: 'worker' }],
  browserEngine: [
    async ({ engine }, use) => {
      const browser = await launchEngine(engine);
      await use(browser);
      await browser.close();
    },
    { scope: 'worker', timeout: 60_000 },
  ],
  stack: [
    // biome-ignore lint/correctness/noEmptyPattern: Playwright's fixture signature needs the object pattern.
    async ({}, use) => {
      const stack = await startStack();
      await use(stack);
      await stack.stop();
    },
    { scope: 'worker', timeout: 60_000 },
  ],
  newTab: async ({ browserEngine }, use) => {
    const tabs: Tab[] = [];
    await use(async () => {
      const tab = await browserEngine.newTab();
      tabs.push(tab);
      return tab;
    });
    for (const tab of tabs) await tab.close().catch(() => undefined);
  },
  uploadPage: async ({ newTab, stack }, use) => {
    await use(new UploadPage(await newTab(), stack.appUrl));
  },
});

export { expect } from '@playwright/test';
export { DownloadPage, UploadPage };
