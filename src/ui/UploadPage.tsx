/** The upload page: renders the page controller's snapshots (upload/page-controller.ts) and forwards what the person does. */
import { useEffect, useSyncExternalStore } from 'react';
import { PageSets } from '../sets/page-sets.ts';
import { clearStaleSpool } from '../transfer/spool.ts';
import {
  EXPIRY_CHOICES,
  type ExpiryChoice,
  LINK_MODES,
  type LinkMode,
  MAX_CUSTOM_HOURS,
  MIN_CUSTOM_HOURS,
  UploadPageController,
  type UploadPageSnapshot,
} from '../upload/page-controller.ts';
import { UploadQueue } from '../upload/queue.ts';
import { IndexedDbResumeStore, MemoryResumeStore } from '../upload/resume-store.ts';
import { api, pageApi } from './api.ts';
import { describeError } from './messages.ts';
import { sharedPool } from './pool.ts';
import { UploadArea } from './UploadArea.tsx';

let controller: UploadPageController | undefined;
/** One queue and controller for the page; IndexedDB where the browser allows it (not in some private modes). */
function pageController(): UploadPageController {
  if (controller) return controller;
  const store = typeof indexedDB === 'undefined' ? new MemoryResumeStore() : new IndexedDbResumeStore();
  const queue = new UploadQueue({ api, runner: sharedPool(), store, describe: describeError });
  let current = api;
  const sets = new PageSets(queue, () => current, describeError, store);
  const setToken = (token: string | undefined) => {
    current = pageApi(token);
    queue.setApi(current);
  };
  controller = new UploadPageController({ queue, api, setToken, clearStaleSpool, describe: describeError, sets });
  return controller;
}

const customHint = (hours: number, valid: boolean): string =>
  !valid ? `1 to ${MAX_CUSTOM_HOURS} hours` : hours < 48 ? `${hours} hours` : `about ${Math.round(hours / 24)} days`;

function Options({ s, c }: { s: UploadPageSnapshot; c: UploadPageController }) {
  return (
    <fieldset className="options">
      <legend>Before you choose files</legend>
      <label>
        Expires after{' '}
        <select value={s.expiry} onChange={(e) => c.setExpiry(e.currentTarget.value as ExpiryChoice)}>
          {EXPIRY_CHOICES.map(({ value, label }) => (
            <option key={value} value={value}>
              {label}
            </option>
          ))}
        </select>
      </label>
      {s.expiry === 'custom' && (
        <label>
          Hours{' '}
          <input
            type="number"
            inputMode="numeric"
            min={MIN_CUSTOM_HOURS}
            max={MAX_CUSTOM_HOURS}
            value={Number.isFinite(s.customHours) ? s.customHours : ''}
            aria-invalid={!s.customValid}
            aria-describedby="custom-hint"
            onChange={(e) => c.setCustomHours(e.currentTarget.valueAsNumber)}
          />
          <span id="custom-hint" className={s.customValid ? 'hint' : 'hint error'}>
            {customHint(s.customHours, s.customValid)}
          </span>
        </label>
      )}
      <label>
        Several files{' '}
        <select value={s.linkMode} onChange={(e) => c.setLinkMode(e.currentTarget.value as LinkMode)}>
          {LINK_MODES.map(({ value, label }) => (
            <option key={value} value={value}>
              {label}
            </option>
          ))}
        </select>
      </label>
      {s.needsToken && (
        <label>
          Access token <input type="password" autoComplete="off" onChange={(e) => c.setToken(e.currentTarget.value)} />
        </label>
      )}
      <label>
        Password (optional) <input type="password" autoComplete="new-password" value={s.password} onChange={(e) => c.setPassword(e.currentTarget.value)} />
      </label>
    </fieldset>
  );
}

export function UploadPage() {
  const c = pageController();
  const s = useSyncExternalStore(c.subscribe, c.getSnapshot);
  useEffect(() => c.start(), [c]);
  return (
    <main>
      <h1>Cipherdrop</h1>
      <p className="lede">
        Files are encrypted in your browser before upload. The key lives only in the share link, after the #: the server and the storage never see it.
      </p>
      <Options s={s} c={c} />
      <UploadArea c={c} s={s} />
      <p>
        <a href="/request">Ask someone to send you files</a>: only you will be able to open them.
      </p>
    </main>
  );
}
