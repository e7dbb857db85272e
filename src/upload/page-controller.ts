/**
 * The upload page's own logic, around the queue: the options files are sent with (expiry and its
 * bounds, password, access token), the totals line, and what the live region announces. No React
 * here: the page subscribes, renders snapshots and forwards what the person does.
 */
import { MAX_EXPIRY_SECONDS } from '../contract/limits.ts';
import type { PageSets, SetView } from '../sets/page-sets.ts';
import type { Api } from '../transfer/api.ts';
import type { Progress } from '../transfer/speed.ts';
import type { FileOptions, QueueEntry, UploadQueue } from './queue.ts';
import { allowed, isLive, type StateName, type UploadState } from './states.ts';
import type { RequestTarget } from './uploader.ts';

const HOUR = 3600;
const DAY = 24 * HOUR;

export type ExpiryChoice = 'hour' | 'day' | 'week' | 'month' | 'custom' | 'never';

/** How several files chosen together are shared: `auto` gives a folder one link and loose files a link each. */
export type LinkMode = 'auto' | 'one' | 'each';
export const LINK_MODES: { value: LinkMode; label: string }[] = [
  { value: 'auto', label: 'One link for a folder, a link each for files' },
  { value: 'one', label: 'One link for all of them' },
  { value: 'each', label: 'A link for each file' },
];

/** Whether these picked files go behind one link (a set: docs/SETS.md). */
export function oneLinkFor(mode: LinkMode, files: readonly { path?: string }[]): boolean {
  if (mode === 'each' || files.length === 0) return false;
  return mode === 'one' ? files.length > 1 : files.some((f) => f.path?.includes('/'));
}

/** A set's name in the list: the folder all its files are in, or how many files it holds. */
export function setLabel(files: readonly { path?: string }[]): string {
  const tops = new Set(files.map((f) => (f.path?.includes('/') ? f.path.split('/')[0] : '')));
  const [top] = tops;
  return tops.size === 1 && top ? top : `${files.length} files`;
}

/** The choices offered, in order; `custom` asks for a number of hours. */
export const EXPIRY_CHOICES: { value: ExpiryChoice; label: string; seconds?: number }[] = [
  { value: 'hour', label: '1 hour', seconds: HOUR },
  { value: 'day', label: '1 day', seconds: DAY },
  { value: 'week', label: '7 days', seconds: 7 * DAY },
  { value: 'month', label: '30 days', seconds: 30 * DAY },
  { value: 'custom', label: 'Custom…' },
  { value: 'never', label: 'Never' },
];
export const DEFAULT_EXPIRY: ExpiryChoice = 'week';
export const DEFAULT_CUSTOM_HOURS = 48;
/** An hour at least (the server allows a minute, too short to share a link); the server's year at most. */
export const MIN_CUSTOM_HOURS = 1;
export const MAX_CUSTOM_HOURS = MAX_EXPIRY_SECONDS / HOUR;

export const customHoursValid = (hours: number): boolean => Number.isFinite(hours) && hours >= MIN_CUSTOM_HOURS && hours <= MAX_CUSTOM_HOURS;

/** Seconds until the link expires; undefined for never. */
export function expiresInSeconds(choice: ExpiryChoice, customHours: number): number | undefined {
  if (choice === 'custom') return Math.round(customHours * HOUR);
  return EXPIRY_CHOICES.find((c) => c.value === choice)?.seconds;
}

export function percentOf(done: number, size: number): number {
  return size ? Math.floor((100 * done) / size) : 0;
}

/** Bytes sent of a file in state `s`, as its bar shows them (a completing file has sent all). */
export function doneBytes(s: UploadState, size: number): number {
  if (s.state === 'done' || s.state === 'completing') return size;
  return 'progress' in s && s.progress ? s.progress.done : 0;
}

/** The line above the list: the files still under way, together, and what can be done to all. */
export interface Totals {
  files: number;
  percent: number;
  progress: Progress;
  canPauseAll: boolean;
  canResumeAll: boolean;
  canCancelAll: boolean;
}

