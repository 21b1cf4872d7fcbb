/**
 * A deterministic tar.gz writer for the release (tools/release.ts): POSIX ustar headers (pax
 * `path`/`linkpath` records only for names ustar cannot hold), every entry's owner 0/0
 * root/root, one fixed mtime, modes given by the caller, entries in the order given; and gzip
 * framed by hand around raw deflate, so its header holds no name, no time and a fixed OS byte.
 *
 * Why not the `tar` npm package: with `portable: true` and `mtime` it drops owners and
 * times, but it reads each file's mode from the disk (so a clone made under umask 002 and one
 * under 022 differ), walks folders in readdir order unless given every path, and its gzip
 * header comes from zlib's defaults. Normalising all of that around it costs about as much code
 * as the ustar format itself (a 512-byte header with octal fields), and it would be one more
 * dependency in the chain this file exists to make checkable.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { constants, crc32, createDeflateRaw } from 'node:zlib';

export type TarEntry =
  | { readonly kind: 'directory'; readonly path: string; readonly mode: number }
  | {
      readonly kind: 'file';
      readonly path: string;
      readonly mode: number;
      readonly size: number;
      readonly source: string | Buffer;
    }
  | { readonly kind: 'symlink'; readonly path: string; readonly target: string };

const BLOCK = 512;
const RECORD = 20 * BLOCK;

function octal(value: number, width: number): Buffer {
  const text = value.toString(8).padStart(width - 1, '0');
  if (text.length > width - 1) throw new Error(`${value} does not fit a ${width}-byte tar field`);
  return Buffer.from(`${text}\0`, 'ascii');
}

/** Splits a path into ustar's prefix (≤155 bytes) and name (≤100 bytes), or null when it cannot. */
function splitUstar(name: string): { prefix: string; name: string } | null {
  if (Buffer.byteLength(name) <= 100) return { prefix: '', name };
  for (let i = name.indexOf('/'); i >= 0; i = name.indexOf('/', i + 1)) {
    const prefix = name.slice(0, i);
    const rest = name.slice(i + 1);
    if (Buffer.byteLength(prefix) <= 155 && Buffer.byteLength(rest) <= 100 && rest.length > 0)
      return { prefix, name: rest };
  }
  return null;
}

function header(fields: {
  name: string;
  prefix: string;
  mode: number;
  size: number;
  mtime: number;
  type: string;
  linkname: string;
}): Buffer {
  const block = Buffer.alloc(BLOCK);
  const put = (offset: number, length: number, value: Buffer | string) => {
    const bytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
    if (bytes.length > length) throw new Error(`tar field overflow: ${String(value)}`);
    bytes.copy(block, offset);
  };
  put(0, 100, fields.name);
  put(100, 8, octal(fields.mode, 8));
  put(108, 8, octal(0, 8));
  put(116, 8, octal(0, 8));
  put(124, 12, octal(fields.size, 12));
  put(136, 12, octal(fields.mtime, 12));
  put(148, 8, '        ');
  put(156, 1, fields.type);
  put(157, 100, fields.linkname);
  put(257, 6, 'ustar\0');
  put(263, 2, '00');
  put(265, 32, 'root');
  put(297, 32, 'root');
  put(329, 8, octal(0, 8));
  put(337, 8, octal(0, 8));
  put(345, 155, fields.prefix);
  let sum = 0;
  for (const byte of block) sum += byte;
  put(148, 8, Buffer.from(`${sum.toString(8).padStart(6, '0')}\0 `, 'ascii'));
  return block;
}

function padding(size: number): Buffer {
  return Buffer.alloc((BLOCK - (size % BLOCK)) % BLOCK);
}

/** A pax record: "<length> key=value\n", the length counting itself. */
function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  let length = Buffer.byteLength(body) + 1;
  while (String(length).length + Buffer.byteLength(body) !== length) length++;
  return `${length}${body}`;
}

