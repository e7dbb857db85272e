/**
 * One visit to a share link: opens it, asks for the password when it has one, previews and
 * downloads the file, and says how each ended. A state machine (states.ts) driven by the
 * download engine; no React here: the page subscribes, renders snapshots and forwards intents.
 *
 * The engine is a small injected interface (the browser's is ui/download-engine.ts), so the
 * session's tests stub it and changes inside src/download/* stay one adaptation there.
 * Every piece of work holds an AbortSignal: closing the page aborts all of it; closing a preview,
 * or starting a download, aborts the preview and releases what it held (an object URL, a media
 * stream); the Cancel button aborts the download.
 */
import { FILE_ID_PATTERN } from '../contract/limits.ts';
import { WrongKeyError } from '../crypto/errors.ts';
import { isAbort, LinkError, TransferError } from '../errors.ts';
import { SpeedMeter } from '../transfer/speed.ts';
import type { DataObject } from './data-object.ts';
import type { LinkObjects, OpenedLink, Sink } from './downloader.ts';
import type { PreviewKind } from './preview.ts';
import { type DownloadEvent, type DownloadState, holdsPreview, type LinkProblem, OPENING, type Preview, transition } from './states.ts';

/** A preview on show, and how to let go of it (revoke its object URL, close its media stream). */
export interface ShownPreview {
  preview: Preview;
  release: () => void;
}

/** What the session needs of the download engine (src/download/*) and the browser. */
export interface DownloadEngine {
  /** `/d/<id>` and `#<secret>`; throws (BadLink) when either is malformed */
  parseLink(pathname: string, hash: string): { id: string; secret: Uint8Array };
  /** The file info and meta object; whether the link needs a password */
  fetchLink(id: string, secret: Uint8Array, signal: AbortSignal): Promise<LinkObjects>;
  /** Throws WrongKeyError when the secret (and password) do not open the meta object */
  unlockLink(objects: LinkObjects, secret: Uint8Array, password?: string): Promise<OpenedLink>;
  /** Checks the data object's header, binding and size before anything is written; its reads run under `signal` */
  openDataObject(link: OpenedLink, signal: AbortSignal): Promise<DataObject>;
  /** Streams the whole file into `sink`, in order; aborts the sink on any failure */
  downloadTo(data: DataObject, sink: Sink, onProgress: (bytesDone: number) => void): Promise<void>;
  /**
   * The browser's save dialog where it has one (null elsewhere); rejects with an AbortError when
   * the person closes it. Called straight from the click: the dialog needs the person's gesture.
   */
  pickSaveFile(name: string): Promise<Sink | null>;
  /** A browser download of `name`; `onCancel` runs when the person cancels it in the browser */
  openDownloadSink(name: string, size: number, onCancel: () => void): Promise<Sink>;
  /** `onError`: a streaming preview's later failure (a tampered frame met while playing) */
  openPreview(link: OpenedLink, kind: PreviewKind, signal: AbortSignal, onError: (error: unknown) => void): Promise<ShownPreview>;
  /** The operator's "report abuse" address, or null */
  abuseContact(): Promise<string | null>;
}

export interface DownloadSessionOptions {
  engine: DownloadEngine;
  /** the page's one mapping from errors to words (ui/messages.ts) */
  describe: (error: unknown) => string;
  /** the share link: `location.pathname` and `location.hash` */
  pathname: string;
  hash: string;
}

/** What the page renders. */
export interface DownloadSnapshot {
  page: DownloadState;
  /** the abuse report link, when the operator has an address */
  abuseHref: string | null;
}

/** The preview being loaded or shown; `release` once it is shown. */
interface HeldPreview {
  controller: AbortController;
  release?: () => void;
}

const FILE_ID = new RegExp(FILE_ID_PATTERN);

/** The report names the file id (never the secret, which stays in this page). */
export function abuseHref(contact: string, pathname: string): string {
  const id = pathname.split('/')[2];
  if (!id || !FILE_ID.test(id)) return contact;
  return contact.startsWith('mailto:') ? `${contact}?subject=${encodeURIComponent(`Cipherdrop abuse report: file ${id}`)}` : contact;
}

export function linkProblem(error: unknown): LinkProblem {
  if (error instanceof WrongKeyError) return 'wrongKey';
  if (error instanceof LinkError && error.code === 'BadLink') return 'malformed';
  if (error instanceof TransferError) {
    if (error.code === 'NotFound') return 'missing';
    if (error.code === 'Expired') return 'expired';
  }
  return 'unreadable';
}

export class DownloadSession {
  private state: DownloadState = OPENING;
  private snapshot: DownloadSnapshot = { page: OPENING, abuseHref: null };
  private readonly listeners = new Set<() => void>();
  private contact: string | null = null;
  private secret: Uint8Array | null = null;
  /** Opening and unlocking the link; aborted by close(). */
  private visit = new AbortController();
  private heldPreview: HeldPreview | null = null;
  /** The download under way: aborted by Cancel, by the browser's own cancel, and by close(). */
  private downloading: AbortController | null = null;
  private askedContact = false;

  constructor(private readonly options: DownloadSessionOptions) {}

  /** For useSyncExternalStore (a property, so it can be passed unbound). */
  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  getSnapshot = (): DownloadSnapshot => this.snapshot;

  /** Opens the link, from the start: also after close() (React's strict mode mounts twice). */
  open(): void {
    this.close();
    this.visit = new AbortController();
    this.state = OPENING;
    this.publish();
    if (!this.askedContact) {
      this.askedContact = true;
      this.options.engine.abuseContact().then(
        (contact) => {
          this.contact = contact;
          this.publish();
        },
        () => undefined,
      );
    }
    void this.openLink(this.visit.signal);
  }