export function totalsOf(entries: QueueEntry[]): Totals | null {
  const live = entries.filter((e) => isLive(e.state));
  if (live.length === 0) return null;
  const total = live.reduce((n, e) => n + e.size, 0);
  const done = live.reduce((n, e) => n + doneBytes(e.state, e.size), 0);
  const speed = live.reduce((n, e) => n + (e.state.state === 'uploading' ? (e.state.progress.speed ?? 0) : 0), 0);
  return {
    files: live.length,
    percent: percentOf(done, total),
    progress: { done, total, speed: speed || null, eta: speed > 0 ? (total - done) / speed : null },
    canPauseAll: live.some((e) => allowed(e.state).pause),
    canResumeAll: live.some((e) => allowed(e.state).resume && e.hasFile),
    canCancelAll: live.some((e) => allowed(e.state).cancel),
  };
}

/** What the live region says when a file reaches a state; other states are not announced. */
const ANNOUNCED: Partial<Record<StateName, string>> = {
  failed: 'upload failed.',
  cancelled: 'cancelled.',
  paused: 'paused.',
};

/** Turns queue snapshots into lines for the live region: states reached, and progress by quarters, not on every part. */
export class Announcer {
  private readonly seen = new Map<number, StateName>();
  private readonly lastQuarter = new Map<number, number>();

  lines(entries: QueueEntry[]): string[] {
    const lines: string[] = [];
    for (const e of entries) {
      const s = e.state;
      if (this.seen.get(e.key) !== s.state) {
        this.seen.set(e.key, s.state);
        const said = s.state === 'done' ? (s.result.requestId ? 'is sent.' : 'is uploaded. Its share link is ready.') : ANNOUNCED[s.state];
        if (said) lines.push(`${e.path} ${said}`);
      }
      if (s.state === 'uploading') {
        const quarter = Math.floor(percentOf(s.progress.done, e.size) / 25);
        if (quarter > (this.lastQuarter.get(e.key) ?? 0)) {
          this.lastQuarter.set(e.key, quarter);
          if (quarter < 4) lines.push(`${e.path}: ${quarter * 25}% uploaded.`);
        }
      }
    }
    return lines;
  }
}

/** What the page does with the queue (an UploadQueue; a fake in tests). */
export type PageQueue = Pick<
  UploadQueue,
  'subscribe' | 'getSnapshot' | 'add' | 'restore' | 'pause' | 'resume' | 'retry' | 'cancel' | 'pauseAll' | 'resumeAll' | 'cancelAll'
>;

export interface UploadPageOptions {
  queue: PageQueue;
  api: Pick<Api, 'config' | 'deleteFile'>;
  /** the access token for the API's next upload calls (undefined: none) */
  setToken: (token: string | undefined) => void;
  /** housekeeping as the page opens: spool files an earlier visit left */
  clearStaleSpool: () => Promise<void>;
  /** the page's one mapping from errors to words (ui/messages.ts) */
  describe: (error: unknown) => string;
  /** files shared behind one link; absent on a request's page */
  sets?: PageSets;
}

export interface UploadPageSnapshot {
  entries: QueueEntry[];
  sets: SetView[];
  linkMode: LinkMode;
  expiry: ExpiryChoice;
  customHours: number;
  customValid: boolean;
  /** files can be chosen: not while a custom expiry is out of bounds */
  canChoose: boolean;
  password: string;
  /** the server does not allow open uploads: the page asks for an access token */
  needsToken: boolean;
  /** why dropped files could not be read */
  dropError: string | null;
  /** unfinished uploads from an earlier visit, waiting for their file to be picked again */
  waiting: number;
  totals: Totals | null;
  /** the live region's text: the latest lines, kept until there are new ones */
  announcement: string;
}

export class UploadPageController {
  private expiry: ExpiryChoice = DEFAULT_EXPIRY;
  private customHours = DEFAULT_CUSTOM_HOURS;
  private password = '';
  private linkMode: LinkMode = 'auto';
  /** a request link's page: files go to this request, with this message */
  private request: RequestTarget | null = null;
  private needsToken = false;
  private dropError: string | null = null;
  private announcement = '';
  private readonly announcer = new Announcer();
  /** Lines from queue changes not yet published: a burst of changes is announced together. */
  private pendingLines: string[] = [];
  private flushScheduled = false;
  private started = false;
  private snapshot: UploadPageSnapshot;
  private readonly listeners = new Set<() => void>();

