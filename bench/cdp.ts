/**
 * A minimal Chrome DevTools Protocol client over --remote-debugging-pipe. It never enables the
 * Network domain: with it on (as Playwright always has it), Chromium base64-copies every fetch()
 * body and encrypted uploads run an order of magnitude slower (shared/BROWSER-FACTS.md).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { CHROMIUM_ARGS } from '../playwright.config.ts';

/** Debian's /usr/bin/chromium is a shell wrapper; the binary is launched directly so its PID is the browser's. */
const CHROMIUM_BINARY = process.env.CHROMIUM_BINARY ?? '/usr/lib/chromium/chromium';
const FLAGS = ['--headless', ...CHROMIUM_ARGS, '--remote-debugging-pipe'];

type Json = Record<string, unknown>;

export class Browser {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve(v: Json): void; reject(e: Error): void }>();
  private readonly listeners = new Set<(method: string, params: Json, sessionId?: string) => void>();
  private buffer = '';

  private constructor(
    readonly process: ChildProcess,
    private readonly userDataDir: string,
  ) {
    const out = process.stdio[4] as Readable;
    out.setEncoding('utf8');
    out.on('data', (chunk: string) => {
      this.buffer += chunk;
      for (let end = this.buffer.indexOf('\0'); end >= 0; end = this.buffer.indexOf('\0')) {
        const message = JSON.parse(this.buffer.slice(0, end)) as { id?: number; result?: Json; error?: { message: string }; method?: string; params?: Json; sessionId?: string };
        this.buffer = this.buffer.slice(end + 1);
        if (message.id !== undefined) {
          const p = this.pending.get(message.id);
          this.pending.delete(message.id);
          if (message.error) p?.reject(new Error(message.error.message));
          else p?.resolve(message.result ?? {});
        } else if (message.method) {
          for (const listener of this.listeners) listener(message.method, message.params ?? {}, message.sessionId);
        }
      }
    });
  }

  static launch(): Browser {
    const userDataDir = mkdtempSync(path.join(tmpdir(), 'cipherdrop-bench-chromium-'));
    const child = spawn(CHROMIUM_BINARY, [...FLAGS, `--user-data-dir=${userDataDir}`, 'about:blank'], { stdio: ['ignore', 'ignore', 'ignore', 'pipe', 'pipe'] });
    return new Browser(child, userDataDir);
  }

  get pid(): number {
    return this.process.pid as number;
  }

  send(method: string, params: Json = {}, sessionId?: string): Promise<Json> {
    const id = this.nextId++;
    (this.process.stdio[3] as Writable).write(`${JSON.stringify({ id, method, params, sessionId })}\0`);
    return new Promise((resolve, reject) => this.pending.set(id, { resolve, reject }));
  }

  on(listener: (method: string, params: Json, sessionId?: string) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Resolves when the next browser download completes (Browser.downloadProgress), rejects if it is cancelled. */
  downloadDone(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const off = this.on((method, params) => {
        if (method !== 'Browser.downloadProgress' || (params.state !== 'completed' && params.state !== 'canceled')) return;
        off();
        if (params.state === 'completed') resolve();
        else reject(new Error('download canceled'));
      });
    });
  }

  async close(): Promise<void> {
    await this.send('Browser.close').catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const exited = this.process.exitCode !== null || this.process.signalCode !== null ? Promise.resolve() : new Promise((resolve) => this.process.once('exit', resolve));
    this.process.kill('SIGKILL');
    await exited;
    // Chromium's helper processes may still be writing into the profile for a moment after the browser is gone.
    try {
      rmSync(this.userDataDir, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
    } catch (error) {
      console.error(`[bench] could not remove ${this.userDataDir}: ${(error as Error).message}`);
    }
  }
}

/** One page (tab) attached with a flat session; only the Runtime, Page and DOM domains are used. */
export class Page {
  private constructor(
    readonly browser: Browser,
    readonly sessionId: string,
  ) {}