  /** Ends everything under way: the page is going away. */
  close(): void {
    this.visit.abort();
    this.stopPreview();
    this.downloading?.abort();
    this.downloading = null;
  }

  unlock(password: string): void {
    const s = this.state;
    const secret = this.secret;
    if (s.state !== 'password' || !secret) return;
    const signal = this.visit.signal;
    this.apply({ type: 'unlock' });
    this.options.engine.unlockLink(s.objects, secret, password).then(
      (link) => {
        if (!signal.aborted) this.apply({ type: 'unlocked', link });
      },
      (error: unknown) => {
        if (!signal.aborted) this.apply(error instanceof WrongKeyError ? { type: 'wrongPassword' } : this.unavailable(error));
      },
    );
  }

  /** Shows the file in the page, where its kind allows (states.ts `previewKind`). */
  showPreview(): void {
    const s = this.state;
    if (s.state !== 'ready' || !s.previewKind) return;
    const held: HeldPreview = { controller: new AbortController() };
    this.heldPreview = held;
    this.apply({ type: 'preview' });
    const signal = held.controller.signal;
    // Only the preview still held counts: one closed or replaced was aborted and is let go of here.
    const current = () => this.heldPreview === held && !signal.aborted;
    const fail = (error: unknown) => {
      if (current()) this.apply({ type: 'fail', message: this.options.describe(error) });
    };
    this.options.engine.openPreview(s.link, s.previewKind, signal, fail).then((shown) => {
      if (!current()) return shown.release();
      held.release = shown.release;
      this.apply({ type: 'previewShown', preview: shown.preview });
    }, fail);
  }

  closePreview(): void {
    this.apply({ type: 'closePreview' });
  }

  /** Saves the file: into a picked file where the browser offers the dialog, else a browser download. */
  startDownload(): void {
    const s = this.state;
    if (s.state !== 'ready' && !holdsPreview(s)) return;
    // First, while the click still counts as the person's gesture: the dialog asking where to save.
    const picking = this.options.engine.pickSaveFile(s.link.meta.name);
    this.apply({ type: 'download' });
    void this.save(s.link, picking);
  }

  /** Cancels the download under way; what was written so far is discarded by its sink. */
  cancelDownload(): void {
    this.downloading?.abort();
  }

  private async openLink(signal: AbortSignal): Promise<void> {
    const { engine } = this.options;
    try {
      const { id, secret } = engine.parseLink(this.options.pathname, this.options.hash);
      this.secret = secret;
      const objects = await engine.fetchLink(id, secret, signal);
      if (signal.aborted) return;
      if (objects.passwordParams) return void this.apply({ type: 'locked', objects });
      const link = await engine.unlockLink(objects, secret);
      if (!signal.aborted) this.apply({ type: 'unlocked', link });
    } catch (error) {
      if (!signal.aborted) this.apply(this.unavailable(error));
    }
  }

  private unavailable(error: unknown): DownloadEvent {
    return { type: 'unavailable', problem: linkProblem(error), message: this.options.describe(error) };
  }

  private async save(link: OpenedLink, picking: Promise<Sink | null>): Promise<void> {
    const { engine, describe } = this.options;
    let picked: Sink | null;
    try {
      picked = await picking;
    } catch (error) {
      // The person closed the save dialog: nothing to do.
      this.apply(isAbort(error) ? { type: 'pickCancelled' } : { type: 'fail', message: describe(error) });
      return;
    }
    if (this.state.state !== 'choosingSink' || this.visit.signal.aborted) {
      await picked?.abort(new TransferError('Aborted', 'The page was closed'));
      return;
    }
    const controller = new AbortController();
    this.downloading = controller;
    const { signal } = controller;
    const meter = new SpeedMeter(link.meta.size);
    this.apply({ type: 'saving', where: picked ? 'file' : 'download', progress: meter.reading(0) });
    try {
      let data: DataObject;
      try {
        data = await engine.openDataObject(link, signal);
      } catch (error) {
        await picked?.abort(error);
        throw error;
      }
      // A browser download is started only for a file whose header proved sound: a wrong key or a
      // swapped object fails above, before the browser lists a download that can only fail.
      const sink = picked ?? (await engine.openDownloadSink(link.meta.name, link.meta.size, () => controller.abort()));
      await engine.downloadTo(data, sink, (done) => this.apply({ type: 'progress', progress: meter.sample(done) }));
      this.apply({ type: 'saved' });
    } catch (error) {
      this.apply(isAbort(error) || signal.aborted ? { type: 'cancelled' } : { type: 'fail', message: describe(error) });
    } finally {
      if (this.downloading === controller) this.downloading = null;
    }
  }

  /** Applies an event; false when it did not apply in the current state. */
  private apply(event: DownloadEvent): boolean {
    const previous = this.state;
    const next = transition(previous, event);
    if (next === previous) return false;
    this.state = next;
    if (holdsPreview(previous) && !holdsPreview(next)) this.stopPreview();
    this.publish();
    return true;
  }

  private stopPreview(): void {
    const held = this.heldPreview;
    this.heldPreview = null;
    held?.controller.abort();
    held?.release?.();
  }

  private publish(): void {
    const contact = this.contact;
    this.snapshot = { page: this.state, abuseHref: contact && abuseHref(contact, this.options.pathname) };
    for (const listener of this.listeners) listener();
  }
}
