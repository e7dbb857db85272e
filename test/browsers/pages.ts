/**
 * Page objects for the cross-engine specs: what a person sees and does, by role and accessible
 * name, as in test/e2e/pages.ts — but found inside the page (dom.ts) so any driver can run them.
 * In-page code is written as source strings: they go to the page untranspiled.
 */
import { inPage } from './dom.ts';
import { type Tab, waitFor } from './engine.ts';

/** Long enough for a 64 MiB upload on a loaded 2-core machine in the slowest engine. */
const LONG_MS = 5 * 60_000;
const SHORT_MS = 60_000;
const EVALUATE_MS = 10_000;

export class PageObject {
  constructor(readonly tab: Tab) {}

  /**
   * Runs `fn` (source of `(q, ...args) => value`) in the page with the role helpers. A page caught
   * mid-navigation may never answer (seen in Firefox over BiDi): such a call is given up.
   */
  dom<T>(fn: string, ...args: unknown[]): Promise<T> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const given = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('the page did not answer')), EVALUATE_MS);
    });
    return Promise.race([this.tab.evaluate<T>(inPage(fn, args)), given]).finally(() => clearTimeout(timer));
  }

  /** Polls `fn` in the page until it returns something other than null / false (JSON only: an element comes back as nothing). */
  until<T>(what: string, fn: string, args: unknown[] = [], timeoutMs = SHORT_MS): Promise<T> {
    let last = 'nothing';
    return waitFor(
      async () => {
        // A page mid-navigation answers nothing, or an error: asked again.
        const value = await this.dom<T | null | false>(fn, ...args).catch((error: Error) => {
          last = error.message;
          return null;
        });
        if (value !== null) last = JSON.stringify(value) ?? 'undefined';
        return value === null || value === false ? undefined : value;
      },
      timeoutMs,
      what,
    ).catch(async (error: Error) => {
      const shown = await this.dom<string>('() => document.body.innerText.slice(0, 400)').catch(() => '?');
      throw new Error(`${error.message} (last answer: ${last}; the page shows: ${JSON.stringify(shown)})`);
    });
  }

  /** Waits for the text of (role, name) to match `want` (a string, or a RegExp). */
  async expectText(role: string, name: string | undefined, want: string | RegExp, timeoutMs = SHORT_MS): Promise<string> {
    let last: string | null = null;
    try {
      return await waitFor(
        async () => {
          last = await this.dom<string | null>('(q, role, name) => q.text(q.get(role, name ?? undefined))', role, name ?? null).catch(() => null);
          return last !== null && (typeof want === 'string' ? last === want : want.test(last)) ? last : undefined;
        },
        timeoutMs,
        `${role}${name ? ` "${name}"` : ''} to read ${want}`,
      );
    } catch (error) {
      throw new Error(`${(error as Error).message}; it read: ${JSON.stringify(last)}`);
    }
  }

  click(role: string, name: string): Promise<void> {
    return this.dom('(q, role, name) => q.click(role, name)', role, name);
  }
}

export class UploadPage extends PageObject {
  constructor(
    tab: Tab,
    private readonly appUrl: string,
  ) {
    super(tab);
  }

  async goto(): Promise<void> {
    await this.tab.goto(this.appUrl);
    await this.until('the upload page', `(q) => !!(q.get('heading', 'Cipherdrop') && q.get('file', 'Choose files'))`);
  }

  setPassword(password: string): Promise<void> {
    return this.dom('(q, v) => q.fill("Password (optional)", v)', password);
  }

  async choose(...files: string[]): Promise<void> {
    await this.until('the file picker to be enabled', `(q) => { const i = q.get('file', 'Choose files'); return i && !i.disabled; }`);
    await this.tab.setInputFiles(await this.dom<string>('(q) => q.mark("Choose files")'), files);
  }

  /** Picks a whole folder (the `webkitdirectory` input): the driver is given the folder's path. */
  async chooseFolder(dir: string): Promise<void> {
    await this.until('the folder picker to be enabled', `(q) => { const i = q.get('file', 'Choose a folder'); return i && !i.disabled; }`);
    await this.tab.setInputFiles(await this.dom<string>('(q) => q.mark("Choose a folder")'), [dir]);
  }

  control(action: 'Pause' | 'Resume' | 'Cancel' | 'Retry', path: string): Promise<void> {
    return this.click('button', `${action} ${path}`);
  }

  /** The status line of the file's row (null while it has none). */
  status(path: string): Promise<string | null> {
    return this.dom('(q, p) => q.rowStatus(p)', path);
  }

  /** Waits for the file's row to read `want`; fails early, with the row's text, if it reads `Failed…`. */
  async expectStatus(path: string, want: string | RegExp, timeoutMs = SHORT_MS): Promise<void> {
    let last: string | null = null;
    await waitFor(
      async () => {
        last = await this.status(path).catch(() => null);
        if (last !== null && (typeof want === 'string' ? last === want : want.test(last))) return true;
        return undefined;
      },
      timeoutMs,
      `${path} to read ${want}`,
    ).catch((error: Error) => {
      throw new Error(`${error.message}; it read: ${JSON.stringify(last)}`);
    });
  }

