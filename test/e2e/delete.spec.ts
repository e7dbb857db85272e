/** The uploader deletes a file early with "Delete now": the owner token never left that page. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { writeRandomFile } from '../support/files.ts';
import { DownloadPage, expect, test } from './fixtures.ts';

test('"Delete now" removes the file; its link then says it does not exist', async ({ browser, uploadPage, stack }) => {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'cipherdrop-delete-')), 'regret.bin');
  await writeRandomFile(file, 200_000);
  const { link, id } = await uploadPage.share(file);
  await uploadPage.page.getByRole('button', { name: 'Delete regret.bin now' }).click();
  await expect(uploadPage.page.getByRole('status').filter({ hasText: 'Deleted' })).toHaveText('Deleted: the link no longer opens anything');
  await expect(uploadPage.page.getByRole('textbox', { name: 'Share link for regret.bin' })).toHaveCount(0);
  await expect(stack.getObject(id, 'data')).rejects.toThrow();

  const context = await browser.newContext();
  const viewer = new DownloadPage(await context.newPage());
  await viewer.open(link);
  await expect(viewer.alert()).toHaveText('This file does not exist: it was never finished, has expired, or was deleted.');
  await context.close();
});
