/**
 * The records of a stored, streamed ZIP (PKWARE APPNOTE 6.3.x), laid out as zip.js 2.24 writes
 * them with the options Cipherdrop used (zip.test.ts compares the bytes; zip-size.ts counts them):
 *
 * - a local header per entry: version 1.0 (2.0 for a folder, 4.5 for a ZIP64 entry), flag bit 3 (a
 *   data descriptor follows) for an entry with content, bit 11 when the name is not printable ASCII,
 *   method 0 (stored), no CRC or sizes (a ZIP64 entry: 0xFFFFFFFF and its sizes in a ZIP64 field);
 * - a data descriptor after the content: signature, CRC-32, sizes (8 bytes each in ZIP64);
 * - the central directory: made by Unix 3.0, mode 0644 (a folder 0755 and the MS-DOS folder bit),
 *   a ZIP64 field holding what does not fit 32 bits (sizes past 4 GiB, an offset past 4 GiB);
 * - every record's time: DOS local time (rounded up to even seconds, 1980 … 2107) and a UTC extended
 *   timestamp (0x5455), or NTFS times (0x000a) where seconds since 1970 do not fit 32 bits;
 * - the end records, with the ZIP64 end record and locator when an entry, an offset, the directory's
 *   size or the entry count (65 535 or more) needs them.
 */
import { entryTime } from './zip-size.ts';

const MAX_32 = 0xffffffff;
const MAX_16 = 0xffff;
const ZIP64 = 45;
/** the NTFS epoch (1601) is this many milliseconds before 1970 */
const NTFS_EPOCH_MS = 11_644_473_600_000;
const MIN_DOS = new Date(1980, 0, 1);
const MAX_DOS = new Date(2107, 11, 31, 23, 59, 58);

const utf8 = new TextEncoder();

/** One entry, as its records need it; `crc` is known once its bytes have passed. */
export interface Entry {
  name: Uint8Array;
  dir: boolean;
  size: number;
  /** where its local header starts */
  offset: number;
  crc: number;
  /** DOS time (low 16 bits) and date (high 16) */
  dos: number;
  /** the extended timestamp or NTFS times field */
  time: Uint8Array;
}

/** A record being written: little-endian fields one after another. */
class Record {
  readonly bytes: Uint8Array<ArrayBuffer>;
  private readonly view: DataView;
  private at = 0;
  constructor(length: number) {
    this.bytes = new Uint8Array(length);
    this.view = new DataView(this.bytes.buffer);
  }
  u16(v: number): this {
    this.view.setUint16(this.at, v, true);
    this.at += 2;
    return this;
  }
  u32(v: number): this {
    this.view.setUint32(this.at, v >>> 0, true);
    this.at += 4;
    return this;
  }
  u64(v: number | bigint): this {
    this.view.setBigUint64(this.at, BigInt(v), true);
    this.at += 8;
    return this;
  }
  raw(b: Uint8Array): this {
    this.bytes.set(b, this.at);
    this.at += b.byteLength;
    return this;
  }
}

function dosTime(date: Date): number {
  const even = new Date(Math.ceil(Math.floor(date.getTime() / 1000) / 2) * 2000);
  const d = even < MIN_DOS ? MIN_DOS : even > MAX_DOS ? MAX_DOS : even;
  const time = (d.getHours() << 11) | (d.getMinutes() << 5) | (d.getSeconds() / 2);
  const day = ((d.getFullYear() - 1980) << 9) | ((d.getMonth() + 1) << 5) | d.getDate();
  return ((day << 16) | time) >>> 0;
}

function timeField(date: Date): Uint8Array {
  const seconds = Math.floor(date.getTime() / 1000);
  if (seconds >= -2147483648 && seconds <= 2147483647) {
    const r = new Record(9).u16(0x5455).u16(5);
    r.bytes[4] = 1; // flags: the modified time only
    const view = new DataView(r.bytes.buffer);
    view.setInt32(5, seconds, true);
    return r.bytes;
  }
  let ntfs = (BigInt(date.getTime()) + BigInt(NTFS_EPOCH_MS)) * 10000n;
  ntfs = ntfs < 0n ? 0n : ntfs > 0x7fffffffffffffffn ? 0x7fffffffffffffffn : ntfs;
  // Modified, accessed, created: all the one time.
  return new Record(36).u16(0x000a).u16(32).u32(0).u16(1).u16(24).u64(ntfs).u64(ntfs).u64(ntfs).bytes;
}

/** The entry of `name` (made safe already) at `offset`; `modified` is milliseconds since 1970 (entryTime). */
export function entry(name: string, member: { size: number; modified: number; dir?: boolean }, offset: number): Entry {
  const date = new Date(entryTime(member.modified));
  const dir = member.dir === true;
  return { name: utf8.encode(name), dir, size: dir ? 0 : member.size, offset, crc: 0, dos: dosTime(date), time: timeField(date) };
}

