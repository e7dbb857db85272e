/**
 * Role-and-name lookups that run inside the page, so the same page objects work through any
 * driver (Playwright, WebDriver BiDi, classic WebDriver): a driver only has to evaluate a script.
 * Kept as source text: it is sent to the page as is, never transpiled or bundled.
 *
 * `q.get(role, name)` finds the first visible element with that ARIA role (explicit, or implied by
 * its tag) and accessible name (aria-label, aria-labelledby, its <label>, else its text); `role`
 * '*' matches any role (getByLabel). Names match exactly, or as a RegExp given as `/source/`.
 */
export const DOM_HELPERS = `
const IMPLIED = { BUTTON: 'button', TEXTAREA: 'textbox', SELECT: 'combobox', LI: 'listitem', PROGRESS: 'progressbar',
  OUTPUT: 'status', IMG: 'img', H1: 'heading', H2: 'heading', H3: 'heading', H4: 'heading', VIDEO: 'video', AUDIO: 'audio' };
const roleOf = (el) => {
  if (el.getAttribute('role')) return el.getAttribute('role');
  if (el.tagName === 'INPUT') return ['button', 'submit'].includes(el.type) ? 'button' : el.type === 'file' ? 'file' : 'textbox';
  return IMPLIED[el.tagName] ?? '';
};
const nameOf = (el) => {
  if (el.getAttribute('aria-label')) return el.getAttribute('aria-label').trim();
  const by = el.getAttribute('aria-labelledby');
  if (by) return by.split(' ').map((id) => document.getElementById(id)?.textContent ?? '').join(' ').trim();
  if (el.id) {
    const label = document.querySelector('label[for="' + CSS.escape(el.id) + '"]');
    if (label) return label.textContent.trim();
  }
  const wrapping = ['INPUT', 'SELECT', 'TEXTAREA'].includes(el.tagName) && el.closest('label');
  if (wrapping) return wrapping.textContent.trim();
  return ['BUTTON', 'H1', 'H2', 'H3', 'H4', 'LI'].includes(el.tagName) || el.getAttribute('role') ? el.textContent.trim() : '';
};
const matches = (name, want) => (want.startsWith('/') && want.endsWith('/') ? new RegExp(want.slice(1, -1)).test(name) : name === want);
const shown = (el) => el.type === 'file' || el.getClientRects().length > 0;
const q = {
  all: (role, name, root = document) =>
    [...root.querySelectorAll('*')].filter((el) => (role === '*' || roleOf(el) === role) && (name === undefined || matches(nameOf(el), name)) && shown(el)),
  get: (role, name, root) => q.all(role, name, root)[0] ?? null,
  text: (el) => (el ? el.textContent.trim() : null),
  /** the status line of the list item that names path */
  rowStatus: (path) => {
    const row = q.all('listitem').find((li) => li.textContent.includes(path));
    return row ? q.text(q.get('status', undefined, row)) : null;
  },
  click: (role, name) => {
    const el = q.get(role, name);
    if (!el) throw new Error('no ' + role + ' named ' + name);
    el.click();
  },
  /** Sets a React-controlled field's value the way typing would (the native setter, then an input event). */
  fill: (name, value) => {
    const el = q.get('*', name);
    if (!el) throw new Error('no field named ' + name);
    const proto = el.tagName === 'SELECT' ? HTMLSelectElement.prototype : el.tagName === 'TEXTAREA' ? HTMLTextAreaElement.prototype : HTMLInputElement.prototype;
    Object.getOwnPropertyDescriptor(proto, 'value').set.call(el, value);
    el.dispatchEvent(new Event(el.tagName === 'SELECT' ? 'change' : 'input', { bubbles: true }));
  },
  /** Marks a file input so the driver can find it by CSS; returns the selector. */
  mark: (name) => {
    const el = q.all('file', name)[0];
    if (!el) throw new Error('no file input named ' + name);
    const token = Math.random().toString(36).slice(2);
    el.setAttribute('data-test-target', token);
    return '[data-test-target="' + token + '"]';
  },
};
`;

/** Source of an expression that runs `fn(q, ...args)` in the page with the helpers above. */
export function inPage(fn: string, args: unknown[]): string {
  return `(async () => { ${DOM_HELPERS}; return await (${fn})(q, ...${JSON.stringify(args)}); })()`;
}