  /**
   * `ownContext`: in a browser context of its own, so in a renderer process of its own. Otherwise a
   * page of a site whose service worker is still alive is put in that worker's process (a used one).
   */
  static async open(browser: Browser, url: string, ownContext = false): Promise<Page> {
    const context = ownContext ? ((await browser.send('Target.createBrowserContext', { disposeOnDetach: true })) as { browserContextId: string }) : null;
    const { targetId } = (await browser.send('Target.createTarget', { url: 'about:blank', ...(context ? { browserContextId: context.browserContextId } : {}) })) as { targetId: string };
    const { sessionId } = (await browser.send('Target.attachToTarget', { targetId, flatten: true })) as { sessionId: string };
    const page = new Page(browser, sessionId);
    await page.send('Page.enable');
    const loaded = new Promise<void>((resolve) => {
      const off = browser.on((method, _params, sid) => {
        if (sid === sessionId && method === 'Page.loadEventFired') {
          off();
          resolve();
        }
      });
    });
    await page.send('Page.navigate', { url });
    await loaded;
    return page;
  }

  send(method: string, params: Json = {}): Promise<Json> {
    return this.browser.send(method, params, this.sessionId);
  }

  /** Evaluates an expression in the page, awaiting a promise, and returns its JSON value. */
  async evaluate<T>(expression: string): Promise<T> {
    const result = (await this.send('Runtime.evaluate', { expression, awaitPromise: true, returnByValue: true })) as {
      result: { value?: T };
      exceptionDetails?: { exception?: { description?: string }; text: string };
    };
    if (result.exceptionDetails) throw new Error(`in page: ${result.exceptionDetails.exception?.description ?? result.exceptionDetails.text}`);
    return result.result.value as T;
  }

  async setInputFile(selector: string, file: string): Promise<void> {
    await this.setInputFiles(selector, [file]);
  }

  async setInputFiles(selector: string, files: string[]): Promise<void> {
    const { root } = (await this.send('DOM.getDocument')) as { root: { nodeId: number } };
    const { nodeId } = (await this.send('DOM.querySelector', { nodeId: root.nodeId, selector })) as { nodeId: number };
    await this.send('DOM.setFileInputFiles', { nodeId, files });
  }

  async heapUsed(): Promise<number> {
    const { usedSize } = (await this.send('Runtime.getHeapUsage')) as { usedSize: number };
    return usedSize;
  }
}

/**
 * Counts the warnings the page's dedicated workers log whose text matches `pattern` (the pool's
 * crypto workers: a BYOB read given up after its stall watchdog, transfer/buffers.ts). The page's
 * workers are auto-attached and only their Runtime domain is enabled, for console messages.
 */
export async function countWorkerWarnings(page: Page, pattern: RegExp): Promise<{ readonly count: number }> {
  const counter = { count: 0 };
  const workers = new Set<string>();
  page.browser.on((method, params, sessionId) => {
    if (method === 'Target.attachedToTarget' && sessionId === page.sessionId) {
      const child = params.sessionId as string;
      if ((params.targetInfo as { type: string }).type !== 'worker') return;
      workers.add(child);
      void page.browser.send('Runtime.enable', {}, child).catch(() => undefined);
    }
    if (method === 'Runtime.consoleAPICalled' && sessionId && workers.has(sessionId) && params.type === 'warning') {
      const text = (params.args as { value?: unknown }[]).map((a) => String(a.value ?? '')).join(' ');
      if (pattern.test(text)) counter.count++;
    }
  });
  await page.send('Target.setAutoAttach', { autoAttach: true, waitForDebuggerOnStart: false, flatten: true });
  return counter;
}

/** A target's V8 heap and ArrayBuffer backing stores (Runtime.getHeapUsage), in bytes; zeros if it does not answer within `timeoutMs` (a busy or ending worker). */
export async function heapUsage(browser: Browser, sessionId: string, timeoutMs = 1000): Promise<{ heap: number; backing: number }> {
  const none = {};
  const h = (await Promise.race([browser.send('Runtime.getHeapUsage', {}, sessionId).catch(() => none), new Promise((r) => setTimeout(() => r(none), timeoutMs))])) as {
    usedSize?: number;
    backingStorageSize?: number;
  };
  return { heap: h.usedSize ?? 0, backing: h.backingStorageSize ?? 0 };
}
