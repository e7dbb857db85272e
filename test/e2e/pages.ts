/** Page objects: what a person sees and does, by role and accessible name. */
import { type Download, expect, type Page } from '@playwright/test';

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
