/**
 * The thin adapter the cross-engine specs drive: a browser that opens fresh tabs, and a tab that
 * navigates, evaluates an expression, sets files on an input and catches a download. Chromium goes
 * through Playwright, Firefox through puppeteer-core over WebDriver BiDi, WebKitGTK through classic
 * WebDriver (WebKitWebDriver + MiniBrowser under Xvfb). Everything else (finding elements by role
 * and name, clicking, typing) runs inside the page (dom.ts), so it is the same code in all three.
 */
export const ENGINES = ['chromium', 'firefox', 'webkit'] as const;
export type EngineName = (typeof ENGINES)[number];

export interface Tab {
  goto(url: string): Promise<void>;
  reload(): Promise<void>;
  /** Evaluates a JavaScript expression in the page and returns its (awaited, JSON-able) value. */
  evaluate<T>(expression: string): Promise<T>;
  /** Sets `files` on the `<input type=file>` that `selector` matches. */
  setInputFiles(selector: string, files: string[]): Promise<void>;
  /**
   * Runs `action` and resolves with the path of the complete file the browser saved because of it,
   * or rejects when the browser reports the download failed (or nothing arrives in `timeoutMs`).
   * `bytes`: the size a complete file has — WebKitGTK writes straight into the final name and
   * reports nothing, so there only a file of that size counts as finished. Unknown for a ZIP made
   * as it streams: there a file counts once its size holds still (check it whole afterwards).
   */
  download(action: () => Promise<void>, timeoutMs: number, bytes: number | undefined): Promise<{ path: string; name: string }>;
  close(): Promise<void>;
}

export interface EngineBrowser {
  readonly name: EngineName;
  /** product and version, as the README's browser table states it */
  readonly version: string;
  /** where this browser saves downloads, where the test chose it (Firefox, WebKitGTK) */
  readonly downloads?: string;
  /** A tab in a fresh profile: its own storage, service workers and downloads. */
  newTab(): Promise<Tab>;
  close(): Promise<void>;
}

/** The engines `CIPHERDROP_BROWSERS` names (comma-separated), default all three. */
export function chosenEngines(value = process.env.CIPHERDROP_BROWSERS): EngineName[] {
  if (!value) return [...ENGINES];
  const names = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const name of names)
    if (!(ENGINES as readonly string[]).includes(name)) throw new Error(`CIPHERDROP_BROWSERS: unknown engine ${name} (known: ${ENGINES.join(', ')})`);
  return names as EngineName[];
}

export async function launchEngine(name: EngineName): Promise<EngineBrowser> {
  switch (name) {
    case 'chromium':
      return (await import('./chromium.ts')).launchChromium();
    case 'firefox':
      return (await import('./firefox.ts')).launchFirefox();
    case 'webkit':
      return (await import('./webkit.ts')).launchWebKit();
  }
}

/** Polls `check` until it returns a value other than undefined, or throws after `timeoutMs`. */
export async function waitFor<T>(check: () => Promise<T | undefined>, timeoutMs: number, what: string, intervalMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
