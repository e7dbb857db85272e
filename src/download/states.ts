/**
 * The life of a share link in the download page, as a discriminated union and one pure transition
 * function (like the upload states in upload/states.ts), so impossible states cannot be written
 * and every (state, event) pair is unit-tested.
 *
 *   opening ──locked──▶ password ──unlock──▶ unlocking ──wrongPassword──▶ password (wrong)
 *      │                                        │
 *      ├──unlocked──────────────────────────────┴──unlocked──▶ ready
 *      └──unavailable (opening, unlocking)──▶ unavailable: malformed, missing, expired, wrongKey, unreadable
 *
 *   ready ──preview──▶ loadingPreview ──previewShown──▶ previewing
 *   loadingPreview, previewing ──closePreview──▶ ready
 *   ready, loadingPreview, previewing ──download──▶ choosingSink ──pickCancelled──▶ ready
 *   choosingSink ──saving──▶ downloading ──saved──▶ done
 *                                 └──cancelled──▶ cancelled
 *   loadingPreview, previewing, choosingSink, downloading ──fail──▶ failed
 *
 * `unavailable` is a link that never opened (the page shows no file); `failed` and `cancelled`
 * keep the opened file on show with the reason. Neither offers a retry, as before: opening the
 * link again starts afresh. Starting a download ends a preview (the session aborts it), and the
 * save dialog's Cancel leaves the file ready again. `choosingSink` is the browser's save dialog
 * (File System Access) while it is open; without one it lasts a moment.
 */
import type { Progress } from '../transfer/speed.ts';
import type { LinkObjects, OpenedLink } from './downloader.ts';
import { type PreviewKind, previewKind } from './preview.ts';

/** Why a link did not open: the page names each (ui/messages.ts words the error itself). */
export type LinkProblem = 'malformed' | 'missing' | 'expired' | 'wrongKey' | 'unreadable';

/** What a preview shows: an object or media URL for the element, or the start of a text file. */
export type Preview = { kind: Exclude<PreviewKind, 'text'>; url: string } | { kind: 'text'; text: string; truncated: boolean };

/** Where a download goes: a file the person picked (File System Access), or a browser download. */
export type SaveTarget = 'file' | 'download';

export type DownloadState =
  | { state: 'opening' }
  | { state: 'password'; objects: LinkObjects; wrong: boolean }
  /** The password is being checked (key derivation takes about a second); `wrong` is the last answer's. */
  | { state: 'unlocking'; objects: LinkObjects; wrong: boolean }
  | { state: 'unavailable'; problem: LinkProblem; message: string }
  /** `previewKind`: what the page may preview of this file, null for download-only files */
  | { state: 'ready'; link: OpenedLink; previewKind: PreviewKind | null }
  | { state: 'loadingPreview'; link: OpenedLink; previewKind: PreviewKind }
  | { state: 'previewing'; link: OpenedLink; previewKind: PreviewKind; preview: Preview }
  | { state: 'choosingSink'; link: OpenedLink }
  | { state: 'downloading'; link: OpenedLink; where: SaveTarget; progress: Progress }
  | { state: 'done'; link: OpenedLink; where: SaveTarget }
  | { state: 'cancelled'; link: OpenedLink }
  | { state: 'failed'; link: OpenedLink; message: string };

export type DownloadStateName = DownloadState['state'];

export type DownloadEvent =
  | { type: 'locked'; objects: LinkObjects }
  | { type: 'unlock' }
  | { type: 'wrongPassword' }
  | { type: 'unlocked'; link: OpenedLink }
  | { type: 'unavailable'; problem: LinkProblem; message: string }
  | { type: 'preview' }
  | { type: 'previewShown'; preview: Preview }
  | { type: 'closePreview' }
  | { type: 'download' }
  | { type: 'pickCancelled' }
  | { type: 'saving'; where: SaveTarget; progress: Progress }
  | { type: 'progress'; progress: Progress }
  | { type: 'saved' }
  | { type: 'cancelled' }
  | { type: 'fail'; message: string };

export const OPENING: DownloadState = { state: 'opening' };

export function readyState(link: OpenedLink): DownloadState {
  return { state: 'ready', link, previewKind: previewKind(link.meta.type, link.meta.size) };
}

/** The file a state shows, once the link is open. */
export function openedLink(s: DownloadState): OpenedLink | null {
  return 'link' in s ? s.link : null;
}

/** States that hold a preview (loading or shown): leaving them ends it. */
export function holdsPreview(s: DownloadState): s is Extract<DownloadState, { state: 'loadingPreview' | 'previewing' }> {
  return s.state === 'loadingPreview' || s.state === 'previewing';
}

/** The next state, or the same object when the event does not apply (a late result after a cancel…). */
export function transition(s: DownloadState, e: DownloadEvent): DownloadState {
  switch (e.type) {
    case 'locked':
      return s.state === 'opening' ? { state: 'password', objects: e.objects, wrong: false } : s;
    case 'unlock':
      return s.state === 'password' ? { state: 'unlocking', objects: s.objects, wrong: s.wrong } : s;
    case 'wrongPassword':
      return s.state === 'unlocking' ? { state: 'password', objects: s.objects, wrong: true } : s;
    case 'unlocked':
      return s.state === 'opening' || s.state === 'unlocking' ? readyState(e.link) : s;
    case 'unavailable':
      return s.state === 'opening' || s.state === 'unlocking' ? { state: 'unavailable', problem: e.problem, message: e.message } : s;
    case 'preview':
      return s.state === 'ready' && s.previewKind ? { state: 'loadingPreview', link: s.link, previewKind: s.previewKind } : s;
    case 'previewShown':
      return s.state === 'loadingPreview' ? { state: 'previewing', link: s.link, previewKind: s.previewKind, preview: e.preview } : s;
    case 'closePreview':
      return holdsPreview(s) ? readyState(s.link) : s;
    case 'download':
      return s.state === 'ready' || holdsPreview(s) ? { state: 'choosingSink', link: s.link } : s;
    case 'pickCancelled':
      return s.state === 'choosingSink' ? readyState(s.link) : s;
    case 'saving':
      return s.state === 'choosingSink' ? { state: 'downloading', link: s.link, where: e.where, progress: e.progress } : s;
    case 'progress':
      return s.state === 'downloading' ? { ...s, progress: e.progress } : s;
    case 'saved':
      return s.state === 'downloading' ? { state: 'done', link: s.link, where: s.where } : s;
    case 'cancelled':
      return s.state === 'downloading' ? { state: 'cancelled', link: s.link } : s;
    case 'fail':
      return holdsPreview(s) || s.state === 'choosingSink' || s.state === 'downloading' ? { state: 'failed', link: s.link, message: e.message } : s;
  }
}
