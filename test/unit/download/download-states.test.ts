import { describe, expect, it } from 'vitest';
import type { LinkObjects, OpenedLink } from '../../../src/download/downloader.ts';
import {
  type DownloadEvent,
  type DownloadState,
  type DownloadStateName,
  holdsPreview,
  OPENING,
  openedLink,
  readyState,
  transition,
} from '../../../src/download/states.ts';

const progress = { done: 5, total: 10, speed: 1, eta: 5 };
const objects = { id: 'i' } as LinkObjects;
const fileOf = (type: string, size = 10) => ({ id: 'i', meta: { name: 'f', type, size } }) as OpenedLink;
const link = fileOf('image/png');
const preview = { kind: 'image', url: 'blob:x' } as const;

const one: Record<DownloadStateName, DownloadState> = {
  opening: OPENING,
  password: { state: 'password', objects, wrong: false },
  unlocking: { state: 'unlocking', objects, wrong: false },
  unavailable: { state: 'unavailable', problem: 'missing', message: 'gone' },
  ready: readyState(link),
  loadingPreview: { state: 'loadingPreview', link, previewKind: 'image' },
  previewing: { state: 'previewing', link, previewKind: 'image', preview },
  choosingSink: { state: 'choosingSink', link },
  downloading: { state: 'downloading', link, where: 'download', progress },
  done: { state: 'done', link, where: 'download' },
  cancelled: { state: 'cancelled', link },
  failed: { state: 'failed', link, message: 'm' },
};
const events: Record<DownloadEvent['type'], DownloadEvent> = {
  locked: { type: 'locked', objects },
  unlock: { type: 'unlock' },
  wrongPassword: { type: 'wrongPassword' },
  unlocked: { type: 'unlocked', link },
  unavailable: { type: 'unavailable', problem: 'expired', message: 'expired' },
  preview: { type: 'preview' },
  previewShown: { type: 'previewShown', preview },
  closePreview: { type: 'closePreview' },
  download: { type: 'download' },
  pickCancelled: { type: 'pickCancelled' },
  saving: { type: 'saving', where: 'file', progress },
  progress: { type: 'progress', progress },
  saved: { type: 'saved' },
  cancelled: { type: 'cancelled' },
  fail: { type: 'fail', message: 'boom' },
};

/** Every (state, event) pair that changes the state, and into what; all others leave it as it is. */
const MOVES: Record<string, DownloadStateName> = {
  'opening locked': 'password',
  'opening unlocked': 'ready',
  'opening unavailable': 'unavailable',
  'password unlock': 'unlocking',
  'unlocking wrongPassword': 'password',
  'unlocking unlocked': 'ready',
  'unlocking unavailable': 'unavailable',
  'ready preview': 'loadingPreview',
  'ready download': 'choosingSink',
  'loadingPreview previewShown': 'previewing',
  'loadingPreview closePreview': 'ready',
  'loadingPreview download': 'choosingSink',
  'loadingPreview fail': 'failed',
  'previewing closePreview': 'ready',
  'previewing download': 'choosingSink',
  'previewing fail': 'failed',
  'choosingSink pickCancelled': 'ready',
  'choosingSink saving': 'downloading',
  'choosingSink fail': 'failed',
  'downloading progress': 'downloading',
  'downloading saved': 'done',
  'downloading cancelled': 'cancelled',
  'downloading fail': 'failed',
};

describe('download state machine', () => {
  for (const [stateName, state] of Object.entries(one)) {
    for (const [eventName, event] of Object.entries(events)) {
      const to = MOVES[`${stateName} ${eventName}`];
      it(`${stateName} + ${eventName} → ${to ?? 'unchanged'}`, () => {
        const next = transition(state, event);
        if (to) expect(next.state).toBe(to);
        else expect(next).toBe(state);
      });
    }
  }

  it('a wrong password asks again and says so; the answer shows while the next one is checked', () => {
    let s = transition(one.opening, events.locked);
    expect(s).toEqual({ state: 'password', objects, wrong: false });
    s = transition(transition(s, events.unlock), events.wrongPassword);
    expect(s).toEqual({ state: 'password', objects, wrong: true });
    s = transition(s, events.unlock);
    expect(s).toEqual({ state: 'unlocking', objects, wrong: true });
    expect(transition(s, events.unlocked)).toEqual(readyState(link));
  });

  it('offers a preview only of kinds the page shows, and keeps that through a closed preview and a cancelled save dialog', () => {
    expect(readyState(fileOf('text/html'))).toMatchObject({ state: 'ready', previewKind: null });
    expect(transition(readyState(fileOf('text/html')), events.preview)).toEqual(readyState(fileOf('text/html')));
    expect(readyState(fileOf('video/webm', 10 ** 12))).toMatchObject({ previewKind: 'video' });
    expect(transition(one.previewing, events.closePreview)).toEqual(one.ready);
    expect(transition(one.choosingSink, events.pickCancelled)).toEqual(one.ready);
  });

  it('remembers where the file goes from the sink chosen to the end, and keeps the file on show after a failure', () => {
    const downloading = transition(one.choosingSink, events.saving);
    expect(downloading).toEqual({ state: 'downloading', link, where: 'file', progress });
    const later = { ...progress, done: 9 };
    expect(transition(downloading, { type: 'progress', progress: later })).toEqual({ state: 'downloading', link, where: 'file', progress: later });
    expect(transition(downloading, events.saved)).toEqual({ state: 'done', link, where: 'file' });
    expect(transition(downloading, events.fail)).toEqual({ state: 'failed', link, message: 'boom' });
    expect(transition(one.opening, events.unavailable)).toEqual({ state: 'unavailable', problem: 'expired', message: 'expired' });
  });

  it('names the states that hold a preview and those that show the file', () => {
    const holding = Object.values(one)
      .filter(holdsPreview)
      .map((s) => s.state);
    expect(holding).toEqual(['loadingPreview', 'previewing']);
    const showing = Object.values(one)
      .filter((s) => openedLink(s) !== null)
      .map((s) => s.state);
    expect(showing).toEqual(['ready', 'loadingPreview', 'previewing', 'choosingSink', 'downloading', 'done', 'cancelled', 'failed']);
  });
});