async function* tarStream(entries: readonly TarEntry[], mtime: number): AsyncGenerator<Buffer> {
  let written = 0;
  const emit = (buffer: Buffer) => {
    written += buffer.length;
    return buffer;
  };
  for (const entry of entries) {
    const fullName = entry.kind === 'directory' ? `${entry.path}/` : entry.path;
    const linkname = entry.kind === 'symlink' ? entry.target : '';
    const split = splitUstar(fullName);
    const pax: string[] = [];
    if (split === null) pax.push(paxRecord('path', fullName));
    if (Buffer.byteLength(linkname) > 100) pax.push(paxRecord('linkpath', linkname));
    if (pax.length > 0) {
      const data = Buffer.from(pax.join(''), 'utf8');
      const paxName = `PaxHeader/${Buffer.from(fullName)
        .subarray(-80)
        .toString('utf8')
        .replace(/^[^/]*\//, '')}`;
      yield emit(
        header({
          name: paxName.slice(0, 100),
          prefix: '',
          mode: 0o644,
          size: data.length,
          mtime,
          type: 'x',
          linkname: '',
        }),
      );
      yield emit(data);
      yield emit(padding(data.length));
    }
    const names = split ?? { prefix: '', name: Buffer.from(fullName).subarray(0, 100).toString('utf8') };
    const link = Buffer.byteLength(linkname) > 100 ? '' : linkname;
    if (entry.kind === 'directory') {
      yield emit(header({ ...names, mode: entry.mode, size: 0, mtime, type: '5', linkname: '' }));
    } else if (entry.kind === 'symlink') {
      yield emit(header({ ...names, mode: 0o777, size: 0, mtime, type: '2', linkname: link }));
    } else {
      yield emit(header({ ...names, mode: entry.mode, size: entry.size, mtime, type: '0', linkname: '' }));
      let seen = 0;
      if (Buffer.isBuffer(entry.source)) {
        seen = entry.source.length;
        yield emit(entry.source);
      } else {
        for await (const chunk of createReadStream(entry.source)) {
          seen += (chunk as Buffer).length;
          yield emit(chunk as Buffer);
        }
      }
      // The manifest was computed from these files: one that changed meanwhile must not ship.
      if (seen !== entry.size) throw new Error(`${entry.path} changed while the release was written`);
      yield emit(padding(entry.size));
    }
  }
  yield emit(Buffer.alloc(2 * BLOCK));
  yield emit(Buffer.alloc((RECORD - (written % RECORD)) % RECORD));
}

/**
 * gzip (RFC 1952) around raw deflate: the header is fixed (no file name, MTIME 0, XFL 0, OS 3
 * "Unix"), so its bytes depend only on the tar and the deflate of this Node's zlib at this level.
 */
async function* gzipFrame(tar: AsyncIterable<Buffer>, level: number): AsyncGenerator<Buffer> {
  yield Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0, 0x00, 0x03]);
  let crc = 0;
  let size = 0;
  const deflate = createDeflateRaw({ level, memLevel: 9, strategy: constants.Z_DEFAULT_STRATEGY });
  const counted = (async function* () {
    for await (const chunk of tar) {
      crc = crc32(chunk, crc);
      size = (size + chunk.length) % 2 ** 32;
      yield chunk;
    }
  })();
  const feeding = pipeline(counted, deflate);
  // Its failure also ends the loop below with the same error; awaited after it, handled here.
  feeding.catch(() => {});
  for await (const chunk of deflate) yield chunk as Buffer;
  await feeding;
  const trailer = Buffer.alloc(8);
  trailer.writeUInt32LE(crc >>> 0, 0);
  trailer.writeUInt32LE(size, 4);
  yield trailer;
}

/** Writes the entries as a .tar.gz file; returns its SHA-256 and size. */
export async function writeTarGz(
  file: string,
  entries: readonly TarEntry[],
  options: { mtime: number; level: number },
): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  const hashed = async function* (source: AsyncIterable<Buffer>) {
    for await (const chunk of source) {
      hash.update(chunk);
      bytes += chunk.length;
      yield chunk;
    }
  };
  await pipeline(
    gzipFrame(tarStream(entries, options.mtime), options.level),
    hashed,
    createWriteStream(file),
  );
  return { sha256: hash.digest('hex'), bytes };
}
