/**
 * The exact byte length of the archive zipStream (zip.ts) writes for a list of members, known
 * before a byte is read: the service worker's answer for "Download all as ZIP" carries it as
 * Content-Length, as every download answer does (iOS Safari silently truncates a service-worker
 * download without one — StreamSaver.js issue 373 — and every browser can then show progress and
 * tell a cut download from a finished one).
 *
 * The layout is zip-records.ts's (stored, streamed, data descriptors, a UTC extended timestamp,
 * ZIP64 only where a size, an offset or the entry count needs it). zip-size.test.ts checks this
 * against the archives zipStream really writes, ZIP64 included, so a change to the records fails
 * there rather than in a browser.
 */
import { treeNamer } from '../names.ts';
import type { ZipMember } from './zip.ts';

const MAX_32 = 0xffffffff;
const MAX_16 = 0xffff;
const LOCAL_HEADER = 30;
const CENTRAL_HEADER = 46;
const END_OF_CENTRAL_DIRECTORY = 22;
/** the ZIP64 end-of-central-directory record (56) and its locator (20) */
const ZIP64_END = 56 + 20;
/** data descriptor with its signature: CRC, sizes as 4 bytes each, or 8 in ZIP64 */
const DESCRIPTOR = 16;
const DESCRIPTOR_64 = 24;
/** the UTC extended timestamp (0x5455) holding the modified time */
const EXTENDED_TIMESTAMP = 9;
/** the NTFS times (0x000a), written instead where the time does not fit 32-bit Unix seconds */
const NTFS_TIMES = 36;
/** the ZIP64 extra field's header; each 64-bit value it carries adds 8 */
const ZIP64_EXTRA = 4;

const utf8 = new TextEncoder();

/** A member's modified time as its entry holds it: milliseconds since 1970, 0 when unknown. */
export function entryTime(modified: number): number {
  return Number.isFinite(modified) ? modified : 0;
}

/** Which time field an entry has (zip-records.ts): seconds since 1970 where they fit 32 bits, else NTFS times. */
function timeExtra(modified: number): number {
  const seconds = Math.floor(entryTime(modified) / 1000);
  return seconds >= -2147483648 && seconds <= 2147483647 ? EXTENDED_TIMESTAMP : NTFS_TIMES;
}

/**
 * The archive's entry names, member by member, for zipStream and zipSize alike: every path made
 * safe by treeNamer, a folder's name ending in `/`, and null for a folder already written — a
 * manifest may name one folder twice (or two that are made the same), and an archive with two
 * entries of one name is one that unzip asks about and other readers refuse.
 */
export function entryNamer(): (member: Pick<ZipMember, 'path' | 'dir'>) => string | null {
  const names = treeNamer();
  const folders = new Set<string>();
  return (member) => {
    const dir = member.dir === true;
    const name = names.name(member.path, dir).join('/');
    if (!dir) return name;
    if (folders.has(name)) return null;
    folders.add(name);
    return `${name}/`;
  };
}

export type SizedMember = Pick<ZipMember, 'path' | 'size' | 'modified' | 'dir'>;

/** The length of zipStream(members): same members, same order. */
export function zipSize(members: Iterable<SizedMember>): number {
  const nameOf = entryNamer();
  let offset = 0;
  let central = 0;
  let count = 0;
  let zip64Entries = false;
  for (const member of members) {
    const name = nameOf(member);
    if (name === null) continue;
    const nameBytes = utf8.encode(name).byteLength;
    const size = member.dir === true ? 0 : member.size;
    const times = timeExtra(member.modified);
    const big = size >= MAX_32;
    // Local header, the bytes, and a data descriptor after any entry with content.
    const local = LOCAL_HEADER + nameBytes + times + (big ? ZIP64_EXTRA + 16 : 0);
    const descriptor = size > 0 ? (big ? DESCRIPTOR_64 : DESCRIPTOR) : 0;
    // The central record repeats the sizes (and the offset) in a ZIP64 field where they need 64 bits.
    const wide = (big ? 16 : 0) + (offset >= MAX_32 ? 8 : 0);
    central += CENTRAL_HEADER + nameBytes + times + (wide ? ZIP64_EXTRA + wide : 0);
    zip64Entries ||= big;
    offset += local + size + descriptor;
    count++;
  }
  const zip64 = zip64Entries || offset >= MAX_32 || central >= MAX_32 || count >= MAX_16;
  return offset + central + END_OF_CENTRAL_DIRECTORY + (zip64 ? ZIP64_END : 0);
}
