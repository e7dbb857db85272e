/**
 * Names chosen by someone else — the uploader's file name from the meta object (authenticated, so
 * not the server's, but still whatever the uploader typed), and later ZIP entry names and picked
 * folders — made safe to show on a terminal and to save on any of the file systems we run on.
 *
 * Hostile here means: anything a terminal interprets (C0/C1 controls, ESC, DEL, so CSI/OSC
 * sequences), anything invisible that changes how the rest reads (bidi overrides and isolates,
 * zero-width characters, line/paragraph separators), anything that cannot be encoded (lone
 * surrogates), and anything whose look is font-defined or not yet defined (private use,
 * unassigned code points). That is all of `\p{C}` plus `\p{Zl}` and `\p{Zp}`; names that use a
 * character newer than this runtime's Unicode tables lose it, which is a fair price for a name.
 * For file names it also means whatever climbs out of the folder, hides the file, or that
 * Windows, macOS or Linux would refuse or treat as a device.
 *
 * Replaced vs removed: on a terminal a run of hidden characters shows as one U+FFFD, so the reader
 * sees that something was there. In a saved name they are removed, since they carry no visible
 * text (removing U+202E shows `invoice\u202Efdp.exe` as the `invoicefdp.exe` it really is), while
 * visible characters a file system refuses (`/ \ < > : " | ? *`) become `_`, which keeps word
 * boundaries.
 */

/** Names are capped at 255 bytes of UTF-8: Linux's and APFS's limit, and never more UTF-16 units than Windows allows. */
export const MAX_NAME_BYTES = 255;
/** Deep enough for any sensible folder tree, and well inside Linux's 4096-byte PATH_MAX once joined to a target folder. */
export const MAX_PATH_BYTES = 1024;
export const MAX_PATH_DEPTH = 32;
export const DISPLAY_MAX_CHARS = 200;
export const FALLBACK_NAME = 'download';
const UNNAMED = '(no name)';
/** Room for UNNAMED, and for a start, "…" and an end that still say something. */
const MIN_DISPLAY_CHARS = 10;
/** Below this a name could not keep an extension and still say something. */
const MIN_NAME_BYTES = 16;
/** A longer "extension" is just part of the name ("notes.from the meeting on…") and is not worth keeping whole. */
const MAX_EXTENSION_BYTES = 24;

const HIDDEN = /[\p{C}\p{Zl}\p{Zp}]/gu;
const HIDDEN_RUN = /[\p{C}\p{Zl}\p{Zp}]+/gu;
/** Long piles of combining marks ("Zalgo") smear over neighbouring lines; real scripts stack a few. */
const MARK_PILE = /(\p{M}{4})\p{M}+/gu;
const REFUSED = /[/\\<>:"|?*]/g;
/** Windows device names, which open the device whatever the extension; COM0/LPT0 and the superscript digits count too. */
const RESERVED = /^(?:CON|PRN|AUX|NUL|COM[0-9¹²³]|LPT[0-9¹²³]|CONIN\$|CONOUT\$|CLOCK\$)$/i;
/** `\\?\` and `\\.\` device prefixes, then a drive (`C:\x` and the drive-relative `C:x`). */
const ABSOLUTE_PREFIX = /^(?:[\\/]{2}[?.][\\/])?(?:[A-Za-z]:)?/;

const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });
const encoder = new TextEncoder();
const utf8Length = (text: string): number => encoder.encode(text).byteLength;
const graphemesOf = (text: string): string[] => Array.from(graphemes.segment(text), (s) => s.segment);

export interface NameOptions {
  /** Byte budget for one name, e.g. less than 255 when a suffix such as ".partial" is added while writing. */
  maxBytes?: number;
  /** Used when nothing of the name survives (it goes through the same rules). */
  fallback?: string;
}

export interface PathOptions extends NameOptions {
  /** Byte budget for the segments joined with "/". */
  maxPathBytes?: number;
  maxDepth?: number;
}

/** `text` with every run of hidden characters shown as U+FFFD; for whole messages, which may be long or empty. */
export function displayText(text: string): string {
  return text.replace(HIDDEN_RUN, '\uFFFD').replace(MARK_PILE, '$1');
}

/**
 * A name as it may be printed to a terminal: no hidden characters (see above), at most `maxChars`
 * user-perceived characters (10 at the least), and never blank ("(no name)"). A long name keeps its end (where the extension is)
 * and loses its middle, so padding cannot push ".exe" out of sight.
 */
export function displayName(name: string, maxChars = DISPLAY_MAX_CHARS): string {
  const shown = shorten(displayText(name), Math.max(MIN_DISPLAY_CHARS, Math.floor(maxChars)));
  return shown.trim() ? shown : UNNAMED;
}

