/** One fixtures file: the running stack (one per worker) and the page objects. */
import { test as base } from '@playwright/test';
import { type Stack, startStack } from '../support/stack.ts';
import { DownloadPage, UploadPage } from './pages.ts';

interface TestFixtures {
  uploadPage: UploadPage;
}
interface WorkerFixtures {
  stack: Stack;
}

export const test = base.extend<TestFixtures, WorkerFixtures>({
  stack: [
    // biome-ignore lint/correctness/noEmptyPattern: Playwright's fixture signature needs the object pattern.
    async ({}, use) => {
      const stack = await startStack();
      await use(stack);
      await stack.stop();
    },
    { scope: 'worker', timeout: 60_000 },
  ],
  uploadPage: async ({ page, stack }, use) => {
    await use(new UploadPage(page, stack.appUrl));
  },
});

export { expect } from '@playwright/test';
export { DownloadPage };
