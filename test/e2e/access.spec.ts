/** A server that does not allow open uploads: the page asks for the access token and sends it. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openAccess } from '../../server/config.ts';
import { writeRandomFile } from '../support/files.ts';
import { startStack } from '../support/stack.ts';
import { expect, test } from './fixtures.ts';
import { UploadPage } from './pages.ts';

test('uploads to a locked server need the access token, entered in the page', async ({ page }) => {
  const token = 'e2e-access-token-0123456789';
  const locked = await startStack({ access: openAccess({ openUploads: false, uploadTokens: [token] }) });
  try {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'cipherdrop-access-')), 'locked.bin');
    await writeRandomFile(file, 100_000);
    const upload = new UploadPage(page, locked.appUrl);
    await upload.goto();
    await upload.choose(file);
    await expect(page.getByRole('status').filter({ hasText: 'The server refused the request: Uploads need an access token' })).toBeVisible();
    await page.getByLabel('Access token').fill(token);
    await upload.choose(file);
    await expect(page.getByRole('textbox', { name: 'Share link for locked.bin' })).toBeVisible();
  } finally {
    await locked.stop();
  }
});