/** At most `limit` graphemes: the start and the end of `text`, with "…" for the middle. */
function shorten(text: string, limit: number): string {
  if (text.length <= limit) return text;
  // Segmenting a whole long name takes seconds; windows this wide hold enough graphemes for any
  // real name. A window edge may split a pair, hence the second pass for hidden characters.
  const window = limit * 8;
  const wide = text.length > 2 * window;
  const first = graphemesOf(wide ? text.slice(0, window) : text);
  const last = wide ? graphemesOf(text.slice(-window)) : first;
  if (!wide && first.length <= limit) return text;
  const head = Math.ceil((limit - 1) * 0.6);
  const tail = limit - 1 - head;
  return `${first.slice(0, head).join('')}…${last.slice(Math.max(0, last.length - tail)).join('')}`.replace(HIDDEN, '');
}

/** Whether Windows would take `name` for a device: the part before the first dot, less trailing spaces, is a device name. */
export function isReservedName(name: string): boolean {
  return RESERVED.test(name.split('.', 1)[0].trimEnd());
}

/**
 * One file name to save under, from an untrusted one: hidden characters and NUL removed, `/ \` and
 * the characters Windows refuses replaced by `_`, leading dots and spaces removed (no hidden files,
 * no `.` or `..`), trailing ones too (Windows drops them), Windows device names prefixed with `_`,
 * a leading `-` made `_` (else `rm *` in that folder reads the name as an option),
 * NFC-normalised, and cut to `maxBytes` of UTF-8 at a character boundary keeping the extension.
 * Never empty: `fallback` (default "download") when nothing survives.
 */
export function safeFileName(name: string, options: NameOptions = {}): string {
  const maxBytes = nameBudget(options.maxBytes);
  return cleanName(name, maxBytes) || cleanName(options.fallback ?? FALLBACK_NAME, maxBytes) || FALLBACK_NAME;
}

/**
 * A relative path inside a folder the user picked (ZIP entries, folder downloads), as its segments:
 * join them with `path.join(folder, ...segments)` on disk or with "/" in a ZIP. Splits on `/` and
 * `\`, drops a `\\?\` prefix and a drive letter, and passes each segment through the rules of
 * safeFileName; segments with nothing left (empty, `.`, `..`, `...`, only hidden characters) are
 * dropped rather than resolved, so a path can never climb out or land somewhere its text hides.
 * Past `maxDepth` segments or `maxPathBytes`, the deepest folders go and the file name stays, which
 * can put two entries on one path: callers already have to handle duplicate names. Never empty.
 */
export function safeRelativePath(path: string, options: PathOptions = {}): string[] {
  const maxBytes = nameBudget(options.maxBytes);
  const maxPathBytes = Math.max(options.maxPathBytes ?? MAX_PATH_BYTES, maxBytes);
  const maxDepth = Math.max(1, options.maxDepth ?? MAX_PATH_DEPTH);
  const segments = path
    .replace(ABSOLUTE_PREFIX, '')
    .split(/[\\/]/)
    .map((segment) => cleanName(segment, maxBytes))
    .filter((segment) => segment !== '');
  const name = segments.pop();
  if (name === undefined) return [safeFileName(options.fallback ?? FALLBACK_NAME, { maxBytes })];
  const folders: string[] = [];
  let bytes = utf8Length(name);
  for (const folder of segments) {
    const more = utf8Length(folder) + 1;
    if (folders.length + 1 >= maxDepth || bytes + more > maxPathBytes) break;
    folders.push(folder);
    bytes += more;
  }
  return [...folders, name];
}

function nameBudget(maxBytes = MAX_NAME_BYTES): number {
  if (!(maxBytes >= MIN_NAME_BYTES && maxBytes <= MAX_NAME_BYTES)) throw new RangeError(`maxBytes must be ${MIN_NAME_BYTES}–${MAX_NAME_BYTES}`);
  return Math.floor(maxBytes);
}

/** safeFileName without the fallback: "" when nothing survives. */
function cleanName(name: string, maxBytes: number): string {
  const text = trimEnds(name.replace(HIDDEN, '').normalize('NFC').replace(MARK_PILE, '$1').replace(REFUSED, '_')).replace(/^-/, '_');
  const fitted = fitBytes(text, maxBytes);
  // The prefix may push a name just past its budget; cutting again keeps the "_", so it stays harmless.
  return isReservedName(fitted) ? fitBytes(`_${fitted}`, maxBytes) : fitted;
}

/** Cuts `text` to `maxBytes`, from the end of the stem so the extension stays. */
function fitBytes(text: string, maxBytes: number): string {
  if (utf8Length(text) <= maxBytes) return text;
  const dot = text.lastIndexOf('.');
  const extension = dot > 0 ? text.slice(dot) : '';
  const extensionBytes = utf8Length(extension);
  const keep = extensionBytes <= Math.min(MAX_EXTENSION_BYTES, maxBytes / 2) ? extension : '';
  const stem = trimEnds(cut(keep ? text.slice(0, dot) : text, maxBytes - utf8Length(keep)));
  return stem ? trimEnds(stem + keep) : '';
}

