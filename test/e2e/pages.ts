/** Page objects: what a person sees and does, by role and accessible name. */
import { type Browser, type Download, expect, type Page } from '@playwright/test';
import { sha256File } from '../support/files.ts';

export class UploadPage {
  constructor(
    readonly page: Page,
    private readonly appUrl: string,
  ) {}

  async goto(): Promise<void> {
    await this.page.goto(this.appUrl);
    await expect(this.page.getByRole('heading', { name: 'Cipherdrop' })).toBeVisible();
  }

  async setPassword(password: string): Promise<void> {
    await this.page.getByLabel('Password (optional)').fill(password);
  }

  async setExpiry(label: string): Promise<void> {
    await this.page.getByLabel('Expires after').selectOption({ label });
  }

  async choose(...files: string[]): Promise<void> {
    await this.page.getByLabel('Choose files').setInputFiles(files);
  }

  async chooseFolder(dir: string): Promise<void> {
    await this.page.getByLabel('Choose a folder').setInputFiles(dir);
  }

  /** A file's row control (Pause, Resume, Cancel, Retry, Discard) by its accessible name. */
  control(action: 'Pause' | 'Resume' | 'Cancel' | 'Retry', path: string) {
    return this.page.getByRole('button', { name: `${action} ${path}`, exact: true });
  }

  status(path: string) {
    return this.page.getByRole('listitem').filter({ hasText: path }).getByRole('status');
  }

  progress(path: string) {
    return this.page.getByRole('progressbar', { name: `Upload progress of ${path}` });
  }

  /** Every record of one of the page's IndexedDB stores (resume-store.ts), read as the page sees them. */
  savedRecords<T>(store: 'unfinished-uploads' | 'unfinished-sets'): Promise<T[]> {
    return this.page.evaluate(async (store) => {
      // Opening a database that does not exist would create it empty, without the page's stores.
      if (!(await indexedDB.databases()).some((d) => d.name === 'cipherdrop')) return [];
      const db = await new Promise<IDBDatabase>((resolve, reject) => {
        const open = indexedDB.open('cipherdrop');
        open.onsuccess = () => resolve(open.result);
        open.onerror = () => reject(open.error);
      });
      try {
        if (!db.objectStoreNames.contains(store)) return [];
        return await new Promise<T[]>((resolve, reject) => {
          const request = db.transaction(store).objectStore(store).getAll();
          request.onsuccess = () => resolve(request.result);
          request.onerror = () => reject(request.error);
        });
      } finally {
        db.close();
      }
    }, store);
  }

  /** The unfinished uploads this page keeps (the resume records). */
  async savedUploads(): Promise<{ id: string; path: string; secret: string; done: number[] }[]> {
    const all = await this.savedRecords<{ id: string; path: string; record: { secret: string; done: { partNumber: number }[] } }>('unfinished-uploads');
    return all.map((s) => ({ id: s.id, path: s.path, secret: s.record.secret, done: s.record.done.map((p) => p.partNumber).sort((a, b) => a - b) }));
  }

  /** Uploads one file through the page and returns its share link and file id. */
  async share(file: string, options: { password?: string; expiry?: string } = {}): Promise<{ link: string; id: string; secret: string }> {
    await this.goto();
    if (options.password) await this.setPassword(options.password);
    if (options.expiry) await this.setExpiry(options.expiry);
    await this.choose(file);
    const link = await this.shareLink(file.split('/').at(-1) as string);
    const url = new URL(link);
    return { link, id: url.pathname.split('/').at(-1) as string, secret: url.hash.slice(1) };
  }

  /** Waits for the file's share link and returns it. */
  async shareLink(name: string): Promise<string> {
    const field = this.page.getByRole('textbox', { name: `Share link for ${name}` });
    await expect(field).toBeVisible({ timeout: 4 * 60_000 });
    return field.inputValue();
  }
}

export class DownloadPage {
  constructor(readonly page: Page) {}

  async open(link: string): Promise<void> {
    await this.page.goto(link);
  }

  fileName() {
    return this.page.getByRole('heading', { level: 2 });
  }

  alert() {
    return this.page.getByRole('alert');
  }

  async enterPassword(password: string): Promise<void> {
    await this.page.getByLabel('Password', { exact: true }).fill(password);
    await this.page.getByRole('button', { name: 'Open' }).click();
  }

  /** Clicks Download and returns the browser download it starts. */
  async download(): Promise<Download> {
    const [download] = await Promise.all([this.page.waitForEvent('download'), this.page.getByRole('button', { name: 'Download' }).click()]);
    return download;
  }
}

/** Opens `link` in a fresh browser context, downloads through the viewer, and returns the SHA-256 of the saved file. */
export async function downloadedHash(browser: Browser, link: string): Promise<string> {
  const context = await browser.newContext({ acceptDownloads: true });
  try {
    const viewer = new DownloadPage(await context.newPage());
    await viewer.open(link);
    const download = await viewer.download();
    expect(await download.failure()).toBeNull();
    return await sha256File(await download.path());
  } finally {
    await context.close();
  }
}