  constructor(private readonly options: UploadPageOptions) {
    this.snapshot = this.build();
    options.queue.subscribe(() => this.queueChanged());
    options.sets?.subscribe(() => this.queueChanged());
  }

  get queue(): PageQueue {
    return this.options.queue;
  }

  get sets(): PageSets | undefined {
    return this.options.sets;
  }

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  getSnapshot = (): UploadPageSnapshot => this.snapshot;

  /** Once per page: clears stale spool files, restores unfinished uploads, asks whether a token is needed. */
  start(): void {
    if (this.started) return;
    this.started = true;
    void this.options.clearStaleSpool().catch(() => undefined);
    void this.options.queue.restore();
    void this.options.sets?.restore();
    this.options.api.config().then(
      (config) => {
        this.needsToken = !config.openUploads;
        this.publish();
      },
      () => undefined,
    );
  }

  setExpiry = (choice: ExpiryChoice): void => this.update(() => (this.expiry = choice));
  setCustomHours = (hours: number): void => this.update(() => (this.customHours = hours));
  setPassword = (password: string): void => this.update(() => (this.password = password));
  setLinkMode = (mode: LinkMode): void => this.update(() => (this.linkMode = mode));
  setToken = (token: string): void => this.options.setToken(token || undefined);
  /** A request link's page: from now on files are sent to this request (no expiry or password of their own). */
  setRequest = (request: RequestTarget | null): void => this.update(() => (this.request = request));
  setMessage = (message: string): void =>
    this.update(() => {
      if (this.request) this.request = { ...this.request, message: message || undefined };
    });

  /**
   * Adds picked files with the options as they are now: options apply to the files chosen after
   * they are set. `dirs`: a picked folder's empty folders (only a set keeps them).
   */
  add = (files: { file: File; path?: string }[], dirs: string[] = []): void => {
    this.update(() => (this.dropError = null));
    if (this.request) return void this.options.queue.add(files, { request: this.request });
    const options: FileOptions = { password: this.password || undefined, expiresInSeconds: expiresInSeconds(this.expiry, this.customHours) };
    const { sets } = this.options;
    if (sets && oneLinkFor(this.linkMode, files)) {
      const picked = files.map(({ file, path }) => ({ file, path: path ?? file.name }));
      sets.start(
        picked,
        dirs,
        options,
        setLabel(files),
        picked.some((f) => f.path.includes('/')),
      );
      return;
    }
    void this.options.queue.add(files, options);
  };

  dropFailed = (error: unknown): void => this.update(() => (this.dropError = this.options.describe(error)));

  /** Deletes an uploaded file early; the owner token never left this page (it is not in the link). */
  deleteFile = (id: string, ownerToken: string): Promise<unknown> => this.options.api.deleteFile(id, ownerToken);

  private update(change: () => void): void {
    change();
    this.publish();
  }

  private queueChanged(): void {
    this.pendingLines.push(...this.announcer.lines(this.options.queue.getSnapshot()));
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    queueMicrotask(() => {
      this.flushScheduled = false;
      this.publish();
    });
  }

  private publish(): void {
    if (this.pendingLines.length) this.announcement = this.pendingLines.join(' ');
    this.pendingLines = [];
    this.snapshot = this.build();
    for (const listener of this.listeners) listener();
  }

  private build(): UploadPageSnapshot {
    const entries = this.options.queue.getSnapshot();
    const customValid = customHoursValid(this.customHours);
    return {
      entries,
      sets: this.options.sets?.getSnapshot() ?? [],
      linkMode: this.linkMode,
      expiry: this.expiry,
      customHours: this.customHours,
      customValid,
      canChoose: this.request ? true : this.expiry !== 'custom' || customValid,
      password: this.password,
      needsToken: this.needsToken,
      dropError: this.dropError,
      waiting: entries.filter((e) => !e.hasFile && e.state.state === 'paused').length,
      totals: totalsOf(entries),
      announcement: this.announcement,
    };
  }
}