/** The longest prefix within `maxBytes`, ending between graphemes (or code points, if even the first grapheme is too big). */
function cut(text: string, maxBytes: number): string {
  let out = '';
  let bytes = 0;
  for (const { segment } of graphemes.segment(text)) {
    const size = utf8Length(segment);
    if (bytes + size > maxBytes) {
      if (out) return out;
      for (const point of segment) {
        const pointSize = utf8Length(point);
        if (bytes + pointSize > maxBytes) return out;
        out += point;
        bytes += pointSize;
      }
      return out;
    }
    out += segment;
    bytes += size;
  }
  return out;
}

const isTrimmed = (char: string): boolean => char === '.' || /\s/u.test(char);

/** Drops leading and trailing dots and white space; by hand, since `/^[\s.]+|[\s.]+$/` is quadratic on a long run. */
function trimEnds(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && isTrimmed(text[start])) start++;
  while (end > start && isTrimmed(text[end - 1])) end--;
  return text.slice(start, end);
}

/** Room left in a path for a " (12345)" that makes it unique. */
const SUFFIX_ROOM = 16;

/** `name` with " (n)" before its extension, still within `maxBytes`. */
function numbered(name: string, n: number, maxBytes: number): string {
  const suffix = ` (${n})`;
  const dot = name.lastIndexOf('.');
  const extension = dot > 0 && utf8Length(name.slice(dot)) <= Math.min(MAX_EXTENSION_BYTES, maxBytes / 2) ? name.slice(dot) : '';
  const stem = extension ? name.slice(0, dot) : name;
  return `${cut(stem, maxBytes - utf8Length(suffix + extension))}${suffix}${extension}`;
}

/** The key two paths collide under on a case-insensitive file system (Windows, macOS). */
const collisionKey = (segments: readonly string[]): string => segments.join('/').toLowerCase();

export interface TreeNamer {
  /**
   * Where `path` (a file, or a folder when `dir`) goes: safeRelativePath's segments, made unique
   * among every path named before (compared case-insensitively, as Windows and macOS do). A file
   * that meets an earlier file or folder becomes "name (2).ext", "name (3).ext"…; a folder that
   * meets an earlier file becomes "folder (2)", and every later path under that folder follows it.
   * Folders named twice are one folder.
   */
  name(path: string, dir?: boolean): string[];
}

/**
 * Names for a tree of uploader-chosen paths, one at a time (a ZIP streams its entries): what the
 * ZIP writer, the folder download and the CLI's `-o DIR` all write under.
 */
export function treeNamer(options: PathOptions = {}): TreeNamer {
  const maxBytes = nameBudget(options.maxBytes);
  const pathOptions = { ...options, maxPathBytes: Math.max((options.maxPathBytes ?? MAX_PATH_BYTES) - SUFFIX_ROOM, maxBytes) };
  /** what each collision key holds, as assigned */
  const taken = new Map<string, 'file' | 'dir'>();
  /** a folder's sanitised path (as a collision key) → where it was put */
  const folders = new Map<string, string[]>();
  /** the next number to try for a base key, so many copies of one name stay linear */
  const next = new Map<string, number>();

  const unique = (parent: string[], name: string): string[] => {
    const base = collisionKey([...parent, name]);
    if (!taken.has(base)) return [...parent, name];
    for (let n = next.get(base) ?? 2; ; n++) {
      const candidate = [...parent, numbered(name, n, maxBytes)];
      if (!taken.has(collisionKey(candidate))) {
        next.set(base, n + 1);
        return candidate;
      }
    }
  };

  const folder = (segments: readonly string[]): string[] => {
    let placed: string[] = [];
    for (let i = 0; i < segments.length; i++) {
      const key = collisionKey(segments.slice(0, i + 1));
      const known = folders.get(key);
      if (known) {
        placed = known;
        continue;
      }
      const here = collisionKey([...placed, segments[i]]);
      placed = taken.get(here) === 'dir' ? [...placed, segments[i]] : unique(placed, segments[i]);
      taken.set(collisionKey(placed), 'dir');
      folders.set(key, placed);
    }
    return placed;
  };

  return {
    name(path, dir = false) {
      const segments = safeRelativePath(path, pathOptions);
      if (dir) return folder(segments);
      const placed = unique(folder(segments.slice(0, -1)), segments[segments.length - 1]);
      taken.set(collisionKey(placed), 'file');
      return placed;
    },
  };
}

/** Every path of a tree (a set's manifest entries, in order) mapped to unique safe segments; see TreeNamer. */
export function safeTree(entries: readonly { path: string; dir?: boolean }[], options: PathOptions = {}): string[][] {
  const namer = treeNamer(options);
  return entries.map((e) => namer.name(e.path, e.dir === true));
}
