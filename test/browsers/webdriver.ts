/**
 * The few classic WebDriver (W3C) commands the WebKit tab needs, over fetch: WebKitWebDriver speaks
 * no BiDi, and a dependency for six endpoints would be more code to trust than this.
 */
export class WebDriverError extends Error {
  constructor(
    readonly error: string,
    message: string,
  ) {
    super(`${error}: ${message}`);
    this.name = new.target.name;
  }
}

/** A WebDriver element reference, as the protocol names its key. */
const ELEMENT = 'element-6066-11e4-a52e-4f735466cecf';

export class WebDriverSession {
  private constructor(
    private readonly base: string,
    readonly id: string,
    readonly capabilities: Record<string, unknown>,
  ) {}

  static async create(driverUrl: string, alwaysMatch: Record<string, unknown>): Promise<WebDriverSession> {
    const { sessionId, capabilities } = await call<{ sessionId: string; capabilities: Record<string, unknown> }>(`${driverUrl}/session`, 'POST', {
      capabilities: { alwaysMatch },
    });
    return new WebDriverSession(driverUrl, sessionId, capabilities);
  }

  private send<T>(method: string, suffix: string, body?: unknown): Promise<T> {
    return call<T>(`${this.base}/session/${this.id}${suffix}`, method, body);
  }

  navigate(url: string): Promise<void> {
    return this.send('POST', '/url', { url });
  }
  refresh(): Promise<void> {
    return this.send('POST', '/refresh', {});
  }
  /** Runs a function body with `arguments`; a returned promise is awaited (WebDriver's execute script). */
  execute<T>(body: string, args: unknown[] = []): Promise<T> {
    return this.send('POST', '/execute/sync', { script: body, args });
  }
  async findCss(selector: string): Promise<string> {
    const found = await this.send<Record<string, string>>('POST', '/element', { using: 'css selector', value: selector });
    return found[ELEMENT];
  }
  /** Keys sent to an `<input type=file>` are the path of the file to set (newline-separated for several). */
  sendKeys(element: string, text: string): Promise<void> {
    return this.send('POST', `/element/${element}/value`, { text });
  }
  delete(): Promise<void> {
    return call(`${this.base}/session/${this.id}`, 'DELETE');
  }
}

async function call<T>(url: string, method: string, body?: unknown): Promise<T> {
  const response = await fetch(url, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const { value } = (await response.json()) as { value: T & { error?: string; message?: string } };
  if (!response.ok || (value && typeof value === 'object' && 'error' in value && value.error)) {
    throw new WebDriverError(String(value?.error ?? response.status), String(value?.message ?? ''));
  }
  return value;
}
