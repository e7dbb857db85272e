/** Page objects of file requests: the request form, the sender's page, the inbox. */
import { type Download, expect, type Page } from '@playwright/test';

export class RequestForm {
  constructor(
    readonly page: Page,
    private readonly appUrl: string,
  ) {}

  /** Fills the form, creates the request, and returns its two links. */
  async create(options: { title: string; note?: string; maxFiles?: number }): Promise<{ requestLink: string; inboxLink: string }> {
    await this.page.goto(`${this.appUrl}/request`);
    await this.page.getByLabel('Title').fill(options.title);
    if (options.note) await this.page.getByLabel('Note (optional)').fill(options.note);
    if (options.maxFiles) await this.page.getByLabel('At most this many files (optional)').fill(String(options.maxFiles));
    await this.page.getByRole('button', { name: 'Create the request' }).click();
    const requestLink = this.page.getByRole('textbox', { name: 'Request link' });
    await expect(requestLink).toBeVisible();
    return { requestLink: await requestLink.inputValue(), inboxLink: await this.page.getByRole('textbox', { name: 'Inbox link' }).inputValue() };
  }
}

export class SendPage {
  constructor(readonly page: Page) {}

  async open(link: string): Promise<void> {
    await this.page.goto(link);
  }

  title() {
    return this.page.getByRole('heading', { level: 2 });
  }

  alert() {
    return this.page.getByRole('alert');
  }

  async send(files: string[], message?: string): Promise<void> {
    if (message) await this.page.getByLabel('Message to the requester').fill(message);
    await this.page.getByLabel('Choose files').setInputFiles(files);
  }

  status(name: string) {
    return this.page.getByRole('listitem').filter({ hasText: name }).getByRole('status');
  }
}

export class InboxPage {
  constructor(readonly page: Page) {}

  async open(link: string): Promise<void> {
    await this.page.goto(link);
    await expect(this.page.getByRole('region', { name: 'Inbox' })).toBeVisible();
  }

  files() {
    return this.page.getByRole('list', { name: 'Received files' }).getByRole('listitem');
  }

  row(name: string) {
    return this.files().filter({ hasText: name });
  }

  /** Opens a received file in the viewer and downloads it. */
  async download(name: string): Promise<Download> {
    await this.row(name).getByRole('button', { name: 'Open' }).click();
    await expect(this.page.getByRole('heading', { level: 2, name })).toBeVisible();
    const [download] = await Promise.all([this.page.waitForEvent('download'), this.page.getByRole('button', { name: 'Download' }).click()]);
    return download;
  }

  async back(): Promise<void> {
    await this.page.getByRole('button', { name: 'Back to the inbox' }).click();
  }
}