  /** Waits for the file's share link and returns it; a failed row (one that offers Retry, or
   * says something went wrong) fails at once. */
  async shareLink(name: string, timeoutMs = LONG_MS): Promise<string> {
    const found = await this.until<{ link?: string; error?: string }>(
      `the share link for ${name}`,
      `(q, name) => {
        const field = q.get('textbox', 'Share link for ' + name);
        if (field) return { link: field.value };
        const status = q.rowStatus(name) ?? '';
        return q.get('button', 'Retry ' + name) || status.startsWith('Something went wrong') ? { error: status } : null;
      }`,
      [name],
      timeoutMs,
    );
    if (found.error !== undefined) throw new Error(`the upload of ${name} failed: ${found.error}`);
    return found.link as string;
  }

  /** Uploads one file and returns its share link, id and secret. */
  async share(file: string, options: { password?: string } = {}): Promise<{ link: string; id: string; secret: string }> {
    await this.goto();
    if (options.password) await this.setPassword(options.password);
    await this.choose(file);
    const link = await this.shareLink(file.split('/').at(-1) as string);
    const url = new URL(link);
    return { link, id: url.pathname.split('/').at(-1) as string, secret: url.hash.slice(1) };
  }

  /** The unfinished uploads kept in IndexedDB (the resume records): ids and the parts done. */
  savedUploads(): Promise<{ id: string; secret: string; done: number[] }[]> {
    return this.tab.evaluate(`(async () => {
      if (indexedDB.databases && !(await indexedDB.databases()).some((d) => d.name === 'cipherdrop')) return [];
      const db = await new Promise((resolve, reject) => {
        const open = indexedDB.open('cipherdrop');
        open.onsuccess = () => resolve(open.result);
        open.onerror = () => reject(open.error);
      });
      try {
        if (!db.objectStoreNames.contains('unfinished-uploads')) return [];
        const all = await new Promise((resolve, reject) => {
          const r = db.transaction('unfinished-uploads').objectStore('unfinished-uploads').getAll();
          r.onsuccess = () => resolve(r.result);
          r.onerror = () => reject(r.error);
        });
        return all.map((s) => ({ id: s.id, secret: s.record.secret, done: s.record.done.map((p) => p.partNumber).sort((a, b) => a - b) }));
      } finally {
        db.close();
      }
    })()`);
  }
}

export class DownloadPage extends PageObject {
  async open(link: string): Promise<void> {
    await this.tab.goto(link);
  }

  /** Waits for the file's name (the page's level-2 heading) and returns it. */
  fileName(): Promise<string> {
    return this.until('the file name', `(q) => q.text(q.all('heading').find((h) => h.tagName === 'H2'))`);
  }

  enterPassword(password: string): Promise<void> {
    return this.until('the password form', `(q) => !!q.get('textbox', 'Password')`).then(() =>
      this.dom('(q, v) => { q.fill("Password", v); q.click("button", "Open"); }', password),
    );
  }

  /** Clicks Download and resolves with the saved file once the browser has all `bytes` of it. */
  async download(bytes: number, timeoutMs = LONG_MS): Promise<{ path: string; name: string }> {
    await this.until('the Download button', `(q) => !!q.get('button', 'Download')`);
    return this.tab.download(() => this.click('button', 'Download'), timeoutMs, bytes);
  }

  alert(): Promise<string | null> {
    return this.dom(`(q) => q.text(q.get('alert'))`);
  }

  /**
   * What this page's service worker answers for a download of `size` bytes, asked the way the
   * download sink asks it (src/download/sinks.ts: register a relay, then request /d/_download/<token>)
   * but fetched by the page, so the answer's headers can be read: a browser download's own
   * response headers are out of reach of WebDriver. The relay hands over `size` zero bytes.
   */
  serviceWorkerDownload(size: number): Promise<{ contentLength: string | null; bytes: number; status: number }> {
    return this.tab.evaluate(`(async () => {
      const size = ${JSON.stringify(size)};
      if (!navigator.serviceWorker.controller)
        await new Promise((resolve, reject) => {
          navigator.serviceWorker.addEventListener('controllerchange', resolve, { once: true });
          setTimeout(() => reject(new Error('no service worker controls the page')), 10000);
        });
      const channel = new MessageChannel();
      const token = 'spec-' + Math.random().toString(36).slice(2);
      await new Promise((resolve) => {
        channel.port1.onmessage = ({ data }) => data.type === 'registered' && resolve();
        navigator.serviceWorker.controller.postMessage({ type: 'download', token, name: 'check.bin', size }, [channel.port2]);
      });
      let sent = false;
      channel.port1.onmessage = ({ data }) => {
        if (data.type !== 'pull') return;
        if (sent) return channel.port1.postMessage({ type: 'end' });
        sent = true;
        const chunk = new ArrayBuffer(size);
        channel.port1.postMessage({ type: 'chunk', chunk }, [chunk]);
      };
      const response = await fetch('/d/_download/' + token);
      const body = await response.arrayBuffer();
      return { contentLength: response.headers.get('content-length'), bytes: body.byteLength, status: response.status };
    })()`);
  }
}