const printable = (name: Uint8Array) => name.every((b) => b >= 0x20 && b <= 0x7e);
const flags = (e: Entry) => (e.size > 0 ? 0x0008 : 0) | (printable(e.name) ? 0 : 0x0800);
const big = (e: Entry) => e.size >= MAX_32;
const version = (e: Entry) => (e.dir ? 20 : 10);

export function localHeader(e: Entry): Uint8Array {
  const zip64 = big(e) ? 20 : 0;
  const r = new Record(30 + e.name.byteLength + zip64 + e.time.byteLength);
  r.u32(0x04034b50)
    .u16(zip64 ? ZIP64 : version(e))
    .u16(flags(e))
    .u16(0)
    .u32(e.dos);
  r.u32(0)
    .u32(zip64 ? MAX_32 : 0)
    .u32(zip64 ? MAX_32 : 0)
    .u16(e.name.byteLength)
    .u16(zip64 + e.time.byteLength)
    .raw(e.name);
  if (zip64) r.u16(0x0001).u16(16).u64(e.size).u64(e.size);
  return r.raw(e.time).bytes;
}

export function dataDescriptor(e: Entry): Uint8Array {
  if (big(e)) return new Record(24).u32(0x08074b50).u32(e.crc).u64(e.size).u64(e.size).bytes;
  return new Record(16).u32(0x08074b50).u32(e.crc).u32(e.size).u32(e.size).bytes;
}

function centralRecord(e: Entry): Uint8Array {
  const farOffset = e.offset >= MAX_32;
  const wide = (big(e) ? 16 : 0) + (farOffset ? 8 : 0);
  const extra = (wide ? 4 + wide : 0) + e.time.byteLength;
  const r = new Record(46 + e.name.byteLength + extra);
  r.u32(0x02014b50)
    .u16(0x0300)
    .u16(wide ? ZIP64 : version(e))
    .u16(flags(e))
    .u16(0)
    .u32(e.dos)
    .u32(e.crc);
  r.u32(big(e) ? MAX_32 : e.size)
    .u32(big(e) ? MAX_32 : e.size)
    .u16(e.name.byteLength)
    .u16(extra)
    .u16(0)
    .u16(0)
    .u16(0);
  r.u32(e.dir ? 0x41ed0010 : 0x81a40000)
    .u32(farOffset ? MAX_32 : e.offset)
    .raw(e.name);
  if (wide) {
    r.u16(0x0001).u16(wide);
    if (big(e)) r.u64(e.size).u64(e.size);
    if (farOffset) r.u64(e.offset);
  }
  return r.raw(e.time).bytes;
}

/** Chunks of the central directory handed on at once: the records of many small entries in one write. */
const CENTRAL_CHUNK = 1024 * 1024;

/** The entries written so far, for the central directory and the end records. */
export class CentralDirectory {
  private readonly entries: Entry[] = [];
  private zip64Entries = false;

  add(e: Entry): void {
    this.entries.push(e);
    this.zip64Entries ||= big(e);
  }

  /** The central directory and the end records, for an archive whose entries end at `start`. */
  *records(start: number): Generator<Uint8Array> {
    let size = 0;
    let pending: Uint8Array[] = [];
    let pendingBytes = 0;
    const flush = () => {
      const chunk = new Uint8Array(pendingBytes);
      let at = 0;
      for (const p of pending) {
        chunk.set(p, at);
        at += p.byteLength;
      }
      pending = [];
      pendingBytes = 0;
      return chunk;
    };
    for (const e of this.entries) {
      const record = centralRecord(e);
      pending.push(record);
      pendingBytes += record.byteLength;
      size += record.byteLength;
      if (pendingBytes >= CENTRAL_CHUNK) yield flush();
    }
    const count = this.entries.length;
    const zip64 = this.zip64Entries || start >= MAX_32 || size >= MAX_32 || count >= MAX_16;
    if (zip64) {
      pending.push(
        new Record(56).u32(0x06064b50).u64(44).u16(ZIP64).u16(ZIP64).u32(0).u32(0).u64(count).u64(count).u64(size).u64(start).bytes,
        new Record(20)
          .u32(0x07064b50)
          .u32(0)
          .u64(start + size)
          .u32(1).bytes,
        new Record(22).u32(0x06054b50).u16(MAX_16).u16(MAX_16).u16(MAX_16).u16(MAX_16).u32(MAX_32).u32(MAX_32).u16(0).bytes,
      );
      pendingBytes += 56 + 20 + 22;
    } else {
      pending.push(new Record(22).u32(0x06054b50).u16(0).u16(0).u16(count).u16(count).u32(size).u32(start).u16(0).bytes);
      pendingBytes += 22;
    }
    yield flush();
  }
}
